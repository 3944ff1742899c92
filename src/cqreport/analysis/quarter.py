"""What one quarter's report needs: its figures, their context and comparisons.

* **Figures** (core): stocks dated at the quarter's last day, and flows that
  end inside the quarter (一季度, 上半年, 全年, 前11个月…).
* **Data cut-off**: the date of the newest source published by the end of the
  following quarter (quarterly releases come out within it). For 2026Q1 that
  is the 2026-05-22 corridor meeting.
* **Context**: for each metric and entity without a core figure, the latest
  figure known at the cut-off (source dated on or before it) whose period
  ended within ``CONTEXT_MONTHS`` before the quarter's end, if it is a
  cumulative figure, a stock, a rate, or a flow of a year or more: last year's
  annual totals, cumulative figures, latest known levels and rates. Quarterly
  flows of other quarters are not context.
* **Comparisons**: the same series a year earlier and a quarter earlier,
  nothing else (never across series definitions).
* **Derived** figures and **cross-checks** whose main input is a figure or a
  context row, and the **variants**: rows of other sources for the same
  figures, which the report shows in its appendix but does not use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from ..core.formatting import format_amount
from ..core.periods import Quarter
from ..core.phrases import period_label
from ..core.vocab import COMPARATOR_ENTITY_TYPES, require_topic
from ..dataset.model import Dataset, FigureGroups, _pick_preferred
from .derive import CrossCheck, Derived, crosscheck_for, derive_for, previous_quarter, year_earlier

CONTEXT_MONTHS = 12


@dataclass
class QuarterData:
    """Everything the report of one quarter is written from.

    Attributes:
        dataset: The Dataset it was selected from.
        quarter: The report's quarter.
        cutoff: Data cut-off date (see module doc).
        as_of: The date the data was taken as of (:func:`as_published`); None if selected directly.
        figures: Core observations (preferred rows), sorted by priority.
        context: Context observations (preferred rows).
        comparisons: One row per (figure, relation, other): relation is
            ``year_earlier`` or ``previous_quarter``; ``other_id`` the obs_id compared with.
        derived: Derived figures whose main input is a figure or context row.
        checks: Cross-checks touching the figures or their comparisons.
        variants: Non-preferred rows describing the same figures (other sources).
        cautioned: Rows of this quarter (core or context) the curator cautioned against;
            the report lists them with the reason and uses them nowhere else.
        sources: The sources the report cites, indexed by source_id.
    """

    dataset: Dataset
    quarter: Quarter
    cutoff: date
    figures: pd.DataFrame
    context: pd.DataFrame
    comparisons: pd.DataFrame
    derived: list[Derived]
    checks: list[CrossCheck]
    variants: pd.DataFrame
    sources: pd.DataFrame
    cautioned: pd.DataFrame
    as_of: date | None = None

    def get(self, metric_id: str, entity_id: str = "chongqing") -> pd.Series | None:
        """The figure (or, failing that, the context row) of one metric, or None if not released."""
        for frame in (self.figures, self.context):
            hit = frame[(frame["metric_id"] == metric_id) & (frame["entity_id"] == entity_id)]
            if not hit.empty:
                return hit.iloc[0]
        return None

    def has(self, metric_id: str, entity_id: str = "chongqing") -> bool:
        """True if the quarter has a core figure of the metric."""
        f = self.figures
        return bool(((f["metric_id"] == metric_id) & (f["entity_id"] == entity_id)).any())

    def compared(self, oid: str, relation: str) -> pd.Series | None:
        """The observation a figure is compared with (relation: year_earlier or previous_quarter)."""
        c = self.comparisons
        hit = c[(c["obs_id"] == oid) & (c["relation"] == relation)]
        return None if hit.empty else self.dataset.observation(hit.iloc[0]["other_id"])

    def used_ids(self) -> set[str]:
        """obs_ids of every observation the report may cite."""
        ids = set(self.figures["obs_id"]) | set(self.context["obs_id"])
        ids |= set(self.comparisons["other_id"]) | set(self.variants["obs_id"]) | set(self.cautioned["obs_id"])
        for d in self.derived:
            ids |= set(d.inputs)
        return ids


def data_cutoff(ds: Dataset, q: Quarter) -> date:
    """The data cut-off of q's report (:meth:`Dataset.cutoff`)."""
    return ds.cutoff(q)


def _months_before(day: date, months: int) -> date:
    m = day.year * 12 + day.month - 1 - months
    return date(m // 12, m % 12 + 1, 1)


def _is_context_kind(period_type: str, kind: str, start: date | None, end: date) -> bool:
    """Context is cumulative figures, stocks, rates (the latest known level: a lending rate of a
    month or a half-year), and flows of a year or more (annual totals)."""
    return period_type != "flow" or kind == "rate" or (end - start).days >= 360


def _comparators(ds: Dataset) -> pd.Index:
    # national and regional series are yardsticks (analysis.judgements), not figures of the report
    return ds.entities.index[ds.entities["entity_type"].isin(COMPARATOR_ENTITY_TYPES)]


def _window_start(q: Quarter) -> date:
    return _months_before(q.end, CONTEXT_MONTHS)


def main_rows(pref: pd.DataFrame, q: Quarter, cutoff: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The figures and the context of quarter q's report (module doc), from preferred rows.

    ``pref`` holds the preferred rows of the data as published by the cut-off, or any part
    of them that includes the quarter's core rows and every row ending in its context window;
    comparator series are left out.
    """
    core = (pref["core_quarter"] == q).to_numpy(dtype=bool)
    figures = pref[core].sort_values(["priority", "topic", "metric_id", "entity_id"])
    have = set(zip(figures["metric_id"], figures["entity_id"], strict=True))
    ctx = pref[~core & (pref["end"] <= cutoff) & (pref["source_date"] <= cutoff)
               & (pref["end"] > _window_start(q))]
    keep = [(m, e) not in have and _is_context_kind(t, k, s, d) for m, e, t, k, s, d in zip(
        ctx["metric_id"], ctx["entity_id"], ctx["period_type"], ctx["kind"], ctx["start"], ctx["end"],
        strict=True)]
    ctx = ctx[np.array(keep, dtype=bool)]
    context = ctx.sort_values(["end", "source_date"]).drop_duplicates(["metric_id", "entity_id"], keep="last") \
        .sort_values(["priority", "topic", "metric_id", "entity_id"])
    return figures, context


def _crosschecks(ds: Dataset, touched: set[str]) -> list[CrossCheck]:
    """The cross-checks touching these rows (:func:`derive.crosschecks` filtered), computed for
    the rows that can give one, not for the whole table: a check is the YoY of a row implying
    the row a year earlier, so only touched rows and the rows of their series a year later."""
    o = ds.observations
    rows = o[o["obs_id"].isin(touched)]
    years = {(m, e, d.year + 1) for m, e, d in zip(rows["metric_id"], rows["entity_id"], rows["end"], strict=True)}
    later = [g.index[[(k[0], k[1], d.year) in years for d in g["end"]]]
             for k in {(m, e) for m, e, _ in years}
             if (g := ds.preferred_by_series.get(k)) is not None]
    candidates = sorted(set(rows.index[rows["preferred"]]).union(*later))
    # in the table's order, as crosschecks(ds) lists them
    found = (crosscheck_for(ds, o.iloc[i]) for i in candidates)
    return [c for c in found if c is not None and (c.reported_id in touched or c.implied_by in touched)]


def select_quarter(ds: Dataset, q: Quarter, cutoff: date | None = None) -> QuarterData:
    """Select what the report of quarter q needs. See the module doc for the rules.

    ``ds`` should hold only what was published by the cut-off (:func:`as_published`);
    ``cutoff`` defaults to :func:`data_cutoff`.
    """
    o = ds.observations
    cutoff = cutoff or data_cutoff(ds, q)
    figures, context = main_rows(o[o["preferred"] & ~o["entity_id"].isin(_comparators(ds))], q, cutoff)

    rows = []
    for _, f in figures.iterrows():
        for relation, other in (("year_earlier", year_earlier(ds, f)),
                                ("previous_quarter", previous_quarter(ds, f))):
            if other is not None:
                rows.append({"obs_id": f["obs_id"], "relation": relation, "other_id": other["obs_id"]})
    comparisons = pd.DataFrame(rows, columns=["obs_id", "relation", "other_id"])

    main = pd.concat([figures, context])
    derived = [d for _, r in main.iterrows() for d in derive_for(ds, r)]
    touched = set(main["obs_id"]) | set(comparisons["other_id"])
    checks = _crosschecks(ds, touched)
    variants = o[~o["preferred"] & o["figure"].isin(main["figure"])]
    cautioned = o[(o["caution"] != "") & (o["core_quarter"] == q).to_numpy(dtype=bool)]
    qd = QuarterData(ds, q, cutoff, figures.reset_index(drop=True), context.reset_index(drop=True),
                     comparisons, derived, checks, variants.reset_index(drop=True), ds.sources.iloc[0:0],
                     cautioned.reset_index(drop=True))
    cited = {ds.observation(i)["source_id"] for i in qd.used_ids()}
    qd.sources = ds.sources[ds.sources.index.isin(cited)].sort_values("date")
    return qd



def outline_quarters(ds: Dataset) -> Iterator[tuple[Quarter, date, pd.DataFrame, pd.DataFrame]]:
    """Each quarter with data, oldest first: (quarter, cut-off, figures, context), the same
    figures and context as :func:`quarter_data` gives, in one pass over the data.

    The table is indexed once: the rows join a :class:`FigureGroups` in the order of their
    sources' dates, so at each quarter's cut-off the groups are those of the data as
    published by then, and only the quarter's core rows and the rows ending in its context
    window are looked at. No quarter regroups the whole table (``quarter_data`` for every
    quarter would: quadratic in the history).
    """
    o = ds.observations
    groups = FigureGroups(o)
    by_date = np.argsort(np.array([d.toordinal() for d in o["source_date"]]), kind="stable")
    published = o["source_date"].tolist()
    dates = [published[i] for i in by_date]
    ends = np.array([d.toordinal() for d in o["end"]])
    by_end = np.argsort(ends, kind="stable")
    core = o.groupby("core_quarter", sort=False).indices
    yardstick = o["entity_id"].isin(_comparators(ds)).to_numpy()
    added = 0
    for q in ds.quarters():
        cutoff = ds.cutoff(q)
        while added < len(by_date) and dates[added] <= cutoff:
            groups.add(int(by_date[added]))
            added += 1
        window = by_end[np.searchsorted(ends[by_end], _window_start(q).toordinal(), side="right"):
                        np.searchsorted(ends[by_end], cutoff.toordinal(), side="right")]
        rows = np.union1d(core.get(q, np.array([], dtype=int)), window).tolist()
        rows = [i for i in rows if published[i] <= cutoff and not yardstick[i] and groups.preferred(i)]
        figures, context = main_rows(o.iloc[rows], q, cutoff)
        yield q, cutoff, figures, context


def describe_quarters(ds: Dataset) -> str:
    """One line per quarter with data: counts of figures and context, and the topics covered."""
    lines = [f"{'quarter':8} {'cut-off':10} {'figures':>7} {'context':>7}  topics with figures"]
    for q, cutoff, figures, context in outline_quarters(ds):
        topics = ", ".join(f"{t} ({n})" for t, n in figures["topic"].value_counts().sort_index().items())
        lines.append(f"{q!s:8} {cutoff.isoformat():10} {len(figures):7d} {len(context):7d}  {topics}")
    return "\n".join(lines)


def _row_text(r: pd.Series, lang: str) -> str:
    value = format_amount(r["value"], r["unit"], r["qualifier"], "zh", decimals=int(r["decimals"]))
    return f"{period_label(r, lang):<16} {value:<14} {r['source_id']}"


def describe_quarter(ds: Dataset, quarter: Quarter | str, topic: str | None = None,
                     lang: str = "zh") -> str:
    """One quarter's figures (and context), one line each, optionally of one topic.

    Raises:
        QuarterError: For a malformed quarter or one without data.
        ParameterError: For a topic that is not a report topic.
    """
    qd = quarter_data(ds, quarter)
    if topic is not None:
        require_topic(topic)
    lines = [f"{qd.quarter} (data cut-off {qd.cutoff.isoformat()})"]
    for title, frame in (("figures", qd.figures), ("context", qd.context)):
        rows = frame if topic is None else frame[frame["topic"] == topic]
        lines.append(f"{title}: {len(rows)}")
        lines += [f"  {r['metric_id']:<40} {_row_text(r, lang)}" for _, r in rows.iterrows()]
    return "\n".join(lines)


def describe_series(ds: Dataset, metric_id: str, entity_id: str = "chongqing", lang: str = "zh") -> str:
    """Every observation of one series, oldest first; rows another source is preferred for are marked.

    Raises:
        ParameterError: For a metric or entity not in the catalogue.
    """
    rows = ds.series(metric_id, entity_id, preferred_only=False)
    name = ds.metrics.loc[metric_id, f"name_{lang}"]
    lines = [f"{metric_id} ({name}), {entity_id}: {int(rows['preferred'].sum())} figure(s)"]
    lines += [f"  {_row_text(r, lang)}{'' if r['preferred'] else '  (variant)'}" for _, r in rows.iterrows()]
    return "\n".join(lines)


def as_published(ds: Dataset, as_of: date) -> Dataset:
    """The data as it stood on ``as_of``: only rows from sources dated on or before it.

    Like a vintage in ALFRED: a figure a later source restated, or a series a later
    source filled in, looks as it did then. Which row is preferred is decided again
    among the rows left, so a later, better source cannot reach back. Inferred
    source dates (``date_kind=inferred``) count like stated ones.
    """
    key = ("as_published", as_of)
    if key not in ds.memo:
        sources = ds.sources[ds.sources["date"] <= as_of]
        if len(sources) == len(ds.sources):
            ds.memo[key] = ds   # every source was out by then: the data as it is, not a copy
            return ds
        o = ds.observations[ds.observations["source_id"].isin(sources.index)].reset_index(drop=True)
        if len(o):
            o["figure"], o["preferred"] = _pick_preferred(o)
        ds.memo[key] = dataclasses.replace(ds, sources=sources, observations=o)  # notes and checks kept
    return ds.memo[key]


def quarter_data(ds: Dataset, quarter: Quarter | str | None = None, *,
                 as_of: date | None = None) -> QuarterData:
    """Everything the report of one quarter needs; None means the latest quarter with data.

    The report keeps its cut-off: it is built from the data as published on its
    cut-off date (``as_of``, by default the quarter's own cut-off, see
    :func:`data_cutoff`), so a source published later changes nothing in it.
    Selected once per quarter, date and Dataset and shared: treat the result as read-only.

    Raises:
        QuarterError: If the label is malformed or the quarter has no data.
    """
    q = ds.resolve_quarter(quarter)
    cutoff = None
    if as_of is None:
        as_of = data_cutoff(ds, q)
    key = ("quarter", q, as_of)
    if key not in ds.memo:
        vintage = as_published(ds, as_of)
        vintage.resolve_quarter(q)   # the quarter must have data as of that date
        if as_of != data_cutoff(ds, q):
            # an explicit date: the report stands as of the newest source by then
            cutoff = max(vintage.sources["date"], default=as_of)
        qd = select_quarter(vintage, q, cutoff)
        qd.as_of = as_of   # the date the data stands as of, for the audit to rebuild the same
        ds.memo[key] = qd
    return ds.memo[key]
