"""The peers section (issue 22): Chongqing, the peer provinces and the nation on one basis.

The fixture (tests/fixtures/data_peers) holds the real loan rows of Chongqing, Sichuan,
Guangdong, Hubei and the nation from 2022 on, with their sources: central-bank figures in RMB
and in all currencies, the banking regulator's, growth since the start of the year and
machine summaries. Counts and wording come from these rows, not from today's data/.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from cqreport import load_dataset, quarter_data
from cqreport.analysis.comparable import compare
from cqreport.analysis.peers import basis_of, compare_peers
from cqreport.core.vocab import NATIONAL_ENTITY_TYPES
from cqreport.report import audit, charts
from cqreport.report.narrative import write_narrative
from cqreport.report.peers import draw_peers, peers_chart_data

from .edits import take_out

QUARTER = "2025Q2"
SICHUAN_H1 = "loan_balance_all@sichuan/2025-06-30/reportify_sichuan_2025h1"


def _qd(data: Path, sources_dir: Path, quarter: str = QUARTER):
    return quarter_data(load_dataset(data, sources_dir=sources_dir), quarter)


def _peer_ledger(n) -> Counter:
    return Counter((e.source_ref, e.field, round(e.value, 6)) for e in n.ledger if e.where == "peers")


# --- one basis per column ---------------------------------------------------------------

def test_two_bases_never_share_a_column(peers_data, sources_dir):
    qd = _qd(peers_data, sources_dir)
    pc = compare_peers(qd.dataset, qd.quarter, qd.cutoff)
    found = {(c.basis.currency, c.basis.compiler) for c in pc.columns}
    assert found == {("all", "central_bank"), ("rmb", "central_bank")}
    for col in pc.columns:
        rows = [c.row for c in col.cells.values()] + [c.gap_row for c in col.cells.values() if c.gap_row is not None]
        assert {basis_of(r) for r in rows} == {col.basis}
        assert all(compare(r, col.reference, across_entities=True) for r in rows)
    # the banking regulator's Guangdong figure of the same date stands apart, never in a column
    apart = {a.row["obs_id"]: a for a in pc.apart}
    reg = "loan_balance_banking_sector@guangdong/2025-06-30/reportify_guangdong_banking_2025h1"
    assert reg in apart and apart[reg].basis.compiler == "banking_regulator"
    # Chongqing's RMB growth is in the RMB column only; Sichuan's all-currency growth in the other
    by_basis = {c.basis.currency: c.cells for c in pc.columns}
    assert "chongqing" in by_basis["rmb"] and "chongqing" not in by_basis["all"]
    assert by_basis["all"]["sichuan"].row["obs_id"] == SICHUAN_H1 and "sichuan" not in by_basis["rmb"]


def test_a_gap_is_taken_only_at_a_date_the_nation_has_on_that_basis(peers_data, sources_dir):
    qd = _qd(peers_data, sources_dir)
    cells = {c.basis.currency: c.cells for c in compare_peers(qd.dataset, qd.quarter, qd.cutoff).columns}
    # no national all-currency figure at end-June 2025: Sichuan's gap is the end-2024 one,
    # 11.15 − 7.2 (本外币, both), and Hubei (end-June 2025 only) has none
    sc = cells["all"]["sichuan"]
    assert sc.row["end"] == date(2025, 6, 30) and sc.gap_row["end"] == date(2024, 12, 31)
    assert cells["all"]["hubei"].gap_row is None
    assert cells["rmb"]["chongqing"].gap_row["end"] == date(2025, 6, 30)


# --- a peer is never national -------------------------------------------------------------

def test_a_peer_point_is_never_drawn_or_written_as_national(peers_data, sources_dir):
    qd = _qd(peers_data, sources_dir)
    types = qd.dataset.entities["entity_type"]
    cd = peers_chart_data(qd)
    drawn = {(s.entity_id, s.comparator) for s in cd.series()}
    assert ("guangdong", False) in drawn and ("sichuan", False) in drawn
    assert all(comp == (types[e] in NATIONAL_ENTITY_TYPES) for e, comp in drawn)
    charts.setup()
    chart = draw_peers(qd, cd, "zh")
    national = {ln.get_gid().split(":")[1] for ax in chart.figure.axes for ln in ax.lines
                if (ln.get_gid() or "").endswith(":national")}
    assert national == {e for e, _ in drawn if types[e] in NATIONAL_ENTITY_TYPES}
    legend = [t.get_text() for lg in chart.figure.legends for t in lg.get_texts()]
    assert "全国（对照）" in legend and "四川省" in legend
    # no machine summary is drawn: Sichuan's end-June 2025 figure is in the table only
    assert SICHUAN_H1 not in {r["obs_id"] for r in cd.records()}
    for lang in ("zh", "en"):
        n = write_narrative(qd, lang)
        # the words before each figure (全国, national) agree with its entity
        assert audit.audit_meanings(n.peers_html, n, qd.dataset) == []
        assert audit.audit_text(audit.html_to_text(n.peers_html), n, complete=False) == []


# --- the coverage grid --------------------------------------------------------------------

def _grid_row(html: str, label: str) -> list[str]:
    row = html.split(f"<tr><td>{label}</td>", 1)[1].split("</tr>", 1)[0]
    return [c.split("</td>")[0] for c in row.split("<td>")[1:]]


def test_the_grid_shows_a_missing_quarter_as_missing(peers_data, sources_dir):
    n = write_narrative(_qd(peers_data, sources_dir), "zh")
    # columns: 重庆市, 四川省, 广东省, 湖北省, 中国（全国）
    assert _grid_row(n.peers_html, "2024年9月末")[1] == "本外币"
    assert _grid_row(n.peers_html, "2024年6月末")[1] == "—"      # between figures: not filled
    take_out(peers_data, "loan_balance_all", "colorfulsichuan_sichuan_2024q3")
    n = write_narrative(_qd(peers_data, sources_dir), "zh")
    assert _grid_row(n.peers_html, "2024年9月末")[1] == "—"
    assert _grid_row(n.peers_html, "2024年末")[1] == "本外币"


# --- both languages -----------------------------------------------------------------------

def test_the_section_appears_in_zh_and_en_with_the_same_figures(peers_data, sources_dir):
    qd = _qd(peers_data, sources_dir)
    zh, en = write_narrative(qd, "zh"), write_narrative(qd, "en")
    assert "与全国及周边省份比较" in zh.peers_html and "Chongqing among its peers" in en.peers_html
    assert _peer_ledger(zh) and _peer_ledger(zh) == _peer_ledger(en)
    kinds = {e.field for e in zh.ledger if e.where == "peers"}
    assert {"yoy_pct", "vs_national_pp"} <= kinds
    assert any(e.kind == "judgement" and e.source_ref.startswith("national_gap:loan_balance_all@sichuan")
               for e in zh.ledger if e.where == "peers")
    for n in (zh, en):
        audit.check(n, dataset=qd.dataset)


def test_no_section_without_peer_data(peers_data, sources_dir):
    # every provincial loan figure of the window taken out: the nation alone is no comparison
    gone = {"loan_balance_all": ("reportify_sichuan_2025h1", "colorfulsichuan_sichuan_2024q3", "yxiu_sichuan_2024",
                                 "caiding5_guangdong_2025h1", "tsbk_guangdong_2025h1",
                                 "sfqjr_guangdong_interview_2024", "reportify_hubei_2025h1",
                                 "reportify_hubei_pboc_2025h1"),
            "loan_balance_banking_sector": ("reportify_sichuan_banking_2025q1", "reportify_guangdong_banking_2025h1",
                                            "chinanews_guangdong_banking_2024q3", "gzdaily_guangdong_banking_2024h1")}
    for metric, sources in gone.items():
        for src in sources:
            take_out(peers_data, metric, src)
    qd = _qd(peers_data, sources_dir)
    assert write_narrative(qd, "en").peers_html == ""
    assert peers_chart_data(qd) is None


def test_a_growth_only_figure_has_its_gap_to_the_nation(peers_data, sources_dir):
    # end-2025: Chongqing's loans +7.2% (a machine summary gives the rate alone), the nation's
    # RMB loans +6.4%: 0.8 points on the RMB basis (old code: no gap for a growth-only row)
    from cqreport.analysis.judgements import national_gap

    ds = load_dataset(peers_data, sources_dir=sources_dir)
    row = ds.observation("loan_balance_rmb_growth@chongqing/2025-12-31/reportify_2025_pboc_summary")
    j = national_gap(ds, row)
    assert j is not None and j.value == pytest.approx(7.2 - 6.4)
    assert j.inputs[1].startswith("loan_balance_rmb@china/2025-12-31")
