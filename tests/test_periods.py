"""Quarters: parsing, arithmetic, labels."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cqreport.core.periods import Quarter, months_between, parse_quarter
from cqreport.errors import QuarterError


@pytest.mark.parametrize(("text", "q"), [("2026Q1", Quarter(2026, 1)), ("2025q4", Quarter(2025, 4)),
                                          ("2025-Q2", Quarter(2025, 2)), (" 2024Q3 ", Quarter(2024, 3))])
def test_parse_quarter_accepts(text, q):
    assert parse_quarter(text) == q


@pytest.mark.parametrize(("text", "why"), [
    ("2026Q5", "quarter number must be 1 to 4"), ("2026Q0", "quarter number must be 1 to 4"),
    ("26Q1", "year must have four digits"), ("2026", "not of the form YYYYQn"),
    ("Q1 2026", "not of the form YYYYQn"), ("", "not of the form YYYYQn"),
])
def test_parse_quarter_rejects_with_a_reason(text, why):
    with pytest.raises(QuarterError) as err:
        parse_quarter(text)
    assert why in str(err.value)
    assert "expected a label like 2026Q1" in str(err.value)


def test_quarter_dates_and_labels():
    q = Quarter(2025, 2)
    assert (q.start, q.end) == (date(2025, 4, 1), date(2025, 6, 30))
    assert q.label("zh") == "2025年二季度" and q.label("en") == "Q2 2025"


@given(st.integers(min_value=1900, max_value=2200), st.integers(min_value=1, max_value=4))
def test_quarter_round_trips_and_arithmetic(year, n):
    q = Quarter(year, n)
    assert parse_quarter(str(q)) == q
    assert q.next().previous() == q and q.previous().next() == q
    assert q.year_earlier() == Quarter(year - 1, n)
    assert Quarter.of(q.start) == q == Quarter.of(q.end)
    assert months_between(q.start, q.end) == 3
    assert (q.next().start - q.end).days == 1


@given(st.integers(min_value=1000, max_value=9999), st.integers(min_value=5, max_value=99))
def test_out_of_range_quarter_numbers_are_rejected(year, n):
    with pytest.raises(QuarterError, match="quarter number must be 1 to 4"):
        parse_quarter(f"{year}Q{n}")


@given(st.integers(min_value=0, max_value=999), st.integers(min_value=1, max_value=4))
def test_short_years_are_rejected(year, n):
    with pytest.raises(QuarterError, match="four digits"):
        parse_quarter(f"{year}Q{n}")
