"""What a quarter's report gets: figures, context, comparisons, cut-off, variants."""

from datetime import date

from cqreport import load_dataset
from cqreport.analysis.quarter import quarter_data


def test_2026q1_selection(min_data, sources_dir):
    qd = quarter_data(load_dataset(min_data, sources_dir), "2026Q1")
    assert set(qd.figures["metric_id"]) == {"loan_balance_rmb", "tsf_increment", "bond_issuance_interbank"}
    # cumulative figures are context; a quarterly flow of another series a year ago is not
    assert qd.context["metric_id"].tolist() == ["corridor_centre_loans"]
    assert qd.context.iloc[0]["qualifier"] == "超"
    assert qd.variants["source_id"].tolist() == ["cq_2026q1_presser"]
    assert qd.cutoff == date(2026, 5, 22)


def test_comparisons_are_same_series_only(min_data, sources_dir):
    qd = quarter_data(load_dataset(min_data, sources_dir), "2026Q1")
    pairs = {(qd.dataset.observation(r.obs_id)["metric_id"], qd.dataset.observation(r.other_id)["metric_id"])
             for r in qd.comparisons.itertuples()}
    assert pairs == {("loan_balance_rmb", "loan_balance_rmb"), ("tsf_increment", "tsf_increment")}
    loans = qd.get("loan_balance_rmb")
    assert qd.compared(loans["obs_id"], "year_earlier")["value"] == 6.12
    assert qd.compared(loans["obs_id"], "previous_quarter") is None
    assert qd.get("bond_issuance_all_markets") is None


def test_earlier_quarter_does_not_see_later_sources(min_data, sources_dir):
    qd = quarter_data(load_dataset(min_data, sources_dir), "2025Q1")
    assert qd.cutoff == date(2025, 4, 22)
    assert qd.context.empty
    assert set(qd.sources.index) == {"cqcb_2025q1"}


def test_cautioned_rows_are_listed_apart_and_feed_nothing(min_data, sources_dir):
    from .test_validate import set_cell

    set_cell(min_data / "observations.csv", 1, "caution", "series unconfirmed")   # the Q1 2025 loan balance
    ds = load_dataset(min_data, sources_dir)
    qd25 = quarter_data(ds, "2025Q1")
    assert qd25.cautioned["obs_id"].tolist() == ["loan_balance_rmb@chongqing/2025-03-31/cqcb_2025q1"]
    assert "loan_balance_rmb" not in set(qd25.figures["metric_id"])
    qd26 = quarter_data(ds, "2026Q1")
    assert qd26.compared(qd26.get("loan_balance_rmb")["obs_id"], "year_earlier") is None
    assert not [c for c in qd26.checks if c.metric_id == "loan_balance_rmb"]
