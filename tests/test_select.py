"""What a quarter's report gets: figures, context, comparisons, cut-off, variants."""

from datetime import date

import pytest

from cqreport import load_dataset
from cqreport.analysis.quarter import as_published, outline_quarters, quarter_data
from cqreport.dataset.model import FigureGroups


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
    set_cell(min_data / "observations.csv", 1, "caution_zh", "序列未经证实")
    ds = load_dataset(min_data, sources_dir)
    qd25 = quarter_data(ds, "2025Q1")
    assert qd25.cautioned["obs_id"].tolist() == ["loan_balance_rmb@chongqing/2025-03-31/cqcb_2025q1"]
    assert "loan_balance_rmb" not in set(qd25.figures["metric_id"])
    qd26 = quarter_data(ds, "2026Q1")
    assert qd26.compared(qd26.get("loan_balance_rmb")["obs_id"], "year_earlier") is None
    assert not [c for c in qd26.checks if c.metric_id == "loan_balance_rmb"]


# ------------------------------------------------------------------ scale (issue 20): index once


@pytest.fixture(scope="module")
def grown_ds(tmp_path_factory, sources_dir):
    """The real data grown to 3,000 rows with shifted replicas (many variants), validated."""
    from cqreport.core import paths

    from .edits import replicate_data

    target = tmp_path_factory.mktemp("grown") / "data"
    replicate_data(paths.data_dir(), target, 3000)
    return load_dataset(target, sources_dir)


@pytest.mark.parametrize("which", ["real", "grown"])
def test_the_quarter_list_agrees_with_each_quarters_selection(real_ds, grown_ds, which):
    ds = {"real": real_ds, "grown": grown_ds}[which]
    outlines = list(outline_quarters(ds))
    assert [q for q, *_ in outlines] == ds.quarters()
    for q, cutoff, figures, context in outlines:
        qd = quarter_data(ds, q)
        assert cutoff == qd.cutoff
        assert figures["obs_id"].tolist() == qd.figures["obs_id"].tolist(), q
        assert context["obs_id"].tolist() == qd.context["obs_id"].tolist(), q


def test_figure_groups_in_date_order_give_each_vintage(grown_ds):
    """Adding rows in their sources' date order, the groups at each date are those of the
    data as published then: the quarter list can read every vintage from one pass."""
    o = grown_ds.observations
    groups = FigureGroups(o)
    order = sorted(range(len(o)), key=lambda i: o["source_date"].iat[i])
    added = 0
    for when in sorted({grown_ds.cutoff(q) for q in grown_ds.quarters()}):
        while added < len(order) and o["source_date"].iat[order[added]] <= when:
            groups.add(order[added])
            added += 1
        vintage = as_published(grown_ds, when).observations
        mine = {o["obs_id"].iat[i]: groups.preferred(i) for i in order[:added]}
        assert {**mine} == dict(zip(vintage["obs_id"], vintage["preferred"], strict=True)), when


def test_the_quarter_list_does_not_select_each_quarter_from_the_whole_table(grown_ds, monkeypatch):
    """describe_quarters once called quarter_data per quarter: a regrouping of every row
    published by each cut-off (quadratic in the history)."""
    from cqreport.analysis import quarter

    for name in ("as_published", "quarter_data", "select_quarter"):
        monkeypatch.setattr(quarter, name, lambda *a, _n=name, **k: pytest.fail(f"{_n} called"))
    assert len(quarter.describe_quarters(grown_ds).splitlines()) == len(grown_ds.quarters()) + 1


def test_a_quarter_checks_only_its_own_rows(grown_ds, monkeypatch):
    """The cross-checks a quarter shows are computed for its rows, not for every row of the
    table (once per quarter): the same checks as filtering the whole table's."""
    from cqreport.analysis import derive, quarter

    everything = {}
    for q in grown_ds.quarters()[-3:]:
        vintage = as_published(grown_ds, grown_ds.cutoff(q))
        everything[q] = derive.crosscheck_all(vintage)
    monkeypatch.setattr(derive, "crosscheck_all", lambda *a, **k: pytest.fail("whole table"))
    for q, checks in everything.items():
        qd = quarter.select_quarter(as_published(grown_ds, grown_ds.cutoff(q)), q)
        touched = (set(qd.figures["obs_id"]) | set(qd.context["obs_id"])
                   | set(qd.comparisons["other_id"]))
        assert qd.checks == [c for c in checks if c.reported_id in touched or c.implied_by in touched]
