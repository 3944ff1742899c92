"""Quarters and report periods.

A report is about one calendar quarter, written ``2026Q1``. Figures belong to
it by their period: stocks dated at the quarter's end, flows that end inside
it. Annual and cumulative figures known by the report's data cut-off are
context.

Examples:
    >>> q = parse_quarter("2026Q1")
    >>> q.start, q.end
    (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    >>> str(q.previous()), str(q.year_earlier())
    ('2025Q4', '2025Q1')
    >>> q.label("zh"), q.label("en")
    ('2026年一季度', 'Q1 2026')
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from ..errors import QuarterError

_QUARTER_RE = re.compile(r"^(\d+)\s*[-_ ]?\s*[Qq](\d+)$")
_ZH_ORDINAL = {1: "一", 2: "二", 3: "三", 4: "四"}


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter.

    Attributes:
        year: Four-digit year.
        q: Quarter number, 1 to 4.
    """

    year: int
    q: int

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def start(self) -> date:
        """First day of the quarter."""
        return date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> date:
        """Last day of the quarter."""
        month = 3 * self.q
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    def previous(self) -> Quarter:
        """The quarter before this one."""
        return Quarter(self.year - 1, 4) if self.q == 1 else Quarter(self.year, self.q - 1)

    def next(self) -> Quarter:
        """The quarter after this one."""
        return Quarter(self.year + 1, 1) if self.q == 4 else Quarter(self.year, self.q + 1)

    def shift(self, quarters: int) -> Quarter:
        """The quarter ``quarters`` later (earlier when negative).

        >>> Quarter(2026, 1).shift(-4), Quarter(2025, 3).shift(2)
        (Quarter(year=2025, q=1), Quarter(year=2026, q=1))
        """
        n = self.year * 4 + self.q - 1 + quarters
        return Quarter(n // 4, n % 4 + 1)

    def year_earlier(self) -> Quarter:
        """The same quarter one year earlier."""
        return Quarter(self.year - 1, self.q)

    def contains(self, day: date) -> bool:
        """True if the day falls in this quarter."""
        return self.start <= day <= self.end

    def label(self, lang: str = "zh") -> str:
        """Human label: 2026年一季度 or Q1 2026."""
        if lang == "zh":
            return f"{self.year}年{_ZH_ORDINAL[self.q]}季度"
        return f"Q{self.q} {self.year}"

    @classmethod
    def of(cls, day: date) -> Quarter:
        """The quarter a day falls in.

        >>> str(Quarter.of(date(2025, 6, 30)))
        '2025Q2'
        """
        return cls(day.year, (day.month - 1) // 3 + 1)


def parse_quarter(text: str) -> Quarter:
    """Parse a quarter label such as ``2026Q1``.

    Args:
        text: The label; ``2026q1`` and ``2026-Q1`` are accepted too.

    Returns:
        The quarter.

    Raises:
        QuarterError: With a message that says what was wrong and what is expected.

    Examples:
        >>> parse_quarter("2025q4")
        Quarter(year=2025, q=4)
        >>> parse_quarter("2026Q5")
        Traceback (most recent call last):
        cqreport.errors.QuarterError: bad quarter '2026Q5': quarter number must be 1 to 4; expected a label like 2026Q1
        >>> parse_quarter("26Q1")
        Traceback (most recent call last):
        cqreport.errors.QuarterError: bad quarter '26Q1': year must have four digits; expected a label like 2026Q1
    """
    raw = str(text)
    m = _QUARTER_RE.match(raw.strip())
    hint = "expected a label like 2026Q1"
    if not m:
        raise QuarterError(f"bad quarter {raw!r}: not of the form YYYYQn; {hint}")
    year_s, q_s = m.groups()
    if len(year_s) != 4:
        raise QuarterError(f"bad quarter {raw!r}: year must have four digits; {hint}")
    q = int(q_s)
    if not 1 <= q <= 4:
        raise QuarterError(f"bad quarter {raw!r}: quarter number must be 1 to 4; {hint}")
    year = int(year_s)
    if year < 1900:
        raise QuarterError(f"bad quarter {raw!r}: year {year} is out of range; {hint}")
    return Quarter(year, q)


def months_between(start: date, end: date) -> int:
    """Whole calendar months covered by a flow from start to end, inclusive.

    >>> months_between(date(2026, 1, 1), date(2026, 3, 31))
    3
    >>> months_between(date(2025, 1, 1), date(2025, 12, 31))
    12
    """
    return (end.year - start.year) * 12 + end.month - start.month + 1


def is_month_end(day: date) -> bool:
    """True on the last day of a month."""
    return day.day == calendar.monthrange(day.year, day.month)[1]


def shift_years(day: date, years: int) -> date:
    """The same calendar day some years away, clamping 29 February.

    >>> shift_years(date(2024, 2, 29), 1)
    datetime.date(2025, 2, 28)
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def require_quarter(quarter: Quarter, have: list[Quarter]) -> Quarter:
    """The quarter, if the data has it.

    Raises:
        QuarterError: Naming the quarters that do have data.

    >>> require_quarter(Quarter(2026, 1), [Quarter(2025, 4), Quarter(2026, 1)])
    Quarter(year=2026, q=1)
    """
    if quarter not in have:
        listed = ", ".join(str(q) for q in sorted(have)) or "none"
        raise QuarterError(f"no report for quarter {quarter} (the data give it too few figures, or none); "
                           f"quarters with a report: {listed}")
    return quarter
