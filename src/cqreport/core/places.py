"""Places in text: whom a sentence speaks of, for the extractor and the validator alike.

The place names are the ``[places]`` of ``glossary.toml`` (the country, China's
provincial-level divisions, the cities and regions the sources name), plus any
place a data folder's ``entities.csv`` adds. A text names a place by name
(四川省, Sichuan, 成渝) or by a generic word (全国 the country, 全省 / "the
province" the province a release is about, 全市 / "the city" its city).

A place named only as a yardstick is not whom the text speaks of: 高于全国1.2个百分点,
占全国比重, 居中西部首位, 继四川后, "above the national average", "ranking fourth in
the country". Nor is a place inside a name (People's Bank of China, China Daily,
中新社广州10月22日电). :func:`mentions` leaves those out; one function for both
the extractor (who a figure is about) and ``cqreport validate`` (an entity its
quote contradicts).

Examples:
    >>> [(m.word, m.kind, m.place_id) for m in mentions("全省本外币各项贷款余额12.7万亿元，高于全国4.8个百分点", "zh")]
    [('全省', 'province', '')]
    >>> [(m.word, m.place_id) for m in mentions("Sichuan's loans grew faster than the national average", "en")]
    [('Sichuan', 'sichuan')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from .script import to_simplified
from .vocab import glossary

#: Entity types that are places (data/datapackage.json, entities.entity_type).
PLACE_TYPES = ("country", "municipality", "province", "city", "region")

# Generic words: the kind of place they stand for, whichever one the release is about.
_GENERIC_ZH = (("province", r"全省|本省|该省|省内|省级"), ("city", r"全市|本市|该市|我市"))
_GENERIC_EN = (("province", r"\bthe (?:whole )?province\b|\bprovince-wide\b|\bprovincial\b"),
               ("city", r"\bthe (?:whole )?city\b|\bcity-?wide\b|\bthe municipality\b"))
# Words of the country that are not in its glossary entry: "national" unless a yardstick.
_COUNTRY_EN = r"\bnational\b|\bthe nation's\b"
# 全国性 (nationwide in kind), 全国人大…: not the country as a figure's subject.
_NOT_COUNTRY_ZH = r"(?!性|人大|政协|两会|工商联|总工会|统一)"

_RANK_ZH = r"第[\d一二三四五六七八九十]+(?:位|名|个|家)?|首位|首个|首家|首单|首笔|首批|首次|前列|" \
           r"前[\d一二三四五六七八九十]+(?:位|名)?|之首|最高|最低|领先|平均水平|平均|同期水平"
_COMPARE_ZH = r"高于|低于|高出|低出|快于|慢于|超过|超出|领先|落后于|落后|不及|好于|优于|略高于|略低于|均高于|" \
              r"均低于|分别高于|分别低于|明显高于|比|较|与|同"
_STAND_ZH = r"占|约占|占到|居|位居|位列|排名|排在|列|位于|跻身|领跑|在"
_ORDINAL_EN = r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|top|" \
              r"\d+(?:st|nd|rd|th))"
_YARDSTICKS_EN = (
    r"\b(?:than|above|below|over|exceed\w*|outpac\w*|surpass\w*|beyond|of|to|with|from)\s+"
    r"the\s+(?:national|country's|nation's)\s+(?:average\s+)?(?:growth\s+rate|average|level|rate|"
    r"growth|figure|total)\b",
    r"\bthe national (?:average|growth rate|level|total)\b|\bnational average\b",
    r"\b(?:rank\w*|plac\w*|" + _ORDINAL_EN + r"|forefront|leading|lead)\b[^.;]{0,40}?\b"
    r"(?:in|of|among|across)\s+(?:the\s+)?(?:country|China|nation(?:'s)?(?:\s+provinces)?|"
    r"provinces|central and western regions?|western regions?)\b",
    r"\b" + _ORDINAL_EN + r"\s+nationwide\b|\bnationwide\s+rank\w*",
    r"\bthe \w+ province in China\b",
    r"\b(?:excluding|except|other than)\s+(?:the\s+)?[A-Z]\w+",
)
# Names that hold a place word without being about it.
_NAMES_EN = (r"(?:the\s+)?(?:People's\s+)?Bank of China|China(?:\s+|-)(?:Daily|News\w*|Construction|"
             r"Development|Banking|Securities|Export|Merchants|Everbright|Minsheng|Insurance|"
             r"Europe|Laos|ASEAN|Singapore|Pakistan|Central)\b|Made in China|Global Times|"
             r"\w+ China(?:'s)?\b(?= Chongqing)|(?:south|southwest|western|west|north|east)\s+"
             r"China(?:'s)?")
# A named city the glossary lacks (宜宾市, 泸州市); not 上市, 城市, 超市, 全市, 市场…
_OTHER_CITY_ZH = re.compile(r"[\u4e00-\u9fff]{2}市(?!场|值|民|委|政府|级|区|县|辖|内|外|属|管|监|镇)")
_NOT_CITY_END = "城全本该我各上股超门夜集早都新县省区地港从辖入合一二三四五六七八九十两几个"  # 城市, 全市, 上市, 股市…
# Words a name yields that are not place words on their own (中国 of 中国人民银行, 中国银行…).
_NOT_WORDS = frozenset({"中国"})
_NAMES_ZH = r"(?:中新社|新华社|中新网|人民网|新华网|央视网)\s*\S{1,6}?\d{1,2}月\d{1,2}日(?:电|讯)|中国人民银行"


@dataclass(frozen=True)
class Place:
    """A place a text can name.

    Attributes:
        place_id: Its entity id (``sichuan``).
        name_zh, name_en: Its names as ``entities.csv`` writes them.
        kind: Its entity type (country, municipality, province, city, region).
        parent: The place it lies in ('' for the country).
        words: Every way a text writes it, longest first.
    """

    place_id: str
    name_zh: str
    name_en: str
    kind: str
    parent: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Mention:
    """A place word in a text.

    Attributes:
        start, end: Offsets in the text.
        word: The word as written.
        kind: The kind of place (country, municipality, province, city, region), or
            ``other_city`` for a named city the places do not know (宜宾市).
        place_id: The place it names; '' for a generic word (全省, the city) or another city.
    """

    start: int
    end: int
    word: str
    kind: str
    place_id: str


@cache
def gazetteer() -> dict[str, Place]:
    """The places of the glossary, by id."""
    out = {}
    for pid, e in glossary().get("places", {}).items():
        words = {e["zh"], e["en"], *e.get("also", [])}
        words |= {re.sub(r"[（(].*?[）)]", "", w).strip() for w in words}
        out[pid] = Place(pid, e["zh"], e["en"], e["type"], e.get("parent", ""),
                         tuple(sorted((w for w in words if w and w not in _NOT_WORDS), key=len,
                                      reverse=True)))
    return out


def places(entities: Iterable[dict[str, str]] = ()) -> dict[str, Place]:
    """The glossary's places, with the place entities of a catalogue added (or renamed).

    Args:
        entities: Rows of ``entities.csv`` (entity_id, name_zh, name_en, entity_type, parent).
    """
    out = dict(gazetteer())
    for e in entities:
        if e.get("entity_type") not in PLACE_TYPES:
            continue
        pid = e["entity_id"]
        have = out.get(pid)
        names = {e.get("name_zh", ""), e.get("name_en", "")}
        names |= {re.sub(r"[（(].*?[）)]", "", n).strip() for n in names}
        words = set(have.words if have else ()) | {n for n in names
                                                    if len(n) >= 2 and n not in _NOT_WORDS}
        out[pid] = Place(pid, e.get("name_zh", ""), e.get("name_en", ""), e["entity_type"],
                         e.get("parent", "") or (have.parent if have else ""),
                         tuple(sorted(words, key=len, reverse=True)))
    return out


@cache
def _patterns(key: tuple[tuple[str, str, tuple[str, ...]], ...], lang: str
              ) -> tuple[re.Pattern, dict[str, tuple[str, str]], re.Pattern]:
    """(place words as one pattern, word -> (place_id, kind), yardsticks) for a set of places."""
    by_word: dict[str, tuple[str, str]] = {}
    for pid, kind, words in key:
        for w in words:
            latin = bool(re.search(r"[A-Za-z]", w))
            if (lang == "en") == latin and w not in by_word:
                by_word[w] = (pid, kind)
    words = sorted(by_word, key=len, reverse=True)
    if lang == "en":
        alt = "|".join(rf"\b{re.escape(w)}(?!\w)" for w in words)
        named = re.compile(alt, re.I) if alt else re.compile(r"(?!x)x")
        yard = re.compile("|".join(_YARDSTICKS_EN), re.I)
    else:
        alt = "|".join(re.escape(w) + (_NOT_COUNTRY_ZH if w == "全国" else "") for w in words)
        named = re.compile(alt) if alt else re.compile(r"(?!x)x")
        place = rf"(?:全国|全省|全市|我国|中西部|西部地区|西部|东部|{alt})" if alt else r"(?:全国)"
        yard = re.compile("|".join((
            rf"(?:{_COMPARE_ZH})[^，,。；;：:]{{0,8}}?{place}(?:平均水平|平均增速|平均|水平|增速|同期)?",
            rf"(?:{_STAND_ZH}){place}(?:的)?(?:{_RANK_ZH})?",
            rf"{place}(?:{_RANK_ZH})",
            # the reach of a network, not whom it is about: 辐射我国18个省, 通达全国…
            r"(?:辐射|覆盖|通达|连接|联通|遍布|延伸至|拓展至|到达|通往|发往|运往|出口到|出口至)"
            r"(?:我国|全国|全球|全省|全市)",
            # a place left out of a figure's scope is not the figure's place: 广东辖内(不含深圳)
            rf"(?:不含|不包括|除去|除){place}(?:以外|之外|外)?",
            r"继\S{1,8}?之?后", r"仅次于\S{1,6}?(?=[，,。；;、]|$)", r"仅次于\S{1,4}")))
    return named, by_word, yard


def _key(places_: dict[str, Place]) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    return tuple(sorted((p.place_id, p.kind, p.words) for p in places_.values()))


def blank(text: str, pattern: re.Pattern | str, flags: int = 0) -> str:
    """Overwrite the matches of a pattern with spaces, keeping every offset."""
    pat = re.compile(pattern, flags) if isinstance(pattern, str) else pattern
    return pat.sub(lambda m: " " * len(m[0]), text)


def mentions(text: str, lang: str, places_: dict[str, Place] | None = None) -> list[Mention]:
    """Every place a text speaks of, in order: named places and generic words, leaving out
    yardsticks and places inside names.

    Args:
        text: The text (a quote, a clause, a whole release).
        lang: "zh" or "en".
        places_: The places known (default: the glossary's; see :func:`places`).
    """
    known = places_ if places_ is not None else gazetteer()
    named, by_word, yard = _patterns(_key(known), lang)
    if lang == "zh":
        text = to_simplified(text)  # 全國, 四川 stored in traditional script (offsets kept)
    work = blank(text, _NAMES_EN if lang == "en" else _NAMES_ZH, re.I if lang == "en" else 0)
    work = blank(work, yard)
    found: list[Mention] = []
    for m in named.finditer(work):
        hit = by_word.get(m[0]) or next((v for w, v in by_word.items() if w.lower() == m[0].lower()),
                                        None)
        if hit is not None:
            found.append(Mention(m.start(), m.end(), m[0], hit[1], hit[0]))
    taken = [(x.start, x.end) for x in found]
    if lang == "zh":  # 宜宾市, 泸州市: a city the places do not know is still another place
        for m in _OTHER_CITY_ZH.finditer(work):
            if m[0][1] in _NOT_CITY_END:
                continue
            if not any(s < m.end() and m.start() < e for s, e in taken):
                found.append(Mention(m.start(), m.end(), m[0], "other_city", ""))
                taken.append((m.start(), m.end()))
    generic = list(_GENERIC_EN if lang == "en" else _GENERIC_ZH)
    if lang == "en":
        generic.append(("country", _COUNTRY_EN))
    named_at = {x.start for x in found}
    for kind, pat in generic:
        for m in re.finditer(pat, work, re.I if lang == "en" else 0):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            of = re.match(r"\s+of\s+", work[m.end():])
            if of and m.end() + of.end() in named_at:   # "the city of Chengdu" is Chengdu, no other city
                continue
            pid = "china" if kind == "country" else ""
            found.append(Mention(m.start(), m.end(), m[0], kind, pid))
    return sorted(found, key=lambda x: x.start)


_FITS = {"country": ("country",), "province": ("province",), "city": ("city", "municipality")}


def supports(m: Mention, entity_id: str, kind: str) -> bool:
    """True when a mention can be of this entity: its own name, or a generic word of its kind
    (全省 for a province, 全市 for a city or municipality, 全国 for the country). A place around
    it is not (a Sichuan figure whose quote says only 我国 is the nation's), nor one within it
    (a national figure whose quote says only 四川省 is Sichuan's)."""
    if m.place_id or m.kind == "other_city":
        return bool(m.place_id) and m.place_id == entity_id
    return kind in _FITS.get(m.kind, ())


#: What ends a clause: the place words of the figure's own clause decide whose it is (Chinese
#: text adds its full-width marks to the ASCII ones).
_CLAUSE_END = ",;:!?"
_CLAUSE_END_ZH = "，。；：！？" + _CLAUSE_END


def clause_of(text: str, lang: str, start: int, end: int) -> tuple[int, int]:
    """The span of the clause holding text[start:end] (punctuation of the language ends one).

    >>> q = "全国贷款增长6.6%，全省本外币各项贷款余额91978亿元"
    >>> a, b = clause_of(q, "zh", q.index("91978"), q.index("91978") + 5); q[a:b]
    '全省本外币各项贷款余额91978亿元'
    """
    stops = _CLAUSE_END_ZH if lang == "zh" else _CLAUSE_END
    a = max((i + 1 for i, ch in enumerate(text[:start]) if ch in stops), default=0)
    b = next((start + i for i, ch in enumerate(text[start:]) if ch in stops and start + i >= end), len(text))
    return a, b


def contradiction(quote: str, lang: str, entity_id: str, kind: str,
                  places_: dict[str, Place], value_at: tuple[int, int] | None = None) -> Mention | None:
    """The place word of a quote that says the figure is not this place entity's, or None.

    A quote that names no place, or names the entity (or a place within it or around it) as
    well, does not contradict it: 四川优质企业通过重庆的银行机构… is Chongqing's. A quote whose
    every place word is another place does: a national figure whose quote says 全省 or 四川,
    a Chongqing figure whose quote says 全国 or 全省.

    Args:
        value_at: Where the figure's value stands in the quote. The place words of its own
            clause then decide, when it has any: "全国…，全省本外币各项贷款余额91978亿元" is the
            province's 91978 whatever an earlier clause names.
    """
    if kind not in PLACE_TYPES or kind == "region":
        return None
    found = mentions(quote, lang, places_)
    if value_at is not None:
        a, b = clause_of(quote, lang, *value_at)
        own = [m for m in found if a <= m.start and m.end <= b]
        found = own or found
    if not found or any(supports(m, entity_id, kind) for m in found):
        return None
    return found[0]
