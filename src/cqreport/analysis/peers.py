"""Chongqing among its peers: loan growth of Chongqing, the peer provinces and the nation.

What the report's section "与全国及周边省份比较 / Chongqing among its peers" compares, chosen
once here and read by its table, its chart and its coverage grid:

* **Who**: Chongqing, the entities of a peer type (:data:`~cqreport.core.vocab.PEER_ENTITY_TYPES`,
  the provinces) and the nation (:data:`~cqreport.core.vocab.NATIONAL_ENTITY_TYPES`), in the
  catalogue's order.
* **What**: year-on-year growth of the loan balance (concept ``loan_balance``): a level row's
  own growth or a growth-only row (:func:`~cqreport.analysis.derive.growth_rows`), at
  quarter-ends only. Growth since the start of the year (a rate over a span of the concept)
  is no year-on-year growth: it is only listed apart and in the grid.
* **When**: the latest quarter-end each has from ``WINDOW_QUARTERS`` quarter-ends before the
  report's quarter-end up to it (a year), as published by the report's cut-off. A figure dated
  after the quarter's end is not used, even when published before the cut-off.
* **On one basis**: a column is one definition, the one of the nation's latest growth rate in
  the window whose currency, compiler and coverage are all stated; a region's figure stands in
  the column only when :func:`~cqreport.analysis.comparable.compare` (``across_entities=True``)
  says it may be compared with that national figure. Two definitions never share a column.
* **Gaps to the nation**: the national gap judgement
  (:func:`~cqreport.analysis.judgements.national_gap`) of the latest figure in the column that
  has a national figure of the same definition at the same date (which may be earlier than the
  region's latest figure: the table then says so).
* **Apart**: a region's latest figure on another definition (the banking regulator's, 不含深圳,
  currency not stated, since the start of the year), with why it is not compared; and the gaps
  the releases state themselves, with the national basis they use (``gap_basis``).
* **Coverage grid**: region × quarter-end, the definitions each has a growth figure on; an
  empty cell stays empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from ..core.periods import Quarter
from ..core.vocab import DEFINITION_FIELDS, NATIONAL_ENTITY_TYPES, PEER_ENTITY_TYPES, UNSTATED
from ..dataset.model import Dataset
from .comparable import Verdict, compare, is_quarter_end
from .derive import growth_rows
from .judgements import national_gap

#: The concept the section compares: the loan balance (its year-on-year growth).
PEER_CONCEPT = "loan_balance"
#: Quarter-ends before the report's that a region's latest figure may date from (a year).
WINDOW_QUARTERS = 4


@dataclass(frozen=True)
class Basis:
    """One definition of loan growth: the definition fields, and whether it is growth since the
    start of the year (``ytd``) rather than year on year."""

    currency: str
    compiler: str
    scope: str
    ytd: bool = False

    @property
    def stated(self) -> bool:
        """True when no field is left open by the sources (only then may it head a column)."""
        return not self.ytd and UNSTATED not in (self.currency, self.compiler, self.scope)


def basis_of(row: pd.Series) -> Basis:
    """The definition a growth row stands for."""
    return Basis(*(str(row[f]) for f in DEFINITION_FIELDS), ytd=row["period_type"] == "flow")


@dataclass
class Cell:
    """One region's figures in one column: its latest growth rate (``row``) and the latest one
    with a national figure of the same definition at the same date (``gap_row``, or None)."""

    row: pd.Series
    gap_row: pd.Series | None = None


@dataclass
class Column:
    """One definition: the nation's latest growth on it (``reference``), and each region's cell."""

    basis: Basis
    reference: pd.Series
    cells: dict[str, Cell] = field(default_factory=dict)


@dataclass
class Apart:
    """A region's latest figure on a definition no column has, and why it is not compared."""

    row: pd.Series
    basis: Basis
    why: Verdict | None


@dataclass
class PeerComparison:
    """Everything the peers section shows for one quarter (see the module doc)."""

    quarter: Quarter
    first: date
    regions: list[str]
    nations: list[str]
    columns: list[Column]
    apart: list[Apart]
    stated_gaps: list[pd.Series]
    grid_ends: list[date]
    grid: dict[tuple[str, date], list[Basis]]

    @property
    def peers(self) -> list[str]:
        """The regions that are neither Chongqing nor the nation."""
        return [r for r in self.regions if r != "chongqing" and r not in self.nations]

    def rows(self) -> list[pd.Series]:
        """Every row the table cites whose national gap it writes (for the audit to recompute)."""
        return [c.gap_row for col in self.columns for c in col.cells.values() if c.gap_row is not None]

    def __bool__(self) -> bool:
        return bool(self.columns or self.apart)


def regions(ds: Dataset) -> tuple[list[str], list[str]]:
    """Chongqing, the peers and the nations, in the catalogue's order; and the nations alone."""
    types = ds.entities["entity_type"]
    peers = [e for e in ds.entities.index if types[e] in PEER_ENTITY_TYPES]
    nations = [e for e in ds.entities.index if types[e] in NATIONAL_ENTITY_TYPES]
    return ["chongqing", *peers, *nations], nations


def growth_table(ds: Dataset, entity_id: str) -> pd.DataFrame:
    """Every growth rate of the loan balance of one entity at quarter-ends, oldest first, with
    the rate in ``growth``: year-on-year (level rows and growth-only rows) and since the start of
    the year (rates over a span), one row per date and definition."""
    key = ("peer_growth", entity_id)
    if key in ds.memo:
        return ds.memo[key]
    m = ds.metrics
    concept = m["concept"].where(m["concept"] != "", pd.Series(m.index, index=m.index))
    parts = []
    for mid in m.index[(concept == PEER_CONCEPT) & (m["growth_of"] == "")]:
        if m.loc[mid, "kind"] == "rate":   # growth since the start of the year: its value is the rate
            s = ds.preferred_by_series.get((mid, entity_id))
            if s is not None:
                parts.append(s.assign(growth=s["value"]))
        else:
            parts.append(growth_rows(ds, mid, entity_id))
    rows = pd.concat(parts, ignore_index=True) if parts else ds.observations.iloc[0:0].assign(growth=[])
    rows = rows[[is_quarter_end(d) for d in rows["end"]]] if len(rows) else rows
    ds.memo[key] = rows.sort_values(["end", "metric_id"]).reset_index(drop=True)
    return ds.memo[key]


def _published(rows: pd.DataFrame, first: date, last: date, cutoff: date) -> pd.DataFrame:
    keep = (rows["end"] >= first) & (rows["end"] <= last) & (rows["source_date"] <= cutoff)
    return rows[keep] if len(rows) else rows


def _latest(rows: list[pd.Series]) -> pd.Series | None:
    return max(rows, key=lambda r: r["end"], default=None)


def _columns(ds: Dataset, found: dict[str, pd.DataFrame], nations: list[str]) -> list[Column]:
    """The columns: one per stated definition the nation has a growth rate on in the window."""
    columns: list[Column] = []
    for nation in nations:
        nat = found[nation]
        for basis in dict.fromkeys(basis_of(r) for _, r in nat.iterrows()):
            if basis.stated and all(c.basis != basis for c in columns):
                ref = _latest([r for _, r in nat.iterrows() if basis_of(r) == basis])
                columns.append(Column(basis, ref))
    for col in columns:
        for region, rows in found.items():
            like = [r for _, r in rows.iterrows() if compare(r, col.reference, across_entities=True)]
            latest = _latest(like)
            if latest is None:
                continue
            gaps = [r for r in sorted(like, key=lambda r: r["end"], reverse=True)
                    if region not in nations and (j := national_gap(ds, r)) is not None and j.value is not None]
            col.cells[region] = Cell(latest, gaps[0] if gaps else None)
    # a column the nation alone fills compares nothing; the fullest column first
    columns = [c for c in columns if any(r not in nations for r in c.cells)]
    return sorted(columns, key=lambda c: -len(c.cells))


def _apart(found: dict[str, pd.DataFrame], columns: list[Column]) -> list[Apart]:
    """Each region's latest figure on every definition no column takes, with why not."""
    used = {c.row["obs_id"] for col in columns for c in col.cells.values()}
    out = []
    for rows in found.values():
        seen: dict[Basis, pd.Series] = {}
        for _, r in rows.iterrows():
            if not any(compare(r, col.reference, across_entities=True) for col in columns):
                b = basis_of(r)
                if b not in seen or r["end"] > seen[b]["end"]:
                    seen[b] = r
        for b, r in seen.items():
            if r["obs_id"] not in used:
                why = compare(r, columns[0].reference, across_entities=True) if columns else None
                out.append(Apart(r, b, why))
    return out


def _stated_gaps(ds: Dataset, columns: list[Column], apart: list[Apart]) -> list[pd.Series]:
    """The gaps to the nation the releases state for the figures shown (their own row or another
    source's row of the same figure), each with the basis it uses (``gap_basis``)."""
    shown = [r for col in columns for c in col.cells.values() for r in (c.row, c.gap_row) if r is not None]
    shown += [a.row for a in apart]
    figures = {r["figure"] for r in shown}
    o = ds.observations
    hit = o[o["figure"].isin(figures) & o["vs_national_pp"].notna()]
    # one per figure: the preferred row's own statement first
    hit = hit.sort_values("preferred", ascending=False).drop_duplicates("figure")
    order = {f: i for i, f in enumerate(r["figure"] for r in shown)}
    return [r for _, r in sorted(hit.iterrows(), key=lambda t: order[t[1]["figure"]])]


def _grid(all_rows: dict[str, pd.DataFrame], nations: list[str], q: Quarter, years: int,
          cutoff: date) -> tuple[list[date], dict[tuple[str, date], list[Basis]]]:
    """Region × quarter-end: the definitions each has a growth figure on (any source grade)."""
    start = q.shift(-4 * years + 1)
    ends = [start.shift(i).end for i in range(4 * years)]
    grid: dict[tuple[str, date], list[Basis]] = {}
    for region, rows in all_rows.items():
        rows = _published(rows, ends[0], ends[-1], cutoff)
        for _, r in rows.iterrows():
            cell = grid.setdefault((region, r["end"]), [])
            if basis_of(r) not in cell:
                cell.append(basis_of(r))
    # from the first quarter-end a peer or Chongqing has a figure: years of national figures alone
    # before it would only be empty rows
    first = min((e for (region, e) in grid if region not in nations), default=ends[-1])
    return [e for e in ends if e >= first], grid


def compare_peers(ds: Dataset, q: Quarter, cutoff: date, *, grid_years: int = 5) -> PeerComparison:
    """What the peers section of quarter q's report shows (see the module doc).

    Args:
        ds: The data as published by the report's cut-off (``qd.dataset``).
        q: The report's quarter.
        cutoff: The report's data cut-off.
        grid_years: How many years back from the quarter the coverage grid reaches.
    """
    key = ("peers", q, cutoff, grid_years)
    if key in ds.memo:
        return ds.memo[key]
    names, nations = regions(ds)
    first = q.shift(-WINDOW_QUARTERS).end
    everything = {r: growth_table(ds, r) for r in names}
    found = {r: _published(rows, first, q.end, cutoff) for r, rows in everything.items()}
    found = {r: rows for r, rows in found.items() if len(rows)}
    has_peer = any(r != "chongqing" and r not in nations for r in found)
    columns = _columns(ds, found, nations) if has_peer else []
    apart = _apart({r: v for r, v in found.items() if r not in nations}, columns) if has_peer else []
    ends, grid = _grid(everything, nations, q, grid_years, cutoff)
    result = PeerComparison(q, first, names, nations, columns, apart,
                            _stated_gaps(ds, columns, apart), ends, grid)
    ds.memo[key] = result
    return result


def growth_paths(ds: Dataset, comparison: PeerComparison, cutoff: date) -> list[tuple[Basis, str, pd.DataFrame]]:
    """Each column's growth path of each region: every growth rate of that definition at a
    quarter-end up to the report's quarter, published by the cut-off, oldest first (the chart
    chooses how far back and from which sources it draws)."""
    out = []
    for col in comparison.columns:
        for region in comparison.regions:
            rows = growth_table(ds, region)
            rows = _published(rows, date.min, comparison.quarter.end, cutoff)
            keep = [i for i, r in rows.iterrows() if compare(r, col.reference, across_entities=True)]
            sel = rows.loc[keep].drop_duplicates("end", keep="first").reset_index(drop=True)
            if len(sel):
                out.append((col.basis, region, sel))
    return out
