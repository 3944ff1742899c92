"""Charts: language, CJK glyphs, no numbers in captions, series breaks, cut-off."""

from __future__ import annotations

import base64
import re
import warnings

import pandas as pd
import pytest
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from cqreport.analysis.quarter import quarter_data
from cqreport.core.figures import scan_figures
from cqreport.core.vocab import report_topics
from cqreport.report import charts

CJK = re.compile(r"[\u4e00-\u9fff]")


def _dates(line: Line2D) -> list:
    return pd.to_datetime(pd.Series(line.get_xdata())).dt.date.tolist()


@pytest.fixture(scope="module")
def quarters(real_ds):
    """The latest quarter and the earliest one with credit data: two different reports."""
    qs = [str(q) for q in real_ds.quarters()]
    credit = [q for q in qs if (quarter_data(real_ds, q).figures["topic"] == "credit").any()]
    return [qs[-1], credit[0]]


@pytest.fixture(scope="module")
def drawn(real_ds, quarters):
    """Every chart of two quarters in both languages, rendered, with the warnings raised."""
    charts.setup()
    out = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for q in quarters:
            qd = quarter_data(real_ds, q)
            for lang in ("zh", "en"):
                made = charts.all_charts(qd, lang)
                for cs in made.values():
                    for c in cs:
                        c.png()
                out[(q, lang)] = (qd, made)
    return out, [str(w.message) for w in caught]


def test_no_missing_glyph_warning(drawn):
    _, messages = drawn
    glyph = [m for m in messages if "Glyph" in m and "missing" in m]
    assert glyph == []


def test_every_topic_of_the_latest_quarter_has_a_chart(drawn, quarters):
    made = drawn[0][(quarters[0], "zh")][1]
    assert set(made) == set(report_topics())
    assert all(len(cs) >= 1 for cs in made.values()), {t: len(c) for t, c in made.items()}


def test_captions_carry_no_numbers(drawn):
    # the narrative audit reads every word of the page; numbers belong to the narrative
    for (q, lang), (_, made) in drawn[0].items():
        for cs in made.values():
            for c in cs:
                assert scan_figures(c.caption) == [], (q, lang, c.name, c.caption)


def test_text_is_in_the_report_language(drawn):
    for (_, lang), (_, made) in drawn[0].items():
        for cs in made.values():
            for c in cs:
                texts = [c.caption, c.figure.get_suptitle()]
                for ax in c.figure.axes:
                    texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
                    texts += [t.get_text() for t in ax.get_yticklabels() + ax.get_xticklabels()]
                    if ax.get_legend():
                        texts += [t.get_text() for t in ax.get_legend().get_texts()]
                joined = " ".join(texts)
                if lang == "zh":
                    assert CJK.search(c.caption), c.caption
                else:
                    assert not CJK.search(joined), (c.name, CJK.findall(joined)[:5])


def test_loan_definitions_are_separate_lines(drawn, quarters, real_ds):
    qd, made = drawn[0][(quarters[0], "en")]
    chart = next(c for c in made["credit"] if c.name == "loan-balance")
    top = chart.figure.axes[0]
    lines = [ln for ln in top.get_lines() if str(ln.get_gid()).startswith("series:")]
    by_metric = {ln.get_gid().removeprefix("series:"): ln for ln in lines}
    # one line per definition with data, and each holds exactly that series' points
    assert len(lines) == len(by_metric) >= 2
    for metric, line in by_metric.items():
        s = real_ds.series(metric)
        shown = (s["end"] <= qd.cutoff) & (s["source_date"] <= qd.cutoff)
        s = s[shown | s["obs_id"].isin(qd.used_ids())]
        ys = [round(v, 6) for v in line.get_ydata()]
        assert ys == [round(v / 1e12, 6) for v in s["value_base"]], metric
        assert _dates(line) == list(s["end"]), metric


def test_nothing_after_the_cut_off_is_drawn(drawn, quarters):
    qd, made = drawn[0][(quarters[1], "zh")]
    lines = [ln for c in made["credit"] for ax in c.figure.axes for ln in ax.get_lines()
             if str(ln.get_gid()).startswith("series:")]
    assert lines
    for ln in lines:
        assert all(d <= qd.cutoff for d in _dates(ln)), (ln.get_gid(), qd.cutoff)


def test_auto_exports_keep_units_and_value_apart(drawn, quarters):
    _, made = drawn[0][(quarters[0], "zh")]
    chart = next(c for c in made["auto"] if c.name == "auto-exports")
    per_axis = []
    for ax in chart.figure.axes:
        gids = {p.get_gid() for p in ax.patches if isinstance(p, Rectangle) and p.get_gid()}
        per_axis.append(gids)
    assert {"series:auto_exports_units"} in per_axis
    assert {"series:auto_export_value"} in per_axis


def test_chart_displays_as_embedded_png():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1))
    fig.subplots().plot([1, 2], [1, 2])
    html = charts.Chart(fig, "图注", "alt", "demo")._repr_html_()
    b64 = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    assert base64.b64decode(b64)[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<figcaption>图注</figcaption>" in html
    assert charts.Charts([])._repr_html_().count("<figure") == 0


def test_unknown_topic(real_ds):
    with pytest.raises(ValueError, match="unknown topic"):
        charts.topic_charts(quarter_data(real_ds, real_ds.latest_quarter()), "weather")
