"""Judgements computed from the data: what an analyst says about a figure.

Each judgement is a number with its inputs and method, like a derived figure,
so the report can cite it and the audit can read it:

* ``pace``: growth faster or slower than the growth of the same series at the
  previous period of the same frequency (the previous quarter-end, the previous
  year), or failing that a year earlier; never across a skipped period;
* ``national_gap``: growth minus the national growth (entity of type country) of
  the same definition at the same date, checked against a gap the release reports
  itself (``vs_national_pp``, 高于全国X个百分点).

Both ask :func:`cqreport.analysis.comparable.compare` what may be compared. A national
figure of another definition (all-currency against RMB loans) gives no gap; the
judgement then says which it was and why it is not comparable, so the report can say
so once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd

from ..core.vocab import NATIONAL_ENTITY_TYPES
from ..dataset.model import Dataset
from .comparable import Verdict, compare
from .derive import growth_rows


@dataclass(frozen=True)
class Judgement:
    """One computed judgement.

    Attributes:
        judgement_id: Stable id: ``kind:metric@entity/end``.
        kind: pace | national_gap.
        metric_id: The series judged.
        entity_id: Its entity.
        end: The date judged.
        value: The difference in percentage points (None when no like-for-like partner).
        decimals: Decimals the difference carries (the finer of its inputs' growth rates).
        inputs: obs_ids, the judged one first.
        method: How to redo it, with the inputs as reported.
        reported_pp: The gap the release itself reports (national_gap only), or None.
        agrees: True when ``reported_pp`` equals ``value`` within the inputs' rounding
            (None when there is nothing to check).
        unlike: For national_gap without a same-definition partner: the national series
            that exists at that date (to say once that it is not comparable).
        verdict: Why not (:class:`~cqreport.analysis.comparable.Verdict`), with ``unlike``.
    """

    judgement_id: str
    kind: str
    metric_id: str
    entity_id: str
    end: date
    value: float | None
    decimals: int
    inputs: tuple[str, ...]
    method: str
    reported_pp: float | None = None
    agrees: bool | None = None
    unlike: str = ""
    verdict: Verdict | None = None

    @property
    def direction(self) -> str:
        """faster | slower | same (pace), above | below | level (national_gap), '' without a value."""
        if self.value is None:
            return ""
        words = ("faster", "slower", "same") if self.kind == "pace" else ("above", "below", "level")
        shown = round(self.value, self.decimals)
        return words[0] if shown > 0 else words[1] if shown < 0 else words[2]


def _growth_of(o: pd.Series) -> float:
    return float(o["yoy_pct"]) if not pd.isna(o["yoy_pct"]) else float(o["value"])


def _dec(o: pd.Series) -> int:
    col = "yoy_decimals" if not pd.isna(o["yoy_pct"]) else "decimals"
    d = o.get(col)
    return 0 if d is None or (isinstance(d, float) and math.isnan(d)) else int(d)


def pace(ds: Dataset, o: pd.Series) -> Judgement | None:
    """Growth against the growth of the same series at the previous period, or a year earlier.

    The previous quarter-end for a quarter-end stock (or the previous year for an annual
    flow) comes first; the same period a year earlier otherwise. Growth-only rows of the
    series count (the end-2025 7.2% of the RMB loan balance). Nothing further back: growth
    is never compared across a skipped period.
    """
    if pd.isna(o["yoy_pct"]):
        return None
    g = growth_rows(ds, o["metric_id"], o["entity_id"])
    g = g[(g["end"] < o["end"]) & (g["obs_id"] != o["obs_id"])]
    cands = [r for _, r in g.iterrows() if compare(o, r, periods=True)]
    if not cands:
        return None
    prev = max(cands, key=lambda r: r["end"])   # the adjacent period before the year-earlier one
    dec = max(_dec(o), _dec(prev))
    value = round(float(o["yoy_pct"]) - _growth_of(prev), dec)
    return Judgement(
        judgement_id=f"pace:{o['metric_id']}@{o['entity_id']}/{o['end'].isoformat()}",
        kind="pace", metric_id=o["metric_id"], entity_id=o["entity_id"], end=o["end"], value=value,
        decimals=dec, inputs=(o["obs_id"], prev["obs_id"]),
        method=f"{o['yoy_pct']:g}% − {_growth_of(prev):g}% ({prev['end'].isoformat()})")


def _nations(ds: Dataset) -> list[str]:
    return list(ds.entities.index[ds.entities["entity_type"].isin(NATIONAL_ENTITY_TYPES)])


def _concepts(ds: Dataset) -> pd.Series:
    """Each metric's concept (its own id when the catalogue names none)."""
    c = ds.metrics["concept"]
    return c.where(c != "", pd.Series(ds.metrics.index, index=ds.metrics.index))


def national_rows(ds: Dataset, o: pd.Series) -> list[pd.Series]:
    """The nation's growth rates at o's date of o's concept, in any definition, the best first."""
    out = []
    for nation in _nations(ds):
        for mid in ds.metrics.index[_concepts(ds) == o["concept"]]:
            if ds.metrics.loc[mid, "growth_of"]:
                continue
            g = growth_rows(ds, mid, nation)
            out += [r for _, r in g[g["end"] == o["end"]].iterrows()]
    return out


def national_gap(ds: Dataset, o: pd.Series) -> Judgement | None:
    """Growth minus the nation's growth of the same definition at the same date.

    Returns None when the nation has no growth rate of this concept at that date; a
    Judgement with ``value=None`` and ``unlike`` (the national metric) and ``verdict`` (why
    not) when it has one only in another definition (the release's own 高于全国 gap is
    still checked against it, and the result says which it was).
    """
    # a growth-only row (growth_of) is its level's growth: its value is the rate
    if (pd.isna(o["yoy_pct"]) and not o.get("growth_of")) or o["entity_id"] in _nations(ds):
        return None
    nats = national_rows(ds, o)
    if not nats:
        return None
    reported = None if pd.isna(o["vs_national_pp"]) else float(o["vs_national_pp"])
    jid = f"national_gap:{o['metric_id']}@{o['entity_id']}/{o['end'].isoformat()}"
    like = [n for n in nats if compare(o, n, across_entities=True)]
    n = like[0] if like else nats[0]
    dec = max(_dec(o), _dec(n))
    diff = round(_growth_of(o) - _growth_of(n), dec)
    agrees = None if reported is None else bool(abs(reported - diff) <= 10 ** -dec + 1e-9)
    if like:
        return Judgement(jid, "national_gap", o["metric_id"], o["entity_id"], o["end"], diff, dec,
                         (o["obs_id"], n["obs_id"]), f"{_growth_of(o):g}% − {_growth_of(n):g}% (全国)",
                         reported, agrees)
    verdict = compare(o, n, across_entities=True)
    return Judgement(jid, "national_gap", o["metric_id"], o["entity_id"], o["end"], None, dec,
                     (o["obs_id"], n["obs_id"]),
                     f"{_growth_of(o):g}% − {_growth_of(n):g}% ({n['metric_id']}, 全国; not like for like)",
                     reported, agrees, unlike=n["metric_id"], verdict=verdict)


def judgements_for(ds: Dataset, o: pd.Series) -> list[Judgement]:
    """Every judgement about one observation (see the module doc)."""
    return [j for j in (pace(ds, o), national_gap(ds, o)) if j is not None]
