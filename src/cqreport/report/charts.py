"""Charts of the quarterly report, drawn with matplotlib and seaborn.

What a chart draws is chosen in :mod:`cqreport.report.chartdata` (the catalogue's
``chart`` column, the cut-off, one frequency per series); this module only draws it.
Rules every chart here follows (REPORT_GUIDE, "Charts"):

- One measure per axis: a panel per base unit and period type, so stocks, flows and
  cumulative totals, or units and value, never share an axis.
- Time on the x axis at true spacing. Every point is a marker; a line joins only
  consecutive periods of one frequency (quarter-ends, or full years), so a gap stays
  a gap and no line suggests a path the data did not take. Level axes start at zero.
- Series are labelled directly at their latest point, with that point's value; the
  title states the latest move of the chart's first series, the panel title gives the
  unit, the caption the rules and where the sources are.
- Every point drawn is offered under the chart as a CSV download (a ``data:`` link
  with its sources) and listed in the appendix, where the audit reads it.
- Text is in the report's language, drawn with the CJK font from
  :mod:`cqreport.report.fonts`, registered after ``seaborn.set_theme()`` (which
  resets fonts): call :func:`setup` first. Captions carry no numbers.

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

from ..core.phrases import period_phrase
from ..core.vocab import CHART_SCALES, EN_MONEY_AXIS, report_topics, require_topic, word
from . import fonts
from .chartdata import ChartData, Series, topic_chart_data

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
    data: ChartData | None = None
    download_name: str = ""
    download_label: str = ""

    def png(self) -> bytes:
        """The chart as PNG bytes."""
        buf = io.BytesIO()
        # constrained layout already fits the labels: no second "tight" pass
        self.figure.savefig(buf, format="png", dpi=DPI, facecolor="white",
                            metadata={"Software": None})
        return buf.getvalue()

    def _repr_html_(self) -> str:
        b64 = base64.b64encode(self.png()).decode("ascii")
        link = ""
        if self.data is not None:
            # the chart's data with its sources, offline and without scripts
            link = (f' <a class="cq-csv" download="{html.escape(self.download_name)}" '
                    f'href="{html.escape(self.data.csv_href())}">{html.escape(self.download_label)}</a>')
        return (f'<figure class="cq-chart" id="chart-{html.escape(self.name)}">'
                f'<img src="data:image/png;base64,{b64}" alt="{html.escape(self.alt)}"/>'
                f"<figcaption>{html.escape(self.caption)}{link}</figcaption></figure>")

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


def metric_name(qd: QuarterData, metric_id: str, lang: str) -> str:
    """The series' name as the text calls it: one term across text, tables and charts (English:
    the catalogue's running name, capitalised; Chinese: the name, as the tables print it)."""
    m = qd.dataset.metrics.loc[metric_id]
    running = str(m.get("running_en", "") or "") if lang == "en" else ""
    return running[:1].upper() + running[1:] if running else str(m[f"name_{lang}"])


def entity_name(qd: QuarterData, entity_id: str, lang: str) -> str:
    """The entity's name in the language (from the catalogue)."""
    return str(qd.dataset.entities.loc[entity_id, f"name_{lang}"])


def unit_scale(base_unit: str, values: Iterable[float], lang: str) -> tuple[float, str]:
    """Factor to divide base values by, and the unit label, for one panel.

    >>> unit_scale("yuan", [6.5e12], "zh"), unit_scale("yuan", [7.3e11], "zh")
    ((1000000000000.0, '万亿元'), (100000000.0, '亿元'))
    >>> unit_scale("yuan", [6.5e12], "en"), unit_scale("yuan", [7.3e11], "en")
    ((1000000000000.0, 'trillion yuan'), (1000000000.0, 'billion yuan'))
    >>> unit_scale("entities", [45], "en")
    (1.0, 'entities')
    """
    from ..core.vocab import BASE_UNITS

    top = max((abs(v) for v in values), default=0.0)
    if base_unit in EN_MONEY_AXIS and top >= 1e12:
        # balances in trillions, as the text writes them (6.54万亿元, RMB 6.54 trillion)
        noun = EN_MONEY_AXIS[base_unit][1].split(" ", 1)[1]
        return 1e12, ("万亿" + BASE_UNITS[base_unit][0]) if lang == "zh" else f"trillion {noun}"
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
# Drawing a chart from its data


def series_label(qd: QuarterData, s: Series, lang: str, *, mixed: bool = False) -> str:
    """A series' direct label: the metric, and the entity when it is not Chongqing. In a chart
    that draws several entities (Chongqing's corridor cargo beside the corridor's trains as a
    whole) every label names its entity, so none can be read as the other's."""
    label = metric_name(qd, s.metric_id, lang)
    if s.entity_id != "chongqing" or mixed:
        ent = entity_name(qd, s.entity_id, lang)
        if mixed or ent[:4].lower() not in label.lower():
            label = f"{ent}: {label}" if lang == "en" else f"{ent}：{label}"
    return label


_MOVES = {"up": "move_up", "down": "move_down", "flat": "move_flat"}


def _message(qd: QuarterData, s: Series, lang: str) -> str:
    """The title: the latest move of a series (升至 / rose to), written as the text writes it."""
    from ..core.formatting import format_amount, format_yoy

    rows = s.rows
    last = rows.iloc[-1]
    col = "value_base" if s.measure == "value" else "yoy_pct"
    if s.measure == "value":
        q = "" if pd.isna(last["qualifier"]) else str(last["qualifier"])
        text = format_amount(last["value"], last["unit"], q, lang, decimals=int(last["decimals"]))
    else:
        q, text = "", format_yoy(float(last["yoy_pct"]), lang)
    move = "flat"
    if len(rows) >= 2:
        before, now = float(rows.iloc[-2][col]), float(last[col])
        move = "up" if now > before else ("down" if now < before else "flat")
    name = metric_name(qd, s.metric_id, lang)
    when = period_phrase(last["start"], last["end"], lang, period_type=last["period_type"])
    if lang == "zh":
        # a bound (突破, 超) is its own verb: 2025年末突破7300亿元
        return f"{name}{when}{'' if q else _tx(lang, _MOVES[move])}{text}"
    return f"{name} {_tx(lang, _MOVES[move])} {text} ({when})"


def alt_text(qd: QuarterData, cd: ChartData, lang: str, title: str) -> str:
    """The chart in words, from its data: the message, then per series what is drawn, the span,
    how many points, and the latest value (the chart's text alternative; its data stays in the
    CSV download and the evidence's tables)."""
    from ..core.formatting import format_amount, format_yoy

    mixed = len({s.entity_id for s in cd.series() if not s.comparator}) > 1
    parts = []
    for s in cd.series():
        first, last = s.rows.iloc[0], s.rows.iloc[-1]
        span = [period_phrase(r["start"], r["end"], lang, period_type=r["period_type"]) for r in (first, last)]
        if s.measure == "value":
            q = "" if pd.isna(last["qualifier"]) else str(last["qualifier"])
            value = format_amount(last["value"], last["unit"], q, lang, decimals=int(last["decimals"]))
        else:
            value = format_yoy(float(last["yoy_pct"]), lang)
        name = series_label(qd, s, lang, mixed=mixed)
        n = len(s.rows)
        if lang == "zh":
            what = f"{name}{'（同比增速）' if s.measure != 'value' else ''}"
            parts.append(f"{what}：{span[1]}为{value}" if n == 1 else
                         f"{what}：{span[0]}至{span[1]}，{n}个数据点，最新{span[1]}为{value}")
        else:
            what = f"{name}{' (year-on-year growth)' if s.measure != 'value' else ''}"
            parts.append(f"{what}: {value} ({span[1]})" if n == 1 else
                         f"{what}: {span[0]} to {span[1]}, {n} points, latest {value} ({span[1]})")
    if lang == "zh":
        return f"图：{title}。" + "；".join(parts) + "。"
    return f"Chart: {title}. " + "; ".join(parts) + "."


def wrap_title(title: str, width: int) -> list[str]:
    """A title's lines of at most ``width`` characters, never breaking a number from its unit
    (a figure read by :func:`~cqreport.core.scanning.scan_figures` stays on one line).

    >>> wrap_title("西部陆海新通道三种主要方式运输箱量2025年升至32.77万标箱", 30)
    ['西部陆海新通道三种主要方式运输箱量2025年升至', '32.77万标箱']
    >>> wrap_title("RMB loan balance rose to RMB 6.39 trillion (end-2025)", 30)
    ['RMB loan balance rose to', 'RMB 6.39 trillion (end-2025)']
    """
    from ..core.scanning import scan_figures

    spans = [(f.start, f.end) for f in scan_figures(title)]
    # the break points: after a space (English), or between two characters (Chinese), but
    # never inside a figure
    def inside(i: int) -> bool:
        return any(a < i < b for a, b in spans)

    lines, start = [], 0
    while len(title) - start > width:
        cut = start + width
        while cut > start and (inside(cut) or (title[cut - 1] != " " and title[cut] != " "
                                               and not _cjk(title[cut - 1], title[cut]))):
            cut -= 1
        if cut == start:   # nothing to break at: the line runs long rather than cut a figure
            cut = start + width
            while cut < len(title) and inside(cut):
                cut += 1
        lines.append(title[start:cut].rstrip())
        start = cut + (1 if cut < len(title) and title[cut] == " " else 0)
    lines.append(title[start:])
    return [ln for ln in lines if ln]


def _cjk(a: str, b: str) -> bool:
    """Whether a line may break between two characters of Chinese text."""
    return "\u4e00" <= a <= "\u9fff" or "\u4e00" <= b <= "\u9fff"


def _positions(s: Series) -> pd.Series:
    """Where each point stands in time: a stock at its date, a flow at the middle of its period."""
    out = []
    for _, r in s.rows.iterrows():
        end = pd.Timestamp(r["end"])
        out.append(end if r["start"] is None else pd.Timestamp(r["start"]) + (end - pd.Timestamp(r["start"])) / 2)
    return pd.Series(out)


def _label_value(s: Series, lang: str) -> str:
    """A series' latest value as the text writes it (6.54万亿元, RMB 6.54 trillion, 6.8%)."""
    from ..core.formatting import format_amount

    last = s.rows.iloc[-1]
    if s.measure != "value":
        return f"{float(last['yoy_pct']):g}%"
    q = "" if pd.isna(last["qualifier"]) else str(last["qualifier"])
    return format_amount(last["value"], last["unit"], q, lang, decimals=int(last["decimals"]))


def _panel_unit(panel, values: list[float], lang: str) -> tuple[float, str]:
    if panel.measure != "value":
        return 1.0, _tx(lang, "yoy")
    return unit_scale(panel.base_unit, values, lang)


def draw(qd: QuarterData, cd: ChartData, lang: str) -> Chart:
    """Draw one chart: a panel per measure, markers for every point, lines only within runs."""
    import matplotlib.dates as mdates

    fig = _new_figure(0.9 + 2.3 * len(cd.panels))
    mixed = len({s.entity_id for s in cd.series() if not s.comparator}) > 1
    axes = fig.subplots(len(cd.panels), 1, sharex=True, squeeze=False)[:, 0]
    xs = [x for s in cd.series() for x in _positions(s)]
    lo, hi = min(xs), max(xs)   # the axis ends at the data
    pad = pd.Timedelta(days=max(45, (hi - lo).days * 0.04))
    for ax, panel in zip(axes, cd.panels, strict=True):
        factor, unit = _panel_unit(panel, [v for s in panel.series for v in s.values()], lang)
        colour = 0
        labels: list[tuple[float, pd.Timestamp, str, str]] = []
        single = len(panel.series) == 1
        for s in panel.series:
            color = CONTEXT if s.comparator else PALETTE[colour % len(PALETTE)]
            colour += 0 if s.comparator else 1
            x = _positions(s)
            y = pd.Series(s.values()) / factor
            # a bound (超, 突破, 近) is a triangle pointing the way the true value lies
            bounds = s.rows["bound"].reset_index(drop=True) if s.measure == "value" \
                else pd.Series(["exact"] * len(s.rows))
            for bound, marker in (("exact", "o"), ("approx", "o"), ("lower", "^"), ("upper", "v")):
                sel = (bounds == bound).to_numpy()
                if sel.any():
                    ax.plot(x[sel], y[sel], marker=marker, ls="none", ms=5.5, color=color,
                            mfc="white" if s.comparator else color,
                            gid=f"series:{s.metric_id}:{s.entity_id}:{s.measure}:{bound}")
            for a, b in s.runs():
                ax.plot(x[a:b], y[a:b], color=color, lw=1.8 if s.measure == "value" else 1.4,
                        ls="-" if s.measure == "value" else "--")
            # one series: its name heads the panel and the label is the value alone
            name = "" if single else f"{series_label(qd, s, lang, mixed=mixed)} "
            labels.append((y.iloc[-1], x.iloc[-1], f"{name}{_label_value(s, lang)}", color))
        # direct labels at each series' latest point; the higher value's label above the lower's
        middle = lo + (hi - lo) / 2
        for rank, (yv, xv, text, color) in enumerate(sorted(labels, key=lambda t: -t[0])):
            # above the latest point, running inward: the axis ends at the data, so a label on
            # the right half runs left and one on the left half runs right
            right = xv >= middle
            ax.annotate(text, (xv, yv), textcoords="offset points", xytext=(-4 if right else 4, 9 + 13 * rank),
                        ha="right" if right else "left", va="center", fontsize=8, color=color)
        values = [v / factor for ser in panel.series for v in ser.values()]
        top, bottom = max(values), min(values)
        if panel.measure == "value":
            ax.set_ylim(0, top * 1.18 if top > 0 else 1)     # a level axis starts at zero
        else:
            span = max(top - bottom, 1.0)
            ax.set_ylim(bottom - 0.25 * span, top + 0.25 * span)
        head = f"{series_label(qd, panel.series[0], lang, mixed=mixed)}（{unit}）" if lang == "zh" \
            else f"{series_label(qd, panel.series[0], lang, mixed=mixed)} ({unit})"
        ax.set_title(head if single else unit, fontsize=9, loc="left", color="#52606d")
        ax.axvspan(pd.Timestamp(qd.quarter.start), pd.Timestamp(qd.quarter.end), color=ACCENT, alpha=0.08, lw=0)
        ax.set_xlim(lo - pad, hi + pad)
    # the title follows the value series that reaches furthest (the freshest news)
    lead = max((s for p in cd.panels for s in p.series if s.measure == "value" and not s.comparator),
               key=lambda s: s.rows["end"].iloc[-1], default=cd.series()[0])
    title = _message(qd, lead, lang)
    years = (hi - lo).days / 365
    if years > 1.5:   # a long series: a tick every year or few years
        axes[-1].xaxis.set_major_locator(mdates.YearLocator(base=max(1, round(years / 8))))
        axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    else:           # quarters, written in the report's language (no English months in zh)
        from matplotlib.ticker import FuncFormatter

        from ..core.vocab import month_name

        def quarter_tick(x: float, _pos: int) -> str:
            d = mdates.num2date(x)
            return f"{d.year}年{d.month}月" if lang == "zh" else f"{month_name(d.month, abbr=True)} {d.year}"

        axes[-1].xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
        axes[-1].xaxis.set_major_formatter(FuncFormatter(quarter_tick))
    # a long title wraps rather than running off the page
    _finish(fig, "\n".join(wrap_title(title, 30 if lang == "zh" else 64)))
    # each catalogue chart (metrics.chart) has its own caption, <name>_caption, in the glossary
    caption = _tx(lang, f"{cd.name}_caption") + _tx(lang, "rules")
    if any(s.measure == "value" and s.rows["bound"].isin(["lower", "upper"]).any() for s in cd.series()):
        caption += _tx(lang, "bound_note")
    if any(ser.comparator for ser in cd.series()):
        caption += _tx(lang, "national_note")
    return Chart(fig, caption, alt_text(qd, cd, lang, title), cd.name.replace("_", "-"),
                 tuple(dict.fromkeys(s.metric_id for s in cd.series())),
                 data=cd, download_name=f"{qd.quarter}_{cd.name}_{lang}.csv",
                 download_label=_tx(lang, "download"))


# ---------------------------------------------------------------------------
# Per topic

def topic_charts(qd: QuarterData, topic: str, lang: str = "zh") -> Charts:
    """The charts of one report section (empty when the quarter has nothing to draw).

    Args:
        qd: The quarter's data.
        topic: One of the report topics (:func:`cqreport.core.vocab.report_topics`).
        lang: ``zh`` or ``en``.
    """
    from .params import parse_lang

    lang = parse_lang(lang)
    require_topic(topic)  # raises ParameterError
    return Charts(draw(qd, cd, lang) for cd in topic_chart_data(qd, topic))


def all_charts(qd: QuarterData, lang: str = "zh") -> dict[str, Charts]:
    """Every section's charts, by topic."""
    return {t: topic_charts(qd, t, lang) for t in report_topics()}


__all__ = ["Chart", "Charts", "all_charts", "setup", "topic_charts",
           "unit_scale"]
