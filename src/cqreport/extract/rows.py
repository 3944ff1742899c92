"""From a release to candidate rows: find figures, date them, guess metric and entity."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..core import paths
from ..core.places import mentions
from ..core.vocab import UNITS, descriptor_in_use, to_base
from ..dataset.schema import read_specs
from ..errors import ExtractError
from . import en, zh
from .catalogue import Catalogue, parse_date
from .entities import ReleasePlaces, entity_names, find_entity
from .found import FoundFigure
from .labels import Label, label_figure
from .propose import propose_metric
from .reading import Block, Release, paragraphs
from .timespans import Span, find_en_spans, find_zh_spans

EXTRA_COLUMNS = ["confidence", "suggestions", "reason", "quote_start", "quote_end", "status"]
_ZH_END = "。！？!?"


def observation_columns(data_dir: Path | None = None) -> list[str]:
    """The observation columns, in the order the data's datapackage.json gives them (the one
    schema, read by :mod:`cqreport.dataset.schema`). A release can be read without curated
    data: then the descriptor of the data in use gives them.

    Raises:
        DataError: The descriptor is broken (the message names it).
    """
    own = paths.data_dir(data_dir) / "datapackage.json"
    return read_specs(own if own.is_file() else descriptor_in_use())["observations"].columns


@dataclass
class Candidate:
    """A figure turned into a candidate observation row."""

    figure: FoundFigure
    row: dict[str, str]
    confidence: float
    quote_start: int
    quote_end: int
    label: Label | None = None
    status: str = ""  # proposed: "rejected" for what the data never records (a conversion)

    @property
    def suggestions(self) -> str:
        """Ranked alternatives, ``metric_id:0.62|metric_id:0.21``."""
        if self.label is None:
            return ""
        return "|".join(f"{m}:{s:.2f}" for m, s in self.label.suggestions)

    @property
    def reason(self) -> str:
        """One sentence: why this label, or why unknown."""
        return self.label.reason if self.label else ""


def _num(v: float | None) -> str:
    if v is None:
        return ""
    return f"{v:.10g}"


def resolve_release_date(release: Release, catalogue: Catalogue, given: date | None,
                         source_id: str | None) -> tuple[date | None, str, str]:
    """The date periods are resolved against, and the source id.

    Order: --date, then the source registry (by --source-id, file name or sha256),
    then the release's own ``date:`` header line.

    Returns:
        (date or None, source id or '', where the date came from).
    """
    src = catalogue.source_for(release.path, source_id)
    if source_id and src is None and catalogue.sources:
        known = ", ".join(s["source_id"] for s in catalogue.sources[:8])
        raise ExtractError(f"--source-id {source_id!r} is not in sources.csv; "
                           f"expected one of: {known}, …")
    sid = source_id or (src or {}).get("source_id", "")
    if given:
        return given, sid, "--date"
    if src and parse_date(src.get("date", "")):
        return parse_date(src["date"]), sid, "sources.csv"
    if release.header_date:
        return release.header_date, sid, "date: header"
    return None, sid, "none"


def find_figures(release: Release) -> list[tuple[FoundFigure, Block]]:
    """Every figure of the body, with the paragraph it stands in (growth and prior values
    are folded into their level and not returned)."""
    finder = zh.find_zh_figures if release.lang == "zh" else en.find_en_figures
    blocks = paragraphs(release)
    out = []
    i = 0
    for f in finder(release.text, release.body_start, len(release.text)):
        while i < len(blocks) and blocks[i].end <= f.num_start:
            i += 1
        if f.role == "level" and i < len(blocks) and blocks[i].start <= f.num_start:
            out.append((f, blocks[i]))
    return out


def _sentence_bounds(release: Release, block: Block, pos: int) -> tuple[int, int]:
    text = release.text
    if release.lang == "zh":
        s = pos
        while s > block.start and text[s - 1] not in _ZH_END:
            s -= 1
        e = pos
        while e < block.end and text[e] not in _ZH_END:
            e += 1
        return s, e
    s = max(block.start, en.sentence_start_en(text, pos))
    e = pos
    while e < block.end:
        if text[e] in ".!?" and (e + 1 >= len(text) or text[e + 1].isspace()) \
                and not en._ABBREV.search(text[max(0, e - 10):e]):
            break
        if text.startswith("] - ", e):  # a machine summary's next bullet
            e += 1
            break
        e += 1
    return s, e


def _topic(release: Release, block: Block, sp: Span) -> bool:
    """A period phrase that opens its sentence, or is set off by a comma (截至2025年，…;
    reported that by the end of 2025, …), sets the time for the sentences after it."""
    s, _ = _sentence_bounds(release, block, sp.start)
    lead = release.text[s:sp.start].strip(" “\"'\n\t")
    if not lead or lead.lower() in ("in", "by", "during", "for", "as of", "since", "其中"):
        return True
    if release.lang == "en" and _EVENT_EN.search(lead):
        return False  # "…which was launched in November 2015, covering…": an event's date
    return release.text[sp.end:sp.end + 1] in ("，", ",")


# An event's date, not the period of the figures around it.
_EVENT_EN = re.compile(r"\b(?:launch|found|establish|open|start|inaugurat|set up|sign|began|"
                       r"begun|introduc|unveil|creat)\w*\s*$", re.I)


_EXCLUDED = {"zh": re.compile(r"(?:不含|不包括|除去|除)(?P<what>[\u4e00-\u9fff]{2,6}?)(?=[,，)）]|以外|之外|外|下同)"),
             "en": re.compile(r"\b(?:excluding|except|other than)\s+(?P<what>(?:the\s+)?[A-Z][\w-]+)")}


def _exclusion(label: Label, before: str, lang: str, fig: FoundFigure) -> None:
    """广东辖内(不含深圳)新发放一般贷款加权平均利率: a scope narrower than the entity (Guangdong
    without Shenzhen). It is no other entity: it is said in the figure's note and carried by the
    series' definition; a proposed series gets its own id (…_ex_shenzhen), so that it never joins
    the province-wide one."""
    m = _EXCLUDED[lang].search(before)
    if m is None:
        return
    what = m["what"]
    place = next((x.place_id for x in mentions(what, lang) if x.place_id), "")
    fig.notes.append(f"scope: {m[0]} (a narrower scope than {label.entity_id}: not comparable with "
                     "figures of the whole; keep it in the series' definition)")
    label.reason += f"; scope {m[0]}: the series excludes {what}"
    row = label.proposal
    if row is not None and row.get("status") == "proposed" and place:
        row["metric_id"] = f"{row['metric_id']}_ex_{place}"
        label.metric_id = row["metric_id"]
        row["name_zh"] += f"（不含{what if lang == 'zh' else place}）"
        row["name_en"] += f" (excluding {place.replace('_', ' ').title()})"
        row["definition"] = row["definition"].replace(
            " Proposed by", f" Excludes {what} ({m[0]}). Proposed by")


def _clause_stop(text: str, i: int, s: int, stops: str) -> bool:
    """A clause ends at text[i], unless the separator stands inside brackets opened after s
    (广东辖内(不含深圳，下同)新发放…: the comma in the brackets does not end the clause)."""
    if text[i] not in stops:
        return False
    seg = text[s:i]
    return seg.count("(") + seg.count("（") <= seg.count(")") + seg.count("）")


def _comparison_base(release: Release, sp: Span) -> bool:
    """增速分别比上年同期、一季度末高3.4个百分点: 一季度末 is what the figure is compared with,
    not its date."""
    text = release.text
    i = sp.start
    while i > 0 and text[i - 1] not in "，,；;。\n":
        i -= 1
    return bool(_COMPARED.search(text[i:sp.start])) and bool(
        re.match(r"[^，,；;。]{0,24}?(?:高|低|多|少|快|慢|上升|下降|回升|回落|提高|增加|减少|倍)", text[sp.end:]))


# 增速比一季度末高…, 是2019年…创建之初的5.4倍: what the figure is compared with
_COMPARED = re.compile(r"(?:增速|增幅)?(?:分别)?(?:比|较)|是|相当于")
_YOY_CHANGE_EN = re.compile(r"\s*(?:year[\s-]on[\s-]year|year[\s-]over[\s-]year|from a year (?:earlier|ago)|"
                            r"compared with the same period (?:of )?last year)", re.I)
_FORECAST = re.compile(r"预计|有望|将达|力争|目标|\b(?:may|might|could|will|would|expect\w*|forecast\w*|"
                       r"projected|target\w*)\b", re.I)
_ANNUAL = re.compile(r"每年|年均|annually|per year|a year\b(?!-on-year|-over-year)|each year")


_BALANCE_RE = re.compile(r"余额|(?:存款|贷款|资产)总额|总资产|资产规模|balance", re.I)


def date_figure(release: Release, block: Block, fig: FoundFigure, spans: list[Span],
                as_of: Span | None = None, topic: Span | None = None) -> None:
    """Pick the period phrase a figure belongs to (see the module docs of timespans).

    ``as_of`` is the last as-of date (2024年4月末) stated in an earlier paragraph: a
    balance or a month's change with no date of its own in its paragraph takes it
    (loan-direction reports state the month-end once, then list the balances).
    ``topic`` is the last period phrase that opened a sentence of an earlier paragraph
    (2025年，… / In 2024, …): a flow with no date in its own paragraph takes it, as a
    reader does when a release states its period once.
    """
    s, e = _sentence_bounds(release, block, fig.num_start)
    usable = [sp for sp in spans if sp.period_end is not None and not _comparison_base(release, sp)]
    if fig.prior_start >= 0:  # 由2022年的A增加到B: 2022 is A's year, not B's
        usable = [sp for sp in usable if not fig.prior_start <= sp.start < fig.start]
    clause_start = fig.start
    while clause_start > s and not _clause_stop(release.text, clause_start - 1, s, "，,；;"):
        clause_start -= 1
    balance = bool(_BALANCE_RE.search(release.text[clause_start:fig.start]))
    before = [sp for sp in usable if s <= sp.start and sp.end <= fig.start]
    if balance:  # 短期贷款余额X，上半年增加Y: the 上半年 is Y's, not the balance's
        before = [sp for sp in before if sp.kind == "stock" or sp.start >= clause_start]
    if before:
        fig.period, fig.period_how = before[-1], "sentence"
        return
    after = [sp for sp in usable if fig.end <= sp.start and sp.end <= e]
    if balance:
        after = [sp for sp in after if sp.kind == "stock"]
    if after:
        fig.period, fig.period_how = after[0], "sentence"
        return
    if _ANNUAL.search(release.text[s:e]):
        return  # a yearly rate (每年节约…): the paragraph's period is not its period
    if _FORECAST.search(release.text[s:e]):  # "…by 2025. Insiders believe it may exceed 35%."
        prev = [sp for sp in usable if block.start <= sp.start and sp.end <= s]
        between = release.text[prev[-1].end:s] if prev else ""
        one_sentence_back = between.count("。") + between.count(". ") <= 1
        if prev and one_sentence_back and _FORECAST.search(
                release.text[max(block.start, prev[-1].start - 60):prev[-1].end]):
            fig.period, fig.period_how = prev[-1], "paragraph"
            return  # a forecast's figure, dated by the target of the forecast just before it
    if _YEAR_TO_DATE.search(release.text[s:fig.start]):
        dated = [sp for sp in usable if block.start <= sp.start and sp.end <= s and sp.kind == "stock"]
        last = dated[-1] if dated else as_of
        if last is not None and last.period_end is not None:
            fig.period, fig.period_how = last.year_to_date(), "paragraph"
            return  # 较年初增加…, "from the beginning of the year": to the last date stated
    if release.lang == "en" and UNITS[fig.unit].base not in _FLOW_BASES:
        before = release.text[max(s, fig.start - 80):fig.start]
        done = _DONE_EN.search(before)
        if done is None or re.search(r"\b(?:has|have|had)\s+$", before[:done.start()]):
            return  # "has developed nearly 40 standards": a count as it stands, not a flow
    if _STATE.search(release.text[s:fig.start]) and UNITS[fig.unit].base not in _FLOW_BASES:
        return  # 通道…已拓展至113个国家: a count as it stands now, not the paragraph's flow
    earlier = [sp for sp in usable if block.start <= sp.start and sp.end <= s and
               _topic(release, block, sp)]
    if earlier:
        fig.period, fig.period_how = earlier[-1], "paragraph"
        return
    if as_of is not None and (balance or _MONTH_CHANGE.search(release.text[clause_start:fig.start])):
        fig.period, fig.period_how = as_of, "earlier paragraph"
    elif topic is not None and not balance and UNITS[fig.unit].base in _FLOW_BASES \
            and paragraph_has_no_period([sp for sp in spans if sp.end <= fig.start]):
        fig.period, fig.period_how = topic, "earlier paragraph"


_FLOW_BASES = {"yuan", "usd", "percent", "vehicles", "teu", "trains", "tonnes"}


def paragraph_has_no_period(spans: list[Span]) -> bool:
    """True when a paragraph states no period before a figure (the one before it holds)."""
    return not any(sp.period_end is not None for sp in spans)


_MONTH_CHANGE = re.compile(r"比上月|较上月|环比")
# Counts of things done in a period ("implemented five major policy tools"), as against counts
# as they stand ("has developed nearly 40 standards", "leads the 18 regions").
_DONE_EN = re.compile(r"\b(?:implemented|introduced|launched|held|issued|signed|added|opened|built|"
                      r"completed|served|supported|helped|attracted|created|hosted|organi[sz]ed|"
                      r"rolled out|set up|established)\b[^,;]*$", re.I)
_YEAR_TO_DATE = re.compile(r"[比较]年初|年初以来|(?:from|since) the (?:beginning|start) of the year", re.I)
_STATE = re.compile(r"已(?:经)?(?:拓展|扩展|覆盖|辐射|通达|超过|达到|形成|建成)|has (?:reached|expanded|covered)")


def _quote_bounds(release: Release, block: Block, fig: FoundFigure) -> tuple[int, int]:
    text = release.text
    s, _ = _sentence_bounds(release, block, fig.num_start)
    clause = fig.start
    stops = "，,；;：:。\n" if release.lang == "zh" else ";:\n"
    while clause > s and not _clause_stop(text, clause - 1, s, stops):
        clause -= 1
        if fig.start - clause > 80:
            break
    start = clause
    if release.lang == "en":
        start = s if fig.start - s <= 150 else text.find(" ", fig.start - 120) + 1
    if fig.period and fig.period_how == "sentence" and s <= fig.period.start < start \
            and fig.start - fig.period.start <= 25:
        start = fig.period.start
    end = max(fig.end, fig.growth_end)
    while start < end and text[start] in " \n\t“\"":
        start += 1
    return start, end


def _context(release: Release, block: Block, fig: FoundFigure) -> tuple[str, str]:
    """The words before a figure in its sentence, plus the few after it (584个港口), and the
    clause the figure stands in."""
    text = release.text
    s, e = _sentence_bounds(release, block, fig.num_start)
    width = 60 if release.lang == "zh" else 160
    after = text[fig.end:min(e, fig.end + 8)]
    for i, ch in enumerate(after):
        if ch in "，,；;、。（( \n" or ch.isdigit():
            after = after[:i]
            break
    clause = fig.start
    while clause > s and not _clause_stop(text, clause - 1, s, "，,；;。\n"):
        clause -= 1
    return text[max(s, fig.start - width):fig.start] + after, text[clause:fig.start] + after


def build_candidates(release: Release, release_date: date | None, catalogue: Catalogue,
                     source_id: str = "", columns: list[str] | None = None) -> list[Candidate]:
    """Turn a release into candidate rows (see ``extract_file`` for the whole step)."""
    columns = columns or observation_columns(catalogue.data_dir)
    finder_spans = find_zh_spans if release.lang == "zh" else find_en_spans
    cands: list[Candidate] = []
    spans = finder_spans(release.text, release_date, release.body_start)
    seen: dict[tuple[float, str], int] = {}
    found = _REGULATOR.search(release.text)
    regulator = found[0] if found else ""
    rp = ReleasePlaces(catalogue, release.header.get("title", ""),
                       release.text[release.body_start:], release.lang)
    names = entity_names(catalogue, release.lang)
    as_of: Span | None = None
    topic: Span | None = None
    blocks = paragraphs(release)
    bi = 0
    for fig, block in find_figures(release):
        while bi < len(blocks) and blocks[bi].end <= block.start:
            as_of = _last_as_of(release, blocks[bi], spans) or as_of
            # only the paragraph just before: a release that changes topic restates the period
            topic = _last_topic(release, blocks[bi], spans) if blocks[bi].end > block.start - 4 \
                or not any(c.isdigit() for c in release.text[blocks[bi].end:block.start]) \
                else None
            bi += 1
        date_figure(release, block, fig,
                    [sp for sp in spans if block.start <= sp.start and sp.end <= block.end], as_of,
                    topic)
        context, clause = _context(release, block, fig)
        if fig.item:  # 手机、汽车出口额分别为A、B: each figure is named by its own item alone
            context = clause = fig.item
        s, e, cs, ce = _clause_bounds(release, block, fig)
        who = find_entity(rp, release.text[cs:fig.start], release.text[s:cs],
                          release.text[fig.end:ce], release.text[block.start:s], names)
        ytd = bool(_YEAR_TO_DATE.search(release.text[cs:ce]))
        label = label_figure(catalogue, fig.unit, release.lang, context, clause, who,
                             release.text[block.start:s], ytd=ytd,
                             bounded=fig.period is not None and fig.period.kind == "flow"
                             and fig.period.period_start is not None)
        _relabel(label, fig, release, catalogue, clause, context, (s, e), regulator)
        start, end = _period_dates(fig, release_date, catalogue.metric(label.metric_id), label, ytd)
        qs, qe = _quote_bounds(release, block, fig)
        quote = release.original[qs:qe]
        quote = " ".join(quote.split()) if release.lang == "en" else "".join(quote.split())
        notes = list(fig.notes)
        if fig.period is None:
            notes.append("no period stated: dated at the release")
        key = (fig.value, fig.unit)
        if key in seen:
            notes.append(f"same figure as candidate {seen[key] + 1}")
        else:
            seen[key] = len(cands)
        confidence = _confidence(fig, label, block, release)
        row = _row(columns, fig, label, start, end, source_id, quote, notes)
        cands.append(Candidate(fig, row, confidence, qs, qe, label,
                               "rejected" if fig.in_parens else ""))
    _flag_swapped_lists(cands)
    _distinct_proposals(cands)
    return cands


def _row(columns: list[str], fig: FoundFigure, label: Label, start: date | None, end: date | None,
         source_id: str, quote: str, notes: list[str]) -> dict[str, str]:
    """A candidate's cells, in the observation columns."""
    row = {c: "" for c in columns}
    row.update({
        "metric_id": label.metric_id,
        "entity_id": label.entity_id,
        "period_start": start.isoformat() if start else "",
        "period_end": end.isoformat() if end else "",
        "period_label": fig.period.label if fig.period else "",
        "value": _num(fig.value),
        "unit": fig.unit,
        "qualifier": fig.qualifier,
        "yoy_pct": _num(fig.yoy_pct),
        "yoy_wording": fig.yoy_wording,
        "yoy_diff": _num(fig.yoy_diff),
        "vs_national_pp": _num(fig.vs_national_pp),
        "streak_months": str(fig.streak_months) if fig.streak_months else "",
        "prior_value": _num(fig.prior_value),
        "prior_label": fig.prior_label,
        "source_id": source_id,
        "quote": quote,
        "note": "; ".join(notes),
    })
    return {k: row[k] for k in columns}


# The banking regulator's releases (银保监局, 金融监管局) give the banking sector's loans, not the
# central bank's: another compiler, another series (loan_balance_banking_sector).
_REGULATOR = re.compile(r"银保监局|银保监会|金融监管局|金融监督管理(?:总)?局|Financial Regulatory (?:Bureau|"
                        r"Administration)|Banking and Insurance Regulatory", re.I)
_CENTRAL_BANK = re.compile(r"人民银行|央行|People's Bank|central bank|PBOC|PBoC", re.I)
_CENTRAL_BANK_LOANS = ("loan_balance_all", "loan_balance_rmb")


def _clause_bounds(release: Release, block: Block, fig: FoundFigure) -> tuple[int, int, int, int]:
    """(sentence start, sentence end, clause start, clause end) of a figure."""
    s, e = _sentence_bounds(release, block, fig.num_start)
    cs = fig.start
    while cs > s and not _clause_stop(release.text, cs - 1, s, "，,；;"):
        cs -= 1
    ce = fig.end
    while ce < e and release.text[ce] not in "，,；;":
        ce += 1
    return s, e, cs, ce


def _relabel(label: Label, fig: FoundFigure, release: Release, catalogue: Catalogue, clause: str,
             context: str, sentence: tuple[int, int], regulator: str) -> None:
    """What the words around a figure change in its label: a year-on-year change or a
    conversion is no amount of its own; a figure no metric fits gets a proposal and its
    scope; a banking regulator's loans are the banking sector's."""
    s, e = sentence
    if release.lang == "en" and UNITS[fig.unit].base in ("yuan", "usd") and _YOY_CHANGE_EN.match(
            release.text, fig.end) and label.flow:
        # "social financing increased by 295.4 billion yuan year-on-year": a change on a
        # year before (the yoy_diff of a figure stated elsewhere), not the flow itself
        label.metric_id, label.evidence, label.proposal = "unknown", 0.0, None
        label.reason = "unknown: an increase on the year before, not an amount of the period"
    elif fig.in_parens:  # a conversion in brackets repeats the figure before it
        label.metric_id, label.evidence = "unknown", 0.0
        label.reason = ("unknown: a conversion in brackets of the figure before it; the data "
                        "records figures as reported, not conversions: proposed rejected")
    else:
        _propose(label, fig, clause, context, release.lang, catalogue,
                 release.text[fig.start:fig.end])
        _exclusion(label, release.text[s:fig.start], release.lang, fig)
    if regulator and label.metric_id in _CENTRAL_BANK_LOANS and \
            catalogue.metric("loan_balance_banking_sector") is not None and \
            not _CENTRAL_BANK.search(release.text[s:e]):
        label.metric_id, label.evidence = "loan_balance_banking_sector", min(label.evidence, 0.8)
        rest = label.reason[label.reason.find(";"):] if ";" in label.reason else ""
        label.reason = ("loan_balance_banking_sector: the release is the banking regulator's "
                        f"({regulator}): its loans are the banking sector's, not the central "
                        "bank's 各项贷款 (INDEX.md, central bank vs banking regulator)" + rest)


def _distinct_proposals(cands: list[Candidate]) -> None:
    """Two proposals under one id but with other names (贷款增速 of 企事业单位 and of 第三产业)
    are two series: the later ones get their own id (…_2), so that accepting one cannot
    file the other's figures under it."""
    names: dict[str, list[str]] = {}
    for c in cands:
        row = c.label.proposal if c.label is not None else None
        if row is None or row.get("status") != "proposed":
            continue
        seen = names.setdefault(row["metric_id"], [])
        what = row["name_zh"] + row["definition"]
        if what not in seen:
            seen.append(what)
        k = seen.index(what)
        if k:
            row = dict(row, metric_id=f"{row['metric_id']}_{k + 1}")
            c.label.proposal = row
            c.label.metric_id = c.row["metric_id"] = row["metric_id"]


def _flag_swapped_lists(cands: list[Candidate]) -> None:
    """A list read 分别 that contradicts the release itself: 广东本外币贷款余额28.4万亿元 … 存款、
    贷款余额分别为28.4万亿元、36.6万亿元 gives loans as 36.6 after giving them as 28.4. Both
    list figures are flagged (their order looks swapped) and no longer proposed with confidence."""
    def key(c: Candidate) -> tuple:
        return c.row["metric_id"], c.row["entity_id"], c.row["period_end"]

    for c in cands:
        if not c.figure.item or c.row["metric_id"] == "unknown":
            continue
        mates = [d for d in cands if d.figure.list_start == c.figure.list_start and d is not c]
        for d in cands:
            if d.figure.item or key(d) != key(c) or d.row["value"] == c.row["value"]:
                continue
            twin = next((m for m in mates if to_base(m.figure.value, m.figure.unit)
                         == to_base(d.figure.value, d.figure.unit)), None)
            if twin is None:
                continue
            note = (f"the release gives {c.figure.item} as {d.row['value']}{d.row['unit']} elsewhere "
                    f"(«{d.row['quote']}»): this 分别 list looks swapped; check which value is which")
            for x in (c, twin):
                x.row["note"] = "; ".join(filter(None, [x.row["note"], note]))
                x.confidence = min(x.confidence, 0.3)
            break


def _propose(label: Label, fig: FoundFigure, clause: str, context: str, lang: str,
             catalogue: Catalogue, figure_text: str = "") -> None:
    """A new catalogue row where no metric fits, and what to do about a missing unit."""
    row = propose_metric(label, fig.unit, clause, lang, catalogue, context,
                         fig.period is not None and fig.period.period_start is not None, figure_text)
    if row is not None:
        why = label.reason.split(":", 1)[1].split(";")[0].strip() if ":" in label.reason else ""
        label.proposal = row
        label.metric_id = row["metric_id"]
        label.reason = (f"{row['metric_id']}: not in the catalogue ({why}); proposed as a new "
                        "row in the .metrics.csv beside the candidates")
        return
    m = catalogue.metric(label.metric_id)
    if m is None or not label.unit_missing:
        return
    u = UNITS[fig.unit]
    same = [x for x in m.units if x in UNITS and UNITS[x].base == u.base and UNITS[x].lang == u.lang]
    if same:
        # The value stays as written (validation finds it in the quote); the metric gains
        # the unit instead, which changes no other guess (units only gate the unit's kind).
        v = fig.value * u.factor / UNITS[same[0]].factor
        label.reason += (f": the same quantity as {v:.10g} {same[0]}; keep the value as written "
                         f"and accept the add_unit row for {m.metric_id} in the .metrics.csv "
                         f"(adds {fig.unit} to its units)")
    else:
        label.reason += f": add {fig.unit} to the units of {m.metric_id} in metrics.csv"
    row = dict(catalogue.metric_rows.get(m.metric_id, {}))
    if row:
        row["units"] = "|".join([*m.units, fig.unit])
        row["status"] = "add_unit"
        row["reason"] = (f"units {row['units']}: adds {fig.unit}, the unit this release writes; "
                         f"every other field, priority {row.get('priority', '')} included, is the "
                         "catalogue's own")
        label.proposal = row


def _last_topic(release: Release, block: Block, spans: list[Span]) -> Span | None:
    """The last period phrase of a paragraph that sets the time for what follows it."""
    inside = [sp for sp in spans if block.start <= sp.start and sp.end <= block.end
              and sp.period_end is not None and _topic(release, block, sp)]
    return inside[-1] if inside else None


def _last_as_of(release: Release, block: Block, spans: list[Span]) -> Span | None:
    """The last month-, quarter- or year-end date a paragraph states (2024年4月末)."""
    inside = [sp for sp in spans if block.start <= sp.start and sp.end <= block.end
              and sp.kind == "stock" and sp.period_end is not None
              and re.search(r"[末底]|end of", sp.label)]
    return inside[-1] if inside else None


def _period_dates(fig: FoundFigure, release_date: date | None, metric,
                  label: Label | None = None, ytd: bool = False) -> tuple[date | None, date | None]:
    if fig.period is None:
        return None, release_date
    start, end = fig.period.period_start, fig.period.period_end
    if label is not None and label.month_change and end is not None:
        return date(end.year, end.month, 1), end  # 比上月增加: that month alone
    if ytd and end is not None and start is None and (metric is None or metric.period_type == "flow"):
        return date(end.year, 1, 1), end  # 较年初增加…, "since the beginning of the year"
    if metric is not None and end is not None:
        if metric.period_type == "flow" and start is None and fig.period.kind == "stock":
            start = date(end.year, 1, 1)  # 截至3月末 of a flow: the year to date
        elif metric.period_type in ("stock", "cumulative") and start is not None:
            start = None
    elif label is not None and label.balance and start is not None and fig.period.kind != "since":
        start = None  # a balance is a level at the period's end
    elif label is not None and label.flow and start is None and fig.period.kind == "stock" \
            and end is not None and re.search(r"[末底]|end of", fig.period.label):
        start = date(end.year, 1, 1)  # loans increased by X, dated 截至3月末: the year to date
    elif start is None and end is not None and _BY_YEAR.fullmatch(fig.period.label) \
            and UNITS[fig.unit].base in _OUTPUT_BASES:
        start = date(end.year, 1, 1)  # "to 9.443 million units by 2023": that year's output
    return start, end


_BY_YEAR = re.compile(r"[Bb]y \d{4}")
_OUTPUT_BASES = {"vehicles", "teu", "trains", "train_trips", "tonnes"}


def _confidence(fig: FoundFigure, label: Label, block: Block, release: Release) -> float:
    """How likely the whole proposal (metric, entity, period, value) is right as it stands.

    Calibrated on the tuned gold texts so that 0.9 and above means the metric was
    named outright in the figure's own clause, the period is stated in its sentence,
    the unit is one the metric lists and the figure is Chongqing's or the named
    entity's; anything weaker stays below 0.9.
    """
    c = 0.5 if label.metric_id == "unknown" or label.evidence == 0.0 else label.evidence
    if fig.implied_unit:
        c -= 0.3
    if fig.period is None:
        c -= 0.15
    elif fig.period_how != "sentence":
        c -= 0.08
    if label.entity_id == "unknown":
        c -= 0.05
    if label.unit_missing:
        c -= 0.1
    if fig.in_parens:
        c -= 0.1
    if UNITS[fig.unit].lang == "en" and UNITS[fig.unit].base in ("items", "entities"):
        c -= 0.05
    if not any(p in release.text[block.start:block.end] for p in "。.！？"):
        c -= 0.1  # a headline
    return round(max(0.05, min(0.99, c)), 2)


# A unit written where its number should be: 余额万亿元, 同比增长%, "stood at trillion yuan".
_STRIPPED = {"zh": re.compile(r"(?:余额|增加|增长|新增|达到|达|为|约|超)(?:万亿元|亿元|万元|亿美元|%)"),
             "en": re.compile(r"\b(?:at|to|of|by|was|reached)\s+(?:trillion|billion|million)\s+"
                              r"(?:yuan|U\.?S\.? dollars|USD)|\bby\s+(?:%|percent\b)", re.I)}


def stripped_numbers(release: Release) -> list[str]:
    """Places where the page shows a unit without its number (a scraper dropped the digits):
    its figures cannot be read from it; the analyst should find another copy."""
    pat = _STRIPPED["en" if release.lang == "en" else "zh"]
    body = release.text[release.body_start:]
    return [body[max(0, m.start() - 12):m.end()].strip() for m in pat.finditer(body)]
