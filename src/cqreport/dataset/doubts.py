"""A doubted figure stays doubted: the check that a repeat of it keeps its caution.

A curator marks a figure implausible with a reason in ``caution``. When another source
repeats the same figure (same metric, entity, end date, value and bound: "over 110 billion
USD" again), the new row must keep the doubt (a ``caution`` of its own), or clear it
openly: a ``note`` that says ``caution cleared: <why>``. Otherwise the repeat would feed the
report with a figure the data already doubts.

:func:`figure_key` is also what the extractor uses to show a candidate's history (the
rows already in the data that hold the same figure).
"""

from __future__ import annotations

import re

from ..core.vocab import QUALIFIERS, UNITS
from ..errors import Problem
from .load import Table, display_path

#: How a note clears an inherited doubt: "caution cleared: the customs release confirms it".
CLEARED = re.compile(r"caution cleared:\s*\S", re.I)


def figure_key(value: str, unit: str, qualifier: str, period_end: str) -> tuple | None:
    """What makes two rows the same figure, whatever the source: the value in its base unit
    (6.54万亿元 = 65400亿元), its bound (超 = over) and the date it ends on; None when the value
    or unit cannot be read.

    >>> figure_key("6.54", "万亿元", "", "2026-03-31") == figure_key("65400", "亿元", "", "2026-03-31")
    True
    >>> figure_key("110", "billion USD", "over", "2025-03-31") == figure_key("110", "billion USD", "", "2025-03-31")
    False
    """
    u = UNITS.get(unit)
    try:
        v = float(value)
    except ValueError:
        return None
    if u is None:
        return None
    bound = QUALIFIERS[qualifier].bound if qualifier in QUALIFIERS else "exact"
    return u.base, float(f"{v * u.factor:.9g}"), bound, period_end


def check_doubts_kept(tables: dict[str, Table]) -> list[Problem]:
    """A row that repeats a cautioned figure keeps a caution, or its note clears it with a reason."""
    t = tables.get("observations")
    if t is None or not t.ok:
        return []
    of = t.frame
    need = ("metric_id", "entity_id", "value", "unit", "qualifier", "period_end", "caution", "note")
    if not all(c in of.columns for c in need):
        return []
    doubted: dict[tuple, tuple[int, str]] = {}
    rows = list(zip(of.index, of[list(need)].itertuples(index=False), strict=True))
    for row, o in rows:
        key = figure_key(o.value, o.unit, o.qualifier, o.period_end)
        if o.caution and key is not None:
            doubted.setdefault((o.metric_id, o.entity_id, key), (row, o.caution))
    if not doubted:
        return []
    where = display_path(t.path)
    problems = []
    for row, o in rows:
        if o.caution or CLEARED.search(o.note):
            continue
        key = figure_key(o.value, o.unit, o.qualifier, o.period_end)
        hit = doubted.get((o.metric_id, o.entity_id, key)) if key is not None else None
        if hit is None:
            continue
        problems.append(Problem(
            where, row, "caution",
            f"an empty cell, though row {hit[0]} holds the same figure with the caution {hit[1]!r}",
            f"the doubt kept (a caution and caution_zh of its own: row {hit[0]}'s, or your own "
            "reason), or a note saying 'caution cleared: <why the doubt no longer holds>'",
            "doubt-dropped"))
    return problems
