"""Number formatting and reading back.

Expected strings are written by hand from the source texts in ../shared/sources
(the figure as the release printed it, and the English a careful translator
would write), never copied from the formatter's output.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cqreport.core.formatting import (
    format_amount,
    format_change,
    format_pp,
    format_pp_change,
    format_rank,
    format_streak,
    format_yoy,
    format_yoy_diff,
    parse_rank,
    sensible_decimals,
    write_number,
)
from cqreport.core.scanning import expected_figure, parse_figure, scan_figures
from cqreport.core.vocab import to_base, word

# ------------------------------------------------------------------ scale words
# (value, unit, decimals as printed, Chinese as printed in the source, English)
SCALES = [
    (6.54, "万亿元", 2, "6.54万亿元", "RMB 6.54 trillion"),            # 000: 人民币贷款余额达6.54万亿元
    (388.6, "亿元", 1, "388.6亿元", "RMB 38.86 billion"),              # 000: 发行债券388.6亿元
    (8600, "万元", 0, "8600万元", "RMB 86 million"),                   # ifeng 2024: 超8600万元
    (682.7, "亿美元", 1, "682.7亿美元", "USD 68.27 billion"),          # 000: 682.7亿美元
    (61.4, "万辆", 1, "61.4万辆", "614,000 vehicles"),                 # 000: 出口汽车61.4万辆
    (103, "万标箱", 0, "103万标箱", "1.03 million TEU"),               # cbg: 约103万标箱
    (9879, "列", 0, "9879列", "9,879 trains"),                         # 000: 班列9879列
    (3.13, "万班", 2, "3.13万班", "31,300 train trips"),               # 000: 开行班列3.13万班
    (15, "家", 0, "15家", "15 entities"),                              # 003: 15家重点机构
]


@pytest.mark.parametrize(("value", "unit", "dec", "zh", "en"), SCALES)
def test_scale_words_zh(value, unit, dec, zh, en):
    assert format_amount(value, unit, decimals=dec) == zh


@pytest.mark.parametrize(("value", "unit", "dec", "zh", "en"), SCALES)
def test_scale_words_en(value, unit, dec, zh, en):
    assert format_amount(value, unit, lang="en", decimals=dec) == en


@pytest.mark.parametrize(("value", "unit", "dec", "zh", "en"), SCALES)
def test_scale_words_read_back_to_the_stored_value(value, unit, dec, zh, en):
    base = to_base(value, unit)
    for text in (zh, en):
        fig = parse_figure(text)
        assert fig.value_base == pytest.approx(base, rel=1e-12)
        assert fig.bound == "exact"


def test_trillions_stay_trillions_and_keep_their_precision():
    text = format_amount(6.54, "万亿元", decimals=2)
    assert text == "6.54万亿元"
    assert "65400" not in text and "6.5万" not in text
    # 各项贷款余额6.0万亿元 (cqnews 2025-10-23): the trailing zero is the source's precision
    assert format_amount(6.0, "万亿元", decimals=1) == "6.0万亿元"
    assert format_amount(6.0, "万亿元", lang="en", decimals=1) == "RMB 6.0 trillion"


@pytest.mark.parametrize(("value", "unit", "dec", "zh", "en"), [
    (640, "billion yuan", 0, "6400亿元", "RMB 640 billion"),        # ichongqing Q1 2025 corridor
    (415.3, "billion yuan", 1, "4153亿元", "RMB 415.3 billion"),    # ichongqing H1 2025 TSF
    (6.25, "trillion yuan", 2, "6.25万亿元", "RMB 6.25 trillion"),  # ichongqing H1 2025 loans
    (75.6, "billion USD", 1, "756亿美元", "USD 75.6 billion"),      # ichongqing 2025 platform
    (334000, "vehicles", 0, "33.4万辆", "334,000 vehicles"),        # people.cn Jan-Nov 2023
])
def test_english_reported_units_are_written_the_chinese_way(value, unit, dec, zh, en):
    assert format_amount(value, unit, decimals=dec) == zh
    assert format_amount(value, unit, lang="en", decimals=dec) == en


# ------------------------------------------------------------------ qualifiers
QUALIFIED = [
    (2300, "亿元", "约", "约2300亿元", "about RMB 230 billion", "approx"),     # 000 社融新增约2300亿元
    (200, "家", "近", "近200家", "nearly 200 entities", "upper"),              # 000 近200家通道企业
    (168, "亿元", "超", "超168亿元", "over RMB 16.8 billion", "lower"),        # 003 超168亿元
    (756, "亿美元", "突破", "突破756亿美元", "more than USD 75.6 billion", "lower"),  # 163 2026-01-22
    (10, "场", "余", "10余场", "over 10 events", "lower"),                      # 000 10余场
    (7000, "笔", "多", "7000多笔", "over 7,000 transactions", "lower"),        # ifeng 7000多笔
    (3, "万单", "余", "3万余单", "over 30,000 documents", "lower"),            # cbg 3万余单
    (9600, "亿元", "超过", "超过9600亿元", "more than RMB 960 billion", "lower"),  # cqcb 2025
    (50, "亿元", "逾", "逾50亿元", "over RMB 5 billion", "lower"),              # cqcb 2025 逾50亿元
]


@pytest.mark.parametrize(("value", "unit", "q", "zh", "en", "bound"), QUALIFIED)
def test_qualifiers_are_kept(value, unit, q, zh, en, bound):
    assert format_amount(value, unit, q) == zh
    assert format_amount(value, unit, q, lang="en") == en
    for text in (zh, en):
        fig = parse_figure(text)
        assert fig.bound == bound, text
        assert fig.value_base == pytest.approx(to_base(value, unit))


def test_english_qualifier_words_map_to_chinese_ones():
    assert format_amount(20, "billion USD", "over") == "超200亿美元"
    assert format_amount(1.36, "trillion USD", "about") == "约1.36万亿美元"


def test_unknown_qualifier_and_unit_are_refused():
    with pytest.raises(ValueError, match="qualifier"):
        format_amount(1, "亿元", "大约是")
    with pytest.raises(ValueError, match="unit"):
        format_amount(1, "亿英镑")
    with pytest.raises(ValueError, match="language"):
        format_amount(1, "亿元", lang="fr")


# ------------------------------------------------------------------ growth
def test_growth_up_and_down():
    assert format_yoy(6.8) == "同比增长6.8%"                    # 000
    assert format_yoy(6.8, "en") == "up 6.8% year on year"
    assert format_yoy(28.7, "en") == "up 28.7% year on year"   # 000 汽车出口
    assert format_yoy(-0.2) == "同比下降0.2%"
    assert format_yoy(-0.2, "en") == "down 0.2% year on year"
    assert parse_figure(format_yoy(-0.2)).value_base == -0.2
    assert parse_figure(format_yoy(-0.2, "en")).value_base == -0.2


def test_growth_zero_is_flat_not_a_rise():
    assert format_yoy(0) == "同比持平"
    assert format_yoy(0, "en") == "unchanged year on year"
    assert scan_figures(format_yoy(0)) == []


def test_growth_in_times_and_doubling():
    # 增长1.1倍 is +110%; 翻番 is ×2 (+100%)
    assert format_yoy(110, wording="times") == "同比增长1.1倍"
    assert format_yoy(110, "en", wording="times") == "up 110% year on year"
    assert parse_figure("同比增长1.1倍").key == ("percent", 110.0, "exact")
    assert format_yoy(100, wording="doubled") == "同比翻番"      # cqcb 2025: 较上年同期翻番
    assert format_yoy(100, "en", wording="doubled") == "doubled year on year"
    assert parse_figure("翻番").key == ("percent", 100.0, "exact")
    assert parse_figure("doubled").key == ("percent", 100.0, "exact")
    with pytest.raises(ValueError):
        format_yoy(90, wording="doubled")


def test_growth_keeps_reported_decimals():
    assert format_yoy(7.0, decimals=1) == "同比增长7.0%"
    assert format_yoy(12, decimals=0) == "同比增长12%"


def test_percentage_points_are_never_percent():
    zh, en = format_pp(0.5), format_pp(0.5, "en")             # cqcb 2025-04-23
    assert zh == "高于全国0.5个百分点"
    assert en == "0.5 percentage points above the national average"
    assert "%" not in zh and "%" not in en and "percent " not in en
    assert parse_figure(zh).key == ("pp", 0.5, "exact")
    assert parse_figure(en).key == ("pp", 0.5, "exact")
    assert parse_figure("高于全国0.5%").key != parse_figure(zh).key
    assert format_pp(-1.2) == "低于全国1.2个百分点"
    assert parse_figure(format_pp(-1.2, "en")).value_base == -1.2
    assert format_pp(0) == "与全国持平"
    assert format_pp_change(2.8) == "提高2.8个百分点"          # 163 2026-01-26: 提升2.8个百分点


def test_difference_of_flows():
    assert format_yoy_diff(532.3, "亿元") == "同比多增532.3亿元"   # cqcb 2025-04-23
    assert format_yoy_diff(-532.3, "亿元") == "同比少增532.3亿元"
    assert format_yoy_diff(532.3, "亿元", "en") == "RMB 53.23 billion more than a year earlier"
    assert format_yoy_diff(28.1, "billion yuan", "en") == "RMB 28.1 billion more than a year earlier"
    assert parse_figure(format_yoy_diff(-532.3, "亿元")).value_base == pytest.approx(-532.3e8)
    assert parse_figure(format_yoy_diff(-532.3, "亿元", "en")).value_base == pytest.approx(-532.3e8)


def test_change_of_a_stock():
    assert format_change(1500, "亿元") == "较年初增加1500亿元"
    assert format_change(-20, "亿元", "en", basis="qoq") == "a decrease of RMB 2 billion quarter on quarter"


def test_streaks_and_ranks():
    assert format_streak(13) == "连续13个月"                         # 000
    assert format_streak(13, "en") == "for 13 consecutive months"
    assert parse_figure("连续13个月").key == ("months", 13.0, "exact")
    assert parse_figure("连续十三个月").key == ("months", 13.0, "exact")
    assert parse_figure("for thirteen consecutive months").key == ("months", 13.0, "exact")
    (rank,) = parse_rank("一季度货物贸易结算量达850.5亿元，居中西部第一")
    assert (rank.region, rank.position) == ("中西部", 1)
    assert format_rank(rank) == "居中西部第一"
    assert format_rank(rank, "en") == "ranked first in central and western China"
    assert parse_figure(format_rank(rank)).key == ("rank", 1.0, "exact")
    assert parse_figure(format_rank(rank, "en")).key == ("rank", 1.0, "exact")


# ------------------------------------------------------------------ missing, zero, negative
@pytest.mark.parametrize("missing", [None, float("nan")])
def test_missing_values_say_so_and_write_no_number(missing):
    assert format_amount(missing, "亿元") == word("text", "missing", "zh") == "未公布"
    assert format_amount(missing, "亿元", lang="en") == word("text", "missing", "en") == "not released"
    for text in (format_yoy(missing), format_yoy(missing, "en"), format_pp(missing),
                 format_pp(missing, "en"), format_yoy_diff(missing, "亿元"),
                 format_streak(missing, "en")):
        assert scan_figures(text) == [], text
        assert text.strip()


def test_zero_and_negative_amounts():
    assert format_amount(0, "亿元") == "0亿元"
    assert format_amount(0, "亿元", lang="en") == "RMB 0"
    assert parse_figure("0亿元").value_base == 0
    assert format_amount(-12.5, "亿元") == "-12.5亿元"
    assert parse_figure(format_amount(-12.5, "亿元", lang="en")).value_base == pytest.approx(-12.5e8)


def test_number_writing():
    assert write_number(614000, 0, "en") == "614,000"
    assert write_number(614000, 0, "zh") == "614000"
    assert write_number(6.125, 2) == "6.13"          # half up, not banker's rounding
    assert write_number(-0.0001, 2) == "0.00"
    assert sensible_decimals(6.1236) == 2            # an implied 6.12万亿元
    assert sensible_decimals(719.1) == 0


# ------------------------------------------------------------------ reading text
def test_scan_reads_chinese_numerals_and_number_words():
    keys = [f.key for f in scan_figures("增速连续十三个月高于全国，增长百分之六点八，十余场活动")]
    assert keys == [("months", 13.0, "exact"), ("percent", 6.8, "exact"),
                    ("events", 10.0, "lower")]
    keys = [f.key for f in scan_figures("for thirteen consecutive months, ranked first")]
    assert keys == [("months", 13.0, "exact"), ("rank", 1.0, "exact")]


def test_scan_tells_wan_yi_from_yi():
    a, b = scan_figures("6.54万亿元和6.54亿元")
    assert a.value_base == pytest.approx(6.54e12)
    assert b.value_base == pytest.approx(6.54e8)
    a, b = scan_figures("RMB 6.54 trillion and RMB 6.54 billion")
    assert a.value_base == pytest.approx(6.54e12)
    assert b.value_base == pytest.approx(6.54e9)


def test_scan_reads_full_width_digits():
    (f,) = scan_figures("余额６.５４万亿元")
    assert f.value_base == pytest.approx(6.54e12)


# ------------------------------------------------------------------ round trip (property)
UNITS_FOR_ROUND_TRIP = ["万亿元", "亿元", "万元", "亿美元", "万辆", "万标箱", "列", "班", "家",
                        "billion yuan", "trillion yuan", "billion USD", "%", "个百分点"]
QUALIFIERS_FOR_ROUND_TRIP = ["", "约", "近", "超", "突破", "余", "多", "超过", "逾"]


@given(
    mantissa=st.integers(min_value=1, max_value=99_999),
    decimals=st.integers(min_value=0, max_value=2),
    unit=st.sampled_from(UNITS_FOR_ROUND_TRIP),
    qualifier=st.sampled_from(QUALIFIERS_FOR_ROUND_TRIP),
    lang=st.sampled_from(["zh", "en"]),
)
def test_round_trip_gives_the_stored_value(mantissa, decimals, unit, qualifier, lang):
    value = mantissa / 10 ** decimals
    if qualifier in ("余", "多") and (decimals or unit in ("%", "个百分点")):
        return  # 6.5余亿元 is not Chinese; releases put 余/多 after whole numbers of a count
    text = format_amount(value, unit, qualifier, lang, decimals=decimals)
    read, want = parse_figure(text), expected_figure(value, unit, qualifier)
    # a figure written in a larger scale keeps two decimals (10001亿元 is RMB 1 trillion):
    # it reads back as the stored value rounded to what the text shows
    shown = re.search(r"\d[\d,]*(?:\.(\d+))?", text).group(1) or ""
    tol = 0.5 * 10 ** -len(shown) * abs(read.value_base / read.value) if read.value else 0.0
    assert (read.key[0], read.key[2]) == (want[0], want[2]), text
    assert abs(read.key[1] - want[1]) <= tol + 1e-9 * abs(want[1]), text


@given(pct=st.integers(min_value=-5000, max_value=50000), lang=st.sampled_from(["zh", "en"]))
def test_round_trip_of_growth(pct, lang):
    value = pct / 10
    text = format_yoy(value, lang, decimals=1)
    if value == 0:
        assert scan_figures(text) == []
    else:
        assert parse_figure(text).key == ("percent", value, "exact"), text
