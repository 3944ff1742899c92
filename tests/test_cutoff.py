"""A quarter's report keeps its cut-off, and derived figures keep their central value."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import pytest

from cqreport import load_dataset
from cqreport.analysis.quarter import as_published, data_cutoff, quarter_data
from cqreport.core.periods import parse_quarter
from cqreport.report.audit import html_to_text, normalize_text
from cqreport.report.narrative import write_narrative

from .conftest import REAL_DATA


def _text(n) -> str:
    return normalize_text(html_to_text("\n".join(
        [n.title_html, n.key_points_html, n.headline_table_html, *n.sections.values(), n.appendix_html])))


def _body(n) -> str:
    return normalize_text(html_to_text("\n".join([n.key_points_html, *n.sections.values()])))


@pytest.mark.parametrize("quarter", ["2025Q2", "2025Q4", "2026Q1"])
def test_every_row_a_report_uses_was_published_by_its_cutoff(real_ds, quarter):
    qd = quarter_data(real_ds, quarter)
    assert qd.cutoff == data_cutoff(real_ds, parse_quarter(quarter))
    dates = {real_ds.sources.loc[real_ds.observation(i)["source_id"], "date"] for i in qd.used_ids()}
    assert dates and max(dates) <= qd.cutoff, (quarter, max(dates), qd.cutoff)
    assert (qd.sources["date"] <= qd.cutoff).all()


def test_2025q4_says_its_cutoff_and_cites_nothing_later(real_ds):
    n = write_narrative(quarter_data(real_ds, "2025Q4"), "zh")
    text = _text(n)
    assert "数据截至2026年2月7日" in text
    # the 2026-05-09 press conference and the 2026-05-22 corridor meeting came later
    assert "2026年5月9日" not in text and "2026年5月22日" not in text


def test_a_source_published_after_the_cutoff_changes_nothing_in_2025q4(real_ds, sources_dir, tmp_path: Path):
    """Build 2025Q4 from a data folder that never held the later sources: the same report."""
    cutoff = quarter_data(real_ds, "2025Q4").cutoff
    later = {s for s, d in real_ds.sources["date"].items() if d > cutoff}
    assert later, "the data holds sources after 2025Q4's cut-off, or this test proves nothing"
    target = tmp_path / "data"
    shutil.copytree(REAL_DATA, target)
    for name, key in (("sources.csv", "source_id"), ("observations.csv", "source_id")):
        with open(target / name, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
            fields = list(rows[0])
        with open(target / name, "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fields, lineterminator="\n")
            w.writeheader()
            w.writerows(r for r in rows if r[key] not in later)
    earlier = load_dataset(target, sources_dir)
    for lang in ("zh", "en"):
        with_later = write_narrative(quarter_data(real_ds, "2025Q4"), lang)
        without = write_narrative(quarter_data(earlier, "2025Q4"), lang)
        assert _text(with_later) == _text(without)


def test_as_of_rebuilds_from_what_was_published_by_then(real_ds):
    full = quarter_data(real_ds, "2025Q4", as_of=date(2026, 6, 30))
    kept = quarter_data(real_ds, "2025Q4")
    assert full.cutoff > kept.cutoff
    assert set(full.sources.index) > set(kept.sources.index)
    vintage = as_published(real_ds, date(2025, 7, 30))
    assert vintage.sources["date"].max() <= date(2025, 7, 30)
    assert set(vintage.observations["source_id"]) <= set(vintage.sources.index)


def test_a_published_growth_beats_a_growth_derived_from_a_rounded_base(real_ds):
    # end-2025: 6.39万亿元 over the banking sector's 6.0 at end-2024 gave "约6.5%" (anything from 5.6% to
    # 7.4%, and another definition); the published 7.2% is shown instead, with its grade
    zh = _body(write_narrative(quarter_data(real_ds, "2025Q4", as_of=date(2026, 6, 30)), "zh"))
    assert "同比增长7.2%" in zh and "机器摘要" in zh
    assert "约6.5%" not in zh and "约6%" not in zh


def test_derived_change_keeps_its_central_value_in_both_languages(real_ds):
    # 2025Q4: 6.39 − 6.25 万亿元 = 1400亿元 (±100): about 1400, never rounded to 1000
    qd = quarter_data(real_ds, "2025Q4", as_of=date(2026, 6, 30))
    zh = _body(write_narrative(qd, "zh"))
    en = _body(write_narrative(qd, "en"))
    assert "约1400亿元" in zh and "约1000亿元" not in zh
    assert "about RMB 140 billion" in en


@pytest.mark.parametrize("lang,heading", [("zh", "资料来源"), ("en", "Sources")])
def test_sources_are_listed_at_the_end_with_their_grade(real_ds, lang, heading):
    n = write_narrative(quarter_data(real_ds, "2025Q4"), lang)
    assert heading not in normalize_text(html_to_text(n.title_html))
    appendix = normalize_text(html_to_text(n.appendix_html))
    tail = appendix[appendix.rindex(heading):]
    cited = {real_ds.observation(r.ref_id)["source_id"] for r in n.references if r.kind == "observation"}
    assert len(cited) >= 3
    for sid in cited:
        assert normalize_text(real_ds.sources.loc[sid, f"title_{lang}"]) in tail
