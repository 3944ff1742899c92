"""Whom a figure is about: the entity proposed for it, only where its own words say so.

An entity is named only when the figure's clause or sentence supports it: a place
by name (四川省, Chongqing, 成渝), a generic word (全国 the country; 全省, "the
province" the province the release is about; 全市, "the city" its city), the
corridor as a whole (西部陆海新通道铁海联运班列, "the corridor's"), or a catalogue
entity the clause opens with (赛力斯…). Yardsticks are not whom a figure is about
(高于全国…, "above the national average"; :mod:`cqreport.core.places`).

Otherwise the entity is ``unknown``, with suggestions: the place the paragraph
speaks of, and the release's. A place that is not in the catalogue yet (江苏, a
new city) is proposed as a new ``entities.csv`` row, the way a missing metric is
proposed (``C.entities.csv`` beside the candidates).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..core.places import PLACE_TYPES, Mention, Place, mentions, places
from ..core.vocab import REPORT_LANGS
from .catalogue import Catalogue
from .reading import clean

# The corridor as a whole (not Chongqing's part of it, nor the corridor as the way goods
# went: 经西部陆海新通道运输… is the figure of whoever shipped them).
_CORRIDOR_ZH = re.compile(r"铁海联运班列(?!\(钦州港—重庆\))|沿线省份|沿线省区市|沿线\d+省|“13\+2”|"
                          r"通道沿线|全通道|通道全线")
_CORRIDOR_EN = re.compile(r"corridor-wide|provinces along the (?:corridor|route)", re.I)
# A national release that never says 全国: its publisher or dateline says so (a suggestion only).
_NATIONAL_SOURCE_ZH = re.compile(r"人民银行\S{0,4}(?:发布|公布|数据|统计)|国家统计局|国务院|北京\S{0,8}电")
_NATIONAL_SOURCE_EN = re.compile(r"People's Bank of China|\bPBOC\b|\bPBoC\b|central bank data", re.I)
_PAREN_TEXT = re.compile(r"[（(][^）)]{0,40}[）)]")
ENTITY_COLUMNS = ["entity_id", "name_zh", "name_en", "entity_type", "parent"]


@dataclass
class Who:
    """The entity proposed for one figure, and why.

    Attributes:
        entity_id: A catalogue id, a proposed new id, or ``unknown``.
        kind: What the words said: a place type (country, province…), ``corridor``,
            ``entity`` (a catalogue entity named), or '' (nothing said).
        reason: One clause for the review: which words, where.
        suggestions: Entity ids worth a look when it is unknown (best first).
        proposal: A new ``entities.csv`` row, when the place is not in the catalogue.
    """

    entity_id: str
    kind: str
    reason: str
    suggestions: list[str] = field(default_factory=list)
    proposal: dict[str, str] | None = None


def _blank(text: str, pattern: re.Pattern | None) -> str:
    return pattern.sub(lambda m: " " * len(m[0]), text) if pattern is not None else text


def entity_names(catalogue: Catalogue, lang: str) -> re.Pattern | None:
    """The names of the catalogue's entities that are not places (parks, companies, the
    service centre…), longest first, as one pattern: a place word inside one of them
    (陆海新通道金融服务中心) is the entity's name, not a place the text speaks of."""
    key = "name_en" if lang == "en" else "name_zh"
    names = sorted({n for e in catalogue.entities if e.get("entity_type") not in PLACE_TYPES
                    for n in _names_of(e.get(key, ""))}, key=len, reverse=True)
    return re.compile("|".join(re.escape(n) for n in names), re.I) if names else None


def _names_of(name: str) -> list[str]:
    """A catalogue name and the short form in its brackets (陆海新通道金融服务联合体（金联体）)."""
    out = [_PAREN_TEXT.sub("", name).strip()]
    out += [m[1] for m in re.finditer(r"[（(]([^）)\d,，]{2,8})[）)]", name)]
    return [n for n in out if len(n) >= 3 or (len(n) >= 2 and re.search(r"[\u4e00-\u9fff]", n))]


class ReleasePlaces:
    """The places one release speaks of, to resolve 全省 / 全市 and to suggest an entity.

    Args:
        catalogue: The curated entities (their places join the glossary's).
        title: The release's ``title:`` header line ('' when none).
        body: The release's text after its header.
        lang: "zh" or "en".
    """

    def __init__(self, catalogue: Catalogue, title: str, body: str, lang: str):
        self.catalogue = catalogue
        self.places: dict[str, Place] = places(catalogue.entities)
        self.ids = {e.get("entity_id") for e in catalogue.entities}
        self.parents = {e.get("entity_id"): e.get("parent", "") for e in catalogue.entities}
        self.types = {e.get("entity_id"): e.get("entity_type", "") for e in catalogue.entities}
        key = "name_en" if lang == "en" else "name_zh"
        self.entity_by_name = {n.lower(): e["entity_id"] for e in catalogue.entities
                               for n in _names_of(e.get(key, ""))}
        self.lang = lang
        score: Counter[str] = Counter()
        title, body = clean(title), clean(body)
        for text, weight in ((title, 3), (body, 1)):
            for lg in REPORT_LANGS:  # a Chinese headline in an English page counts too
                for m in mentions(_PAREN_TEXT.sub(lambda x: " " * len(x[0]), text), lg, self.places):
                    if m.place_id:
                        score[m.place_id] += weight
        if score.get("china", 0) < 2 and (_NATIONAL_SOURCE_EN if lang == "en" else
                                       _NATIONAL_SOURCE_ZH).search(title + body):
            score["china"] += 2  # 人民银行…发布 / the PBOC released: a national release, as a hint
        self.score = score

    def of_kind(self, kind: str) -> list[str]:
        """Places of a kind the release names, most named first (全市: a city or municipality)."""
        kinds = ("city", "municipality") if kind == "city" else (kind,)
        return [pid for pid, _ in self.score.most_common()
                if pid in self.places and self.places[pid].kind in kinds]

    def resolve(self, kind: str) -> tuple[str, list[str]]:
        """The one place of this kind the release is about, or '' and the candidates."""
        found = self.of_kind(kind)
        if len(found) == 1 or (len(found) > 1 and self.score[found[0]] >= 3 * self.score[found[1]]):
            return found[0], found[1:]
        return "", found

    def lineage(self, entity_id: str) -> list[str]:
        """An entity and what it lies in (AITO, Seres, Chongqing, China), innermost first."""
        out: list[str] = []
        while entity_id and entity_id not in out:
            out.append(entity_id)
            p = self.places.get(entity_id)
            entity_id = self.parents.get(entity_id) or (p.parent if p is not None else "")
        return out

    def main(self) -> list[str]:
        """The places the release names most, best first (for suggestions)."""
        return [pid for pid, n in self.score.most_common(3) if n >= 2]

    def propose(self, place_id: str) -> dict[str, str] | None:
        """A new entities.csv row for a glossary place the catalogue lacks."""
        p = self.places.get(place_id)
        if p is None or place_id in self.ids:
            return None
        return {"entity_id": p.place_id, "name_zh": p.name_zh, "name_en": p.name_en,
                "entity_type": p.kind, "parent": p.parent if p.parent in self.places else "",
                "status": "proposed"}


def _corridor(text: str, lang: str) -> list[Mention]:
    pat = _CORRIDOR_EN if lang == "en" else _CORRIDOR_ZH
    return [Mention(m.start(), m.end(), m[0], "corridor", "land_sea_corridor")
            for m in pat.finditer(text)]


def _named_entities(text: str, rp: ReleasePlaces, names: re.Pattern | None) -> list[Mention]:
    """Catalogue entities that are not places (the service centre, Seres…) a text names."""
    if names is None:
        return []
    out = []
    for m in names.finditer(text):
        eid = rp.entity_by_name.get(m[0].lower())
        # the subject opens its clause; a name later in it is an object (投资赛力斯等企业)
        lead = re.split(r"[，,；;。]", text[:m.start()])[-1]
        if eid and rp.types.get(eid) != "route" and _LEAD.fullmatch(lead):
            out.append(Mention(m.start(), m.end(), m[0], "entity", eid))
    return out


_LEAD = re.compile(r"[\s“\"]*(?:其中|同时|另外|此外|据|该|在|由|the|The)?\s*")


def _said(text: str, rp: ReleasePlaces, names: re.Pattern | None) -> list[Mention]:
    """Place, corridor and catalogue-entity words of a stretch of text, in order."""
    ents = _named_entities(text, rp, names)
    text = _blank(_blank(text, names), _PAREN_TEXT)
    found = mentions(text, rp.lang, rp.places) + _corridor(text, rp.lang) + ents
    return sorted(found, key=lambda m: (m.start, -(m.end - m.start)))


def _target(rp: ReleasePlaces, m: Mention) -> str:
    """The entity a mention points at ('' for a generic word the release does not resolve,
    or for a city the places do not know)."""
    if m.kind == "other_city":
        return ""
    return m.place_id or rp.resolve(m.kind)[0]


def _pick(rp: ReleasePlaces, said: list[Mention], clause_start_entity: bool
          ) -> tuple[Mention | None, list[str]]:
    """The one mention a stretch of text is about, or None and the candidates when it names
    several that do not nest (四川优质企业通过重庆的银行…: Sichuan's or Chongqing's?).

    Nested places give the innermost (四川省成都市: Chengdu); a catalogue entity within a
    place (江北机场入境服务中心 in 重庆) only when the clause opens with its name.
    """
    targets = {}
    for m in said:
        t = _target(rp, m)
        targets.setdefault(t or f"?{m.kind}:{m.word}", m)
    if len(targets) == 1:
        return said[0], []
    ids = [t for t in targets if not t.startswith("?")]
    inner = [t for t in ids if all(t == o or o in rp.lineage(t) for o in ids)]
    if len(ids) == len(targets) and inner:
        m = targets[inner[0]]
        if m.kind != "entity" or clause_start_entity:
            return m, []
    return None, ids


def find_entity(rp: ReleasePlaces, clause: str, sentence_before: str, clause_after: str,
                paragraph_before: str, names: re.Pattern | None = None) -> Who:
    """The entity of one figure: what its clause names, else the sentence before the clause,
    else the rest of its clause; else ``unknown`` with suggestions.

    Args:
        rp: The release's places.
        clause: The figure's clause, up to the figure.
        sentence_before: Its sentence before the clause.
        clause_after: The rest of its clause after the figure.
        paragraph_before: The paragraph before the sentence (for suggestions only).
        names: Catalogue entity names whose place words are not places (see :func:`entity_names`).
    """
    head = clause.lstrip(" “\"")
    opens = rp.catalogue.guess_entity(head, rp.lang)
    if opens.score > 0 and opens.value in rp.ids and opens.value not in rp.places:
        return Who(opens.value, "entity", f"the clause opens with its name ({opens.value})")
    for where, text in (("clause", clause), ("sentence", sentence_before),
                        ("clause", clause_after)):
        said = _said(text, rp, names)
        if not said:
            continue
        m, cands = _pick(rp, said, False)
        if m is not None:
            return _who(rp, m, where)
        return Who("unknown", "", f"entity unknown: the {where} names several ({', '.join(cands)})",
                   cands)
    suggestions = []
    before = _said(paragraph_before, rp, names)
    for m in reversed(before):
        pid = _target(rp, m)
        if pid:
            suggestions.append(pid)
            break
    for pid in rp.main():
        if pid not in suggestions:
            suggestions.append(pid)
    hint = f"; the paragraph or release speaks of {', '.join(suggestions)}" if suggestions else ""
    return Who("unknown", "", f"entity unknown: no place or entity named in the figure's sentence{hint}",
               suggestions)


def _who(rp: ReleasePlaces, m: Mention, where: str) -> Who:
    word = f"{m.word!r} in the {where}"
    if m.kind == "entity":
        return Who(m.place_id, "entity", f"entity {m.place_id}: its name {word}")
    if m.kind == "corridor":
        return Who("land_sea_corridor", "corridor", f"entity land_sea_corridor: the corridor as a "
                   f"whole ({word})")
    if m.kind == "other_city":
        return Who("unknown", m.kind, f"entity unknown: {word} is a city the catalogue and the "
                   "glossary's places lack; add it as an entity (entity_type city) if the figure is its")
    pid, others = (m.place_id, []) if m.place_id else rp.resolve(m.kind)
    if not pid:
        what = {"province": "a province", "city": "a city"}.get(m.kind, m.kind)
        cands = ", ".join(others) or "none"
        return Who("unknown", m.kind, f"entity unknown: {word} is {what}, and the release names "
                   f"{'several' if others else 'none'} (candidates: {cands})", others)
    if pid in rp.ids:
        how = "named" if m.place_id else f"the release's {m.kind}"
        return Who(pid, m.kind, f"entity {pid}: {word} ({how})", others)
    row = rp.propose(pid)
    if row is None:
        return Who("unknown", m.kind, f"entity unknown: {word} is no catalogue entity", others)
    if pid not in rp.main():  # 海南椰子汁: a place word in passing, not what the release is about
        return Who("unknown", m.kind, f"entity unknown: {word}, a place the release names only in "
                   f"passing; {pid} is proposed in the .entities.csv if it is the figure's",
                   [pid, *others], row)
    return Who(pid, m.kind, f"entity {pid}: {word}; not in the catalogue: proposed as a new row "
               "in the .entities.csv beside the candidates", others, row)
