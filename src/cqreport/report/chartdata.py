"""What each chart draws: the series, their points, and the data offered beside the chart.

One home for the choice, read by three readers: :mod:`cqreport.report.charts` draws
these points, the narrative's appendix lists them (each value ledgered and audited
like any other number), and the HTML offers them as a CSV download, which
:func:`cqreport.report.audit.audit_chart_data` checks against the data.

The rules:

* The catalogue says which chart draws a series (``metrics.chart``); a chart has
  one panel per measure (base unit and period type), so stocks, flows and
  cumulative totals, or units and value, never share an axis.
* A series is drawn at one frequency: quarter-end (or other dated) stocks, full
  calendar years, or quarters. Year-to-date and multi-year totals are other
  frequencies: the text reports them, the chart does not join them to anything.
* Only what was published by the quarter's cut-off, from a source graded at
  least ``CHART_MIN_GRADE``: a machine summary or a forum post never draws a point.
* A panel needs at least three points: one value is no chart and two are a table row.
* A chart reaches ``HISTORY_YEARS`` back from its latest point: the long history is listed
  in the evidence, not drawn as isolated dots on a short chart.
* National and regional series (comparators) appear only as the growth of the
  same series at the same dates as Chongqing's, never as figures of their own.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pandas as pd

from ..analysis.comparable import compare
from ..core.periods import shift_years
from ..core.vocab import CHART_MIN_GRADE, COMPARATOR_ENTITY_TYPES, NATIONAL_ENTITY_TYPES, reliability_grades

if TYPE_CHECKING:
    from ..analysis.quarter import QuarterData

#: A panel needs this many points: one value is no chart, and two are a table row.
MIN_POINTS = 3
#: How far back from its latest point a chart reaches, in years.
HISTORY_YEARS = 5

#: Longest gap between two points of one series that a line may bridge, per frequency.
MAX_GAP_DAYS = {"stock": 100, "quarter": 100, "year": 370}

#: Columns of a chart's CSV download, in order.
CSV_COLUMNS = ("chart", "metric_id", "entity_id", "measure", "period_start", "period_end",
               "value", "unit", "qualifier", "source_id", "source_date", "obs_id")


def frequency(row: pd.Series) -> str:
    """``stock`` (a figure at a date), ``quarter``, ``year``, ``ytd`` or ``multi`` (several years)."""
    start, end = row["start"], row["end"]
    if start is None or (not hasattr(start, "year") and pd.isna(start)):
        return "stock"
    days = (end - start).days
    if 360 <= days <= 366 and start.month == 1 and start.day == 1:
        return "year"
    if 85 <= days <= 95:
        return "quarter"
    return "multi" if days > 366 else "ytd"


@dataclass
class Series:
    """One series of one chart panel: its rows (observations, oldest first) and what they are."""

    metric_id: str
    entity_id: str
    measure: str          # "value" or "yoy_pct": what is drawn from each row
    frequency: str
    rows: pd.DataFrame
    comparator: bool = False

    def values(self) -> list[float]:
        # a growth path may hold growth-only rows (growth_of), whose rate is their value: ``growth``
        col = "value_base" if self.measure == "value" else ("growth" if "growth" in self.rows else "yoy_pct")
        return [float(v) for v in self.rows[col]]

    def runs(self) -> list[tuple[int, int]]:
        """Index ranges [a, b) of consecutive points a line may join: never across a gap, nor
        between two points the comparability rule keeps apart (a row that narrows its series'
        definition, say to RMB, is not joined to rows that leave it open)."""
        gap = MAX_GAP_DAYS.get(self.frequency, 0)
        ends = list(self.rows["end"])
        rows = [r for _, r in self.rows.iterrows()]
        runs, start = [], 0
        for i in range(1, len(ends) + 1):
            if i == len(ends) or (ends[i] - ends[i - 1]).days > gap or not compare(rows[i], rows[i - 1]):
                if i - start >= 2:
                    runs.append((start, i))
                start = i
        return runs


@dataclass
class Panel:
    """One axis: series of one measure, base unit and period type."""

    base_unit: str
    period_type: str
    measure: str
    series: list[Series] = field(default_factory=list)
    basis: Any = None   # the definition a panel of several entities draws (report/peers.py)

    @property
    def points(self) -> int:
        return sum(len(s.rows) for s in self.series)


@dataclass
class ChartData:
    """Everything one chart draws."""

    name: str
    topic: str
    panels: list[Panel]

    def series(self) -> list[Series]:
        return [s for p in self.panels for s in p.series]

    def records(self) -> list[dict[str, str]]:
        """One record per point drawn, as the CSV download gives it."""
        out = []
        for s in self.series():
            for _, r in s.rows.iterrows():
                # a growth-only row's rate is its value (unit %): the CSV says so, as the data does
                measure = "value" if s.measure == "value" or r.get("growth_of") else "yoy_pct"
                if measure == "value":
                    value, unit, qualifier = r["value"], r["unit"], r["qualifier"]
                else:
                    value, unit, qualifier = r["yoy_pct"], "%", ""
                out.append({
                    "chart": self.name, "metric_id": r["metric_id"], "entity_id": s.entity_id,
                    "measure": measure,
                    "period_start": "" if r["start"] is None else r["start"].isoformat(),
                    "period_end": r["end"].isoformat(), "value": f"{float(value):g}", "unit": unit,
                    "qualifier": "" if pd.isna(qualifier) else str(qualifier),
                    "source_id": r["source_id"], "source_date": r["source_date"].isoformat(),
                    "obs_id": r["obs_id"]})
        return out

    def csv(self) -> str:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.records())
        return buf.getvalue()

    def csv_href(self) -> str:
        """The CSV as a ``data:`` URL: the download works offline and without scripts."""
        return "data:text/csv;charset=utf-8," + quote("\ufeff" + self.csv())


def _drawable(qd: QuarterData, metric_id: str, entity_id: str) -> pd.DataFrame:
    """Preferred rows of a series, published by the cut-off, from a good enough source."""
    s = qd.dataset.series(metric_id, entity_id)
    if s.empty:
        return s
    grades = reliability_grades()
    good = set(grades[:grades.index(CHART_MIN_GRADE) + 1])
    keep = (s["end"] <= qd.cutoff) & (s["source_date"] <= qd.cutoff) & s["reliability"].isin(good)
    return s[keep].sort_values(["end", "source_date"]).reset_index(drop=True)


def _main_frequency(rows: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    freq = rows.apply(frequency, axis=1) if len(rows) else pd.Series(dtype=str)
    best = None
    for f in ("stock", "year", "quarter"):
        sel = rows[freq == f]
        if len(sel) and (best is None or len(sel) > len(best[1])):
            best = (f, sel)
    if best is None:
        return "", rows.iloc[0:0]
    f, sel = best
    # one point per period: the preferred row of each end date
    return f, sel.drop_duplicates("end", keep="last").reset_index(drop=True)


def chart_names(qd: QuarterData, topic: str) -> list[str]:
    """The charts of one section, in catalogue order."""
    m = qd.dataset.metrics
    charts = m[(m["topic"] == topic) & m["chart"].fillna("").astype(bool)]["chart"]
    return list(dict.fromkeys(charts))


def chart_data(qd: QuarterData, name: str) -> ChartData | None:
    """What chart ``name`` draws for this quarter, or None when it would show fewer than two points."""
    ds = qd.dataset
    m = ds.metrics
    members = [mid for mid in m.index[m["chart"].fillna("") == name]]
    if not members:
        return None
    comparators = set(ds.entities.index[ds.entities["entity_type"].isin(COMPARATOR_ENTITY_TYPES)])
    national = set(ds.entities.index[ds.entities["entity_type"].isin(NATIONAL_ENTITY_TYPES)])
    panels: dict[tuple[str, str, str], Panel] = {}
    levels: list[Series] = []
    for mid in members:
        entities = ds.observations.loc[ds.observations["metric_id"] == mid, "entity_id"].unique()
        for ent in sorted(e for e in entities if e not in comparators):
            freq, rows = _main_frequency(_drawable(qd, mid, ent))
            if len(rows) == 0:
                continue
            key = (m.loc[mid, "base_unit"], m.loc[mid, "period_type"], "value")
            panel = panels.setdefault(key, Panel(*key))
            s = Series(mid, ent, "value", freq, rows)
            panel.series.append(s)
            levels.append(s)
    # growth of the stocks drawn, and of the same national series at the same dates
    for s in levels:
        if s.frequency != "stock" or "yoy_pct" not in s.rows:
            continue
        own = s.rows[s.rows["yoy_pct"].notna()].reset_index(drop=True)
        if own.empty:
            continue
        key = ("percent", s.rows["period_type"].iloc[0], "yoy_pct")
        panel = panels.setdefault(key, Panel(*key))
        panel.series.append(Series(s.metric_id, s.entity_id, "yoy_pct", "stock", own))
        for ent in sorted(national):
            nat = _drawable(qd, s.metric_id, ent)
            nat = nat[nat["yoy_pct"].notna() & nat["end"].isin(set(own["end"]))]
            if len(nat):
                nat = nat.drop_duplicates("end", keep="last").reset_index(drop=True)
                panel.series.append(Series(s.metric_id, ent, "yoy_pct", "stock", nat, comparator=True))
    _recent_only(panels.values())
    kept = [p for p in panels.values() if p.points >= MIN_POINTS]
    if not kept:
        return None
    return ChartData(name, str(m.loc[members[0], "topic"]), kept)


def _recent_only(panels) -> None:
    """Keep the points of the last ``HISTORY_YEARS`` before a chart's latest point: isolated
    points of 2008 or 2014 do not sit on a chart of 2024-2026 (the evidence lists them); nor
    does a single point of another series beside one that has a line."""
    ends = [e for p in panels for s in p.series for e in s.rows["end"]]
    if not ends:
        return
    first = shift_years(max(ends), -HISTORY_YEARS)
    for p in panels:
        for s in p.series:
            s.rows = s.rows[s.rows["end"] > first].reset_index(drop=True)
        # a lone point of another series beside a drawn one is a table row, not a chart's
        drawn = any(len(s.rows) >= 2 for s in p.series if not s.comparator)
        p.series = [s for s in p.series if len(s.rows) >= (2 if drawn and not s.comparator else 1)]


def topic_chart_data(qd: QuarterData, topic: str) -> list[ChartData]:
    """The data of every chart of one section that has something to draw."""
    return [c for c in (chart_data(qd, n) for n in chart_names(qd, topic)) if c is not None]
