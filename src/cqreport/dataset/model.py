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

When the rows give different values (a restatement, a revision):

1. the more reliable source (the grade order in datapackage.json: official > press > mirror > forum > machine summary);
2. the more recent source (a later statement supersedes an earlier one);
3. the more cautious qualifier (a bound or 约 over an exact figure).

When they give one value (reports of one release), the more cautious qualifier comes
first, so no qualifier is lost (突破756亿美元 in a repost of the Chinese report over the
"$75.6 billion" of an English rewrite), then grade, then recency.

The others stay in the data and are shown in the report's appendix as
variants. Nothing is merged or averaged.

A row with a ``caution`` (a curator's reason to doubt it) is never the one
used: it is left out of series, comparisons and derived figures, and the
report lists it in its appendix with the reason. Nor is a target or forecast
(``forward``: its note starts ``target:`` or ``forecast:``): it says what is
planned or expected, not what happened.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core import paths
from ..core.files import hash_files
from ..core.numbers import decimals_of
from ..core.periods import Quarter, parse_quarter, require_quarter
from ..core.vocab import DEFINITION_FIELDS, QUALIFIERS, UNITS, reliability_grades, use_data
from ..errors import ParameterError, QuarterError
from .load import Table, data_files
from .validate import fingerprint, is_forward_looking, metric_units, read_validated

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
            source_date, reliability, language, figure (group id), preferred; the
            definition the row stands for (``concept``, ``currency``, ``compiler``, ``scope``:
            the row's own cell where it narrows its metric, else the metric's; ``growth_of``).
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
        pos = self._positions.get(oid)
        if pos is None:
            raise KeyError(f"no observation {oid!r}")
        return self.observations.iloc[pos]

    @cached_property
    def _positions(self) -> dict[str, int]:
        # obs_id → row position, built once: looking an id up must not scan the table. Two
        # flows of one source can end on one day (Jan–May and May): the first row wins, as before
        positions: dict[str, int] = {}
        for i, oid in enumerate(self.observations["obs_id"].tolist()):
            positions.setdefault(oid, i)
        return positions

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
        return core_quarter_of(row["period_type"], row["end"], bool(row.get("forward", False)))

    @cached_property
    def _source_dates(self) -> list[date]:
        return sorted(set(self.sources["date"]))

    def cutoff(self, q: Quarter) -> date:
        """The data cut-off of quarter q's report: the newest source date on or before the
        end of the following quarter (q's end if no source is that early)."""
        dates = self._source_dates
        i = bisect.bisect_right(dates, q.next().end)
        return dates[i - 1] if i else q.end

    def quarters(self) -> list[Quarter]:
        """The quarters that get a report, oldest first.

        A quarter gets a report when, among the sources published by its cut-off
        (:meth:`cutoff`), the releases give at least ``REPORT_MIN_FIGURES`` figures of
        Chongqing for it, or any credit figure (the central bank branch's quarterly
        release is what the report follows). Thinner quarters of the history (one
        auto-output year, one corridor total) stay in the data: they are points of
        the long series, not reports of their own.
        """
        if "quarters" not in self.memo:
            o = self.observations
            o = o[(o["entity_id"] == HOME) & (o["caution"] == "") & o["core_quarter"].notna()]
            q = o["core_quarter"]
            cutoffs = {x: self.cutoff(x) for x in set(q)}
            published = o["source_date"].to_numpy() <= q.map(cutoffs).to_numpy()
            o, q = o[published], q[published]
            figures = pd.DataFrame({"q": q, "metric": o["metric_id"], "start": o["start"],
                                    "end": o["end"]})
            counts = figures.drop_duplicates().groupby("q").size()
            anchored = set(q[o["topic"] == REPORT_ANCHOR_TOPIC])
            self.memo["quarters"] = tuple(sorted(x for x, n in counts.items()
                                                 if n >= REPORT_MIN_FIGURES or x in anchored))
        return list(self.memo["quarters"])

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
    same validator), is not validated again: see ``validate.read_validated``. Data
    loaded before in this process, unchanged, is not even read again: the same Dataset
    is returned (a kernel that builds report after report, the preview), with what was
    derived from it; treat it as read-only.

    Returns:
        The typed Dataset.

    Raises:
        DataError: Listing every problem in every file, if there is any.
    """
    ddir = paths.data_dir(data_dir)
    sdir = Path(sources_dir) if sources_dir is not None else paths.sources_dir()
    try:  # everything validation reads, by content: the same key, the same Dataset
        key = (str(Path(ddir).resolve()), fingerprint(Path(ddir), sdir), require_sources)
    except OSError:
        key = None
    if key is not None and key in _LOADED:
        use_data(ddir)
        return _LOADED[key]
    result = read_validated(ddir, sources_dir, require_sources)
    result.raise_for_problems()
    use_data(ddir)  # the vocabulary's enums are this data's from now on
    ds = Dataset.from_tables(result.tables, ddir, result.notes)
    ds.checks = dict(result.checks)
    if key is not None:
        _LOADED.clear()  # the last data loaded only: a changed file replaces it
        _LOADED[key] = ds
    return ds


#: The last Dataset this process loaded, by the fingerprint of everything its validation read.
_LOADED: dict[tuple, Dataset] = {}


def core_quarter_of(period_type: str, end: date, forward: bool = False) -> Quarter | None:
    """The quarter a figure of this period type ending on ``end`` is a core figure of
    (see :meth:`Dataset.core_quarter`).

    >>> str(core_quarter_of("stock", date(2026, 3, 31))), core_quarter_of("stock", date(2026, 4, 15))
    ('2026Q1', None)
    """
    if forward or period_type not in ("flow", "stock"):
        return None
    q = Quarter.of(end)
    return q if period_type == "flow" or end == q.end else None


def _parsed(cells: list[str], parse) -> list:
    # each distinct text parsed once: dates and numbers repeat across rows
    seen = {c: parse(c) for c in set(cells)}
    return [seen[c] for c in cells]


def _type_observations(frame: pd.DataFrame, metrics: pd.DataFrame,
                       sources: pd.DataFrame) -> pd.DataFrame:
    o = frame.copy()
    o.insert(0, "row", o.index.astype(int))
    o = o.reset_index(drop=True)
    cols = {c: o[c].tolist() for c in ("metric_id", "entity_id", "period_start", "period_end",
                                       "source_id", "value", "unit", "qualifier")}
    o.insert(0, "obs_id", [obs_id(m, e, d, s) for m, e, d, s in zip(
        cols["metric_id"], cols["entity_id"], cols["period_end"], cols["source_id"], strict=True)])
    o["decimals"] = _parsed(cols["value"], decimals_of)
    o["yoy_decimals"] = _parsed(o["yoy_pct"].tolist(), decimals_of)
    o["yoy_diff_decimals"] = _parsed(o["yoy_diff"].tolist(), decimals_of)
    for col in NUMERIC:
        o[col] = pd.to_numeric(o[col].replace("", None), errors="raise").astype(float)
    o["streak_months"] = pd.to_numeric(o["streak_months"].replace("", None)).astype("Int64")
    o["start"] = pd.Series(_parsed(cols["period_start"], lambda s: date.fromisoformat(s) if s else None),
                           dtype=object)
    o["end"] = pd.Series(_parsed(cols["period_end"], date.fromisoformat), dtype=object)
    factor = {u: UNITS[u].factor for u in set(cols["unit"])}
    o["value_base"] = o["value"].to_numpy() * np.array([factor[u] for u in cols["unit"]], dtype=float)
    o["bound"] = _parsed(cols["qualifier"], bound_of)
    o["forward"] = is_forward_looking(o["note"]).to_numpy(dtype=bool)
    m = metrics.loc[o["metric_id"]]
    for col in ("topic", "kind", "period_type", "priority", "base_unit", "growth_of"):
        o[col] = m[col].to_numpy()
    # the definition a row stands for: its own narrowing cell, else its metric's (dataset/definitions.py)
    o["concept"] = [c or mid for c, mid in zip(m["concept"].to_numpy(), o["metric_id"], strict=True)]
    for col in DEFINITION_FIELDS:
        o[col] = [own or of_metric for own, of_metric in zip(o[col], m[col].to_numpy(), strict=True)]
    s = sources.loc[o["source_id"]]
    o["source_date"] = s["date"].to_numpy()
    o["reliability"] = s["reliability"].to_numpy()
    o["language"] = s["language"].to_numpy()
    # one core_quarter_of per distinct (period type, end, target), not per row
    keys = list(zip(o["period_type"].tolist(), o["end"].tolist(), o["forward"].tolist(), strict=True))
    quarter_of = {k: core_quarter_of(*k) for k in set(keys)}
    o["core_quarter"] = pd.Series([quarter_of[k] for k in keys], dtype=object)
    o["figure"], o["preferred"] = _pick_preferred(o)
    return o


class FigureGroups:
    """Which rows describe the same figure, and which of each group the report uses (see the
    module doc), kept up to date as rows are added in any order.

    Two rows of one series are linked when they have the same period, or the same base value
    with ends at most ``SAME_FIGURE_DAYS`` apart. A new row is linked to the first row of its
    period and to its neighbours by end among the rows of its value (a chain in end order:
    the same groups as comparing every pair); groups only ever merge, so adding the rows of
    the sources in date order gives, at each date, exactly the groups of the data as
    published by then (:func:`cqreport.analysis.quarter.as_published`) without regrouping.
    Union-find over row positions: a group's id is its smallest position, and each group
    keeps its best row by the preference rules.

    Args:
        o: Typed observations (positions 0..n-1 are the rows).
    """

    def __init__(self, o: pd.DataFrame):
        n = len(o)
        series = pd.factorize(o["metric_id"] + "@" + o["entity_id"])[0]
        start = [d.toordinal() if d is not None else -1 for d in o["start"]]
        self.end = [d.toordinal() for d in o["end"]]
        self.period = pd.MultiIndex.from_arrays([series, start, self.end]).factorize()[0].tolist()
        # values equal within 1e-9 relative share a key rounded to 12 significant digits
        value = pd.factorize(pd.Series([float(f"{v:.12g}") for v in o["value_base"]]))[0]
        self.value = pd.MultiIndex.from_arrays([series, value]).factorize()[0].tolist()
        # a doubted row, or a target or forecast, is never the one used (module doc)
        self.unused = ((o["caution"] != "") | o["forward"]).to_numpy().tolist()
        grades = o["reliability"].map({g: i for i, g in enumerate(reliability_grades())}).to_numpy().tolist()
        recency = [-d.toordinal() for d in o["source_date"]]
        caution = o["bound"].map(BOUND_CAUTION).to_numpy().tolist()
        rows = o["row"].to_numpy().tolist()
        # restatements of different values: grade, then recency, then the cautious qualifier;
        # reports of one value: the cautious qualifier first, so none is lost (module doc)
        self._restated = [(u, g, r, c, w) for u, g, r, c, w in
                          zip(self.unused, grades, recency, caution, rows, strict=True)]
        self._confirmed = [(u, c, g, r, w) for u, g, r, c, w in
                           zip(self.unused, grades, recency, caution, rows, strict=True)]
        self.parent = list(range(n))
        self.best = list(range(n))
        self._first: dict[int, int] = {}
        self._chains: dict[int, list[tuple[int, int]]] = {}

    def find(self, i: int) -> int:
        """The group (its smallest row position) of row i."""
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def _union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            root, other = min(a, b), max(a, b)
            self.parent[other] = root
            ba, bb = self.best[a], self.best[b]
            key = self._confirmed if self.value[ba] == self.value[bb] else self._restated
            self.best[root] = ba if key[ba] < key[bb] else bb

    def add(self, i: int) -> None:
        """Add row i, linking it to the rows added before."""
        first = self._first.setdefault(self.period[i], i)
        if first != i:
            self._union(first, i)
        chain = self._chains.setdefault(self.value[i], [])
        end = self.end[i]
        k = bisect.bisect_left(chain, (end, i))
        if k > 0 and end - chain[k - 1][0] <= SAME_FIGURE_DAYS:
            self._union(chain[k - 1][1], i)
        if k < len(chain) and chain[k][0] - end <= SAME_FIGURE_DAYS:
            self._union(chain[k][1], i)
        chain.insert(k, (end, i))

    def preferred(self, i: int) -> bool:
        """Whether row i is the one the report uses among the rows added so far."""
        return self.best[self.find(i)] == i and not self.unused[i]


def _pick_preferred(o: pd.DataFrame) -> tuple[list[int], list[bool]]:
    """Group rows that describe the same figure and mark the one the report uses
    (:class:`FigureGroups` over every row). A figure's id is the smallest row position in
    its group."""
    groups = FigureGroups(o)
    for i in range(len(o)):
        groups.add(i)
    return [groups.find(i) for i in range(len(o))], [groups.preferred(i) for i in range(len(o))]

