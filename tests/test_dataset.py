"""The Dataset: typing, base units, the preferred-observation rule, quarters."""

from datetime import date

import pytest

from cqreport import ParameterError, QuarterError, load_dataset
from cqreport.core.periods import Quarter

from .test_validate import set_cell

CENTRE_000 = "corridor_centre_loans@lsc_finance_centre/2026-05-09/cq_2026q1_presser"
CENTRE_003 = "corridor_centre_loans@lsc_finance_centre/2026-04-15/corridor_2026_meeting"


def load(min_data, sources_dir):
    return load_dataset(min_data, sources_dir)


def test_values_in_base_units_are_computed(min_data, sources_dir):
    ds = load(min_data, sources_dir)
    loans = ds.series("loan_balance_rmb")
    assert loans["value_base"].tolist() == pytest.approx([6.12e12, 6.54e12])
    assert loans["end"].tolist() == [date(2025, 3, 31), date(2026, 3, 31)]
    assert ds.observation(CENTRE_003)["bound"] == "lower"


def test_conflicting_qualifiers_keep_both_rows_and_prefer_the_later_source(min_data, sources_dir):
    ds = load(min_data, sources_dir)
    both = ds.observations[ds.observations["metric_id"] == "corridor_centre_loans"]
    assert len(both) == 2 and both["figure"].nunique() == 1
    assert ds.observation(CENTRE_003)["preferred"] and not ds.observation(CENTRE_000)["preferred"]


def test_a_confirming_rows_qualifier_outranks_its_grade(min_data, sources_dir):
    # 超168亿元 and 168亿元 give one value: the bound is kept even from a lower-graded report
    set_cell(min_data / "sources.csv", 1, "reliability", "mirror")   # the 2026-05-22 meeting report
    ds = load(min_data, sources_dir)
    assert ds.observation(CENTRE_003)["preferred"]


def test_reliability_outranks_recency_when_the_values_differ(min_data, monkeypatch, tmp_path):
    monkeypatch.setenv("CQREPORT_SOURCES", str(tmp_path / "absent"))   # the planted quote is in no source
    set_cell(min_data / "sources.csv", 1, "reliability", "mirror")
    for col, value in (("value", "170"), ("qualifier", ""), ("period_end", "2026-05-09"),
                       ("quote", "推动实现贷款投放170亿元")):
        set_cell(min_data / "observations.csv", 7, col, value)   # a restatement of the same period
    ds = load(min_data, None)
    restated = CENTRE_003.replace("2026-04-15", "2026-05-09")
    assert ds.observation(CENTRE_000)["preferred"] and not ds.observation(restated)["preferred"]


def test_on_a_tie_the_cautious_qualifier_wins(min_data, sources_dir):
    set_cell(min_data / "sources.csv", 1, "date", "2026-05-09")
    ds = load(min_data, sources_dir)
    assert ds.observation(CENTRE_003)["preferred"]


def test_series_of_an_unknown_metric_says_which_exist(min_data, sources_dir):
    with pytest.raises(ParameterError, match=r"unknown metric 'loan_balance'.*did you mean loan_balance_rmb"):
        load(min_data, sources_dir).series("loan_balance")


def test_quarters_and_resolution(min_data, sources_dir):
    ds = load(min_data, sources_dir)
    assert ds.quarters() == [Quarter(2025, 1), Quarter(2026, 1)]
    assert ds.resolve_quarter(None) == Quarter(2026, 1)
    with pytest.raises(QuarterError, match=r"no report for quarter 2024Q1 .*; quarters with a report: 2025Q1, 2026Q1"):
        ds.resolve_quarter("2024Q1")
    with pytest.raises(QuarterError, match="quarter number must be 1 to 4"):
        ds.resolve_quarter("2026Q5")


def test_content_hash_follows_the_data(min_data, sources_dir):
    before = load(min_data, sources_dir).content_hash
    set_cell(min_data / "observations.csv", 0, "note", "changed")
    set_cell(min_data / "observations.csv", 0, "note_zh", "已修改")
    assert load(min_data, sources_dir).content_hash != before


def test_a_cautioned_row_is_never_used(min_data, sources_dir):
    set_cell(min_data / "observations.csv", 7, "caution", "doubtful")    # the 003 row, otherwise preferred
    set_cell(min_data / "observations.csv", 7, "caution_zh", "存疑")
    ds = load(min_data, sources_dir)
    assert not ds.observation(CENTRE_003)["preferred"]
    assert ds.observation(CENTRE_000)["preferred"]       # the other source's row takes its place
    set_cell(min_data / "observations.csv", 6, "caution", "doubtful too")
    set_cell(min_data / "observations.csv", 6, "caution_zh", "同样存疑")
    ds = load(min_data, sources_dir)
    assert ds.series("corridor_centre_loans", "lsc_finance_centre").empty


def test_unchanged_data_is_loaded_once_per_process_and_a_change_loads_it_again(min_data, sources_dir):
    """A warm kernel building report after report reads unchanged data once (issue 18)."""
    from cqreport.dataset.model import load_dataset

    first = load_dataset(min_data, sources_dir)
    assert load_dataset(min_data, sources_dir) is first
    obs = min_data / "observations.csv"
    obs.write_bytes(obs.read_bytes() + b"\n")          # any change to a file validation reads
    second = load_dataset(min_data, sources_dir)
    assert second is not first and second.observations.equals(first.observations)
    assert load_dataset(min_data, sources_dir, require_sources=True) is not second
