"""Figures as the templates see them: ``Fact`` (an observation), ``DerivedFact`` (a derived figure).

Printing a fact's value writes it with :mod:`cqreport.core.formatting` and records
it in the ledger through ``_Writer``, which also numbers the footnotes and
keeps the verbatim strings the audit sets aside. Templates never format a number.
"""

from __future__ import annotations

import math
import re
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd
from markupsafe import Markup, escape

from ..analysis.derive import analyst_decimals
from ..analysis.derive import derived as all_derived
from ..analysis.judgements import national_gap
from ..analysis.judgements import pace as judge_pace
from ..core.formatting import (
    MAX_RESCALED_DECIMALS,
    format_amount,
    format_change,
    format_pp,
    format_pp_change,
    format_rank,
    format_streak,
    format_yoy,
    format_yoy_diff,
    is_missing,
    parse_rank,
    zh_unit_for,
)
from ..core.periods import Quarter
from ..core.phrases import date_text, period_phrase
from ..core.scanning import EN_NOUNS, scan_figures
from ..core.vocab import BOUND_WORDS, MINOR_COUNT_BASES, UNITS, reliability_grades, unnamed_grades, word
from .ledger import LedgerEntry, Reference

if TYPE_CHECKING:
    from ..analysis.derive import Derived
    from ..analysis.quarter import QuarterData

MAX_COMPANIONS = 4
#: Quarter-ends before the report's that a stock's path shows (a year: five points with its own).
PATH_QUARTERS = 4


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


def is_increment(ds, metric_id: str) -> bool:
    """True for an increment (新增贷款, 社融增量): the only figures 多增/少增 is said of.

    >>> class D: metrics = pd.DataFrame({"name_zh": ["社会融资规模增量", "汽车出口额"]}, index=["a", "b"])
    >>> is_increment(D, "a"), is_increment(D, "b")
    (True, False)
    """
    name = str(ds.metrics.loc[metric_id, "name_zh"])
    return any(w in name for w in ("新增", "增量", "增加"))


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
        for d in [*qd.derived, *all_derived(self.ds)]:
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

    def source_label(self, source: pd.Series) -> dict[str, Any]:
        """A source's title and publisher in the report's language (``title_zh``/``title_en``,
        ``publisher_zh``/``publisher_en`` in sources.csv), falling back to them as stored.

        ``translated`` is True when the title shown is a translation of a published title
        (not a curator's description of an untitled text), so the report can say so.
        """
        title = _clean(source.get(f"title_{self.lang}", "")) or _clean(source["title"])
        publisher = _clean(source.get(f"publisher_{self.lang}", "")) or _clean(source["publisher"])
        translated = (str(source["language"]) != self.lang and title != _clean(source["title"])
                      and not _clean(source["title"]).startswith("["))
        return {"title": self.text(title), "publisher": self.text(publisher), "translated": translated}

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
    def running(self) -> Markup:
        """The series as running text names it (``running_zh`` / ``running_en``), else its name."""
        own = _clean(self._metric(f"running_{self.lang}"))
        return self._w.text(own, inline=True) if own else self.name

    @property
    def whole_city(self) -> bool:
        """True when the figure covers the whole municipality (the text may say 全市 / city-wide)."""
        return self.entity_id == "chongqing" and self.row["scope"] == "whole"

    @property
    def cumulative(self) -> bool:
        """True for a cumulative total (累计): never written as a period's flow or a balance."""
        return self.period_type == "cumulative"

    @property
    def shows_path(self) -> bool:
        """True for a headline quarter-end stock of the quarter that the report shows with its path
        (the path then carries the year-earlier and previous quarter-end figures)."""
        return self.is_core and self.priority == 1 and self.path is not None

    @property
    def cumulative_unnamed(self) -> bool:
        """True for a cumulative total whose name does not say so (a table then adds 累计 / cumulative)."""
        word = "累计" if self.lang == "zh" else "cumulative"
        return self.cumulative and word not in _clean(self._metric(f"name_{self.lang}")).lower()

    @property
    def path(self) -> dict[str, Any] | None:
        """A quarter-end stock's path: the same definition at the four quarter-ends before it.

        Returns:
            None unless at least two earlier quarter-ends have a figure; else ``points`` (Facts,
            oldest first) and ``missing`` (the quarter-ends without one, in words).
        """
        if self.period_type != "stock" or self.end != Quarter.of(self.end).end:
            return None
        from ..analysis.comparable import compare
        ds = self._w.ds
        series = ds.preferred_by_series.get((self.metric_id, self.entity_id))
        q = Quarter.of(self.end)
        points, missing = [], []
        for back in range(PATH_QUARTERS, 0, -1):
            end = q.shift(-back).end
            hit = series[series["end"] == end] if series is not None else None
            if hit is not None and len(hit) and compare(self.row, hit.iloc[0]):
                points.append(self._w.fact(hit.iloc[0]))
            else:
                missing.append(period_phrase(None, end, self.lang))
        return {"points": points, "missing": missing} if len(points) >= 2 else None

    @property
    def entity_in_name(self) -> bool:
        """True when the metric's name already says who (金联体成员数量 for the alliance)."""
        full = _clean(self._w.ds.entities.loc[self.entity_id, "name_zh"])
        name = _clean(self._metric("name_zh"))
        # the name and each alias in brackets: 陆海新通道金融服务联合体（金联体）
        aliases = [re.sub(r"（.*?）|\(.*?\)", "", full), *re.findall(r"[（(](.*?)[）)]", full)]
        # the whole name or alias: 西部陆海新通道 in a metric's name does not say 西部陆海新通道全线
        return any(ent in name for ent in filter(None, aliases))

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
    def at_release(self) -> bool:
        """True when the source gave no date and the figure is dated to its release.

        The prose then says whose release it is (据2026年5月9日发布的资料) instead of
        repeating 截至…发布时 for every figure.
        """
        return self.start is None and self.end == self.row["source_date"]

    @property
    def release_date(self) -> str:
        """The release date of the figure's source, in words (2026年5月9日, 9 May 2026)."""
        return date_text(self.row["source_date"], self.lang)

    @property
    def is_minor(self) -> bool:
        """True for a minor figure: a count of firms, members, events, products or outlets,
        or a figure the catalogue ranks minor. Listed in a section's table, not its prose."""
        return self.priority >= 3 or UNITS[self.row["unit"]].base in MINOR_COUNT_BASES

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
        """What the prior value refers to, in the report's language (prior_label / prior_label_en)."""
        col = "prior_label" if self.lang == "zh" else "prior_label_en"
        return self._w.text(self.row.get(col, ""), inline=True)

    @property
    def source(self) -> pd.Series:
        return self._w.ds.sources.loc[self.source_id]

    @property
    def source_title(self) -> Markup:
        return self._w.source_label(self.source)["title"]

    @property
    def source_title_translated(self) -> bool:
        return self._w.source_label(self.source)["translated"]

    @property
    def source_publisher(self) -> Markup:
        return self._w.source_label(self.source)["publisher"]

    @property
    def source_date(self) -> str:
        return date_text(self.source["date"], self.lang)

    @property
    def source_reliability(self) -> str:
        return str(self.source["reliability"])

    @property
    def source_language(self) -> str:
        return str(self.source["language"])

    @property
    def in_report_language(self) -> bool:
        """True when the source is written in the report's language.

        Its own wording of the period and the value is shown only then, so no English
        reaches the zh report and no Chinese the en report outside the verbatim quote.
        """
        return str(self.source["language"]) == self.lang

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
    def growth_fact(self) -> Fact | None:
        """The row that publishes this figure's growth: itself, another source's row of the same
        figure, or a growth-only row at its date (None when no source gives it)."""
        from ..analysis.derive import published_growth
        row = published_growth(self._w.ds, self.row)
        return None if row is None else self._w.fact(row)

    @property
    def yoy(self) -> _Num | None:
        """The published year-on-year growth (同比增长6.8%, 翻番), or None if none is published.

        When another row publishes it (a confirming source, a growth-only series), the number
        is ledgered against that row; ``yoy_ref`` then prints its footnote and ``yoy_grade``
        names its source's grade when that is low.
        """
        if self.row["growth_of"]:   # a growth-only row: its value is the growth
            dec = int(self.row["decimals"])
            return self._num(format_yoy(self.row["value"], self.lang, decimals=dec), "value", decimals=dec)
        g = self.growth_fact
        if g is None:
            return None
        r = g.row
        if not is_missing(r["yoy_pct"]):
            wording = _clean(r["yoy_wording"])
            dec = g._yoy_decimals()
            text = format_yoy(r["yoy_pct"], self.lang, wording=wording, decimals=dec)
            return g._num(text, "yoy_pct", decimals=dec or 0)
        dec = int(r["decimals"])
        return g._num(format_yoy(r["value"], self.lang, decimals=dec), "value", decimals=dec)

    @property
    def yoy_other(self) -> bool:
        """True when another row publishes this figure's growth (its footnote then follows the growth)."""
        g = self.growth_fact
        return g is not None and g is not self

    @property
    def yoy_ref(self) -> Markup:
        """The footnote of the row that publishes the growth, when it is not this row."""
        g = self.growth_fact
        return g.ref if g is not None and g is not self else Markup("")

    @property
    def yoy_grade(self) -> str:
        """The grade of the growth's source when it is named (a machine summary), else ''."""
        g = self.growth_fact
        return "" if g is None or g is self else g.grade

    @property
    def grade(self) -> str:
        """This figure's source grade in words when the text names it (below press), else ''."""
        grade = str(self.source["reliability"])
        return "" if grade in unnamed_grades() else word("reliability", grade, self.lang)

    @property
    def pace(self) -> dict[str, Any] | None:
        """Growth against the last comparable growth rate of the same series (a judgement).

        Returns:
            None without one; else ``prev`` (the earlier Fact, its growth cited with it)
            and ``change`` (提高/下降X个百分点, ledgered as a judgement).
        """
        j = judge_pace(self._w.ds, self.row)
        if j is None or j.value is None:
            return None
        text = format_pp_change(j.value, self.lang, decimals=j.decimals)
        return {"prev": self._w.fact_by_id(j.inputs[1]),
                "change": _Num(self._w, text, j.judgement_id, "judgement", "value", "", j.decimals)}

    @property
    def national(self) -> dict[str, Any] | None:
        """The gap to the nation's growth at the same date (a judgement), or None.

        Returns:
            None when the sources give no national figure of this or a related series
            at that date; else ``nat`` (the national Fact) and ``gap`` (高于全国X个百分点,
            ledgered as a judgement), or ``gap`` None and ``unlike`` (the national
            series' name) when the nation has only another series then.
        """
        j = national_gap(self._w.ds, self.row)
        if j is None:
            return None
        nat = self._w.fact_by_id(j.inputs[1])
        if j.value is None:
            name = self._w.ds.metrics.loc[j.unlike, f"name_{self.lang}"]
            return {"nat": nat, "gap": None, "unlike": self._w.text(name, inline=True), "unlike_id": j.unlike,
                    "why": j.verdict.clause(self.lang) if j.verdict is not None else ""}
        text = format_pp(j.value, self.lang, decimals=j.decimals)
        return {"nat": nat, "unlike": "", "unlike_id": "", "why": "",
                "gap": _Num(self._w, text, j.judgement_id, "judgement", "value", "", j.decimals)}

    @property
    def yoy_diff(self) -> _Num | None:
        """The reported year-on-year difference of a flow (同比多增532.3亿元)."""
        diff = self.row["yoy_diff"]
        if is_missing(diff):
            return None
        dd = self.row.get("yoy_diff_decimals")
        dec = None if is_missing(dd) else int(dd)
        if self.kind in ("flow", "cumulative") and is_increment(self._w.ds, self.row["metric_id"]):
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
    def streak_fact(self) -> Fact:
        """The row whose streak above the national rate goes with this figure: its own, or that of
        the row that publishes its growth (the end-2025 balance and its growth's ten months)."""
        g = self.growth_fact
        if is_missing(self.row["streak_months"]) and g is not None and not is_missing(g.row["streak_months"]):
            return g
        return self

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
        from ..analysis.derive import year_earlier
        return self._w.fact(year_earlier(self._w.ds, self.row))

    @property
    def prev_quarter(self) -> Fact | None:
        """For a stock at a quarter end: the same series at the previous quarter end."""
        from ..analysis.derive import previous_quarter
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
        from ..analysis.derive import previous_stock
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
    def ratio(self) -> DerivedFact | None:
        """A ratio whose denominator this figure is (the loan-to-deposit ratio of a deposit balance)."""
        return self._derived("ratio")

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
    def unlike_year_earlier(self) -> list[dict[str, Any]]:
        """Figures a year earlier of the same concept in another definition (bonds in all markets
        against bonds in the interbank market), each with why they are not compared (``why``)."""
        if self.year_earlier is not None:
            return []
        from ..analysis.comparable import compare
        from ..core.periods import shift_years
        o = self._w.ds.observations
        end = shift_years(self.end, -1)
        hit = o[(o["concept"] == self.row["concept"]) & (o["entity_id"] == self.entity_id)
                & (o["end"] == end) & o["preferred"] & (o["metric_id"] != self.metric_id)]
        out = []
        for _, r in hit.iterrows():
            verdict = compare(self.row, r)
            if not verdict:
                other = self._w.fact(r)
                out.append({"fact": other, "name": other.name, "why": verdict.clause(self.lang)})
        return out

    @property
    def variants(self) -> list[Fact]:
        """Other sources' rows for the same figure, not used in the text."""
        o = self._w.ds.observations
        fig = self.row["figure"]
        rows = o[(o["figure"] == fig) & (o["obs_id"] != self.obs_id)]
        return [self._w.fact(r) for _, r in rows.iterrows()]

    @property
    def variant_notes(self) -> list[dict[str, Any]]:
        """The other sources' rows for this figure, each with why the report uses this one.

        ``same``: the other row gives the same value and qualifier (a confirmation).
        ``later``: the other row was published after this one; with a different value
        that is a restatement, and the appendix calls it a revision note.
        ``reason``: why this row is used: ``grade`` (a better source), ``recent`` (the
        later release of two equal sources), ``cautioned`` (the curator doubted the
        other), or ``order`` (same grade and day; the clearer or first-curated row).
        """
        rank = {g: i for i, g in enumerate(reliability_grades())}
        mine = self.row
        notes = []
        for v in self.variants:
            r = v.row
            same = (math.isclose(float(r["value_base"]), float(mine["value_base"]), rel_tol=1e-9)
                    and r["bound"] == mine["bound"])
            if _clean(r["caution"]):
                reason = "cautioned"
            elif rank[r["reliability"]] > rank[mine["reliability"]]:
                reason = "grade"
            elif r["source_date"] < mine["source_date"]:
                reason = "recent"
            else:
                reason = "order"
            notes.append({"fact": v, "same": same, "later": r["source_date"] > mine["source_date"],
                          "reason": reason})
        return notes

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
        be) when the range the inputs allow is wider than the last digit, but two
        significant digits always stay, so rounding never moves the central value
        (6.39 ÷ 6.0 − 1 is 约6.5%, 6.25 − 6.0 万亿元 is 约2500亿元).
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
            # coarser to the range, but never below two significant digits (约6.5%, not 约6%)
            dec = min(dec, max(math.floor(-math.log10(half)), analyst_decimals(value)))
        if u.base not in ("percent", "pp") and lang == "zh":
            new = zh_unit_for(d.value_base, u.base)
            if new in UNITS and new != unit:
                shift = round(math.log10(UNITS[new].factor / u.factor))
                value, dec, unit = d.value_base / UNITS[new].factor, min(dec + shift, MAX_RESCALED_DECIMALS), new
        # one glossary word in both languages: a derived figure is 约/about unless one-sided
        word = BOUND_WORDS.get(d.bound, BOUND_WORDS["approx"])[lang]
        return _round(value, dec, d.bound), unit, dec, word

    @property
    def too_uncertain(self) -> bool:
        """True when the inputs' rounding leaves the figure too wide to write (analysis.derive.too_uncertain)."""
        return self.d.uncertain

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
        elif m == "yoy_diff" and is_increment(self._w.ds, self.metric_id):
            text = format_yoy_diff(value, unit, lang, qualifier=word, decimals=max(dec, 0))
        elif m == "yoy_diff":   # a level (出口额): 增加/减少, never 多增/少增
            text = format_change(value, unit, lang, qualifier=word, decimals=max(dec, 0), basis="yoy")
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
