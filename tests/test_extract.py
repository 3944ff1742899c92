"""cqreport extract: figures, units, qualifiers, growth and periods; the review workflow;
the gold set and the two core releases."""

from __future__ import annotations

import csv
import io
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from cqreport.cli import cli
from cqreport.core.numbers import find_numbers
from cqreport.errors import ExtractError
from cqreport.extract import append_candidates, extract_file, read_release_text, score_gold
from cqreport.extract.catalogue import Catalogue
from cqreport.extract.rows import build_candidates
from cqreport.extract.score import gold_text
from cqreport.extract.timespans import find_en_spans, find_zh_spans

from .conftest import CATALOGUE

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "gold" / "extract_gold.csv"
REAL_DATA = ROOT / "data"

CORE = {"000_b8a2839b917f43b3.txt": "cq_2026q1_presser",
        "003_2fe010bab30cc1bb.txt": "corridor_2026_meeting"}
# Share of the curated (value, unit) pairs of the core releases the extractor must find.
CORE_RECALL_MIN = 0.90


def figures(text: str, release: date | None = date(2026, 5, 9), lang: str | None = None
            ) -> list[dict[str, str]]:
    """Candidate rows for a snippet (no catalogue: metric unknown, entity chongqing)."""
    rel = read_release_text(text, lang=lang)
    return [c.row for c in build_candidates(rel, release, Catalogue(None))]


def one(text: str, **kw) -> dict[str, str]:
    rows = figures(text, **kw)
    assert len(rows) == 1, f"expected one figure in {text!r}, got {[(r['value'], r['unit']) for r in rows]}"
    return rows[0]


# --- numbers and units ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "value", "unit"), [
    ("全市人民币贷款余额达6.54万亿元。", "6.54", "万亿元"),
    ("全年结算量57,672.4亿元。", "57672.4", "亿元"),
    ("贷款余额６．５４万亿元。", "6.54", "万亿元"),
    ("开行中欧班列两万列。", "2", "万列"),
    ("完成跨境结算682.7亿美元。", "682.7", "亿美元"),
    ("出口汽车61.4万辆。", "61.4", "万辆"),
    ("运输103万标箱。", "103", "万标箱"),
    ("开行班列3.13万班。", "3.13", "万班"),
    ("引进企业62家。", "62", "家"),
    ("辐射127个国家。", "127", "个"),
    ("推出35项专属金融产品。", "35", "项"),
    ("举办12场对接活动。", "12", "场"),
    ("服务入境人员4万人次。", "4", "万人次"),
    ("港口货物吞吐量1.2亿吨。", "1.2", "亿吨"),
    ("占全市48.3%。", "48.3", "%"),
    ("占比达百分之六点八。", "6.8", "%"),
    ("利率下降15个基点。", "15", "个基点"),
    ("交易笔数实现1.8倍的增长。", "1.8", "倍"),
    ("增速高于全国1.2个百分点。", "1.2", "个百分点"),
])
def test_chinese_number_and_unit_forms(text, value, unit):
    row = one(text)
    assert (row["value"], row["unit"]) == (value, unit)


@pytest.mark.parametrize(("text", "value", "unit"), [
    ("Chongqing exported 334,000 units of vehicles.", "334000", "units"),
    ("Loans reached 6.39 trillion yuan.", "6.39", "trillion yuan"),
    ("Financing of RMB 415.3 billion was recorded.", "415.3", "billion yuan"),
    ("It facilitated $75.6 billion in financing.", "75.6", "billion USD"),
    ("Settlements reached 2.5 billion USD.", "2.5", "billion USD"),
    ("Trade totaled 1.36 trillion U.S. dollars.", "1.36", "trillion USD"),
    ("It handled 80,000 vehicles.", "80000", "vehicles"),
    ("The port moved 1.2 million TEUs.", "1.2", "million TEUs"),
    ("It ran 5,000 trains.", "5000", "trains"),
    ("The share rose to 10 percent.", "10", "percent"),
    ("The share rose to 10%.", "10", "%"),
    ("The rate was 0.5 percentage points.", "0.5", "percentage points"),
    ("It launched nine innovative application scenarios.", "9", "scenarios"),
])
def test_english_number_and_unit_forms(text, value, unit):
    row = one(text, lang="en")
    assert (row["value"], row["unit"]) == (value, unit)


def test_traditional_characters_read_like_simplified():
    row = one("截至3月末，全市人民幣貸款餘額達6.54萬億元，同比增長6.8%。")
    assert (row["value"], row["unit"], row["yoy_pct"], row["period_end"]) == \
        ("6.54", "万亿元", "6.8", "2026-03-31")
    assert "貸款餘額" in row["quote"]  # the quote stays as written


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "big5"])
def test_release_files_in_each_encoding(tmp_path, encoding):
    text = "截至3月末，全市人民幣貸款餘額達6.54萬億元。一季度新增約2300億元。" if encoding == "big5" \
        else "截至3月末，全市人民币贷款余额达6.54万亿元。一季度新增约2300亿元。"
    f = tmp_path / "release.txt"
    f.write_bytes(text.encode(encoding))
    result = extract_file(f, release_date=date(2026, 5, 9), data_dir=tmp_path / "nodata")
    assert result.encoding == encoding
    assert [(c.row["value"], c.row["unit"], c.row["qualifier"]) for c in result.candidates] == \
        [("6.54", "万亿元", ""), ("2300", "亿元", "约")]


def test_unreadable_release_is_refused(tmp_path):
    f = tmp_path / "binary.txt"
    f.write_bytes(b"\xff\xfe\x00\x81\x00\xff" * 10)
    with pytest.raises(ExtractError, match=r"binary\.txt"):
        extract_file(f, release_date=date(2026, 5, 9))


# --- what is not a figure -------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "2026年5月9日，市政府新闻办举行新闻发布会。",
    "2025年10月，赛力斯在重庆设立全资公司。",
    "一季度金融运行呈现良好态势。",
    "联系电话：023-63212345，13800138000。",
    "作为第八届西洽会重要活动之一。",
    "第一个特点为“高”。第100万辆汽车于2026年1月下线。",
    "1. 全市金融运行平稳\n2. 信贷结构优化\n（3）融资成本下降\n一、总体情况",
    "组建了“1+10”招商作战体系，聚焦“33618”现代制造业集群。",
    "实施“五个百亿级”货币政策工具支持计划，形成“五件套”。",
    "让企业“货比三家”选择最优方案。",
    "一个物流枢纽，一条“赛链”，一场认知革命。",
    "增速连续13个月高于全国平均水平。",
    "“十四五”期间成效显著，撑起千亿产业生态。",
    "其一，金融平台决胜在生态。其二，产融结合。",
])
def test_chinese_non_figures(text):
    assert figures(text) == []


@pytest.mark.parametrize("text", [
    "At a press conference on January 22, 2025, officials spoke.",
    "during the 14th Five-Year Plan and the 15th Five-Year Plan period starting in 2026",
    "one of the top five nationwide",
    "Wei Haibin, second from left, speaks at a press conference.",
    "By ZHAN CHEN|Apr 28,2025",
    "Call 023-6321 2345 for details.",
])
def test_english_non_figures(text):
    assert figures(text, lang="en") == []


# --- qualifiers -----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "value", "unit", "qualifier"), [
    ("社会融资规模新增约2300亿元。", "2300", "亿元", "约"),
    ("累计吸引近200家通道企业。", "200", "家", "近"),
    ("累计举办近百场产融对接活动。", "100", "场", "近"),
    ("服务网点超3000家。", "3000", "家", "超"),
    ("服务超过1800家企业。", "1800", "家", "超过"),
    ("投放逾50亿元。", "50", "亿元", "逾"),
    ("金额突破756亿美元。", "756", "亿美元", "突破"),
    ("举办10余场活动。", "10", "场", "余"),
    ("举办十余场活动。", "10", "场", "余"),
    ("累计签发3万余单。", "3", "万单", "余"),
    ("办理业务7000多笔。", "7000", "笔", "多"),
    ("“首办户”占三成以上。", "3", "成", "以上"),
    ("累计开行班列9879列。", "9879", "列", ""),
    ("结算量达850.5亿元。", "850.5", "亿元", ""),
])
def test_chinese_qualifiers(text, value, unit, qualifier):
    row = one(text)
    assert (row["value"], row["unit"], row["qualifier"]) == (value, unit, qualifier)


@pytest.mark.parametrize(("text", "qualifier"), [
    ("Loans totaled about 10 billion yuan.", "about"),
    ("Loans totaled approximately 10 billion yuan.", "approximately"),
    ("Loans totaled nearly 10 billion yuan.", "nearly"),
    ("It served over 1,800 businesses.", "over"),
    ("It handled more than 80,000 vehicles.", "more than"),
    ("Financing exceeded $20 billion.", "exceeding"),
    ("Assets exceeding 9.5 trillion yuan.", "exceeding"),
    ("Loans totaled 10 billion yuan.", ""),
])
def test_english_qualifiers(text, qualifier):
    assert one(text, lang="en")["qualifier"] == qualifier


def test_a_qualifier_covers_the_list_it_opens():
    rows = figures("分别每年节约利息支出约18亿元、15亿元。")
    assert [(r["value"], r["qualifier"]) for r in rows] == [("18", "约"), ("15", "约")]


# --- growth ---------------------------------------------------------------------------

def test_yoy_national_gap_and_streak_attach_to_the_level():
    row = one("截至3月末，贷款余额达6.54万亿元，同比增长6.8%，高于全国0.5个百分点，"
              "增速连续13个月高于全国平均水平。")
    assert (row["yoy_pct"], row["vs_national_pp"], row["streak_months"]) == ("6.8", "0.5", "13")
    assert "连续13个月" in row["quote"]


@pytest.mark.parametrize(("text", "field", "expected"), [
    ("出口额530.3亿元，同比下降0.2%。", "yoy_pct", "-0.2"),
    ("一季度人民币贷款新增1672亿元，同比多增532.3亿元。", "yoy_diff", "532.3"),
    ("一季度人民币贷款新增1672亿元，同比少增32亿元。", "yoy_diff", "-32"),
    ("铁路运输单证融资超5亿元，实现倍增。", "yoy_pct", "100"),
    ("铁路运输单证融资超5亿元，实现翻番。", "yoy_wording", "doubled"),
    ("进出口额达100亿元，增长1.1倍。", "yoy_pct", "110"),
    ("进出口额达100亿元，增长1.1倍。", "yoy_wording", "times"),
    ("业务7000多笔，较2023年多1674笔。", "yoy_diff", "1674"),
])
def test_chinese_growth_forms(text, field, expected):
    assert one(text)[field] == expected


def test_growth_rates_distributed_with_zengsu_fenbie_da():
    rows = figures("出口额分别为567亿元、530.3亿元，同比增速分别达35.4%、23%。", date(2026, 1, 26))
    assert [(r["value"], r["yoy_pct"]) for r in rows] == [("567", "35.4"), ("530.3", "23")]


def test_points_change_before_a_share():
    row = one("民营企业占比提升2.8个百分点至48%。", release=date(2026, 1, 26))
    assert (row["value"], row["unit"], row["yoy_diff"]) == ("48", "%", "2.8")


def test_a_bare_growth_after_a_rate_is_a_figure_of_its_own():
    rows = figures("电脑零附件进口值增长37.2%，大宗商品进口增长9.7%。", date(2026, 1, 26))
    assert [(r["value"], r["yoy_pct"], r["yoy_diff"]) for r in rows] == \
        [("37.2", "", ""), ("9.7", "", "")]


def test_respectively_distributes_growth_over_a_list():
    rows = figures("上半年平均利率分别为3.3%、3.2%，同比下降43个、61个基点。", date(2025, 7, 31))
    # each fall goes with its rate; in basis points, not the rate's unit, it stays in the note
    # (yoy_diff holds a number the quote writes: validation checks it, issue 19)
    assert [(r["value"], r["yoy_diff"]) for r in rows] == [("3.3", ""), ("3.2", "")]
    assert "43个" in rows[0]["note"] and "61个基点" in rows[1]["note"]


def test_prior_value_is_not_a_figure_of_its_own():
    row = one("本地配套率从16%大幅跃升至46%。")
    assert (row["value"], row["prior_value"]) == ("46", "16")


@pytest.mark.parametrize(("text", "field", "expected"), [
    ("Exports were 334,000 units, a year-on-year increase of 28.1 percent.", "yoy_pct", "28.1"),
    ("Output was 394,000 units, up 23.6 percent year on year.", "yoy_pct", "23.6"),
    ("The balance reached 640 billion yuan, a 14.4% year-over-year increase.", "yoy_pct", "14.4"),
    ("Loans reached 6.25 trillion yuan, marking an 8.3% year-on-year increase—1.2 percentage "
     "points higher than the national average.", "vs_national_pp", "1.2"),
])
def test_english_growth_forms(text, field, expected):
    assert one(text, lang="en")[field] == expected


@pytest.mark.parametrize(("text", "value", "yoy_pct", "yoy_diff"), [
    ("EV exports surged by 94% to 8.21 billion yuan.", "8.21", "94", ""),
    ("Exports fell by 5% to 2.1 billion yuan.", "2.1", "-5", ""),
    ("The rate was 3.15%, a decrease of 0.2 percentage points year-on-year.", "3.15", "", "-0.2"),
])
def test_english_change_forms(text, value, yoy_pct, yoy_diff):
    row = one(text, lang="en")
    assert (row["value"], row["yoy_pct"], row["yoy_diff"]) == (value, yoy_pct, yoy_diff)


def test_english_growth_skips_a_conversion_in_brackets():
    rows = figures("Exports were 43.13 billion yuan (about 5.91 billion U.S. dollars), a 30% "
                   "year-on-year increase.", date(2025, 2, 9), lang="en")
    assert [(r["value"], r["yoy_pct"]) for r in rows] == [("43.13", "30"), ("5.91", "")]


def test_english_growth_in_the_next_sentence_and_respectively():
    rows = figures("Chongqing recorded 415.3 billion yuan in the first half of 2025. He said "
                   "the figure marks a year-on-year increase of 28.1 billion yuan. Rates stood "
                   "at 3.3% and 3.2% respectively—down 43 and 61 basis points compared to the "
                   "same period last year.", date(2025, 7, 31), lang="en")
    assert [(r["value"], r["yoy_diff"]) for r in rows] == [("415.3", "28.1"), ("3.3", ""), ("3.2", "")]
    assert "43" in rows[1]["note"] and "61 basis points" in rows[2]["note"]


# --- periods --------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "release", "start", "end"), [
    ("3月末", date(2026, 5, 9), None, date(2026, 3, 31)),
    ("截至2025年末", date(2026, 2, 7), None, date(2025, 12, 31)),
    ("截至2024年12月", date(2025, 3, 27), None, date(2024, 12, 31)),
    ("截至4月中旬", date(2026, 5, 22), None, date(2026, 4, 15)),
    ("年末", date(2026, 1, 23), None, date(2025, 12, 31)),
    ("一季度", date(2026, 5, 9), date(2026, 1, 1), date(2026, 3, 31)),
    ("上半年", date(2025, 7, 31), date(2025, 1, 1), date(2025, 6, 30)),
    ("前三季度", date(2025, 10, 23), date(2025, 1, 1), date(2025, 9, 30)),
    ("1—5月", date(2025, 6, 20), date(2025, 1, 1), date(2025, 5, 31)),
    ("前10个月", date(2025, 11, 20), date(2025, 1, 1), date(2025, 10, 31)),
    ("全年", date(2026, 1, 22), date(2025, 1, 1), date(2025, 12, 31)),
    ("去年", date(2026, 5, 9), date(2025, 1, 1), date(2025, 12, 31)),
    ("2024年", date(2025, 3, 27), date(2024, 1, 1), date(2024, 12, 31)),
    ("今年以来", date(2026, 5, 9), date(2026, 1, 1), date(2026, 5, 9)),
    ("“十四五”期间", date(2026, 2, 7), date(2021, 1, 1), date(2025, 12, 31)),
])
def test_chinese_period_words(text, release, start, end):
    spans = find_zh_spans(text, release)
    assert [(s.period_start, s.period_end) for s in spans] == [(start, end)]


def test_a_target_period_is_the_one_under_way():
    [span] = find_zh_spans("力争下半年再投央行资金600亿", date(2025, 7, 31))
    assert (span.period_start, span.period_end) == (date(2025, 7, 1), date(2025, 12, 31))


@pytest.mark.parametrize(("text", "release", "start", "end"), [
    ("by the end of June", date(2025, 7, 31), None, date(2025, 6, 30)),
    ("By the end of March 2025", date(2025, 4, 28), None, date(2025, 3, 31)),
    ("in the first quarter", date(2025, 4, 28), date(2025, 1, 1), date(2025, 3, 31)),
    ("in the first half of 2025", date(2025, 7, 31), date(2025, 1, 1), date(2025, 6, 30)),
    ("From January to October 2023", date(2024, 1, 16), date(2023, 1, 1), date(2023, 10, 31)),
    ("in the first 11 months", date(2024, 1, 16), date(2023, 1, 1), date(2023, 11, 30)),
    ("In 2023", date(2024, 1, 16), date(2023, 1, 1), date(2023, 12, 31)),
    ("last year", date(2025, 2, 9), date(2024, 1, 1), date(2024, 12, 31)),
    ("in December 2025", date(2026, 1, 23), date(2025, 12, 1), date(2025, 12, 31)),
])
def test_english_period_words(text, release, start, end):
    spans = find_en_spans(text, release)
    assert [(s.period_start, s.period_end) for s in spans] == [(start, end)]


def test_figures_take_their_sentence_period_or_the_release_date():
    rows = figures("截至3月末，贷款余额6.54万亿元。一季度，社融新增约2300亿元。\n\n"
                   "中心累计签发3万余单。", date(2026, 5, 9))
    assert [(r["period_start"], r["period_end"]) for r in rows] == [
        ("", "2026-03-31"), ("2026-01-01", "2026-03-31"), ("", "2026-05-09")]


def test_a_period_opening_a_sentence_carries_to_the_next_sentences_of_its_paragraph():
    rows = figures("截至2025年，园区累计开行班列3.13万班。其中，累计开行班列9879列。", date(2026, 5, 9))
    assert [r["period_end"] for r in rows] == ["2025-12-31", "2025-12-31"]


def test_since_phrase_starts_a_cumulative_span():
    row = one("今年2月中心实体化运营以来，累计吸引近200家通道企业参与。")
    assert (row["period_start"], row["period_end"]) == ("2026-02-01", "2026-05-09")


def test_period_words_without_a_release_date_are_left_empty():
    row = one("一季度，社会融资规模新增约2300亿元。", release=None)
    assert (row["period_start"], row["period_end"]) == ("", "")


# --- the gold set ---------------------------------------------------------------------

def _gold_rows() -> list[dict[str, str]]:
    with GOLD.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_gold_quotes_occur_in_their_files_and_hold_the_value(sources_dir):
    for r in _gold_rows():
        text = gold_text(sources_dir, r["file"]).read_text(encoding="utf-8")
        assert r["quote"] in text, r
        found = [n.value for n in find_numbers(r["quote"], words=True)]
        assert any(abs(v - float(r["value"])) < 1e-9 for v in found) or "no numeral" in r["note"], r


def test_gold_split_holds_out_both_languages():
    splits = Counter((r["split"], r["lang"]) for r in _gold_rows())
    assert {("tuned", "zh"), ("tuned", "en"), ("heldout", "zh"), ("heldout", "en")} <= set(splits)


def test_score_on_the_tuned_gold(sources_dir):
    report = score_gold(GOLD, sources_dir, CATALOGUE)
    tuned = [g for g in report.groups if g.split == "tuned"]
    assert {g.lang for g in tuned} == {"zh", "en"}
    for g in tuned:
        assert g.recall >= 0.9 and g.precision >= 0.85, report.table()
        assert g.qualifier_acc >= 0.9 and g.yoy_acc >= 0.9, report.table()


def test_score_counts_a_miss_and_a_spurious_figure(tmp_path, sources_dir):
    rows = _gold_rows()
    rows = [r for r in rows if r["file"] == "2025-04-28_ichongqing-en-crossborder-q1-2025.txt"]
    rows[0] = dict(rows[0], value="111")  # a figure the text does not have
    gold = tmp_path / "gold.csv"
    with gold.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    report = score_gold(gold, sources_dir, CATALOGUE)
    assert [(m.value, m.unit) for m in report.missed] == [(111.0, "billion USD")]
    assert (110.0, "billion USD") in [(s.value, s.unit) for s in report.spurious]


def test_gold_file_without_scored_columns_is_refused(tmp_path, sources_dir):
    bad = tmp_path / "gold.csv"
    bad.write_text("file,value\nx.txt,1\n", encoding="utf-8")
    with pytest.raises(ExtractError, match="unit"):
        score_gold(bad, sources_dir)


# --- the two core releases against the curated data ------------------------------------

def test_core_releases_find_the_curated_figures(sources_dir):
    obs_path = REAL_DATA / "observations.csv"
    if not obs_path.is_file():
        pytest.skip("no curated observations yet")
    with obs_path.open(encoding="utf-8-sig") as fh:
        curated = list(csv.DictReader(fh))
    missed, total = [], 0
    for file, source_id in CORE.items():
        want = Counter((float(o["value"]), o["unit"]) for o in curated if o["source_id"] == source_id)
        got = Counter((float(c.row["value"]), c.row["unit"])
                      for c in extract_file(sources_dir / file, data_dir=REAL_DATA).candidates)
        total += sum(want.values())
        for key, n in (want - got).items():
            quotes = [o["quote"] for o in curated if o["source_id"] == source_id
                      and (float(o["value"]), o["unit"]) == key]
            missed.append(f"{file}: {key[0]:g} {key[1]} ×{n}  «{quotes[0]}»")
    assert total, "the curated data holds no rows of the core releases"
    recall = 1 - sum(int(m.rsplit("×", 1)[1].split()[0]) for m in missed) / total
    print("\n".join(["missed by the extractor:", *missed]) if missed else "nothing missed")
    assert recall >= CORE_RECALL_MIN, "\n".join([f"recall {recall:.2f}", *missed])


# --- --append ------------------------------------------------------------------------

@pytest.fixture
def data_copy(tmp_path) -> Path:
    if not (REAL_DATA / "observations.csv").is_file():
        pytest.skip("no curated data yet")
    target = tmp_path / "data"
    shutil.copytree(REAL_DATA, target)
    return target


def _take_out(data: Path, metric_id: str, source_id: str) -> dict[str, str]:
    """Remove one curated row from the copy, so that the extractor can propose it again."""
    path = data / "observations.csv"
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    i = next(i for i, r in enumerate(rows) if r and r[0] == metric_id
             and r[header.index("source_id")] == source_id)
    removed = dict(zip(header, rows.pop(i), strict=True))
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return removed


def _candidates(data: Path, sources_dir: Path, tmp_path: Path, accept: dict[tuple, dict]) -> Path:
    """Extract the core release 003 into a candidates file and mark some rows accepted,
    with the analyst's corrections."""
    out = tmp_path / "candidates.csv"
    extract_file(sources_dir / "003_2fe010bab30cc1bb.txt", out=out, data_dir=data)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        rows, header = list(reader), reader.fieldnames
    for r in rows:
        fix = accept.get((r["value"], r["unit"]))
        if fix:
            r.update(fix)
            r["status"] = "accepted"
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerows(rows)
    return out


def test_append_adds_only_accepted_rows_at_the_end(data_copy, sources_dir, tmp_path):
    removed = _take_out(data_copy, "alliance_outlets", "corridor_2026_meeting")
    before = (data_copy / "observations.csv").read_bytes()
    fix = {k: removed[k] for k in ("metric_id", "entity_id", "period_label")}
    cand = _candidates(data_copy, sources_dir, tmp_path, {("3000", "家"): fix})
    result = append_candidates(cand, data_copy, sources_dir)
    after = (data_copy / "observations.csv").read_bytes()
    assert result.added == 1
    assert after.startswith(before)
    [added] = list(csv.DictReader(io.StringIO(after[len(before):].decode("utf-8"),),
                                  fieldnames=list(removed)))
    assert (added["metric_id"], added["value"], added["unit"], added["qualifier"],
            added["period_end"]) == (removed["metric_id"], removed["value"], removed["unit"],
                                     removed["qualifier"], removed["period_end"])


def test_append_keeps_crlf_line_endings(data_copy, sources_dir, tmp_path):
    removed = _take_out(data_copy, "alliance_outlets", "corridor_2026_meeting")
    obs = data_copy / "observations.csv"
    obs.write_bytes(obs.read_bytes().replace(b"\n", b"\r\n"))
    before = obs.read_bytes()
    fix = {k: removed[k] for k in ("metric_id", "entity_id", "period_label")}
    append_candidates(_candidates(data_copy, sources_dir, tmp_path, {("3000", "家"): fix}),
                      data_copy, sources_dir)
    tail = obs.read_bytes()[len(before):]
    assert obs.read_bytes().startswith(before)
    assert tail.endswith(b"\r\n") and b"\n" not in tail.replace(b"\r\n", b"")


def test_append_refuses_a_duplicate_and_leaves_the_data(data_copy, sources_dir, tmp_path):
    before = (data_copy / "observations.csv").read_bytes()
    fix = {"metric_id": "alliance_outlets", "entity_id": "corridor_finance_alliance"}
    cand = _candidates(data_copy, sources_dir, tmp_path, {("3000", "家"): fix})
    with pytest.raises(ExtractError, match="duplicate"):
        append_candidates(cand, data_copy, sources_dir)
    assert (data_copy / "observations.csv").read_bytes() == before


@pytest.mark.parametrize(("column", "bad", "expected"), [
    ("period_end", "2026-13-01", "an ISO date"),
    ("value", "3千", "a number"),
    ("qualifier", "大约", "empty or one of"),
    ("metric_id", "unknown", "a metric_id from metrics.csv"),
    ("status", "acepted", "accepted, rejected"),
])
def test_append_names_file_row_and_column_of_a_bad_cell(data_copy, sources_dir, tmp_path,
                                                       column, bad, expected):
    removed = _take_out(data_copy, "alliance_outlets", "corridor_2026_meeting")
    before = (data_copy / "observations.csv").read_bytes()
    fix = {k: removed[k] for k in ("metric_id", "entity_id", "period_label")}
    cand = _candidates(data_copy, sources_dir, tmp_path, {("3000", "家"): fix})
    with cand.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    row_no = next(i for i, r in enumerate(rows, start=2) if r["status"] == "accepted")
    text = cand.read_text(encoding="utf-8-sig")
    rows[row_no - 2][column] = bad
    with cand.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    assert cand.read_text(encoding="utf-8-sig") != text
    with pytest.raises(ExtractError) as err:
        append_candidates(cand, data_copy, sources_dir)
    msg = str(err.value)
    assert f"{cand}, row {row_no}, column '{column}'" in msg and bad in msg and expected in msg
    assert (data_copy / "observations.csv").read_bytes() == before


def test_append_validates_against_the_whole_data(data_copy, sources_dir, tmp_path):
    before = (data_copy / "observations.csv").read_bytes()
    # a metric that exists but does not allow this unit: only the full validation knows
    fix = {"metric_id": "loan_balance_rmb", "entity_id": "chongqing"}
    cand = _candidates(data_copy, sources_dir, tmp_path, {("3000", "家"): fix})
    with pytest.raises(ExtractError, match=r"candidates\.csv, row \d+"):
        append_candidates(cand, data_copy, sources_dir)
    assert (data_copy / "observations.csv").read_bytes() == before


# --- the command ----------------------------------------------------------------------

def test_cli_extract_writes_candidates_and_a_review_table(tmp_path, sources_dir):
    out = tmp_path / "c.csv"
    res = CliRunner().invoke(cli, ["extract", str(sources_dir / "003_2fe010bab30cc1bb.txt"),
                                   "--out", str(out), "--data", str(REAL_DATA)])
    assert res.exit_code == 0, res.output
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and {"confidence", "quote_start", "quote_end", "status"} <= set(rows[0])
    text = (sources_dir / "003_2fe010bab30cc1bb.txt").read_text(encoding="utf-8")
    for r in rows:
        assert r["value"] in res.output
        piece = text[int(r["quote_start"]):int(r["quote_end"])]
        assert "".join(piece.split()) == r["quote"]


def test_cli_score_prints_both_splits(sources_dir):
    res = CliRunner().invoke(cli, ["extract", "--score", str(GOLD), str(sources_dir), "--data",
                                   str(CATALOGUE)])
    assert res.exit_code == 0, res.output
    assert "tuned" in res.output and "heldout" in res.output and "recall" in res.output


def test_cli_without_input_is_a_usage_error():
    res = CliRunner().invoke(cli, ["extract"])
    assert res.exit_code != 0 and "release file" in res.output


def test_candidate_columns_come_from_the_data_descriptor_and_nothing_else(tmp_path, min_data):
    """No hand-typed copy of the columns: the descriptor in use, or a one-line error (issue 18)."""
    import json

    from cqreport.dataset.schema import read_specs
    from cqreport.errors import DataError
    from cqreport.extract.rows import observation_columns

    assert observation_columns(min_data) == read_specs(min_data / "datapackage.json")["observations"].columns
    pkg = json.loads((min_data / "datapackage.json").read_text(encoding="utf-8"))
    obs = next(r for r in pkg["resources"] if r["name"] == "observations")
    obs["schema"]["fields"].append({"name": "reviewer", "type": "string"})
    (min_data / "datapackage.json").write_text(json.dumps(pkg, ensure_ascii=False), encoding="utf-8")
    assert observation_columns(min_data)[-1] == "reviewer"
    # a release read without curated data: the columns of the data in use
    from cqreport.core.vocab import descriptor_in_use

    assert observation_columns(tmp_path / "nowhere") == read_specs(descriptor_in_use())["observations"].columns
    (min_data / "datapackage.json").write_text('{"resources": [', encoding="utf-8")
    with pytest.raises(DataError, match="not valid JSON"):
        observation_columns(min_data)
