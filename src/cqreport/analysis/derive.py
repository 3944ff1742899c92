"""Figures analysts compute by hand, computed once, with their inputs and method.

Every derived figure records the observations it came from (``inputs``, the
main one first), the method, and a formula a reader can redo. It is marked
``derived`` and carries a qualifier propagated from its inputs:

* an input's qualifier has a *bound*: exact, approx (约), lower (超, 余…: the
  true value is above) or upper (近: just below);
* a bound passes through an operation that grows with that input, and flips
  (lower ↔ upper) through one that shrinks with it (a subtracted value, a
  denominator, a growth rate one divides by);
* exact inputs add nothing; one kind of bound gives that bound; anything mixed
  gives approx. So an input of 约 makes the result 约, 超745亿元 at +3.6%
  implies 超719亿元 a year earlier, and 近4000亿元 at +37% implies 近2920亿元.

Only like is compared with like: every comparison uses one metric (one series
definition) and one entity. Cross-checks compare a reported figure with the
same figure derived from other rows, using the rounding each was reported
with: they agree when the two intervals overlap.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..core.numbers import interval
from ..core.periods import Quarter, shift_years
from ..core.vocab import BOUND_WORDS, DEFINITION_FIELDS, UNITS, reliability_grades
from .comparable import compare

if TYPE_CHECKING:
    from ..dataset.model import Dataset

#: A row of the observations: a pandas row, or the same fields as a plain dict.
Row = Mapping[str, Any]
#: Fetches the row at a position of ``ds.observations``.
Fetch = Callable[[int], Row]

FLIP = {"lower": "upper", "upper": "lower", "approx": "approx", "exact": "exact"}
PCT_DECIMALS = 1


@dataclass(frozen=True)
class Derived:
    """A figure computed from reported ones.

    Attributes:
        derived_id: Stable id: ``method:metric@entity/start..end``.
        metric_id: The series the figure belongs to (for shares: the part).
        entity_id: Entity.
        method: implied_base | increment | yoy_pct | qoq_pct | yoy_diff | share | ratio.
        start: First day of the span it covers (None for a stock).
        end: Its as-of date or last day.
        value: The value in ``unit``.
        unit: A vocabulary unit: the main input's unit, or % for rates and shares.
        value_base: The value in the metric's base unit (for % units: the percent).
        bound: exact, approx, lower or upper (see module doc).
        qualifier: Chinese word for the bound ('' when exact).
        decimals: Precision to show it with: no finer than its inputs' rounding allows.
        low: Lowest value the inputs allow, given how each was rounded and qualified.
        high: Highest such value (inf for a lower bound).
        inputs: obs_ids it was computed from, the main (later) one first.
        formula: How to redo it, with the inputs as reported.
        uncertain: True when the range the inputs allow is wider than the figure can honestly
            be written (:func:`too_uncertain`): such a figure is never shown in the text.
        derived: Always True; lets code tell derived figures from observations.
    """

    derived_id: str
    metric_id: str
    entity_id: str
    method: str
    start: date | None
    end: date
    value: float
    unit: str
    value_base: float
    bound: str
    qualifier: str
    decimals: int
    low: float
    high: float
    inputs: tuple[str, ...]
    formula: str
    uncertain: bool = False
    derived: bool = True


@dataclass(frozen=True)
class CrossCheck:
    """A reported figure checked against the same figure derived from other rows.

    Attributes:
        reported_id: obs_id of the reported figure.
        derived_id: The derived figure it was compared with.
        implied_by: obs_id of the observation whose YoY implied the derived figure.
        metric_id: The series.
        reported: Reported value, in ``unit``.
        low: Lowest value the derivation allows given its inputs' rounding.
        high: Highest such value.
        unit: Unit of the three numbers.
        agrees: True when the reported rounding interval overlaps [low, high].
        note: One line for people.
    """

    reported_id: str
    derived_id: str
    implied_by: str
    metric_id: str
    reported: float
    low: float
    high: float
    unit: str
    agrees: bool
    note: str


def combine_bounds(parts: Iterable[tuple[str, int]]) -> str:
    """The bound of a result from its inputs' bounds and the direction each one acts in.

    Args:
        parts: (bound, +1 or -1) per input: +1 when the result grows with the input.

    Examples:
        >>> combine_bounds([("exact", 1), ("approx", 1)])
        'approx'
        >>> combine_bounds([("lower", 1), ("exact", -1)])
        'lower'
        >>> combine_bounds([("exact", 1), ("lower", -1)])
        'upper'
        >>> combine_bounds([("lower", 1), ("upper", 1)])
        'approx'
    """
    seen = set()
    for bound, sign in parts:
        if bound != "exact":
            seen.add(bound if sign > 0 else FLIP[bound])
    if not seen:
        return "exact"
    return seen.pop() if len(seen) == 1 else "approx"


def _corners(fn, *ranges: tuple[float, float]) -> tuple[float, float]:
    """Range of a function monotone in each argument, from the corners of its inputs' box."""
    vals = []
    for a in ranges[0]:
        for b in ranges[1] if len(ranges) > 1 else (None,):
            try:
                v = fn(a, b)
            except ZeroDivisionError:
                continue
            if not math.isnan(v):
                vals.append(v)
    return (min(vals), max(vals)) if vals else (-math.inf, math.inf)


def _in_unit(o: pd.Series, unit: str) -> float:
    return o["value_base"] / UNITS[unit].factor


def _shown(o: pd.Series) -> str:
    return f"{o['qualifier'] if UNITS[o['unit']].lang == 'zh' else ''}{o['value']:g}" \
           f"{'' if UNITS[o['unit']].lang == 'zh' else ' '}{o['unit']}"


def _growth(o: pd.Series) -> tuple[float, tuple[float, float], str] | None:
    """The reported YoY growth as a fraction, its rounding range and how it was written."""
    pct = o["yoy_pct"]
    if pd.isna(pct):
        return None
    wording = o.get("yoy_wording", "")
    if wording == "doubled":
        return 1.0, (0.95, 1.05), "翻番"
    d = int(o.get("yoy_decimals", 1))
    if wording == "times":
        d += 2
    half = 0.5 * 10 ** -d
    text = f"{pct / 100:g}倍" if wording == "times" else f"{pct:g}%"
    return pct / 100, ((pct - half) / 100, (pct + half) / 100), text


def precision(value: float, low: float, high: float, decimals: int) -> int:
    """Decimals to show a derived value with: at most ``decimals``, at an analyst's precision.

    A digit is kept while the range moves it by at most one unit, and in any case two
    significant digits are kept: rounding 6.5 to 6 or 0.25 to 0.3 would move the
    central value by half its last digit, which no analyst would print. The figure is
    then marked 约 and its range goes to the appendix.

    >>> precision(6.1236, 6.116, 6.131, 2)   # ±0.0075: two decimals carry meaning
    2
    >>> precision(9.491, 9.490, 9.492, 1)
    1
    >>> precision(6.5, 5.6, 7.4, 1)          # ±0.9: still 约6.5, not 6 or 7
    1
    >>> precision(0.25, 0.195, 0.305, 2)     # 6.25 − 6.0 万亿元: 约0.25, not 0.3
    2
    """
    sides = [abs(value - x) for x in (low, high) if math.isfinite(x)]
    half = max(sides) if sides else 0.0
    if half <= 0:
        return decimals
    return max(0, min(decimals, max(math.floor(-math.log10(half)), analyst_decimals(value))))


#: The widest half-range a derived growth rate or gap may have and still be written (points).
MAX_HALF_RANGE_PP = 0.5


def too_uncertain(value: float, low: float, high: float, unit: str) -> bool:
    """True when a derived figure's range is too wide to write it honestly.

    A growth rate or a gap (in % or points) is written only when the inputs' rounding leaves
    it within ±0.5 points; an amount only when they leave its second significant digit
    uncertain by at most one unit (约4200亿元 from 6.54 − 6.12万亿元 is written; 约430亿元 from
    约2300 − 2733.8亿元, ±50, is not; neither is 6.39 ÷ 6.0 − 1 = 5.6–7.4%). A one-sided
    bound is judged on its finite side.

    >>> too_uncertain(6.5, 5.6, 7.4, "%"), too_uncertain(6.87, 6.69, 7.03, "%")
    (True, False)
    >>> too_uncertain(4200, 4100, 4300, "亿元"), too_uncertain(433.8, 383.8, 483.8, "亿元")
    (False, True)
    """
    sides = [abs(value - x) for x in (low, high) if math.isfinite(x)]
    if not sides:
        return False
    half = max(sides)
    if UNITS[unit].base in ("percent", "pp"):
        return half > MAX_HALF_RANGE_PP + 1e-9
    if not value or not math.isfinite(value):
        return True
    second_digit = 10 ** (math.floor(math.log10(abs(value))) - 1)
    return half > second_digit + 1e-9


def analyst_decimals(value: float, significant: int = 2) -> int:
    """Decimals (negative for tens, hundreds) that keep ``significant`` digits of ``value``.

    >>> analyst_decimals(6.5), analyst_decimals(2500), analyst_decimals(0.25), analyst_decimals(0)
    (1, -2, 2, 0)
    """
    if not value or not math.isfinite(value):
        return 0
    return significant - 1 - math.floor(math.log10(abs(value)))


def _make(method: str, main: pd.Series, start: date | None, end: date, value: float, unit: str,
          bound: str, decimals: int, rng: tuple[float, float], inputs: Iterable[pd.Series],
          formula: str) -> Derived:
    metric = main["metric_id"]
    span = f"{start.isoformat()}.." if start else ""
    base = value if UNITS[unit].base == "percent" else value * UNITS[unit].factor
    shown = precision(value, *rng, decimals)
    if bound == "exact" and any(math.isfinite(x) and abs(x - value) > 0.5 * 10 ** -shown for x in rng):
        bound = "approx"    # rounded inputs leave the last shown digit uncertain
    return Derived(
        derived_id=f"{method}:{metric}@{main['entity_id']}/{span}{end.isoformat()}",
        metric_id=metric, entity_id=main["entity_id"], method=method, start=start, end=end,
        value=value, unit=unit, value_base=base, bound=bound,
        qualifier=BOUND_WORDS[bound]["zh"] if bound in BOUND_WORDS else "", decimals=shown, low=rng[0], high=rng[1],
        inputs=tuple(i["obs_id"] for i in inputs), formula=formula,
        uncertain=too_uncertain(value, rng[0], rng[1], unit))


def _range(o: pd.Series, unit: str | None = None) -> tuple[float, float]:
    """Rounding range of an observation, in ``unit`` (default: its own)."""
    lo, hi = interval(o["value"], int(o["decimals"]), o["bound"])
    if unit is None or unit == o["unit"]:
        return lo, hi
    k = UNITS[o["unit"]].factor / UNITS[unit].factor
    return lo * k, hi * k


def implied_base(o: pd.Series) -> Derived | None:
    """The figure a year earlier implied by a reported YoY rate or YoY difference.

    6.54万亿元 at +6.8% implies 6.54 / 1.068 ≈ 6.12万亿元 a year earlier; a flow of
    2733.8亿元 that is 532.3亿元 more than a year earlier implies 2201.5亿元.
    """
    start = shift_years(o["start"], -1) if o["start"] else None
    end = shift_years(o["end"], -1)
    g = _growth(o)
    if g is not None:
        rate, rate_range, text = g
        bound = combine_bounds([(o["bound"], 1), ("approx" if text == "翻番" else "exact", -1)])
        rng = _corners(lambda a, b: a / (1 + b), _range(o), rate_range)
        return _make("implied_base", o, start, end, o["value"] / (1 + rate), o["unit"], bound,
                     int(o["decimals"]), rng, [o], f"{_shown(o)} ÷ (1 + {text})")
    if not pd.isna(o["yoy_diff"]):
        bound = combine_bounds([(o["bound"], 1)])
        d = int(o.get("yoy_diff_decimals", 0))
        diff_range = (o["yoy_diff"] - 0.5 * 10 ** -d, o["yoy_diff"] + 0.5 * 10 ** -d)
        rng = _corners(lambda a, b: a - b, _range(o), diff_range)
        return _make("implied_base", o, start, end, o["value"] - o["yoy_diff"], o["unit"], bound,
                     max(int(o["decimals"]), d), rng, [o], f"{_shown(o)} − ({o['yoy_diff']:g}{o['unit']})")
    return None


def change(later: pd.Series, earlier: pd.Series, method: str) -> Derived:
    """A comparison of two observations of one series.

    Args:
        later: The main observation.
        earlier: The one it is compared with (same metric and entity).
        method: increment (later − earlier, in later's unit; a stock's change over
            the span, or a year-to-date flow's part since ``earlier``), yoy_diff
            (same, for flows a year apart), yoy_pct or qoq_pct (growth in %).
    """
    verdict = compare(later, earlier)
    if not verdict:
        raise ValueError(f"{later['obs_id']} is not comparable with {earlier['obs_id']}: {verdict.reason}")
    unit = later["unit"]
    bound = combine_bounds([(later["bound"], 1), (earlier["bound"], -1)])
    if method in ("yoy_pct", "qoq_pct"):
        value = (later["value_base"] / earlier["value_base"] - 1) * 100
        rng = _corners(lambda a, b: (a / b - 1) * 100, _range(later, unit), _range(earlier, unit))
        return _make(method, later, None, later["end"], value, "%", bound, PCT_DECIMALS, rng,
                     [later, earlier], f"{_shown(later)} ÷ {_shown(earlier)} − 1")
    value = _in_unit(later, unit) - _in_unit(earlier, unit)
    rng = _corners(lambda a, b: a - b, _range(later, unit), _range(earlier, unit))
    decimals = max(int(later["decimals"]), int(earlier["decimals"]) if earlier["unit"] == unit else 0)
    if later["period_type"] == "flow" and method == "increment":
        start = earlier["end"] + timedelta(days=1)   # the part of a year-to-date flow after `earlier`
    else:
        start = earlier["end"] if method == "increment" else later["start"]
    return _make(method, later, start, later["end"], value, unit, bound, decimals, rng,
                 [later, earlier], f"{_shown(later)} − {_shown(earlier)}")


def share(part: pd.Series, whole: pd.Series) -> Derived:
    """The part's share of the whole, in percent (same entity and period)."""
    value = part["value_base"] / whole["value_base"] * 100
    bound = combine_bounds([(part["bound"], 1), (whole["bound"], -1)])
    rng = _corners(lambda a, b: a / b * 100, _range(part, part["unit"]), _range(whole, part["unit"]))
    return _make("share", part, part["start"], part["end"], value, "%", bound, PCT_DECIMALS, rng,
                 [part, whole], f"{_shown(part)} ÷ {_shown(whole)}")


# ------------------------------------------------------------ finding partners
def _preferred(ds: Dataset) -> pd.DataFrame:
    return ds.observations[ds.observations["preferred"]]


def _same_series(ds: Dataset, o: pd.Series) -> pd.DataFrame:
    s = ds.preferred_by_series.get((o["metric_id"], o["entity_id"]))
    if s is None:
        return ds.observations.iloc[0:0]
    return s[s["obs_id"] != o["obs_id"]]


def _period_key(metric: str, entity: str, start, end) -> tuple:
    # a stock is matched on its exact date, a flow on its start and the month it ends in
    if start is None or (not isinstance(start, date) and pd.isna(start)):
        return (metric, entity, None, end)
    return (metric, entity, start, (end.year, end.month))


def _by_period(ds: Dataset) -> dict[tuple, int]:
    """Positions of the preferred rows by series and period, the oldest first (computed once
    per Dataset, from plain columns): finding the same series a year earlier is a lookup,
    not a scan of the table."""
    if "by_period" not in ds.memo:
        pref = _preferred(ds).sort_values(["end", "source_date"], kind="stable")
        index: dict[tuple, int] = {}
        for pos, metric, entity, start, end in zip(
                ds.observations.index.get_indexer(pref.index), pref["metric_id"], pref["entity_id"],
                pref["start"], pref["end"], strict=True):
            index.setdefault(_period_key(metric, entity, start, end), pos)
        ds.memo["by_period"] = index
    return ds.memo["by_period"]


def year_earlier(ds: Dataset, o: Row, rows: Fetch | None = None) -> Row | None:
    """The same series a year earlier: the stock a year before, or the flow over the same span."""
    start = None if o["start"] is None else shift_years(o["start"], -1)
    pos = _by_period(ds).get(_period_key(o["metric_id"], o["entity_id"], start, shift_years(o["end"], -1)))
    return _at(ds, pos, o, rows)


@dataclass
class _Partners:
    """Where the partners of a row are, by lookup (built once per Dataset from plain columns):
    the positions of the preferred rows by exact period, and each series' rows by end."""

    by_period: dict[tuple, int]                  # (metric, entity, start, end) → first position
    by_end: dict[tuple[str, str], tuple[list[date], list[int]]]   # series → ends (sorted), positions
    share_of: dict[str, str]                     # metric → the metric it is a part of, or ''


def _partners(ds: Dataset) -> _Partners:
    if "partners" not in ds.memo:
        pref = _preferred(ds)
        rows = zip(ds.observations.index.get_indexer(pref.index), pref["metric_id"], pref["entity_id"],
                   pref["start"], pref["end"], strict=True)
        by_period: dict[tuple, int] = {}
        by_end: dict[tuple[str, str], list[tuple[date, int]]] = {}
        for pos, metric, entity, start, end in rows:
            by_period.setdefault((metric, entity, start, end), pos)
            by_end.setdefault((metric, entity), []).append((end, pos))
        ds.memo["partners"] = _Partners(by_period, {
            k: ([e for e, _ in v], [p for _, p in v]) for k, v in
            ((k, sorted(v, key=lambda x: x[0])) for k, v in by_end.items())},
            dict(zip(ds.metrics.index, ds.metrics["share_of"], strict=True)))
    return ds.memo["partners"]


def _at(ds: Dataset, pos: int | None, o: Row, rows: Fetch | None) -> Row | None:
    """The row at a position (fetched by ``rows``, default: the table's row), unless there is
    none, it is o itself, or it may not be compared with o (analysis.comparable)."""
    if pos is None:
        return None
    hit = ds.observations.iloc[pos] if rows is None else rows(pos)
    # the one comparability rule: a partner of another definition is no partner
    return None if hit["obs_id"] == o["obs_id"] or not compare(o, hit) else hit


def previous_quarter(ds: Dataset, o: Row, rows: Fetch | None = None) -> Row | None:
    """For a stock at a quarter end: the same series at the previous quarter's end."""
    if o["period_type"] != "stock":
        return None
    q = Quarter.of(o["end"])
    if o["end"] != q.end:
        return None
    key = (o["metric_id"], o["entity_id"], None, q.previous().end)
    return _at(ds, _partners(ds).by_period.get(key), o, rows)


def earlier_ytd(ds: Dataset, o: Row, rows: Fetch | None = None) -> Row | None:
    """For a year-to-date flow (H1): the same year's flow to the previous quarter end (Q1)."""
    if o["period_type"] != "flow" or o["start"] is None or (o["start"].month, o["start"].day) != (1, 1):
        return None
    q = Quarter.of(o["end"])
    if o["end"] != q.end or q.q == 1:
        return None
    key = (o["metric_id"], o["entity_id"], o["start"], q.previous().end)
    return _at(ds, _partners(ds).by_period.get(key), o, rows)


#: How far back a stock's change is taken from the latest earlier figure of its series (a year
#: and a little): a change over six years says nothing about the quarter.
PREVIOUS_STOCK_DAYS = 400


def previous_stock(ds: Dataset, o: Row, rows: Fetch | None = None) -> Row | None:
    """For a stock: the latest earlier observation of the same series within about a year."""
    if o["period_type"] != "stock":
        return None
    ends, positions = _partners(ds).by_end.get((o["metric_id"], o["entity_id"]), ([], []))
    k = bisect.bisect_left(ends, o["end"])   # the rows before k end earlier
    if not k or ends[k - 1] < o["end"] - timedelta(days=PREVIOUS_STOCK_DAYS):
        return None
    return _at(ds, positions[k - 1], o, rows)


def whole_of(ds: Dataset, o: Row, rows: Fetch | None = None) -> Row | None:
    """The whole an observation is a share of (metric's share_of, same entity and period)."""
    whole_metric = _partners(ds).share_of[o["metric_id"]]
    if not whole_metric or o["start"] is None:
        return None   # as the table scan it replaces: a stock's whole was never found
    key = (whole_metric, o["entity_id"], o["start"], o["end"])
    return _at(ds, _partners(ds).by_period.get(key), o, rows)


def growth_rows(ds: Dataset, metric_id: str, entity_id: str) -> pd.DataFrame:
    """Every published growth rate of a series, oldest first, with the rate in ``growth``.

    The series' own rows that report a YoY, and the rows of a growth-only series of it
    (``growth_of``: the end-2025 7.2% of the RMB loan balance, reported without its level).
    One row per date: a level row's own growth first, else the better growth-only row.
    """
    key = ("growth_rows", metric_id, entity_id)
    if key not in ds.memo:
        own = ds.preferred_by_series.get((metric_id, entity_id), ds.observations.iloc[0:0])
        own = own[own["yoy_pct"].notna()].assign(growth=lambda f: f["yoy_pct"], own=0)
        parts = [own]
        for gm in ds.metrics.index[ds.metrics["growth_of"] == metric_id]:
            g = ds.preferred_by_series.get((gm, entity_id))
            if g is not None:
                parts.append(g.assign(growth=g["value"], own=1))
        rows = pd.concat(parts) if len(parts) > 1 else own
        rank = {r: i for i, r in enumerate(reliability_grades())}
        rows = rows.assign(grade=rows["reliability"].map(rank))
        ds.memo[key] = (rows.sort_values(["end", "own", "grade"]).drop_duplicates("end")
                        .drop(columns=["own", "grade"]).reset_index(drop=True))
    return ds.memo[key]


def published_growth(ds: Dataset, o: pd.Series) -> pd.Series | None:
    """The published growth rate of figure o: its own, a confirming row's (another source's
    row of the same figure), or a growth-only row at its date. A published rate beats a
    derived one; the report names its source's grade when that is low."""
    if not pd.isna(o["yoy_pct"]):
        return o
    obs = ds.observations
    same = obs[(obs["figure"] == o["figure"]) & obs["yoy_pct"].notna() & (obs["caution"] == "")]
    if len(same):
        return same.iloc[0]
    if o["period_type"] != "stock":
        return None
    g = growth_rows(ds, o["metric_id"], o["entity_id"])
    hit = g[g["end"] == o["end"]]
    return None if hit.empty else hit.iloc[0]


#: Ratios derived between two concepts at one date, entity and definition: metric → (numerator, denominator).
RATIOS: dict[str, tuple[str, str]] = {"loan_to_deposit_ratio": ("loan_balance", "deposit_balance")}


def ratios_of(ds: Dataset, o: pd.Series) -> list[Derived]:
    """Ratios whose denominator is o (the loan-to-deposit ratio of a deposit balance), computed from
    the numerator of the same entity, date, currency, compiler and coverage."""
    out = []
    for metric, (num, den) in RATIOS.items():
        if o["concept"] != den or metric not in ds.metrics.index:
            continue
        p = _preferred(ds)
        cands = p[(p["concept"] == num) & (p["entity_id"] == o["entity_id"]) & (p["end"] == o["end"])]
        for _, n in cands.iterrows():
            if all(n[f] == o[f] for f in DEFINITION_FIELDS):
                value = n["value_base"] / o["value_base"] * 100
                bound = combine_bounds([(n["bound"], 1), (o["bound"], -1)])
                rng = _corners(lambda a, b: a / b * 100, _range(n, n["unit"]), _range(o, n["unit"]))
                # the denominator is the main input: the ratio is told with it
                d = _make("ratio", o, None, o["end"], value, "%", bound, PCT_DECIMALS, rng, [o, n],
                          f"{_shown(n)} ÷ {_shown(o)}")
                out.append(dataclasses.replace(
                    d, metric_id=metric, derived_id=d.derived_id.replace(f"ratio:{o['metric_id']}@",
                                                                         f"ratio:{metric}@")))
                break
    return out


def derive_for(ds: Dataset, o: Row, rows: Fetch | None = None) -> list[Derived]:
    """Every derived figure whose main input is the observation o (its partners fetched by
    position with ``rows``, default: the table's rows)."""
    out: list[Derived] = []
    base = implied_base(o)
    if base is not None:
        out.append(base)
    prior = year_earlier(ds, o, rows)
    if prior is not None:
        if published_growth(ds, o) is None:
            out.append(change(o, prior, "yoy_pct"))
        if o["period_type"] == "flow" and pd.isna(o["yoy_diff"]):
            out.append(change(o, prior, "yoy_diff"))
    prev = previous_stock(ds, o, rows)
    if prev is not None:
        out.append(change(o, prev, "increment"))
        pq = previous_quarter(ds, o, rows)
        if pq is not None:
            out.append(change(o, pq, "qoq_pct"))
    ytd = earlier_ytd(ds, o, rows)
    if ytd is not None:
        out.append(change(o, ytd, "increment"))
    whole = whole_of(ds, o, rows)
    if whole is not None:
        out.append(share(o, whole))
    out += ratios_of(ds, o)
    return out


def derive_all(ds: Dataset) -> list[Derived]:
    """Every derived figure the data allows, main inputs taken from the preferred observations."""
    pref = _preferred(ds)
    # plain records, not a pandas row per figure: this runs over every preferred row, and every
    # partner (year_earlier, previous_stock…) is a preferred row too
    records = dict(zip(ds.observations.index.get_indexer(pref.index), pref.to_dict("records"), strict=True))
    out: list[Derived] = []
    for o in records.values():
        out += derive_for(ds, o, records.__getitem__)
    return out


def crosscheck_all(ds: Dataset) -> list[CrossCheck]:
    """Check each reported figure that another row's YoY implies, within rounding.

    The Q1 2025 RMB loan balance was reported as 6.12万亿元; the Q1 2026 release's
    6.54万亿元 at +6.8% implies 6.115..6.129 (given 6.54 ± 0.005 and 6.8 ± 0.05):
    they agree. Reported figures that are one-sided bounds are not checked.
    """
    return [c for _, o in _preferred(ds).iterrows() if (c := crosscheck_for(ds, o)) is not None]


def crosscheck_for(ds: Dataset, o: pd.Series) -> CrossCheck | None:
    """The cross-check that observation o's YoY implies for the same series a year earlier
    (see :func:`crosscheck_all`), or None."""
    d = implied_base(o)
    prior = year_earlier(ds, o)
    if d is None or prior is None or prior["bound"] in ("lower", "upper"):
        return None
    lo, hi = d.low, d.high
    factor = UNITS[prior["unit"]].factor / UNITS[o["unit"]].factor
    lo, hi = lo / factor, hi / factor
    rlo, rhi = interval(prior["value"], int(prior["decimals"]), prior["bound"])
    agrees = bool(rlo <= hi and lo <= rhi)
    verdict = "agrees within rounding" if agrees else "DISAGREES beyond rounding"
    return CrossCheck(
        reported_id=prior["obs_id"], derived_id=d.derived_id, implied_by=o["obs_id"], metric_id=o["metric_id"],
        reported=prior["value"], low=lo, high=hi, unit=prior["unit"], agrees=agrees,
        note=f"{_shown(prior)} reported; {d.formula} gives {lo:.4g}..{hi:.4g} {prior['unit']}: "
             f"{verdict}")


def derived(ds: Dataset) -> list[Derived]:
    """Every figure that can be derived from the data, for any period (computed once per Dataset)."""
    if "derived" not in ds.memo:
        ds.memo["derived"] = tuple(derive_all(ds))
    return list(ds.memo["derived"])


def crosschecks(ds: Dataset) -> list[CrossCheck]:
    """Reported figures checked against the same figure derived from other rows (computed once)."""
    if "crosschecks" not in ds.memo:
        ds.memo["crosschecks"] = tuple(crosscheck_all(ds))
    return list(ds.memo["crosschecks"])
