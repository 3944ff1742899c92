"""Definitions (口径) as data: stated by the quote, or inferred with evidence that validation checks.

The fixture holds real rows (tests/fixtures/data_definitions): the Chongqing loan path of 2025-26,
whose currency the quotes leave open except at end-March 2026, and the national comparator.
Each planted fault is one a curator could make, and the data of the last round made some of them.
"""

from __future__ import annotations

import csv

import pytest

from cqreport.dataset.definitions import effective, stated_values
from cqreport.dataset.validate import check_data
from tests.edits import edit_observation

H1 = "loan_balance_rmb@chongqing/2025-06-30/huaxia_2025h1"
NAT_H1 = "loan_balance_rmb@china/2025-06-30/mirror664493_national_loan_direction_2025q2"
Q1_26 = "loan_balance_rmb@chongqing/2026-03-31/cq_2026q1_presser"
Q1_25 = "loan_balance_rmb@chongqing/2025-03-31/cqcb_2025q1"
END25 = "loan_balance_rmb@chongqing/2025-12-31/ichongqing_2025_yearend"
G72 = "loan_balance_rmb_growth@chongqing/2025-12-31/reportify_2025_pboc_summary"
NEW25 = "new_loans_rmb@chongqing/2025-12-31/reportify_2025_pboc_summary"


def row_of(data, obs_id):
    """The spreadsheet row of an observation (the header is row 1)."""
    with (data / "observations.csv").open(encoding="utf-8", newline="") as fh:
        ids = [f"{r['metric_id']}@{r['entity_id']}/{r['period_end']}/{r['source_id']}" for r in csv.DictReader(fh)]
    return ids.index(obs_id) + 2


def problems(data, sources_dir, check=None):
    found = check_data(data, sources_dir).problems
    return [p for p in found if check is None or p.check == check]


def test_the_fixture_is_clean(def_data, sources_dir):
    assert problems(def_data, sources_dir) == []


def test_the_old_filing_of_the_h1_loans_as_all_currency_is_refused(def_data, sources_dir):
    # the last round filed 各项贷款余额6.25万亿元 as 本外币: the quote does not say so
    edit_observation(def_data, H1, metric_id="loan_balance_all", inferred="", evidence_kind="",
                     evidence_rows="", evidence="")
    (p,) = problems(def_data, sources_dir, "definition-unstated")
    assert p.row == row_of(def_data, H1.replace("loan_balance_rmb", "loan_balance_all"))
    assert p.column == "inferred" and "(all)" in p.found


def test_an_rmb_row_must_say_so_or_record_the_inference(def_data, sources_dir):
    edit_observation(def_data, H1, inferred="", evidence_kind="", evidence_rows="", evidence="")
    (p,) = problems(def_data, sources_dir, "definition-unstated")
    assert "(rmb)" in p.found and "evidence" in p.expected


def test_an_inference_needs_its_kind_rows_and_words(def_data, sources_dir):
    edit_observation(def_data, H1, evidence_rows="", evidence="")
    found = problems(def_data, sources_dir, "evidence-missing")
    assert {p.column for p in found} == {"evidence_rows", "evidence"}


def test_an_evidence_row_must_exist(def_data, sources_dir):
    edit_observation(def_data, H1, evidence_rows=NAT_H1.replace("2025-06-30", "2025-06-29"))
    (p,) = problems(def_data, sources_dir, "evidence-row-missing")
    assert "2025-06-29" in p.found


def test_the_national_gap_must_match_the_national_rate(def_data, sources_dir):
    # 8.3% growth and 1.2 points above the nation give 7.1%; a gap of 1.5 would give 6.8%
    edit_observation(def_data, H1, vs_national_pp="1.5",
                     quote="6月末,全市各项贷款余额6.25万亿元,同比增长8.3%,高于全国1.5个百分点")
    found = problems(def_data, sources_dir)
    assert [p.check for p in found if p.check.startswith("evidence")] == ["evidence-arithmetic"]


def test_a_streak_must_start_with_the_stated_one(def_data, sources_dir):
    # ten months at December 2025 start in March 2025, like the streak of four months at June 2025
    edit_observation(def_data, H1, streak_months="5",
                     quote="6月末,全市各项贷款余额6.25万亿元,同比增长8.3%,高于全国1.2个百分点,增速连续5个月高于全国平均水平")
    rows = {(p.row, p.check) for p in problems(def_data, sources_dir)}
    assert (row_of(def_data, G72), "evidence-arithmetic") in rows


def test_an_implied_base_must_fall_in_the_range_the_later_growth_gives(min_data, sources_dir):
    # the small fixture infers end-March 2025 from end-March 2026's value and growth
    q1_26 = "loan_balance_rmb@chongqing/2026-03-31/cq_2026q1_presser"
    edit_observation(min_data, q1_26, yoy_pct="5.8", quote="截至3月末，全市人民币贷款余额达6.54万亿元，同比增长5.8%")
    rows = {(p.row, p.check) for p in problems(min_data, sources_dir)}
    assert (row_of(min_data, Q1_25), "evidence-arithmetic") in rows   # 6.12 no longer fits 6.54 / 1.058


def test_an_implied_increase_must_match_the_level_and_growth(def_data, sources_dir):
    edit_observation(def_data, NEW25, value="530.2",
                     quote="leading to an increase of 530.2 billion yuan in loans for the city")
    assert problems(def_data, sources_dir, "evidence-arithmetic")


def test_same_release_means_the_same_source_or_day(def_data, sources_dir):
    edit_observation(def_data, END25, evidence_rows=Q1_26)   # a release of May 2026
    (p,) = problems(def_data, sources_dir, "evidence-arithmetic")
    assert "more than a day apart" in p.found


def test_an_evidence_row_must_carry_the_inferred_value(def_data, sources_dir):
    edit_observation(def_data, END25, evidence_rows="loan_balance_unstated@chongqing/2024-08-31/"
                                                    "ichongqing_en_cq_loans_2024_08")
    assert problems(def_data, sources_dir, "evidence-row-definition")


def test_inferences_never_rest_on_themselves(def_data, sources_dir):
    # the end-2025 balance rests on the growth, the growth on the March 2026 streak: make it a loop
    edit_observation(def_data, G72, evidence_kind="same_release", evidence_rows=END25)
    assert problems(def_data, sources_dir, "evidence-circular")


def test_a_quote_that_says_all_currencies_cannot_sit_in_an_rmb_series(def_data, sources_dir):
    edit_observation(def_data, "loan_balance_all@chongqing/2024-04-30/hualong_cq_loan_direction_2024_04",
                     metric_id="loan_balance_rmb")
    (p,) = problems(def_data, sources_dir, "definition-contradicted")
    assert "all words" in p.found


def test_a_row_narrows_only_an_unstated_field(def_data, sources_dir):
    edit_observation(def_data, Q1_26, compiler="banking_regulator")
    (p,) = problems(def_data, sources_dir, "definition-narrowing")
    assert p.column == "compiler"


def test_a_quote_that_says_rmb_narrows_an_unstated_series(def_data, sources_dir):
    # 货物贸易结算量 leaves the currency open; a row that says 人民币 must say so in its own cell
    edit_observation(def_data, "goods_trade_settlement@chongqing/2026-03-31/cq_2026q1_presser",
                     quote="一季度货物贸易结算量达850.5亿元", note="planted")
    assert problems(def_data, sources_dir) == []
    edit_observation(def_data, "goods_trade_settlement@chongqing/2026-03-31/cq_2026q1_presser",
                     quote="跨境人民币贸易投资便利化试点")
    assert problems(def_data, sources_dir, "definition-narrowable")


# --- the basis of a stated gap to the nation (issue 22) ------------------------------------

def test_the_gap_basis_is_the_national_rate_the_gap_implies(def_data, sources_dir):
    # 8.3% growth 1.2 points above the nation: 7.1%, the national RMB rate at end-June 2025
    edit_observation(def_data, H1, gap_basis="all")
    (p,) = problems(def_data, sources_dir, "evidence-row-definition")
    assert p.row == row_of(def_data, H1) and "currency 'rmb'" in p.found and "gap_basis" in p.expected


def test_a_gap_basis_is_never_taken_as_stated(def_data, sources_dir):
    # a release says 高于全国1.2个百分点 and never which national rate: rmb needs the evidence
    edit_observation(def_data, H1, inferred="currency")
    (p,) = problems(def_data, sources_dir, "gap-basis-unsupported")
    assert p.column == "inferred" and "'rmb'" in p.found
    edit_observation(def_data, H1, gap_basis="unstated")
    assert problems(def_data, sources_dir) == []


def test_a_gap_basis_belongs_to_a_stated_gap(def_data, sources_dir):
    edit_observation(def_data, Q1_26, gap_basis="unstated")
    (p,) = problems(def_data, sources_dir, "gap-basis-without-gap")
    assert p.row == row_of(def_data, Q1_26) and p.column == "gap_basis"


def test_a_gap_basis_rests_on_the_national_gap_only(def_data, sources_dir):
    edit_observation(def_data, H1, evidence_kind="same_release")
    assert problems(def_data, sources_dir, "gap-basis-evidence")


def test_a_gap_basis_must_fit_the_national_rate(def_data, sources_dir):
    # a gap of 1.5 points would imply 6.8%: no national RMB rate of that date fits
    edit_observation(def_data, H1, vs_national_pp="1.5", inferred="gap_basis", currency="",
                     quote="6月末,全市各项贷款余额6.25万亿元,同比增长8.3%,高于全国1.5个百分点")
    found = [p.check for p in problems(def_data, sources_dir) if p.check.startswith(("evidence", "gap"))]
    assert found == ["evidence-arithmetic"]


@pytest.mark.parametrize(("text", "values"), [
    ("全市人民币贷款余额达6.54万亿元", {"rmb"}),
    ("金融機構人民幣各項貸款余額268.56萬億元", {"rmb"}),
    ("重庆市本外币各项贷款余额57672.4亿元", {"all"}),
    ("Outstanding Loans in Home and Foreign Currencies Hits RMB 600 Billion", {"all"}),
    ("the outstanding yuan loans rose 10.9 percent", {"rmb"}),
    # Asian Banking & Finance, end-2024: both currencies, then RMB alone
    ("Outstanding renminbi (RMB) and foreign currency loans in China rose 7.2% year-on-year", {"all"}),
    ("RMB loans grew by 7.6% YoY to $34.95t (RMB255.68t)", {"rmb"}),
    ("6月末,全市各项贷款余额6.25万亿元", set()),
    ("the loan balance in the Chengdu-Chongqing Economic Circle reached RMB17.7 trillion", set()),
])
def test_the_words_that_state_a_currency(text, values):
    assert stated_values("currency", text) == values


def test_effective_definition_is_the_rows_then_the_metrics():
    metric = {"currency": "unstated", "compiler": "central_bank", "scope": "whole"}
    assert effective({"currency": "rmb"}, metric) == {"currency": "rmb", "compiler": "central_bank",
                                                      "scope": "whole"}
