"""The curated data, typed and ready to use: the ``Dataset`` and ``load_dataset``.

Which observation the report uses
---------------------------------
Several rows can describe one figure: two releases reporting the same
quarter-end balance, or a later release restating a figure with another
qualifier (the corridor service centre's loans are 168亿元 at the 2026-05-09
press conference and 超168亿元 "as of mid-April" in the 2026-05-22 meeting
report). Rows are the *same figure* when they share metric and entity and
either have the same period, or have the same value in base units with
period ends at most ``SAME_FIGURE_DAYS`` apart. Within such a group the
report uses one row, chosen by these rules in order:

1. the more reliable source (the grade order in datapackage.json: official > press > mirror > forum > machine summary);
2. the more recent source (a later statement supersedes an earlier one);
3. the more cautious qualifier (a bound or 约 over an exact figure).

The others stay in the data and are shown in the report's appendix as
variants. Nothing is merged or averaged.

A row with a ``caution`` (a curator's reason to doubt it) is never the one
used: it is left out of series, comparisons and derived figures, and the
report lists it in its appendix with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from ..core import paths
from ..core.files import hash_files
from ..core.numbers import decimals_of
from ..core.periods import Quarter, is_month_end, parse_quarter, require_quarter
from ..core.vocab import QUALIFIERS, UNITS, reliability_grades
from ..errors import ParameterError, QuarterError
from .load import Table, data_files
from .validate import is_forward_looking, metric_units, read_validated

SAME_FIGURE_DAYS = 45
HOME = "chongqing"            # the entity the report is about
REPORT_MIN_FIGURES = 3        # a quarter with fewer figures (and no credit figure) gets no report
REPORT_ANCHOR_TOPIC = "credit"
BOUND_CAUTION = {"exact": 1, "approx": 0, "lower": 0, "upper": 0}
NUMERIC = ("value", "yoy_pct", "yoy_diff", "vs_national_pp", "prior_value")


def obs_id(metric_id: str, entity_id: str, end: str, source_id: str) -> str:
    """The stable id of an observation.

    >>> obs_id("loan_balance_rmb", "chongqing", "2026-03-31", "cq_2026q1_presser")
    'loan_balance_rmb@chongqing/2026-03-31/cq_2026q1_presser'
    """
    return f"{metric_id}@{entity_id}/{end}/{source_id}"


def bound_of(qualifier: str) -> str:
    """The meaning of a qualifier word: exact, approx, lower or upper.

    >>> bound_of(""), bound_of("约"), bound_of("超"), bound_of("近")
    ('exact', 'approx', 'lower', 'upper')
    """
    return QUALIFIERS[qualifier].bound if qualifier else "exact"


@dataclass
class Dataset:
    """Validated, typed tables.

    Attributes:
        metrics: The metric catalogue, indexed by metric_id (``unit_list`` added).
        entities: Indexed by entity_id.
        sources: Indexed by source_id (``date`` as datetime.date).
        observations: One row per CSV row, typed, with computed columns
            (see docs/DEVELOPING.md): obs_id, row, start, end, value_base,
            base_unit, bound, decimals, topic, kind, period_type, priority,
            source_date, reliability, language, figure (group id), preferred.
        data_dir: Where the data was read from.
        notes: Non-fatal notes from reading (e.g. an encoding).
        checks: Which validation checks the data passed (``schema``, ``relations``,
            ``quotes``, ``source_hashes``): ``quotes`` is False when the source
            texts were not there to check the quotes against.
    """

    metrics: pd.DataFrame
    entities: pd.DataFrame
    sources: pd.DataFrame
    observations: pd.DataFrame
    data_dir: Path
    notes: list[str] = field(default_factory=list)
    checks: dict[str, bool] = field(default_factory=dict)
    # Results that layers above compute once per Dataset (derived figures, quarter
    # selections); the tables are never changed after loading, so nothing expires.
    memo: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def from_tables(cls, tables: dict[str, Table], data_dir: Path,
                    notes: list[str] | None = None) -> Dataset:
        """Type validated string tables and compute the derived columns."""
        metrics = tables["metrics"].frame.copy()
        metrics["priority"] = metrics["priority"].astype(int)
        metrics["unit_list"] = metrics["units"].map(metric_units)
        metrics = metrics.set_index("metric_id")
        entities = tables["entities"].frame.set_index("entity_id")
        sources = tables["sources"].frame.copy()
        sources["date"] = sources["date"].map(date.fromisoformat)
        sources = sources.set_index("source_id")
        obs = _type_observations(tables["observations"].frame, metrics, sources)
        return cls(metrics, entities, sources, obs, data_dir, list(notes or []))

    # ----------------------------------------------------------------- lookups
    def observation(self, oid: str) -> pd.Series:
        """One observation by obs_id.

        Raises:
            KeyError: If there is no such observation.
        """
        hit = self.observations[self.observations["obs_id"] == oid]
        if hit.empty:
            raise KeyError(f"no observation {oid!r}")
        return hit.iloc[0]

    def series(self, metric_id: str, entity_id: str = "chongqing",
               preferred_only: bool = True) -> pd.DataFrame:
        """All observations of one metric for one entity, oldest first.

        Args:
            metric_id: A metric of the catalogue.
            entity_id: The entity (default: the municipality).
            preferred_only: Drop rows that restate a figure another row is preferred for.

        Raises:
            ParameterError: If the metric or the entity is not in the catalogue.
        """
        self.require_metric(metric_id)
        self.require_entity(entity_id)
        o = self.observations
        sel = o[(o["metric_id"] == metric_id) & (o["entity_id"] == entity_id)]
        if preferred_only:
            sel = sel[sel["preferred"]]
        return sel.sort_values(["end", "source_date"]).reset_index(drop=True)

    def require_metric(self, metric_id: str) -> str:
        """The metric id, checked against the catalogue (data/metrics.csv).

        Raises:
            ParameterError: Naming the unknown id and the closest known ones.
        """
        return _require_known(metric_id, self.metrics.index, "metric", "data/metrics.csv")

    def require_entity(self, entity_id: str) -> str:
        """The entity id, checked against data/entities.csv.

        Raises:
            ParameterError: Naming the unknown id and the closest known ones.
        """
        return _require_known(entity_id, self.entities.index, "entity", "data/entities.csv")

    def core_quarter(self, row: pd.Series) -> Quarter | None:
        """The quarter an observation is a core figure of, or None if it is only context.

        Stocks belong to the quarter whose last day is their as-of date; flows to
        the quarter they end in. Cumulative figures are context only, and a target
        or forecast (``forward``) is no figure of the quarter it ends in.
        """
        if row.get("forward", False):
            return None
        end = row["end"]
        if row["period_type"] == "flow":
            return Quarter.of(end)
        if row["period_type"] == "stock":
            q = Quarter.of(end)
            return q if end == q.end else None
        return None

    def cutoff(self, q: Quarter) -> date:
        """The data cut-off of quarter q's report: the newest source date on or before the
        end of the following quarter (q's end if no source is that early)."""
        limit = q.next().end
        dates = [d for d in self.sources["date"] if d <= limit]
        return max(dates) if dates else q.end

    def quarters(self) -> list[Quarter]:
        """The quarters that get a report, oldest first.

        A quarter gets a report when, among the sources published by its cut-off
        (:meth:`cutoff`), the releases give at least ``REPORT_MIN_FIGURES`` figures of
        Chongqing for it, or any credit figure (the central bank branch's quarterly
        release is what the report follows). Thinner quarters of the history (one
        auto-output year, one corridor total) stay in the data: they are points of
        the long series, not reports of their own.
        """
        o = self.observations
        o = o[(o["entity_id"] == HOME) & (o["caution"] == "") & ~o["forward"]]
        # one core_quarter call per distinct (period type, end), not per row
        quarter_of = {(t, e): self.core_quarter({"period_type": t, "end": e})
                      for t, e in set(zip(o["period_type"], o["end"], strict=True))}
        q = pd.Series([quarter_of[k] for k in zip(o["period_type"], o["end"], strict=True)],
                      index=o.index, dtype=object)
        o, q = o[q.notna()], q[q.notna()]
        cutoffs = {x: self.cutoff(x) for x in set(q)}
        published = o["source_date"].to_numpy() <= q.map(cutoffs).to_numpy()
        o, q = o[published], q[published]
        figures = pd.DataFrame({"q": q, "metric": o["metric_id"], "start": o["start"], "end": o["end"]})
        counts = figures.drop_duplicates().groupby("q").size()
        anchored = set(q[o["topic"] == REPORT_ANCHOR_TOPIC])
        return sorted(x for x, n in counts.items() if n >= REPORT_MIN_FIGURES or x in anchored)

    def latest_quarter(self) -> Quarter:
        """The most recent quarter with data.

        Raises:
            QuarterError: If the data has no quarter at all.
        """
        qs = self.quarters()
        if not qs:
            raise QuarterError("the data has no quarter with figures")
        return qs[-1]

    def resolve_quarter(self, quarter: Quarter | str | None) -> Quarter:
        """A quarter argument made concrete: None means the latest; a label is parsed and checked.

        Raises:
            QuarterError: If the label is malformed or the quarter has no data.
        """
        if quarter is None or quarter == "":
            return self.latest_quarter()
        q = quarter if isinstance(quarter, Quarter) else parse_quarter(quarter)
        return require_quarter(q, self.quarters())

    @cached_property
    def preferred_by_series(self) -> dict[tuple[str, str], pd.DataFrame]:
        """Preferred observations grouped by (metric_id, entity_id), oldest first."""
        pref = self.observations[self.observations["preferred"]].sort_values(["end", "source_date"])
        return {key: group for key, group in pref.groupby(["metric_id", "entity_id"], sort=False)}

    @cached_property
    def content_hash(self) -> str:
        """sha256 over the descriptor and the CSV files, for build manifests and caching."""
        return hash_files(data_files(self.data_dir), self.data_dir)


def _require_known(value: str, known: pd.Index, what: str, where: str) -> str:
    if value in known:
        return value
    import difflib

    close = difflib.get_close_matches(str(value), [str(k) for k in known], n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else f"see {where} for the {len(known)} known ids"
    raise ParameterError(f"unknown {what} {value!r}; expected an id from {where} ({hint})")


def load_dataset(data_dir: str | Path | None = None,
                 sources_dir: str | Path | None = None,
                 require_sources: bool = False) -> Dataset:
    """Load and validate the curated data.

    Args:
        data_dir: Data folder (default: the project's data/, or $CQREPORT_DATA).
        sources_dir: Source texts (default: ../shared/sources when present).
        require_sources: Fail when the source texts are missing instead of noting that
            the quotes were not checked.

    Data that passed validation before, unchanged (same files, same source texts,
    same validator), is not validated again: see ``validate.read_validated``.

    Returns:
        The typed Dataset.

    Raises:
        DataError: Listing every problem in every file, if there is any.
    """
    ddir = paths.data_dir(data_dir)
    result = read_validated(ddir, sources_dir, require_sources)
    result.raise_for_problems()
    ds = Dataset.from_tables(result.tables, ddir, result.notes)
    ds.checks = dict(result.checks)
    return ds


def _type_observations(frame: pd.DataFrame, metrics: pd.DataFrame,
                       sources: pd.DataFrame) -> pd.DataFrame:
    o = frame.copy()
    o.insert(0, "row", o.index.astype(int))
    o = o.reset_index(drop=True)
    o.insert(0, "obs_id", [obs_id(r.metric_id, r.entity_id, r.period_end, r.source_id)
                           for r in o.itertuples()])
    o["decimals"] = o["value"].map(decimals_of)
    o["yoy_decimals"] = o["yoy_pct"].map(decimals_of)
    o["yoy_diff_decimals"] = o["yoy_diff"].map(decimals_of)
    for col in NUMERIC:
        o[col] = pd.to_numeric(o[col].replace("", None), errors="raise").astype(float)
    o["streak_months"] = pd.to_numeric(o["streak_months"].replace("", None)).astype("Int64")
    o["start"] = o["period_start"].map(lambda s: date.fromisoformat(s) if s else None)
    o["end"] = o["period_end"].map(date.fromisoformat)
    o["value_base"] = [v * UNITS[u].factor for v, u in zip(o["value"], o["unit"], strict=True)]
    o["bound"] = o["qualifier"].map(bound_of)
    o["forward"] = is_forward_looking(o["note"]).to_numpy(dtype=bool)
    m = metrics.loc[o["metric_id"]]
    for col in ("topic", "kind", "period_type", "priority", "base_unit"):
        o[col] = m[col].to_numpy()
    s = sources.loc[o["source_id"]]
    o["source_date"] = s["date"].to_numpy()
    o["reliability"] = s["reliability"].to_numpy()
    o["language"] = s["language"].to_numpy()
    o["figure"], o["preferred"] = _pick_preferred(o)
    return o


def _pick_preferred(o: pd.DataFrame) -> tuple[list[int], list[bool]]:
    """Group rows that describe the same figure and mark the one the report uses.

    Linear in the rows: two rows of one series are linked when they have the same
    period (one group per period), or the same base value with ends at most
    ``SAME_FIGURE_DAYS`` apart (within one value, sorted by end, each row is linked
    to the next when close enough: the same connected groups as comparing every
    pair). A figure's id is the smallest row position in its group.
    """
    n = len(o)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def link(i: int, j: int) -> None:
        a, b = root(i), root(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    if n:
        pos = pd.Series(range(n), index=o.index)
        series = [o["metric_id"], o["entity_id"]]
        start = o["start"].map(lambda d: d.toordinal() if d is not None else -1)
        end = o["end"].map(date.toordinal)
        for idx in pos.groupby([*series, start, end], sort=False).indices.values():
            for j in idx[1:]:
                link(int(idx[0]), int(j))
        # values equal within 1e-9 relative share a key rounded to 12 significant digits
        vkey = o["value_base"].map(lambda v: float(f"{v:.12g}"))
        frame = pd.DataFrame({"pos": range(n), "end": end.to_numpy()})
        for idx in frame.groupby([*(s.to_numpy() for s in series), vkey.to_numpy()],
                                 sort=False).indices.values():
            if len(idx) < 2:
                continue
            part = frame.iloc[idx].sort_values("end")
            ends, rows = part["end"].to_numpy(), part["pos"].to_numpy()
            for k in range(1, len(rows)):
                if ends[k] - ends[k - 1] <= SAME_FIGURE_DAYS:
                    link(int(rows[k - 1]), int(rows[k]))
    figure = [root(i) for i in range(n)]
    cautioned = (o["caution"] != "").to_numpy()
    rank = pd.DataFrame({
        "figure": figure,
        "cautioned": cautioned,
        "reliability": o["reliability"].map({g: i for i, g in enumerate(reliability_grades())}).to_numpy(),
        "recency": [-d.toordinal() for d in o["source_date"]],
        "caution": o["bound"].map(BOUND_CAUTION).to_numpy(),
        "row": o["row"].to_numpy(),
    })
    best = (rank.sort_values(["figure", "cautioned", "reliability", "recency", "caution", "row"])
            .drop_duplicates("figure").index)
    chosen = pd.Series(False, index=rank.index)
    chosen[best] = True
    preferred = (chosen.to_numpy() & ~cautioned).tolist()
    return figure, preferred


def period_text(row: pd.Series) -> str:
    """A compact machine-readable period: 2026-03-31 for a stock, 2026-01-01..2026-03-31 for a span."""
    if row["start"] is None:
        return row["end"].isoformat()
    return f"{row['start'].isoformat()}..{row['end'].isoformat()}"


def span_months(row: pd.Series) -> int | None:
    """Length in months of a flow that runs from a month's first day to a month's last day."""
    start, end = row["start"], row["end"]
    if start is None or start.day != 1 or not is_month_end(end):
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1
