"""Helpers for ``notebooks/explore_data.ipynb``: the catalogue, the observations and every series.

The notebook holds no code of its own beyond calls into this module, so that what an
analyst sees is tested here. Tables hold text exactly as curated (``6.54``, never
``6.540`` or ``NaN``) and are shown with itables in its offline mode (the DataTables
bundle is embedded in the notebook, no CDN). Series follow the chart rules of the
report guide: true time spacing; a line only between consecutive periods of one
frequency (a month-end to the next month-end, a quarter to the next quarter, the same
span a year later); every observation is a marker, so a sparse point stays a point and
a gap stays visible; an H1 flow is never joined to a full year.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from ..core import paths
from ..dataset.load import read_table

# the columns an analyst looks at first, in this order
OBS_COLUMNS = ["row", "metric_id", "metric", "entity_id", "period_label", "period_start", "period_end",
               "value", "unit", "qualifier", "yoy_pct", "yoy_wording", "yoy_diff", "vs_national_pp",
               "prior_value", "rank", "source_id", "preferred", "caution", "quote", "note"]
CATALOGUE_COLUMNS = ["metric_id", "name_zh", "name_en", "topic", "kind", "period_type", "units",
                     "observations", "latest", "definition"]


def _raw(data_dir: str | Path | None, name: str) -> pd.DataFrame:
    """A curated table as the strings the file holds (index: spreadsheet row)."""
    ddir = paths.data_dir(data_dir)
    t = read_table(ddir / f"{name}.csv", name)
    if t.frame is None:
        raise FileNotFoundError(ddir / f"{name}.csv")
    return t.frame


def curated_table(name: str, data_dir: str | Path | None = None) -> pd.DataFrame:
    """One curated table (``sources``, ``entities``…) exactly as written in its CSV file."""
    return _raw(data_dir, name).fillna("").reset_index(drop=True)


def observations_table(ds, data_dir: str | Path | None = None, lang: str = "en") -> pd.DataFrame:
    """Every observation with values as written in the data, the metric's name and the preferred flag.

    Args:
        ds: The loaded Dataset (for names and the preferred flag).
        data_dir: The data folder ``ds`` was loaded from (default: the project's data/).
        lang: Language of the metric names.
    """
    raw = _raw(data_dir, "observations")
    raw = raw.assign(row=raw.index.astype(str))
    pref = ds.observations.set_index("row")["preferred"]
    raw["preferred"] = ["yes" if pref.get(int(r), False) else "" for r in raw["row"]]
    names = ds.metrics[f"name_{lang}"]
    raw["metric"] = [str(names.get(m, "")) for m in raw["metric_id"]]
    cols = [c for c in OBS_COLUMNS if c in raw.columns]
    return raw[cols].fillna("").reset_index(drop=True)


def catalogue_table(ds, data_dir: str | Path | None = None) -> pd.DataFrame:
    """The whole metric catalogue as curated, with how many observations each metric has and the latest."""
    raw = _raw(data_dir, "metrics")
    o = ds.observations
    counts = o.groupby("metric_id").size()
    latest = o.groupby("metric_id")["period_end"].max()
    raw["observations"] = [str(int(counts.get(m, 0))) for m in raw["metric_id"]]
    raw["latest"] = [str(latest.get(m, "")) for m in raw["metric_id"]]
    cols = [c for c in CATALOGUE_COLUMNS if c in raw.columns]
    return raw[cols].fillna("").reset_index(drop=True)


_ITABLES_READY = False


def show(df: pd.DataFrame, caption: str | None = None, page_length: int = 25) -> None:
    """A searchable, sortable table of every row (itables, offline: nothing loaded from the net)."""
    import itables

    global _ITABLES_READY
    if not _ITABLES_READY:  # the offline bundle goes into the notebook once, not with every table
        itables.init_notebook_mode(all_interactive=False, connected=False)
        _ITABLES_READY = True
    # maxBytes=0: never down-sample; the analyst must see every row
    itables.show(df, caption=caption, maxBytes=0, pageLength=page_length,
                 lengthMenu=[10, 25, 100, -1], showIndex=False, classes="display compact",
                 columnDefs=[{"className": "dt-left", "targets": "_all"}])


# --- series -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Point:
    """One preferred observation as drawn."""

    start: date | None
    end: date
    y: float
    exact: bool
    freq: str


def _months(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def frequency(period_type: str, start: date | None, end: date) -> str:
    """The frequency class of one observation; only points of one class are ever joined.

    >>> frequency("stock", None, date(2026, 3, 31))
    'level'
    >>> frequency("flow", date(2025, 1, 1), date(2025, 6, 30))
    '6-month flow'
    >>> frequency("flow", date(2025, 1, 1), date(2025, 12, 31))
    '12-month flow'
    >>> frequency("cumulative", None, date(2026, 5, 22))
    'cumulative'
    """
    if period_type == "stock" or start is None:
        return "level" if period_type == "stock" else "cumulative"
    if period_type == "cumulative":
        return f"cumulative since {start.isoformat()}"
    span = _months(start, end + timedelta(days=1))
    return f"{span}-month flow"


def consecutive(a: Point, b: Point) -> bool:
    """True when ``b`` is the period right after ``a`` in one frequency (``a`` earlier).

    >>> p = lambda s, e, f: Point(s, e, 1.0, True, f)
    >>> consecutive(p(None, date(2026, 2, 28), "level"), p(None, date(2026, 3, 31), "level"))
    True
    >>> consecutive(p(None, date(2025, 6, 30), "level"), p(None, date(2026, 3, 31), "level"))
    False
    >>> h1 = p(date(2025, 1, 1), date(2025, 6, 30), "6-month flow")
    >>> consecutive(h1, p(date(2025, 1, 1), date(2025, 12, 31), "12-month flow"))
    False
    >>> ytd = p(date(2024, 1, 1), date(2024, 9, 30), "9-month flow")
    >>> consecutive(ytd, p(date(2025, 1, 1), date(2025, 9, 30), "9-month flow"))
    True
    """
    if a.freq != b.freq:
        return False
    if a.freq == "level":
        gap = _months(a.end, b.end)
        return gap == 1 or gap == 12 or (gap == 3 and a.end.month % 3 == 0 and b.end.month % 3 == 0)
    if a.freq.startswith("cumulative since"):
        return _months(a.end, b.end) <= 12  # one running total from one start date
    if a.start is None or b.start is None:
        return False
    contiguous = b.start == a.end + timedelta(days=1)
    year_later = (_months(a.start, b.start) == 12 and _months(a.end, b.end) == 12
                  and b.start.day == a.start.day)
    return contiguous or year_later


def series_points(ds, metric_id: str, entity_id: str, factor: float = 1.0) -> list[Point]:
    """The preferred observations of one series, oldest first, with their frequency class."""
    s = ds.series(metric_id, entity_id)
    out = []
    for r in s.itertuples():
        out.append(Point(r.start, r.end, float(r.value_base) / factor, r.bound == "exact",
                         frequency(r.period_type, r.start, r.end)))
    return sorted(out, key=lambda p: (p.end, p.freq))


def segments(points: list[Point]) -> list[tuple[Point, Point]]:
    """The pairs a line may join: consecutive periods of one frequency."""
    out = []
    by_freq: dict[str, list[Point]] = {}
    for p in points:
        by_freq.setdefault(p.freq, []).append(p)
    for pts in by_freq.values():
        pts.sort(key=lambda p: p.end)
        out += [(a, b) for a, b in itertools.pairwise(pts) if consecutive(a, b)]
    return out


_CHARTS_READY = False
_COLORS = ["#1f5f8b", "#c0504d", "#4f8a3c", "#8064a2", "#d98c1f", "#4bacc6", "#7f7f7f"]


def series_figure(ds, topic: str, lang: str = "en", columns: int = 3):
    """Small multiples of every series of a topic (one panel per metric and entity), or None.

    Markers: filled for exact figures, hollow for bounded ones (超, 近, 约); one colour per
    frequency class, named in the panel's legend when a panel has more than one.
    """
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    from .charts import setup, unit_scale

    global _CHARTS_READY
    if not _CHARTS_READY:  # the report's theme and the CJK font, or Chinese names draw as boxes
        setup()
        _CHARTS_READY = True
    o = ds.observations
    sel = o[o["preferred"] & (o["topic"] == topic)]
    keys = sorted(dict.fromkeys(zip(sel["metric_id"], sel["entity_id"], strict=True)))
    if not keys:
        return None
    rows_n = -(-len(keys) // columns)
    fig = Figure(figsize=(11, 0.6 + 2.4 * rows_n), dpi=96, layout="constrained")
    axes = fig.subplots(rows_n, columns, squeeze=False).ravel()
    for ax, (m, e) in zip(axes, keys, strict=False):
        s = ds.series(m, e)
        factor, unit = unit_scale(s["base_unit"].iloc[0], s["value_base"], lang)
        pts = series_points(ds, m, e, factor)
        freqs = list(dict.fromkeys(p.freq for p in pts))
        color = {f: _COLORS[i % len(_COLORS)] for i, f in enumerate(freqs)}
        for a, b in segments(pts):
            ax.plot([pd.Timestamp(a.end), pd.Timestamp(b.end)], [a.y, b.y], color=color[a.freq], lw=1.3)
        for f in freqs:
            fp = [p for p in pts if p.freq == f]
            xs = [pd.Timestamp(p.end) for p in fp]
            ax.scatter([x for x, p in zip(xs, fp, strict=True) if p.exact],
                       [p.y for p in fp if p.exact], color=color[f], s=22, zorder=3, label=f)
            ax.scatter([x for x, p in zip(xs, fp, strict=True) if not p.exact],
                       [p.y for p in fp if not p.exact], facecolor="white", edgecolor=color[f],
                       s=22, zorder=3)
        # true time spacing with room around a lone point, so no locator has to guess
        lo, hi = min(p.end for p in pts), max(p.end for p in pts)
        pad = max(timedelta(days=120), (hi - lo) / 12)
        ax.set_xlim(pd.Timestamp(lo - pad), pd.Timestamp(hi + pad))
        # at most about five ticks whatever the span: quarters, half-years, years or more
        months = _months(lo - pad, hi + pad)
        if months > 48:
            ax.xaxis.set_major_locator(mdates.YearLocator(max(1, round(months / 12 / 5))))
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        else:
            step = next(k for k in (3, 6, 12) if months / k <= 5)
            ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=range(1, 13, step)))
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
        ys = [p.y for p in pts]
        if min(ys) == max(ys):
            ax.set_ylim(min(ys) * 0.8 - (min(ys) == 0), max(ys) * 1.2 + (max(ys) == 0))
        name = str(ds.metrics.loc[m, f"name_{lang}"])
        if e != "chongqing":
            name += f" · {ds.entities.loc[e, f'name_{lang}']}"
        ax.set_title(_wrap(name, 20 if lang == "zh" else 44), fontsize=8)
        ax.set_ylabel(unit, fontsize=7.5)
        ax.tick_params(labelsize=7)
        if len(freqs) > 1:
            ax.legend(fontsize=6.5, frameon=False, loc="best")
    for ax in axes[len(keys):]:
        ax.set_visible(False)
    fig.suptitle(f"{topic}: {len(keys)} series" if lang == "en" else f"{topic}：{len(keys)}个序列",
                 fontsize=10)
    return fig


def draw(ds, topic: str, lang: str = "en") -> None:
    """Show the series of one topic in the notebook (a PNG; nothing when the topic has no data)."""
    import io

    from IPython.display import Image, display

    fig = series_figure(ds, topic, lang)
    if fig is None:
        return
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    display(Image(data=buf.getvalue(), format="png"))


def _wrap(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    if " " in text:
        words, lines, line = text.split(), [], ""
        for w in words:
            if line and len(line) + 1 + len(w) > width:
                lines.append(line)
                line = w
            else:
                line = f"{line} {w}".strip()
        return "\n".join([*lines, line])
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


def topics(ds) -> list[str]:
    """Topics with at least one preferred observation, in catalogue order."""
    o = ds.observations
    return list(dict.fromkeys(o.loc[o["preferred"], "topic"]))
