"""The narrative: written from the data, in both languages, for every quarter.

Expected figures are hand-checked against the source texts in ../shared/sources
(000_b8a2839b917f43b3.txt for Q1 2026, the 2025-04-23 cqcb release for Q1 2025).
"""

from __future__ import annotations

import html
import re

import pytest

from cqreport.analysis.derive import derived as all_derived
from cqreport.analysis.quarter import quarter_data
from cqreport.core.phrases import period_phrase
from cqreport.core.scanning import scan_figures
from cqreport.core.vocab import report_topics
from cqreport.report.audit import html_to_text, mask_dates, normalize_text
from cqreport.report.narrative import write_narrative


@pytest.fixture(scope="module")
def narratives(real_ds, narrative_of):
    return {(str(q), lang): narrative_of(q, lang)
            for q in real_ds.quarters() for lang in ("zh", "en")}


def text_of(html: str) -> str:
    return normalize_text(html_to_text(html))


def test_every_quarter_has_both_languages(real_ds, narratives):
    assert len(real_ds.quarters()) >= 2
    for q in real_ds.quarters():
        for lang in ("zh", "en"):
            n = narratives[(str(q), lang)]
            assert n.quarter == q and n.lang == lang
            for name, frag in n.fragments.items():
                assert frag.strip(), (q, lang, name)
            assert n.ledger and n.references


def test_key_points_are_three_to_five(real_ds, narratives):
    for key, n in narratives.items():
        bullets = re.findall(r"<li>(.*?)</li>", n.key_points_html, re.S)
        # key points judge the quarter: a thin quarter (few figures of its own) cannot fill three
        qd = quarter_data(real_ds, key[0])
        assert min(3, len(qd.figures)) <= len(bullets) <= 5, key
        assert all('class="cq-ref"' in b for b in bullets), key


def test_sections_have_heading_and_paragraphs(narratives):
    for key, n in narratives.items():
        for topic in report_topics():
            html = n.section_html(topic)
            assert "<h2>" in html and "<p>" in html, (key, topic)
    n = next(iter(narratives.values()))
    with pytest.raises(KeyError):
        n.section_html("weather")


BROKEN = [r"，。", r"，，", r"。。", r"（）", r"\(\)", r" ,", r",,", r"\.\.", r"\bNone\b",
          r"\bnan\b", r"\{\{", r"\{%", r"<p>\s*</p>", r"<li>\s*</li>", r"\[\]", r"：。",
          r"\bthe the\b", r"\ba an\b", r"an implied an\b"]


def test_no_empty_or_broken_sentences(narratives):
    for key, n in narratives.items():
        for name, frag in n.fragments.items():
            for pat in BROKEN:
                assert not re.search(pat, frag), (key, name, pat, re.search(pat, frag))


def test_q1_2026_chinese_holds_the_released_figures(narratives):
    n = narratives[("2026Q1", "zh")]
    credit = text_of(n.section_html("credit"))
    # 000: 人民币贷款余额达6.54万亿元，同比增长6.8%，增速连续13个月高于全国平均水平
    assert "人民币贷款余额6.54万亿元,同比增长6.8%,增速连续13个月高于全国平均水平" in credit
    assert "约2300亿元" in credit            # 社会融资规模新增约2300亿元
    assert "388.6亿元" in credit             # 在银行间市场发行债券388.6亿元
    assert "6.12万亿元" in credit            # the same series a year earlier (cqcb 2025-04-23)
    assert "2733.8亿元" in credit            # TSF a year earlier, same series
    cross = text_of(n.section_html("cross_border"))
    assert "850.5亿元,居中西部第一" in cross
    assert "682.7亿美元" in cross
    corridor = text_of(n.section_html("corridor"))
    assert "超168亿元" in corridor            # the library prefers the later 超168亿元
    auto = text_of(n.section_html("auto"))
    assert "61.4万辆,同比增长28.7%" in auto
    assert "本报告所用资料未载2026年一季度的汽车出口量" in auto   # no auto figure for Q1 2026 itself
    assert "未公布" not in text_of(n.html)   # the sources never say a figure was not released


def test_q1_2026_english_reads_the_english_way(narratives):
    text = text_of(n_html := narratives[("2026Q1", "en")].html)
    for s in ("RMB 6.54 trillion, up 6.8% year on year", "for 13 consecutive months",
              "about RMB 230 billion", "RMB 38.86 billion", "RMB 85.05 billion",
              "ranked first in central and western China", "614,000 vehicles, up 28.7% year on year",
              "USD 68.27 billion", "over RMB 16.8 billion"):
        assert s in text, s
    assert "The sources used give no figure on vehicle exports for Q1 2026" in text_of(
        narratives[("2026Q1", "en")].section_html("auto"))
    assert "<script" not in n_html


def test_comparisons_use_the_same_series_only(narratives, real_ds):
    n = narratives[("2026Q1", "zh")]
    text = text_of(n.html)
    # 2025 Q1 bonds were all markets (超745亿元), 2026 Q1 interbank only: never compared
    assert "745" not in text
    assert "覆盖范围不同" in text_of(n.section_html("credit")) and "不作同比比较" in text_of(n.section_html("credit"))
    # the RMB loan paragraph tells the RMB path, never loans in all currencies
    first_p = re.search(r"<p>(.*?)</p>", n.section_html("credit"), re.S).group(1)
    assert "6.12万亿元" in first_p and "6.39万亿元" in first_p and "本外币" not in first_p
    # every derived comparison in the ledger has inputs of one series
    derived = {d.derived_id: d for d in all_derived(real_ds)}
    derived |= {d.derived_id: d for d in quarter_data(real_ds, "2026Q1").derived}
    for e in n.ledger:
        if e.kind == "derived" and e.source_ref.split(":")[0] in ("increment", "yoy_diff",
                                                                   "yoy_pct", "qoq_pct"):
            metrics = {real_ds.observation(i)["metric_id"] for i in derived[e.source_ref].inputs}
            assert len(metrics) == 1, e


def test_derived_figures_are_worded_as_derived(narratives):
    for (q, lang), n in narratives.items():
        for topic in report_topics():
            html = n.section_html(topic)
            for e in (e for e in n.ledger if e.kind == "derived" and e.where == topic):
                # the same words may also occur as a reported figure: one occurrence must be the derived one
                starts = [m.start() for m in re.finditer(re.escape(e.text), html)]
                assert starts, e
                befores = [html[max(0, i - 120):i] for i in starts]
                if lang == "zh":
                    assert any("推算" in b for b in befores), (q, e.text, befores)
                    assert re.sub(r"^(同比)?(增长|下降|增加|减少|多增|少增)?", "", e.text)[:1] \
                        in "约超近", e.text
                else:
                    assert any("impli" in b for b in befores), (q, e.text, befores)


def test_every_sentence_with_a_number_carries_a_reference(narratives):
    for (q, lang), n in narratives.items():
        for topic in report_topics():
            for p in re.findall(r"<p>(.*?)</p>", n.section_html(topic), re.S):
                parts = p.split("。") if lang == "zh" else re.split(r"(?<=\.)\s", p)
                for part in parts:
                    plain = mask_dates(normalize_text(re.sub(r"<[^>]+>", "", part)))
                    plain = re.sub(r"\[\d+\]", "", plain)
                    figs = [f for f in scan_figures(plain) if not f.bare]
                    if figs:
                        assert 'class="cq-ref"' in part, (q, lang, part)


def test_footnotes_point_to_appendix_entries(narratives):
    for key, n in narratives.items():
        marks = set(re.findall(r'href="#ref-(\d+)"', n.html))
        anchors = set(re.findall(r'id="ref-(\d+)"', n.appendix_html))
        assert marks <= anchors, key
        assert anchors == {str(r.n) for r in n.references}, key
        # each entry of the Sources list links to its evidence, which has every footnote
        links = set(re.findall(r'href="evidence\.html#ref-(\d+)"', n.appendix_html))
        assert links == anchors == set(re.findall(r'id="ref-(\d+)"', n.evidence_html)), key


def test_appendix_shows_quote_source_and_the_variant(narratives):
    n = narratives[("2026Q1", "zh")]
    app = text_of(n.evidence_html)
    # the verbatim quote and the source title of the headline figure
    assert "截至3月末,全市人民币贷款余额达6.54万亿元,同比增长6.8%" in app
    assert "货物贸易结算量位居中西部第一" in app
    # the two core releases disagree on the service centre's loans: both shown
    assert "推动实现贷款投放超168亿元" in app and "推动实现贷款投放168亿元" in app
    # a derived figure shows its inputs and method
    assert "方法" in app and "推算" in app


def test_ledger_records_value_unit_qualifier_and_origin(narratives):
    n = narratives[("2026Q1", "zh")]
    loan = [e for e in n.ledger if e.text == "6.54万亿元"]
    assert loan and all(e.source_ref == "loan_balance_rmb@chongqing/2026-03-31/cq_2026q1_presser"
                        and e.unit == "万亿元" and e.value == 6.54 and e.qualifier == ""
                        for e in loan)
    tsf = [e for e in n.ledger if e.text == "约2300亿元"]
    assert tsf and all(e.qualifier == "约" and e.bound == "approx" for e in tsf)
    streak = [e for e in n.ledger if e.field == "streak_months"
              and e.source_ref == "loan_balance_rmb@chongqing/2026-03-31/cq_2026q1_presser"]
    assert streak and all(e.value == 13 and e.unit == "个月" for e in streak)


def test_text_from_the_data_is_escaped(real_ds):
    import dataclasses

    o = real_ds.observations.copy()
    o.loc[o["obs_id"] == "loan_balance_rmb@chongqing/2026-03-31/cq_2026q1_presser", "quote"] = \
        "<script>alert(1)</script> & “6.54万亿元”"
    ds = dataclasses.replace(real_ds, observations=o)   # a fresh Dataset: its own selections
    n = write_narrative(quarter_data(ds, "2026Q1"), "zh")
    assert "<script>" not in n.html
    assert "<script>" not in n.evidence_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in n.evidence_html


def test_writing_is_deterministic(real_ds):
    a = write_narrative(quarter_data(real_ds, "2026Q1"), "en")
    b = write_narrative(quarter_data(real_ds, "2026Q1"), "en")
    assert a.html == b.html and a.ledger == b.ledger


def test_unknown_language_is_refused(real_ds):
    with pytest.raises(ValueError, match="language"):
        write_narrative(quarter_data(real_ds, "2026Q1"), "fr")


def test_period_phrases():
    from datetime import date
    assert period_phrase(None, date(2025, 12, 31), "zh") == "2025年末"
    assert period_phrase(None, date(2025, 12, 31), "en") == "end-2025"
    assert period_phrase(None, date(2026, 4, 15), "en") == "mid-April 2026"
    assert period_phrase(date(2025, 1, 1), date(2025, 6, 30), "zh", period_type="flow") == "2025年上半年"
    assert period_phrase(date(2021, 1, 1), date(2025, 12, 31), "en", period_type="flow") == "2021–2025"


def test_a_cautioned_figure_appears_only_in_the_evidence_with_its_reason(real_ds):
    from cqreport.report.narrative import write_narrative

    qd = quarter_data(real_ds, "2025Q1")
    (row,) = [r for _, r in qd.cautioned.iterrows()]
    for lang in ("zh", "en"):
        n = write_narrative(qd, lang)
        prose = n.key_points_html + n.headline_table_html + "".join(n.section_html(t) for t in
                                                                    ("credit", "cross_border", "auto", "corridor"))
        assert "350" not in prose and "110" not in prose
        assert row["quote"] in n.evidence_html and row["quote"] not in n.html
        # the curator's reason, in the report's language (caution / caution_zh), with its figures
        reason = row["caution_zh" if lang == "zh" else "caution"]
        assert reason and reason in html.unescape(n.evidence_html) and "8006.8" in n.evidence_html
        assert ("存疑原因" if lang == "zh" else "Why not used") in n.evidence_html
