"""What changed between two editions of the report: new, revised and removed figures.

An edition is the data as published by a date (:func:`~cqreport.analysis.quarter.as_published`):
the previous quarter's report as it stood at its own cut-off, against this one at its cut-off,
or any two ``--as-of`` dates. A *figure* is a group of rows that describe one value (a release, the
reports of it and its restatements: the grouping of ``dataset/model.py``); each edition uses its
preferred row for it, and two editions' figures are the same when their groups share a
row. Like ALFRED's first release against the latest, and ONS's list of revisions with a
reason for each:

* ``new`` (+): a figure the later edition has and the earlier did not;
* ``revised`` (~): a figure both have, whose value, qualifier or definition differs, with the
  reason: ``revision`` (a later release restated it), ``better_source`` (a better-graded source
  now gives it), ``definition`` (it now stands under another definition), ``correction`` (the
  same source, read again);
* ``removed`` (−): a figure the earlier edition used that the later no longer uses (a curator
  now doubts it, or a restatement superseded it under another period).

Only figures a report can cite are listed: Chongqing's and its sub-entities' rows of the
report's topics, not the national or regional yardsticks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd

from ..core.vocab import COMPARATOR_ENTITY_TYPES, reliability_grades
from ..dataset.model import Dataset
from .quarter import as_published, data_cutoff

MARKS = {"new": "+", "revised": "~", "removed": "−"}


@dataclass(frozen=True)
class Change:
    """One figure that differs between two editions.

    Attributes:
        kind: new | revised | removed (:data:`MARKS` gives the legend's sign).
        key: (concept, entity_id, start, end) of the figure as the later edition has it.
        before: obs_id in the earlier edition ('' when new).
        after: obs_id in the later edition ('' when removed).
        reason: For ``revised``: revision | better_source | definition | correction; else ''.
    """

    kind: str
    key: tuple
    before: str
    after: str
    reason: str = ""

    @property
    def mark(self) -> str:
        return MARKS[self.kind]


def _figures(vintage: Dataset, cutoff: date) -> list[tuple[frozenset[str], pd.Series]]:
    """The figures of one edition: for each group of rows that describe one figure (a release
    and its restatements, dataset/model.py), the obs_ids of the group and its preferred row."""
    comparators = set(vintage.entities.index[vintage.entities["entity_type"].isin(COMPARATOR_ENTITY_TYPES)])
    o = vintage.observations
    o = o[~o["entity_id"].isin(comparators) & (o["end"] <= cutoff)]
    out = []
    for _, group in o.groupby("figure", sort=False):
        pref = group[group["preferred"]]
        if len(pref):
            out.append((frozenset(_row_key(r) for _, r in group.iterrows()), pref.iloc[0]))
    return out


def _row_key(r: pd.Series) -> tuple:
    """A row's key (the table's: obs_id alone repeats for two spans that end on one day)."""
    return (r["obs_id"], r["start"])


def _key(r: pd.Series) -> tuple:
    return (r["concept"], r["entity_id"], r["start"], r["end"])


def _same(a: pd.Series, b: pd.Series) -> bool:
    return (math.isclose(float(a["value_base"]), float(b["value_base"]), rel_tol=1e-9)
            and a["bound"] == b["bound"] and a["metric_id"] == b["metric_id"])


def _reason(a: pd.Series, b: pd.Series) -> str:
    """Why figure ``a`` (earlier edition) reads as ``b`` (later edition)."""
    if a["metric_id"] != b["metric_id"]:
        return "definition"
    if a["source_id"] == b["source_id"]:
        return "correction"
    rank = {g: i for i, g in enumerate(reliability_grades())}
    if rank[b["reliability"]] < rank[a["reliability"]]:
        return "better_source"
    return "revision"


def compare_editions(ds: Dataset, earlier: date, later: date) -> list[Change]:
    """Every figure that is new, revised or removed between the editions of two dates.

    Args:
        ds: The data (all of it; each edition is the part published by its date).
        earlier: The earlier edition's date (a cut-off or an --as-of date).
        later: The later edition's date.

    Returns:
        The changes, new first, then revised, then removed; within each, oldest period first.
    """
    if later < earlier:
        earlier, later = later, earlier
    before = _figures(as_published(ds, earlier), earlier)
    after = _figures(as_published(ds, later), later)
    out: list[Change] = []
    matched: set[int] = set()
    for ids, b in after:
        # the same figure: a group sharing a row (a restatement keeps the earlier release's row)
        hit = next(((i, a) for i, (prev_ids, a) in enumerate(before) if prev_ids & ids), None)
        if hit is None:
            out.append(Change("new", _key(b), "", b["obs_id"]))
            continue
        matched.add(hit[0])
        a = hit[1]
        if not _same(a, b):
            out.append(Change("revised", _key(b), a["obs_id"], b["obs_id"], _reason(a, b)))
    out += [Change("removed", _key(a), a["obs_id"], "") for i, (_, a) in enumerate(before) if i not in matched]
    order = {"new": 0, "revised": 1, "removed": 2}
    return sorted(out, key=lambda c: (order[c.kind], c.key[3], c.key[0], c.key[1]))


def changes_since_previous(ds: Dataset, quarter) -> tuple[date, date, list[Change]]:
    """The changes of a quarter's report against the previous quarter's report at its own cut-off.

    Returns:
        (previous cut-off, this cut-off, changes). With no previous quarter in the data, the
        previous cut-off is the day before the first source and every figure is new.
    """
    q = ds.resolve_quarter(quarter)
    this = data_cutoff(ds, q)
    prev_q = q.previous()
    prev = data_cutoff(ds, prev_q)
    return prev, this, compare_editions(ds, prev, this)


def edition_date(ds: Dataset, edition: str) -> date:
    """An edition named on the command line: a quarter (its report's cut-off) or an ISO date.

    Raises:
        QuarterError: For a malformed quarter label, or a quarter without data.
    """
    try:
        return date.fromisoformat(edition)
    except ValueError:
        return data_cutoff(ds, ds.resolve_quarter(edition))


def describe_changes(ds: Dataset, earlier: str, later: str) -> str:
    """What changed between two editions, one line per figure (``cqreport diff A B``).

    Each edition is a quarter (its report as it stood at its cut-off) or an ISO date (the data
    as published by then): ``+`` new, ``~`` revised (with the reason), ``−`` no longer used.
    """
    a, b = edition_date(ds, earlier), edition_date(ds, later)
    changes = compare_editions(ds, a, b)
    lines = [f"{earlier} ({a.isoformat()}) -> {later} ({b.isoformat()}): {len(changes)} change(s)"]
    obs = ds.observations.drop_duplicates("obs_id").set_index("obs_id")
    for c in changes:
        def shown(oid: str) -> str:
            if not oid:
                return "-"
            r = obs.loc[oid]
            return f"{r['qualifier'] or ''}{r['value']:g} {r['unit']} ({r['source_id']})"
        concept, entity, start, end = c.key
        span = f"{start.isoformat()}..{end.isoformat()}" if start else end.isoformat()
        why = f"  [{c.reason}]" if c.reason else ""
        lines.append(f"{c.mark} {concept}@{entity} {span}: {shown(c.before)} -> {shown(c.after)}{why}")
    return "\n".join(lines)
