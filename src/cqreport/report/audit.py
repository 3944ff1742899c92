"""The numbers audit: read a rendered report back and trace every number in it.

Two checks, both needed:

1. **Text against ledger** (:func:`audit_text`, :func:`audit_html`, :func:`audit_pdf`).
   The rendered text is normalised (NFKC; line breaks that PDF extraction puts
   inside Chinese text removed), then the verbatim strings from the data
   (quotes, titles, names, notes) are set aside, whitespace-insensitively, and so
   are footnote marks ``[n]`` and dates, years and quarters (2026年一季度, 3月末,
   Q1 2026, 2026-05-22…). Every number left, with its unit, qualifier and sign
   (:func:`cqreport.core.scanning.scan_figures`), must match a figure the narrative wrote
   (its ledger), and, for a complete report, appear as often as it was written.
   Chinese numerals and English number words count as numbers.
2. **Ledger against data** (:func:`audit_ledger`). Every ledger entry must read
   back as what it claims (value, unit, qualifier), and that must be what the
   data holds: the observation's reported value, unit and qualifier (or its
   YoY, gap, streak, rank), or the derived figure recomputed from a freshly
   loaded Dataset, within the rounding the text shows.

:func:`check` runs both and raises :class:`~cqreport.errors.AuditError` naming
each number that fails and where it stands.

Examples:
    >>> mask_dates("截至2026年3月末，同比增长6.8%") == "截至" + "\u2592" * 8 + "，同比增长6.8%"
    True
"""

from __future__ import annotations

import contextlib
import html as html_lib
import io
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

from ..analysis.derive import derived as all_derived
from ..analysis.judgements import Judgement, judgements_for
from ..analysis.quarter import quarter_data
from ..core.formatting import parse_rank
from ..core.scanning import EXTRA_UNITS, Figure, parse_figure, scan_figures
from ..core.vocab import NATIONAL_ENTITY_TYPES, QUALIFIERS, REPORT_DEFINITION_WORDS, UNITS
from ..dataset.notes import NOTE_COLUMNS
from ..errors import AuditError, CqreportError
from .peers import comparison as peer_comparison

if TYPE_CHECKING:
    import pandas as pd

    from ..dataset.model import Dataset
    from .ledger import LedgerEntry, Narrative

MASK = "\u2592"  # ▒: not a digit, not a letter, not CJK: breaks any number it replaces
CONTEXT_CHARS = 18
_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|"
          r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?")
_CN_D = "一二三四五六七八九十"
DATE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(re.compile(p) for p in (
    # ISO dates and quarter ids
    r"\d{4}-\d{1,2}-\d{1,2}", r"\d{4}/\d{1,2}/\d{1,2}", r"\b\d{4}\s?Q[1-4]\b",
    # Chinese spans and dates
    r"\d{4}\s?[—–-]\s?\d{4}年",
    r"\d{4}年\d{1,2}\s?[—–-]\s?\d{1,2}月",
    r"\d{4}年(?:\d{1,2}月(?:\d{1,2}[日号]|末|底|初|中旬|上旬|下旬|份)?)?(?:末|底|初)?",
    r"(?:\d{4}年)?(?:前[一二三]|第?[一二三四1-4])季度末?",
    r"\d{1,2}\s?[—–-]\s?\d{1,2}月",
    r"\d{1,2}月(?:\d{1,2}[日号]|末|底|初|中旬|上旬|下旬|份)",
    r"前\d{1,2}个月", rf"前[{_CN_D}]{{1,2}}个月",
    rf"[{_CN_D}]{{1,3}}月(?:末|底|份|初|中旬|上旬|下旬)",
    r"十[一二三四五六七八九]五",  # 十四五 / 十五五: names of plans
    # English
    r"\bQ[1-4](?:\s?[–-]\s?Q[1-4])?(?:\s+\d{4})?\b", r"\bH[12]\s+\d{4}\b",
    rf"\b\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?",
    rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,\s*\d{{4}}",
    rf"\b{_MONTH}\s+\d{{4}}",
))
_MARK_RE = re.compile(r"\[(\d{1,4})\]")
_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_WS_NEAR_CJK = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
_BULLETS = re.compile("[\u2022\u25e6\u25aa\u25cf\u2023\u2043]")  # list markers, placed anywhere by PDF text extraction
_PAGE_NUMBER = re.compile(r"^\s*(?:第\s*)?\d{1,4}\s*(?:/\s*\d{1,4}|页)?\s*$")
_COUNT_BASES_EXCLUDED = frozenset({"yuan", "usd", "percent", "pp", "months", "rank", "times", ""})


# ============================================================================ results
@dataclass(frozen=True)
class Finding:
    """One thing the audit could not trace.

    Attributes:
        kind: unknown (a number not in the ledger), extra (written more often than
            recorded), missing (recorded but not found), ledger (an entry that does
            not read back as itself), data (an entry that does not match the data),
            ref (a footnote mark without an entry), verbatim (a string claimed as
            data text that is not in the data).
        where: html, pdf, text, or ledger.
        number: The number as read (with unit and qualifier), or the ledger text.
        context: The text around it.
        message: What is wrong and what was expected.
    """

    kind: str
    where: str
    number: str
    context: str
    message: str

    def __str__(self) -> str:
        ctx = f" … {self.context} …" if self.context else ""
        return f"[{self.kind}] {self.where}: {self.number!r}: {self.message}{ctx}"


@dataclass
class AuditReport:
    """The outcome of :func:`check`.

    Attributes:
        quarter: Quarter label.
        lang: Language of the narrative.
        numbers_read: Numbers read per place audited (html, pdf, text).
        ledger_entries: Ledger entries checked against the data.
        findings: Everything that failed (empty when the audit passes).
    """

    quarter: str
    lang: str
    numbers_read: dict[str, int] = field(default_factory=dict)
    ledger_entries: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        read = ", ".join(f"{k}: {v} numbers" for k, v in self.numbers_read.items())
        state = "passed" if self.ok else f"FAILED with {len(self.findings)} finding(s)"
        return (f"audit {self.quarter} {self.lang}: {state}; {read}; "
                f"{self.ledger_entries} ledger entries checked against the data")


# ============================================================================ text preparation
def normalize_text(text: str) -> str:
    """NFKC, no whitespace next to Chinese characters, single spaces elsewhere.

    PDF text extraction breaks lines anywhere in Chinese text (6.54\\n万亿元); this
    joins them back. HTML entities are decoded.

    >>> normalize_text("余额6.54\\n万亿元，  up  6.8%")
    '余额6.54万亿元, up 6.8%'
    """
    t = unicodedata.normalize("NFKC", html_lib.unescape(text))
    t = _WS_NEAR_CJK.sub("", t)
    t = re.sub(r"(?<=\d)\s+(?=%)", "", t)
    return re.sub(r"\s+", " ", t)


_OPEN = "“《「『(（\"'‘:：,，"
_CLOSE = "”》」』)）\"'’,，;；。."


def _verbatim_pattern(s: str, delimited: bool) -> re.Pattern[str] | None:
    chars = [c for c in normalize_text(s) if not c.isspace()]
    if not chars:
        return None
    body = r"\s*".join(re.escape(c) for c in chars)
    if not delimited:
        return re.compile(body)
    o, c = re.escape(normalize_text(_OPEN)), re.escape(normalize_text(_CLOSE))
    return re.compile(rf"(?<=[{o}])\s*{body}(?=\s*(?:[{c}]|$))")


def mask_verbatim(text: str, verbatim: Iterable[str], inline: Iterable[str] = ()) -> str:
    """Blank out the strings from the data, ignoring whitespace (longest first).

    Names (``inline``) are blanked wherever they stand. Other data text (quotes,
    titles, notes) only where it stands between delimiters, as the templates
    print it: a sentence of the narrative that happens to repeat a quote is
    still read.

    >>> mask_verbatim("原文：“余额6.54万\\n亿元”。余额6.54万亿元[1]", ["余额6.54万亿元"])
    '原文：“▒▒▒▒▒▒▒▒▒▒”。余额6.54万亿元[1]'
    """
    names = set(inline)
    for s in sorted(set(verbatim) | names, key=len, reverse=True):
        pat = _verbatim_pattern(s, delimited=s not in names)
        if pat is not None:
            text = pat.sub(lambda m: MASK * len(m.group()), text)
    return text


def mask_dates(text: str) -> str:
    """Blank out dates, years with 年, quarters and period words (see DATE_PATTERNS)."""
    for pat in DATE_PATTERNS:
        text = pat.sub(lambda m: MASK * len(m.group()), text)
    return text


def footnote_marks(text: str) -> list[tuple[int, int, int]]:
    """Footnote marks [n] in a text: (n, start, end)."""
    return [(int(m.group(1)), m.start(), m.end()) for m in _MARK_RE.finditer(text)]


def _mask_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        chars[a:b] = MASK * (b - a)
    return "".join(chars)


def _is_year(f: Figure) -> bool:
    return f.bare and float(f.value).is_integer() and 1900 <= f.value <= 2100 and "," not in f.text


def _context(text: str, start: int, end: int) -> str:
    a, b = max(0, start - CONTEXT_CHARS), min(len(text), end + CONTEXT_CHARS)
    return text[a:b].replace("\n", " ")


def read_figures(text: str, verbatim: Iterable[str] = (), inline: Iterable[str] = ()
                 ) -> tuple[str, list[Figure], list[tuple[int, int, int]]]:
    """Prepare a text and read the figures in it.

    Returns:
        (normalised text, figures read from it, footnote marks). Figure offsets
        refer to the normalised text.
    """
    norm = normalize_text(text)
    masked = mask_verbatim(norm, verbatim, inline)
    marks = footnote_marks(masked)
    masked = _mask_spans(masked, [(a, b) for _, a, b in marks])
    masked = mask_dates(masked)
    figs = [f for f in scan_figures(masked) if not _is_year(f)]
    return norm, figs, marks


# ============================================================================ text against ledger
def ledger_key(entry: LedgerEntry) -> tuple[str, float, str] | None:
    """What a ledger entry's text reads back as, or None if it does not read as one figure."""
    try:
        return parse_figure(entry.text).key
    except ValueError:
        return None


def _key_text(key: tuple[str, float, str]) -> str:
    base, v, bound = key
    return f"{v:g} {base or 'no unit'} ({bound})"


def audit_text(text: str, narrative: Narrative, where: str = "text", *,
               complete: bool = True) -> list[Finding]:
    """Check every number in a rendered text against the narrative's ledger.

    Args:
        text: Text extracted from the report (HTML text, PDF text).
        narrative: The Narrative the report was rendered from.
        where: Label for messages (html, pdf).
        complete: The text is the whole narrative: every ledger entry must occur
            as often as it was written. False for a text showing only some fragments.

    Returns:
        The findings; empty when every number traces back.
    """
    norm, figs, marks = read_figures(text, narrative.verbatim, narrative.verbatim_inline)
    findings: list[Finding] = []
    n_refs = len(narrative.references)
    for n, a, b in marks:
        if not 1 <= n <= n_refs:
            findings.append(Finding("ref", where, f"[{n}]", _context(norm, a, b),
                                    f"footnote mark [{n}] has no appendix entry "
                                    f"(entries 1..{n_refs})"))
    ledger_count: Counter = Counter()
    texts: dict[tuple, list[str]] = defaultdict(list)
    for e in narrative.ledger:
        k = ledger_key(e)
        if k is not None:
            ledger_count[k] += 1
            texts[k].append(e.text)
    found: dict[tuple, list[Figure]] = defaultdict(list)
    for f in figs:
        found[f.key].append(f)
        if f.key not in ledger_count:
            near = _nearest(f, ledger_count)
            hint = f"; the narrative wrote {near!r} nearby in value" if near else ""
            findings.append(Finding(
                "unknown", where, f.text, _context(norm, f.start, f.end),
                f"number {_key_text(f.key)} was not written by the narrative (not in its "
                f"ledger){hint}"))
    for k, fs in found.items():
        if k in ledger_count and len(fs) > ledger_count[k]:
            # the odd ones out are those not written the way the narrative wrote this figure
            odd = [f for f in fs if not any(f.text.strip() in t for t in texts[k])] or fs
            for f in odd[:len(fs) - ledger_count[k]] if odd is not fs else fs:
                findings.append(Finding(
                    "extra", where, f.text, _context(norm, f.start, f.end),
                    f"{_key_text(k)} appears {len(fs)} times but the narrative wrote it "
                    f"{ledger_count[k]} time(s)"))
    if complete:
        for k, n in ledger_count.items():
            if len(found.get(k, [])) < n:
                findings.append(Finding(
                    "missing", where, texts[k][0], "",
                    f"the narrative wrote {_key_text(k)} {n} time(s) but the text shows it "
                    f"{len(found.get(k, []))} time(s): changed, dropped or mis-rendered"))
    return findings


def _nearest(f: Figure, ledger_count: Counter) -> str:
    """A ledger figure of the same base unit close in value (to help read a finding)."""
    best, best_d = "", math.inf
    for base, v, bound in ledger_count:
        if base == f.key[0] and v:
            d = abs(math.log10(abs(f.value_base) / abs(v))) if f.value_base else math.inf
            if d < best_d:
                best, best_d = f"{v:g} {base} ({bound})", d
    return best if best_d < 1.5 else ""


# ============================================================================ HTML and PDF
class _TextExtractor(HTMLParser):
    _BLOCK = frozenset({"p", "div", "li", "tr", "td", "th", "br", "h1", "h2", "h3", "h4", "h5", "h6",
              "section", "header", "table", "caption", "blockquote", "ul", "ol", "thead",
              "tbody", "figure", "figcaption"})
    _SKIP = frozenset({"script", "style", "head", "title", "template"})

    def __init__(self, block: str = "\n") -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._block = block

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append(self._block)

    def handle_endtag(self, tag):
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK:
            self.parts.append(self._block)

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str, block: str = "\n") -> str:
    """The text a reader sees in an HTML page (scripts and styles left out).

    ``block`` is written where a block (paragraph, table cell, caption) opens or closes.

    >>> html_to_text("<p>余额<b>6.54</b>万亿元<sup class='cq-ref'>[1]</sup></p><script>var x=7;</script>")
    '\\n余额6.54万亿元[1]\\n'
    """
    p = _TextExtractor(block)
    p.feed(html)
    p.close()
    return "".join(p.parts)


def pdf_to_text(path: str | Path) -> str:
    """The text of a PDF (pypdf), page by page, without lone page numbers at page ends."""
    from pypdf import PdfReader

    pages = []
    for page in PdfReader(str(path)).pages:
        lines = (page.extract_text() or "").splitlines()
        while lines and _PAGE_NUMBER.match(lines[-1]):
            lines.pop()
        while lines and _PAGE_NUMBER.match(lines[0]):
            lines.pop(0)
        pages.append(_BULLETS.sub(" ", "\n".join(lines)))
    return "\n".join(pages)


def _read(path_or_text: str | Path) -> str:
    if isinstance(path_or_text, Path) or (
            isinstance(path_or_text, str) and "<" not in path_or_text
            and len(path_or_text) < 4096 and Path(path_or_text).is_file()):
        return Path(path_or_text).read_text(encoding="utf-8")
    return str(path_or_text)


def audit_html(path_or_text: str | Path, narrative: Narrative, *,
               complete: bool = True) -> list[Finding]:
    """Audit an HTML report (a file path or the HTML itself) against a narrative."""
    return audit_text(html_to_text(_read(path_or_text)), narrative, "html", complete=complete)


def audit_pdf(path: str | Path, narrative: Narrative, *, complete: bool = True) -> list[Finding]:
    """Audit a PDF report (text extracted with pypdf) against a narrative."""
    return audit_text(pdf_to_text(path), narrative, "pdf", complete=complete)


# ============================================================================ ledger against data
def _entry_key(e: LedgerEntry) -> tuple[str, float, str]:
    if e.unit in UNITS:
        base, factor = UNITS[e.unit].base, UNITS[e.unit].factor
    elif e.unit in EXTRA_UNITS:
        base, factor = EXTRA_UNITS[e.unit]
    else:
        base, factor = "count", 1.0
    if e.unit == "个":
        base = "count"
    return (base, float(f"{e.value * factor:.12g}"), e.bound)


def _same_base(a: str, b: str) -> bool:
    if a == b:
        return True
    counts = {a, b} - {"count"}
    return "count" in (a, b) and len(counts) == 1 and not counts & _COUNT_BASES_EXCLUDED


_DECIMALS = re.compile(r"\d[\d,]*(?:\.(\d+))?")


def _rounding(read: Figure) -> float:
    """Half a unit of the last digit a figure was written with, in its base unit: a figure
    written in a larger scale than reported is rounded there (6.40万标箱 for 64013 TEU)."""
    m = _DECIMALS.search(read.text)
    if m is None or not read.value:
        return 0.0
    decimals = len(m.group(1) or "")
    return 0.5 * 10 ** -decimals * abs(read.value_base / read.value)


def _close(a: float, b: float, tol: float = 0.0) -> bool:
    return abs(a - b) <= tol + 1e-9 * max(1.0, abs(a), abs(b))


def _observation_keys(row, fld: str) -> list[tuple[str, float, str]]:
    base = row["base_unit"]

    def amount(v: float, unit: str, q: str = "") -> tuple[str, float, str]:
        bound = QUALIFIERS[q].bound if q else "exact"
        return (base, float(v) * UNITS[unit].factor, bound)

    if fld == "value":
        return [amount(row["value"], row["unit"], row["qualifier"] or "")]
    if fld == "prior_value":
        return [amount(row["prior_value"], row["unit"])]
    if fld == "yoy_diff":
        return [amount(row["yoy_diff"], row["unit"])]
    if fld == "yoy_pct":
        return [("percent", float(row["yoy_pct"]), "exact")]
    if fld == "vs_national_pp":
        return [("pp", float(row["vs_national_pp"]), "exact")]
    if fld == "streak_months":
        return [("months", float(row["streak_months"]), "exact")]
    if fld == "rank":
        return [("rank", float(r.position), "exact") for r in parse_rank(row["rank"] or "")
                if r.position is not None]
    return []


_BOUND_OK = {"exact": {"exact", "approx"}, "approx": {"approx"}, "lower": {"lower"},
             "upper": {"upper"}}


def _data_text(ds: Dataset) -> set[str]:
    cells: set[str] = set()
    cols = {"observations": ("quote", *NOTE_COLUMNS.keys(), *NOTE_COLUMNS.values(), "period_label", "prior_label",
                             "prior_label_en", "rank"),
            "sources": ("title", "publisher", "reliability_note",
                        "title_zh", "title_en", "publisher_zh", "publisher_en"),
            "metrics": ("name_zh", "name_en", "running_zh", "running_en", "definition"),
            "entities": ("name_zh", "name_en")}
    for table, names in cols.items():
        frame = getattr(ds, table)
        for c in names:
            cells |= {str(v).strip() for v in frame[c] if isinstance(v, str) and v.strip()}
    return cells


def audit_ledger(narrative: Narrative, dataset: Dataset | None = None) -> list[Finding]:
    """Check every ledger entry: it reads back as itself, and it matches the data.

    Args:
        narrative: The narrative whose ledger is checked.
        dataset: The data to check against; default: loaded afresh from the
            narrative's data folder (so the check does not trust the writer's copy).

    Returns:
        The findings.
    """
    if dataset is None:
        from ..dataset.model import load_dataset
        dataset = load_dataset(narrative.data_dir)
    ds = dataset
    derived = {d.derived_id: d for d in all_derived(ds)}
    judged: dict[str, Judgement] = {}
    # a quarter without data leaves its entries unmatched: reported below, per entry
    with contextlib.suppress(CqreportError):
        qd = quarter_data(ds, narrative.quarter, as_of=getattr(narrative, "as_of", None))
        derived.update({d.derived_id: d for d in qd.derived})
        for frame in (qd.figures, qd.context):
            for _, o in frame.iterrows():
                judged.update({j.judgement_id: j for j in judgements_for(qd.dataset, o)})
        # the peers section's gaps: a peer province's growth against the nation's
        for o in peer_comparison(qd).rows():
            judged.update({j.judgement_id: j for j in judgements_for(qd.dataset, o)})
    findings: list[Finding] = []
    for e in narrative.ledger:
        try:
            read = parse_figure(e.text)
        except ValueError as exc:
            findings.append(Finding("ledger", "ledger", e.text, e.where, str(exc)))
            continue
        claimed = _entry_key(e)
        if not (_same_base(read.key[0], claimed[0]) and _close(read.key[1], claimed[1])
                and read.key[2] == claimed[2]):
            findings.append(Finding(
                "ledger", "ledger", e.text, e.where,
                f"the text reads as {_key_text(read.key)} but the entry records "
                f"{_key_text(claimed)} (value changed after formatting?)"))
            continue
        if e.kind == "observation":
            findings += _check_observation(ds, e, read)
        elif e.kind == "judgement":
            findings += _check_judgement(judged, e, read)
        else:
            findings += _check_derived(derived, e, read)
    cells = _data_text(ds)
    for s in narrative.verbatim:
        if s.strip() not in cells:
            findings.append(Finding("verbatim", "ledger", s[:60], "",
                                    "listed as verbatim data text but not found in the data"))
    return findings


def _check_observation(ds: Dataset, e: LedgerEntry, read: Figure) -> list[Finding]:
    try:
        row = ds.observation(e.source_ref)
    except KeyError:
        return [Finding("data", "ledger", e.text, e.where,
                        f"observation {e.source_ref!r} is not in the data")]
    expected = _observation_keys(row, e.field)
    tol = _rounding(read)
    for base, v, bound in expected:
        if _same_base(read.key[0], base) and _close(read.value_base, v, tol) and read.bound == bound:
            return []
    want = "; ".join(_key_text((b, float(f"{v:.12g}"), bd)) for b, v, bd in expected) or "nothing"
    return [Finding("data", "ledger", e.text, e.where,
                    f"{e.field} of {e.source_ref} is {want} in the data, but the narrative "
                    f"wrote {_key_text(read.key)}")]


def _check_judgement(judged: dict, e: LedgerEntry, read: Figure) -> list[Finding]:
    """A judgement (pace, national gap) recomputed from the data: the same points, same sign."""
    j = judged.get(e.source_ref)
    if j is None or j.value is None:
        return [Finding("data", "ledger", e.text, e.where,
                        f"judgement {e.source_ref!r} cannot be recomputed from the data")]
    tol = 0.5 * 10.0 ** -j.decimals + 1e-9
    if _close(read.value_base, float(j.value), tol) and _same_base(read.key[0], "pp"):
        return []
    return [Finding("data", "ledger", e.text, e.where,
                    f"judgement {e.source_ref} recomputes to {j.value:g} pp; the narrative wrote "
                    f"{_key_text(read.key)}")]


def _check_derived(derived: dict, e: LedgerEntry, read: Figure) -> list[Finding]:
    d = derived.get(e.source_ref)
    if d is None:
        return [Finding("data", "ledger", e.text, e.where,
                        f"derived figure {e.source_ref!r} cannot be recomputed from the data")]
    unit = UNITS.get(e.unit)
    factor = unit.factor if unit is not None else 1.0
    step = 10.0 ** -e.decimals * factor
    tol = step if d.bound in ("lower", "upper") else 0.5 * step
    value = float(d.value_base)
    base = UNITS[d.unit].base
    ok_value = _close(read.value_base, value, tol)
    ok_bound = read.bound in _BOUND_OK[d.bound]
    if ok_value and ok_bound and _same_base(read.key[0], base):
        return []
    return [Finding("data", "ledger", e.text, e.where,
                    f"derived {e.source_ref} recomputes to {value:.6g} {base} ({d.bound}); "
                    f"the narrative wrote {_key_text(read.key)} (allowed rounding ±{tol:g})")]


# ============================================================================ chart data
_CSV_LINK = re.compile(r'<a [^>]*href="data:text/csv;charset=utf-8,([^"]*)"')


def chart_csvs(page: str) -> list[list[dict[str, str]]]:
    """The rows of every chart-data CSV download a rendered HTML page offers."""
    import csv
    from urllib.parse import unquote

    out = []
    for m in _CSV_LINK.finditer(page):
        text = unquote(html_lib.unescape(m.group(1))).lstrip("\ufeff")
        out.append(list(csv.DictReader(io.StringIO(text))))
    return out


def audit_chart_data(page: str, dataset: Dataset | None, where: str = "html") -> list[Finding]:
    """Check every point a chart's CSV download gives against the data.

    Each row names its observation (``obs_id``); its value, unit and source must be
    that observation's, and the value its value (``measure`` value) or its year-on-year
    growth (``yoy_pct``). A number planted in a chart's data, or a point of another
    source, is a finding.
    """
    if dataset is None:
        return []
    findings = []
    obs = dataset.observations.set_index("obs_id", drop=False)
    for rows in chart_csvs(page):
        for i, row in enumerate(rows, start=2):   # line 1 is the header
            chart = row.get("chart", "?")
            place = f"chart {chart}, CSV line {i}"
            oid = row.get("obs_id", "")
            if oid not in obs.index:
                findings.append(Finding("data", where, row.get("value", ""), place,
                                        f"obs_id {oid!r} is not an observation of the data"))
                continue
            o = obs.loc[oid]
            yoy = row.get("measure") == "yoy_pct"
            want = o["yoy_pct"] if yoy else o["value"]
            want_unit = "%" if yoy else o["unit"]
            try:
                got = float(row.get("value", ""))
            except ValueError:
                got = math.nan
            if want is None or want != want or not math.isclose(got, float(want), rel_tol=1e-9, abs_tol=1e-12):
                findings.append(Finding("data", where, row.get("value", ""), place,
                                        f"{oid}: the chart draws {row.get('value')!r} {row.get('unit')}, "
                                        f"the data has {want} {want_unit}"))
            elif row.get("unit") != want_unit or row.get("source_id") != o["source_id"]:
                findings.append(Finding("data", where, row.get("value", ""), place,
                                        f"{oid}: unit {row.get('unit')!r} / source {row.get('source_id')!r}, "
                                        f"expected {want_unit!r} / {o['source_id']!r}"))
    return findings


# ============================================================================ meanings
#: Where a clause ends: punctuation, a footnote mark, a block (table cell, paragraph: BLOCK_MARK).
BLOCK_MARK = "\u00a6"   # ¦: kept by normalize_text, neither a digit nor a word
_CLAUSE_END = re.compile(r"[,;:!?。\]\u00a6]|\.\s")
CLAUSE_CHARS = 80


def _claims(clause: str, lang: str) -> set[str]:
    return {claim for claim, words in REPORT_DEFINITION_WORDS.items() if re.search(words[lang], clause)}


def _contradicts(claim: str, row: pd.Series, ds: Dataset) -> str:
    """What the data says against a claim the text makes about a row ('' when they agree)."""
    money = row["currency"] != "na"   # a count of firms doing RMB business claims no currency
    if claim == "rmb" and money and row["currency"] != "rmb":
        return f"its currency is '{row['currency']}', not RMB"
    if claim == "all_currencies" and money and row["currency"] != "all":
        return f"its currency is '{row['currency']}', not local and foreign currencies"
    if claim == "cumulative" and row["period_type"] != "cumulative":
        return f"it is a {row['period_type']}, not a cumulative total"
    if claim == "whole_city" and not (row["entity_id"] == "chongqing" and row["scope"] == "whole"):
        return f"its entity is '{row['entity_id']}' and its coverage '{row['scope']}', not the whole city"
    if claim == "national" and ds.entities.loc[row["entity_id"], "entity_type"] not in NATIONAL_ENTITY_TYPES:
        return f"its entity is '{row['entity_id']}', not the nation"
    return ""


def audit_meanings(page: str, narrative: Narrative, dataset: Dataset, where: str = "html") -> list[Finding]:
    """Check the definition words the text attaches to each reported figure against the data.

    The words of a figure's own clause before it (人民币 / 本外币, 累计, 全市, 全国; RMB, local and
    foreign currencies, cumulative, in Chongqing, national) must agree with the definition of
    the observation the narrative printed there (``page`` is the HTML, read with its blocks kept
    apart so a table cell's words stay with their row): a figure of unstated currency written as
    人民币, a flow written as 累计, a pilot's figure written as 全市, are findings.
    """
    norm, figs, _ = read_figures(html_to_text(page, BLOCK_MARK), narrative.verbatim, narrative.verbatim_inline)
    rows: dict[tuple, list[pd.Series]] = defaultdict(list)
    by_id: dict[str, list[pd.Series]] = defaultdict(list)   # an obs_id may name two spans of one end
    for _, r in dataset.observations.iterrows():
        by_id[r["obs_id"]].append(r)
    for e in narrative.ledger:
        k = ledger_key(e)
        if k is not None and e.kind == "observation" and e.field == "value":
            rows[k] += by_id.get(e.source_ref, [])
    findings = []
    for f in figs:
        candidates = rows.get(f.key)
        if not candidates:
            continue
        head = norm[max(0, f.start - CLAUSE_CHARS):f.start]
        ends = list(_CLAUSE_END.finditer(head))
        clause = head[ends[-1].end():] if ends else head
        for claim in sorted(_claims(clause, narrative.lang)):
            against = [_contradicts(claim, r, dataset) for r in candidates]
            if all(against):
                findings.append(Finding("meaning", where, f.text, _context(norm, f.start, f.end),
                                        f"the text calls it {claim.replace('_', ' ')}, but "
                                        f"{candidates[0]['obs_id']}: {against[0]}"))
    return findings


# ============================================================================ all together
def check(narrative: Narrative, *, html: str | Path | None = None, pdf: str | Path | None = None,
          text: str | None = None, dataset: Dataset | None = None,
          complete: bool = True, document: str = "report") -> AuditReport:
    """Run the whole audit and raise if anything fails.

    Args:
        narrative: The narrative the report was rendered from.
        html: The report's HTML (path or text). If no html, pdf or text is given,
            the narrative's own fragments are audited.
        pdf: The report's PDF file.
        text: Any other rendered text.
        dataset: The data to check the ledger against (default: loaded afresh).
        complete: Whether each rendering holds the whole narrative.
        document: ``report`` (default) or ``evidence``: which document the renderings are,
            so each is read against the numbers it prints (``Narrative.for_document``).

    Returns:
        The AuditReport (numbers read, entries checked).

    Raises:
        AuditError: Listing every finding: the number, where it stands, what was expected.
    """
    page = _read(html) if html is not None else None
    extra = [("text", text)] if text is not None else []
    if page is None and pdf is None and not extra:
        page = narrative.html
    # every entry is checked against the data; the page against the report's own numbers
    return audit_rendered(narrative.for_document(document), page=page, pdf=pdf, extra=extra, dataset=dataset,
                          ledger_findings=audit_ledger(narrative, dataset), complete=complete)


def audit_rendered(narrative: Narrative, *, page: str | None, pdf: str | Path | None,
                   dataset: Dataset | None, ledger_findings: list[Finding],
                   extra: Iterable[tuple[str, str]] = (), complete: bool = True) -> AuditReport:
    """The audit of one rendered report, shared by :func:`check` and the build.

    Reads every number of the page's text (and its charts' CSV data) and of the PDF
    against the narrative's ledger; ``ledger_findings`` are the ledger's own findings
    against the data (the build computes them once, before the PDF is printed).

    Raises:
        AuditError: Listing every finding: the number, where it stands, what was expected.
    """
    report = AuditReport(str(narrative.quarter), narrative.lang)
    targets: list[tuple[str, str]] = []
    if page is not None:
        targets.append(("html", html_to_text(page)))
        report.findings += audit_chart_data(page, dataset)
        if dataset is not None:
            report.findings += audit_meanings(page, narrative, dataset)
    if pdf is not None:
        targets.append(("pdf", pdf_to_text(pdf)))
    for where, t in [*targets, *extra]:
        _, figs, _ = read_figures(t, narrative.verbatim, narrative.verbatim_inline)
        report.numbers_read[where] = len(figs)
        report.findings += audit_text(t, narrative, where, complete=complete)
    report.ledger_entries = len(narrative.ledger)
    report.findings += ledger_findings
    if report.findings:
        shown = report.findings[:25]
        more = len(report.findings) - len(shown)
        lines = [report.summary(), *(f"  - {f}" for f in shown)]
        if more:
            lines.append(f"  … and {more} more")
        raise AuditError("\n".join(lines))
    return report
