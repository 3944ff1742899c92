"""Write figures the way Chinese official releases write them, and careful English.

Writing keeps the precision the source used: 6.54万亿元 stays 6.54万亿元, never
65400亿元 or 6.5万亿元. A figure reported in one scale is moved to another only
when the language needs it (2300亿元 is RMB 230 billion), and then by shifting
the decimal point, so no digit is invented or lost. Qualifiers (约 近 超 突破 余
多…) are kept, in the place Chinese puts them (超168亿元, 10余场, 3万余单).

Reading written figures back is :mod:`cqreport.core.scanning`, which reads
every form written here (the round trip is tested).

Examples:
    >>> format_amount(6.54, "万亿元")
    '6.54万亿元'
    >>> format_amount(6.54, "万亿元", lang="en")
    'RMB 6.54 trillion'
    >>> format_amount(2300, "亿元", "约", lang="en")
    'about RMB 230 billion'
    >>> format_amount(61.4, "万辆", lang="en")
    '614,000 vehicles'
    >>> format_amount(682.7, "亿美元", lang="en")
    'USD 68.27 billion'
    >>> format_yoy(6.8), format_yoy(6.8, lang="en")
    ('同比增长6.8%', 'up 6.8% year on year')
    >>> format_pp(0.5)
    '高于全国0.5个百分点'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .numbers import has_chinese, parse_chinese_numeral
from .vocab import (
    BASE_UNITS,
    CURRENCY_CODES,
    MONEY,
    QUALIFIERS,
    SCALES_EN,
    SCALES_ZH,
    SUFFIX_QUALIFIERS,
    UNITS,
    require_lang,
)
from .vocab import word as glossary_word


def _missing(lang: str) -> str:
    """What the text says where a figure was not released (未公布 / not released)."""
    return glossary_word("text", "missing", lang)


# Amounts of money are written down to 万 / million; counts never in 万亿 / above million.
_ZH_SCALES = tuple((s, f) for s, f in SCALES_ZH.items() if s)
_ZH_COUNT_SCALES = tuple((s, f) for s, f in _ZH_SCALES if f < 1e12)
_EN_SCALES = tuple((s, f) for s, f in SCALES_EN.items() if f >= 1e6)
_EN_COUNT_SCALES = tuple((s, f) for s, f in _EN_SCALES if f == 1e6)

# ---------------------------------------------------------------------------- numbers
def is_missing(value: object) -> bool:
    """True for None, NaN and pandas' NA.

    >>> is_missing(None), is_missing(float("nan")), is_missing(0)
    (True, True, False)
    """
    if value is None:
        return True
    try:
        return bool(math.isnan(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value) in ("<NA>", "NaT", "")


def decimals_needed(value: float) -> int:
    """Decimals of the shortest way to write a float (6.54 -> 2, 230.0 -> 0).

    >>> decimals_needed(6.54), decimals_needed(230.0), decimals_needed(1e-3)
    (2, 0, 3)
    """
    d = Decimal(repr(float(value))).normalize()
    return max(0, -d.as_tuple().exponent)  # type: ignore[operator]


def sensible_decimals(value: float, significant: int = 3) -> int:
    """Decimals that give a derived figure about three significant digits.

    A derived figure has no precision of its own, so it is written with about as
    many significant digits as the releases use (6.12万亿元, 1672亿元, 16.8%).

    >>> sensible_decimals(6.1236), sensible_decimals(1672.38), sensible_decimals(0.0431)
    (2, 0, 4)
    """
    if value == 0 or is_missing(value):
        return 0
    magnitude = math.floor(math.log10(abs(value)))
    return max(0, significant - 1 - magnitude)


def write_number(value: float, decimals: int | None = None, lang: str = "zh") -> str:
    """A plain number with the given decimals; English groups thousands with commas.

    Rounds half up from the shortest repr, so 0.125 with two decimals is 0.13.

    >>> write_number(2300, 0), write_number(614000, 0, "en"), write_number(6.1236, 2)
    ('2300', '614,000', '6.12')
    >>> write_number(0.125, 2), write_number(-3.5, None)
    ('0.13', '-3.5')
    """
    d = decimals_needed(value) if decimals is None else max(0, int(decimals))
    q = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP)
    if q == 0:
        q = abs(q)
    return f"{q:,.{d}f}" if lang == "en" else f"{q:.{d}f}"


#: The most decimals a figure written in a larger scale than it was reported in keeps:
#: 64013 TEU is 6.40万标箱, 59520.8亿元 is 5.95 trillion yuan (precision fits the magnitude).
MAX_RESCALED_DECIMALS = 2


def _shift(value: float, decimals: int, exponent: int) -> tuple[Decimal, int]:
    """Move the decimal point: value × 10**exponent, with the decimals that keeps.

    Decimals added by the move (2300亿 -> 230.0 billion) are not precision the
    source claimed, so trailing zeros there are dropped; a move to a larger scale keeps
    at most ``MAX_RESCALED_DECIMALS`` (or the source's own decimals, if more).

    >>> _shift(64013, 0, -4)[1], _shift(4157.9, 1, -3)[1], _shift(6.54, 2, 0)[1]
    (1, 2, 2)
    """
    d = Decimal(repr(float(value))).scaleb(exponent)
    new_dec = max(0, decimals - exponent)
    if exponent < 0:   # to a larger scale: precision fits the magnitude (6.40万标箱, not 6.4013万)
        new_dec = min(new_dec, max(decimals, MAX_RESCALED_DECIMALS))
    if exponent < 0 and new_dec > 0:
        q = d.quantize(Decimal(1).scaleb(-new_dec), rounding=ROUND_HALF_UP)
        while new_dec > max(0, decimals) and q == q.quantize(Decimal(1).scaleb(-(new_dec - 1))):
            new_dec -= 1
            q = q.quantize(Decimal(1).scaleb(-new_dec))
    return d, new_dec


def _exp(src_factor: float, dst_factor: float) -> int:
    return round(math.log10(src_factor / dst_factor))


# ---------------------------------------------------------------------------- amounts
def _check_lang(lang: str) -> None:
    require_lang(lang)


def _unit(unit: str):
    try:
        return UNITS[unit]
    except KeyError:
        raise ValueError(f"unknown unit {unit!r}; expected a unit of cqreport.core.vocab.UNITS") \
            from None


def _pick_scale(value_base: float, scales: tuple[tuple[str, float], ...]) -> tuple[str, float]:
    for word, factor in scales:
        if abs(value_base) >= factor:
            return word, factor
    return "", 1.0


def zh_unit_for(value_base: float, base: str) -> str:
    """The unit a Chinese release would write a base-unit value in.

    >>> zh_unit_for(6.4e11, "yuan"), zh_unit_for(7.56e10, "usd"), zh_unit_for(334000, "vehicles")
    ('亿元', '亿美元', '万辆')
    >>> zh_unit_for(9879, "trains"), zh_unit_for(6.25e12, "yuan")
    ('列', '万亿元')
    """
    word = BASE_UNITS[base][0]
    if base in ("percent", "pp"):
        return word
    scales = _ZH_SCALES if base in MONEY else _ZH_COUNT_SCALES
    scale, _ = _pick_scale(value_base, scales)
    label = scale + word
    return label if label in UNITS else word


def format_amount(value: float | None, unit: str, qualifier: str = "", lang: str = "zh", *,
                  decimals: int | None = None, noun: str | None = None) -> str:
    """Write an amount as a Chinese release (or a careful English text) would.

    Args:
        value: The number in ``unit`` (6.54). None or NaN gives the "not released" phrase.
        unit: A unit of the vocabulary, as reported (万亿元, billion yuan, 万辆, %).
        qualifier: A qualifier word of the vocabulary (约, 超, 余, nearly) or "".
        lang: "zh" or "en".
        decimals: Decimals the value was written with; default: as few as the value needs.
            Pass the source's decimals to keep its precision (6.0万亿元 stays 6.0).
        noun: English noun for counts (enterprises, train trips); default from the base unit.

    Returns:
        The figure as text, qualifier included.

    Raises:
        ValueError: For an unknown unit, qualifier or language.

    Examples:
        >>> format_amount(168, "亿元", "超")
        '超168亿元'
        >>> format_amount(10, "场", "余"), format_amount(3, "万单", "余")
        ('10余场', '3万余单')
        >>> format_amount(640, "billion yuan"), format_amount(75.6, "billion USD")
        ('6400亿元', '756亿美元')
        >>> format_amount(3.13, "万班", lang="en"), format_amount(103, "万标箱", "约", "en")
        ('31,300 train trips', 'about 1.03 million TEU')
        >>> format_amount(8600, "万元", "超", "en"), format_amount(200, "家", "近", "en", noun="firms")
        ('over RMB 86 million', 'nearly 200 firms')
        >>> format_amount(6.0, "万亿元", decimals=1), format_amount(None, "亿元")
        ('6.0万亿元', '未公布')
    """
    _check_lang(lang)
    if is_missing(value):
        return _missing(lang)
    u = _unit(unit)
    q = QUALIFIERS.get(qualifier) if qualifier else None
    if qualifier and q is None:
        raise ValueError(f"unknown qualifier {qualifier!r}; expected one of {', '.join(QUALIFIERS)}")
    dec = decimals_needed(value) if decimals is None else int(decimals)
    value_base = float(value) * u.factor
    if lang == "zh":
        return _format_zh(value, u, dec, value_base, q)
    return _format_en(value, u, dec, value_base, q, noun)


def _format_zh(value, u, dec, value_base, q) -> str:
    if u.lang == "zh":
        label, factor = u.label, u.factor
    else:
        label = zh_unit_for(value_base, u.base)
        factor = UNITS[label].factor
    number, new_dec = _shift(value, dec, _exp(u.factor, factor))
    num = write_number(float(number), new_dec)
    scale, counter = "", label
    for s, _ in _ZH_SCALES:
        if label.startswith(s) and label != s:
            scale, counter = s, label[len(s):]
            break
    word = "" if q is None else (q.word if has_chinese(q.word) else q.zh)
    if not word:
        return f"{num}{label}"
    if word in SUFFIX_QUALIFIERS and word != "以上":
        # 100余亿元 but 3万余单: 余/多 follows a whole number of the largest scale step
        if SCALES_ZH.get(scale, 0) >= 1e8 and new_dec == 0 and abs(float(number)) >= 10:
            return f"{num}{word}{scale}{counter}"
        return f"{num}{scale}{word}{counter}"
    if word == "以上":
        return f"{num}{label}以上"
    return f"{word}{num}{label}"


def _format_en(value, u, dec, value_base, q, noun) -> str:
    base = u.base
    qual = f"{q.en} " if q is not None else ""
    if base == "percent":
        number, d = _shift(value, dec, 0)
        return f"{qual}{write_number(float(number), d, 'en')}%"
    if base == "pp":
        num = write_number(value, dec, "en")
        return f"{qual}{num} percentage point{'' if num == '1' else 's'}"
    if base in MONEY:
        scale, factor = _pick_scale(value_base, _EN_SCALES)
    else:
        scale, factor = _pick_scale(value_base, _EN_COUNT_SCALES)
    number, d = _shift(value, dec, _exp(u.factor, factor))
    num = write_number(float(number), d, "en")
    if base in MONEY:
        return f"{qual}{CURRENCY_CODES[base]} {num}{' ' + scale if scale else ''}"
    noun = noun or BASE_UNITS[base][1]
    return f"{qual}{num}{' ' + scale if scale else ''} {noun}"


# ---------------------------------------------------------------------------- growth words
def _pct_decimals(value: float, decimals: int | None) -> int:
    return decimals_needed(value) if decimals is None else int(decimals)


_BASIS = {"yoy": ("同比", "year on year"), "qoq": ("环比", "quarter on quarter"),
          "ytd": ("较年初", "since the start of the year"), "": ("", "")}


def format_yoy(pct: float | None, lang: str = "zh", *, wording: str = "",
               decimals: int | None = None, basis: str = "yoy") -> str:
    """Write a growth rate: 同比增长6.8%, 同比下降0.2%, 增长1.1倍, 翻番.

    Args:
        pct: Change in percent (6.8; -0.2; 110 for 增长1.1倍; 100 for 翻番).
        lang: "zh" or "en".
        wording: "" (a percent), "times" (增长N倍, N = pct/100) or "doubled" (翻番).
        decimals: Decimals of the percent as reported.
        basis: "yoy" (同比), "qoq" (环比), "ytd" (较年初) or "" (no basis words).

    Examples:
        >>> format_yoy(-0.2), format_yoy(-0.2, "en")
        ('同比下降0.2%', 'down 0.2% year on year')
        >>> format_yoy(0), format_yoy(0, "en")
        ('同比持平', 'unchanged year on year')
        >>> format_yoy(110, wording="times"), format_yoy(110, "en", wording="times")
        ('同比增长1.1倍', 'up 110% year on year')
        >>> format_yoy(100, wording="doubled"), format_yoy(100, "en", wording="doubled")
        ('同比翻番', 'doubled year on year')
        >>> format_yoy(3.5, basis="qoq"), format_yoy(None)
        ('环比增长3.5%', '同比增速未公布')
    """
    _check_lang(lang)
    zh_basis, en_basis = _BASIS[basis]
    if is_missing(pct):
        return f"{zh_basis}增速未公布" if lang == "zh" else \
            f"change {en_basis} {_missing('en')}".replace("  ", " ")
    pct = float(pct)
    dec = _pct_decimals(pct, decimals)
    sp = f" {en_basis}" if en_basis else ""
    if wording == "doubled":
        if pct != 100:
            raise ValueError(f"翻番 means +100%, got {pct}")
        return f"{zh_basis}翻番" if lang == "zh" else f"doubled{sp}"
    if wording == "times" and lang == "zh":
        number, d = _shift(abs(pct), dec, -2)
        verb = "增长" if pct > 0 else "下降"
        return f"{zh_basis}{verb}{write_number(float(number), d)}倍"
    if wording not in ("", "times"):
        raise ValueError(f"unknown growth wording {wording!r}; expected '', 'times' or 'doubled'")
    num = write_number(abs(pct), dec, lang)
    if lang == "zh":
        if pct == 0:
            return f"{zh_basis}持平"
        return f"{zh_basis}{'增长' if pct > 0 else '下降'}{num}%"
    if pct == 0:
        return f"unchanged{sp}"
    return f"{'up' if pct > 0 else 'down'} {num}%{sp}"


def format_pp(pp: float | None, lang: str = "zh", *, decimals: int | None = None) -> str:
    """Write a gap to the national rate in percentage points (never as percent).

    Examples:
        >>> format_pp(0.5), format_pp(0.5, "en")
        ('高于全国0.5个百分点', '0.5 percentage points above the national average')
        >>> format_pp(-1.2), format_pp(1, "en"), format_pp(0)
        ('低于全国1.2个百分点', '1 percentage point above the national average', '与全国持平')
    """
    _check_lang(lang)
    if is_missing(pp):
        return "与全国比较未公布" if lang == "zh" else "comparison with the national average not released"
    pp = float(pp)
    if pp == 0:
        return "与全国持平" if lang == "zh" else "in line with the national average"
    num = write_number(abs(pp), _pct_decimals(pp, decimals), lang)
    if lang == "zh":
        return f"{'高于' if pp > 0 else '低于'}全国{num}个百分点"
    unit = "percentage point" if num == "1" else "percentage points"
    return f"{num} {unit} {'above' if pp > 0 else 'below'} the national average"


def format_pp_change(pp: float | None, lang: str = "zh", *, decimals: int | None = None) -> str:
    """Write a change of a rate or share in percentage points.

    >>> format_pp_change(2.8), format_pp_change(-0.3, "en")
    ('提高2.8个百分点', 'down 0.3 percentage points')
    """
    _check_lang(lang)
    if is_missing(pp):
        return _missing(lang)
    pp = float(pp)
    num = write_number(abs(pp), _pct_decimals(pp, decimals), lang)
    if lang == "zh":
        return "持平" if pp == 0 else f"{'提高' if pp > 0 else '下降'}{num}个百分点"
    if pp == 0:
        return "unchanged"
    return f"{'up' if pp > 0 else 'down'} {num} percentage point{'' if num == '1' else 's'}"


def format_yoy_diff(diff: float | None, unit: str, lang: str = "zh", *, qualifier: str = "",
                    decimals: int | None = None) -> str:
    """Write the year-on-year difference of a flow: 同比多增532.3亿元 / 少增.

    Examples:
        >>> format_yoy_diff(532.3, "亿元"), format_yoy_diff(-120, "亿元")
        ('同比多增532.3亿元', '同比少增120亿元')
        >>> format_yoy_diff(532.3, "亿元", "en")
        'RMB 53.23 billion more than a year earlier'
        >>> format_yoy_diff(0, "亿元")
        '与上年同期持平'
    """
    _check_lang(lang)
    if is_missing(diff):
        return "同比增减未公布" if lang == "zh" else "change from a year earlier not released"
    diff = float(diff)
    if diff == 0:
        return "与上年同期持平" if lang == "zh" else "the same as a year earlier"
    amount = format_amount(abs(diff), unit, qualifier, lang, decimals=decimals)
    if lang == "zh":
        return f"同比{'多增' if diff > 0 else '少增'}{amount}"
    return f"{amount} {'more' if diff > 0 else 'less'} than a year earlier"


def format_change(diff: float | None, unit: str, lang: str = "zh", *, qualifier: str = "",
                  decimals: int | None = None, basis: str = "ytd") -> str:
    """Write the change of a stock: 较年初增加1500亿元 / an increase of RMB 150 billion.

    >>> format_change(1500, "亿元", qualifier="约")
    '较年初增加约1500亿元'
    >>> format_change(-20, "亿元", "en", basis="yoy")
    'a decrease of RMB 2 billion year on year'
    """
    _check_lang(lang)
    if is_missing(diff):
        return _missing(lang)
    diff = float(diff)
    zh_basis, en_basis = _BASIS[basis]
    amount = format_amount(abs(diff), unit, qualifier, lang, decimals=decimals)
    if lang == "zh":
        return f"{zh_basis}{'增加' if diff >= 0 else '减少'}{amount}"
    return f"{'an increase' if diff >= 0 else 'a decrease'} of {amount} {en_basis}".strip()


def format_streak(months: int | None, lang: str = "zh") -> str:
    """Write a run of consecutive months: 连续13个月 / for 13 consecutive months.

    >>> format_streak(13), format_streak(13, "en"), format_streak(1, "en")
    ('连续13个月', 'for 13 consecutive months', 'for 1 month')
    """
    _check_lang(lang)
    if is_missing(months):
        return _missing(lang)
    n = int(months)
    if lang == "zh":
        return f"连续{n}个月"
    return f"for {n} consecutive months" if n != 1 else "for 1 month"


def format_multiple(times: float, lang: str = "zh", *, decimals: int | None = None) -> str:
    """Write a ratio: 5.4倍 / 5.4 times.

    >>> format_multiple(5.4), format_multiple(5.4, "en")
    ('5.4倍', '5.4 times')
    """
    _check_lang(lang)
    num = write_number(times, _pct_decimals(times, decimals), lang)
    return f"{num}倍" if lang == "zh" else f"{num} times"


# ---------------------------------------------------------------------------- ranks
_REGIONS = {
    "中西部": "in central and western China", "全国": "nationwide", "西部": "in western China",
    "中心城区": "among the central urban districts", "西南": "in south-west China",
    "全市": "in the city",
}
_RANK_RE = re.compile(
    r"(?P<verb>稳居|位居|居|位列|排名|列)?(?P<region>" + "|".join(_REGIONS) + r")"
    r"(?:第(?P<n>[一二三四五六七八九十]+|\d+)(?:位)?|(?P<first>首位)|(?P<front>前列))")
_ZH_ORD = dict(enumerate("一二三四五六七八九十", start=1))
_EN_ORD = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth",
           7: "seventh", 8: "eighth", 9: "ninth", 10: "tenth"}


@dataclass(frozen=True)
class Rank:
    """A standing as worded in a release: 居中西部第一.

    Attributes:
        region: Where the ranking holds (中西部, 全国).
        position: The position (1 for 第一 or 首位), or None for 前列 (among the leaders).
        text: The matched Chinese text.
    """

    region: str
    position: int | None
    text: str


def parse_rank(text: str) -> list[Rank]:
    """Read the standings out of a rank wording.

    >>> parse_rank("居中西部第一")
    [Rank(region='中西部', position=1, text='居中西部第一')]
    >>> [(r.region, r.position) for r in parse_rank("融资规模居中西部首位、全国前列")]
    [('中西部', 1), ('全国', None)]
    """
    out = []
    for m in _RANK_RE.finditer(text or ""):
        if m.group("n"):
            raw = m.group("n")
            pos = int(raw) if raw.isdigit() else int(parse_chinese_numeral(raw))
        elif m.group("first"):
            pos = 1
        else:
            pos = None
        out.append(Rank(m.group("region"), pos, m.group()))
    return out


def format_rank(rank: Rank, lang: str = "zh") -> str:
    """Write a standing: 居中西部第一 / ranked first in central and western China.

    >>> format_rank(parse_rank("居中西部第一")[0], "en")
    'ranked first in central and western China'
    >>> format_rank(Rank("全国", None, "全国前列"), "en")
    'among the leaders nationwide'
    >>> format_rank(Rank("全国", 3, ""), "zh"), format_rank(Rank("全国", 12, ""), "zh")
    ('居全国第三', '居全国第12')
    """
    _check_lang(lang)
    if lang == "zh":
        if rank.position is None:
            return f"居{rank.region}前列"
        pos = _ZH_ORD[rank.position] if rank.position in _ZH_ORD else str(rank.position)
        return f"居{rank.region}第{pos}"
    where = _REGIONS[rank.region]
    if rank.position is None:
        return f"among the leaders {where}"
    return f"ranked {_EN_ORD.get(rank.position, str(rank.position))} {where}"
