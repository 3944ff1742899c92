"""Derived figures: values hand-computed from the source texts, qualifiers, like with like, cross-checks."""

import pytest

from cqreport import load_dataset
from cqreport.analysis.derive import combine_bounds, crosschecks, derived, interval

from .test_validate import set_cell

LOANS_26 = "loan_balance_rmb@chongqing/2026-03-31/cq_2026q1_presser"
LOANS_25 = "loan_balance_rmb@chongqing/2025-03-31/cqcb_2025q1"
TSF_26 = "tsf_increment@chongqing/2026-03-31/cq_2026q1_presser"


@pytest.fixture
def ds(min_data, sources_dir):
    return load_dataset(min_data, sources_dir)


def by_id(ds):
    return {d.derived_id: d for d in derived(ds)}


def test_implied_base_from_yoy(ds):
    d = by_id(ds)["implied_base:loan_balance_rmb@chongqing/2025-03-31"]
    assert d.value == pytest.approx(6.54 / 1.068)         # about 6.12万亿元 a year earlier
    # 6.54 ± 0.005 at 6.8 ± 0.05%: 6.116..6.131, so the last digit is uncertain: 约
    assert (d.low, d.high) == (pytest.approx(6.535 / 1.0685), pytest.approx(6.545 / 1.0675))
    assert (d.unit, d.decimals, d.qualifier, d.derived) == ("万亿元", 2, "约", True)
    assert d.inputs == (LOANS_26,)
    assert "6.54万亿元" in d.formula and "6.8%" in d.formula


def test_implied_base_from_a_yoy_difference(ds):
    d = by_id(ds)["implied_base:tsf_increment@chongqing/2024-01-01..2024-03-31"]
    assert d.value == pytest.approx(2733.8 - 532.3)


def test_a_lower_bound_passes_through_division(ds):
    d = by_id(ds)["implied_base:bond_issuance_all_markets@chongqing/2024-01-01..2024-03-31"]
    assert d.value == pytest.approx(745 / 1.036)
    assert (d.bound, d.qualifier) == ("lower", "超")


def test_an_approximate_input_makes_the_result_approximate(ds):
    ids = by_id(ds)
    diff = ids["yoy_diff:tsf_increment@chongqing/2026-01-01..2026-03-31"]
    assert diff.value == pytest.approx(2300 - 2733.8) and diff.qualifier == "约"
    pct = ids["yoy_pct:tsf_increment@chongqing/2026-03-31"]
    assert pct.value == pytest.approx((2300 / 2733.8 - 1) * 100) and pct.qualifier == "约"
    assert set(diff.inputs) == {TSF_26, "tsf_increment@chongqing/2025-03-31/cqcb_2025q1"}


def test_different_series_are_never_compared(ds):
    for d in derived(ds):
        metrics = {ds.observation(i)["metric_id"] for i in d.inputs}
        if d.method != "share":
            assert len(metrics) == 1, d
    assert not [d for d in derived(ds) if d.metric_id == "bond_issuance_interbank"]


def test_reported_figure_agrees_with_the_figure_derived_for_it(ds):
    (check,) = [c for c in crosschecks(ds) if c.reported_id == LOANS_25]
    assert check.agrees and check.implied_by == LOANS_26
    assert check.low < 6.12 < check.high
    assert check.low == pytest.approx(6.535 / 1.0685) and check.high == pytest.approx(6.545 / 1.0675)


def test_a_disagreement_beyond_rounding_is_flagged(min_data, monkeypatch, tmp_path):
    monkeypatch.setenv("CQREPORT_SOURCES", str(tmp_path / "absent"))  # the planted quote is not in the source
    f = min_data / "observations.csv"
    set_cell(f, 1, "value", "6.02")
    set_cell(f, 1, "quote", "人民币贷款余额达6.02万亿元,同比增长7.9%,高于全国0.5个百分点")
    for col in ("inferred", "evidence_kind", "evidence_rows", "evidence", "evidence_zh"):   # now stated, not inferred
        set_cell(f, 1, col, "")
    (check,) = [c for c in crosschecks(load_dataset(min_data)) if c.reported_id == LOANS_25]
    assert not check.agrees and "DISAGREES" in check.note


@pytest.mark.parametrize(("parts", "bound"), [
    ([], "exact"), ([("exact", 1), ("exact", -1)], "exact"), ([("approx", -1)], "approx"),
    ([("lower", 1)], "lower"), ([("lower", -1)], "upper"), ([("upper", -1)], "lower"),
    ([("upper", 1), ("upper", 1)], "upper"), ([("lower", 1), ("approx", 1)], "approx"),
])
def test_bound_algebra(parts, bound):
    assert combine_bounds(parts) == bound


def test_interval_reads_rounding():
    assert interval(850.5, 1, "exact") == (850.45, 850.55)
    assert interval(2300, 0, "approx") == (2250, 2350)
    lo, hi = interval(200, 0, "upper")
    assert lo == float("-inf") and hi == 200.5


def test_precision_never_claims_more_than_the_inputs_allow(min_data, sources_dir):
    ds = load_dataset(min_data, sources_dir)
    pct = by_id(ds)["yoy_pct:tsf_increment@chongqing/2026-03-31"]
    # 约2300 (2250..2350) against 2733.8: -17.7%..-14.0%, so whole percents only
    assert pct.low == pytest.approx((2250 / 2733.85 - 1) * 100)
    assert pct.high == pytest.approx((2350 / 2733.75 - 1) * 100)
    assert pct.decimals == 0
