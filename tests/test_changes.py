"""What changed since the previous report (issue 21): editions compared, the section, cqreport diff."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

from cqreport import load_dataset, quarter_data
from cqreport.analysis.changes import changes_since_previous, compare_editions
from cqreport.report.audit import check, html_to_text, normalize_text
from cqreport.report.narrative import write_narrative

CENTRE_000 = "corridor_centre_loans@lsc_finance_centre/2026-05-09/cq_2026q1_presser"
CENTRE_003 = "corridor_centre_loans@lsc_finance_centre/2026-04-15/corridor_2026_meeting"


def test_a_restated_figure_is_a_revision(min_data, sources_dir):
    # 168亿元 at the 9 May press conference; 超168亿元 "as of mid-April" at the 22 May meeting
    ds = load_dataset(min_data, sources_dir)
    changes = compare_editions(ds, date(2026, 5, 9), date(2026, 5, 22))
    (c,) = [c for c in changes if c.kind == "revised"]
    assert (c.before, c.after, c.reason, c.mark) == (CENTRE_000, CENTRE_003, "revision", "~")


def test_figures_published_after_the_earlier_edition_are_new(min_data, sources_dir):
    ds = load_dataset(min_data, sources_dir)
    changes = compare_editions(ds, date(2025, 4, 30), date(2026, 5, 22))
    new = {c.after for c in changes if c.kind == "new"}
    assert "loan_balance_rmb@chongqing/2026-03-31/cq_2026q1_presser" in new
    # the end-March 2025 balance was in both editions and did not change: not listed
    assert all("2025-03-31/cqcb_2025q1" not in (c.before + c.after) for c in changes)


def test_the_same_edition_twice_has_no_change(min_data, sources_dir):
    ds = load_dataset(min_data, sources_dir)
    assert compare_editions(ds, date(2026, 5, 22), date(2026, 5, 22)) == []


def test_the_report_lists_its_changes_against_the_previous_quarter(min_data, sources_dir):
    ds = load_dataset(min_data, sources_dir)
    prev, this, changes = changes_since_previous(ds, "2026Q1")
    assert prev < this and changes
    for lang, heading in (("zh", "与上期报告相比的变化"), ("en", "What changed since the previous report")):
        n = write_narrative(quarter_data(ds, "2026Q1"), lang)
        text = normalize_text(html_to_text(n.changes_html))
        assert heading in text and "+" in text
        assert ("6.54万亿元" in text) if lang == "zh" else ("RMB 6.54 trillion" in text)
        assert check(n, dataset=ds).ok   # every number in it traces to the data


def test_cqreport_diff_prints_the_revision(min_data, sources_dir):
    r = subprocess.run([sys.executable, "-m", "cqreport", "diff", "2026-05-09", "2026-05-22", "--data",
                        str(min_data), "--sources", str(sources_dir)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    (line,) = [ln for ln in r.stdout.splitlines() if ln.startswith("~")]
    assert "168 亿元 (cq_2026q1_presser) -> 超168 亿元 (corridor_2026_meeting)" in line and "[revision]" in line


def test_cqreport_diff_refuses_a_bad_edition(min_data, sources_dir):
    r = subprocess.run([sys.executable, "-m", "cqreport", "diff", "2025Q9", "2026Q1", "--data",
                        str(min_data), "--sources", str(sources_dir)], capture_output=True, text=True)
    assert r.returncode == 1 and r.stderr.startswith("error:") and "Traceback" not in r.stderr


def test_a_quarter_whose_data_stops_before_its_end_is_an_interim(real_ds):
    for q in real_ds.quarters():
        qd = quarter_data(real_ds, q)
        title = normalize_text(html_to_text(write_narrative(qd, "zh").title_html))
        assert ("阶段性数据" in title) == (qd.cutoff < qd.quarter.end), q
        title = normalize_text(html_to_text(write_narrative(qd, "en").title_html))
        assert ("interim" in title) == (qd.cutoff < qd.quarter.end), q
