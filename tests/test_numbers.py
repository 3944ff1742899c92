"""Numbers in text: Arabic, full-width, Chinese numerals."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cqreport.core.numbers import decimals_of, find_numbers, parse_chinese_numeral, parse_number

DIGITS = "零一二三四五六七八九"


def to_chinese(n: int) -> str:
    """Reference writer of Chinese numerals for 0 <= n < 1e8, for property tests."""
    if n == 0:
        return "零"

    def below_10k(x: int) -> str:
        out, zero = "", False
        for unit, size in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
            d, x = divmod(x, size)
            if d:
                if zero:
                    out += "零"
                out += DIGITS[d] + unit
                zero = False
            elif out:
                zero = True
        return out

    high, low = divmod(n, 10_000)
    if not high:
        return below_10k(low)
    text = below_10k(high) + "万"
    if low:
        text += ("零" if low < 1000 else "") + below_10k(low)
    return text


@pytest.mark.parametrize(("text", "value"), [
    ("6.54", 6.54), ("57,672.4", 57672.4), ("334,000", 334000), ("６.５４", 6.54),
    ("十三", 13), ("一百零五", 105), ("两万", 20000), ("六点八", 6.8), ("百分之六点八", 6.8),
    ("三万一千", 31000), ("一亿二千万", 120_000_000), ("十", 10),
])
def test_parse_number_forms(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "abc", "6.5.4", "十余"])
def test_parse_number_refuses_what_is_not_one_number(text):
    with pytest.raises(ValueError):
        parse_number(text)


def test_find_numbers_reads_mixed_text_in_order():
    found = find_numbers("一季度货物贸易结算量达850.5亿元，连续十三个月，近百场，约２３００亿元")
    assert [m.value for m in found] == [1, 850.5, 13, 100, 2300]


def test_find_numbers_gives_the_mantissa_of_a_scaled_chinese_numeral():
    assert {m.value for m in find_numbers("两万列")} == {20000, 2}


def test_offsets_point_at_the_number_even_with_fullwidth_digits():
    text = "达６.５４万亿元"
    (m,) = find_numbers(text)
    assert text[m.start:m.end] == "６.５４"


@given(st.integers(min_value=0, max_value=99_999_999))
def test_chinese_numerals_round_trip(n):
    assert parse_chinese_numeral(to_chinese(n)) == n


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=99))
def test_thousands_separated_numbers_round_trip(whole, frac):
    text = f"{whole:,}.{frac:02d}"
    assert parse_number(text) == pytest.approx(whole + frac / 100)
    assert decimals_of(text) == 2
