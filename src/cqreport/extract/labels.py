"""Metric, entity and the reason for them, from the words around a figure.

A metric is named only when the words support it: an explicit phrase of that
series (``ALIASES``), or a close match of its catalogue name, and nothing in the
clause that makes the figure something else:

- a part, not the total (中长期 / 制造业 / 普惠 … loans are not ``loan_balance_all``);
- a change from the previous month (比上月增加…), not a level or a year-to-date flow;
- a cumulative total (累计, 以来, since …), not a flow;
- a narrower scope (跨境贸易和直接投资 is not all cross-border RMB settlement).

Otherwise the metric is ``unknown`` (or a proposed new catalogue row, see
``propose.propose_metric``), with the best few catalogue metrics as suggestions and a
one-line reason. The entity comes from who the sentence is about: Chongqing,
the country (全国, China's …), the corridor as a whole, or another region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..core.vocab import UNITS
from .catalogue import Catalogue, MetricInfo
from .entities import Who
from .reading import clean

# --- the words that make a figure something narrower than a catalogue total -------------

# (word in the text, the words a metric's name must hold to fit it)
_PARTS_ZH = ["中长期", "短期", "票据", "固定资产", "经营性", "工业", "制造业", "服务业", "基础设施",
             "普惠", "小微", "绿色", "科技", "涉农", "农户", "企事业单位", "住户", "房地产", "个人",
             "消费", "外币", "转型", "民营", "机电", "外商直接投资", "对外直接投资", "直接投资",
             "服务贸易", "经常项目", "资本项目", "便利化", "试点", "不含", "全国性", "区域性",
             "企(事)业单位", "非银行", "非金融企业", "财政性"]
_PARTS_EN = ["medium and long-term", "medium- and long-term", "short-term", "household",
             "corporate", "small and micro", "microloan", "inclusive", "green", "tech",
             "bill financing", "foreign currency loans", "business loans", "manufacturing",
             "infrastructure", "real estate", "NEV", "new energy", "electric", "private",
             "domestic loan"]
_CHANGE_ZH = re.compile(r"比上月|较上月|环比|当月")
_CHANGE_EN = re.compile(r"month-on-month|from the previous month|in (?:January|February|March|"
                        r"April|May|June|July|August|September|October|November|December),",
                        re.I)
_CUMUL_ZH = re.compile(r"累计|以来|从\d{4}年到|自\d{4}年")
_CUMUL_EN = re.compile(r"\bsince\b|cumulative|in total since|a total of .{0,40}\bsince\b", re.I)
# An amount added over a period (贷款增加X, loans increased by X): a flow.
_FLOW_VERB = re.compile(r"(?:增加|新增|减少|投放|发放)(?:了)?$|(?:increased|decreased|rose|fell|grew|"
                        r"added) by\s*$|an increase of\s*$|(?:facilitated|issued|extended|granted|"
                        r"disbursed)\s+(?:[a-z-]+\s+){0,2}?(?:financing|loans|credit) of\s*$", re.I)
_BALANCE = re.compile(r"余额|存量|(?:存款|贷款|资产)总额|总资产|资产规模|balance|\bstock\b|outstanding", re.I)

# What a figure is an amount of: a metric whose name holds none of these is another thing.
_KINDS_ZH = ["存款", "贷款", "债券", "结算", "进口", "货币", "摩托车", "手机", "电脑", "机电", "保费", "资产"]
_KINDS_EN = ["deposit", "bond", "import", "money"]

# Phrases that name a series outright (the working text is simplified Chinese).
ALIASES: dict[str, list[str]] = {
    "loan_balance_rmb": [r"人民币(?:各项)?贷款余额", r"balance of (?:yuan|RMB|renminbi) loans",
                         r"(?:yuan|RMB|renminbi) loan balance",
                         r"outstanding (?:yuan|RMB|renminbi)(?:-denominated)? loans"],
    "loan_balance_all": [r"本外币(?:各项)?贷款余额", r"(?<!人民币)各项贷款余额",
                         r"(?:domestic|local) and foreign currency loan balances?",
                         r"balance of (?:domestic|local) and foreign currency loans",
                         r"total loan balance"],
    "new_loans_rmb": [r"人民币贷款(?:新增|增加)", r"(?:yuan|RMB|renminbi) loans (?:increased|rose|grew) by",
                      r"new (?:yuan|RMB|renminbi) loans"],
    "tsf_increment": [r"社会融资规模(?:增量|新增)", r"社融规模新增", r"社会融资规模.{0,6}(?:新增|增加)",
                      r"(?:social financing|aggregate financing|\bTSF\b).{0,80}"
                      r"(?:increased by|increment of|recorded|added)"],
    "crossborder_rmb_settlement": [r"跨境人民币(?:实际收付)?结算(?:总额|量|金额)?",
                                   r"跨境人民币实际收付", r"cross-border (?:RMB|yuan|renminbi) settlement"],
    "goods_trade_settlement": [r"货物贸易(?:项下)?(?:人民币)?结算"],
    "corridor_teu": [r"标箱", r"\bTEUs?\b", r"twenty-foot equivalent"],
    "corridor_cargo_value": [r"(?:通道|新通道).{0,30}货值", r"^货值", r"worth of", r"cargo was worth",
                             r"with a total worth", r"value of (?:the )?(?:transported )?(?:goods|cargo)"],
    "corridor_trains_cumulative": [r"累计(?:开行|完成|突破).{0,16}列", r"班列.{0,12}累计(?:开行|完成|突破)",
                                   r"开行突破"],
    "auto_exports_units": [r"出口汽车", r"汽车出口(?:量)?", r"\bexported\s*$", r"\bshipping\s*$",
                           r"vehicle exports? (?:of|reached|hit|totaled)\s*$"],
    "auto_export_value": [r"汽车出口(?:额|值)", r"auto exports", r"automobile exports",
                          r"vehicles valued at"],
    "total_goods_trade": [r"外贸进出口总(?:额|值)", r"(?<![\u4e00-\u9fff]{2}品)进出口总(?:额|值)"],
}
_ALIAS_RE = {m: [re.compile(p, re.I) for p in ps] for m, ps in ALIASES.items()}
# Series that only fit with the corridor named near the figure.
_NEEDS_CORRIDOR = {"corridor_teu", "corridor_cargo_value", "corridor_trains_cumulative"}
_CORRIDOR_WORDS = re.compile(r"陆海新通道|铁海联运|通道|land-sea|corridor|passage", re.I)


# --- the label -------------------------------------------------------------------------

@dataclass
class Label:
    """What the extractor proposes for one figure, and why."""

    metric_id: str
    evidence: float  # 0..1: how directly the words name the metric (0 when unknown)
    suggestions: list[tuple[str, float]] = field(default_factory=list)
    reason: str = ""
    entity_id: str = "chongqing"
    scope: str = "chongqing"
    month_change: bool = False
    cumulative: bool = False
    balance: bool = False
    flow: bool = False
    unit_missing: bool = False
    proposal: dict[str, str] | None = None
    entity_suggestions: list[str] = field(default_factory=list)
    entity_proposal: dict[str, str] | None = None


def _names_figure(pattern: re.Pattern, text: str) -> bool:
    """The phrase occurs with no other number between it and the figure (the end of text)."""
    return any(not re.search(r"\d", text[m.end():]) for m in pattern.finditer(text))


WHOLE = re.compile(r"本外币|(?:domestic|local) and foreign currenc(?:y|ies)", re.I)

def _parts_in(text: str, lang: str) -> list[str]:
    text = WHOLE.sub(lambda m: " " * len(m[0]), text)  # the whole, not a foreign-currency part
    words = _PARTS_EN if lang == "en" else _PARTS_ZH
    low = text.lower() if lang == "en" else text
    return [w for w in words if (w.lower() if lang == "en" else w) in low]


def _fits_parts(m: MetricInfo, parts: list[str], lang: str) -> bool:
    name = (m.name_en.lower() if lang == "en" else m.name_zh)
    return all((p.lower() if lang == "en" else p) in name for p in parts)


def _unit_fit(m: MetricInfo, unit: str) -> float:
    u = UNITS.get(unit)
    if unit in m.units:
        return 1.0
    if u is not None and u.base == m.base_unit:
        return 0.9
    return 0.0


def label_figure(catalogue: Catalogue, unit: str, lang: str, context: str, clause: str,
                 who: Who, paragraph: str = "", bounded: bool = False, ytd: bool = False) -> Label:
    """Propose a metric and entity for one figure.

    Args:
        catalogue: The curated metrics and entities.
        unit: The figure's unit label.
        lang: "zh" or "en".
        context: The words before the figure in its sentence (and a few after).
        clause: The clause the figure stands in, up to the figure (and a few after).
        who: Whom the figure is about (``entities.find_entity``).
        paragraph: The paragraph before the figure's sentence (for series that need the
            corridor named nearby).
        bounded: The figure is dated by a span with a start (今年1—3月…累计发送: a total
            over that span, a flow), not since an open start.
        ytd: Its clause says 较年初 / "since the beginning of the year": an increase over
            the year to date, a flow even when the words name a balance.
    """
    context, clause = clean(context), clean(clause)
    guess = catalogue.guess_metric(unit, context, lang, clause)
    ranked = catalogue.rank_metrics(unit, context, lang, clause)
    parts = _parts_in(clause, lang)
    change = bool((_CHANGE_EN if lang == "en" else _CHANGE_ZH).search(clause))
    cumul = bool((_CUMUL_EN if lang == "en" else _CUMUL_ZH).search(context)) and not bounded
    flow = bool(_FLOW_VERB.search(clause)) or ytd
    balance = bool(_BALANCE.search(clause)) and not ytd
    lab = Label("unknown", 0.0, month_change=change, cumulative=cumul, balance=balance,
                scope=who.kind, flow=flow and not balance)

    def veto(m: MetricInfo) -> str:
        if parts and not _fits_parts(m, parts, lang):
            return f"the clause names a part ({'、'.join(parts)}), not the total {m.metric_id}"
        if change:
            return "a change from the previous month is neither a level nor a year-to-date flow"
        if cumul and m.period_type == "flow":
            return f"a cumulative total (累计/since), not the flow {m.metric_id}"
        if balance and m.period_type == "flow":
            return f"a balance, not the flow {m.metric_id}"
        if ytd and m.period_type != "flow":
            return f"an increase since the start of the year, not the {m.period_type} {m.metric_id}"
        kinds = [k for k in (_KINDS_EN if lang == "en" else _KINDS_ZH)
                 if (k in clause.lower() if lang == "en" else k in clause)]
        name = m.name_en.lower() if lang == "en" else m.name_zh
        if kinds and not any(k in name for k in kinds):
            return f"the clause is about {'/'.join(kinds)}, which {m.metric_id} is not"
        if lang == "zh" and "进出口" in clause and "出口" in m.name_zh and "进出口" not in m.name_zh:
            return f"imports and exports (进出口), not the exports of {m.metric_id}"
        if m.metric_id in _NEEDS_CORRIDOR and not _CORRIDOR_WORDS.search(context + paragraph):
            return f"{m.metric_id} needs the corridor named near the figure"
        return ""

    # strongest evidence: an alias phrase of the series in the figure's clause (or sentence)
    alias_hits: list[tuple[int, str]] = []
    for mid, pats in _ALIAS_RE.items():
        m = catalogue.metric(mid)
        if m is None or _unit_fit(m, unit) == 0.0:
            continue
        # the unit is part of the name (3.76万标箱, 21,000 TEUs)
        for where, text in ((2, clause), (1, context), (2, unit)):
            if any(_names_figure(p, text) for p in pats):
                alias_hits.append((where, mid))
                break
    alias_hits.sort(key=lambda t: -t[0])
    vetoes: list[str] = []
    chosen: tuple[str, float] | None = None
    for where, mid in alias_hits:
        m = catalogue.metric(mid)
        why = veto(m)
        if why:
            vetoes.append(why)
            continue
        if chosen is None:
            chosen = (mid, 0.97 if where == 2 else 0.9)
        elif chosen[0] != mid and where == 2 and chosen[1] >= 0.97:
            chosen = None  # two series named in the same clause: let the analyst pick
            vetoes.append("two series are named in the clause")
            break
    if chosen is None and guess.value != "unknown":
        m = catalogue.metric(guess.value)
        why = veto(m)
        if why:
            vetoes.append(why)
        else:
            chosen = (guess.value, min(0.85, 0.5 + guess.score / 2))
    lab.suggestions = [(mid, round(sc, 2)) for sc, mid in ranked[:3] if sc > 0]
    if chosen:
        mid, ev = chosen
        m = catalogue.metric(mid)
        lab.metric_id, lab.evidence = mid, ev
        lab.unit_missing = unit not in m.units
        how = "its name" if ev >= 0.9 else "most words of its name"
        lab.reason = f"{mid}: the words before the figure give {how}"
        if lab.unit_missing:
            lab.reason += f"; {unit} is not among its units ({'|'.join(m.units)})"
        lab.suggestions = [(s, sc) for s, sc in lab.suggestions if s != mid][:3]
    else:
        if vetoes:
            lab.reason = "unknown: " + vetoes[0]
        elif guess.note:
            lab.reason = "unknown: " + guess.note
        else:
            lab.reason = "unknown: no catalogue metric fits"
    lab.entity_id = who.entity_id
    lab.reason += f"; {who.reason}"
    lab.entity_suggestions = list(who.suggestions)
    lab.entity_proposal = who.proposal
    return lab
