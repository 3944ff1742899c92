"""The controlled vocabulary: the one home of every list of names the project uses.

Units and their scales, qualifiers and the words for their bounds, topics,
report languages, reliability grades, month names and the bilingual glossary
(``glossary.toml`` beside this file) are defined here, or read here from
``data/datapackage.json`` where the data package declares them (enums), and
every other module imports them from here instead of writing its own copy
(``tests/test_vocab.py`` checks that). This is the one place that knows that
万亿元 is 1e12 yuan or that 近 means "nearly".

Examples:
    >>> to_base(6.54, "万亿元")
    6540000000000.0
    >>> UNITS["亿美元"].base
    'usd'
    >>> QUALIFIERS["超"].bound
    'lower'
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from ..errors import ParameterError
from . import paths


class Lang(StrEnum):
    """A language a report is written in: the one list of them (the first is the default).

    A member compares and hashes equal to its code (``Lang.ZH == "zh"``), so text and
    glossary entries keyed by code serve it as they are. :meth:`parse` is the one check
    of a language, wherever one enters.

    >>> Lang.parse("ZH"), Lang.parse("english"), str(Lang.EN)
    (<Lang.ZH: 'zh'>, <Lang.EN: 'en'>, 'en')
    >>> Lang.parse("fr")
    Traceback (most recent call last):
    cqreport.errors.ParameterError: unknown language 'fr'; expected one of: zh, en
    """

    ZH = "zh"
    EN = "en"

    @classmethod
    def parse(cls, value: object) -> Lang:
        """The language a code names (case and a few common aliases accepted).

        Raises:
            ParameterError: Naming the value and the languages there are.
        """
        if isinstance(value, cls):
            return value
        raw = str(value).strip().lower()
        try:
            return cls(_LANG_ALIASES.get(raw, raw))
        except ValueError:
            raise ParameterError(f"unknown language {value!r}; expected one of: "
                                 f"{', '.join(REPORT_LANGS)}") from None


_LANG_ALIASES = {"zh-cn": "zh", "cn": "zh", "chinese": "zh", "english": "en", "en-us": "en"}
#: The report languages in order; the first is the default.
REPORT_LANGS: tuple[Lang, ...] = tuple(Lang)

_GLOSSARY_FILE = Path(__file__).with_name("glossary.toml")


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

#: Scale words and their factors, largest first (the empty scale last).
SCALES_ZH: dict[str, float] = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "": 1.0}
SCALES_EN: dict[str, float] = {"trillion": 1e12, "billion": 1e9, "million": 1e6, "thousand": 1e3, "": 1.0}


#: Chinese counters and the base unit each counts; each is written with every scale (万辆, 亿元).
ZH_COUNTERS: dict[str, str] = {
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

#: English nouns and the base unit each counts; each is written with every scale (million vehicles).
EN_COUNT_NOUNS: dict[str, str] = {
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

#: Units written without a scale: label -> (base unit, factor to it, language). 个 counts ports
#: and countries alike (the metric decides which); 成 is tenths (五成 = 50%), a basis point a
#: hundredth of a point, 倍 "times".
PLAIN_UNITS: dict[str, tuple[str, float, str]] = {
    "个": ("items", 1.0, "zh"),
    "%": ("percent", 1.0, "zh"),
    "percent": ("percent", 1.0, "en"),
    "个百分点": ("pp", 1.0, "zh"),
    "percentage points": ("pp", 1.0, "en"),
    "成": ("percent", 10.0, "zh"),
    "个基点": ("pp", 0.01, "zh"),
    "个BP": ("pp", 0.01, "zh"),      # 同比下降43个BP, as releases also write it
    "基点": ("pp", 0.01, "zh"),
    "basis points": ("pp", 0.01, "en"),
    "倍": ("times", 1.0, "zh"),
    "times": ("times", 1.0, "en"),
    "公里": ("km", 1.0, "zh"),
    "平方公里": ("km2", 1.0, "zh"),
    "万平方公里": ("km2", 1e4, "zh"),
    "km": ("km", 1.0, "en"),
    "square kilometers": ("km2", 1.0, "en"),
}


def _build_units() -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for counter, base in ZH_COUNTERS.items():
        for scale, factor in SCALES_ZH.items():
            label = scale + counter
            units[label] = Unit(label, base, factor, "zh")
    for noun, base in EN_COUNT_NOUNS.items():
        for scale, factor in SCALES_EN.items():
            label = f"{scale} {noun}".strip()
            units[label] = Unit(label, base, factor, "en")
    units.update({label: Unit(label, base, factor, lang)
                  for label, (base, factor, lang) in PLAIN_UNITS.items()})
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
        return (first, rest) if first in SCALES_EN and rest else ("", unit)
    for scale in (w for w in SCALES_ZH if w):
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

#: Entity types the report compares Chongqing with but never reports on as figures of
#: its own (the country as a whole, a region that contains Chongqing, a peer province or
#: city: a Sichuan figure is a yardstick, never one of Chongqing's).
COMPARATOR_ENTITY_TYPES = frozenset({"country", "region", "province", "city"})

#: Entity types the report's peers section sets beside Chongqing (analysis/peers.py): a peer
#: province. A region that contains Chongqing, or a city of another province, is not one.
PEER_ENTITY_TYPES = frozenset({"province"})

#: Entity types a chart overlays as the national yardstick (hollow points, "national" in the
#: caption): the country only. A peer province is a comparator, never drawn as national.
NATIONAL_ENTITY_TYPES = frozenset({"country"})

#: The definition fields of a series (metrics.csv; an observation may narrow them) and
#: the value that says a source leaves one open.
DEFINITION_FIELDS: tuple[str, ...] = ("currency", "compiler", "scope")
UNSTATED = "unstated"

#: Words by which a source states a definition field's value, as regular expressions
#: matched case-insensitively against a quote (traditional forms included). Validation
#: requires a row filed under an RMB or all-currency series to say so in its quote, or
#: to record the inference and its evidence; and refuses a quote that says the other.
DEFINITION_WORDS: dict[str, dict[str, str]] = {
    "currency": {
        "all": r"本外[币幣]|(?:local|domestic|home) and foreign currenc|"
               r"\b(?:renminbi|rmb)(?:\s*\(rmb\))?\s+and\s+foreign[- ]currenc",
        # RMB before a number is a unit (RMB 6.54 trillion), not a scope; "renminbi (RMB) and
        # foreign currency loans" are all currencies
        "rmb": r"人民[币幣]|\brenminbi\b(?!\s*(?:\(rmb\)\s*)?and\s+foreign)|"
               r"\brmb\b(?!\s?\d)(?!\)?\s*and\s+foreign)|\byuan(?:-denominated)? loans|outstanding yuan|"
               r"denominated in yuan|local currency loans",
    },
    "scope": {
        "excl_shenzhen": r"不含深圳|excluding shenzhen",
        "banking_sector": r"银行业|銀行業|banking (?:industry|sector)",
    },
}

#: Words by which the report attaches a definition to the figure that follows them in its
#: clause, per language (regular expressions on the report's normalised text), and what
#: each claims: the audit refuses a figure whose data says otherwise (report/audit.py).
REPORT_DEFINITION_WORDS: dict[str, dict[str, str]] = {
    "rmb": {"zh": r"人民币", "en": r"\bRMB\b(?!\s?\d)"},
    "all_currencies": {"zh": r"本外币", "en": r"local and foreign currenc"},
    "cumulative": {"zh": r"累计", "en": r"\bcumulative\b"},
    "whole_city": {"zh": r"全市", "en": r"\bin Chongqing\b"},
    "national": {"zh": r"全国", "en": r"\bnational (?:total|balance|figure)s?\b|\bChina as a whole\b"},
}

#: The lowest source grade a chart draws a point from (reliability grades, best first):
#: below it (forum posts, machine summaries) a figure is for the text only, labelled as such.
CHART_MIN_GRADE = "mirror"

#: Base units of minor counts (firms, members, events held, products launched, outlets):
#: the report lists these in a compact table per section, never in its prose.
MINOR_COUNT_BASES = frozenset({"entities", "events", "items", "documents", "persons", "households",
                               "person_visits", "pieces", "funds"})

#: Currency base units and how English writes them before an amount (RMB 6.54 trillion).
CURRENCY_CODES: dict[str, str] = {"yuan": "RMB", "usd": "USD"}
MONEY = frozenset(CURRENCY_CODES)

#: The scale a chart axis is drawn in, per base unit: (factor, Chinese unit label).
#: English axes of money are in billions (``EN_MONEY_AXIS``); counts in the base unit.
CHART_SCALES: dict[str, tuple[float, str]] = {
    "yuan": (1e8, "亿元"),
    "usd": (1e8, "亿美元"),
    "vehicles": (1e4, "万辆"),
    "teu": (1e4, "万标箱"),
    "documents": (1e4, "万单"),
    "train_trips": (1e4, "万班"),
    "person_visits": (1e4, "万人次"),
    "percent": (1.0, "%"),
}
EN_MONEY_AXIS: dict[str, tuple[float, str]] = {"yuan": (1e9, "billion yuan"), "usd": (1e9, "billion USD")}

#: The word written for each bound of a derived figure, by language: the first
#: qualifier of that bound above (约/about, 超/over, 近/nearly).
BOUND_WORDS: dict[str, dict[str, str]] = {
    q.bound: {"zh": q.zh, "en": q.en} for q in reversed(list(QUALIFIERS.values()))}


# ------------------------------------------------------------ from the descriptor and the glossary
#: The data folder whose descriptor the enums are read from: the data in use (set by
#: :func:`use_data` when a command is given ``--data`` and when a dataset is loaded).
_IN_USE: dict[str, Path] = {}


def use_data(folder: str | Path) -> None:
    """Read the vocabulary's enums (topics, grades…) from this data folder's descriptor.

    Raises:
        ParameterError: The folder holds no datapackage.json.
    """
    _IN_USE["descriptor"] = paths.descriptor(Path(folder).resolve())


def descriptor_in_use() -> Path:
    """The descriptor of the data in use: the one :func:`use_data` named, else the default data
    folder's (``--data`` unset: $CQREPORT_DATA or the checkout's data/), else the checkout's."""
    if "descriptor" in _IN_USE:
        return _IN_USE["descriptor"]
    found = paths.data_dir() / "datapackage.json"
    return found if found.is_file() else paths.DESCRIPTOR


def descriptor_enums() -> dict[tuple[str, str], tuple[str, ...]]:
    """Every enum the descriptor of the data in use declares, by (table, column), in its order."""
    return _enums_of(descriptor_in_use())


@cache
def _enums_of(descriptor: Path) -> dict[tuple[str, str], tuple[str, ...]]:
    pkg = json.loads(descriptor.read_text(encoding="utf-8"))
    return {(r["name"], f["name"]): tuple(f["constraints"]["enum"])
            for r in pkg["resources"] for f in r["schema"]["fields"]
            if "enum" in f.get("constraints", {})}


@cache
def glossary() -> dict:
    """The bilingual glossary (``glossary.toml``), parsed once."""
    with _GLOSSARY_FILE.open("rb") as fh:
        return tomllib.load(fh)


def topics() -> tuple[str, ...]:
    """Every topic a metric can have (metrics.topic in the descriptor)."""
    return descriptor_enums()[("metrics", "topic")]


def report_topics() -> tuple[str, ...]:
    """The topics that have a section in the report, in the report's order.

    >>> report_topics()
    ('credit', 'cross_border', 'auto', 'corridor')
    """
    g = glossary()["topics"]
    return tuple(t for t in g if g[t].get("section", True) and t in topics())


def reliability_grades() -> tuple[str, ...]:
    """The source reliability grades, best first (sources.reliability in the descriptor)."""
    return descriptor_enums()[("sources", "reliability")]


def unnamed_grades() -> tuple[str, ...]:
    """Grades good enough that the text does not name them beside the source (official, press)."""
    g = glossary()["reliability"]
    return tuple(r for r in reliability_grades() if not g[r].get("named", True))


def month_name(month: int, *, abbr: bool = False) -> str:
    """The English name of a month (1–12), independent of the locale.

    >>> month_name(3), month_name(9, abbr=True)
    ('March', 'Sep')
    """
    return glossary()["months"]["en_abbr" if abbr else "en"][month - 1]


def word(section: str, key: str, lang: str) -> str:
    """A glossary word: ``word("charts", "balance", "zh")`` → 余额.

    Raises:
        ParameterError: For a language that is not a report language.
        KeyError: For a section or key the glossary does not hold.
    """
    return glossary()[section][key][Lang.parse(lang)]


def words(section: str, lang: str) -> dict[str, str]:
    """Every word of a glossary section in one language: ``words("reliability", "en")``."""
    return {k: word(section, k, lang) for k in glossary()[section]}


def require_topic(topic: str) -> str:
    """The topic, checked against the report's sections.

    Raises:
        ParameterError: Naming the unknown topic and the known ones.
    """
    if topic not in report_topics():
        raise ParameterError(f"unknown topic {topic!r}; expected one of: {', '.join(report_topics())}")
    return topic
