"""Periods in words, in both languages: the one home of period wording.

``period_phrase`` for prose (2026年3月末, end-March 2026; 2026年一季度, Q1 2026),
``period_label`` for the short labels of charts and tables, ``date_text`` for
calendar dates. Month names come from the glossary (:mod:`cqreport.core.vocab`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ..core.periods import Quarter, is_month_end
from .vocab import month_name


def period_phrase(start: date | None, end: date, lang: str, *, period_type: str = "stock",
                  source_date: date | None = None) -> str:
    """The period of a figure in words, with nothing left vague and nothing invented.

    A stock or a cumulative figure is dated (2026年3月末, end-March 2026); a date
    the source did not state, which the curator set to the release date, is said
    to be that (2026年5月9日发布时, the release of 9 May 2026). A flow is a span
    (2026年一季度, Q1 2026, 2025年, January–November 2023).

    Examples:
        >>> period_phrase(None, date(2026, 3, 31), "zh"), period_phrase(None, date(2026, 3, 31), "en")
        ('2026年3月末', 'end-March 2026')
        >>> period_phrase(date(2026, 1, 1), date(2026, 3, 31), "zh", period_type="flow")
        '2026年一季度'
        >>> period_phrase(date(2023, 1, 1), date(2023, 11, 30), "en", period_type="flow")
        'January–November 2023'
        >>> period_phrase(None, date(2026, 5, 9), "zh", source_date=date(2026, 5, 9))
        '2026年5月9日发布时'
        >>> period_phrase(date(2025, 12, 1), date(2025, 12, 31), "zh", period_type="flow")
        '2025年12月'
        >>> period_phrase(date(2024, 10, 1), date(2024, 11, 30), "en", period_type="flow")
        'October–November 2024'
    """
    if start is None or period_type in ("stock",):
        return _date_phrase(end, lang, source_date)
    q = Quarter.of(end)
    if start == date(end.year, 1, 1) and end == date(end.year, 12, 31):
        return f"{end.year}年" if lang == "zh" else f"{end.year}"
    if start.day == 1 and (start.month - 1) % 3 == 0 and end == q.end and Quarter.of(start) == q:
        return q.label(lang)
    if start == date(end.year, 1, 1) and is_month_end(end):
        if end.month == 6:
            return f"{end.year}年上半年" if lang == "zh" else f"H1 {end.year}"
        if end.month == 9:
            return f"{end.year}年前三季度" if lang == "zh" else f"Q1–Q3 {end.year}"
        if lang == "zh":
            return f"{end.year}年1—{end.month}月"
        return f"January–{month_name(end.month)} {end.year}"
    if start.month == 1 and start.day == 1 and end.month == 12 and end.day == 31:
        return f"{start.year}—{end.year}年" if lang == "zh" else f"{start.year}–{end.year}"
    if start.day == 1 and is_month_end(end) and start.year == end.year:   # whole months of one year
        if start.month == end.month:
            return f"{end.year}年{end.month}月" if lang == "zh" else f"{month_name(end.month)} {end.year}"
        if lang == "zh":
            return f"{end.year}年{start.month}—{end.month}月"
        return f"{month_name(start.month)}–{month_name(end.month)} {end.year}"
    to = _date_phrase(end, lang, source_date)
    if start.day != 1:  # a change between two dates: from one stock to another
        return f"{_date_phrase(start, lang)}至{to}" if lang == "zh" \
            else f"{_date_phrase(start, lang)} to {to}"
    if lang == "zh":
        rest = to[len(f"{end.year}年"):]
        if start.year == end.year and rest[:1].isdigit():
            return f"{start.year}年{start.month}月至{rest}"
        return f"{start.year}年{start.month}月至{to}"
    if start.year == end.year and not to.startswith(("end-2", "the release")):
        return f"{month_name(start.month)} to {to}"
    return f"{month_name(start.month)} {start.year} to {to}"


def _date_phrase(day: date, lang: str, source_date: date | None = None) -> str:
    if source_date is not None and day == source_date:
        # the source stated no date: the curator dated the figure to its release
        if lang == "zh":
            return f"{day.year}年{day.month}月{day.day}日发布时"
        return f"the release of {day.day} {month_name(day.month)} {day.year}"
    if is_month_end(day):
        if lang == "zh":
            return f"{day.year}年末" if day.month == 12 else f"{day.year}年{day.month}月末"
        return f"end-{day.year}" if day.month == 12 else f"end-{month_name(day.month)} {day.year}"
    if day.day == 15:  # the curators' convention for 中旬 / mid-month
        if lang == "zh":
            return f"{day.year}年{day.month}月中旬"
        return f"mid-{month_name(day.month)} {day.year}"
    return date_text(day, lang)


def date_text(day: date, lang: str) -> str:
    """A calendar date: 2026年5月22日 / 22 May 2026.

    >>> date_text(date(2026, 5, 22), "zh"), date_text(date(2026, 5, 22), "en")
    ('2026年5月22日', '22 May 2026')
    """
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {month_name(day.month)} {day.year}"


def period_label(row: Mapping[str, Any], lang: str) -> str:
    """A short period label for a chart: 2025年, 2023年1–11月, 2025年3月末; 2025, Jan–Nov 2023.

    >>> r = {"start": date(2023, 1, 1), "end": date(2023, 11, 30), "period_type": "flow"}
    >>> period_label(r, "zh"), period_label(r, "en")
    ('2023年1–11月', 'Jan–Nov 2023')
    >>> r = {"start": None, "end": date(2026, 3, 31), "period_type": "stock"}
    >>> period_label(r, "zh"), period_label(r, "en")
    ('2026年3月末', 'end-Mar 2026')
    """
    start, end = row["start"], row["end"]
    if row["period_type"] == "stock" or start is None:
        if row["period_type"] == "stock":
            if lang == "zh":
                return f"{end.year}年{end.month}月末"
            return f"end-{month_name(end.month, abbr=True)} {end.year}"
        return f"截至{end.year}年{end.month}月" if lang == "zh" else f"to {month_name(end.month, abbr=True)} {end.year}"
    full_years = start.month == 1 and start.day == 1 and end.month == 12 and end.day == 31
    if full_years:
        if start.year == end.year:
            return f"{end.year}年" if lang == "zh" else f"{end.year}"
        return f"{start.year}–{end.year}年" if lang == "zh" else f"{start.year}–{end.year}"
    if start.year == end.year:
        if start.month == end.month:
            return f"{end.year}年{end.month}月" if lang == "zh" else f"{month_name(end.month, abbr=True)} {end.year}"
        if lang == "zh":
            return f"{end.year}年{start.month}–{end.month}月"
        return f"{month_name(start.month, abbr=True)}–{month_name(end.month, abbr=True)} {end.year}"
    if lang == "zh":
        return f"{start.year}年{start.month}月–{end.year}年{end.month}月"
    return f"{month_name(start.month, abbr=True)} {start.year}–{month_name(end.month, abbr=True)} {end.year}"
