"""What a quarter's report gets: figures, context, comparisons, cut-off, variants."""

from datetime import date

from cqreport import load_dataset


def test_2026q1_selection(min_data, sources_dir):
    qd = load_dataset(min_data, sources_dir).quarter("2026Q1")
    assert set(qd.figures["metric_id"]) == {"loan_balance_rmb", "tsf_increment", "bond_issuance_interbank"}
    # cumulative figures are context; a quarterly flow of another series a year ago is not
    assert qd.context["metric_id"].tolist() == ["corridor_centre_loans"]
    assert qd.context.iloc[0]["qualifier"] == "超"
    assert qd.variants["source_id"].tolist() == ["cq_2026q1_presser"]
    assert qd.cutoff == date(2026, 5, 22)


def test_comparisons_are_same_series_only(min_data, sources_dir):
    qd = load_dataset(min_data, sources_dir).quarter("2026Q1")
    pairs = {(qd.dataset.observation(r.obs_id)["metric_id"], qd.dataset.observation(r.other_id)["metric_id"])
             for r in qd.comparisons.itertuples()}
    assert pairs == {("loan_balance_rmb", "loan_balance_rmb"), ("tsf_increment", "tsf_increment")}
    loans = qd.get("loan_balance_rmb")
    assert qd.compared(loans["obs_id"], "year_earlier")["value"] == 6.12
    assert qd.compared(loans["obs_id"], "previous_quarter") is None
    assert qd.get("bond_issuance_all_markets") is None


def test_earlier_quarter_does_not_see_later_sources(min_data, sources_dir):
    qd = load_dataset(min_data, sources_dir).quarter("2025Q1")
    assert qd.cutoff == date(2025, 4, 22)
    assert qd.context.empty
    assert set(qd.sources.index) == {"cqcb_2025q1"}
