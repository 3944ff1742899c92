"""The checks specific to this data, each on a planted fault; all faults reported at once."""

import csv
from datetime import date
from pathlib import Path

import pytest

from cqreport.dataset.validate import check_data


def edit_rows(path: Path, edit) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0].keys())
    edit(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def set_cell(path: Path, index: int, column: str, value: str) -> None:
    def edit(rows):
        rows[index][column] = value
    edit_rows(path, edit)


def only(problems, check):
    hits = [p for p in problems if p.check == check]
    assert hits, f"no {check} among {problems}"
    return hits


CASES = [
    # (file, data row index, column, new value, check, words in found, words in expected)
    ("observations", 0, "metric_id", "loan_balance_rmbx", "unknown-reference", "unknown metric_id", "metrics.csv"),
    ("observations", 0, "source_id", "nosuch", "unknown-reference", "unknown source_id", "sources.csv"),
    ("observations", 0, "entity_id", "nowhere", "unknown-reference", "unknown entity_id", "entities.csv"),
    ("observations", 0, "unit", "亿元", "unit-not-allowed", "亿元", "万亿元 | trillion yuan"),
    ("observations", 0, "period_end", "2026-02-30", "schema", "2026-02-30", "ISO date"),
    ("observations", 0, "period_end", "2026/03/31", "schema", "2026/03/31", "ISO date"),
    ("observations", 2, "period_end", "2025-12-31", "period-order", "before start", "on or after"),
    ("observations", 0, "period_start", "2026-01-01", "period-type", "for a stock", "empty period_start"),
    ("observations", 2, "period_start", "", "period-type", "for a flow", "first day"),
    ("observations", 0, "value", "6.45", "number-not-in-quote", "6.45", "contains the value"),
    ("observations", 0, "yoy_pct", "8.6", "number-not-in-quote", "8.6", "YoY percent"),
    ("observations", 0, "streak_months", "12", "number-not-in-quote", "12", "streak_months"),
    ("observations", 0, "qualifier", "大约", "schema", "大约", "one of"),
    ("observations", 0, "quote", "全市人民币贷款余额为6.54万亿元，同比增长6.8%，增速连续13个月", "quote-not-in-source",
     "not in the text", "verbatim"),
    ("sources", 0, "sha256", "0" * 64, "source-hash", "hashes to", "sha256"),
    ("sources", 0, "file", "nosuch.txt", "source-file", "nosuch.txt", "file in the sources folder"),
    ("metrics", 0, "units", "万亿元|万辆", "unit-base", "vehicles", "yuan"),
    ("metrics", 0, "units", "万亿块", "unknown-unit", "万亿块", "vocab.py"),
    ("metrics", 0, "metric_id", "Loan Balance", "schema", "Loan Balance", "snake_case"),
]


@pytest.mark.parametrize(("table", "index", "column", "value", "check", "found", "expected"), CASES)
def test_each_planted_fault_is_reported_precisely(min_data, sources_dir, table, index, column, value,
                                                  check, found, expected):
    set_cell(min_data / f"{table}.csv", index, column, value)
    hits = only(check_data(min_data, sources_dir).problems, check)
    p = hits[0]
    assert p.file.endswith(f"{table}.csv")
    assert p.row == index + 2  # header is row 1
    assert p.column in (column, "units", "period_end", "unit")
    assert found in p.found, p
    assert expected in p.expected, p


def test_duplicate_key_names_both_rows(min_data, sources_dir):
    edit_rows(min_data / "observations.csv", lambda rows: rows.append(dict(rows[0])))
    hits = only(check_data(min_data, sources_dir).problems, "duplicate-key")
    assert {p.row for p in hits} == {2, 10}


def test_all_problems_are_reported_at_once(min_data, sources_dir):
    f = min_data / "observations.csv"
    set_cell(f, 0, "value", "6.45")
    set_cell(f, 1, "unit", "万辆")
    set_cell(f, 3, "period_end", "2025-13-01")
    set_cell(min_data / "metrics.csv", 1, "priority", "9")
    checks = {p.check for p in check_data(min_data, sources_dir).problems}
    assert {"number-not-in-quote", "unit-not-allowed", "schema"} <= checks
    assert len(check_data(min_data, sources_dir).problems) >= 4


def test_a_sources_folder_given_but_missing_is_an_error(min_data, tmp_path):
    result = check_data(min_data, tmp_path / "no-sources-here")
    (p,) = result.problems
    assert p.check == "sources-folder" and "no-sources-here" in p.found


def test_without_sources_the_quote_checks_are_skipped_with_a_note(min_data, tmp_path, monkeypatch):
    set_cell(min_data / "observations.csv", 0, "quote", "全市人民币贷款余额为6.54万亿元，同比增长6.8%，增速连续13个月")
    monkeypatch.setenv("CQREPORT_SOURCES", str(tmp_path / "absent"))
    result = check_data(min_data)
    assert result.ok
    assert any("not checked" in n for n in result.notes)


def test_problem_message_reads_well(min_data, sources_dir):
    set_cell(min_data / "observations.csv", 3, "value", "2,733.8")
    (p,) = [p for p in check_data(min_data, sources_dir).problems if p.column == "value"]
    text = str(p)
    assert text.startswith(str(p.file)) and ", row 5, column 'value': found '2,733.8'" in text


def test_an_elided_quote_needs_each_fragment_in_the_source(min_data, sources_dir):
    f = min_data / "observations.csv"
    set_cell(f, 0, "quote", "全市人民币贷款余额达6.54万亿元 … 同比增长6.8%，增速连续13个月高于全国平均水平")
    assert check_data(min_data, sources_dir).ok
    set_cell(f, 0, "quote", "全市人民币贷款余额达6.54万亿元 … 同比增长6.8%，增速连续13个月高于全国")
    assert check_data(min_data, sources_dir).ok
    set_cell(f, 0, "quote", "全市人民币贷款余额达6.54万亿元 … 同比增长6.8%，增速连续13个月低于全国")
    assert [p.check for p in check_data(min_data, sources_dir).problems] == ["quote-not-in-source"]


def test_unchanged_validated_data_is_not_validated_again(min_data, sources_dir, monkeypatch):
    from cqreport import load_dataset
    from cqreport.dataset import validate

    load_dataset(min_data, sources_dir)          # validates, leaves a stamp

    def must_not_run(*a, **k):
        raise AssertionError("validated again")
    monkeypatch.setattr(validate, "check_data", must_not_run)
    assert len(load_dataset(min_data, sources_dir).observations) == 8


def test_any_change_to_data_or_sources_validates_again(min_data, sources_dir, tmp_path):
    import shutil

    from cqreport import DataError, load_dataset

    load_dataset(min_data, sources_dir)
    set_cell(min_data / "observations.csv", 0, "value", "6.45")
    with pytest.raises(DataError, match="number-not-in-quote"):
        load_dataset(min_data, sources_dir)
    set_cell(min_data / "observations.csv", 0, "value", "6.54")
    load_dataset(min_data, sources_dir)
    copy = tmp_path / "sources"
    shutil.copytree(sources_dir, copy)
    f = copy / "000_b8a2839b917f43b3.txt"
    f.write_text(f.read_text(encoding="utf-8").replace("6.54万亿元", "6.45万亿元"), encoding="utf-8")
    with pytest.raises(DataError, match="source-hash"):
        load_dataset(min_data, copy)


# ------------------------------------------------------------------ issue 20: dates, bidi, paths


@pytest.mark.parametrize("char", ["\u202e", "\u202a", "\u2066", "\u2069", "\u200e", "\u200f"])
def test_bidirectional_controls_are_refused_like_other_controls(min_data, sources_dir, char):
    # U+202E in a note made the PDF read "%8.6" for 6.8%; any text cell can carry one
    set_cell(min_data / "observations.csv", 0, "note", f"增长6.8%{char}，见原文")
    (p,) = only(check_data(min_data, sources_dir).problems, "control-char")
    assert (p.row, p.column) == (2, "note") and f"U+{ord(char):04X}" in p.found
    assert "bidirectional" in p.found


@pytest.mark.parametrize("end", ["0001-03-31", "1900-03-31", "2199-03-31"])
def test_a_year_out_of_range_is_refused(min_data, sources_dir, end):
    set_cell(min_data / "observations.csv", 0, "period_end", end)
    (p,) = only(check_data(min_data, sources_dir).problems, "date-range")
    assert (p.row, p.column) == (2, "period_end") and end in p.found


def test_a_source_dated_out_of_range_is_refused(min_data, sources_dir):
    set_cell(min_data / "sources.csv", 0, "date", "0201-05-09")
    (p,) = only(check_data(min_data, sources_dir).problems, "date-range")
    assert (p.row, p.column) == (2, "date")


def test_a_figure_may_not_end_after_its_source_unless_it_says_it_is_a_target(min_data, sources_dir):
    from cqreport import DataError, load_dataset

    f = min_data / "observations.csv"
    set_cell(f, 0, "period_end", "2099-03-31")       # from a source of 2026-05-09
    (p,) = only(check_data(min_data, sources_dir).problems, "period-after-source")
    assert (p.row, p.column) == (2, "period_end") and "2099-03-31" in p.found
    with pytest.raises(DataError, match="period-after-source"):
        load_dataset(min_data, sources_dir)
    for note in ("target: the plan's goal for 2099", "Forecast: the bank's projection"):
        set_cell(f, 0, "note", note)
        assert not [p for p in check_data(min_data, sources_dir).problems
                    if p.check == "period-after-source"]
    set_cell(f, 0, "note", "a targeted loan programme")     # the word alone says nothing
    assert only(check_data(min_data, sources_dir).problems, "period-after-source")


def test_a_target_is_not_a_figure_of_the_quarter_it_ends_in(min_data, sources_dir):
    from cqreport import load_dataset

    f = min_data / "observations.csv"
    # the social financing row (the loan balance is the evidence of another row's inference)
    set_cell(f, 2, "period_end", "2099-03-31")
    set_cell(f, 2, "note", "target: a goal, not an outcome")
    set_cell(f, 2, "note_zh", "目标值，非实际结果")
    ds = load_dataset(min_data, sources_dir)
    assert all(q.year < 2099 for q in ds.quarters())
    target = ds.observations[ds.observations["end"] == date(2099, 3, 31)].iloc[0]
    # kept in the data, but like a doubted row used nowhere: no series, comparison or figure
    assert target["forward"] and not target["preferred"]


def test_the_real_data_has_no_figure_after_its_source(real_ds):
    # the rule fits the data: no row ends after its source's date (targets would say so)
    o = real_ds.observations
    assert (o["end"] <= o["source_date"]).all()


def _sources_copy(sources_dir: Path, target: Path) -> Path:
    target.mkdir()
    for f in Path(sources_dir).iterdir():
        if f.is_file():
            (target / f.name).write_bytes(f.read_bytes())
    return target


@pytest.mark.parametrize("name", ["../outside.txt", "/etc/hostname", "sub/../../outside.txt",
                                  "link.txt"])
def test_a_source_file_must_stay_inside_the_sources_folder(min_data, sources_dir, tmp_path, name):
    texts = _sources_copy(sources_dir, tmp_path / "sources")
    outside = tmp_path / "outside.txt"
    outside.write_text("全市人民币贷款余额达6.54万亿元", encoding="utf-8")
    (texts / "link.txt").symlink_to(outside)
    set_cell(min_data / "sources.csv", 0, "file", name)
    (p,) = only(check_data(min_data, texts).problems, "source-file")
    assert (p.row, p.column) == (2, "file") and "leads out of" in p.found


def test_a_link_inside_the_sources_folder_is_fine(min_data, sources_dir, tmp_path):
    texts = _sources_copy(sources_dir, tmp_path / "sources")
    with (min_data / "sources.csv").open(encoding="utf-8") as fh:
        first = next(csv.DictReader(fh))["file"]
    (texts / "alias.txt").symlink_to(texts / first)
    set_cell(min_data / "sources.csv", 0, "file", "alias.txt")
    assert check_data(min_data, texts).ok
