"""The peers section as the report shows it: what its templates print, and its chart.

The comparison itself (who, which quarter-ends, which definition per column, which gaps) is
chosen in :mod:`cqreport.analysis.peers`; here it becomes Facts for the templates
``peers_<lang>.j2`` (every number ledgered when printed) and a chart of the growth paths:

* one panel per column of the table (one definition: the axis never mixes two);
* a point only from a source graded at least ``CHART_MIN_GRADE`` (machine summaries are in the
  table, named as such, never drawn), ``HISTORY_YEARS`` back from the latest point;
* a line only through three or more consecutive quarter-ends; fewer are markers alone;
* a region with a single point is no path (the table has it), and a panel needs
  ``MIN_POINTS`` points and a region beside the nation;
* the nation is drawn apart from the peers: black hollow squares on a dashed line, named as
  the national yardstick in the legend, in its direct label and in the caption; Chongqing and
  the peer provinces are filled markers, each its own colour and shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from ..analysis.peers import Basis, compare_peers, growth_paths
from ..core.periods import shift_years
from ..core.phrases import period_phrase
from ..core.vocab import CHART_MIN_GRADE, reliability_grades, word
from .chartdata import HISTORY_YEARS, MIN_POINTS, ChartData, Panel, Series

if TYPE_CHECKING:
    from ..analysis.peers import PeerComparison
    from ..analysis.quarter import QuarterData
    from .charts import Chart, Charts
    from .facts import _Writer

CHART_NAME = "peers"
#: A line joins at least this many consecutive quarter-ends; fewer points are markers alone.
MIN_LINE_POINTS = 3
NATIONAL_STYLE = {"color": "#1f2933", "marker": "s", "mfc": "white", "ls": "--"}
PEER_MARKERS = ("o", "^", "D", "v", "P", "X")


def comparison(qd: QuarterData) -> PeerComparison:
    """The quarter's peer comparison (the coverage grid reaches as far back as the charts)."""
    return compare_peers(qd.dataset, qd.quarter, qd.cutoff, grid_years=HISTORY_YEARS)


# ============================================================================ the view
def peers_view(w: _Writer) -> dict[str, Any] | None:
    """What ``peers_<lang>.j2`` prints, or None when the quarter has no peer data.

    ``columns``: each column's basis and national Fact; ``rows``: one per region (name, whether
    it is the nation, one cell per column: ``fact``, ``gap`` (the national gap as
    :attr:`Fact.national` gives it) and ``gap_fact`` when the gap is of an earlier date);
    ``apart``: figures on other definitions with ``why``; ``stated``: the releases' own gaps;
    ``grid``: one row per quarter-end with the bases each region has.
    """
    qd, lang = w.qd, w.lang
    pc = comparison(qd)
    if not pc:
        return None
    names = {r: w.text(qd.dataset.entities.loc[r, f"name_{lang}"], inline=True) for r in pc.regions}
    rows = []
    for region in pc.regions:
        cells = []
        for col in pc.columns:
            c = col.cells.get(region)
            if c is None:
                cells.append(None)
                continue
            gap_fact = w.fact(c.gap_row)
            cells.append({"fact": w.fact(c.row), "gap_fact": gap_fact,
                          "gap": gap_fact.national if gap_fact is not None else None,
                          "gap_earlier": gap_fact is not None and c.gap_row["end"] != c.row["end"]})
        if any(cells):
            rows.append({"region": region, "name": names[region], "nation": region in pc.nations,
                         "chongqing": region == "chongqing", "cells": cells})
    apart = [{"fact": w.fact(a.row), "label": basis_words(a.basis, lang), "ytd": a.basis.ytd,
              "name": names[a.row["entity_id"]]} for a in pc.apart]
    stated = [{"fact": w.fact(r), "name": names[r["entity_id"]], "basis": r["gap_basis"] or "unstated"}
              for r in pc.stated_gaps]
    grid = [{"end": period_phrase(None, e, lang),
             "cells": [[basis_words(b, lang) for b in pc.grid.get((r, e), [])] for r in pc.regions]}
            for e in pc.grid_ends]
    return {"quarter_end": period_phrase(None, qd.quarter.end, lang),
            "first": period_phrase(None, pc.first, lang),
            "columns": [basis_words(c.basis, lang) for c in pc.columns],
            "rows": rows, "apart": apart, "stated": stated, "grid": grid,
            "grid_regions": [names[r] for r in pc.regions],
            "grid_nations": [r in pc.nations for r in pc.regions],
            "peer_names": [names[r] for r in pc.peers]}


# ============================================================================ chart data
def _drawable(rows: pd.DataFrame, latest) -> pd.DataFrame:
    """The points a chart may draw: a good enough source, within the charts' history."""
    grades = reliability_grades()
    good = set(grades[:grades.index(CHART_MIN_GRADE) + 1])
    keep = rows["reliability"].isin(good) & (rows["end"] > shift_years(latest, -HISTORY_YEARS))
    return rows[keep].reset_index(drop=True)


def peers_chart_data(qd: QuarterData) -> ChartData | None:
    """What the peers chart draws (module doc), or None when it would draw no path."""
    pc = comparison(qd)
    if not pc:
        return None
    paths = growth_paths(qd.dataset, pc, qd.cutoff)
    if not paths:
        return None
    latest = max(rows["end"].max() for _, _, rows in paths)
    panels: dict[Basis, Panel] = {}
    for basis, region, rows in paths:
        rows = _drawable(rows, latest)
        national = region in pc.nations
        if len(rows) < (1 if national else 2):
            continue
        panel = panels.setdefault(basis, Panel("percent", "stock", "yoy_pct", basis=basis))
        panel.series.append(Series(str(rows["metric_id"].iloc[-1]), region, "yoy_pct", "stock", rows,
                                   comparator=national))
    kept = [p for p in panels.values()
            if p.points >= MIN_POINTS and any(not s.comparator for s in p.series)]
    return ChartData(CHART_NAME, "credit", kept) if kept else None


# ============================================================================ the chart
def basis_words(basis: Basis, lang: str) -> str:
    """A definition in words: the currency for the central bank's whole-area figures, else its
    coverage and compiler (and the currency when stated); growth since the start of the year
    says so first."""
    parts = [word("charts", "peers_ytd", lang)] if basis.ytd else []
    plain = basis.compiler == "central_bank" and basis.scope == "whole"
    if plain or basis.currency != "unstated":
        parts.append(word("definition", f"currency_{basis.currency}", lang))
    if basis.scope != "whole":
        parts.append(word("definition", f"scope_{basis.scope}", lang))
    if basis.compiler != "central_bank":
        parts.append(word("definition", f"compiler_{basis.compiler}", lang))
    return ("，" if lang == "zh" else ", ").join(parts)


def _region_name(qd: QuarterData, s: Series, lang: str) -> str:
    name = str(qd.dataset.entities.loc[s.entity_id, f"name_{lang}"])
    return word("charts", "peers_national", lang) if s.comparator else name


def _title(qd: QuarterData, cd: ChartData, lang: str) -> str:
    """The message: Chongqing's latest growth (else the freshest peer's) on its panel's
    definition, and the nation's at that date when drawn."""
    from ..core.formatting import format_yoy

    drawn = [(p, s) for p in cd.panels for s in p.series if not s.comparator]
    panel, lead = max(drawn, key=lambda t: (t[1].entity_id == "chongqing", t[1].rows["end"].iloc[-1]))
    last = lead.rows["end"].iloc[-1]
    when = period_phrase(None, last, lang)
    name = str(qd.dataset.entities.loc[lead.entity_id, f"name_{lang}"])
    text = format_yoy(float(lead.values()[-1]), lang)
    nat = next((s for s in panel.series if s.comparator), None)
    at = [] if nat is None else [v for e, v in zip(nat.rows["end"], nat.values(), strict=True) if e == last]
    basis = basis_words(panel.basis, lang)
    if lang == "zh":
        return f"{when}，{name}{basis}贷款{text}" + (f"，全国同口径{format_yoy(at[0], lang)}" if at else "")
    title = f"{name}'s loans {text} ({when}, {basis})"
    return title + (f"; national, same definition: {format_yoy(at[0], lang)}" if at else "")


def _runs(s: Series) -> list[tuple[int, int]]:
    return [(a, b) for a, b in s.runs() if b - a >= MIN_LINE_POINTS]


def draw_peers(qd: QuarterData, cd: ChartData, lang: str) -> Chart:
    """Draw the peers chart: a panel per definition, the nation apart from the peers."""
    import matplotlib.dates as mdates
    from matplotlib.lines import Line2D

    from .charts import ACCENT, PALETTE, Chart, _finish, _new_figure, _positions, _tx, alt_text, wrap_title

    fig = _new_figure(1.3 + 2.4 * len(cd.panels))
    axes = fig.subplots(len(cd.panels), 1, sharex=True, squeeze=False)[:, 0]
    xs = [x for s in cd.series() for x in _positions(s)]
    lo, hi = min(xs), max(xs)   # the axis ends at the data
    pad = pd.Timedelta(days=max(45, (hi - lo).days * 0.04))
    regions = list(dict.fromkeys(s.entity_id for s in cd.series() if not s.comparator))
    styles: dict[str, dict[str, Any]] = {}
    for i, r in enumerate(sorted(regions, key=lambda r: r != "chongqing")):
        colour = ACCENT if r == "chongqing" else PALETTE[1 + (i - 1) % (len(PALETTE) - 1)]
        styles[r] = {"color": colour, "marker": PEER_MARKERS[i % len(PEER_MARKERS)], "ls": "-"}
        styles[r]["mfc"] = colour
    handles: dict[str, Line2D] = {}
    for ax, panel in zip(axes, cd.panels, strict=True):
        labels = []
        for s in panel.series:
            st = NATIONAL_STYLE if s.comparator else styles[s.entity_id]
            x, y = _positions(s), pd.Series(s.values())
            ax.plot(x, y, marker=st["marker"], ls="none", ms=6, color=st["color"], mfc=st["mfc"],
                    gid=f"series:{s.entity_id}:{'national' if s.comparator else 'peer'}")
            for a, b in _runs(s):
                ax.plot(x[a:b], y[a:b], color=st["color"], lw=1.5, ls=st["ls"])
            name = _region_name(qd, s, lang)
            handles.setdefault(name, Line2D([], [], color=st["color"], marker=st["marker"], mfc=st["mfc"],
                                            ls=st["ls"], label=name))
            labels.append((y.iloc[-1], x.iloc[-1], f"{name} {s.values()[-1]:g}%", st["color"]))
        values = [v for s in panel.series for v in s.values()]
        span = max(max(values) - min(values), 1.0)
        middle, placed = lo + (hi - lo) / 2, []
        for yv, xv, text, color in sorted(labels, key=lambda t: -t[0]):
            right = xv >= middle   # labels run inward: the axis ends at the data
            # beside its own point: above it, or below when a label above stands too close
            near = any(abs(yv - y0) < 0.15 * span and abs((xv - x0).days) < 0.3 * (hi - lo).days
                       for y0, x0, up in placed if up)
            placed.append((yv, xv, not near))
            ax.annotate(text, (xv, yv), textcoords="offset points", xytext=(-6 if right else 6, -10 if near else 9),
                        ha="right" if right else "left", va="center", fontsize=7.5, color=color)
        ax.set_ylim(min(values) - 0.25 * span, max(values) + 0.45 * span)
        head = basis_words(panel.basis, lang)
        head = f"{head}（{_tx(lang, 'yoy')}）" if lang == "zh" else f"{head[:1].upper()}{head[1:]} ({_tx(lang, 'yoy')})"
        ax.set_title(head, fontsize=9, loc="left", color="#52606d")
        ax.axvspan(pd.Timestamp(qd.quarter.start), pd.Timestamp(qd.quarter.end), color=ACCENT, alpha=0.08, lw=0)
        ax.set_xlim(lo - pad, hi + pad)
    axes[-1].xaxis.set_major_locator(mdates.YearLocator())
    axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    fig.legend(handles=list(handles.values()), loc="outside lower center", ncols=min(len(handles), 5),
               fontsize=8, frameon=False)
    title = _title(qd, cd, lang)
    _finish(fig, "\n".join(wrap_title(title, 30 if lang == "zh" else 64)))
    caption = _tx(lang, "peers_caption") + _tx(lang, "rules")
    return Chart(fig, caption, alt_text(qd, cd, lang, title), CHART_NAME,
                 tuple(dict.fromkeys(r for s in cd.series() for r in s.rows["metric_id"])),
                 data=cd, download_name=f"{qd.quarter}_{CHART_NAME}_{lang}.csv",
                 download_label=_tx(lang, "download"), table_label=_tx(lang, "table_link"))


def peers_charts(qd: QuarterData, lang: str = "zh") -> Charts:
    """The peers section's chart (empty when there is no path to draw)."""
    from ..core.vocab import Lang
    from .charts import Charts

    lang = Lang.parse(lang)
    cd = peers_chart_data(qd)
    return Charts([] if cd is None else [draw_peers(qd, cd, lang)])
