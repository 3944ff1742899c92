"""Find and parse the numbers written in Chinese and English release text.

Handles Arabic digits (with thousands separators and decimals), full-width
digits, and Chinese numerals (六点八, 两万, 十三, 百分之六点八). It is shared by
validation (does a value occur in its quote?), the narrative audit and the
extractor, so that all three read numbers the same way.

Examples:
    >>> parse_number("57,672.4")
    57672.4
    >>> parse_number("６.５４")
    6.54
    >>> parse_number("百分之六点八")
    6.8
    >>> parse_number("两万")
    20000.0
    >>> [m.value for m in find_numbers("截至3月末，余额达6.54万亿元，连续十三个月")]
    [3.0, 6.54, 13.0]
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .vocab import SCALES_ZH

_FULLWIDTH = str.maketrans("０１２３４５６７８９．，％", "0123456789.,%")

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_SMALL = {"十": 10, "百": 100, "千": 1000}
# the numeral system's big units are the one-character scales (万, 亿)
CN_BIG = {s: int(f) for s, f in sorted(SCALES_ZH.items(), key=lambda kv: kv[1]) if len(s) == 1}
CN_NUMERAL_CHARS = "".join(CN_DIGITS) + "".join(CN_SMALL) + "".join(CN_BIG) + "点"
EN_WORDS = {w: i for i, w in enumerate((
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"))}
EN_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
                 "ninety": 90, "hundred": 100})
EN_ORDINALS = {w: i + 1 for i, w in enumerate((
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
    "eighteenth", "nineteenth", "twentieth"))}
EN_WORD_RE = re.compile(r"\b(" + "|".join(sorted(EN_WORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE)

ARABIC_RE = re.compile(r"(?<![0-9.])(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?![0-9])")
CN_RE = re.compile(
    r"(?:百分之)?[零〇一二两三四五六七八九十百千]"
    r"[零〇一二两三四五六七八九十百千万亿]*(?:点[零〇一二三四五六七八九]+)?"
)


@dataclass(frozen=True)
class NumberMatch:
    """A number found in text.

    Attributes:
        value: The parsed value.
        start: Offset of the first character in the text.
        end: Offset just past the last character.
        text: The characters as written.
        chinese: True if written in Chinese numerals.
        percent: True if written as 百分之….
    """

    value: float
    start: int
    end: int
    text: str
    chinese: bool = False
    percent: bool = False


def has_chinese(text: str) -> bool:
    """True when the text holds a Chinese character (CJK unified ideographs).

    >>> has_chinese("约"), has_chinese("about")
    (True, False)
    """
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def normalize_digits(text: str) -> str:
    """Map full-width digits and signs to ASCII, one character for one, so offsets hold.

    >>> normalize_digits("１２．５％")
    '12.5%'
    """
    return text.translate(_FULLWIDTH)


def parse_chinese_numeral(text: str) -> float:
    """Parse a run of Chinese numerals.

    Args:
        text: Numerals such as 十三, 一百二十, 两万, 六点八, 三万一千.

    Returns:
        The value.

    Raises:
        ValueError: If the text holds anything but numerals.

    Examples:
        >>> parse_chinese_numeral("十三")
        13.0
        >>> parse_chinese_numeral("一百零五")
        105.0
        >>> parse_chinese_numeral("三万一千")
        31000.0
        >>> parse_chinese_numeral("六点八")
        6.8
        >>> parse_chinese_numeral("一万亿")
        1000000000000.0
    """
    whole, _, frac = text.partition("点")
    if not whole or any(c not in CN_NUMERAL_CHARS for c in text):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    total = 0.0     # completed 亿 sections
    section = 0.0   # completed 万 sections within the current 亿 section
    chunk = 0.0     # below 万
    digit = None
    for ch in whole:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        elif ch in CN_SMALL:
            chunk += (1 if digit is None else digit) * CN_SMALL[ch]
            digit = None
        elif ch == "万":
            section += (chunk + (digit or 0)) * 10_000
            chunk, digit = 0.0, None
        elif ch == "亿":
            value = section + chunk + (digit or 0)
            total = (total + value) * 100_000_000 if total else value * 100_000_000
            section, chunk, digit = 0.0, 0.0, None
    value = total + section + chunk + (digit or 0)
    if whole[-1] == "万" and total and not section and not chunk:
        value = total * 10_000  # 万亿 written as a scale after 亿 was closed
    if frac:
        value += float("0." + "".join(str(CN_DIGITS[c]) for c in frac))
    return float(value)


def parse_number(text: str) -> float:
    """Parse one number written in any of the supported forms.

    Raises:
        ValueError: If the text is not one number.

    >>> parse_number("1,234")
    1234.0
    >>> parse_number("十余") # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ValueError: not a number
    """
    t = normalize_digits(text.strip())
    if ARABIC_RE.fullmatch(t):
        return float(t.replace(",", ""))
    if t.startswith("百分之"):
        t = t[3:]
    return parse_chinese_numeral(t)


def find_numbers(text: str, words: bool = False) -> list[NumberMatch]:
    """Find every number in a text, in order of position.

    Arabic and Chinese forms are both found. A Chinese numeral that ends in a
    scale (两万, 三亿) also yields its mantissa (2, 3) at the same place, since
    the data keeps the scale in the unit (两万列 is stored as 2 万列).

    Args:
        text: Any text; full-width digits are accepted.
        words: Also read English number words (ten, twenty); off by default
            because "one of the top five" is prose, not a figure.

    >>> [m.value for m in find_numbers("for ten consecutive months", words=True)]
    [10.0]

    Returns:
        The matches, sorted by start offset.
    """
    norm = normalize_digits(text)
    found: list[NumberMatch] = []
    for m in ARABIC_RE.finditer(norm):
        found.append(NumberMatch(float(m.group().replace(",", "")), m.start(), m.end(), m.group()))
    for m in CN_RE.finditer(norm):
        raw = m.group()
        pct = raw.startswith("百分之")
        body = raw[3:] if pct else raw
        try:
            value = parse_chinese_numeral(body)
        except ValueError:
            continue
        found.append(NumberMatch(value, m.start(), m.end(), raw, chinese=True, percent=pct))
        stripped = body.rstrip("万亿")
        if stripped and stripped != body and not set(stripped) & set(CN_BIG):
            mantissa = parse_chinese_numeral(stripped)
            found.append(NumberMatch(mantissa, m.start(), m.end(), raw, chinese=True, percent=pct))
    if words:
        for m in EN_WORD_RE.finditer(norm):
            found.append(NumberMatch(float(EN_WORDS[m.group().lower()]), m.start(), m.end(), m.group()))
    return sorted(found, key=lambda n: (n.start, -n.end))


def decimals_of(text: str) -> int:
    """Count the decimals a number was written with (6.54 -> 2, 2300 -> 0).

    >>> decimals_of("6.54")
    2
    >>> decimals_of("2300")
    0
    """
    _, _, frac = normalize_digits(text).partition(".")
    return len(frac)


CN_SCALES = tuple(s for s in SCALES_ZH if s)


def split_scale(text: str) -> tuple[str, str]:
    """Split a trailing Chinese scale (万亿, 亿, 万) off a number as written.

    The data keeps the scale in the unit (两万列 is 2 万列), so the extractor
    needs the mantissa and the scale apart.

    >>> split_scale("两万")
    ('两', '万')
    >>> split_scale("一万亿")
    ('一', '万亿')
    >>> split_scale("三万一千")
    ('三万一千', '')
    >>> split_scale("十")
    ('十', '')
    """
    for scale in CN_SCALES:
        head = text[: -len(scale)]
        if text.endswith(scale) and head and not any(s in head for s in CN_SCALES):
            return head, scale
    return text, ""


def parse_english_number_word(text: str) -> float:
    """Parse a small number written as an English word.

    >>> parse_english_number_word("nine")
    9.0
    >>> parse_english_number_word("Twenty-five")
    25.0
    >>> parse_english_number_word("many") # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ValueError: not a number word
    """
    t = text.strip().lower()
    if t in EN_WORDS:
        return float(EN_WORDS[t])
    tens, _, ones = t.partition("-")
    if ones and EN_WORDS.get(tens, 0) >= 20 and EN_WORDS.get(ones, 10) < 10:
        return float(EN_WORDS[tens] + EN_WORDS[ones])
    raise ValueError(f"not a number word: {text!r}")


def interval(value: float, decimals: int, bound: str) -> tuple[float, float]:
    """The values a reported figure allows, given how it was rounded and qualified.

    约 is read as rounded at its last non-zero digit (约2300 → 2250..2350).

    Examples:
        >>> interval(6.12, 2, "exact")
        (6.115, 6.125)
        >>> interval(2300, 0, "approx")
        (2250.0, 2350.0)
        >>> interval(168, 0, "lower")
        (167.5, inf)
    """
    half = 0.5 * 10 ** -decimals
    if bound == "approx" and decimals == 0 and value:
        zeros = len(str(int(abs(value)))) - len(str(int(abs(value))).rstrip("0"))
        half = max(half, 0.5 * 10 ** zeros)
    lo, hi = value - half, value + half
    if bound == "lower":
        hi = math.inf
    elif bound == "upper":
        lo = -math.inf
    return (round(lo, 10), round(hi, 10))


def difference_interval(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """The values a − b allows when a and b allow the intervals given (a stated gap's implied rate).

    >>> difference_interval(interval(11.6, 1, "exact"), interval(4.8, 1, "exact"))
    (6.7, 6.9)
    """
    return (round(a[0] - b[1], 10), round(a[1] - b[0], 10))


def overlaps(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """True when two intervals share a value: two rounded figures that may be the same number.

    >>> overlaps((6.7, 6.9), (7.05, 7.15)), overlaps((6.645, 7.655), (7.55, 7.65))
    (False, True)
    """
    return a[0] <= b[1] and b[0] <= a[1]
