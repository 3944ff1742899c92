"""Issue 19: English periods and the traps found in real pages, each from a real sentence of
../shared/sources (the peer-region pages of issue 22 included; none of the held-out ones)."""

from __future__ import annotations

from datetime import date

import pytest

from cqreport.extract import read_release_text
from cqreport.extract.catalogue import Catalogue
from cqreport.extract.en import find_en_figures
from cqreport.extract.rows import build_candidates

from .conftest import CATALOGUE as REAL_DATA


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue(REAL_DATA)


def _rows(text: str, release: date, catalogue: Catalogue) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for c in build_candidates(read_release_text(text), release, catalogue):
        out.setdefault(c.row["value"], c.row | {"reason": c.reason, "confidence": c.confidence})
    return out


# --- English periods -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "release", "value", "period"), [
    # 2025-01-14 people.cn: "at the end of last month" is the end of the month before the release
    ("The M0, which indicates the amount of cash in circulation, rose by 13 percent year on year "
     "to a total of 12.82 trillion yuan at the end of last month, per the data.",
     date(2025, 1, 14), "12.82", ("", "2024-12-31")),
    # 2025-04-15 Global Times via inzhejiang: end-March
    ("As of end-March, outstanding yuan loans amounted to 265.41 trillion yuan, up 7.4 percent "
     "year-on-year.", date(2025, 4, 15), "265.41", ("", "2025-03-31")),
    # 2021-11-10 iChongqing: a month without a comma after it
    ("Data show that in the first three quarters of 2021, the city's production and sales of NEVs "
     "reached 97,000 and 93,000, respectively, up 223% and 210%. In September alone, the production "
     "surged 247%.", date(2021, 11, 10), "247", ("2021-09-01", "2021-09-30")),
    # 2025-07-24 四川日报 via reportify: "As of June" without a year, a balance at June's end
    ("Interest Rate Trends - As of June, the loan balance increased by 906.2 billion yuan since the "
     "beginning of the year.", date(2025, 7, 24), "906.2", ("2025-01-01", "2025-06-30")),
])
def test_english_period_forms(catalogue, text, release, value, period):
    row = _rows(text, release, catalogue)[value]
    assert (row["period_start"], row["period_end"]) == period


def test_by_a_month_and_year_is_that_months_end():
    # the failure: "by March 2025" was dated at the release
    from cqreport.extract.timespans import find_en_spans

    [sp] = find_en_spans("Cross-border RMB settlement exceeded 110 billion USD by March 2025.",
                         date(2025, 4, 28))
    assert (sp.period_start, sp.period_end, sp.kind) == (None, date(2025, 3, 31), "stock")


def test_an_events_date_is_not_the_period_of_the_next_paragraph(catalogue):
    # 2023-01-14 people.cn: the initiative was launched in November 2015; the projects are not
    text = ("The New International Land-Sea Trade Corridor is a major outcome of the China-Singapore "
            "(Chongqing) Demonstration Initiative on Strategic Connectivity, which was launched in "
            "November 2015, covering financial services, aviation, transportation and logistics.\n\n"
            "Projects worth about 54.39 billion U.S. dollars have been inked under the initiative.")
    row = _rows(text, date(2023, 1, 14), catalogue)["54.39"]
    assert (row["period_start"], row["period_end"]) == ("", "2023-01-14")


def test_a_count_as_it_stands_is_not_the_years_flow(catalogue):
    # 2026-01-23 reportify (PBoC Chongqing 2025): "has developed" counts what stands now
    text = ("Core Viewpoint - The financial sector in Chongqing played a significant role during "
            "2025 [1]. - The Chongqing Branch has developed nearly 40 green transition financial "
            "standards and over 330 innovative green financial products [6].")
    rows = _rows(text, date(2026, 1, 23), catalogue)
    assert (rows["40"]["period_start"], rows["40"]["period_end"]) == ("", "2026-01-23")


def test_wire_scale_abbreviations():
    # 2025 asianbanking (PBoC 2024 data) and the Xinhua "trln" headline form
    text = ("Outstanding renminbi (RMB) and foreign currency loans in China rose 7.2% year-on-year "
            "(YoY) to $35.49t (RMB259.58t) as of the end-December 2024")
    got = [(f.value, f.unit) for f in find_en_figures(text)]
    assert (35.49, "trillion USD") in got and (259.58, "trillion yuan") in got
    assert [(f.value, f.unit) for f in find_en_figures("China's yuan loans grow by 16.02 trln yuan")] \
        == [(16.02, "trillion yuan")]


# --- traps found in real pages ---------------------------------------------------------

def test_a_change_of_a_growth_rate_is_no_figure_and_goes_to_the_note(catalogue):
    # 2024-05-23 华龙网 (loan-direction report): 增速比去年同期高0.7个百分点 has no column
    text = ("2024年4月末,重庆市本外币中长期贷款余额24565亿元,同比增长13%,增速比去年同期高0.7个百分点,"
            "比上月增加157.1亿元,同比多增166.9亿元。")
    rows = _rows(text, date(2024, 5, 23), catalogue)
    assert "0.7" not in rows
    assert rows["24565"]["yoy_pct"] == "13" and "增速比去年同期高0.7个百分点" in rows["24565"]["note"]
    # 2025-10-24 南都 via reportify (Guangdong): the English form
    text = ("Loan and Deposit Trends - As of September 2025, the total loan balance in Guangdong "
            "reached 29.9 trillion yuan, marking a year-on-year growth of 5.7%, with a 0.9 "
            "percentage point increase from June [3][4] - The balance of demand deposits for "
            "households and enterprises in Guangdong was 8.9 trillion yuan, showing a year-on-year "
            "growth of 12.9%, which is 7.6 percentage points higher than the overall deposit growth "
            "rate [4][6]")
    rows = _rows(text, date(2025, 10, 24), catalogue)
    assert "0.9" not in rows and "7.6" not in rows
    assert "7.6 percentage points higher" in rows["8.9"]["note"]
    assert (rows["8.9"]["period_start"], rows["8.9"]["period_end"]) == ("", "2025-09-30")


def test_a_year_is_not_an_amount_when_the_figures_were_stripped(tmp_path):
    # the scraped page (各项贷款余额万亿元,同比增长%), in both languages
    from cqreport.extract import extract_file

    f = tmp_path / "stripped.txt"
    f.write_text("date: 2024-10-20\n\n截至2024年9月末,全市本外币各项贷款余额万亿元,同比增长%,比年初增加亿元。"
                 "截至2024亿元。\n\nIn 2024 billion yuan of cross-border RMB settlement was recorded.\n",
                 encoding="utf-8")
    ex = extract_file(f, data_dir=REAL_DATA)
    assert [c.row["value"] for c in ex.candidates] == []
    assert ex.warnings and "stripped" in ex.warnings[0] and "各项贷款余额万亿元" in ex.warnings[0]


def test_growth_of_another_sector_is_not_glued_onto_the_figure_before(catalogue):
    # Guangdong central-bank governor interview (2024): 普惠小微 has its own growth
    text = ("2024年末,广东高技术制造业、先进制造业、科学研究和技术服务业中长期贷款余额同比分别增长7.2%、7.0%、"
            "25.5%,普惠小微贷款余额同比增长10%。")
    rows = _rows(text, date(2025, 1, 20), catalogue)
    assert rows["25.5"]["yoy_pct"] == "" and rows["25.5"]["yoy_diff"] == ""
    assert "10" in rows  # a figure of its own
    # the same subject again is the growth of the level before (2024-04-17 PBoC Q1 report)
    text = "一季度银行间人民币市场以拆借、现券和回购方式合计成交541.9万亿元,日均成交8.88万亿元,日均成交同比增长19.9%。"
    assert _rows(text, date(2024, 4, 17), catalogue)["8.88"]["yoy_pct"] == "19.9"


def test_a_list_read_respectively_names_each_figure_by_its_own_item(catalogue):
    # 2026-01-26 重庆海关: only the 530.3 is auto exports
    text = ("手机、汽车、摩托车出口额分别为567亿元、530.3亿元、264.7亿元,同比增速分别达35.4%、23%、29.5%。")
    rows = _rows(text, date(2026, 1, 26), catalogue)
    assert rows["530.3"]["metric_id"] == "auto_export_value" and rows["530.3"]["yoy_pct"] == "23"
    assert rows["567"]["metric_id"] != "auto_export_value"
    assert rows["264.7"]["metric_id"] != "auto_export_value"


def test_a_swapped_respectively_list_is_flagged(sources_dir, catalogue):
    # Guangdong governor interview: loans 28.4万亿元, then 存款、贷款余额分别为28.4万亿元、36.6万亿元
    text = (sources_dir / "peers/undated_sfqjr-guangdong-fninterview-2024Y.txt").read_text(encoding="utf-8")
    cands = build_candidates(read_release_text(text), date(2025, 1, 20), catalogue)
    listed = [c for c in cands if c.figure.item]
    by_value = {c.row["value"]: c for c in listed if c.row["value"] in ("28.4", "36.6")}
    assert set(by_value) == {"28.4", "36.6"}
    for c in by_value.values():
        assert "looks swapped" in c.row["note"] and c.confidence <= 0.3


def test_a_worked_example_is_not_a_figure(catalogue):
    # the trap (example numbers after 如); the sentence form of a bank's illustration
    text = ("例如，某小微企业获得贷款500万元，按利率下降0.5个百分点计算，每年可节约利息2.5万元。"
            "全市普惠小微贷款余额超6300亿元。")
    assert list(_rows(text, date(2025, 4, 23), catalogue)) == ["6300"]
    # a named example is a real figure (2026-05-09 重庆晨报: 比如，我们引导建设银行在渝设立6只科创子基金)
    text = "比如，我们引导建设银行在渝设立6只科创子基金，投资赛力斯等硬科技企业15家。"
    assert {"6", "15"} <= set(_rows(text, date(2026, 5, 9), catalogue))


def test_the_banking_regulators_loans_are_the_banking_sectors(catalogue):
    # 2024-07-31 广州日报 (广东金融监管局): not the central bank's 各项贷款余额
    text = ("国家金融监督管理总局广东监管局（以下简称“广东金融监管局”）介绍，截至6月末，广东省银行业各项存款余额"
            "30.05万亿元，同比增长0.32%；各项贷款余额27.82万亿元，同比增长6.29%。")
    row = _rows(text, date(2024, 7, 31), catalogue)["27.82"]
    assert row["metric_id"] == "loan_balance_banking_sector" and row["confidence"] < 0.9
    assert "regulator" in row["reason"]
