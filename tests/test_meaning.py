"""What the report says the figures mean (issue 17): one loan series, like with like, honest precision,
scope words kept, and an audit that reads meanings.

Each test is built from real rows (tests/fixtures/data_definitions, copied from data/) and checks a
defect an analyst found in the reports of the last round: the loan series split in two, a gap the
source states refused, growth derived from a rounded base, scope words lost or invented, growth
compared across a skipped period, "not released" for a figure the source gives.
"""

from __future__ import annotations

import pytest

from cqreport import load_dataset, quarter_data
from cqreport.analysis.comparable import compare
from cqreport.analysis.derive import change, derived, too_uncertain
from cqreport.analysis.judgements import national_gap, pace
from cqreport.report.audit import audit_meanings, html_to_text, normalize_text
from cqreport.report.chartdata import chart_data
from cqreport.report.narrative import write_narrative
from tests.edits import edit_observation

Q1_26 = "loan_balance_rmb@chongqing/2026-03-31/cq_2026q1_presser"
Q1_25 = "loan_balance_rmb@chongqing/2025-03-31/cqcb_2025q1"
H1 = "loan_balance_rmb@chongqing/2025-06-30/huaxia_2025h1"
END25 = "loan_balance_rmb@chongqing/2025-12-31/ichongqing_2025_yearend"
END24_BANKS = "loan_balance_banking_sector@chongqing/2024-12-31/cqnews_2025_14th_fyp"
AUG24 = "loan_balance_unstated@chongqing/2024-08-31/ichongqing_en_cq_loans_2024_08"


@pytest.fixture
def ds(def_data, sources_dir):
    return load_dataset(def_data, sources_dir)


def text(ds, quarter, lang, part=None):
    n = write_narrative(quarter_data(ds, quarter), lang)
    html = n.html if part is None else (n.sections[part] if part in n.sections else getattr(n, part))
    return normalize_text(html_to_text(html))


# ------------------------------------------------------------------ one loan series
def test_the_loans_chart_draws_the_four_quarter_ends_as_one_series(ds):
    cd = chart_data(quarter_data(ds, "2026Q1"), "loans")
    (level,) = [s for s in cd.series() if s.measure == "value" and s.metric_id == "loan_balance_rmb"]
    assert [float(v) for v in level.rows["value"]] == [6.12, 6.25, 6.39, 6.54]
    assert level.metric_id == "loan_balance_rmb"


@pytest.mark.parametrize(("lang", "words"), [
    ("zh", ["6.12万亿元", "6.25万亿元", "6.39万亿元", "6.54万亿元"]),
    ("en", ["RMB 6.12 trillion", "RMB 6.25 trillion", "RMB 6.39 trillion", "RMB 6.54 trillion"]),
])
def test_the_credit_section_tells_the_path_in_order(ds, lang, words):
    t = text(ds, "2026Q1", lang, "credit")
    path = t[t.index(words[0]):]
    assert [path.index(w) for w in words] == sorted(path.index(w) for w in words)
    assert ("同比增长7.9%" in path and "同比增长8.3%" in path) if lang == "zh" else "up 8.3%" in path
    assert "同口径数据未公布" not in t and "not released" not in t


def test_growth_is_compared_with_the_previous_quarter_end_even_from_a_growth_only_row(ds):
    j = pace(ds, ds.observation(Q1_26))
    assert j.inputs[1] == "loan_balance_rmb_growth@chongqing/2025-12-31/reportify_2025_pboc_summary"
    assert j.value == pytest.approx(-0.4)


def test_the_low_grade_growth_is_shown_with_its_grade(ds):
    t = text(ds, "2025Q4", "zh", "credit")
    assert "同比增长7.2%" in t and "机器摘要" in t
    t = text(ds, "2025Q4", "en", "credit")
    assert "up 7.2% year on year" in t and "machine summary" in t


# ------------------------------------------------------------------ the stated gap is computed, not refused
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_h1_gap_to_the_nation_is_the_sources_own(ds, lang):
    j = national_gap(ds, ds.observation(H1))
    assert j.value == pytest.approx(1.2) and j.agrees
    t = text(ds, "2025Q2", lang, "credit")
    assert "不计算差距" not in t and "no gap is computed" not in t
    assert ("高于全国1.2个百分点" in t) if lang == "zh" else ("1.2 percentage points" in t)


def test_a_national_rate_of_another_definition_is_refused_with_the_reason(ds, def_data, monkeypatch, tmp_path):
    # plant the national figure as all-currency: the gap is then refused, and the report says why once
    monkeypatch.setenv("CQREPORT_SOURCES", str(tmp_path / "absent"))   # the planted quote is in no source
    edit_observation(def_data, "loan_balance_rmb@china/2025-06-30/mirror664493_national_loan_direction_2025q2",
                     metric_id="loan_balance_all", quote="本外币各项贷款余额268.56万亿元,同比增长7.1%")
    # the currency then rests on the streak, and the gap's basis is no longer known (gap_basis)
    edit_observation(def_data, H1, evidence_kind="streak", evidence_rows=Q1_26, inferred="currency", gap_basis="")
    edit_observation(def_data, "loan_balance_rmb@chongqing/2025-06-30/ichongqing_2025h1_tsf",
                     evidence_kind="streak", evidence_rows=Q1_26, inferred="currency", gap_basis="")
    planted = load_dataset(def_data, None)
    j = national_gap(planted, planted.observation(H1))
    assert j.value is None and j.verdict.reason == "currency"
    assert "币种口径不同" in text(planted, "2025Q2", "zh", "credit")


# ------------------------------------------------------------------ precision
def test_growth_from_a_rounded_base_is_not_written(ds):
    later, base = ds.observation(END25), ds.observation(END24_BANKS)
    assert not compare(later, base)                       # banking sector, currency not stated
    with pytest.raises(ValueError, match="not comparable"):
        change(later, base, "yoy_pct")
    assert too_uncertain(6.5, 5.6, 7.4, "%")              # 6.39 / 6.0: the old report's 约6.5%
    t = text(ds, "2025Q4", "zh")
    assert "约6.5%" not in t and "约6%" not in t


def test_a_difference_of_an_approximate_flow_is_not_written(ds):
    d = [x for x in derived(ds) if x.method == "yoy_diff" and x.metric_id == "tsf_increment"]
    assert d and all(x.uncertain for x in d)          # 约2300 − 2733.8: ±50 on 430
    t = text(ds, "2026Q1", "zh")
    assert "约430亿元" not in t and "少增约" not in t


def test_a_published_growth_beats_a_derived_one_and_is_not_called_unreleased(ds):
    t = text(ds, "2025Q4", "zh", "headline_table_html")
    row = t[t.index("汽车出口额"):][:60]
    assert "同比增长23%" in row and "未公布" not in t
    t = text(ds, "2025Q4", "en", "headline_table_html")
    assert "up 23% year on year" in t and "not released" not in t


# ------------------------------------------------------------------ scope words
def test_goods_trade_settlement_is_not_called_city_wide(ds):
    zh, en = text(ds, "2026Q1", "zh", "cross_border"), text(ds, "2026Q1", "en", "cross_border")
    assert "全市货物贸易结算量" not in zh and "覆盖范围未说明" in zh
    assert "goods-trade settlement (coverage not stated)" in en and "settlement in Chongqing" not in en


def test_the_pilots_cumulative_settlement_keeps_both_words(ds):
    zh, en = text(ds, "2026Q1", "zh", "cross_border"), text(ds, "2026Q1", "en", "cross_border")
    assert "试点" in zh and "累计682.7亿美元" in zh
    assert "pilot reached a cumulative total of USD 68.27 billion" in en


def test_a_confirming_rows_qualifier_is_kept(ds):
    assert "突破756亿美元" in text(ds, "2026Q1", "zh", "cross_border")


def test_a_cumulative_total_is_tabled_as_one(ds):
    t = text(ds, "2026Q1", "zh")
    row = t[t.index("与通道通达国家的涉外收支"):][:40]
    assert "(累计)" in row and "截至2025年末" in row
    t = text(ds, "2026Q1", "en")
    assert "Cross-border receipts and payments with corridor destination countries (cumulative)" in t


def test_trips_via_the_routes_are_not_train_runs(ds):
    m = ds.metrics.loc["corridor_route_trips"]
    assert "运输方式未说明" in m["name_zh"] and "班列" not in m["name_zh"]
    assert m["scope"] == "unstated"


# ------------------------------------------------------------------ like periods only
def test_nev_growth_is_not_compared_across_a_skipped_year(ds):
    o = ds.observation("nev_output@chongqing/2025-12-31/ichongqing_2025_auto_output")
    assert pace(ds, o) is None            # 2024 has no growth rate; 2023's is two years back


def test_growth_is_not_compared_over_ten_months(ds):
    a = ds.observation(H1)
    b = ds.observation(AUG24).copy()
    b["metric_id"], b["currency"] = a["metric_id"], a["currency"]   # even in one definition
    assert compare(a, b).ok and compare(a, b, periods=True).reason == "period"


# ------------------------------------------------------------------ the audit reads meanings
@pytest.mark.parametrize(("lang", "right", "wrong"), [
    ("zh", "全市人民币贷款余额6.54万亿元", "全市本外币贷款余额6.54万亿元"),
    ("en", "outstanding RMB loans in Chongqing stood at RMB 6.54 trillion",
     "outstanding loans in local and foreign currencies in Chongqing stood at RMB 6.54 trillion"),
    ("zh", "货物贸易结算量(覆盖范围未说明)850.5亿元", "全市货物贸易结算量850.5亿元"),
    ("en", "facilitated cross-border trade settlement under the trade-opening pilot reached a cumulative",
     "facilitated cross-border trade settlement in Chongqing reached a cumulative"),
])
def test_the_audit_refuses_a_planted_wrong_definition_word(ds, lang, right, wrong):
    n = write_narrative(quarter_data(ds, "2026Q1"), lang)
    assert audit_meanings(n.html, n, ds) == []
    page = normalize_text(n.html)
    assert right in page
    findings = audit_meanings(page.replace(right, wrong), n, ds)
    assert findings and all(f.kind == "meaning" for f in findings)


def test_the_audit_refuses_cumulative_on_a_flow(ds):
    n = write_narrative(quarter_data(ds, "2026Q1"), "zh")
    page = normalize_text(n.html)
    assert "社会融资规模新增约2300亿元" in page
    found = audit_meanings(page.replace("社会融资规模新增约2300亿元", "社会融资规模累计新增约2300亿元"), n, ds)
    assert found and all("cumulative" in str(f) for f in found)
