"""Charts: language, CJK glyphs, no numbers in captions, series breaks, cut-off."""

from __future__ import annotations

import base64
import itertools
import re
import warnings
from html import escape as html_escape

import pandas as pd
import pytest
from matplotlib.lines import Line2D

from cqreport.analysis.quarter import quarter_data
from cqreport.core.scanning import scan_figures
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


def test_every_panel_has_three_points_within_five_years(drawn, quarters):
    from cqreport.core.periods import shift_years
    from cqreport.report.chartdata import HISTORY_YEARS, MIN_POINTS

    made = drawn[0][(quarters[0], "zh")][1]
    assert set(made) == set(report_topics()) and made["credit"]   # the loans path is always drawn
    for cs in made.values():
        for c in cs:
            latest = max(r["end"] for s in c.data.series() for _, r in s.rows.iterrows())
            for p in c.data.panels:
                assert p.points >= MIN_POINTS, (c.name, p.measure)
                for s in p.series:
                    assert all(e > shift_years(latest, -HISTORY_YEARS) for e in s.rows["end"]), c.name


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


QUARTERS = ("2026Q1", "2025Q4", "2025Q2")


@pytest.fixture(scope="module")
def redrawn(real_ds):
    """Every chart of the three reports an analyst reviewed, zh and en."""
    charts.setup()
    out = {}
    for q in QUARTERS:
        qd = quarter_data(real_ds, q)
        for lang in ("zh", "en"):
            out[(q, lang)] = (qd, [c for cs in charts.all_charts(qd, lang).values() for c in cs])
    return out


def _series_lines(ax):
    """The marker artists (one per series) and the joining lines of one axis."""
    markers = [ln for ln in ax.get_lines() if str(ln.get_gid()).startswith("series:")]
    joins = [ln for ln in ax.get_lines() if not str(ln.get_gid()).startswith("series:")]
    return markers, joins


def test_lines_join_only_consecutive_periods(redrawn):
    from cqreport.report.chartdata import MAX_GAP_DAYS

    joined = 0
    for (q, lang), (_, made) in redrawn.items():
        for c in made:
            for ax in c.figure.axes:
                for ln in _series_lines(ax)[1]:
                    days = pd.to_datetime(pd.Series(ln.get_xdata())).diff().dropna().dt.days
                    assert (days <= max(MAX_GAP_DAYS.values())).all(), (q, lang, c.name, list(days))
                    joined += len(days)
    assert joined > 0   # consecutive years (auto output, corridor volumes) are joined


def test_rmb_loans_are_one_series_with_no_line_across_a_missing_quarter_end(redrawn):
    # 6.12, 6.25, 6.39 and 6.54万亿元 are one RMB series (the currency of three is inferred with
    # evidence): one marker set, and no line from end-June to end-December 2025 (September is missing)
    _, made = redrawn[("2026Q1", "en")]
    loans = next(c for c in made if c.name == "loans")
    top = loans.figure.axes[0]
    markers, joins = _series_lines(top)
    rmb = next(m for m in markers if m.get_gid().startswith("series:loan_balance_rmb:chongqing:value"))
    xs = sorted(pd.to_datetime(pd.Series(rmb.get_xdata())))
    assert [x.strftime("%Y-%m") for x in xs[-4:]] == ["2025-03", "2025-06", "2025-12", "2026-03"]
    for j in joins:
        jx = sorted(pd.to_datetime(pd.Series(j.get_xdata())))
        assert all((b - a).days <= 100 for a, b in itertools.pairwise(jx)), jx


def test_one_measure_per_axis_and_level_axes_from_zero(redrawn, real_ds):
    m = real_ds.metrics
    for (q, _lang), (_, made) in redrawn.items():
        for c in made:
            for ax in c.figure.axes:
                gids = [ln.get_gid().split(":") for ln in _series_lines(ax)[0]]
                measures = {(m.loc[g[1], "base_unit"] if g[3] == "value" else "percent",
                             m.loc[g[1], "period_type"], g[3]) for g in gids}
                assert len(measures) == 1, (q, c.name, measures)
                if gids[0][3] == "value":
                    assert ax.get_ylim()[0] == 0, (q, c.name)
                # no single-value panel: one value goes to the text and the table
                assert sum(len(ln.get_xdata()) for ln in _series_lines(ax)[0]) >= 2, (q, c.name)


def test_every_point_drawn_is_a_row_of_the_chart_data(redrawn):
    for (q, lang), (_, made) in redrawn.items():
        for c in made:
            drawn = sum(len(ln.get_xdata()) for ax in c.figure.axes for ln in _series_lines(ax)[0])
            assert drawn == len(c.data.records()), (q, lang, c.name)


def test_no_point_after_the_cut_off_or_from_a_low_grade_source(redrawn, real_ds):
    from cqreport.core.vocab import CHART_MIN_GRADE, reliability_grades

    grades = reliability_grades()
    allowed = set(grades[:grades.index(CHART_MIN_GRADE) + 1])
    for (q, _lang), (qd, made) in redrawn.items():
        for c in made:
            for rec in c.data.records():
                o = real_ds.observation(rec["obs_id"])
                assert o["source_date"] <= qd.cutoff and o["end"] <= qd.cutoff, (q, rec)
                assert o["reliability"] in allowed, (q, rec)
    # the end-2025 7.2% growth comes from a machine summary: not drawn in Q4 2025
    _, made = redrawn[("2025Q4", "zh")]
    assert not any(r["value"] == "7.2" for c in made for r in c.data.records())


def test_charts_draw_the_recent_series_only(redrawn):
    _, made = redrawn[("2026Q1", "zh")]
    by_name = {c.name: c for c in made}
    ends = {r["period_end"][:4] for r in by_name["loans"].data.records()}
    assert min(ends) >= "2021" and "2026" in ends   # no 2008 or 2014 dot on a 2025-26 chart
    years = {r["period_end"][:4] for r in by_name["auto-output"].data.records() if r["metric_id"] == "auto_output"}
    assert len(years) >= 3 and min(years) >= "2020"


def test_titles_state_the_latest_move_and_labels_are_whole(redrawn):
    for (q, _lang), (_, made) in redrawn.items():
        for c in made:
            title = c.figure.get_suptitle()
            assert scan_figures(title), (q, c.name, title)   # the message carries its number
            for ax in c.figure.axes:
                for t in ax.texts:
                    assert "…" not in t.get_text() and "\n" not in t.get_text(), (q, c.name, t.get_text())
    zh = {c.name: c.figure.get_suptitle() for c in redrawn[("2026Q1", "zh")][1]}
    assert zh["loans"] == "人民币贷款余额2026年3月末升至6.54万亿元"


def test_each_chart_offers_its_data_as_a_csv_download(redrawn):
    from cqreport.report.audit import chart_csvs

    _, made = redrawn[("2026Q1", "zh")]
    c = next(c for c in made if c.name == "loans")
    html = c._repr_html_()
    assert re.search(r'<a class="cq-csv" download="2026Q1_loans_zh\.csv" href="data:text/csv;charset=utf-8,', html)
    (rows,) = chart_csvs(html)
    assert rows == c.data.records()
    assert {"source_id", "source_date", "obs_id"} <= set(rows[0])


def test_a_planted_wrong_number_in_a_charts_data_fails_the_audit(redrawn, real_ds):
    from cqreport.errors import AuditError
    from cqreport.report.audit import check
    from cqreport.report.narrative import write_narrative

    qd, made = redrawn[("2026Q1", "zh")]
    n = write_narrative(qd, "zh")
    page = n.html + "".join(c._repr_html_() for c in made)
    assert check(n, html=page, dataset=real_ds).ok
    c = next(c for c in made if c.name == "loans")
    good = c.data.csv_href()
    planted = good.replace("6.54", "6.45", 1)
    assert planted != good and html_escape(good) in page
    with pytest.raises(AuditError, match="chart loans"):
        check(n, html=page.replace(html_escape(good), html_escape(planted)), dataset=real_ds)


def test_the_appendix_lists_every_point_each_chart_draws(redrawn):
    from cqreport.report.narrative import write_narrative

    for q in QUARTERS:
        qd, made = redrawn[(q, "zh")]
        n = write_narrative(qd, "zh")
        for c in made:
            table = re.search(rf'<table class="cq-chart-data" id="chart-data-{c.data.name}">(.*?)</table>',
                              n.appendix_html, flags=re.S)
            assert table, (q, c.name)
            assert table.group(1).count("<tr>") - 1 == len(c.data.records()), (q, c.name)


def test_chart_displays_as_embedded_png():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1))
    fig.subplots().plot([1, 2], [1, 2])
    html = charts.Chart(fig, "图注", "alt", "demo")._repr_html_()
    b64 = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    assert base64.b64decode(b64)[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<figcaption>图注</figcaption>" in html   # no data, no download link
    assert charts.Charts([])._repr_html_().count("<figure") == 0


def test_unknown_topic(real_ds):
    with pytest.raises(ValueError, match="unknown topic"):
        charts.topic_charts(quarter_data(real_ds, real_ds.latest_quarter()), "weather")


def test_captions_describe_only_what_is_drawn_and_zh_ticks_have_no_english(redrawn):
    from cqreport.core.vocab import word

    for (q, lang), (_, made) in redrawn.items():
        note = word("charts", "national_note", lang)
        for c in made:
            has_national = any(":china:" in str(ln.get_gid()) for ax in c.figure.axes for ln in ax.get_lines())
            assert (note in c.caption) == has_national, (q, lang, c.name)
            if lang == "zh":
                ticks = [t.get_text() for ax in c.figure.axes for t in ax.get_xticklabels()]
                assert not any(re.search(r"[A-Za-z]", t) for t in ticks), (q, c.name, ticks)
