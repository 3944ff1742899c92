"""The validation check that a figure's quote does not say it belongs to another place.

A national figure whose quote says 全省 or 四川, a Chongqing figure whose quote says 全国
or names only Sichuan, a Sichuan figure whose quote says 全国: each is refused. The place
words are read by :mod:`cqreport.core.places`, the same reading the extractor uses to
propose an entity, so the two never disagree about what a quote says.
"""

from __future__ import annotations

from ..core.numbers import find_numbers
from ..core.places import contradiction, places
from ..core.vocab import REPORT_LANGS
from ..errors import Problem
from .load import Table, display_path


def check_entity_places(tables: dict[str, Table]) -> list[Problem]:
    """An observation's entity must not be contradicted by the place words of its quote."""
    obs, ents, srcs = (tables.get(n) for n in ("observations", "entities", "sources"))
    if not all(t is not None and t.ok for t in (obs, ents, srcs)):
        return []
    of, ef, sf = obs.frame, ents.frame, srcs.frame
    need = {"entity_id", "quote", "source_id", "value"}
    if not (need <= set(of.columns) and {"entity_id", "entity_type"} <= set(ef.columns)
            and {"source_id", "language"} <= set(sf.columns)):
        return []
    rows = ef.to_dict("records")
    known = places(rows)
    kinds = {e["entity_id"]: e["entity_type"] for e in rows}
    names = {e["entity_id"]: e.get("name_en", "") for e in rows}
    langs = dict(zip(sf["source_id"], sf["language"], strict=True))
    where = display_path(obs.path)
    problems = []
    for row, o in zip(of.index, of[["entity_id", "quote", "source_id", "value"]].itertuples(index=False),
                      strict=True):
        lang = langs.get(o.source_id, "")
        kind = kinds.get(o.entity_id, "")
        if lang not in REPORT_LANGS or not o.quote:  # it and ja quotes are not read
            continue
        m = contradiction(o.quote, lang, o.entity_id, kind, known, _value_at(o.quote, o.value))
        if m is None:
            continue
        said = m.place_id or f"a {m.kind} ({m.word})"
        problems.append(Problem(
            where, row, "entity_id",
            f"'{o.entity_id}' ({kind}), but the quote speaks of {said}: '{m.word}' in {o.quote!r}",
            f"the entity the quote names ({_hint(m, known)}), or a quote that names "
            f"{names.get(o.entity_id) or o.entity_id}", "entity-contradicted"))
    return problems


def _value_at(quote: str, value: str) -> tuple[int, int] | None:
    """Where the row's value is written in its quote (the first place it is), or None."""
    try:
        want = float(value)
    except ValueError:   # a malformed value: the schema check reports it
        return None
    return next(((n.start, n.end) for n in find_numbers(quote) if abs(n.value - want) < 1e-9), None)


def _hint(m, known) -> str:
    if m.place_id:
        return m.place_id
    return {"province": "the province's own entity, such as sichuan",
            "city": "the city's own entity, such as chongqing",
            "country": "china"}.get(m.kind, m.kind)
