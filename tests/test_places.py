"""Whom a figure is about (issue 19): place words, yardsticks, and the validation rule that a
national, Chongqing or provincial figure's quote does not speak of another place.

Every sentence is from ../shared/sources (the peer-region pages of issue 22 included).
"""

from __future__ import annotations

import csv
from datetime import date

import pytest

from cqreport.core.files import sha256_file
from cqreport.core.places import contradiction, mentions, places
from cqreport.dataset.validate import check_data
from cqreport.extract import read_release_text
from cqreport.extract.catalogue import Catalogue
from cqreport.extract.rows import build_candidates

from .conftest import CATALOGUE

SICHUAN_2022M11 = "peers/2022-12-27_baogao-sichuan-chinanews-2022M11.txt"
REGIONS_2024 = "peers/undated_zpssxw-regions-tsf-2024Y.txt"
REGIONS_2023_FILE = "peers/undated_hbyanyusl-regions-jiemian-tsf-2023Y.txt"


def _said(text: str, lang: str = "zh") -> list[str]:
    return [m.place_id or m.word for m in mentions(text, lang)]


# --- place words -----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "lang", "said"), [
    # the subject, and the country only as a yardstick (2025-07-24 四川日报 via reportify)
    ("reached 12.7 trillion yuan, a year-on-year growth of 11.6%, surpassing the national "
     "average growth rate by 4.8 percentage points", "en", []),
    ("全省本外币各项贷款余额91978亿元,同比增长15.4%,增速分别高于去年同期和全国2.6个和5个百分点", "zh",
     ["全省"]),
    ("9月末,重庆市本外币各项贷款余额20178.5亿元,成为继四川省后第2个贷款总量突破2万亿元的中国西部省市", "zh",
     ["chongqing"]),
    ("货物贸易结算量位居中西部第一", "zh", []),
    ("of which various loans increased by 14.7%, ranking fourth in the country", "en", []),
    # the reach of a network is not whom it is about (2025-03-10 沙坪坝融媒)
    ("辐射我国18个省(区、市)73个城市158个站点", "zh", []),
    # a dateline and a bank's name are not places the figure is about
    ("中新社 广州10月22日电 (记者 郭军)截至2024年9月末,该省银行业资产总额为39.8万亿元", "zh", ["该省"]),
    ("The People's Bank of China said outstanding yuan loans rose", "en", []),
    # traditional script, as stored (东方融资网 repost)
    ("2024年我國社會融資規模增量32.26萬億元", "zh", ["china"]),
    ("江蘇、浙江、廣東、山東、四川5省社融增量在全國占比43.8%", "zh",
     ["jiangsu", "zhejiang", "guangdong", "shandong", "sichuan"]),
    ("Chengdu-Chongqing", "en", ["chengdu_chongqing_circle"]),
])
def test_place_words_leave_out_yardsticks_and_names(text, lang, said):
    assert _said(text, lang) == said


def test_a_quote_that_names_the_entity_too_does_not_contradict_it():
    # 2025-03-27 凤凰网: Sichuan firms' business through Chongqing's banks is Chongqing's figure
    p = places()
    quote = "四川优质企业通过重庆的银行机构按便利化流程累计办理跨境人民币业务"
    assert contradiction(quote, "zh", "chongqing", "municipality", p) is None
    assert contradiction(quote, "zh", "china", "country", p).place_id == "sichuan"


def test_the_city_of_a_named_place_is_that_place():
    # "the city of Chengdu" names Chengdu: the generic "the city" is not Chongqing's word here
    p = places()
    quote = "loans in the city of Chengdu reached 5 trillion yuan"
    assert contradiction(quote, "en", "chongqing", "municipality", p).place_id == "chengdu"
    assert contradiction("loans in the city reached 5 trillion yuan", "en", "chongqing", "municipality",
                         p) is None


# 界面新闻 via hbyanyusl (2024): Guangdong's increment, then Zhejiang's and Jiangsu's
REGIONS_2023 = ("廣東2023年度社融規(guī)模增量為31350億元,較2022年度縮水了3754億元;"
                "浙江、江蘇增量達37305億元和36794億元")


@pytest.mark.parametrize(("value", "entity", "kind", "said"), [
    ("31350", "guangdong", "province", None),          # its own clause names Guangdong
    ("37305", "guangdong", "province", "zhejiang"),    # Zhejiang's figure, whatever else the quote says
    ("37305", "china", "country", "zhejiang"),
    ("3754", "guangdong", "province", None),
])
def test_the_place_of_the_figures_own_clause_decides(value, entity, kind, said):
    p = places()
    at = REGIONS_2023.index(value)
    m = contradiction(REGIONS_2023, "zh", entity, kind, p, (at, at + len(value)))
    assert (m.place_id if m else None) == said
    # without the figure's place, any place word of the quote that fits is enough (issue 19)
    assert contradiction(REGIONS_2023, "zh", "guangdong", "province", p) is None


# --- the extractor names an entity only from the figure's own words --------------------

def test_quansheng_is_the_province_the_release_is_about(sources_dir):
    rel = read_release_text((sources_dir / SICHUAN_2022M11).read_text(encoding="utf-8"))
    rows = {c.row["value"]: c for c in build_candidates(rel, date(2022, 12, 27), Catalogue(CATALOGUE))}
    # 全省本外币各项贷款余额91978亿元: Sichuan's, never the country's (issue 19: 20 of 20 were china)
    assert rows["91978"].row["entity_id"] == "sichuan", rows["91978"].reason
    assert "全省" in rows["91978"].reason
    assert all(c.row["entity_id"] not in ("china", "chongqing") for c in rows.values())


def test_a_sentence_naming_two_provinces_names_neither(sources_dir):
    text = (sources_dir / REGIONS_2024).read_text(encoding="utf-8")
    rel = read_release_text(text)
    rows = {c.row["value"]: c for c in build_candidates(rel, date(2025, 1, 20), Catalogue(CATALOGUE))}
    share = rows["43.8"]  # 江苏、浙江、广东、山东、四川5省社融增量在全国占比43.8%
    assert share.row["entity_id"] == "unknown"
    assert {"guangdong", "sichuan"} <= set(share.label.entity_suggestions)


def test_a_place_outside_the_catalogue_is_proposed_as_an_entity_row():
    # 2022-12-27 中新网 (Sichuan), with a catalogue that does not know Sichuan yet
    text = ("title: 四川省各项贷款余额突破9万亿元\ndate: 2022-12-27\n\n"
            "2022年1-11月,四川省社会融资规模增量16718亿元,较去年同期增加3414亿元。")
    cat = Catalogue(CATALOGUE)
    cat.entities = [e for e in cat.entities if e["entity_id"] != "sichuan"]
    [c] = [c for c in build_candidates(read_release_text(text), date(2022, 12, 27), cat)
           if c.row["value"] == "16718"]
    assert c.row["entity_id"] == "sichuan"
    assert c.label.entity_proposal == {"entity_id": "sichuan", "name_zh": "四川省", "name_en": "Sichuan",
                                       "entity_type": "province", "parent": "china",
                                       "status": "proposed"}


# --- cqreport validate refuses an entity its quote contradicts --------------------------

def _source_row(sid: str, file: str, sources_dir, day: str, title_en: str, title_zh: str) -> dict:
    return {"source_id": sid, "title": title_zh, "publisher": "中新网", "date": day,
            "date_kind": "inferred", "url": "", "file": file, "sha256": sha256_file(sources_dir / file),
            "language": "zh", "reliability": "press", "reliability_note": "test fixture",
            "date_note": "test fixture", "title_zh": title_zh, "title_en": title_en,
            "publisher_zh": "中新网", "publisher_en": "China News Service"}


def _append(path, rows: list[dict]) -> None:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header = csv.DictReader(fh).fieldnames
    with path.open("a", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        for r in rows:
            w.writerow({c: r.get(c, "") for c in header})


def test_validate_refuses_an_entity_its_quote_contradicts(min_data, sources_dir):
    _append(min_data / "entities.csv", [
        {"entity_id": "china", "name_zh": "中国（全国）", "name_en": "China (national)", "entity_type": "country"},
        {"entity_id": "sichuan", "name_zh": "四川省", "name_en": "Sichuan", "entity_type": "province",
         "parent": "china"}])
    _append(min_data / "sources.csv", [
        _source_row("sc_2022m11", SICHUAN_2022M11, sources_dir, "2022-12-27",
                    "Sichuan's loans exceed 9 trillion yuan", "四川省贷款余额超9万亿元"),
        _source_row("regions_2024", REGIONS_2024, sources_dir, "2025-01-20",
                    "Loans and social financing of the provinces in 2024", "2024年各省贷款规模与社融增量")])
    metrics = (min_data / "metrics.csv").read_text(encoding="utf-8")
    (min_data / "metrics.csv").write_text(metrics.replace("亿元|billion yuan", "亿元|万亿元|billion yuan"),
                                          encoding="utf-8")
    sc = "2022年1-11月,四川省社会融资规模增量16718亿元"
    nation = "2024年我國社會融資規模增量32.26萬億元"
    base = {"metric_id": "tsf_increment", "period_label": "1-11月", "unit": "亿元"}
    rows = [dict(base, entity_id=e, period_start="2022-01-01", period_end="2022-11-30", value="16718",
                 source_id="sc_2022m11", quote=sc) for e in ("china", "chongqing", "sichuan")]
    rows += [dict(base, entity_id=e, period_start="2024-01-01", period_end="2024-12-31", value="32.26",
                  unit="万亿元", period_label="2024年", source_id="regions_2024", quote=nation)
             for e in ("sichuan", "china")]
    _append(min_data / "observations.csv", rows)
    first = len((min_data / "observations.csv").read_text(encoding="utf-8").splitlines()) - len(rows) + 1
    result = check_data(min_data, sources_dir)
    bad = {(p.row, p.column) for p in result.problems if p.check == "entity-contradicted"}
    # the country and Chongqing for 四川省…, Sichuan for 我國…; not Sichuan's own, not the nation's
    assert bad == {(first, "entity_id"), (first + 1, "entity_id"), (first + 3, "entity_id")}
    assert [p for p in result.problems if p.check != "entity-contradicted"] == []
    msg = next(str(p) for p in result.problems if p.row == first)
    assert "'china'" in msg and "sichuan" in msg and "四川省" in msg


def test_validate_reads_the_place_of_the_figures_own_clause(min_data, sources_dir):
    # a Guangdong row that took Zhejiang's 37305亿元 from a quote that also names Guangdong
    _append(min_data / "entities.csv", [
        {"entity_id": "guangdong", "name_zh": "广东省", "name_en": "Guangdong", "entity_type": "province"}])
    _append(min_data / "sources.csv", [
        _source_row("regions_2023", REGIONS_2023_FILE, sources_dir, "2024-02-05",
                    "Regional aggregate financing in 2023", "2023年地区社会融资规模增量")])
    base = {"metric_id": "tsf_increment", "entity_id": "guangdong", "period_start": "2023-01-01",
            "period_end": "2023-12-31", "period_label": "2023年度", "unit": "亿元", "quote": REGIONS_2023}
    _append(min_data / "observations.csv", [dict(base, value="31350", source_id="regions_2023")])
    assert check_data(min_data, sources_dir).problems == []
    rows = (min_data / "observations.csv").read_text(encoding="utf-8").splitlines()
    rows[-1] = rows[-1].replace("31350", "37305", 1)   # the value column comes before the quote
    (min_data / "observations.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (p,) = check_data(min_data, sources_dir).problems
    assert (p.check, p.row, p.column) == ("entity-contradicted", len(rows), "entity_id")
    assert "zhejiang" in str(p) and "浙江" in str(p)

