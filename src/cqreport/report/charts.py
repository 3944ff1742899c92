"""Charts of the quarterly report, drawn with matplotlib and seaborn.

Rules every chart here follows:

- Text (titles, axis labels, legends, captions) is in the report's language and
  drawn with the CJK font from :mod:`cqreport.report.fonts`, registered after
  ``seaborn.set_theme()`` (which resets fonts): call :func:`setup` first.
- Only what was known at the quarter's data cut-off is drawn.
- One line joins observations of one metric only. Different definitions (RMB
  loans vs loans in all currencies; vehicles vs yuan) are different series,
  drawn apart, never one joined line. Each line and bar group carries the
  metric id in its ``gid`` so tests can check that.
- A panel's axis holds one unit; amounts in yuan and in US dollars, or counts
  of different things, get separate panels.
- Captions carry no numbers: the narrative audit reads every word of the page,
  and numbers belong to the narrative module. Numbers appear only inside the
  images (axis ticks, value labels), taken from the data.

Figures are made with ``matplotlib.figure.Figure`` (not pyplot), so nothing is
shown twice in a notebook: a :class:`Chart` displays itself as an embedded PNG.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date  # noqa: F401  (the doctests use it)
from typing import TYPE_CHECKING

import pandas as pd

from ..core.phrases import period_label
from ..core.vocab import CHART_SCALES, EN_MONEY_AXIS, report_topics, require_topic, word
from . import fonts

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..analysis.quarter import QuarterData

DPI = 150
WIDTH_IN = 7.6
ACCENT = "#1d4e89"
CONTEXT = "#9aa5b1"
PALETTE = ("#1d4e89", "#c8553d", "#2a9d8f", "#e9a23b", "#6d597a", "#588157")



def _tx(lang: str, key: str) -> str:
    return word("charts", key, lang)


# ---------------------------------------------------------------------------
# Set-up and the displayable chart


def setup(font: fonts.CjkFont | None = None) -> str:
    """Apply the report's seaborn theme, then the CJK font (after: set_theme resets fonts).

    Returns:
        The font family now used for chart text.
    """
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook", font_scale=0.9,
                  rc={"axes.edgecolor": "#c9d1da", "grid.color": "#e6eaef",
                      "axes.titleweight": "normal", "figure.dpi": DPI, "savefig.dpi": DPI})
    return fonts.use_cjk_font(font)


@dataclass
class Chart:
    """A finished chart: the figure, its caption and a short alt text.

    In a notebook it displays as a ``<figure>`` with an embedded PNG, so the
    exported HTML needs no image files.
    """

    figure: Figure
    caption: str
    alt: str
    name: str
    metrics: tuple[str, ...] = ()

    def png(self) -> bytes:
        """The chart as PNG bytes."""
        buf = io.BytesIO()
        # constrained layout already fits the labels: no second "tight" pass
        self.figure.savefig(buf, format="png", dpi=DPI, facecolor="white",
                            metadata={"Software": None})
        return buf.getvalue()

    def _repr_html_(self) -> str:
        b64 = base64.b64encode(self.png()).decode("ascii")
        return (f'<figure class="cq-chart" id="chart-{html.escape(self.name)}">'
                f'<img src="data:image/png;base64,{b64}" alt="{html.escape(self.alt)}"/>'
                f"<figcaption>{html.escape(self.caption)}</figcaption></figure>")

    def __repr__(self) -> str:
        return f"Chart({self.name!r})"


class Charts(list):
    """A list of charts that displays as one block (empty: displays nothing)."""

    def _repr_html_(self) -> str:
        return '<div class="cq-charts">' + "".join(c._repr_html_() for c in self) + "</div>"

    def __repr__(self) -> str:
        return f"Charts({[c.name for c in self]})"


# ---------------------------------------------------------------------------
# Data helpers


def known_rows(qd: QuarterData, metric_id: str, entity_id: str = "chongqing") -> pd.DataFrame:
    """Preferred observations of one series that the quarter's report may show, oldest first.

    That is every row the report cites (its figures, context and comparisons, even
    when published after the cut-off), and every other row known at the cut-off.
    """
    s = qd.dataset.series(metric_id, entity_id)
    if s.empty:
        return s
    known = (s["end"] <= qd.cutoff) & (s["source_date"] <= qd.cutoff)
    keep = known | s["obs_id"].isin(qd.used_ids())
    return s[keep].reset_index(drop=True)


def metric_name(qd: QuarterData, metric_id: str, lang: str) -> str:
    """The metric's name in the language (from the catalogue)."""
    return str(qd.dataset.metrics.loc[metric_id, f"name_{lang}"])


def entity_name(qd: QuarterData, entity_id: str, lang: str) -> str:
    """The entity's name in the language (from the catalogue)."""
    return str(qd.dataset.entities.loc[entity_id, f"name_{lang}"])


def is_partial_year(row: pd.Series) -> bool:
    """True for a flow shorter than a full calendar year (Jan–Nov)."""
    start, end = row["start"], row["end"]
    if start is None:
        return False
    return not (start.month == 1 and start.day == 1 and end.month == 12 and end.day == 31)


def unit_scale(base_unit: str, values: Iterable[float], lang: str) -> tuple[float, str]:
    """Factor to divide base values by, and the unit label, for one panel.

    >>> unit_scale("yuan", [6.5e12], "zh")
    (100000000.0, '亿元')
    >>> unit_scale("yuan", [6.5e12], "en")
    (1000000000.0, 'billion yuan')
    >>> unit_scale("entities", [45], "en")
    (1.0, 'entities')
    """
    from ..core.vocab import BASE_UNITS

    top = max((abs(v) for v in values), default=0.0)
    if lang == "en":
        if base_unit in EN_MONEY_AXIS:
            return EN_MONEY_AXIS[base_unit]
        if base_unit == "percent":
            return 1.0, "%"
        noun = BASE_UNITS.get(base_unit, ("", base_unit))[1]
        if top >= 1e6:
            return 1e6, f"million {noun}"
        if top >= 1e4:
            return 1e3, f"thousand {noun}"
        return 1.0, noun
    if base_unit in CHART_SCALES and top >= CHART_SCALES[base_unit][0]:
        return CHART_SCALES[base_unit]
    if base_unit == "percent":
        return 1.0, "%"
    return 1.0, BASE_UNITS.get(base_unit, (base_unit, base_unit))[0]


def _value_text(value: float, row: pd.Series, lang: str, factor: float | None = None) -> str:
    """A value label with its qualifier word (超 / over), as precise as the data.

    When the chart shows the value in the unit it was reported in, it is written
    with the reported decimals (6.00 stays 6.00).
    """
    from ..core.vocab import QUALIFIERS, UNITS

    reported = UNITS.get(str(row.get("unit", "")))
    if factor is not None and reported is not None and reported.factor == factor \
            and not pd.isna(row.get("decimals")):
        text = f"{value:,.{int(row['decimals'])}f}"
    else:
        dec = 0 if abs(value) >= 100 else (1 if abs(value) >= 10 else 2)
        text = f"{value:,.{dec}f}".rstrip("0").rstrip(".") if dec else f"{value:,.0f}"
    q = row.get("qualifier") or ""
    if q and q in QUALIFIERS:
        word = QUALIFIERS[q].zh if lang == "zh" else QUALIFIERS[q].en
        text = f"{word}{text}" if lang == "zh" else f"{word} {text}"
    return text


def _new_figure(height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")


def _finish(fig: Figure, title: str) -> None:
    # the bundled CJK font has one weight: a bold request would only log a fallback
    fig.suptitle(title, fontsize=13, color="#1f2933")


# ---------------------------------------------------------------------------
# Credit


def _consecutive_runs(dates: pd.Series, max_gap_days: int = 100) -> list[tuple[int, int]]:
    """Index ranges [a, b) of points that follow each other at most a quarter apart.

    >>> _consecutive_runs(pd.Series(pd.to_datetime(["2024-03-31", "2024-06-30", "2025-06-30"])))
    [(0, 2)]
    """
    runs, start = [], 0
    for i in range(1, len(dates) + 1):
        if i == len(dates) or (dates.iloc[i] - dates.iloc[i - 1]).days > max_gap_days:
            if i - start >= 2:
                runs.append((start, i))
            start = i
    return runs


def loan_balance_chart(qd: QuarterData, lang: str) -> Chart | None:
    """Loan balances (one line per definition) and their YoY growth, up to the cut-off."""
    series = {m: known_rows(qd, m) for m in ("loan_balance_rmb", "loan_balance_all")}
    series = {m: s for m, s in series.items() if not s.empty}
    if not series:
        return None
    growth = known_rows(qd, "loan_balance_all_growth")
    fig = _new_figure(4.6)
    ax, ax2 = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    factor, unit = (1e12, "万亿元") if lang == "zh" else (1e12, "trillion yuan")
    for i, (m, s) in enumerate(series.items()):
        color = PALETTE[i]
        x = pd.to_datetime(pd.Series(s["end"])).reset_index(drop=True)
        y = (s["value_base"] / factor).reset_index(drop=True)
        # every point a marker; a line only between consecutive quarter-ends (no path across gaps)
        ax.plot(x, y, marker="o", ls="none", color=color, ms=5, label=metric_name(qd, m, lang),
                gid=f"series:{m}")
        for a, b in _consecutive_runs(x):
            ax.plot(x[a:b], y[a:b], color=color, lw=2)
        r = s.iloc[-1]   # only the latest value is labelled: the others are in the text and appendix
        ax.annotate(_value_text(r["value_base"] / factor, r, lang, factor), (x.iloc[-1], y.iloc[-1]),
                    textcoords="offset points", xytext=(0, 7 if i == 0 else -13), ha="center",
                    fontsize=8, color=color)
        yoy = s[["end", "yoy_pct"]].dropna()
        if m == "loan_balance_all" and not growth.empty:
            extra = growth[~growth["end"].isin(yoy["end"])][["end", "value"]]
            yoy = pd.concat([yoy, extra.rename(columns={"value": "yoy_pct"})]).sort_values("end")
        if not yoy.empty:
            yx = pd.to_datetime(pd.Series(yoy["end"])).reset_index(drop=True)
            yy = yoy["yoy_pct"].astype(float).reset_index(drop=True)
            ax2.plot(yx, yy, marker="s", ls="none", color=color, ms=5, gid=f"series:{m}:yoy",
                     label=metric_name(qd, m, lang))
            for a, b in _consecutive_runs(yx):
                ax2.plot(yx[a:b], yy[a:b], ls="--", color=color, lw=1.5)
    for a in (ax, ax2):
        a.axvspan(pd.Timestamp(qd.quarter.start), pd.Timestamp(qd.quarter.end),
                  color=ACCENT, alpha=0.07, lw=0, label=None)
    ax.set_ylabel(f"{_tx(lang, 'balance')}（{unit}）" if lang == "zh" else f"Balance ({unit})")
    ax2.set_ylabel(_tx(lang, "yoy"))
    ax.margins(y=0.25, x=0.08)
    ax2.margins(y=0.3)
    ax.legend(loc="upper left", fontsize=8.5, frameon=False)
    import matplotlib.dates as mdates

    span_years = (max(max(pd.to_datetime(pd.Series(s["end"]))) for s in series.values())
                  - min(min(pd.to_datetime(pd.Series(s["end"]))) for s in series.values())).days / 365
    if span_years > 3:   # a long series: one tick every few years, never a crowd of quarter labels
        ax2.xaxis.set_major_locator(mdates.YearLocator(base=max(1, round(span_years / 8))))
        ax2.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    else:
        ax2.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
        ax2.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(3, 6, 9, 12)))
    fig.autofmt_xdate(rotation=0, ha="center")
    _finish(fig, _tx(lang, "loans_title"))
    return Chart(fig, _tx(lang, "loans_caption"), _tx(lang, "loans_title"), "loan-balance",
                 tuple(series))


def credit_flows_chart(qd: QuarterData, lang: str) -> Chart | None:
    """This quarter's credit flows, each beside the same metric a year earlier."""
    f = qd.figures
    flows = f[(f["topic"] == "credit") & (f["period_type"] == "flow") & (f["base_unit"] == "yuan")]
    rows = []
    for _, r in flows.iterrows():
        prev = qd.compared(r["obs_id"], "year_earlier")
        rows.append((r, prev))
    if not rows:
        return None
    values = [r["value_base"] for r, _ in rows] + [p["value_base"] for _, p in rows if p is not None]
    factor, unit = unit_scale("yuan", values, lang)
    fig = _new_figure(1.2 + 0.75 * len(rows))
    ax = fig.subplots()
    labels, ys = [], []
    legend_done: set[str] = set()

    def once(key: str) -> str | None:
        if key in legend_done:
            return None
        legend_done.add(key)
        return _tx(lang, key)

    for i, (r, prev) in enumerate(rows):
        y = len(rows) - 1 - i
        ys.append(y)
        labels.append(f"{metric_name(qd, r['metric_id'], lang)}\n{period_label(r, lang)}")
        v = r["value_base"] / factor
        ax.barh(y + 0.18, v, height=0.34, color=ACCENT, gid=f"series:{r['metric_id']}",
                label=once("this_q"))
        ax.annotate(_value_text(v, r, lang, factor), (v, y + 0.18), xytext=(3, 0),
                    textcoords="offset points", va="center", fontsize=8)
        if prev is not None:
            pv = prev["value_base"] / factor
            ax.barh(y - 0.18, pv, height=0.34, color=CONTEXT, gid=f"series:{r['metric_id']}:prev",
                    label=once("year_earlier"))
            ax.annotate(_value_text(pv, prev, lang, factor), (pv, y - 0.18), xytext=(3, 0),
                        textcoords="offset points", va="center", fontsize=8, color="#52606d")
    ax.set_yticks(ys, labels, fontsize=8.5)
    ax.set_xlabel(unit)
    ax.margins(x=0.18)
    fig.legend(loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    _finish(fig, _tx(lang, "flows_title"))
    return Chart(fig, _tx(lang, "flows_caption"),
                 _tx(lang, "flows_title"), "credit-flows",
                 tuple(r["metric_id"] for r, _ in rows))


# ---------------------------------------------------------------------------
# Panels of horizontal bars, one per unit (cross-border, corridor)


def _topic_rows(qd: QuarterData, topic: str, kinds: tuple[str, ...] | None = None,
                base_units: tuple[str, ...] | None = None,
                metrics: tuple[str, ...] | None = None) -> pd.DataFrame:
    """This quarter's figures and context rows of a topic, figures first, with a ``core`` flag."""
    parts = []
    for frame, core in ((qd.figures, True), (qd.context, False)):
        sel = frame[frame["topic"] == topic].copy()
        sel["core"] = core
        parts.append(sel)
    rows = pd.concat(parts, ignore_index=True)
    if kinds:
        rows = rows[rows["kind"].isin(kinds)]
    if base_units:
        rows = rows[rows["base_unit"].isin(base_units)]
    if metrics:
        rows = rows[rows["metric_id"].isin(metrics)]
    return rows.drop_duplicates(["metric_id", "entity_id"]).reset_index(drop=True)


def _bar_panels(qd: QuarterData, rows: pd.DataFrame, lang: str, title: str, caption: str,
                name: str, max_rows: int = 7) -> Chart | None:
    """One horizontal-bar panel per base unit; dark bars for core figures, light for context."""
    if rows.empty:
        return None
    groups = []
    for base, g in rows.groupby("base_unit", sort=False):
        g = g.sort_values(["core", "value_base"], ascending=[False, False]).head(max_rows)
        groups.append((base, g))
    groups.sort(key=lambda bg: -len(bg[1]))
    # A panel with a single bar compares nothing; keep it only if no panel has more.
    multi = [bg for bg in groups if len(bg[1]) > 1]
    groups = multi or groups[:4]
    rows = pd.concat([g for _, g in groups])
    heights = [0.6 + 0.42 * len(g) for _, g in groups]
    fig = _new_figure(0.7 + sum(heights))
    axes = fig.subplots(len(groups), 1, gridspec_kw={"height_ratios": heights}, squeeze=False)[:, 0]
    for ax, (base, g) in zip(axes, groups, strict=True):
        factor, unit = unit_scale(base, g["value_base"], lang)
        labels = []
        for i, (_, r) in enumerate(g.iterrows()):
            y = len(g) - 1 - i
            v = r["value_base"] / factor
            ax.barh(y, v, height=0.62, color=ACCENT if r["core"] else CONTEXT,
                    gid=f"series:{r['metric_id']}")
            ax.annotate(_value_text(v, r, lang, factor), (v, y), xytext=(3, 0),
                        textcoords="offset points", va="center", fontsize=8)
            label = metric_name(qd, r["metric_id"], lang)
            ent = entity_name(qd, r["entity_id"], lang)
            if r["entity_id"] != "chongqing" and ent[:4].lower() not in label.lower():
                label = f"{ent}: {label}" if lang == "en" else f"{ent}·{label}"
            labels.append(_wrap(label, 18 if lang == "zh" else 36) + f"\n{period_label(r, lang)}")
        ax.set_yticks(range(len(g) - 1, -1, -1), labels, fontsize=7.8)
        ax.set_xlabel(unit, fontsize=8.5)
        ax.margins(x=0.22)
        ax.grid(axis="y", visible=False)
    _finish(fig, title)
    return Chart(fig, caption, title, name, tuple(rows["metric_id"]))


def _wrap(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    if " " in text:
        import textwrap

        return "\n".join(textwrap.wrap(text, width)[:2])
    return text[:width] + "\n" + text[width:2 * width]


def crossborder_chart(qd: QuarterData, lang: str) -> Chart | None:
    """Cross-border amounts known at the cut-off, yuan and US dollars in separate panels."""
    rows = _topic_rows(qd, "cross_border", kinds=("flow", "cumulative"),
                       base_units=("yuan", "usd"))
    return _bar_panels(qd, rows, lang, _tx(lang, "xb_title"), _tx(lang, "xb_caption"),
                       "cross-border")


# ---------------------------------------------------------------------------
# Autos


def auto_exports_chart(qd: QuarterData, lang: str) -> Chart | None:
    """Vehicle exports by period: units and value in separate panels, partial years hatched."""
    panels = [(m, known_rows(qd, m)) for m in ("auto_exports_units", "auto_export_value")]
    panels = [(m, s) for m, s in panels if not s.empty]
    if not panels:
        return None
    fig = _new_figure(3.4)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for i, (ax, (m, s)) in enumerate(zip(axes, panels, strict=True)):
        factor, unit = unit_scale(s["base_unit"].iloc[0], s["value_base"], lang)
        labels = [period_label(r, lang) for _, r in s.iterrows()]
        for x, (_, r) in enumerate(s.iterrows()):
            v = r["value_base"] / factor
            ax.bar(x, v, width=0.6, color=PALETTE[i] if not is_partial_year(r) else "white",
                   edgecolor=PALETTE[i], hatch="///" if is_partial_year(r) else None, lw=1.5,
                   gid=f"series:{m}")
            ax.annotate(_value_text(v, r, lang, factor), (x, v), xytext=(0, 3),
                        textcoords="offset points", ha="center", fontsize=8)
        ax.set_xticks(range(len(s)), labels, fontsize=8.5)
        half = max(len(s), 3) / 2  # a lone bar is centred, not drawn full width
        ax.set_xlim((len(s) - 1) / 2 - half, (len(s) - 1) / 2 + half)
        ax.set_title(metric_name(qd, m, lang), fontsize=10)
        ax.set_ylabel(unit)
        ax.margins(y=0.18)
        ax.grid(axis="x", visible=False)
    _finish(fig, _tx(lang, "auto_title"))
    return Chart(fig, _tx(lang, "auto_caption"), _tx(lang, "auto_title"), "auto-exports",
                 tuple(m for m, _ in panels))


def seres_sourcing_chart(qd: QuarterData, lang: str) -> Chart | None:
    """The Seres local-sourcing rate before and now (one metric, two values)."""
    s = known_rows(qd, "seres_local_sourcing_rate", "seres")
    if s.empty or pd.isna(s.iloc[-1].get("prior_value")):
        return None
    r = s.iloc[-1]
    fig = _new_figure(2.0)
    ax = fig.subplots()
    vals = [float(r["prior_value"]), float(r["value"])]
    labels = [_tx(lang, "before"), _tx(lang, "now")]
    for y, (v, c) in enumerate(zip(vals, (CONTEXT, ACCENT), strict=True)):
        ax.barh(1 - y, v, height=0.55, color=c, gid="series:seres_local_sourcing_rate")
        ax.annotate(f"{v:g}%", (v, 1 - y), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=9)
    ax.set_yticks([1, 0], labels)
    ax.set_xlim(0, 100)
    ax.set_xlabel("%")
    ax.grid(axis="y", visible=False)
    _finish(fig, _tx(lang, "seres_title"))
    return Chart(fig, _tx(lang, "seres_caption"), _tx(lang, "seres_title"), "seres-sourcing",
                 ("seres_local_sourcing_rate",))


# ---------------------------------------------------------------------------
# Land-Sea Corridor

_CORRIDOR_LOGISTICS = ("corridor_teu", "corridor_cargo_value", "corridor_trains_cumulative",
                       "freight_trains_cumulative", "freight_train_cargo_value_cumulative",
                       "one_bill_documents_issued", "intl_train_routes",
                       "intl_train_reach_countries", "intl_train_reach_ports",
                       "freight_trains_share_of_city", "freight_train_cargo_value_share_of_city",
                       "corridor_trains_share_of_city",
                       # corridor volumes from the history texts: cargo, not finance
                       "corridor_teu_cumulative", "corridor_cargo_value_cumulative",
                       "corridor_train_trips", "corridor_train_trips_cumulative",
                       "corridor_road_cargo_value", "landsea_railsea_trains",
                       "landsea_railsea_trains_cumulative", "landsea_railsea_teu",
                       "landsea_corridor_trade", "landsea_trade_via_guangxi_ports",
                       "landsea_reach_ports", "landsea_reach_countries")


def corridor_finance_chart(qd: QuarterData, lang: str) -> Chart | None:
    """Corridor financing: the balance over time and the corridor-related amounts."""
    rows = _topic_rows(qd, "corridor", base_units=("yuan", "usd"),
                       kinds=("stock", "flow", "cumulative"))
    rows = rows[~rows["metric_id"].isin(_CORRIDOR_LOGISTICS)]
    return _bar_panels(qd, rows, lang, _tx(lang, "cor_fin_title"), _tx(lang, "cor_fin_caption"),
                       "corridor-finance")


def corridor_balance_chart(qd: QuarterData, lang: str) -> Chart | None:
    """The corridor financing balance at each date known at the cut-off (one stock series)."""
    s = known_rows(qd, "corridor_financing_balance")
    if len(s) < 2:
        return None
    factor, unit = unit_scale("yuan", s["value_base"], lang)
    fig = _new_figure(2.8)
    ax = fig.subplots()
    x = pd.to_datetime(pd.Series(s["end"]))
    ax.plot(x, s["value_base"] / factor, marker="o", color=PALETTE[2], lw=2,
            gid="series:corridor_financing_balance")
    for xi, (_, r) in zip(x, s.iterrows(), strict=True):
        v = r["value_base"] / factor
        ax.annotate(_value_text(v, r, lang, factor), (xi, v), xytext=(0, 7), textcoords="offset points",
                    ha="center", fontsize=8)
    import matplotlib.dates as mdates

    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(3, 6, 9, 12)))
    ax.set_ylabel(unit)
    ax.margins(y=0.3, x=0.1)
    title = metric_name(qd, "corridor_financing_balance", lang)
    _finish(fig, title)
    return Chart(fig, _tx(lang, "cor_bal_caption"), title, "corridor-balance", ("corridor_financing_balance",))


def corridor_logistics_chart(qd: QuarterData, lang: str) -> Chart | None:
    """Corridor and logistics-hub volumes, trains and documents; one panel per unit."""
    rows = _topic_rows(qd, "corridor", metrics=_CORRIDOR_LOGISTICS)
    return _bar_panels(qd, rows, lang, _tx(lang, "cor_log_title"), _tx(lang, "cor_log_caption"),
                       "corridor-logistics", max_rows=5)


# ---------------------------------------------------------------------------
# Per topic

_BY_TOPIC = {
    "credit": (loan_balance_chart, credit_flows_chart),
    "cross_border": (crossborder_chart,),
    "auto": (auto_exports_chart, seres_sourcing_chart),
    "corridor": (corridor_balance_chart, corridor_finance_chart, corridor_logistics_chart),
}


def topic_charts(qd: QuarterData, topic: str, lang: str = "zh") -> Charts:
    """The charts of one report section (empty when the quarter has nothing to draw).

    Args:
        qd: The quarter's data.
        topic: One of the report topics (:func:`cqreport.core.vocab.report_topics`).
        lang: ``zh`` or ``en``.
    """
    from .params import parse_lang

    lang = parse_lang(lang)
    if topic not in _BY_TOPIC:
        require_topic(topic)  # raises ParameterError
    return Charts(c for c in (fn(qd, lang) for fn in _BY_TOPIC[topic]) if c is not None)


def all_charts(qd: QuarterData, lang: str = "zh") -> dict[str, Charts]:
    """Every section's charts, by topic."""
    return {t: topic_charts(qd, t, lang) for t in report_topics()}


__all__ = ["Chart", "Charts", "all_charts", "setup", "topic_charts",
           "unit_scale"]
