"""Judgements computed from the data: what an analyst says about a figure.

Each judgement is a number with its inputs and method, like a derived figure,
so the report can cite it and the audit can read it:

* ``pace``: growth faster or slower than the last comparable figure (same
  metric and entity, an earlier date), by so many percentage points;
* ``national_gap``: growth minus the national growth (entity ``china``, same
  metric, same date), checked against a gap the release reports itself
  (``vs_national_pp``, 高于全国X个百分点).

Like with like only: a national figure of another series (RMB loans against
all-currency loans) gives no gap; :func:`national_gap` says which series the
nation has at that date instead, so the report can say so once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd

from ..dataset.model import Dataset
from .derive import _same_series

NATION = "china"
#: Series that measure the same thing in another definition (never compared).
RELATED = {
    "loan_balance_rmb": ("loan_balance_all",),
    "loan_balance_all": ("loan_balance_rmb",),
}


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
        unlike: For national_gap without a same-series partner: the national series
            that exists at that date (to say once that it is not comparable).
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

    @property
    def direction(self) -> str:
        """faster | slower | same (pace), above | below | level (national_gap), '' without a value."""
        if self.value is None:
            return ""
        words = ("faster", "slower", "same") if self.kind == "pace" else ("above", "below", "level")
        shown = round(self.value, self.decimals)
        return words[0] if shown > 0 else words[1] if shown < 0 else words[2]


def _dec(o: pd.Series) -> int:
    d = o.get("yoy_decimals")
    return 0 if d is None or (isinstance(d, float) and math.isnan(d)) else int(d)


def _has_growth(o: pd.Series) -> bool:
    return not pd.isna(o["yoy_pct"])


def pace(ds: Dataset, o: pd.Series) -> Judgement | None:
    """Growth against the latest earlier growth rate of the same series (a stock's YoY)."""
    if not _has_growth(o):
        return None
    s = _same_series(ds, o)
    s = s[(s["end"] < o["end"]) & s["yoy_pct"].notna() & (s["period_type"] == o["period_type"])]
    if o["period_type"] == "flow":   # flows: only the same span length (一季度 with 一季度)
        span = (o["end"] - o["start"]).days if o["start"] else None
        s = s[s.apply(lambda r: r["start"] is not None and abs((r["end"] - r["start"]).days - span) <= 5,
                      axis=1)] if span is not None and len(s) else s.iloc[0:0]
    if s.empty:
        return None
    prev = s.sort_values("end").iloc[-1]
    dec = max(_dec(o), _dec(prev))
    value = round(float(o["yoy_pct"]) - float(prev["yoy_pct"]), dec)
    return Judgement(
        judgement_id=f"pace:{o['metric_id']}@{o['entity_id']}/{o['end'].isoformat()}",
        kind="pace", metric_id=o["metric_id"], entity_id=o["entity_id"], end=o["end"], value=value,
        decimals=dec, inputs=(o["obs_id"], prev["obs_id"]),
        method=f"{o['yoy_pct']:g}% − {prev['yoy_pct']:g}% ({prev['end'].isoformat()})")


def national_gap(ds: Dataset, o: pd.Series) -> Judgement | None:
    """Growth minus the nation's growth for the same series at the same date.

    Returns None when the nation has no figure of this or a related series at that
    date; a Judgement with ``value=None`` and ``unlike`` set when it has only a
    related series (the release's own 高于全国 gap is still checked against it, and
    the result says which series it was).
    """
    if not _has_growth(o) or o["entity_id"] == NATION:
        return None
    nat = ds.preferred_by_series.get((o["metric_id"], NATION))
    hit = None if nat is None else nat[(nat["end"] == o["end"]) & nat["yoy_pct"].notna()]
    reported = None if pd.isna(o["vs_national_pp"]) else float(o["vs_national_pp"])
    jid = f"national_gap:{o['metric_id']}@{o['entity_id']}/{o['end'].isoformat()}"
    if hit is not None and not hit.empty:
        n = hit.iloc[0]
        dec = max(_dec(o), _dec(n))
        value = round(float(o["yoy_pct"]) - float(n["yoy_pct"]), dec)
        agrees = None if reported is None else bool(abs(reported - value) <= 10 ** -dec + 1e-9)
        return Judgement(jid, "national_gap", o["metric_id"], o["entity_id"], o["end"], value, dec,
                         (o["obs_id"], n["obs_id"]), f"{o['yoy_pct']:g}% − {n['yoy_pct']:g}% (全国)",
                         reported, agrees)
    for other in RELATED.get(o["metric_id"], ()):
        nat = ds.preferred_by_series.get((other, NATION))
        if nat is None:
            continue
        hit = nat[(nat["end"] == o["end"]) & nat["yoy_pct"].notna()]
        if not hit.empty:
            n = hit.iloc[0]
            dec = max(_dec(o), _dec(n))
            diff = round(float(o["yoy_pct"]) - float(n["yoy_pct"]), dec)
            agrees = None if reported is None else bool(abs(reported - diff) <= 10 ** -dec + 1e-9)
            return Judgement(jid, "national_gap", o["metric_id"], o["entity_id"], o["end"], None, dec,
                             (o["obs_id"], n["obs_id"]),
                             f"{o['yoy_pct']:g}% − {n['yoy_pct']:g}% ({other}, 全国; not like for like)",
                             reported, agrees, unlike=other)
    return None


def judgements_for(ds: Dataset, o: pd.Series) -> list[Judgement]:
    """Every judgement about one observation (see the module doc)."""
    return [j for j in (pace(ds, o), national_gap(ds, o)) if j is not None]
