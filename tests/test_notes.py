"""The curator's notes, cautions and evidence in both report languages (note_zh, caution_zh, evidence_zh).

Each zh cell renders its English cell with the same numbers; each is written in its own
language (a word of the other stands in quotation marks), names no internal id, and the report
prints the cell of its language. The fixture rows are real rows (tests/fixtures/data_definitions)
with their notes in both languages; the faults planted are the ones a curator can make.
"""

from __future__ import annotations

import csv
import html
import shutil
from pathlib import Path

import pytest

from cqreport import quarter_data
from cqreport.dataset.model import load_dataset
from cqreport.dataset.notes import NOTE_COLUMNS
from cqreport.dataset.validate import check_data
from cqreport.report.audit import check
from cqreport.report.narrative import write_narrative
from tests.test_source_labels import figures
from tests.test_validate import set_cell

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "data_definitions"
REAL_DATA = ROOT / "data"
CHECKS = ("note-language", "internal-id")


def _rows(data: Path) -> list[dict[str, str]]:
    with (data / "observations.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _found(data: Path, sources_dir: Path, check: str | None = None) -> list:
    return [p for p in check_data(data, sources_dir).problems
            if p.check in CHECKS and (check is None or p.check == check)]


# --- the numbers of a translation ---------------------------------------------------------------

@pytest.mark.parametrize("data", [FIXTURE, REAL_DATA], ids=["fixture", "data"])
def test_each_zh_cell_states_the_numbers_of_its_english_cell(data):
    """Amounts brought to one scale (2300亿 = 230 billion), periods to tokens (一季度 = Q1)."""
    pairs = [(i + 2, en, r[en], r[zh]) for i, r in enumerate(_rows(data))
             for en, zh in NOTE_COLUMNS.items() if r[en] or r[zh]]
    assert pairs   # however many notes the data holds: an append adds some
    differ = [(row, en, dict(figures(e) - figures(z)), dict(figures(z) - figures(e)))
              for row, en, e, z in pairs if figures(e) != figures(z)]
    assert not differ, "(row, column, only in English, only in Chinese): " + repr(differ)


def test_the_fixture_has_every_kind_of_cell_in_both_languages():
    rows = _rows(FIXTURE)
    for en, zh in NOTE_COLUMNS.items():
        if en == "caution":
            continue   # no fixture row is doubted; the report test below plants one
        assert any(r[en] and r[zh] for r in rows), en


@pytest.mark.parametrize(("english", "chinese"), [
    ("Second item of the list: 53.03 billion yuan, +23%.", "列举中的第二项：530.4亿元，增长23%。"),
    ("Start: September 2017 (the day is not stated).", "起始为2017年10月（日期未注明）。"),
    ("A forecast; the outcome is more than 500,000, up 30.3%.", "为预测值；实际结果逾50万辆，增长30.8%。"),
])
def test_a_number_changed_in_translation_is_seen(english, chinese):
    assert figures(english) != figures(chinese)


# --- the validator, on planted faults -----------------------------------------------------------

# (fixture row index, column, planted value, check, shown in the message, said in the expectation)
FAULTS = [
    # a Chinese word an English note cites without quotation marks
    (2, "note", "The headline repeats it as 社融规模新增约2300亿元.", "note-language", "社", "English only"),
    (5, "evidence", "The quote says only 贷款余额; 7.9% growth 0.5 points above the national rate "
     "implies 7.4%.", "note-language", "贷", "English only"),
    # an English word in a Chinese cell
    (6, "note_zh", "“较上年同期翻番”即较2024年一季度doubled。", "note-language", "doubled", "Chinese only"),
    (9, "note_zh", "原文明确为“各项贷款余额”（all loan types，未说明币种）。", "note-language", "loan",
     "Chinese only"),
    # traditional script in a Chinese cell
    (6, "note_zh", "“较上年同期翻番”即較2024年一季度翻一番。", "note-language", "較", "simplified script"),
    # one language without the other
    (7, "note_zh", "", "note-language", "an empty cell", "in Chinese"),
    (5, "evidence_zh", "", "note-language", "an empty cell", "in Chinese"),
    (0, "note", "", "note-language", "an empty cell", "in English"),    # planted with a note_zh below
    # an internal id a reader cannot look up
    (17, "note", "The paragraph concerns 2025 (same press conference as netease_2025_foreign_trade).",
     "internal-id", "source id 'netease_2025_foreign_trade'", "title or publisher"),
    (17, "note_zh", "该段讲的是2025年（与netease_2025_foreign_trade为同一场发布会）。", "internal-id",
     "source id 'netease_2025_foreign_trade'", "title_zh"),
    (7, "note", "Enterprises, all markets (“各类市场”): not comparable with bond_issuance_interbank.",
     "internal-id", "metric id 'bond_issuance_interbank'", "name_en"),
]


@pytest.mark.parametrize(("index", "column", "value", "check_name", "shown", "expected"), FAULTS)
def test_a_note_in_the_wrong_language_or_with_an_id_is_refused(def_data, sources_dir, index, column, value,
                                                               check_name, shown, expected):
    set_cell(def_data / "observations.csv", index, column, value)
    if (index, column) == (0, "note"):
        set_cell(def_data / "observations.csv", index, "note_zh", "仅含银行间市场。")
    found = _found(def_data, sources_dir, check_name)
    row = index + 2   # the spreadsheet row: the header is row 1
    assert [(p.row, p.column) for p in found] == [(row, column)], found
    message = str(found[0])
    assert "\n" not in message
    assert "observations.csv" in message and f"row {row}" in message and f"'{column}'" in message
    assert shown in message and expected in message


@pytest.mark.parametrize(("index", "column", "value"), [
    # what a note cites in the other language stands in quotation marks
    (2, "note", "The headline repeats it as “社融规模新增约2300亿元” (“约” is about)."),
    (6, "note_zh", "“较上年同期翻番”（“doubled on the year before”）即较2024年一季度翻一番。"),
    (6, "note_zh", "原文为繁体“較上年同期翻番”，即较2024年一季度翻一番。"),
    # a word of the row's own quote, and a name the data writes in Latin letters
    (10, "note_zh", "Total loan balance即“各项贷款余额”，同场发布会的中文报道即如此表述。"),
    (14, "note_zh", "与iChongqing“突破756亿美元”为同一数据，但无限定词。"),
    # abbreviations of three letters or fewer are not words
    (7, "note_zh", "为企业在各类市场发债（含MTN、ABS），不可与2026年仅含银行间市场的序列比较。"),
])
def test_quotations_names_and_abbreviations_are_allowed(def_data, sources_dir, index, column, value):
    set_cell(def_data / "observations.csv", index, column, value)
    assert _found(def_data, sources_dir) == []


def test_the_fixture_passes(def_data, sources_dir):
    assert _found(def_data, sources_dir) == []


@pytest.mark.parametrize("column", list(NOTE_COLUMNS.values()))
def test_an_old_data_folder_without_the_column_gets_one_clear_line(def_data, sources_dir, column):
    rows = _rows(def_data)
    fields = [c for c in rows[0] if c != column]
    with (def_data / "observations.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fields, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    problems = check_data(def_data, sources_dir).problems
    assert [(p.check, p.column) for p in problems] == [("missing-column", column)]
    assert "\n" not in str(problems[0])


def test_the_real_data_passes(sources_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(REAL_DATA, data)
    assert _found(data, sources_dir) == []


# --- the report prints the cell of its language -------------------------------------------------

CAUTION = ("The 7.9% growth is 0.5 points above the national rate, but the quote says only “贷款余额”: "
           "the series is not confirmed.")
CAUTION_ZH = "增速7.9%、高于全国0.5个百分点，但引文仅称“贷款余额”，序列未经证实。"
NOTE = "Stated in the same paragraph as the loan balance (“同比多增532.3亿元”)."
NOTE_ZH = "与贷款余额同段表述（“同比多增532.3亿元”）。"


def test_each_report_prints_the_curators_words_in_its_language(min_data, sources_dir):
    obs = min_data / "observations.csv"
    set_cell(obs, 1, "caution", CAUTION)         # the Q1 2025 loan balance
    set_cell(obs, 1, "caution_zh", CAUTION_ZH)
    set_cell(obs, 3, "note", NOTE)               # the Q1 2025 social financing
    set_cell(obs, 3, "note_zh", NOTE_ZH)
    ds = load_dataset(min_data, sources_dir)
    qd = quarter_data(ds, "2025Q1")
    shown = {}
    for lang, (caution, note, other) in {"zh": (CAUTION_ZH, NOTE_ZH, CAUTION),
                                         "en": (CAUTION, NOTE, CAUTION_ZH)}.items():
        nar = write_narrative(qd, lang)
        evidence = html.unescape(nar.evidence_html)
        assert caution in evidence and note in evidence, lang
        assert other not in evidence and "以英文写成" not in evidence
        assert check(nar, html=nar.evidence_html, dataset=ds, document="evidence").ok   # every number traced
        shown[lang] = evidence.count('class="cq-note"')
    assert shown["zh"] == shown["en"] == 2
