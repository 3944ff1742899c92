"""The controlled vocabulary of the data: reported units and qualifiers.

This is the one place that knows that 万亿元 is 1e12 yuan or that 近 means
"nearly". The loader, the formatter and the extractor all read it from here.

Examples:
    >>> to_base(6.54, "万亿元")
    6540000000000.0
    >>> UNITS["亿美元"].base
    'usd'
    >>> QUALIFIERS["超"].bound
    'lower'
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    """A unit as it is written in a release.

    Attributes:
        label: The unit as written (亿元, billion yuan, %).
        base: Base unit the value converts to (yuan, usd, vehicles, ...).
        factor: Multiplier from the reported value to the base unit.
        lang: "zh" or "en", the language the label belongs to.
    """

    label: str
    base: str
    factor: float
    lang: str


# Base units: one word per physical quantity, used by metrics.csv:base_unit.
BASE_UNITS: dict[str, tuple[str, str]] = {
    # base: (Chinese counter/word, English noun)
    "yuan": ("元", "yuan"),
    "usd": ("美元", "US dollars"),
    "vehicles": ("辆", "vehicles"),
    "teu": ("标箱", "TEU"),
    "trains": ("列", "trains"),
    "train_trips": ("班", "train trips"),
    "entities": ("家", "entities"),
    "items": ("项", "items"),
    "events": ("场", "events"),
    "funds": ("只", "funds"),
    "routes": ("条", "routes"),
    "ports": ("个", "ports"),
    "countries": ("个", "countries"),
    "transactions": ("笔", "transactions"),
    "documents": ("单", "documents"),
    "person_visits": ("人次", "person-visits"),
    "persons": ("人", "people"),
    "percent": ("%", "percent"),
    "pp": ("个百分点", "percentage points"),
    # added for the extractor: units releases use that no metric measures yet
    "tonnes": ("吨", "tonnes"),
    "times": ("倍", "times"),
    "pieces": ("件", "pieces"),
    "km": ("公里", "km"),
    "km2": ("平方公里", "square km"),
    "households": ("户", "households"),
}

_SCALES_ZH = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "": 1.0}
_SCALES_EN = {"trillion": 1e12, "billion": 1e9, "million": 1e6, "thousand": 1e3, "": 1.0}


def _build_units() -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    zh_counters = {
        "元": "yuan",
        "美元": "usd",
        "辆": "vehicles",
        "标箱": "teu",
        "列": "trains",
        "班": "train_trips",
        "家": "entities",
        "项": "items",
        "场": "events",
        "只": "funds",
        "条": "routes",
        "笔": "transactions",
        "单": "documents",
        "人次": "person_visits",
        "人": "persons",
        "名": "persons",
        "吨": "tonnes",
        "件": "pieces",
        "户": "households",
    }
    for counter, base in zh_counters.items():
        for scale, factor in _SCALES_ZH.items():
            label = scale + counter
            units[label] = Unit(label, base, factor, "zh")
    # 个 counts ports and countries alike; the metric decides which.
    units["个"] = Unit("个", "items", 1.0, "zh")
    en_nouns = {
        "yuan": "yuan",
        "USD": "usd",
        "vehicles": "vehicles",
        "units": "vehicles",
        "TEU": "teu",
        "trains": "trains",
        "enterprises": "entities",
        "institutions": "entities",
        "businesses": "entities",
        "items": "items",
        "events": "events",
        "RMB": "yuan",
        "TEUs": "teu",
        "tonnes": "tonnes",
        "tons": "tonnes",
        "companies": "entities",
        "firms": "entities",
        "banks": "entities",
        "projects": "items",
        "products": "items",
        "models": "items",
        "scenarios": "items",
        "services": "items",
        "cars": "vehicles",
        "people": "persons",
        "visitors": "persons",
        "routes": "routes",
        "ports": "ports",
        "countries": "countries",
        "transactions": "transactions",
        "funds": "funds",
        "measures": "items",
        "standards": "items",
        "tools": "items",
        "policies": "items",
        "regions": "items",
        "outlets": "entities",
        "branches": "entities",
        "members": "entities",
        "cities": "items",
        # English reports count Land-Sea Corridor train runs as "trips" (班)
        "trips": "train_trips",
    }
    for noun, base in en_nouns.items():
        for scale, factor in _SCALES_EN.items():
            label = f"{scale} {noun}".strip()
            units[label] = Unit(label, base, factor, "en")
    units["%"] = Unit("%", "percent", 1.0, "zh")
    units["percent"] = Unit("percent", "percent", 1.0, "en")
    units["个百分点"] = Unit("个百分点", "pp", 1.0, "zh")
    units["percentage points"] = Unit("percentage points", "pp", 1.0, "en")
    # 成 is tenths (五成 = 50%), a basis point a hundredth of a point, 倍 "times"
    units["成"] = Unit("成", "percent", 10.0, "zh")
    units["个基点"] = Unit("个基点", "pp", 0.01, "zh")
    units["基点"] = Unit("基点", "pp", 0.01, "zh")
    units["basis points"] = Unit("basis points", "pp", 0.01, "en")
    units["倍"] = Unit("倍", "times", 1.0, "zh")
    units["times"] = Unit("times", "times", 1.0, "en")
    units["公里"] = Unit("公里", "km", 1.0, "zh")
    units["平方公里"] = Unit("平方公里", "km2", 1.0, "zh")
    units["万平方公里"] = Unit("万平方公里", "km2", 1e4, "zh")
    units["km"] = Unit("km", "km", 1.0, "en")
    units["square kilometers"] = Unit("square kilometers", "km2", 1.0, "en")
    return units


UNITS: dict[str, Unit] = _build_units()


def to_base(value: float, unit: str) -> float:
    """Convert a reported value to its base unit.

    Args:
        value: The number as reported (6.54).
        unit: The unit as reported (万亿元).

    Returns:
        The value in the unit's base unit (6.54e12 yuan).

    Raises:
        KeyError: If the unit is not in the vocabulary.

    Examples:
        >>> to_base(61.4, "万辆")
        614000.0
        >>> to_base(75.6, "billion USD")
        75600000000.0
    """
    return float(value) * UNITS[unit].factor


def scale_of(unit: str) -> tuple[str, str]:
    """Split a unit label into its scale word and its counter.

    Examples:
        >>> scale_of("万亿元")
        ('万亿', '元')
        >>> scale_of("billion yuan")
        ('billion', 'yuan')
        >>> scale_of("%")
        ('', '%')
    """
    u = UNITS[unit]
    if u.lang == "en":
        first, _, rest = unit.partition(" ")
        return (first, rest) if first in _SCALES_EN and rest else ("", unit)
    for scale in ("万亿", "亿", "万"):
        if unit.startswith(scale) and unit != scale:
            return scale, unit[len(scale):]
    return "", unit


@dataclass(frozen=True)
class Qualifier:
    """A word that bounds or softens a figure.

    Attributes:
        word: As written (超, nearly).
        bound: "approx" (about), "lower" (the true value is above), "upper" (just below).
        zh: Canonical Chinese word for writing.
        en: Canonical English word for writing.
    """

    word: str
    bound: str
    zh: str
    en: str


QUALIFIERS: dict[str, Qualifier] = {
    q.word: q
    for q in [
        Qualifier("约", "approx", "约", "about"),
        Qualifier("近", "upper", "近", "nearly"),
        Qualifier("超", "lower", "超", "over"),
        Qualifier("超过", "lower", "超过", "more than"),
        Qualifier("逾", "lower", "逾", "over"),
        Qualifier("突破", "lower", "突破", "more than"),
        Qualifier("以上", "lower", "以上", "over"),
        Qualifier("余", "lower", "余", "over"),
        Qualifier("多", "lower", "多", "over"),
        Qualifier("about", "approx", "约", "about"),
        Qualifier("approximately", "approx", "约", "about"),
        Qualifier("nearly", "upper", "近", "nearly"),
        Qualifier("over", "lower", "超", "over"),
        Qualifier("more than", "lower", "超过", "more than"),
        Qualifier("exceeding", "lower", "超过", "more than"),
        Qualifier("exceeded", "lower", "超过", "more than"),
    ]
}

# Qualifiers written after the number (10余场, 7000多笔, 二成以上) rather than before it.
SUFFIX_QUALIFIERS = frozenset({"余", "多", "以上"})
