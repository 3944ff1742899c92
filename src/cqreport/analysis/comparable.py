"""One rule for what may be compared or joined: like with like, said once when not.

Everything that compares two figures asks :func:`compare`: the derived changes and
growth rates, the pace of growth, the gap to the national rate, the comparisons the
narrative writes, and the lines a chart draws between points. Two figures may be
compared when

* their **definitions** match: the same concept, currency scope, compiler and coverage
  (:mod:`cqreport.dataset.definitions`; a definition inferred with recorded evidence counts
  as the definition it was inferred to be), and the same measure (kind, period type,
  base unit); a growth-only series (``growth_of``) stands for its level's growth;
* they are about the **same entity**, unless the comparison is across entities (a gap to
  the nation);
* for a comparison of change or growth, the **periods** are the adjacent period of the
  same frequency or the same period a year earlier, never across a skipped year.

When they may not, the :class:`Verdict` says why, and :meth:`Verdict.clause` says it in a
short clause in the report's language (from the glossary).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from ..core.periods import Quarter, shift_years
from ..core.vocab import DEFINITION_FIELDS, UNSTATED, word


@dataclass(frozen=True)
class Verdict:
    """Whether two figures may be compared, and if not, why.

    Attributes:
        ok: True when they may be compared or joined.
        reason: '' when ok; else the first difference: ``concept``, ``measure``, one of
            the definition fields (``currency``, ``compiler``, ``scope``), ``entity``
            or ``period``.
        values: For a definition field, the two values (the first figure's first).
    """

    ok: bool
    reason: str = ""
    values: tuple[str, str] = ("", "")

    def __bool__(self) -> bool:
        return self.ok

    def clause(self, lang: str) -> str:
        """Why not, in a short clause of the report's language ('' when ok).

        >>> Verdict(False, "currency", ("rmb", "unstated")).clause("zh")
        '币种口径不同（人民币；币种未说明）'
        >>> Verdict(False, "period").clause("en")
        'the periods are not adjacent'
        """
        if self.ok:
            return ""
        text = word("unlike", self.reason, lang)
        if self.reason in DEFINITION_FIELDS:
            a, b = (word("definition", f"{self.reason}_{v}", lang) for v in self.values)
            text = text.format(a=a, b=b)
        return text


SAME = Verdict(True)
REASON_ORDER = ("scope", "compiler", "currency")


def definition(row: pd.Series) -> dict[str, str]:
    """What a row measures: concept, definition fields and measure (kind, period type, unit)."""
    out = {"concept": row["concept"], "kind": row["kind"], "period_type": row["period_type"],
           "base_unit": row["base_unit"]}
    out.update({f: row[f] for f in DEFINITION_FIELDS})
    if row.get("growth_of"):
        out["kind"] = "growth"   # a growth-only series stands for its level's growth
    return out


def same_definition(a: pd.Series, b: pd.Series, *, across_entities: bool = False) -> Verdict:
    """Whether two rows measure the same thing (see the module doc).

    A field both rows leave unstated matches only within one metric: two series whose
    currency nobody states are not known to be alike.
    """
    da, db = definition(a), definition(b)
    if da["concept"] != db["concept"]:
        return Verdict(False, "concept")
    measure_a = (da["kind"], da["period_type"], da["base_unit"])
    measure_b = (db["kind"], db["period_type"], db["base_unit"])
    if measure_a != measure_b and "growth" not in (da["kind"], db["kind"]):
        return Verdict(False, "measure")
    for f in REASON_ORDER:   # the telling difference first: coverage, then compiler, then currency
        if da[f] != db[f]:
            return Verdict(False, f, (da[f], db[f]))
    if not across_entities and a["entity_id"] != b["entity_id"]:
        return Verdict(False, "entity")
    if a["metric_id"] != b["metric_id"]:
        for f in DEFINITION_FIELDS:   # unstated in two series: not known to be alike
            if da[f] == UNSTATED:
                return Verdict(False, f, (da[f], db[f]))
    return SAME


def is_quarter_end(day: date) -> bool:
    return day == Quarter.of(day).end


def adjacent_or_year_earlier(later: pd.Series, earlier: pd.Series) -> bool:
    """True when ``earlier`` is the period before ``later`` of the same frequency, or the same
    period a year earlier: the only periods a change or a growth rate is compared with.

    Stocks: the previous quarter-end (for a quarter-end) or the same date a year earlier.
    Flows: the same span a year earlier, or the span of the same length just before.
    """
    ls, le, es, ee = later["start"], later["end"], earlier["start"], earlier["end"]
    if (ls is None) != (es is None):
        return False
    if ls is None:   # stocks
        if ee == shift_years(le, -1):
            return True
        return is_quarter_end(le) and ee == Quarter.of(le).previous().end
    if es == shift_years(ls, -1) and ee == shift_years(le, -1):
        return True
    length = (le - ls).days
    return ee == ls - timedelta(days=1) and abs((ee - es).days - length) <= 3


def compare(a: pd.Series, b: pd.Series, *, across_entities: bool = False,
            periods: bool = False) -> Verdict:
    """May figure ``a`` be compared with (or joined to) ``b``? See the module doc.

    Args:
        a: The later (main) figure.
        b: The figure it is compared with.
        across_entities: A comparison between entities on one definition (a gap to the nation).
        periods: Also require adjacent periods or a year's distance (changes, growth, pace).
    """
    verdict = same_definition(a, b, across_entities=across_entities)
    if verdict and periods and not adjacent_or_year_earlier(a, b):
        return Verdict(False, "period")
    return verdict
