"""The sources' titles and publishers in both report languages (title_zh, title_en, publisher_zh, publisher_en).

Each report lists its sources in its own language: no Chinese in the en labels, no English
words in the zh labels except names and domains the row itself contains, and a translated title
keeps exactly the numbers of the original.
"""

from __future__ import annotations

import csv
import re
import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from cqreport.core.numbers import find_numbers
from cqreport.dataset.validate import SOURCE_LABELS, check_data

REAL_DATA = Path(__file__).resolve().parents[1] / "data"
LABELS = list(SOURCE_LABELS)


def _rows(data: Path = REAL_DATA) -> list[dict[str, str]]:
    with (data / "sources.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _write(data: Path, rows: list[dict[str, str]], fields: list[str] | None = None) -> None:
    fields = fields or list(rows[0])
    with (data / "sources.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fields, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(REAL_DATA, target)
    return target


def _plant(data: Path, source_id: str, column: str, value: str) -> int:
    """Set one cell of sources.csv; returns the spreadsheet row (header is row 1)."""
    rows = _rows(data)
    i = next(i for i, r in enumerate(rows) if r["source_id"] == source_id)
    rows[i][column] = value
    _write(data, rows)
    return i + 2


# --- the shipped data -----------------------------------------------------------------------

def test_every_source_has_all_four_labels():
    rows = _rows()
    assert rows  # however many sources the data holds: a registered release adds one (issue 19)
    assert list(rows[0])[-4:] == ["title_zh", "title_en", "publisher_zh", "publisher_en"]
    empty = [(r["source_id"], c) for r in rows for c in LABELS if not r[c].strip()]
    assert not empty


def test_the_real_data_passes_the_label_checks(sources_dir):
    result = check_data(REAL_DATA, sources_dir)
    assert result.ok, "\n".join(map(str, result.problems))


# a zh source's title_zh is its published title; these differ, each for the reason given
ZH_TITLE_EDITS = {
    # the curator's note on a second article printed on the same page is dropped
    "cq_2026q1_presser": "（同页另刊：",
    # the curator's page note (版次002) is dropped
    "cqcb_2025q1": "版次002",
    # traditional script and inline readings are artefacts of the mirrors; the releases are in
    # simplified script
    "govcn_national_tsf_2019q3": "社會",
    "ttnews_national_finstats_2020q1": "貸款",
    "wodirj_national_tsf_2022q3": "(huì)",
    "xlxgaofu_cq_green_loans_2023h1": "重慶",
    # the curator's description after the dash is dropped
    "tushare_national_tsf_monthly_2021_2023": " — tushare API",
    # the page's three-dot truncation is written as the Chinese ellipsis (……)
    "ennet_guangdong_2025": "领跑全国...",
}


def test_zh_titles_are_the_published_titles():
    """A zh source without a curator's [description] keeps its own title in title_zh."""
    differ = {}
    for r in _rows():
        if r["language"] == "zh" and not r["title"].startswith(("[", "(")) and r["title_zh"] != r["title"]:
            differ[r["source_id"]] = r["title"]
    assert set(differ) == set(ZH_TITLE_EDITS)
    for sid, fragment in ZH_TITLE_EDITS.items():
        assert fragment in differ[sid], f"{sid}: the stated reason no longer applies"


def test_en_titles_are_the_published_titles():
    """An en source whose title is published English (not a [description]) keeps it in title_en."""
    cjk = re.compile(r"[\u4e00-\u9fff]")
    checked = 0
    for r in _rows():
        if r["language"] == "en" and not r["title"].startswith("[") and not cjk.search(r["title"]):
            assert r["title_en"] == r["title"], r["source_id"]
            checked += 1
    assert checked >= 30


def test_curator_descriptions_say_the_title_is_not_in_the_text_in_both_languages():
    for r in _rows():
        if "title not in stored text" in r["title"]:
            assert r["title_zh"].endswith("原文无标题）"), r["source_id"]
            assert r["title_en"].endswith("title not in the stored text)"), r["source_id"]


# --- the validator, on planted bad rows -------------------------------------------------------

@pytest.mark.parametrize(("source_id", "column", "value", "shown"), [
    ("ichongqing_2025_yearend", "title_en", "Chongqing’s 金融 Sector Grows to 457 Institutions", "金"),
    ("cq_2026q1_presser", "publisher_en", "Chongqing Morning Post（Shangyou Finance）", "（"),
    ("livedoor_ja_2025_landsea_road", "title_en", "Xinhua feed: 西部陸海新ルート", "西"),
    ("cq_2026q1_presser", "title_zh", "一季度重庆全市社融规模新增约2300亿元 (title not in stored text)", "title"),
    ("cq_2026q1_presser", "publisher_zh", "Chongqing Morning Post", "Chongqing"),
    # a name is kept only in the row that carries it: iChongqing is not this row's publisher
    ("cqcb_2025q1", "publisher_zh", "iChongqing", "iChongqing"),
    # nor is the mirror's domain
    ("cq_2026q1_presser", "publisher_zh", "镜像网站（viennacitytours.com）", "viennacitytours"),
    # whole words only: part of the row's own domain is not a name
    ("xinhua_mirror_2024_auto_exports", "publisher_zh", "镜像网站（vienna）", "vienna"),
])
def test_a_label_in_the_wrong_language_is_refused(data_copy, sources_dir, source_id, column, value, shown):
    row = _plant(data_copy, source_id, column, value)
    result = check_data(data_copy, sources_dir)
    found = [p for p in result.problems if p.check == "label-language"]
    assert [(p.row, p.column) for p in found] == [(row, column)]
    message = str(found[0])
    assert "\n" not in message
    assert "sources.csv" in message and f"row {row}" in message and f"'{column}'" in message
    assert shown in message
    assert ("English only" if column.endswith("_en") else "Chinese only") in message


@pytest.mark.parametrize(("source_id", "column", "value"), [
    # names and domains from the row's own title, publisher or url
    ("xinhua_mirror_2024_auto_exports", "publisher_zh", "镜像网站（viennacitytours.com）"),
    ("ichongqing_2025_yearend", "title_zh", "iChongqing：重庆金融机构增至457家"),
    ("reportify_2025_pboc_summary", "publisher_zh", "Reportify机器摘要"),
    # abbreviations of three letters or fewer are not words
    ("cq_2026q1_presser", "title_zh", "一季度重庆全市社融规模新增约2300亿元 NEV AI M2"),
    # curly quotes and an en dash are English punctuation
    ("ichongqing_2025_yearend", "title_en", "Chongqing’s “Financial” Sector – 457 Institutions"),
])
def test_names_domains_and_abbreviations_are_allowed(data_copy, sources_dir, source_id, column, value):
    _plant(data_copy, source_id, column, value)
    result = check_data(data_copy, sources_dir)
    assert not [p for p in result.problems if p.check == "label-language"]


@pytest.mark.parametrize("column", LABELS)
def test_an_empty_label_is_refused(data_copy, sources_dir, column):
    row = _plant(data_copy, "corridor_2026_meeting", column, "")
    problems = check_data(data_copy, sources_dir).problems
    assert [(p.row, p.column, p.found) for p in problems] == [(row, column, "an empty cell")]


@pytest.mark.parametrize("column", LABELS)
def test_an_old_data_folder_without_the_column_gets_one_clear_line(data_copy, sources_dir, column):
    rows = _rows(data_copy)
    _write(data_copy, rows, [c for c in rows[0] if c != column])
    problems = check_data(data_copy, sources_dir).problems
    assert [(p.check, p.column) for p in problems] == [("missing-column", column)]
    assert "\n" not in str(problems[0]) and f"no column '{column}'" in str(problems[0])


# --- the numbers of a translated title ----------------------------------------------------------

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS_IT = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
              "settembre", "ottobre", "novembre", "dicembre")
_MONTH_EN = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\b")
_MONTH_IT = re.compile(r"\b(" + "|".join(_MONTHS_IT) + r")\b")
_MONTH_RANGE_ZH = re.compile(r"(\d{1,2})\s*[-–—~～至到]\s*(\d{1,2})\s*月")
_MONTH_ZH = re.compile(r"(\d{1,2})\s*月")
# periods written as words in one language and with a digit in the other (一季度 / Q1)
_PERIODS = [
    (re.compile(r"前三季度|first three quarters", re.I), ["Q1", "Q3"]),
    (re.compile(r"一季度|first quarter", re.I), ["Q1"]),
    (re.compile(r"二季度|second quarter", re.I), ["Q2"]),
    (re.compile(r"三季度|third quarter", re.I), ["Q3"]),
    (re.compile(r"四季度|fourth quarter", re.I), ["Q4"]),
    (re.compile(r"\bQ([1-4])\b"), None),
    (re.compile(r"上半年|first half|\bH1\b", re.I), ["H1"]),
    (re.compile(r"下半年|second half|\bH2\b", re.I), ["H2"]),
    (re.compile(r"十四五|14th Five-Year Plan", re.I), ["14th FYP"]),
]
# a scale written after the digits; B, M and t only as a suffix ($57.8B, 2.788M, 9.78t yuan)
_SCALE = re.compile(r"\s*(万亿|萬億|亿|億|万|萬|trillion|trln|billion|bn|million|mln|thousand)|(B|M|t)\b",
                    re.I)
_SCALES = {"万亿": 12, "萬億": 12, "亿": 8, "億": 8, "万": 4, "萬": 4, "trillion": 12, "trln": 12,
           "billion": 9, "bn": 9, "b": 9, "million": 6, "mln": 6, "m": 6, "t": 12, "thousand": 3}
# 千亿 with no digit before it is a number too (首次破千亿元 / 100 billion yuan)
_BARE_SCALE = re.compile(r"(?<![0-9.零〇一二两三四五六七八九十])([千百])亿")


def _canon(value: Decimal) -> str:
    return format(value.normalize(), "f")  # 1E+11 and 100000000000 are one number


def figures(text: str) -> Counter:
    """The numbers a title states, comparable across languages.

    Amounts are brought to one scale (2300亿 = 230 billion = 2.3e11), months and periods to
    tokens (3月 = March = "month3", 一季度 = Q1 = first quarter). Numbers written as words (第三,
    nine years) are prose in both languages and are not counted.

    >>> figures("一季度社融新增约2300亿元") == figures("grew by about 230 billion yuan in Q1")
    True
    """
    tokens: list[str] = []

    def take(pattern: re.Pattern, make) -> None:
        nonlocal text

        def sub(m: re.Match) -> str:
            tokens.extend(make(m))
            return " "
        text = pattern.sub(sub, text)

    for pattern, names in _PERIODS:
        take(pattern, (lambda m, n=names: n) if names else (lambda m: [f"Q{m[1]}"]))
    take(_MONTH_RANGE_ZH, lambda m: [f"month{int(m[1])}", f"month{int(m[2])}"])
    take(_MONTH_ZH, lambda m: [f"month{int(m[1])}"])
    take(_MONTH_EN, lambda m: [f"month{_MONTHS.index(m[1][:3].lower()) + 1}"])
    take(_MONTH_IT, lambda m: [f"month{_MONTHS_IT.index(m[1]) + 1}"])
    take(_BARE_SCALE, lambda m: [_canon(Decimal(10) ** (11 if m[1] == "千" else 10))])
    for n in find_numbers(text):
        if n.chinese:
            continue
        value = Decimal(n.text.replace(",", ""))
        scale = _SCALE.match(text, n.end)
        if scale:
            value *= Decimal(10) ** _SCALES[(scale[1] or scale[2]).lower()]
        tokens.append(_canon(value))
    return Counter(tokens)


# rows whose translated titles cannot keep every number of the stored title, and why
NUMBER_EXCEPTIONS = {
    # the curator's page note (版次002) is not part of the title
    "cqcb_2025q1": {"title_zh": Counter({"2": 1}), "title_en": Counter({"2": 1})},
}


@pytest.mark.parametrize(("a", "b"), [
    ("2300亿元", "230 billion yuan"), ("9.5万亿元", "9.5 Trillion Yuan"), ("$57.8B", "578亿美元"),
    ("2.788M Vehicles", "278.8万辆"), ("2万列", "20,000 trains"), ("8006.8亿元", "800.68 billion yuan"),
    ("1.14 trln yuan", "1.14万亿元"), ("9.78t yuan", "9.78万亿元"), ("6200億元", "620 billion yuan"),
    ("首次破千亿元", "tops 100 billion"),
    ("2023年1—11月", "Jan-Nov 2023"), ("3月末", "end-March"), ("gennaio-luglio 2024", "2024年1—7月"),
    ("一季度", "Q1"), ("前三季度", "Q1-Q3"), ("上半年", "first half"), ("“十四五”", "14th Five-Year Plan"),
    ("第3位", "the 3rd"), ("M2增长10.1%", "M2 up 10.1%"),
])
def test_figures_match_across_languages(a, b):
    assert figures(a) == figures(b)


@pytest.mark.parametrize(("a", "b"), [
    ("2300亿元", "2.3 billion yuan"), ("约2300亿元", "230 million yuan"), ("9.5万亿元", "95 trillion"),
    ("2023年1—11月", "Jan-Oct 2023"), ("一季度", "Q2"), ("上半年", "H2"), ("增长37%", "up 3.7%"),
    ("8006.8亿元", "800.6 billion yuan"), ("3月", "3"),
])
def test_figures_tell_a_changed_number_apart(a, b):
    assert figures(a) != figures(b)


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r["source_id"])
def test_a_translated_title_keeps_the_numbers_of_the_title(row):
    want = figures(row["title"])
    for col in ("title_zh", "title_en"):
        missing = NUMBER_EXCEPTIONS.get(row["source_id"], {}).get(col, Counter())
        assert figures(row[col]) + missing == want, f"{col}: {row[col]!r} vs title {row['title']!r}"


def test_number_exceptions_are_still_needed():
    for sid, cols in NUMBER_EXCEPTIONS.items():
        row = next(r for r in _rows() if r["source_id"] == sid)
        for col in cols:
            assert figures(row[col]) != figures(row["title"]), f"{sid} {col}: drop the exception"


def test_a_planted_wrong_number_in_a_translation_is_caught():
    row = next(r for r in _rows() if r["source_id"] == "ichongqing_2025_yearend")
    assert figures(row["title_zh"]) == figures(row["title"])
    assert figures(row["title_zh"].replace("9.5万亿", "9.5亿")) != figures(row["title"])


# qualifiers a title puts on a number, by the bound they set (as in core/vocab's QUALIFIERS);
# the Chinese ones count only before a number, so 近年 and 超级 are not read as qualifiers
_BOUNDS = {
    "approx": re.compile(r"约(?=[0-9零一二两三四五六七八九十百千])|\b(?:about|around|approximately)\b", re.I),
    "upper": re.compile(r"近(?=[0-9零一二两三四五六七八九十百千])|\b(?:near(?:ly|ed)?|almost)\b", re.I),
    "lower": re.compile(r"突破|(?<!突)破(?=[0-9零一二两三四五六七八九十百千])|超(?=[0-9零一二两三四五六七八九十百千])"
                        r"|以上|逾|\b(?:surpass\w*|exceed\w*|over|more than|above)\b", re.I),
}


def qualifiers(text: str) -> Counter:
    """How many qualifiers of each bound a title uses.

    >>> qualifiers("资产突破9.5万亿元") == qualifiers("Assets Surpass 9.5 Trillion Yuan")
    True
    """
    return Counter({bound: len(p.findall(text)) for bound, p in _BOUNDS.items() if p.search(text)})


@pytest.mark.parametrize(("a", "b"), [("约2300亿元", "2300亿元"), ("近4000亿元", "about 400 billion"),
                                      ("突破20亿元", "nearly 2 billion"), ("超6200亿元", "620 billion")])
def test_qualifiers_tell_a_changed_qualifier_apart(a, b):
    assert qualifiers(a) != qualifiers(b)


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r["source_id"])
def test_a_translated_title_keeps_the_qualifiers_of_the_title(row):
    want = qualifiers(row["title"])
    for col in ("title_zh", "title_en"):
        assert qualifiers(row[col]) == want, f"{col}: {row[col]!r} vs title {row['title']!r}"
