"""New catalogue rows for figures no catalogue metric fits, each field with its reason.

Two kinds of proposal, tried in order:

* the specific ones of the series the project knows well (a loan balance by sector or
  purpose, a month's change in loans, trade-and-investment RMB settlement, a cumulative
  settlement total, the corridor's yearly trains);
* a generic one, built from the words that say what the figure measures (本外币各项存款余额,
  "outstanding yuan loans to the real economy"): the measured thing from ``terms.toml``, and
  the measure (a balance, an increase, a growth rate, a share, a rate, a count) from the
  words around it. No such words, no proposal: the figure stays ``unknown``.

Every proposal carries every field ``--append`` requires (``metrics.csv``'s required
columns), and a ``reason`` saying where each value came from. ``priority`` is proposed as 3:
what it means is in :data:`PRIORITY_MEANING`.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources

from ..core.places import mentions
from ..core.vocab import UNITS
from .catalogue import Catalogue
from .labels import WHOLE, Label

#: What a metric's priority decides (report/narrative.py reads it; data/README.md explains it).
PRIORITY_MEANING = {
    "1": "headline: the key points and the headline table of its topic",
    "2": "main text: the topic's section names it",
    "3": "context: mentioned only beside a main figure of the same release",
}
PROPOSED_PRIORITY = "3"


# --- new catalogue rows ----------------------------------------------------------------

# Part words, longest first, with an id fragment and an English name.
_PART_NAMES = [
    ("中长期", "medium_long_term", "medium- and long-term"), ("短期", "short_term", "short-term"),
    ("票据", "bills", "bill financing and"), ("固定资产", "fixed_asset", "fixed-asset"),
    ("经营性", "operating", "operating"), ("重工业", "heavy_industry", "heavy-industry"),
    ("轻工业", "light_industry", "light-industry"), ("制造业", "manufacturing", "manufacturing"),
    ("工业", "industry", "industrial"), ("服务业", "services", "services"),
    ("基础设施", "infrastructure", "infrastructure"), ("普惠", "inclusive", "inclusive"),
    ("小微", "small_micro", "small and micro"), ("绿色", "green", "green"), ("科技", "tech", "tech"),
    ("涉农", "agri", "agriculture-related"), ("农户", "farm_household", "farm-household"),
    ("企事业单位", "corporate", "corporate"), ("住户", "household", "household"),
    ("房地产", "real_estate", "real-estate"), ("个人", "personal", "personal"),
    ("消费", "consumer", "consumer"), ("外币", "fx", "foreign-currency"),
    ("转型", "transition", "transition"),
]
_PART_NAMES_EN = [
    ("medium and long-term", "medium_long_term"), ("medium- and long-term", "medium_long_term"),
    ("short-term", "short_term"), ("household", "household"), ("corporate", "corporate"),
    ("small and micro", "small_micro"), ("microloan", "small_micro"), ("inclusive", "inclusive"),
    ("green", "green"), ("tech", "tech"), ("bill financing", "bills"),
    ("foreign currency loans", "fx"), ("business loans", "business"),
    ("manufacturing", "manufacturing"), ("infrastructure", "infrastructure"),
    ("real estate", "real_estate"), ("domestic loan", "domestic"),
]


def _loan_parts(clause: str, lang: str) -> list[tuple[str, str, str]]:
    """The part words of a loan figure's clause, longest match first (重工业 before 工业)."""
    out: list[tuple[str, str, str]] = []
    clause = WHOLE.sub(lambda m: " " * len(m[0]), clause)
    if lang == "en":
        low = clause.lower()
        for word, frag in _PART_NAMES_EN:
            if word in low and frag not in [f for _, f, _ in out]:
                out.append((word, frag, word))
        return out
    taken = ""
    for zh, frag, en in _PART_NAMES:
        if zh in clause and zh not in taken:
            out.append((zh, frag, en))
            taken += zh
    order = {zh: clause.find(zh) for zh, _, _ in out}
    return sorted(out, key=lambda t: order[t[0]])


def _last_subject(context: str) -> str:
    """The clause of a sentence that holds its last balance (…贷款余额X，同比增长…，比上月增加Y)."""
    i = max(context.rfind("余额"), context.lower().rfind("balance"))
    if i < 0:
        return context
    s = i
    while s > 0 and context[s - 1] not in "，,；;。":
        s -= 1
    return context[s:i + 2]


def propose_metric(lab: Label, unit: str, clause: str, lang: str, catalogue: Catalogue,
                   context: str = "", flow_span: bool = False, figure_text: str = ""
                   ) -> dict[str, str] | None:
    """A new catalogue row for a figure no catalogue metric fits, where the words say
    clearly what it is (see the module docs); None otherwise.

    Args:
        flow_span: The figure is dated by a span with a start (一季度, in 2025): what it
            measures accrues over the span.
        figure_text: The figure as written ("1,800 local businesses": a count's noun).
    """
    u = UNITS.get(unit)
    if u is None or lab.metric_id != "unknown":
        return None
    if lang == "en" and UNITS[unit].base in _COUNTS:
        clause = figure_text  # "over 1,800 local businesses": what is counted follows the number
    elif lang == "en" and not _subject_en(clause)[1]:
        clause = context  # ", up 223%": the sentence before the clause says what grew
    elif lang == "zh" and not _subject_zh(clause)[1] and (lab.flow or _FLOW_ZH.search(clause)):
        # …贷款余额X，同比增长Y%，上半年增加Z: Z's subject, with its own measure (增加, 增量)
        clause = (_last_subject(context) or "").replace("余额", "").replace("存量", "") + clause
    row = _specific(lab, unit, clause, lang, context) or _generic(lab, unit, clause, lang, flow_span)
    if row is None:
        return None
    if catalogue.metric(row["metric_id"]) is not None:
        # the words compose a catalogue metric's own id: that series, named less surely
        lab.metric_id, lab.evidence = row["metric_id"], 0.6
        lab.reason = (f"{row['metric_id']}: the words of the clause compose its id "
                      f"({row.get('name_zh') or row.get('name_en')})")
        return None
    row.setdefault("reason", _reasons(row, "the words name this series"))
    return row


def _specific(lab: Label, unit: str, clause: str, lang: str, context: str) -> dict[str, str] | None:
    """The proposals of the series the project knows well."""
    u = UNITS[unit]
    row: dict[str, str] | None = None
    if lab.month_change:  # 比上月增加X: the loans it is about are named earlier in the sentence
        clause = _last_subject(context)
    loan = re.search(r"贷款|loans?\b", clause, re.I)
    if u.base == "yuan" and loan:
        parts = _loan_parts(clause, lang)
        frag = "_".join(f for _, f, _ in parts)
        zh = "".join(z for z, _, _ in parts) if lang == "zh" else "".join(
            next((z for z, f2, _ in _PART_NAMES if f2 == f), "") for _, f, _ in parts)
        en = " ".join(e for _, _, e in parts) if lang == "zh" else " ".join(w for w, _, _ in parts)
        if lab.month_change:
            row = _row(f"loan_change_mom{'_' + frag if frag else ''}", f"{zh}贷款比上月增加",
                       f"{en} loans, change from the previous month".strip().capitalize(),
                       "credit", "flow", "flow", unit, "yuan",
                       "Change in the loan balance over one month (比上月增加), as released.")
        elif lab.balance and parts:
            row = _row(f"loan_balance_{frag}", f"{zh}贷款余额",
                       f"{en} loan balance".strip().capitalize(), "credit", "stock", "stock",
                       unit, "yuan", "Outstanding loans of this sector or purpose at the as-of "
                       "date; a part of the total loan balance, not comparable with it.")
        elif parts and re.search(r"增加|新增|increased|new", clause, re.I):
            row = _row(f"new_loans_{frag}", f"{zh}贷款增加", f"New {en} loans".strip(),
                       "credit", "flow", "flow", unit, "yuan",
                       "Increase in loans of this sector or purpose over the period.")
    elif u.base == "yuan" and re.search(r"跨境贸易和直接投资|贸易和投资", clause):
        row = _row("crossborder_trade_fdi_rmb_settlement", "跨境贸易和直接投资人民币结算金额",
                   "Cross-border trade and direct investment RMB settlement", "cross_border",
                   "flow", "flow", unit, "yuan", "RMB settlement of cross-border trade and "
                   "direct investment only; a part of total cross-border RMB settlement.")
    elif u.base == "yuan" and lab.cumulative and re.search(r"跨境人民币", clause):
        row = _row("crossborder_rmb_settlement_cumulative", "累计跨境人民币结算量",
                   "Cross-border RMB settlement, cumulative", "cross_border", "cumulative",
                   "cumulative", unit, "yuan", "Running total of cross-border RMB settlement "
                   "since the start date the release gives.")
    elif u.base == "trains" and lab.scope == "corridor" and not lab.cumulative:
        row = _row("corridor_rail_sea_trains", "西部陆海新通道铁海联运班列开行量",
                   "Land-Sea Corridor rail-sea trains run", "corridor", "flow", "flow", unit,
                   "trains", "Rail-sea intermodal trains run on the whole corridor in the "
                   "period (corridor-wide, not Chongqing's alone).")
    return row


def _row(mid: str, zh: str, en: str, topic: str, kind: str, ptype: str, unit: str, base: str,
         definition: str) -> dict[str, str]:
    units = [unit]
    if unit == "亿元":
        units.append("万亿元")
    elif unit == "万亿元":
        units.insert(0, "亿元")
    return {"metric_id": mid, "name_zh": zh, "name_en": en, "topic": topic, "kind": kind,
            "period_type": ptype, "units": "|".join(units), "base_unit": base,
            "definition": definition + " Proposed by cqreport extract; review before use.",
            "share_of": "", "priority": PROPOSED_PRIORITY, "status": "proposed"}


def _reasons(row: dict[str, str], what: str) -> str:
    """Why each field of a proposed row has its value, in one line the review shows."""
    return (f"metric_id, name_zh, name_en: {what}; topic {row['topic']}: the subject's words; "
            f"kind {row['kind']} and period_type {row['period_type']}: "
            f"{_KIND_WHY.get(row['kind'], row['kind'])}; units {row['units']}: the figure's unit "
            f"and its scale siblings; base_unit {row['base_unit']}: what the unit measures; "
            f"priority {row['priority']}: {PRIORITY_MEANING[row['priority']]} (1 headline, "
            "2 main text), raise it if the report should lead with it")


_KIND_WHY = {"stock": "a balance at a date (余额, outstanding, stood at)",
             "flow": "an amount over a span (新增, increased by, in 2025)",
             "cumulative": "a running total since a start (累计, since)",
             "rate": "a growth rate or an interest rate, in percent",
             "share": "a share of a whole (占比, proportion)",
             "count": "a count of things (家, 个, firms)"}


# --- the generic proposal --------------------------------------------------------------

@cache
def _toml() -> dict:
    return tomllib.loads((resources.files("cqreport.extract") / "terms.toml").read_text(encoding="utf-8"))


@cache
def _terms() -> list[tuple[str, str, str]]:
    """(Chinese words, id fragment, English words), longest first (terms.toml)."""
    return sorted((tuple(t) for t in _toml()["terms"]), key=lambda t: len(t[0]), reverse=True)


@cache
def _en_terms() -> tuple[dict[str, str], dict[str, tuple[str, str, str]]]:
    """(English phrases read as one word, English word -> (Chinese, fragment, English))."""
    t = _toml()
    return dict(t["en_phrases"]), {w: (zh, f, e) for w, zh, f, e in t["en_terms"]}


_TIME_ZH = re.compile(r"\d{4}年(?:\d{1,2}月)?(?:末|底|份)?|\d{1,2}月(?:末|底|份)?|[一二三四]季度末?|"
                      r"上半年|下半年|前三季度|全年|今年|去年|上年|年末|年初|年底|当月|截至|截止|近\S年")
_FILLER_ZH = re.compile(r"其中|同时|此外|另外|据介绍|数据显示|截至|全市|全省|全国|我国|本市|该省|辖内|"
                        r"达到|达|为|约为|约|超过|超|突破|逾|近|共计|合计|实现|完成|分别|同比|的|[，,、：:“”\s]")
_STOCK_ZH = re.compile(r"余额|存量|总额|总资产|资产总额|规模达")
_FLOW_ZH = re.compile(r"新增|增加|增量|发放|投放|新发放|进出口|出口|进口|收入|产值|税收|交易|成交")
_GROWTH_ZH = re.compile(r"增速|增长|增幅|同比|年均")
_SHARE_ZH = re.compile(r"占比|比重|占")
_RATE_ZH = re.compile(r"利率|收益率|存贷比|不良贷款率")
_EN_STOP = {"the", "of", "in", "and", "a", "an", "to", "for", "by", "at", "with", "on", "its", "was",
            "were", "is", "are", "has", "had", "have", "been", "stood", "reached", "totaled",
            "totalled", "rose", "grew", "increased", "decreased", "fell", "up", "down", "amounted",
            "came", "hit", "recorded", "registered", "reaching", "marking", "which", "that",
            "this", "year", "end", "month", "quarter", "first", "half", "as", "from", "over",
            "about", "nearly", "more", "than", "approximately", "around", "some", "total",
            "respectively", "also", "while", "saw", "said", "showed", "data", "according",
            "three", "nine", "quarters", "months", "number", "showing", "significant", "growth",
            "balance", "outstanding", "issued", "new", "rate", "share", "proportion",
            "cumulative", "increase", "decrease", "amount", "scale", "various", "surged", "soared",
            "jumped", "climbed", "expanded", "dropped", "declined", "logged"}


def _generic(lab: Label, unit: str, clause: str, lang: str, flow_span: bool) -> dict[str, str] | None:
    """A row named from the words that say what the figure measures (module docs)."""
    u = UNITS[unit]
    subject, found = (_subject_zh(clause) if lang == "zh" else _subject_en(clause, u.base in _COUNTS))
    if not found:
        return None
    text = clause
    if u.base in ("percent", "pp", "times"):
        if (_RATE_ZH if lang == "zh" else re.compile(r"\brate\b|ratio", re.I)).search(text):
            kind, suffix, en_measure = "rate", "rate" if "rate" not in found[-1][1] else "", "rate"
        elif (_SHARE_ZH if lang == "zh" else re.compile(r"share|proportion|accounted", re.I)).search(text):
            kind, suffix, en_measure = "share", "share", "share"
        elif (_GROWTH_ZH if lang == "zh" else re.compile(r"grow|grew|increas|rose|up\b|growth|fell|"
                                                        r"down|declin|decreas|surg|soar|jump|climb|"
                                                        r"expand", re.I)).search(text):
            kind, suffix, en_measure = "rate", "growth", "growth rate"
        else:
            return None
        ptype = "flow" if flow_span and kind == "rate" and suffix == "rate" else "stock"
    elif u.base in ("yuan", "usd"):
        stock = bool((_STOCK_ZH if lang == "zh" else re.compile(r"balance|outstanding|stood at|stock|"
                                                               r"assets", re.I)).search(text))
        flow = bool((_FLOW_ZH if lang == "zh" else re.compile(r"increas|rose|grew|new|issued|extended|"
                                                             r"exports?|imports?|trade|income|in the "
                                                             r"first|during", re.I)).search(text))
        if lab.cumulative:
            kind, suffix, en_measure = "cumulative", "cumulative", "cumulative"
        elif stock and not lab.flow:
            kind, suffix, en_measure = "stock", "balance" if "assets" not in found[-1][1] else "", "balance"
        elif flow or lab.flow or flow_span:
            kind, suffix, en_measure = "flow", "increase" if not _TRADE_LIKE.search(found[-1][1]) else "", ""
        else:
            return None
        ptype = kind
    elif u.base in ("vehicles", "teu", "trains", "train_trips", "tonnes"):
        kind = "cumulative" if lab.cumulative else "flow"
        suffix, en_measure = ("cumulative" if lab.cumulative else ""), ""
        ptype = kind
    elif u.base in _COUNTS:
        kind, suffix, en_measure = "count", "", "count"
        ptype = "cumulative" if lab.cumulative else ("flow" if flow_span else "stock")
    else:
        return None
    unnamed = [z for z, f, _ in found if not f]  # words the terms do not know (zh)
    found = [t for t in found if t[1]]
    frags = list(dict.fromkeys(f for _, f, _ in found))
    if u.base in ("entities",) and frags and frags[-1] == "corporate":
        frags[-1] = "firms"
    mid = "_".join([*frags, suffix] if suffix else frags)
    mid = re.sub(r"[^a-z0-9_]", "", mid.lower()).strip("_")
    if not mid or not mid[0].isalpha():
        return None
    en = " ".join(dict.fromkeys(e for _, _, e in found))
    name_en = f"{en} {en_measure}".strip() if en_measure and en_measure not in en else en
    name_en = name_en[:1].upper() + name_en[1:]
    zh = "".join(dict.fromkeys(z for z, _, _ in found if z)) + _ZH_MEASURE.get((kind, suffix), "")
    topic = _topic_of(frags)
    row = _row(mid, zh, name_en, topic, kind, ptype, unit, u.base,
               f"{name_en}, as the release words it ({subject}); {_KIND_WHY[kind]}.")
    why = f"the words «{subject}» (terms {', '.join(frags)})"
    if unnamed:
        row["definition"] = row["definition"].replace(" Proposed by", f" Words not in the name yet: "
                                                      f"{unnamed[0]}. Proposed by")
        why += (f"; the id and the names know only those terms, not «{unnamed[0]}»: give them "
                "the rest")
    if lang == "en" and not all(z for z, _, _ in found):
        row["name_zh"] = name_en
        why += "; name_zh: the English name is a placeholder, give the Chinese name"
    row["reason"] = _reasons(row, why)
    return row


_COUNTS = ("entities", "items", "ports", "countries", "routes", "persons", "households", "events",
           "funds", "documents", "transactions")
_ZH_MEASURE = {("stock", "balance"): "余额", ("rate", "growth"): "增速", ("share", "share"): "占比",
               ("flow", "increase"): "增加", ("cumulative", "cumulative"): "累计",
               ("rate", "rate"): "利率"}
_TRADE_LIKE = re.compile(r"exports|imports|trade|output_value|tax|premium_income|cargo_value|"
                         r"settlement|sales|output")


def _topic_of(frags: list[str]) -> str:
    words = " ".join(frags)
    if re.search(r"crossborder|settlement", words):
        return "cross_border"
    if re.search(r"vehicles|nev|motorcycles", words) and not re.search(r"loans", words):
        return "auto"
    if re.search(r"trains|ports|cargo|stations|routes", words):
        return "corridor"
    if re.search(r"exports|imports|trade|laptops|phones|electromechanical|commodities|"
                 r"lithium|own_brand|market_entities", words):
        return "trade"
    return "credit"


def _subject_zh(clause: str) -> tuple[str, list[tuple[str, str, str]]]:
    """The words of a clause that say what its figure measures, and the terms they hold.

    Of the whole clause and its part after the last 的 / 等 (作为主要优势产品的笔记本电脑出口:
    笔记本电脑出口), the one whose words the terms cover better; the whole on a tie
    (企事业单位的贷款余额 keeps 企事业单位).
    """
    text = clause
    for m in mentions(text, "zh"):
        text = text[:m.start] + " " * (m.end - m.start) + text[m.end:]
    text = _TIME_ZH.sub(" ", text)
    text = re.sub(r"\d+(?:\.\d+)?|[()（）]", " ", text)  # 企(事)业单位 reads 企事业单位
    options = [_covered(_FILLER_ZH.sub("", text))]
    if re.search(r"的|等", text):
        options.append(_covered(_FILLER_ZH.sub("", re.split(r"的|等", text)[-1])))
    subject, terms, left = min(options, key=lambda o: (len(o[2]), -len(o[0])))
    if not terms or len(left) > max(4, len(subject) // 2):
        return subject, []
    if len(left) >= 2:  # 批发和零售业贷款增速: the id knows 贷款 only; the name keeps the rest
        terms.append((left, "", ""))
    return subject, terms


def _covered(subject: str) -> tuple[str, list[tuple[str, str, str]], str]:
    """(subject, the terms it holds in order, the words no term or measure word covers)."""
    found = []
    rest = subject
    for zh, frag, en in _terms():
        if zh in rest:
            found.append((rest.index(zh), (zh, frag, en)))
            rest = rest.replace(zh, "\0" * len(zh), 1)
    left = re.sub(_MEASURE_WORDS_ZH, "", rest.replace("\0", ""))
    return subject, [t for _, t in sorted(found)], left


_MEASURE_WORDS_ZH = (r"余额|存量|总额|规模|增速|增幅|增长率|增长|同比|占比|比重|利率|新增|增加|增量|累计|平均|加权|"
                     r"的|和|及")


def _subject_en(clause: str, counted: bool = False) -> tuple[str, list[tuple[str, str, str]]]:
    """The content words of an English clause before its figure, as terms (unknown words
    make their own fragment, with no Chinese)."""
    text = re.split(r"\s[-–—]\s|:\s|\]\s", clause)[-1]  # after a summary's heading or bullet
    for m in mentions(text, "en"):
        text = text[:m.start] + " " * (m.end - m.start) + text[m.end:]
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9-]*", text)]
    words = [w for w in words if w.lower() not in _EN_STOP and not re.fullmatch(
        r"(?:January|February|March|April|May|June|July|August|September|October|November|"
        r"December|Q[1-4]|H[12]|CNY|USD|percent|trillion|billion|million|yoy)", w, re.I)]
    words = words[-5:]
    phrase = " ".join(words).lower()
    phrases, terms = _en_terms()
    for two, term in phrases.items():  # social financing (scale): one term
        phrase = phrase.replace(two, term)
    found = []
    for low in phrase.split():
        if low in terms:
            found.append(terms[low])
        elif len(low) >= 4 and not low.endswith(("ing", "ly")):
            found.append(("", re.sub(r"[^a-z0-9]+", "_", low), low))
    known = sum(1 for z, _, _ in found if z)
    if (not known and not counted) or len(found) - known > 3:
        return " ".join(words), []  # no word of the catalogue's domain, or mostly other words
    return " ".join(words), found



