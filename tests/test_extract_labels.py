"""Labels an analyst can trust (issue 11): metric, entity and period from the words around a
figure, calibrated confidence, review columns and a catalogue that grows with review.

Every case is a real sentence from ../shared/sources (the four mistake kinds of issue 11:
confident wrong metrics, periods, the catalogue, other regions).
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from cqreport.cli import cli
from cqreport.extract import extract_file, read_release_text, score_gold
from cqreport.extract.catalogue import Catalogue
from cqreport.extract.rows import EXTRA_COLUMNS, build_candidates

from .conftest import CATALOGUE

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "gold" / "extract_gold.csv"
REAL_DATA = CATALOGUE  # the extractor reads a catalogue snapshot, not today's data/
LOANS_2024_04 = "2024-05-23_cq-loan-direction-2024-04.txt"
NATIONAL_2025Q2 = "2025-07-23_664493-national-loan-direction-2025q2-trad.txt"
XBORDER_2021H1 = "2021-07-26_chinanews-cq-crossborder-rmb-2021h1.txt"
CORRIDOR_2022 = "2022-08-31_hxnews-landsea-20000-trains.txt"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue(REAL_DATA)


def _by_value(sources_dir: Path, file: str, data_dir: Path = REAL_DATA) -> dict[str, dict[str, str]]:
    ex = extract_file(sources_dir / file, data_dir=data_dir)
    out = {}
    for row in ex.rows():
        out.setdefault(row["value"], row)
    return out


def _one(text: str, release: date, catalogue: Catalogue, value: str) -> dict[str, str]:
    rel = read_release_text(text)
    rows = [c.row | {"confidence": c.confidence, "reason": c.reason}
            for c in build_candidates(rel, release, catalogue)]
    hit = [r for r in rows if r["value"] == value]
    assert hit, rows
    return hit[0]


# --- confident wrong metrics -----------------------------------------------------------

@pytest.mark.parametrize("value", ["24565", "17612.9", "3835.4", "2471", "5889.7", "12578.5",
                                   "5863.2", "35348.2"])
def test_a_sector_balance_is_not_the_total(sources_dir, value):
    row = _by_value(sources_dir, LOANS_2024_04)[value]
    assert row["metric_id"] not in ("loan_balance_all", "loan_balance_rmb")
    # a proposed part named as such, or the catalogue's own part (普惠小微贷款余额 is inclusive_sme_loan_balance)
    part = row["metric_id"]
    assert part.startswith("loan_balance_") or part.endswith("_loan_balance")
    assert float(row["confidence"]) < 0.9 or part in ("inclusive_sme_loan_balance", "scitech_loan_balance",
                                                       "green_loan_balance")


@pytest.fixture
def narrow_catalogue(tmp_path):
    """The real data with loan_balance_all listing only 万亿元 (as before the history was curated,
    when the catalogue had no 亿元 balance): the case where the extractor must advise add_unit."""
    import shutil

    target = tmp_path / "data"
    shutil.copytree(REAL_DATA, target)
    with (target / "metrics.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        if r["metric_id"] == "loan_balance_all":
            r["units"] = "万亿元|trillion yuan"
    with (target / "metrics.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return target


def test_the_total_balance_is_named_with_its_unit_advice(sources_dir, narrow_catalogue):
    row = _by_value(sources_dir, LOANS_2024_04, narrow_catalogue)["57672.4"]
    assert row["metric_id"] == "loan_balance_all"
    assert "5.76724 万亿元" in row["reason"] and "add_unit" in row["reason"]


def test_a_months_change_is_not_a_year_to_date_flow(sources_dir):
    row = _by_value(sources_dir, LOANS_2024_04)["143.7"]  # 比上月增加143.7亿元
    assert row["metric_id"] not in ("new_loans_unspecified", "new_loans_rmb")
    assert (row["period_start"], row["period_end"]) == ("2024-04-01", "2024-04-30")
    assert row["yoy_diff"] == "88.9"


def test_trade_and_fdi_settlement_is_not_total_crossborder_settlement(sources_dir):
    rows = _by_value(sources_dir, XBORDER_2021H1)
    assert rows["516.1"]["metric_id"] != "crossborder_rmb_settlement"
    assert "直接投资" in rows["516.1"]["reason"] or "not in the catalogue" in rows["516.1"]["reason"]
    assert rows["800"]["metric_id"] == "crossborder_rmb_settlement"  # 跨境人民币实际收付突破800亿元


def test_a_cumulative_total_is_not_a_flow(catalogue):
    # 2019-07-31 chinanews: a running total since 2010, not H1 settlement
    text = "从2010年到2019年6月末,重庆市3428家企业累计办理跨境人民币结算8410亿元,覆盖126个国家和地区。"
    row = _one(text, date(2019, 7, 31), catalogue, "8410")
    assert row["metric_id"] != "crossborder_rmb_settlement"
    assert row["period_start"] == "" and row["period_end"] == "2019-06-30"


def test_a_part_word_vetoes_a_metric_found_by_name(catalogue):
    # 2025-07-23 PBoC report: a growth rate of a part is not the total's growth
    text = "2025年二季度末,不含房地产业的服务业中长期贷款余额同比增长7.3%。"
    row = _one(text, date(2025, 7, 23), catalogue, "7.3")
    assert row["metric_id"] != "loan_balance_all_growth"


# --- other regions, the country, the corridor ------------------------------------------

def test_national_figures_are_not_chongqing(sources_dir):
    rows = _by_value(sources_dir, NATIONAL_2025Q2)
    assert rows["268.56"]["metric_id"] == "loan_balance_rmb"
    assert rows["12.92"]["metric_id"] == "new_loans_rmb"
    for r in rows.values():
        assert r["entity_id"] != "chongqing", r
    # no 全国 in its sentence: not named, but the national release is the first suggestion
    assert rows["268.56"]["entity_id"] == "unknown"
    assert "speaks of china" in rows["268.56"]["reason"]


@pytest.mark.parametrize("value", ["1154", "2243", "335", "1"])
def test_corridor_wide_figures_are_not_chongqing(sources_dir, value):
    row = _by_value(sources_dir, CORRIDOR_2022)[value]
    assert row["entity_id"] != "chongqing", row


def test_another_province_is_not_chongqing(catalogue):
    # 2023-10-08 每经: corridor provinces' trade through Guangxi's ports
    text = "据统计,2022年西部陆海新通道沿线省份经广西口岸进出口贸易总额超5000亿元,创历史新高。"
    row = _one(text, date(2023, 10, 8), catalogue, "5000")
    assert row["entity_id"] != "chongqing"
    assert row["metric_id"] != "total_goods_trade"


def test_chongqing_inside_brackets_does_not_make_a_corridor_figure_chongqings(catalogue):
    text = ("西部陆海新通道物流和运营组织中心数据显示,2017年4月28日,“渝桂新”铁海联运班列(钦州港—重庆)"
            "测试开行,并在当年完成178列,2018年完成1154列。")
    assert _one(text, date(2022, 8, 31), catalogue, "178")["entity_id"] != "chongqing"


def test_an_english_national_release_is_about_china(catalogue):
    text = ("China's central bank has released its Financial Statistics Report.\n\n"
            "At the end of March, the balance of domestic and foreign currency loans was "
            "186.44 trillion yuan, a year-on-year increase of 12.3%.")
    row = _one(text, date(2021, 4, 12), catalogue, "186.44")
    assert row["metric_id"] == "loan_balance_all" and row["entity_id"] != "chongqing"
    assert (row["period_start"], row["period_end"]) == ("", "2021-03-31")


# --- periods ---------------------------------------------------------------------------

def test_a_month_span_with_the_year(catalogue):
    # 2014-10-23 chinanews
    text = "1至9月,重庆市跨境人民币实际收付结算量达1120亿元,同比增长1.1倍。"
    row = _one(text, date(2014, 10, 23), catalogue, "1120")
    assert (row["period_start"], row["period_end"]) == ("2014-01-01", "2014-09-30")
    text = "2023年1月至9月,全市跨境人民币实际收付结算量达1120亿元。"
    row = _one(text, date(2023, 10, 23), catalogue, "1120")
    assert (row["period_start"], row["period_end"]) == ("2023-01-01", "2023-09-30")


def test_the_paragraphs_month_end_carries_to_balances_without_a_date(sources_dir):
    rows = _by_value(sources_dir, LOANS_2024_04)
    for v in ("8536.4", "24565", "17612.9", "10522.8"):  # 分期限看 / 分用途看 paragraphs
        assert (rows[v]["period_start"], rows[v]["period_end"]) == ("", "2024-04-30"), v


def test_a_quarter_end_balance_is_a_date_not_the_quarter(sources_dir):
    rows = _by_value(sources_dir, NATIONAL_2025Q2)
    assert (rows["268.56"]["period_start"], rows["268.56"]["period_end"]) == ("", "2025-06-30")
    # 短期贷款…余额62.04万亿元，同比增长9.4%，上半年增加4.25万亿元: 上半年 is the 4.25's
    assert (rows["62.04"]["period_start"], rows["62.04"]["period_end"]) == ("", "2025-06-30")
    assert (rows["4.25"]["period_start"], rows["4.25"]["period_end"]) == ("2025-01-01",
                                                                           "2025-06-30")


def test_from_a_to_b_records_the_prior_value_and_its_year(catalogue):
    # the pattern of 2025-04-23 cqcb (绿色贷款余额超过9600亿元), told as a change
    text = "重庆绿色贷款余额由2022年的5000亿元增加到9600亿元。"
    row = _one(text, date(2025, 4, 23), catalogue, "9600")
    assert row["prior_value"] == "5000" and row["prior_label"] == "2022年"
    assert row["period_end"] != "2022-12-31"  # 2022 is the earlier value's year only
    rel = read_release_text(text)
    assert [c.row["value"] for c in build_candidates(rel, date(2025, 4, 23), catalogue)] == ["9600"]


# --- confidence ------------------------------------------------------------------------

def test_confident_proposals_are_right_on_the_tuned_gold(sources_dir):
    report = score_gold(GOLD, sources_dir, REAL_DATA)
    tuned = [g for g in report.groups if g.split == "tuned"]
    sure, sure_ok = sum(g.sure for g in tuned), sum(g.sure_ok for g in tuned)
    named, named_ok = sum(g.named for g in tuned), sum(g.named_ok for g in tuned)
    assert sure >= 10 and sure_ok / sure >= 0.95, report.table()
    assert named >= 40 and named_ok / named >= 0.9, report.table()
    assert sum(g.region_errors for g in tuned) <= 2, report.table()


def test_a_wrong_label_in_the_gold_is_counted(tmp_path, sources_dir):
    with GOLD.open(encoding="utf-8-sig") as fh:
        rows = [r for r in csv.DictReader(fh) if r["file"] == NATIONAL_2025Q2]
    rows = [dict(r, metric_id="loan_balance_all") if r["value"] == "268.56" else r for r in rows]
    rows = [dict(r, entity_id="china") for r in rows]
    gold = tmp_path / "gold.csv"
    with gold.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    report = score_gold(gold, sources_dir, REAL_DATA)
    g = report.groups[0]
    assert g.named >= 2 and g.named_ok == g.named - 1
    assert any(what == "metric" and gd.value == 268.56 for what, gd, _ in report.mismatched)


# --- review columns and the catalogue --------------------------------------------------

def test_review_columns_follow_confidence():
    assert EXTRA_COLUMNS == ["confidence", "suggestions", "reason", "quote_start", "quote_end",
                             "status"]


def test_candidates_carry_suggestions_and_a_reason(tmp_path, sources_dir):
    out = tmp_path / "c.csv"
    extract_file(sources_dir / LOANS_2024_04, out=out, data_dir=REAL_DATA)
    with out.open(encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    cols = reader.fieldnames
    assert cols[cols.index("confidence") + 1:cols.index("confidence") + 3] == ["suggestions",
                                                                               "reason"]
    assert all(r["reason"] for r in rows)
    for r in rows:
        for part in filter(None, r["suggestions"].split("|")):
            mid, score = part.rsplit(":", 1)
            assert mid and 0 <= float(score) <= 1


def test_unknown_metrics_become_proposed_catalogue_rows(tmp_path, sources_dir, narrow_catalogue):
    out = tmp_path / "c.csv"
    ex = extract_file(sources_dir / LOANS_2024_04, out=out, data_dir=narrow_catalogue)
    side = tmp_path / "c.metrics.csv"
    assert side.is_file()
    with side.open(encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        rows = {r["metric_id"]: r for r in reader}
    with (narrow_catalogue / "metrics.csv").open(encoding="utf-8-sig") as fh:
        metric_cols = csv.DictReader(fh).fieldnames
    assert reader.fieldnames == [*metric_cols, "status", "reason"]
    # every field --append requires has a value, and the reason says where each came from
    for r in rows.values():
        assert r["priority"] in ("1", "2", "3") and "priority" in r["reason"], r
    mlt = rows["loan_balance_medium_long_term"]
    assert mlt["status"] == "proposed" and mlt["name_zh"] == "中长期贷款余额"
    assert mlt["period_type"] == "stock" and "亿元" in mlt["units"].split("|")
    assert rows["loan_balance_all"]["status"] == "add_unit"
    assert "亿元" in rows["loan_balance_all"]["units"].split("|")
    named = {c.row["metric_id"] for c in ex.candidates}
    assert {mid for mid, r in rows.items() if r["status"] == "proposed"} <= named
    existing = {m.metric_id for m in Catalogue(narrow_catalogue).metrics}
    assert not {mid for mid, r in rows.items() if r["status"] == "proposed"} & existing


def test_cli_score_prints_the_label_measures(sources_dir):
    res = CliRunner().invoke(cli, ["extract", "--score", str(GOLD), str(sources_dir), "--data",
                                   str(REAL_DATA)])
    assert res.exit_code == 0, res.output
    assert "metric@0.9" in res.output and "region" in res.output and "heldout2" in res.output


def test_same_period_last_year_is_a_comparison_not_a_period(catalogue):
    # 2021-04-24 gov.cn: the cargo figure belongs to the first quarter of the paragraph before
    text = ("A total of 19,588 twenty-foot equivalent units of cargo were transported in the "
            "first quarter, according to the route's operating center.\n\n"
            "The cargo was worth a total of 2.43 billion yuan, a surge of 117 percent compared "
            "to the same period last year.")
    row = _one(text, date(2021, 4, 24), catalogue, "2.43")
    assert (row["period_start"], row["period_end"]) == ("2021-01-01", "2021-03-31")


def test_english_month_words_without_a_year(catalogue):
    # 2021-04-12 Asia Times Financial (PBoC Q1 2021 statistics)
    text = ("At the end of March, the balance of domestic and foreign currency loans was 186.44 "
            "trillion yuan. The balance of yuan loans at the end of the month was 180.41 trillion "
            "yuan, a year-on-year increase of 12.6%.\n\n"
            "In terms of sectors, household loans increased by 2.56 trillion yuan. In March, yuan "
            "loans increased by 2.73 trillion yuan.")
    rel = date(2021, 4, 12)
    row = _one(text, rel, catalogue, "180.41")
    assert (row["period_start"], row["period_end"]) == ("", "2021-03-31")
    assert row["metric_id"] == "loan_balance_rmb"
    row = _one(text, rel, catalogue, "2.56")  # a flow dated by an earlier month-end: year to date
    assert (row["period_start"], row["period_end"]) == ("2021-01-01", "2021-03-31")
    row = _one(text, rel, catalogue, "2.73")
    assert (row["period_start"], row["period_end"]) == ("2021-03-01", "2021-03-31")
    assert row["metric_id"] == "new_loans_rmb"


def test_to_a_years_value_is_that_years_figure(catalogue):
    # 2023-10-08 每经
    text = "据了解,西部陆海新通道海铁联运班列从2017年的178列,到2022年的8820列,增长了49倍。"
    row = _one(text, date(2023, 10, 8), catalogue, "8820")
    assert (row["period_start"], row["period_end"]) == ("2022-01-01", "2022-12-31")


def test_imports_and_exports_are_not_exports(catalogue):
    text = "2022年西部陆海新通道沿线省份经广西口岸进出口贸易总额超5000亿元。"
    row = _one(text, date(2023, 10, 8), catalogue, "5000")
    assert row["metric_id"] not in ("total_goods_exports", "total_goods_trade")


def test_a_national_release_that_never_says_quanguo_is_not_chongqings(catalogue):
    # 2023-01-10 新华财经 (PBoC 2022 statistics): no 全国, no 重庆
    text = ("新华财经北京1月10日电 人民银行10日发布2022年金融统计数据报告。\n\n"
            "12月末,本外币贷款余额219.1万亿元,同比增长10.4%。月末人民币贷款余额213.99万亿元,同比增长11.1%。\n\n"
            "全年人民币贷款增加21.31万亿元,同比多增1.36万亿元。12月份,人民币贷款增加1.4万亿元,同比多增2665亿元。\n\n"
            "12月末,外币贷款余额7348亿美元,同比下降19.5%。全年外币贷款减少1779亿美元,同比多减2236亿美元。"
            "12月份,外币贷款减少342亿美元,同比少减19亿美元。")
    rel = read_release_text(text)
    rows = {c.row["value"]: c.row for c in build_candidates(rel, date(2023, 1, 10), catalogue)}
    assert all(r["entity_id"] != "chongqing" for r in rows.values()), rows
    assert rows["219.1"]["metric_id"] == "loan_balance_all"
    assert rows["213.99"]["metric_id"] == "loan_balance_rmb"
    assert (rows["1.4"]["period_start"], rows["1.4"]["period_end"]) == ("2022-12-01", "2022-12-31")
    assert rows["1.4"]["metric_id"] == "new_loans_rmb"
    assert rows["1779"]["yoy_diff"] == "2236" and rows["342"]["yoy_diff"] == "-19"
    assert "2236" not in rows and "19" not in rows  # growth of a decrease, not figures


def test_deposits_are_not_loans(catalogue):
    # 2023-01-10 新华财经
    text = "12月末,本外币存款余额264.45万亿元,同比增长10.8%。月末人民币存款余额258.5万亿元,同比增长11.3%。"
    assert _one(text, date(2023, 1, 10), catalogue, "258.5")["metric_id"] != "loan_balance_rmb"


def test_the_unit_names_the_corridor_series(catalogue):
    # 2023-04-04 people.cn (Xinhua)
    text = ("From January to February this year, freight trains and shuttle vehicles on the "
            "Western Land-Sea New Corridor starting from Chongqing transported a total of 21,000 "
            "TEUs, up 46 percent year on year. The total value of transported goods reached over "
            "3.65 billion yuan (about 530.48 million U.S. dollars), up 43 percent year on year.")
    rel = date(2023, 4, 4)
    row = _one(text, rel, catalogue, "21000")
    assert row["metric_id"] == "corridor_teu"
    assert (row["period_start"], row["period_end"]) == ("2023-01-01", "2023-02-28")
    assert _one(text, rel, catalogue, "3.65")["metric_id"] == "corridor_cargo_value"
    assert _one(text, rel, catalogue, "530.48")["metric_id"] == "unknown"  # the conversion


def test_a_region_named_as_a_yardstick_is_not_the_figures_region(catalogue):
    # 2014-10-23 中新社
    text = "9月末,重庆市本外币各项贷款余额20178.5亿元,成为继四川省后第2个贷款总量突破2万亿元的中国西部省市。"
    assert _one(text, date(2014, 10, 23), catalogue, "2")["entity_id"] == "chongqing"


def test_growth_in_cheng_and_growth_over_years(catalogue):
    # 2014-10-23 中新社
    text = ("1至9月,重庆市跨境人民币实际收付结算量达1120亿元,同比增长1.1倍。办理跨境人民币实际收付的结算银行37家,"
            "同比增长近两成,涉及企业650家,同比增长逾四成。9月末,重庆市本外币各项贷款余额破2万亿大关,"
            "直辖17年来贷款总量增长16.5倍。")
    rel = read_release_text(text)
    rows = {c.row["value"]: c.row for c in build_candidates(rel, date(2014, 10, 23), catalogue)}
    assert rows["37"]["yoy_pct"] == "20" and "近两成" in rows["37"]["note"]
    assert rows["650"]["yoy_pct"] == "40"
    assert "4" not in rows  # 逾四成 is the 650's growth, not a figure
    assert rows["2"]["yoy_pct"] == ""  # 16.5倍 over 17 years is not year-on-year


def test_a_count_as_it_stands_is_not_the_paragraphs_flow(catalogue):
    # 2025-03-10 沙坪坝融媒
    text = ("记者从市口岸物流办获悉,今年1-2月,西部陆海新通道3种主要运输组织方式共运输3.76万标箱、同比增长29%,"
            "货值68.67亿元,同比增长37%,呈现量价齐升之势。通道货物运输品类已超过1200种,辐射我国18个省(区、市)"
            "73个城市158个站点,通达全球127个国家及地区的556个港口。")
    rel = date(2025, 3, 10)
    row = _one(text, rel, catalogue, "556")
    assert (row["period_start"], row["period_end"]) == ("", "2025-03-10")
    row = _one(text, rel, catalogue, "3.76")
    assert (row["period_start"], row["period_end"]) == ("2025-01-01", "2025-02-28")
    assert row["metric_id"] == "corridor_teu"
    assert _one(text, rel, catalogue, "68.67")["metric_id"] == "corridor_cargo_value"


def test_cumulative_within_a_span_is_that_spans_flow_and_since_is_not(catalogue):
    # 2022-04-03 广西日报: corridor-wide, a first-quarter total
    text = ("记者从中国铁路南宁局集团有限公司获悉,今年1—3月,西部陆海新通道铁海联运班列累计发送集装箱货物17万标箱,"
            "同比增加6.2万标箱,增幅56.5%。")
    row = _one(text, date(2022, 4, 3), catalogue, "17")
    assert row["metric_id"] == "corridor_teu" and row["entity_id"] != "chongqing"
    assert (row["period_start"], row["period_end"]) == ("2022-01-01", "2022-03-31")
    # 2022-08-31 新华社: since 2017, a running total
    text = "2019年完成2243列,到2021年4月28日累计完成1万列,完成“第一个1万列”用时1461天。"
    row = _one(text, date(2022, 8, 31), catalogue, "1")
    assert row["period_start"] == ""
