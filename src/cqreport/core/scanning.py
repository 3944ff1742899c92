"""Read figures back from written text: each number with its unit, qualifier and sign.

:func:`scan_figures` and :func:`parse_figure` turn written text into
:class:`Figure` values with a base unit and a bound, so that a formatted figure
can be checked against the stored one (the round trip of
:mod:`cqreport.core.formatting`) and so that the audit can read a rendered
report. What the writer writes, this reads.

Examples:
    >>> parse_figure("about RMB 230 billion").value_base == 2300 * 1e8
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .numbers import (
    ARABIC_RE,
    CN_RE,
    CN_SCALES,
    EN_ORDINALS,
    EN_WORDS,
    has_chinese,
    normalize_digits,
    parse_chinese_numeral,
)
from .vocab import QUALIFIERS, SCALES_EN, SCALES_ZH, SUFFIX_QUALIFIERS, UNITS

# Units that are not amounts of a metric but belong to the wording around one.
# label -> (base, factor)
EXTRA_UNITS: dict[str, tuple[str, float]] = {
    "个月": ("months", 1.0),
    "months": ("months", 1.0),
    "倍": ("times", 1.0),
    "times": ("times", 1.0),
    "rank": ("rank", 1.0),
}

_ZH_COUNTERS = sorted(
    {label for label, u in UNITS.items() if u.lang == "zh" and not label.startswith(CN_SCALES)}
    | {"个月", "倍"},
    key=len, reverse=True)

# English nouns the writer uses after a count, with the base unit they stand for.
EN_NOUNS: dict[str, str] = {
    "vehicles": "vehicles", "units": "vehicles", "cars": "vehicles",
    "teu": "teu", "trains": "trains", "train trips": "train_trips", "trips": "train_trips",
    "entities": "entities", "enterprises": "entities", "institutions": "entities",
    "businesses": "entities", "companies": "entities", "firms": "entities",
    "members": "entities", "member institutions": "entities",
    "items": "items", "products": "items", "services": "items",
    "events": "events", "funds": "funds", "routes": "routes", "ports": "ports",
    "countries": "countries", "transactions": "transactions", "documents": "documents",
    "person-visits": "person_visits", "people": "persons", "persons": "persons",
    "outlets": "entities", "scenarios": "items", "cases": "items", "innovations": "items",
}

# Qualifier words as the vocabulary knows them (so a word added there is read here too).
_ZH_PREFIX_QUALIFIERS = tuple(sorted(
    (w for w in QUALIFIERS if has_chinese(w) and w not in SUFFIX_QUALIFIERS), key=len, reverse=True))
_ZH_NEGATIVE = ("下降", "减少", "下滑", "回落", "少增", "低于全国", "低于")
_ZH_GROWTH = ("增长", "增加", "提高", "上升")
_EN_QUALIFIERS = {"around": "approx", "roughly": "approx", "almost": "upper"} | {
    w: q.bound for w, q in QUALIFIERS.items() if not has_chinese(w)}
_EN_NEGATIVE_BEFORE = ("down by", "down", "fell by", "fell", "decreased by", "declined by",
                       "a decrease of")
_EN_NEGATIVE_AFTER = ("below", "less", "lower", "fewer")

_ZH_TAIL = re.compile(
    r"(?P<q1>余|多)?(?P<scale>万亿|亿|万)?(?P<q2>余|多)?[ \t]?"
    r"(?P<counter>" + "|".join(re.escape(c) for c in _ZH_COUNTERS) + r")?(?P<q3>以上)?")
_EN_TAIL = re.compile(
    r"(?P<pct>[ ]?%)|[ ](?P<percent>percent)\b"
    r"|(?:[ ](?P<scale>trillion|billion|million|thousand)\b)?"
    r"(?:[ ](?P<word>percentage points?|consecutive months|months?|times|"
    r"(?:[A-Za-z][A-Za-z-]*)(?: (?:trips|institutions))?))?")
_EN_CARDINALS = EN_WORDS | {"dozen": 12}
_EN_WORD_RE = re.compile(
    r"(?<![A-Za-z-])(" + "|".join(sorted([*_EN_CARDINALS, *EN_ORDINALS], key=len, reverse=True))
    + r")(?![A-Za-z-])", re.IGNORECASE)
# Words that state a figure without digits: 翻番 is ×2 (+100%).
_SPECIAL_WORDS = {"翻两番": ("percent", 300.0), "翻一番": ("percent", 100.0),
                  "翻番": ("percent", 100.0), "倍增": ("percent", 100.0),
                  "doubled": ("percent", 100.0), "quadrupled": ("percent", 300.0),
                  "twice": ("times", 2.0)}
_SPECIAL_RE = re.compile(
    "|".join(re.escape(w) for w in sorted(_SPECIAL_WORDS, key=len, reverse=True)))



@dataclass(frozen=True)
class Figure:
    """A figure read from text.

    Attributes:
        value: The number as written, signed by the words around it (下降 0.2 -> -0.2).
        unit: The unit as understood (a vocabulary label, 个月, 倍, rank, or "" when none).
        base: Base unit (yuan, percent, pp, months, rank, count…), or "" for a bare number.
        value_base: Signed value in the base unit.
        bound: exact, approx, lower or upper.
        text: The characters read, qualifier and unit included.
        start: Offset in the text scanned.
        end: Offset just past the figure.
    """

    value: float
    unit: str
    base: str
    value_base: float
    bound: str = "exact"
    text: str = ""
    start: int = 0
    end: int = 0

    @property
    def key(self) -> tuple[str, float, str]:
        """What two figures must share to be the same: base unit, rounded value, bound."""
        return (self.base, float(f"{self.value_base:.12g}"), self.bound)

    @property
    def bare(self) -> bool:
        """True for a number with no unit and no qualifier (a year, a page, a stray number)."""
        return self.base == "" and self.bound == "exact"

    def describe(self) -> str:
        """Human form for messages: 6.54万亿元 (=6.54e+12 yuan, exact)."""
        base = self.base or "no unit"
        return f"{self.text!r} (= {self.value_base:g} {base}, {self.bound})"


def _latin(ch: str) -> bool:
    return "a" <= ch.lower() <= "z"


def _before_word(text: str, pos: int, words) -> str | None:
    for w in words:
        if text.endswith(w, 0, pos):
            return w
    return None


def _zh_figure(text: str, start: int, end: int, value: float) -> Figure:
    m = _ZH_TAIL.match(text, end)
    q1, scale, q2, counter, q3 = (m.group(g) or "" for g in ("q1", "scale", "q2", "counter", "q3"))
    stop = m.end()
    if not counter and not scale and (q1 or q2):
        # 余/多 with nothing after it is not a qualifier of this number (多增 etc.)
        stop, q1, q2 = end, "", ""
    pos = start
    bound = "exact"
    q = _before_word(text, pos, _ZH_PREFIX_QUALIFIERS)
    if q:
        bound, pos = QUALIFIERS[q].bound, pos - len(q)
    for s in (q1, q2, q3):
        if s:
            bound = QUALIFIERS[s].bound
    neg = _before_word(text, pos, _ZH_NEGATIVE)
    sign = -1.0 if neg else 1.0
    if neg:
        pos -= len(neg)
    rank = text.endswith("第", 0, start)
    label = scale + counter
    if rank:
        unit, base, factor = "rank", "rank", 1.0
        stop = end + (1 if text.startswith("位", end) else 0)
        pos = start - 1
    elif counter == "倍" and not scale and _before_word(text, pos, _ZH_GROWTH + _ZH_NEGATIVE):
        unit, base, factor = "%", "percent", 100.0  # 增长1.1倍 is +110%
    elif label in UNITS:
        unit, base, factor = label, UNITS[label].base, UNITS[label].factor
    elif counter in EXTRA_UNITS and not scale:
        unit, (base, factor) = counter, EXTRA_UNITS[counter]
    elif scale:
        unit, base, factor = scale, "count", SCALES_ZH[scale]
    else:
        unit, base, factor = "", "", 1.0
    if base == "items" and counter == "个":
        base = "count"
    return Figure(sign * value, unit, base, sign * value * factor, bound, text[pos:stop], pos, stop)


# "2025 USD 75.6 billion": a currency word that opens the next amount is not this number's unit
_NUMBER_NEXT = re.compile(r"\s*[0-9]")


def _en_figure(text: str, start: int, end: int, value: float) -> Figure:
    pos = start
    before = text[:pos].rstrip(" ")
    currency = ""
    for cur, base in (("RMB", "yuan"), ("USD", "usd"), ("US$", "usd"), ("¥", "yuan"),
                      ("CNY", "yuan")):
        if before.endswith(cur):
            currency, pos = base, len(before) - len(cur)
            before = text[:pos].rstrip(" ")
            break
    bound = "exact"
    low = before.lower()
    for word, b in sorted(_EN_QUALIFIERS.items(), key=lambda kv: -len(kv[0])):
        if low.endswith(word) and (len(low) == len(word) or not _latin(low[-len(word) - 1])):
            bound, pos = b, len(before) - len(word)
            before = text[:pos].rstrip(" ")
            break
    low = before.lower()
    sign = 1.0
    for w in _EN_NEGATIVE_BEFORE:
        if low.endswith(w) and (len(low) == len(w) or not _latin(low[-len(w) - 1])):
            sign, pos = -1.0, len(before) - len(w)
            break
    m = _EN_TAIL.match(text, end)
    stop = m.end()
    scale = m.group("scale") or ""
    raw_word = m.group("word") or ""
    word = raw_word.lower()
    if m.group("pct") or m.group("percent"):
        unit, base, factor = "%", "percent", 1.0
    elif currency:
        unit = f"{scale} {'yuan' if currency == 'yuan' else 'USD'}".strip()
        base, factor = currency, SCALES_EN.get(scale, 1.0)
        if word:
            stop = m.start("word") - 1
    elif word in ("yuan", "usd", "us dollars", "dollars") and not _NUMBER_NEXT.match(text, m.end()):
        unit = f"{scale} {'yuan' if word == 'yuan' else 'USD'}".strip()
        base = "yuan" if word == "yuan" else "usd"
        factor = SCALES_EN.get(scale, 1.0)
    elif word.startswith("percentage point"):
        unit, base, factor = "percentage points", "pp", 1.0
    elif word in ("consecutive months", "months", "month"):
        unit, (base, factor) = "months", EXTRA_UNITS["months"]
    elif word == "times":
        unit, base, factor = "times", "times", 1.0
    elif word or scale:
        f = SCALES_EN.get(scale, 1.0)
        noun_base = EN_NOUNS.get(word) or EN_NOUNS.get(word.split(" ")[0])
        if noun_base is None and word:
            # an unknown word after a number: keep the number, not the word
            stop = m.start("word") - 1 if m.start("word") >= 0 else stop
            word = ""
        unit = f"{scale} {raw_word if noun_base else ''}".strip()
        base, factor = (noun_base or ("count" if scale else "")), f
    else:
        unit, base, factor = "", "", 1.0
    after = text[stop:stop + 8].lstrip(" ").lower()
    if any(after.startswith(w) for w in _EN_NEGATIVE_AFTER):
        sign = -1.0
    return Figure(sign * value, unit, base, sign * value * factor, bound, text[pos:stop], pos, stop)


def _is_cjk_or_pct(ch: str) -> bool:
    return ch in "%余多万亿" or has_chinese(ch)


def scan_figures(text: str) -> list[Figure]:
    """Find every figure in a text: each number with its unit, qualifier and sign.

    Arabic digits, full-width digits, Chinese numerals (十三, 百分之六点八), English
    number words (thirteen, first) and number words (翻番, doubled) are all read.
    Dates are not recognised here; the audit masks them first.

    Examples:
        >>> for f in scan_figures("余额6.54万亿元，同比下降0.2%，超168亿元"):
        ...     print(f.describe())
        '6.54万亿元' (= 6.54e+12 yuan, exact)
        '下降0.2%' (= -0.2 percent, exact)
        '超168亿元' (= 1.68e+10 yuan, lower)
        >>> [f.key for f in scan_figures("连续十三个月，居中西部第一")]
        [('months', 13.0, 'exact'), ('rank', 1.0, 'exact')]
        >>> [f.key for f in scan_figures("about RMB 230 billion, up 110% year on year")]
        [('yuan', 230000000000.0, 'approx'), ('percent', 110.0, 'exact')]
    """
    norm = normalize_digits(text)
    taken = [False] * len(norm)
    found: list[Figure] = []

    def free(a: int, b: int) -> bool:
        return not any(taken[a:b])

    def take(f: Figure, a: int, b: int) -> None:
        for i in range(min(a, f.start), max(b, f.end)):
            taken[i] = True
        found.append(f)

    for m in _SPECIAL_RE.finditer(norm):
        base, value = _SPECIAL_WORDS[m.group()]
        start = m.start()
        sign = 1.0
        take(Figure(sign * value, "%" if base == "percent" else base, base, sign * value,
                    "exact", m.group(), start, m.end()), m.start(), m.end())
    for m in ARABIC_RE.finditer(norm):
        if not free(m.start(), m.end()):
            continue
        value = float(m.group().replace(",", ""))
        nxt = norm[m.end():m.end() + 1]
        prev = norm[:m.start()].rstrip(" ")[-1:]
        if (nxt == "%" and not has_chinese(prev)) or not ((nxt and _is_cjk_or_pct(nxt))
                                                     or norm.endswith("第", 0, m.start())):
            f = _en_figure(norm, m.start(), m.end(), value)
        else:
            f = _zh_figure(norm, m.start(), m.end(), value)
        if norm.endswith(("-", "−"), 0, m.start()) and f.start == m.start() and not (
                norm[m.start() - 2:m.start() - 1].isalnum()):
            f = replace(f, value=-f.value, value_base=-f.value_base, start=f.start - 1)
        take(f, m.start(), m.end())
    for m in CN_RE.finditer(norm):
        if not free(m.start(), m.end()):
            continue
        raw = m.group()
        pct = raw.startswith("百分之")
        body = raw[3:] if pct else raw
        stripped = body
        while stripped and stripped[-1] in "万亿" and len(stripped) > 1:
            stripped = stripped[:-1]
        try:
            value = parse_chinese_numeral(stripped)
        except ValueError:
            continue
        num_end = m.start() + (3 if pct else 0) + len(stripped)
        if pct:
            f = Figure(value, "%", "percent", value, "exact", raw, m.start(), m.end())
            pre = _before_word(norm, m.start(), _ZH_NEGATIVE)
            if pre:
                f = replace(f, value=-value, value_base=-value)
        else:
            f = _zh_figure(norm, m.start(), num_end, value)
        take(f, m.start(), m.end())
    for m in _EN_WORD_RE.finditer(norm):
        if not free(m.start(), m.end()):
            continue
        w = m.group().lower()
        if w in EN_ORDINALS:
            v = float(EN_ORDINALS[w])
            f = Figure(v, "rank", "rank", v, "exact", m.group(), m.start(), m.end())
        else:
            f = _en_figure(norm, m.start(), m.end(), float(_EN_CARDINALS[w]))
        take(f, m.start(), m.end())
    found.sort(key=lambda f: f.start)
    return [replace(f, text=text[f.start:f.end]) for f in found]


def parse_figure(text: str) -> Figure:
    """Read the one figure a short text holds (the round trip of the format functions).

    Raises:
        ValueError: If the text holds no figure or more than one.

    Examples:
        >>> parse_figure("6.54万亿元").value_base == 6.54e12
        True
        >>> parse_figure("同比增长1.1倍").key
        ('percent', 110.0, 'exact')
        >>> parse_figure("0.5 percentage points below the national average").key
        ('pp', -0.5, 'exact')
        >>> parse_figure("3万余单").key
        ('documents', 30000.0, 'lower')
    """
    figs = scan_figures(text)
    if len(figs) != 1:
        raise ValueError(f"expected one figure in {text!r}, found {len(figs)}")
    return figs[0]


def expected_figure(value: float, unit: str, qualifier: str = "") -> tuple[str, float, str]:
    """The key a stored figure must read back as (base unit, base value, bound).

    >>> expected_figure(2300, "亿元", "约")
    ('yuan', 230000000000.0, 'approx')
    """
    if unit in UNITS:
        u = UNITS[unit]
        base, factor = u.base, u.factor
    else:
        base, factor = EXTRA_UNITS[unit]
    bound = QUALIFIERS[qualifier].bound if qualifier else "exact"
    return (base, float(f"{float(value) * factor:.12g}"), bound)
