"""Judgements computed from the data: pace against the last comparable figure, the gap to the nation."""

from __future__ import annotations

import pytest

from cqreport import load_dataset
from cqreport.analysis.judgements import judgements_for, national_gap, pace

from .conftest import REAL_DATA


@pytest.fixture(scope="module")
def national_ds(sources_dir):
    """The real data: it holds the national series (entity china) curated from the real texts."""
    return load_dataset(REAL_DATA, sources_dir)


def _obs(ds, metric, end, entity="chongqing"):
    o = ds.observations
    hit = o[o["preferred"] & (o["metric_id"] == metric) & (o["entity_id"] == entity)
            & (o["end"].map(str) == end)]
    assert len(hit) == 1, (metric, end, len(hit))
    return hit.iloc[0]


def test_rmb_loan_growth_is_judged_against_the_previous_quarter_end(def_data, sources_dir):
    ds = load_dataset(def_data, sources_dir)
    o = _obs(ds, "loan_balance_rmb", "2026-03-31")
    j = pace(ds, o)
    prev = ds.observation(j.inputs[1])
    # end-2025 is known only as a growth rate (7.2%, a machine summary): it still is the adjacent quarter-end
    assert str(prev["end"]) == "2025-12-31" and prev["metric_id"] == "loan_balance_rmb_growth"
    assert j.value == pytest.approx(o["yoy_pct"] - prev["value"])
    assert j.direction == ("slower" if o["yoy_pct"] < prev["value"] else "faster")


def test_a_stated_gap_is_checked_against_the_nation_of_the_same_definition(def_data, sources_dir):
    # 8.3% at end-June 2025, "1.2 points above the nation"; the nation's RMB loans grew 7.1%
    ds = load_dataset(def_data, sources_dir)
    o = _obs(ds, "loan_balance_rmb", "2025-06-30")
    j = national_gap(ds, o)
    nat = ds.observation(j.inputs[1])
    assert nat["entity_id"] == "china" and nat["yoy_pct"] == pytest.approx(7.1)
    assert j.value == pytest.approx(o["yoy_pct"] - nat["yoy_pct"]) and j.reported_pp == pytest.approx(1.2)
    assert j.agrees


def test_no_national_figure_no_gap(real_ds):
    o = _obs(real_ds, "loan_balance_rmb", "2026-03-31")
    assert national_gap(real_ds, o) is None
    assert [j.kind for j in judgements_for(real_ds, o)] == ["pace"]


def test_the_nation_is_never_judged_against_itself(national_ds):
    nat = _obs(national_ds, "loan_balance_rmb", "2025-06-30", entity="china")
    assert national_gap(national_ds, nat) is None


def test_the_report_states_the_pace_and_the_audit_recomputes_it(real_ds):
    import dataclasses

    from cqreport import quarter_data
    from cqreport.report.audit import audit_ledger
    from cqreport.report.narrative import write_narrative

    n = write_narrative(quarter_data(real_ds, "2026Q1"), "zh")
    # the credit section's judgements (the peers section writes national gaps of its own)
    entries = [e for e in n.ledger if e.kind == "judgement" and e.where != "peers"]
    assert entries and all(e.source_ref.startswith("pace:") for e in entries)
    assert audit_ledger(n, real_ds) == []
    e = entries[0]
    wrong = e.text.replace(f"{abs(e.value):g}", f"{abs(e.value) + 1:g}")
    assert wrong != e.text
    planted = dataclasses.replace(e, text=wrong, value=(abs(e.value) + 1) * (1 if e.value > 0 else -1))
    n.ledger[e.n] = planted
    findings = audit_ledger(n, real_ds)
    assert any("judgement" in f.message for f in findings), findings


def test_the_credit_section_says_what_the_nation_has_and_what_not(def_data, sources_dir):
    from cqreport import quarter_data
    from cqreport.report.audit import audit_ledger, html_to_text, normalize_text
    from cqreport.report.narrative import write_narrative

    ds = load_dataset(def_data, sources_dir)
    with_nation = write_narrative(quarter_data(ds, "2025Q2"), "zh")
    text = normalize_text(html_to_text(with_nation.sections["credit"]))
    assert "与全国比较" in text and "增速高于全国1.2个百分点" in text
    assert "无法计算与全国的差距" not in text and "不计算差距" not in text
    assert audit_ledger(with_nation, ds) == []
    en = normalize_text(html_to_text(write_narrative(quarter_data(ds, "2025Q2"), "en").sections["credit"]))
    assert "Against the nation" in en and "no gap is computed" not in en
    # no text covers 2026 nationally: the 2026Q1 report says so, once
    without = normalize_text(html_to_text(write_narrative(quarter_data(ds, "2026Q1"), "zh").sections["credit"]))
    assert without.count("无法计算与全国的差距") == 1
