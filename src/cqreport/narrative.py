"""The report's prose, written from the curated data, with a ledger of every number in it.

:func:`write_narrative` turns a :class:`~cqreport.select.QuarterData` into a
:class:`Narrative`: HTML fragments (title, key points, headline table, one
section per theme, appendix) in Chinese or English. The wording lives in
``templates/narrative_<lang>.j2`` (Jinja2, one file per language, editable by a
non-programmer); the numbers come only from here and :mod:`cqreport.fmt`.

How the numbers get in, and why they can be trusted:

* A template never formats a number. It prints objects prepared here
  (``f.value``, ``f.yoy``, ``d.value``…); printing one writes the figure with
  :mod:`cqreport.fmt` and records it in the ledger: value, unit, qualifier, the
  text as written, and the ``obs_id`` or ``derived_id`` it came from.
* ``f.ref`` prints a footnote mark ``<sup class="cq-ref"><a href="#ref-3">[3]</a></sup>``
  that points to the appendix entry of the observation or derived figure.
* Text from the data (quotes, names, titles, notes, period labels) is escaped
  and listed in ``Narrative.verbatim``, so the audit can set it aside.

:mod:`cqreport.audit` then reads the rendered text back and checks every number
against the ledger, and every ledger entry against the data.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd
from markupsafe import Markup, escape

from . import paths
from .fmt import (
    EN_NOUNS,
    format_amount,
    format_change,
    format_pp,
    format_rank,
    format_streak,
    format_yoy,
    format_yoy_diff,
    is_missing,
    parse_rank,
    scan_figures,
    zh_unit_for,
)
from .periods import Quarter, is_month_end, parse_quarter
from .vocab import UNITS

if TYPE_CHECKING:
    from .derive import Derived
    from .select import QuarterData

TOPICS = ("credit", "cross_border", "auto", "corridor")
LANGS = ("zh", "en")
# the notebook hands its narrative's record to the build under this media type
RECORD_MIMETYPE = "application/vnd.cqreport.narrative+json"
MAX_KEY_POINTS = 5
MIN_KEY_POINTS = 3
MAX_CONTEXT_SENTENCES = 4
MAX_COMPANIONS = 4
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
_NOT_COMPARABLE = re.compile(r"not comparable with ([a-z][a-z0-9_]*)")


# ============================================================================ results
@dataclass(frozen=True)
class LedgerEntry:
    """One number as written in the narrative.

    Attributes:
        n: Position in the ledger (0-based).
        text: The figure as written (同比增长6.8%, about RMB 230 billion).
        value: The number as written, signed (-0.2 for 同比下降0.2%).
        unit: The unit as written (万亿元, trillion yuan, %, 个百分点, 个月, rank).
        qualifier: The qualifier word written ('' if none).
        bound: exact, approx, lower or upper: what the written text claims.
        source_ref: obs_id or derived_id it came from.
        kind: "observation" or "derived".
        field: Which field of the observation (value, yoy_pct, yoy_diff, vs_national_pp,
            streak_months, rank, prior_value) or "value" for a derived figure.
        decimals: Decimals it was rounded to (may be negative: 430 from 433.8 is -1).
        where: The fragment it stands in (key_points, credit, appendix…).
        ref: Footnote number of its appendix entry (0 when none).
    """

    n: int
    text: str
    value: float
    unit: str
    qualifier: str
    bound: str
    source_ref: str
    kind: str
    field: str
    decimals: int
    where: str
    ref: int


@dataclass(frozen=True)
class Reference:
    """An appendix entry a footnote mark points to."""

    n: int
    ref_id: str
    kind: str  # observation | derived


@dataclass
class Narrative:
    """A quarter's narrative in one language.

    Attributes:
        quarter: The report's quarter.
        lang: "zh" or "en".
        title_html: Title block: quarter, data cut-off, sources cited.
        key_points_html: 核心要点 / Key points, 3 to 5 bullets.
        headline_table_html: The quarter's headline figures with YoY, qualifiers and refs.
        sections: Topic -> section HTML (heading and paragraphs).
        appendix_html: Every figure cited, with source, quote, inputs and method.
        ledger: Every number written in the fragments above.
        verbatim: Every string from the data that the fragments contain (quotes, titles…).
        verbatim_inline: Those of them used inside sentences (names); the others stand
            between delimiters (“…”, 《…》, （…）).
        references: The appendix entries, in footnote order.
        data_dir: The data folder the figures came from.
        data_hash: The data's content hash at writing time.
    """

    quarter: Quarter
    lang: str
    title_html: str
    key_points_html: str
    headline_table_html: str
    sections: dict[str, str]
    appendix_html: str
    ledger: list[LedgerEntry]
    verbatim: list[str]
    references: list[Reference]
    verbatim_inline: list[str] = field(default_factory=list)
    data_dir: Path | None = None
    data_hash: str = ""

    def section_html(self, topic: str) -> str:
        """The section of one theme: credit, cross_border, auto or corridor.

        Raises:
            KeyError: For an unknown topic.
        """
        if topic not in self.sections:
            raise KeyError(f"unknown topic {topic!r}; expected one of {', '.join(TOPICS)}")
        return self.sections[topic]

    @property
    def fragments(self) -> dict[str, str]:
        """Every fragment by name, in reading order."""
        return {"title": self.title_html, "key_points": self.key_points_html,
                "headline_table": self.headline_table_html,
                **{t: self.sections[t] for t in TOPICS}, "appendix": self.appendix_html}

    @property
    def html(self) -> str:
        """All fragments in reading order, as one HTML string."""
        return "\n".join(self.fragments.values())

    def _repr_html_(self) -> str:
        return self.html

    def to_record(self) -> dict[str, Any]:
        """What the numbers audit needs, as plain JSON: quarter, language, ledger, references,
        verbatim text and the data the figures came from (the HTML is in the report itself)."""
        return {"quarter": str(self.quarter), "lang": self.lang,
                "ledger": [asdict(e) for e in self.ledger],
                "references": [asdict(r) for r in self.references],
                "verbatim": list(self.verbatim), "verbatim_inline": list(self.verbatim_inline),
                "data_dir": str(self.data_dir) if self.data_dir else None, "data_hash": self.data_hash}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Narrative:
        """A narrative rebuilt from :meth:`to_record`, without its HTML fragments."""
        return cls(quarter=parse_quarter(record["quarter"]), lang=record["lang"], title_html="",
                   key_points_html="", headline_table_html="", sections=dict.fromkeys(TOPICS, ""),
                   appendix_html="", ledger=[LedgerEntry(**e) for e in record["ledger"]],
                   verbatim=list(record["verbatim"]),
                   references=[Reference(**r) for r in record["references"]],
                   verbatim_inline=list(record["verbatim_inline"]),
                   data_dir=Path(record["data_dir"]) if record.get("data_dir") else None,
                   data_hash=record.get("data_hash", ""))

    def record(self) -> NarrativeRecord:
        """The record as a notebook output: a one-line summary to read, the JSON for the build."""
        return NarrativeRecord(self.to_record())


class NarrativeRecord:
    """Displays as a one-line summary; carries the record under ``RECORD_MIMETYPE``.

    The report build reads it from the executed notebook, so that the audit checks the
    ledger of the narrative the notebook actually wrote.
    """

    def __init__(self, record: dict[str, Any]):
        self.data = record

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        summary = (f"narrative record {self.data['quarter']}/{self.data['lang']}: "
                   f"{len(self.data['ledger'])} numbers, {len(self.data['references'])} references")
        return {RECORD_MIMETYPE: self.data, "text/plain": summary}


# ============================================================================ helpers
def _clean(value: Any) -> str:
    """A data cell as text ('' for missing)."""
    if is_missing(value):
        return ""
    return str(value)


def _round(value: float, decimals: int, bound: str) -> float:
    """Round a derived figure; one-sided bounds round the safe way (超 down, 近 up)."""
    mode = {"lower": ROUND_FLOOR, "upper": ROUND_CEILING}.get(bound, ROUND_HALF_UP)
    q = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=mode)
    return float(q)


def significant_decimals(value: float, significant: int) -> int:
    """Decimals (negative for tens, hundreds) that keep some significant digits.

    >>> significant_decimals(433.8, 2), significant_decimals(6.1236, 3), significant_decimals(0, 2)
    (-1, 2, 0)
    """
    if value == 0 or is_missing(value):
        return 0
    return significant - 1 - math.floor(math.log10(abs(value)))


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
        return f"January–{_MONTHS_EN[end.month - 1]} {end.year}"
    if start.month == 1 and start.day == 1 and end.month == 12 and end.day == 31:
        return f"{start.year}—{end.year}年" if lang == "zh" else f"{start.year}–{end.year}"
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
        return f"{_MONTHS_EN[start.month - 1]} to {to}"
    return f"{_MONTHS_EN[start.month - 1]} {start.year} to {to}"


def _date_phrase(day: date, lang: str, source_date: date | None = None) -> str:
    if source_date is not None and day == source_date:
        # the source stated no date: the curator dated the figure to its release
        if lang == "zh":
            return f"{day.year}年{day.month}月{day.day}日发布时"
        return f"the release of {day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    if is_month_end(day):
        if lang == "zh":
            return f"{day.year}年末" if day.month == 12 else f"{day.year}年{day.month}月末"
        return f"end-{day.year}" if day.month == 12 else f"end-{_MONTHS_EN[day.month - 1]} {day.year}"
    if day.day == 15:  # the curators' convention for 中旬 / mid-month
        if lang == "zh":
            return f"{day.year}年{day.month}月中旬"
        return f"mid-{_MONTHS_EN[day.month - 1]} {day.year}"
    return date_text(day, lang)


def date_text(day: date, lang: str) -> str:
    """A calendar date: 2026年5月22日 / 22 May 2026.

    >>> date_text(date(2026, 5, 22), "zh"), date_text(date(2026, 5, 22), "en")
    ('2026年5月22日', '22 May 2026')
    """
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


# ============================================================================ writer
class _Num:
    """A figure ready to print. Printing it writes it into the ledger."""

    def __init__(self, writer: _Writer, text: str, source_ref: str, kind: str, fld: str,
                 qualifier: str, decimals: int, dec_unit: str = ""):
        self._w, self.text, self.source_ref = writer, text, source_ref
        self.kind, self.field, self.qualifier, self.decimals = kind, fld, qualifier, decimals
        self.dec_unit = dec_unit  # the unit the decimals count in

    def __html__(self) -> str:
        self._w.record(self)
        return str(escape(self.text))

    __str__ = __html__

    def __bool__(self) -> bool:
        return bool(self.text)


class _Joined:
    """Several figures printed together; each is ledgered when printed, not when tested."""

    def __init__(self, nums: list[_Num], sep: str):
        self.nums, self.sep = nums, sep

    def __html__(self) -> str:
        return self.sep.join(n.__html__() for n in self.nums)

    __str__ = __html__

    def __bool__(self) -> bool:
        return bool(self.nums)


class _Writer:
    """Holds the ledger, the references and the verbatim strings while a narrative is written."""

    def __init__(self, qd: QuarterData, lang: str):
        self.qd, self.ds, self.lang = qd, qd.dataset, lang
        self.ledger: list[LedgerEntry] = []
        self.refs: list[Reference] = []
        self.ref_n: dict[str, int] = {}
        self.verbatim: list[str] = []
        self.inline: set[str] = set()
        self.where = ""
        self.derived: dict[str, Derived] = {}
        for d in [*qd.derived, *self.ds.derived()]:
            self.derived.setdefault(d.derived_id, d)
        self._facts: dict[str, Fact] = {}

    # ------------------------------------------------------------- ledger
    def record(self, num: _Num) -> None:
        figs = scan_figures(num.text)
        if len(figs) > 1:
            raise ValueError(f"a figure must be one number, got {num.text!r}")
        for fig in figs:
            unit = fig.unit or ""
            value = fig.value
            if unit in UNITS and not math.isclose(value * UNITS[unit].factor, fig.value_base, rel_tol=1e-9):
                # 增长1.1倍 is written 1.1 but means +110%: record what the text means, not the digits
                value = fig.value_base / UNITS[unit].factor
            dec = num.decimals
            if num.dec_unit in UNITS and unit in UNITS:
                dec -= round(math.log10(UNITS[num.dec_unit].factor / UNITS[unit].factor))
            self.ledger.append(LedgerEntry(
                n=len(self.ledger), text=num.text, value=value, unit=unit,
                qualifier=num.qualifier, bound=fig.bound, source_ref=num.source_ref,
                kind=num.kind, field=num.field, decimals=dec, where=self.where,
                ref=self.ref_n.get(num.source_ref, 0)))

    def mark(self, ref_id: str, kind: str) -> Markup:
        if ref_id not in self.ref_n:
            n = len(self.refs) + 1
            self.ref_n[ref_id] = n
            self.refs.append(Reference(n, ref_id, kind))
        n = self.ref_n[ref_id]
        return Markup(f'<sup class="cq-ref"><a href="#ref-{n}">[{n}]</a></sup>')

    def text(self, value: Any, *, inline: bool = False) -> Markup:
        """Data text, escaped and remembered as verbatim.

        ``inline`` marks short names used inside sentences; other data text (quotes,
        titles, notes, period labels) is always printed between delimiters (“…”, 《…》,
        （…）), which is where the audit looks for it.
        """
        s = _clean(value).strip()
        if s:
            self.verbatim.append(s)
            if inline:
                self.inline.add(s)
        return escape(s)

    # ------------------------------------------------------------- facts
    def fact(self, row: pd.Series | None) -> Fact | None:
        if row is None:
            return None
        oid = row["obs_id"]
        if oid not in self._facts:
            self._facts[oid] = Fact(self, row)
        return self._facts[oid]

    def fact_by_id(self, oid: str) -> Fact:
        return self.fact(self.ds.observation(oid))  # type: ignore[return-value]

    def derived_fact(self, d: Derived | None, *, for_text: bool = False) -> DerivedFact | None:
        if d is None:
            return None
        df = DerivedFact(self, d)
        return None if for_text and df.too_uncertain else df


class Fact:
    """One observation, as the templates see it.

    Attributes a template can print (each number is ledgered when printed):
    ``value``, ``yoy``, ``yoy_diff``, ``pp``, ``streak``, ``rank``, ``prior``,
    ``reported`` (value exactly as the source wrote it), and ``ref`` (footnote mark).
    Words: ``name``, ``entity``, ``subject``, ``when``, ``period_label``,
    ``prior_label``, ``quote``, ``note``, ``source_title``... (escaped data text).
    Relations: ``year_earlier``, ``prev_quarter``, ``implied``, ``change_year``,
    ``change_prev``, ``yoy_derived``, ``share``, ``variants``, ``unlike_year_earlier``.
    """

    def __init__(self, w: _Writer, row: pd.Series):
        self._w, self.row = w, row
        self.obs_id: str = row["obs_id"]
        self.metric_id: str = row["metric_id"]
        self.entity_id: str = row["entity_id"]
        self.kind: str = row["kind"]
        self.period_type: str = row["period_type"]
        self.priority: int = int(row["priority"])
        self.topic: str = row["topic"]
        self.start: date | None = row["start"]
        self.end: date = row["end"]
        self.source_id: str = row["source_id"]
        self.is_core: bool = bool((w.qd.figures["obs_id"] == self.obs_id).any())
        self.derived_only = False
        self.companion_list: list[Fact] = []

    # ------------------------------------------------------------- words
    @property
    def lang(self) -> str:
        return self._w.lang

    def _metric(self, col: str) -> str:
        return self._w.ds.metrics.loc[self.metric_id, col]

    @property
    def name(self) -> Markup:
        """The metric's name from the catalogue."""
        return self._w.text(self._metric(f"name_{self.lang}"), inline=True)

    @property
    def entity(self) -> Markup:
        """The entity's name ('' for the municipality)."""
        if self.entity_id == "chongqing":
            return Markup("")
        return self._w.text(self._w.ds.entities.loc[self.entity_id, f"name_{self.lang}"],
                            inline=True)

    @property
    def entity_in_name(self) -> bool:
        """True when the metric's name already says who (金联体成员数量 for the alliance)."""
        ent = _clean(self._w.ds.entities.loc[self.entity_id, "name_zh"])
        name = _clean(self._metric("name_zh"))
        ent = re.sub(r"（.*?）|\(.*?\)", "", ent)
        if len(ent) <= 4:
            return ent[:2] in name
        return any(ent[i:i + 4] in name for i in range(len(ent) - 3))

    @property
    def when(self) -> str:
        """The period in words (2026年3月末, Q1 2026)."""
        return period_phrase(self.start, self.end, self.lang, period_type=self.period_type,
                             source_date=self.row["source_date"])

    @property
    def is_stock(self) -> bool:
        """True for a figure at a date (a balance, a count at a date, a cumulative total)."""
        return self.period_type in ("stock", "cumulative") and self.start is None

    @property
    def period_label(self) -> Markup:
        """The period as the source worded it."""
        return self._w.text(self.row["period_label"])

    @property
    def quote(self) -> Markup:
        return self._w.text(self.row["quote"])

    @property
    def note(self) -> Markup:
        return self._w.text(self.row["note"])

    @property
    def caution(self) -> Markup:
        """The curator's reason not to rely on this figure ('' when none)."""
        return self._w.text(self.row["caution"])

    @property
    def prior_label(self) -> Markup:
        return self._w.text(self.row["prior_label"], inline=True)

    @property
    def source(self) -> pd.Series:
        return self._w.ds.sources.loc[self.source_id]

    @property
    def source_title(self) -> Markup:
        return self._w.text(self.source["title"])

    @property
    def source_publisher(self) -> Markup:
        return self._w.text(self.source["publisher"])

    @property
    def source_date(self) -> str:
        return date_text(self.source["date"], self.lang)

    @property
    def source_reliability(self) -> str:
        return str(self.source["reliability"])

    @property
    def source_url(self) -> str:
        url = _clean(self.source["url"])
        return url if url.startswith(("http://", "https://")) else ""

    @property
    def is_derived(self) -> bool:
        return False

    # ------------------------------------------------------------- numbers
    def _num(self, text: str, fld: str, qualifier: str = "", decimals: int | None = None) -> _Num:
        dec = int(self.row["decimals"]) if decimals is None else decimals
        unit = self.row["unit"] if fld in ("value", "prior_value", "yoy_diff") else ""
        return _Num(self._w, text, self.obs_id, "observation", fld, qualifier, dec, unit)

    def _noun(self) -> str | None:
        """English noun for a count, taken from the series' English name (firms, outlets)."""
        base = UNITS[self.row["unit"]].base
        if base not in ("entities", "items", "events"):
            return None
        words = re.findall(r"[a-z]+", _clean(self._metric("name_en")).lower())
        for w in words:
            if w in EN_NOUNS and EN_NOUNS[w] == base:
                return w
        unit = self.row["unit"]
        return unit.split(" ")[-1] if UNITS[unit].lang == "en" else None

    @property
    def value(self) -> _Num:
        """The figure, in the writing's language, with its qualifier."""
        r = self.row
        text = format_amount(r["value"], r["unit"], _clean(r["qualifier"]), self.lang,
                             decimals=int(r["decimals"]), noun=self._noun())
        return self._num(text, "value", _clean(r["qualifier"]))

    @property
    def reported(self) -> _Num:
        """The figure exactly as the source wrote it (unit and qualifier words included)."""
        r = self.row
        unit, q = r["unit"], _clean(r["qualifier"])
        if UNITS[unit].lang == "zh":
            text = format_amount(r["value"], unit, q, "zh", decimals=int(r["decimals"]))
        else:
            num = f"{float(r['value']):,.{int(r['decimals'])}f}"
            text = f"{q + ' ' if q else ''}{num} {unit}"
        return self._num(text, "value", q)

    def _yoy_decimals(self) -> int | None:
        d = self.row.get("yoy_decimals")
        return None if is_missing(d) else int(d)

    @property
    def yoy(self) -> _Num | None:
        """The reported year-on-year growth (同比增长6.8%, 翻番), or None if not reported."""
        pct = self.row["yoy_pct"]
        if is_missing(pct):
            return None
        wording = _clean(self.row["yoy_wording"])
        text = format_yoy(pct, self.lang, wording=wording, decimals=self._yoy_decimals())
        return self._num(text, "yoy_pct", decimals=self._yoy_decimals() or 0)

    @property
    def yoy_diff(self) -> _Num | None:
        """The reported year-on-year difference of a flow (同比多增532.3亿元)."""
        diff = self.row["yoy_diff"]
        if is_missing(diff):
            return None
        dd = self.row.get("yoy_diff_decimals")
        dec = None if is_missing(dd) else int(dd)
        if self.kind in ("flow", "cumulative"):
            text = format_yoy_diff(diff, self.row["unit"], self.lang, decimals=dec)
        else:
            text = format_change(diff, self.row["unit"], self.lang, decimals=dec, basis="yoy")
        return self._num(text, "yoy_diff", decimals=dec or 0)

    @property
    def pp(self) -> _Num | None:
        """The growth gap to the national rate (高于全国0.5个百分点)."""
        pp = self.row["vs_national_pp"]
        if is_missing(pp):
            return None
        return self._num(format_pp(pp, self.lang), "vs_national_pp")

    @property
    def streak(self) -> _Num | None:
        """Consecutive months above the national average (连续13个月)."""
        s = self.row["streak_months"]
        if is_missing(s):
            return None
        return self._num(format_streak(int(s), self.lang), "streak_months", decimals=0)

    @property
    def ranks(self) -> list[_Num]:
        """The reported standings (居中西部第一), as understood from the rank wording."""
        text = _clean(self.row["rank"])
        out = []
        for r in parse_rank(text):
            written = format_rank(r, self.lang)
            if self.lang == "zh" and r.position == 1 and "首位" in r.text:
                written = f"居{r.region}首位"  # keep the source's word
            out.append(self._num(written, "rank", decimals=0))
        return out

    @property
    def rank(self) -> _Joined | None:
        """The standings joined (居中西部首位、全国前列), or None."""
        ranks = self.ranks
        if not ranks:
            return None
        return _Joined(ranks, "、" if self.lang == "zh" else " and ")

    @property
    def prior(self) -> _Num | None:
        """An earlier value stated in the same sentence (从16%跃升至46%: 16%)."""
        v = self.row["prior_value"]
        if is_missing(v):
            return None
        r = self.row
        text = format_amount(v, r["unit"], "", self.lang, noun=self._noun())
        return self._num(text, "prior_value", decimals=0)

    @property
    def ref(self) -> Markup:
        """Footnote mark pointing to this observation's appendix entry."""
        return self._w.mark(self.obs_id, "observation")

    # ------------------------------------------------------------- relations
    @property
    def year_earlier(self) -> Fact | None:
        """The same series a year earlier, if released."""
        from .derive import year_earlier
        return self._w.fact(year_earlier(self._w.ds, self.row))

    @property
    def prev_quarter(self) -> Fact | None:
        """For a stock at a quarter end: the same series at the previous quarter end."""
        from .derive import previous_quarter
        return self._w.fact(previous_quarter(self._w.ds, self.row))

    @property
    def prev_quarter_missing(self) -> str:
        """The previous quarter end in words, when this is a quarter-end stock without it."""
        if self.period_type != "stock" or self.prev_quarter is not None:
            return ""
        q = Quarter.of(self.end)
        if self.end != q.end:
            return ""
        return period_phrase(None, q.previous().end, self.lang)

    def _derived(self, method: str, other: str | None = None) -> DerivedFact | None:
        for d in self._w.derived.values():
            if d.inputs[0] == self.obs_id and d.method == method and (
                    other is None or (len(d.inputs) > 1 and d.inputs[1] == other)):
                return self._w.derived_fact(d, for_text=True)
        return None

    @property
    def implied(self) -> DerivedFact | None:
        """The figure a year earlier implied by the reported growth (when none was released)."""
        if self.year_earlier is not None:
            return None
        return self._derived("implied_base")

    @property
    def change_year(self) -> DerivedFact | None:
        """Change against the same series a year earlier: a stock's increment or a flow's YoY difference."""
        ye = self.year_earlier
        if ye is None:
            return None
        if self.period_type == "stock":
            return self._derived("increment", ye.obs_id)
        if is_missing(self.row["yoy_diff"]):
            return self._derived("yoy_diff", ye.obs_id)
        return None

    @property
    def yoy_derived(self) -> DerivedFact | None:
        """YoY growth computed from the year-earlier figure, when the source gave none."""
        if not is_missing(self.row["yoy_pct"]) or self.year_earlier is None:
            return None
        return self._derived("yoy_pct", self.year_earlier.obs_id)

    @property
    def change_prev(self) -> DerivedFact | None:
        """Change of a stock since the latest earlier figure of the same series (not a year ago)."""
        from .derive import previous_stock
        prev = previous_stock(self._w.ds, self.row)
        ye = self.year_earlier
        if prev is None or (ye is not None and prev["obs_id"] == ye.obs_id):
            return None
        return self._derived("increment", prev["obs_id"])

    @property
    def share(self) -> DerivedFact | None:
        """The figure as a share of its whole (汽车出口额 of 出口总额)."""
        return self._derived("share")

    @property
    def whole(self) -> Fact | None:
        d = self.share
        return None if d is None else d.inputs[1]

    @property
    def consistent_with_growth(self) -> bool:
        """True when the year-earlier figure agrees, within rounding, with the one this growth implies."""
        ye = self.year_earlier
        if ye is None:
            return False
        return any(c.implied_by == self.obs_id and c.reported_id == ye.obs_id and c.agrees
                   for c in self._w.qd.checks)

    @property
    def unlike_year_earlier(self) -> list[Fact]:
        """Figures a year earlier of a series this one must not be compared with (other definition)."""
        if self.year_earlier is not None:
            return []
        ds = self._w.ds
        others = set(_NOT_COMPARABLE.findall(_clean(self._metric("definition"))))
        for mid, definition in ds.metrics["definition"].items():
            if self.metric_id in _NOT_COMPARABLE.findall(_clean(definition)):
                others.add(mid)
        out = []
        from .periods import shift_years
        end = shift_years(self.end, -1)
        o = ds.observations
        for mid in sorted(others):
            hit = o[(o["metric_id"] == mid) & (o["entity_id"] == self.entity_id)
                    & (o["end"] == end) & o["preferred"]]
            out += [self._w.fact(r) for _, r in hit.iterrows()]
        return out

    @property
    def unlike(self) -> list[str]:
        """Names of series this one is not comparable with (from the catalogue's definitions)."""
        return sorted(set(_NOT_COMPARABLE.findall(_clean(self._metric("definition")))))

    @property
    def variants(self) -> list[Fact]:
        """Other sources' rows for the same figure, not used in the text."""
        o = self._w.ds.observations
        fig = self.row["figure"]
        rows = o[(o["figure"] == fig) & (o["obs_id"] != self.obs_id)]
        return [self._w.fact(r) for _, r in rows.iterrows()]

    @property
    def companions(self) -> list[Fact]:
        """Minor figures of the same entity from the same source and topic (listed in one sentence)."""
        return self._w_companions()

    def _w_companions(self) -> list[Fact]:
        qd = self._w.qd
        rows = pd.concat([qd.figures, qd.context])
        sel = rows[(rows["entity_id"] == self.entity_id) & (rows["source_id"] == self.source_id)
                   & (rows["topic"] == self.topic) & (rows["priority"] == 3)
                   & (rows["obs_id"] != self.obs_id)]
        return [self._w.fact(r) for _, r in sel.iterrows()][:MAX_COMPANIONS]


class DerivedFact:
    """A derived figure, as the templates see it: ``value``, ``ref``, ``method``, ``inputs``."""

    def __init__(self, w: _Writer, d: Derived):
        self._w, self.d = w, d
        self.derived_id = d.derived_id
        self.method = d.method
        self.metric_id = d.metric_id

    @property
    def is_derived(self) -> bool:
        return True

    @property
    def is_stock(self) -> bool:
        """True for a figure at a date (not over a span)."""
        return self.d.start is None

    @property
    def inputs(self) -> list[Fact]:
        return [self._w.fact_by_id(i) for i in self.d.inputs]

    @property
    def when(self) -> str:
        d = self.d
        ptype = "flow" if d.start is not None else "stock"
        return period_phrase(d.start, d.end, self._w.lang, period_type=ptype)

    @property
    def name(self) -> Markup:
        return self._w.text(self._w.ds.metrics.loc[self.metric_id, f"name_{self._w.lang}"],
                            inline=True)

    @property
    def ref(self) -> Markup:
        return self._w.mark(self.derived_id, "derived")

    @property
    def bound(self) -> str:
        return self.d.bound

    def _written(self) -> tuple[float, str, int, str]:
        """Value, unit, decimals and qualifier word to write this figure with.

        The library's decimals are kept, made coarser (to tens or hundreds if need
        be) when the range the inputs allow is wider than the last digit.
        """
        d, lang = self.d, self._w.lang
        unit = d.unit
        u = UNITS[unit]
        value, low, high = float(d.value), float(d.low), float(d.high)
        dec = int(d.decimals)
        # coarser only for a two-sided range; a bound (超, 近) keeps the library's precision
        half = max(abs(value - low), abs(value - high)) \
            if math.isfinite(low) and math.isfinite(high) else 0.0
        if half > 0:
            dec = min(dec, math.floor(-math.log10(half)))
        if u.base not in ("percent", "pp") and lang == "zh":
            new = zh_unit_for(d.value_base, u.base)
            if new in UNITS and new != unit:
                shift = round(math.log10(UNITS[new].factor / u.factor))
                value, dec, unit = d.value_base / UNITS[new].factor, dec + shift, new
        if lang == "zh":
            word = {"exact": "约", "approx": "约", "lower": "超", "upper": "近"}[d.bound]
        else:
            word = {"exact": "", "approx": "about", "lower": "over", "upper": "nearly"}[d.bound]
        return _round(value, dec, d.bound), unit, dec, word

    @property
    def too_uncertain(self) -> bool:
        """True when the range the inputs allow is so wide the figure says little (±30 %)."""
        d = self.d
        sides = [abs(float(d.value) - x) for x in (d.low, d.high) if math.isfinite(x)]
        return bool(sides) and max(sides) > 0.3 * abs(float(d.value))

    def _num(self, text: str, word: str, dec: int, unit: str) -> _Num:
        return _Num(self._w, text, self.derived_id, "derived", "value", word, dec, unit)

    @property
    def value(self) -> _Num:
        """The figure: an amount (推算约6.12万亿元), a change, a YoY difference or a rate."""
        value, unit, dec, word = self._written()
        lang = self._w.lang
        m = self.method
        if m in ("yoy_pct", "qoq_pct"):
            text = format_yoy(value, lang, decimals=max(dec, 0), basis="")
            text = _with_qualifier(text, word, lang)
        elif m == "yoy_diff":
            text = format_yoy_diff(value, unit, lang, qualifier=word, decimals=max(dec, 0))
        elif m == "increment":
            text = format_change(value, unit, lang, qualifier=word, decimals=max(dec, 0), basis="")
        else:
            text = format_amount(value, unit, word, lang, decimals=max(dec, 0))
        return self._num(text, word, dec, unit)


def _with_qualifier(text: str, word: str, lang: str) -> str:
    """Put a qualifier before the number of a growth phrase (下降约16%, down about 16%)."""
    if not word:
        return text
    m = re.search(r"\d", text)
    if m is None:
        return text
    sep = "" if lang == "zh" else " "
    return text[:m.start()] + word + sep + text[m.start():]


# ============================================================================ selection
def _metric_order(ds) -> dict[str, int]:
    return {m: i for i, m in enumerate(ds.metrics.index)}


def _sorted_facts(w: _Writer, frame: pd.DataFrame, *, recent_first: bool = False) -> list[Fact]:
    order = _metric_order(w.ds)
    rows = [r for _, r in frame.iterrows()]
    if recent_first:
        rows.sort(key=lambda r: (int(r["priority"]), -r["end"].toordinal(), order[r["metric_id"]]))
    else:
        rows.sort(key=lambda r: (int(r["priority"]), order[r["metric_id"]], r["entity_id"]))
    return [w.fact(r) for r in rows]  # type: ignore[misc]


def _topic_view(w: _Writer, topic: str) -> dict[str, Any]:
    qd = w.qd
    # priority-3 figures are mentioned only beside a main figure of the same release
    core = [f for f in _sorted_facts(w, qd.figures[qd.figures["topic"] == topic]) if f.priority <= 2]
    ctx_all = _sorted_facts(w, qd.context[qd.context["topic"] == topic], recent_first=True)
    main_ctx = [f for f in ctx_all if f.priority <= 2][:MAX_CONTEXT_SENTENCES]
    listed = {f.obs_id for f in core + main_ctx}
    for f in core + main_ctx:
        f.companion_list = [c for c in f.companions if c.obs_id not in listed]
        listed |= {c.obs_id for c in f.companion_list}
    metrics = w.ds.metrics
    headline = [m for m in metrics.index[(metrics["topic"] == topic) & (metrics["priority"] == 1)]
                if _is_regular(w.ds, m)]
    have = {f.metric_id for f in core}
    missing = []
    for mid in headline:
        if mid in have:
            continue
        name = w.text(metrics.loc[mid, f"name_{w.lang}"], inline=True)
        latest = next((f for f in ctx_all if f.metric_id == mid), None)
        missing.append({"metric_id": mid, "name": name, "latest": latest})
    shown = {m["latest"].obs_id for m in missing if m["latest"] is not None}
    return {"topic": topic, "core": core,
            "context": [f for f in main_ctx if f.obs_id not in shown],
            "missing": [m for m in missing if m["latest"] is not None],
            "missing_no_data": [m["name"] for m in missing if m["latest"] is None]}


def _is_regular(ds, metric_id: str) -> bool:
    """True for a series released as quarterly figures (a core figure of some quarter)."""
    o = ds.observations
    rows = o[(o["metric_id"] == metric_id) & o["preferred"]]
    return any(ds.core_quarter(r) is not None for _, r in rows.iterrows())


def _key_points(w: _Writer) -> list[Fact]:
    qd = w.qd
    pools: dict[str, list[Fact]] = {}
    for topic in ("credit", "cross_border", "corridor", "auto"):
        core = _sorted_facts(w, qd.figures[qd.figures["topic"] == topic])
        ctx = _sorted_facts(w, qd.context[(qd.context["topic"] == topic)
                                          & (qd.context["priority"] == 1)], recent_first=True)
        pools[topic] = [f for f in core if f.priority <= 2] + ctx
    picked: list[Fact] = []
    while len(picked) < MAX_KEY_POINTS and any(pools.values()):
        for topic in pools:
            if pools[topic] and len(picked) < MAX_KEY_POINTS:
                picked.append(pools[topic].pop(0))
    if len(picked) < MIN_KEY_POINTS:
        rest = _sorted_facts(w, pd.concat([qd.figures, qd.context]))
        picked += [f for f in rest if f not in picked][:MIN_KEY_POINTS - len(picked)]
    topic_rank = {t: i for i, t in enumerate(TOPICS)}
    return sorted(picked, key=lambda f: (topic_rank.get(f.topic, 9), not f.is_core,
                                         picked.index(f)))


def _headline_rows(w: _Writer) -> list[Fact]:
    qd = w.qd
    core = [f for f in _sorted_facts(w, qd.figures) if f.priority <= 2]
    ctx = [f for f in _sorted_facts(w, qd.context, recent_first=True) if f.priority == 1]
    topic_rank = {t: i for i, t in enumerate(TOPICS)}
    return sorted(core + ctx, key=lambda f: (topic_rank.get(f.topic, 9), not f.is_core))


# ============================================================================ entry point
def _environment(templates_dir: str | Path | None) -> jinja2.Environment:
    folder = Path(templates_dir) if templates_dir else paths.TEMPLATES_DIR
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    env.filters["lower_first"] = _lower_first
    env.filters["upper_first"] = lambda s: Markup(str(s)[:1].upper() + str(s)[1:]) \
        if isinstance(s, Markup) else str(s)[:1].upper() + str(s)[1:]
    return env


_PROPER = ("RMB", "AITO", "Land-Sea", "Seres", "Changan", "Chongqing", "Yuxinou", "SAFE",
           "Sichuan", "Jiangbei", "TSF")


def _lower_first(s: Any) -> Any:
    text = str(s)
    first = text.split(" ", 1)[0]
    if not text or first in _PROPER or first.isupper() or any(c.isupper() for c in first[1:]):
        return s
    out = text[:1].lower() + text[1:]
    return Markup(out) if isinstance(s, Markup) else out


def write_narrative(qd: QuarterData, lang: str = "zh", *,
                    templates_dir: str | Path | None = None) -> Narrative:
    """Write the narrative of one quarter in one language.

    Args:
        qd: The quarter's data (``ds.quarter("2026Q1")``).
        lang: "zh" (default) or "en".
        templates_dir: A folder holding ``narrative_<lang>.j2`` to use instead of the
            shipped templates (for editors trying a wording, and for tests).

    Returns:
        The Narrative: HTML fragments, the ledger, the verbatim strings, the references.

    Raises:
        ValueError: For an unknown language.
        jinja2.TemplateError: If the template is broken (the message names the line).
    """
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGS)}")
    w = _Writer(qd, lang)
    env = _environment(templates_dir)
    tmpl = env.get_template(f"narrative_{lang}.j2")
    ctx = ReportContext(w)
    module = tmpl.make_module({"c": ctx})

    def render(where: str, macro: str, *args: Any) -> str:
        w.where = where
        html = str(getattr(module, macro)(ctx, *args)).strip()
        return html

    key_points = render("key_points", "key_points")
    table = render("headline_table", "headline_table")
    sections = {t: render(t, "section", _topic_view(w, t)) for t in TOPICS}
    appendix = render("appendix", "appendix")
    title = render("title", "title")
    ds = qd.dataset
    return Narrative(
        quarter=qd.quarter, lang=lang, title_html=title, key_points_html=key_points,
        headline_table_html=table, sections=sections, appendix_html=appendix,
        ledger=list(w.ledger), verbatim=sorted(set(w.verbatim), key=len, reverse=True),
        references=list(w.refs), verbatim_inline=sorted(w.inline), data_dir=getattr(ds, "data_dir", None),
        data_hash=getattr(ds, "content_hash", ""))


class ReportContext:
    """What a template sees as ``c``: the quarter, its facts, its references."""

    def __init__(self, w: _Writer):
        self._w = w
        self.lang = w.lang
        self.quarter = w.qd.quarter
        self.quarter_label = w.qd.quarter.label(w.lang)
        self.quarter_id = str(w.qd.quarter)

    @property
    def cutoff(self) -> str:
        return date_text(self._w.qd.cutoff, self.lang)

    def key_points(self) -> list[Fact]:
        return _key_points(self._w)

    def headline_rows(self) -> list[Fact]:
        return _headline_rows(self._w)

    def fact(self, metric_id: str, entity_id: str = "chongqing") -> Fact | None:
        """The quarter's figure (or latest context figure) of a metric, or None if not released."""
        return self._w.fact(self._w.qd.get(metric_id, entity_id))

    def references(self):
        """The appendix entries, growing while the appendix is written (inputs add entries)."""
        i = 0
        while i < len(self._w.refs):
            r = self._w.refs[i]
            if r.kind == "observation":
                yield r, self._w.fact_by_id(r.ref_id)
            else:
                yield r, self._w.derived_fact(self._w.derived[r.ref_id])
            i += 1

    def cautioned(self) -> list[Fact]:
        """Figures of the quarter the curator cautioned against: listed, never used."""
        return [self._w.fact(r) for _, r in self._w.qd.cautioned.iterrows()]

    def cited_sources(self) -> list[dict[str, Any]]:
        """The sources the written fragments cite, oldest first."""
        ds, w = self._w.ds, self._w
        ids = set()
        for r in w.refs:
            if r.kind == "observation":
                ids.add(ds.observation(r.ref_id)["source_id"])
            else:
                ids |= {ds.observation(i)["source_id"] for i in w.derived[r.ref_id].inputs}
        rows = ds.sources.loc[sorted(ids)].sort_values("date")
        return [{"title": w.text(r["title"]), "publisher": w.text(r["publisher"]),
                 "date": date_text(r["date"], self.lang), "reliability": r["reliability"]}
                for _, r in rows.iterrows()]

    def reliability_note(self, fact: Fact) -> Markup:
        return self._w.text(self._w.ds.sources.loc[fact.source_id, "reliability_note"])
