"""Figures in Chinese release text: number, scale, counter, qualifier, growth, prior value."""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

from ..core.numbers import CN_NUMERAL_CHARS, CN_SCALES, find_numbers, parse_number, split_scale
from ..core.vocab import QUALIFIERS, SCALES_ZH, SUFFIX_QUALIFIERS, UNITS, scale_of
from .found import FoundFigure


def _ch(text: str, i: int) -> str:
    """The character at i, or NUL outside the text (so that `in "..."` tests stay false)."""
    return text[i] if 0 <= i < len(text) else "\x00"


# Prefix words, longest first: (as written, qualifier stored). '' = exact, but part of the figure.
_PREFIX = [("超过", "超过"), ("突破", "突破"), ("接近", "近"), ("将近", "近"), ("约为", "约"),
           ("大约", "约"), ("达到", ""), ("累计", ""), ("合计", ""), ("共计", ""), ("总计", ""),
           ("约", "约"), ("近", "近"), ("超", "超"), ("逾", "逾"), ("达", ""), ("共", "")]
_NOT_NEAR = "最附临邻亲贴"  # 最近, 附近 ... are not 'nearly'
# Words read as their unit (the data keeps 亿元 for 亿元人民币).
_CURRENCY_ALIASES = {"元人民币": "元", "人民币": "元", "美金": "美元"}
# A counter followed by one of these is part of another word (个月, 人民币, 成立, 名单…).
_REJECT_NEXT = {
    "个": "月工季小方", "人": "民员才口工", "成": "立为功本交员果效都熟长型绩", "名": "单额",
    "单": "位元独", "列": "入为车", "班": "列子", "项": "目", "家": "庭电乡", "条": "件例款",
    "场": "景所地", "户": "籍口", "件": "套",
}
_SCALES = CN_SCALES
# qualifiers written before the number (约, 近, 超…), which a list shares: 约18亿元、15亿元
_PREFIX_QUALIFIERS = frozenset(w for w, q in QUALIFIERS.items() if q.zh == w and w not in SUFFIX_QUALIFIERS)
# Set phrases whose numerals are not figures.
_IDIOMS = ("货比三家", "千家万户", "千方百计", "四面八方", "五花八门", "三番五次", "百家争鸣",
           "九成新", "十全十美", "两手抓", "三家一策")
_SUFFIX_AFTER_COUNTER = (("以上", "以上"), ("左右", "约"), ("多", "多"), ("余", "余"))
_SENTENCE_END = "。！？!?；;"
_YEAR_LEAD = re.compile(r"(?:截至|截止|至|到|于|在|自|从|截止到)$")
_CLAUSE_END = _SENTENCE_END + "，,：:"


@lru_cache(maxsize=1)
def counters() -> tuple[str, ...]:
    """Chinese counters (the part of a unit after its scale), longest first."""
    found = {scale_of(label)[1] for label, u in UNITS.items() if u.lang == "zh"}
    found |= set(_CURRENCY_ALIASES)
    found.discard("%")
    return tuple(sorted(found, key=len, reverse=True))


def _match_counter(text: str, pos: int) -> str:
    for c in counters():
        if text.startswith(c, pos):
            nxt = text[pos + len(c):pos + len(c) + 1]
            if nxt and nxt in _REJECT_NEXT.get(c, ""):
                continue
            return c
    return ""


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\u3000":
        pos += 1
    return pos


def in_short_quote(text: str, start: int, end: int, limit: int = 12) -> bool:
    """True inside a short quoted name such as “五个百亿级” or “1+10” (not a quoted speech).

    >>> in_short_quote("实施“五个百亿级”货币政策", 3, 5)
    True
    >>> in_short_quote("他说：“一季度贷款投放168亿元，增长很快。”", 10, 13)
    False
    """
    left = text.rfind("“", max(0, start - limit), start)
    if left < 0:
        return False
    if "”" in text[left:start]:
        return False
    right = text.find("”", end, end + limit)
    if right < 0:
        return False
    inner = text[left + 1:right]
    return not any(c in inner for c in "，,。；;：:！？")


def find_zh_figures(text: str, start: int = 0, end: int | None = None) -> list[FoundFigure]:
    """Every figure with a unit in a span of simplified, ASCII-digit text.

    >>> [(f.value, f.unit, f.qualifier) for f in find_zh_figures("累计吸引近200家企业，举办10余场")]
    [(200.0, '家', '近'), (10.0, '场', '余')]
    >>> [(f.value, f.unit) for f in find_zh_figures("2026年5月9日，第八届西洽会，货比三家")]
    []
    """
    end = len(text) if end is None else end
    figures: list[FoundFigure] = []
    bare: list[tuple[int, int, float, str]] = []  # numbers without a unit, for 18、15亿元
    seen: set[int] = set()
    for n in find_numbers(text[start:end]):
        s0 = n.start + start
        if s0 in seen:
            continue
        seen.add(s0)
        raw = n.text
        fig = _read_figure(text, s0, s0 + len(raw), raw, n.chinese, n.percent)
        if fig is None:
            e0 = s0 + len(raw)
            if not n.chinese and _ch(text, e0) in "、和" and _ch(text, s0 - 1) != "第":
                bare.append((s0, e0, n.value, raw))
            continue
        figures.append(fig)
    figures += _round_amounts(text, start, end, {f.start for f in figures})
    figures = [f for f in _backfill_lists(text, figures, bare) if not in_example(text, f.start)]
    mark_respectively(text, figures)
    mark_growth(text, figures)
    mark_rate_gaps(text, figures)
    mark_change_to(text, figures)
    mark_prior(text, figures)
    return figures


def _read_figure(text: str, s0: int, e0: int, raw: str, chinese: bool, percent: bool
                 ) -> FoundFigure | None:
    before = _ch(text, s0 - 1)
    if before == "第" or before in "+＋/" or _ch(text, e0) in "+＋/":
        return None
    if not chinese and re.fullmatch(r"(?:19|20)\d\d", raw) and _YEAR_LEAD.search(
            text[max(0, s0 - 3):s0]):
        return None  # 截至2024亿元: a year whose month and figure a scraper stripped
    if chinese:
        if raw in ("一", "〇", "零") or before in CN_NUMERAL_CHARS:
            return None
        body = raw[3:] if percent else raw
        mant, scale = split_scale(body)
        try:
            value = parse_number(mant)
        except ValueError:
            return None
    else:
        if (before.isascii() and before.isalpha()) or (_ch(text, e0).isascii() and \
                _ch(text, e0).isalpha()):
            return None  # part of a code such as A股, 5G, eNCD2
        value = float(raw.replace(",", ""))
        mant, scale = raw, ""
    if in_short_quote(text, s0, e0) or _in_idiom(text, s0):
        return None
    if percent:
        unit, qualifier, pos, implied = "%", "", e0, False
    else:
        read = _read_unit(text, e0, scale, chinese)
        if read is None:
            return None
        unit, qualifier, pos, implied, scale = read
    if unit not in UNITS:
        return None
    if not qualifier:
        for word, q in _SUFFIX_AFTER_COUNTER:
            if text.startswith(word, pos) and not (word == "多" and _ch(text, pos + 1) in "元家"):
                qualifier, pos = q, pos + len(word)
                if word == "左右":
                    qualifier = "约"
                break
    fig_start = s0
    for word, q in _PREFIX:
        b = s0 - len(word)
        if b >= 0 and text.startswith(word, b):
            if word == "近" and _ch(text, b - 1) in _NOT_NEAR:
                continue
            fig_start = b
            if (q and not qualifier) or (q and qualifier in ("余", "多")):
                qualifier = q
            break
    fig = FoundFigure(value, unit, qualifier, fig_start, pos, s0, mant, implied_unit=implied)
    if implied:
        fig.notes.append(f"unit not written: read {scale} as {unit}")
    if _ch(text, s0 - 1) in "(（" and _ch(text, pos) in ")）":
        fig.in_parens = True
    return fig


def _read_unit(text: str, pos: int, scale: str, chinese: bool
               ) -> tuple[str, str, int, bool, str] | None:
    """What follows a number: 余/多, a scale, a counter (or 亿 read as 亿元, the unit implied).

    Returns:
        (unit, qualifier, end, implied, scale), or None when no unit follows.
    """
    qualifier, implied = "", False
    pos = _skip_space(text, pos)
    if not chinese and text.startswith("%", pos):
        return "%", "", pos + 1, False, scale
    for q in ("余", "多"):
        if text.startswith(q, pos):
            qualifier, pos = q, pos + 1
            break
    if not scale and not chinese:
        for sc in _SCALES:
            if text.startswith(sc, pos):
                scale, pos = sc, pos + len(sc)
                break
        if scale and not qualifier:
            for q in ("余", "多"):
                if text.startswith(q, pos):
                    qualifier, pos = q, pos + 1
                    break
    counter = _match_counter(text, pos)
    if counter:
        pos += len(counter)
        unit = scale + _CURRENCY_ALIASES.get(counter, counter)
    elif SCALES_ZH.get(scale, 0) >= 1e8 and not chinese and _ch(text, pos) not in "级":
        unit, implied = scale + "元", True
    else:
        return None
    return unit, qualifier, pos, implied, scale


def _in_idiom(text: str, pos: int) -> bool:
    window = text[max(0, pos - 4):pos + 5]
    return any(i in window for i in _IDIOMS)


def _backfill_lists(text: str, figures: list[FoundFigure], bare: list[tuple[int, int, float, str]]
                    ) -> list[FoundFigure]:
    """Share a unit and a prefix qualifier along a list: 约18亿元、15亿元; 43个、61个基点; 3.3、3.2%."""
    by_start = {f.num_start: f for f in figures}
    for f in figures:
        nxt = by_start.get(f.end + 1)
        if nxt is None or _ch(text, f.end) != "、":
            continue
        if f.unit == "个" and nxt.unit.startswith("个") and len(nxt.unit) > 1:
            f.unit = nxt.unit
        if f.qualifier in _PREFIX_QUALIFIERS and not nxt.qualifier \
                and nxt.start == nxt.num_start:
            nxt.qualifier = f.qualifier
    extra = []
    for s0, e0, value, raw in bare:
        nxt = by_start.get(e0 + 1)
        if nxt is not None:
            extra.append(FoundFigure(value, nxt.unit, "", s0, e0, s0, raw))
    return sorted(figures + extra, key=lambda f: f.num_start)


_REF = (r"(?P<ref>同比|比上年同期|较上年同期|比去年同期|较去年同期|与上年同期相比|比上年|较上年|"
        r"比去年|较去年|较(?P<yr>\d{4})年(?:同期)?)")
_GROWTH_RE = re.compile(
    _REF + r"?[，,]?(?:分别)?(?P<dir>多增|少增|多减|少减|增长|增加|上升|提高|提升|下降|减少|回落|降低|"
    r"增速|增幅|增|降|多|少)(?:了)?(?:分别)?(?:高达|达到了|为|达到|达|是)?")
_NATIONAL_RE = re.compile(r"(?P<dir>高于|低于|快于|慢于|超过|超出)全国(?:平均水平|平均|水平)?(?:增速)?"
                          r"|(?:较|比)全国(?:平均水平|平均|水平)?(?:增速)?(?P<dir2>高出|低出|高|低|快|慢)(?:了)?")
_DOUBLED_RE = re.compile(r"翻番|翻了一番|翻一番|倍增")
# months above the national average (streak_months): 增速连续三个月回升 is another streak
_STREAK_RE = re.compile(r"连续(?P<n>\d+|[一二三四五六七八九十]{1,3})个月"
                        r"(?=[^，,。；;]{0,4}(?:高于|快于|超过|领跑)全国)")
_NOT_YOY = ("年初", "年末", "上年末", "上月", "环比", "季末", "上季")
# 少减 after a decrease: less reduced than a year before (a decrease figure's diff is negative)
_SPAN_BEFORE = re.compile(r"(?:\d+|[一二三四五六七八九十]+)年(?:来|以来)\S{0,6}$|以来\S{0,6}$")
_NEG = ("少增", "少减", "下降", "减少", "回落", "降低", "降", "少", "低于", "慢于")


def mark_growth(text: str, figures: list[FoundFigure]) -> None:
    """Attach YoY, national comparisons, 翻番 and streaks to the figure they qualify."""
    if not figures:
        return
    by_start = {f.num_start: f for f in figures}
    by_any = {f.start: f for f in figures}
    for m in _GROWTH_RE.finditer(text, figures[0].start - 20, figures[-1].end + 1):
        first = by_start.get(_skip_space(text, m.end()))
        if first is None:  # 同比增长近两成: a qualifier between the word and the number
            first = by_any.get(_skip_space(text, m.end()))
            if first is None or not first.qualifier:
                continue
        direction = m["dir"]
        if not m["ref"] and _SPAN_BEFORE.search(text, max(0, m.start() - 8), m.start()):
            continue  # 直辖17年来增长16.5倍: growth over a span of years, not year-on-year
        if not m["ref"]:
            if direction not in ("增长", "下降", "多增", "少增") or first.unit not in ("%", "倍"):
                continue
            if any(w in text[max(0, m.start() - 6):m.start()] for w in _NOT_YOY):
                continue
        group = _list_from(text, first, figures)
        kind = "yoy_diff" if direction in ("多增", "少增", "多减", "少减", "多", "少") else "yoy"
        if not m["ref"] and any(f.unit == "%" for f in _levels_before(text, m.start(), figures)
                                [-len(group):]):
            continue  # 增长9.7% after a rate: a growth of its own, not the rate's YoY
        _attach(text, group, figures, kind, -1 if direction in _NEG else 1, m.start())
    for m in _NATIONAL_RE.finditer(text, figures[0].start - 20, figures[-1].end + 1):
        first = by_start.get(_skip_space(text, m.end()))
        if first is not None and first.unit in ("个百分点", "%"):
            d = m["dir"] or m["dir2"]
            _attach(text, [first], figures, "national", -1 if d in (*_NEG, "低出", "低", "慢") else 1,
                    m.start())
    for m in _DOUBLED_RE.finditer(text, figures[0].start, figures[-1].end + 40):
        level = _level_before(text, m.start(), figures)
        if level is not None and level.yoy_pct is None:
            level.yoy_pct, level.yoy_wording = 100.0, "doubled"
            level.growth_end = max(level.growth_end, m.end())
    for m in _STREAK_RE.finditer(text, figures[0].start, figures[-1].end + 40):
        level = _level_before(text, m.start(), figures)
        if level is not None and level.streak_months is None:
            n = m["n"]
            level.streak_months = int(n) if n.isdigit() else int(parse_number(n))
            level.growth_end = max(level.growth_end, m.end())


def _list_from(text: str, first: FoundFigure, figures: list[FoundFigure]) -> list[FoundFigure]:
    group = [first]
    by_start = {f.start: f for f in figures}
    while text[group[-1].end:group[-1].end + 1] in ("、", "和"):
        nxt = by_start.get(group[-1].end + 1)
        if nxt is None:
            break
        group.append(nxt)
    return group


def _sentence_start(text: str, pos: int) -> int:
    i = pos
    while (i > 0 and text[i - 1] not in _SENTENCE_END and text[i - 1] != "\n") or (
            i > 0 and text[i - 1] == "\n" and not _ends_sentence(text, i - 1)):
        i -= 1
        if pos - i > 400:
            break
    return i


def _ends_sentence(text: str, nl: int) -> bool:
    j = nl
    while j > 0 and text[j - 1] in "\n \t":
        j -= 1
    line_start = text.rfind("\n", 0, j) + 1
    line = text[line_start:j]
    return not line or line[-1] in "。！？!?”" or not any(c in line for c in "，,；;、")


def _levels_before(text: str, pos: int, figures: list[FoundFigure]) -> list[FoundFigure]:
    s = _sentence_start(text, pos)
    return [f for f in figures if s <= f.start and f.end <= pos and f.role == "level"
            and not f.in_parens]


def _level_before(text: str, pos: int, figures: list[FoundFigure]) -> FoundFigure | None:
    levels = _levels_before(text, pos, figures)
    return levels[-1] if levels else None


def _attach(text: str, group: list[FoundFigure], figures: list[FoundFigure], kind: str, sign: int,
            cue: int) -> None:
    levels = [f for f in _levels_before(text, cue, figures) if f not in group]
    cs = cue
    while cs > 0 and text[cs - 1] not in "，,；;。\n":
        cs -= 1
    subject = re.sub(r"同比|分别|增速|增幅|其中|的|[\s“”]", "", text[cs:cue])
    if len(subject) >= 2:
        # 普惠小微贷款余额同比增长10%: its own subject, not the growth of an earlier clause's
        # figure (日均成交8.88万亿元，日均成交同比增长19.9%: the same subject again is)
        levels = [f for f in levels if f.start >= cs or subject in text[max(0, f.start - 20):f.start]]
    if kind == "yoy" and all(g.unit == "%" for g in group):
        levels = [f for f in levels if f.unit != "%"]  # a growth is no points change of a rate
    if not levels:
        return  # growth with no level: it stays a figure of its own
    targets = levels[-len(group):] if len(group) > 1 else [levels[-1]]
    for g, level in zip(group, targets[-len(group):] if len(targets) >= len(group)
                        else [targets[-1]] * len(group), strict=False):
        value = sign * g.value
        if kind == "national":
            if level.vs_national_pp is not None:
                continue
            level.vs_national_pp = value
        elif g.unit == "倍":
            level.yoy_pct, level.yoy_wording = round(value * 100, 10), "times"
        elif g.unit == "成" and kind == "yoy":  # 同比增长近两成: about 20%
            if level.yoy_pct is not None:
                continue
            level.yoy_pct = round(value * UNITS["成"].factor, 10)
            if g.qualifier:
                level.notes.append(f"YoY {g.qualifier}{g.text}成 (qualified: {level.yoy_pct:g}%)")
        elif g.unit == "%" and level.unit != "%" and kind == "yoy":
            if level.yoy_pct is not None:
                continue
            level.yoy_pct = value
        else:
            diff = _diff_in(level.unit, g.unit, value)
            if diff is None:
                if g.unit == "%" and level.yoy_pct is None:
                    level.yoy_pct = value
                    g.role = "growth"
                    level.growth_end = max(level.growth_end, g.end)
                continue
            if level.yoy_diff is not None:
                continue
            if diff != round(value, 10):  # 比年初增加1.2万亿元、同比多增1098亿元: another scale
                level.notes.append(_other_scale(text[g.start:g.end], level.unit))
            else:
                level.yoy_diff = diff
        g.role = "growth"
        level.growth_end = max(level.growth_end, g.end)


def _other_scale(written: str, unit: str) -> str:
    """The note for a change written in another scale than its figure (yoy_diff keeps only a
    number the quote holds as written, which validation checks)."""
    return f"{written}: a year-on-year change written in another unit than {unit}; not in yoy_diff"


def _diff_in(level_unit: str, unit: str, value: float) -> float | None:
    """A difference written in one unit, in the level's unit (43个基点 on a % level: 0.43)."""
    lu, gu = UNITS.get(level_unit), UNITS.get(unit)
    if lu is None or gu is None or (lu.base != gu.base and not (lu.base == "percent" and
                                                               gu.base == "pp")):
        return None
    return round(value * gu.factor / lu.factor, 10)


# 从16%…, 由2022年的6.2万亿元…, 从2020年末的…: the word that opens an earlier value
_PRIOR_LEAD = re.compile(r"(?:从|由)(?P<when>\d{4}年(?:末|底|全年)?)?(?:的)?$")
_PRIOR_GAP = re.compile(r"^[^，,。；;：:]{0,14}?(?:至|到)(?:了)?$")


_CHANGE_TO_RE = re.compile(r"(?P<dir>提升|提高|上升|增加|下降|降低|回落|减少)$")


def mark_change_to(text: str, figures: list[FoundFigure]) -> None:
    """占比提升2.8个百分点至48%: the points are the YoY difference of the 48%."""
    for a, b in itertools.pairwise(figures):
        if a.role != "level" or a.unit not in ("个百分点", "个基点") or b.unit not in ("%", "成"):
            continue
        gap = text[a.end:b.start]
        m = _CHANGE_TO_RE.search(text[max(0, a.start - 4):a.start])
        if m and gap in ("至", "到", "，至", "为"):
            diff = _diff_in(b.unit, a.unit, a.value)
            if diff is not None and diff != round(a.value, 10):
                b.notes.append(_other_scale(text[a.start:a.end], b.unit))
                a.role = "growth"
            elif diff is not None and b.yoy_diff is None:
                b.yoy_diff = -diff if m["dir"] in (*_NEG, "降低") else diff
                a.role = "growth"
                b.start = min(b.start, a.start)


def mark_prior(text: str, figures: list[FoundFigure]) -> None:
    """从16%跃升至46%: the 16 becomes the prior value of the 46."""
    for a, b in itertools.pairwise(figures):
        lead = _PRIOR_LEAD.search(text, max(0, a.start - 12), a.start)
        if a.role != "level" or lead is None:
            continue
        gap = text[a.end:b.start]
        if _PRIOR_GAP.match(gap) and UNITS[a.unit].base == UNITS[b.unit].base:
            a.role = "prior"
            b.prior_value = round(a.value * UNITS[a.unit].factor / UNITS[b.unit].factor, 10)
            # 由2022年的A增加到B: the year belongs to A alone, and is A's label
            b.prior_label = lead["when"] or ""
            b.prior_start = lead.start()


# The words a list of names shares after its last name (手机、汽车、摩托车出口额: 出口额).
_SHARED_TAILS = ("进出口额", "出口额", "进口额", "出口值", "进口值", "贷款余额", "存款余额", "余额", "贷款增速",
                 "存款增速", "增速",
                 "利率", "占比", "比重", "规模", "增量", "存量", "贷款", "存款", "出口", "进口", "产量", "销量")
_RESPECTIVELY = re.compile(r"(?:的)?(?:同比)?分别(?:为|是|达到|达|约为|约|增长|增加|占|下降|高达)?(?:了)?$")


def mark_respectively(text: str, figures: list[FoundFigure]) -> None:
    """手机、汽车、摩托车出口额分别为567亿元、530.3亿元、264.7亿元: each figure goes with its own
    name (汽车出口额 is the 530.3 alone), so that a name in the list labels one figure only."""
    by_start = {f.start: f for f in figures}
    for f in figures:
        if f.item or f.role != "level":
            continue
        head = text[max(0, f.start - 60):f.start]
        m = _RESPECTIVELY.search(head)
        if m is None:
            continue
        group = _list_from(text, f, figures)
        names = _list_names(head[:m.start()], len(group))
        if len(group) < 2 or names is None:
            continue
        tail = next((t for t in _SHARED_TAILS if t in names[-1] and names[-1] != t), "")
        if tail:  # …服务业的贷款增速尤为突出: the names end at their shared word
            names[-1] = names[-1][:names[-1].index(tail) + len(tail)]
        heads = [*names[:-1], names[-1][:len(names[-1]) - len(tail)]]
        # 广东本外币存款、贷款余额: the first name carries what the others share (广东本外币)
        k = len(heads[1])
        prefix = names[0][:-k] if 0 < k <= 3 and k < len(names[0]) else ""
        for i, g in enumerate(group):
            if by_start.get(g.start) is g:
                g.item = (names[0] if i == 0 else prefix + heads[i]) + tail
                g.list_start = group[0].start
                g.notes.append(f"one of a list read respectively: {g.item}")


# 增速比去年同期高0.7个百分点, 增速分别比上年同期、一季度末高3.4个、3.0个百分点, 高于各项贷款增速
# 3.25个百分点: a change of the growth rate, or a gap to another series' rate.
_RATE_GAP = re.compile(r"(?:增速|增幅|增长率)[^，,；;。]{0,16}?(?:比|较|高于|低于|快于|慢于|高出|低出)"
                       r"|(?:高于|低于|快于|慢于|高出|低出)[^，,；;。]{0,10}?(?:增速|增幅|增长率)")


def mark_rate_gaps(text: str, figures: list[FoundFigure]) -> None:
    """Points by which a growth rate moved or differs from another series' are no figure of
    their own and no column holds them: they go into the note of the level they qualify
    (全国 comparisons are ``vs_national_pp``, see :func:`mark_growth`)."""
    for f in figures:
        if f.role != "level" or f.unit not in ("个百分点", "个基点") or f.in_parens:
            continue
        s = f.start
        while s > 0 and text[s - 1] not in "，,；;。\n":
            s -= 1
        clause = text[s:f.end]
        if not _RATE_GAP.search(text[s:f.start]) or "全国" in clause:
            continue
        level = _level_before(text, s, figures)
        if level is None:
            continue
        f.role = "gap"
        level.notes.append(f"{clause}: a change of its growth rate, which no column holds")
        level.growth_end = max(level.growth_end, f.end)


# 如某企业贷款1000万元, 例如，一笔500万元的贷款, 假设…: a worked example, not a reported figure.
# (比如，我们引导建设银行在渝设立6只科创子基金 is a real example: only an unnamed one is not.)
_EXAMPLE = re.compile(r"假如|如果|假设|倘若|"
                      r"(?:例如|比如|譬如|如|若|以)[，,]?[^，,。；;：:]{0,8}?(?:某|一笔|一家|一户|一位|一名)")


def in_example(text: str, pos: int) -> bool:
    """True when the clause before pos is a worked example or a supposition (如某企业…).

    >>> t = "如某企业获得贷款1000万元，可节约利息约2万元。"
    >>> in_example(t, t.index("1000")), in_example("全市贷款余额6.54万亿元", 6)
    (True, False)
    """
    s = pos
    while s > 0 and text[s - 1] not in "。；;！？\n":
        s -= 1
    return bool(_EXAMPLE.search(text, s, pos))


def _list_names(lead: str, n: int) -> list[str] | None:
    """The n names a list read 分别 goes with: 手机、汽车、摩托车出口额; 科学研究和技术服务业、批发和零售业
    …以及租赁和商务服务业的贷款增速(尤为突出，)分别…: names hold 和, so 和 splits only the last one
    when the count asks for it."""
    parts = [p for p in re.split(r"[，,。；;：:\n]", lead)]
    for k, clause in enumerate(reversed(parts[-2:])):
        names = [x for x in re.split(r"、|以及|及|与", clause) if x]
        if k == 1 and names:  # 东盟、欧盟为重庆前两大贸易伙伴，全年进出口额分别为…: 欧盟, then the noun
            names[-1] = re.split(r"为|是", names[-1])[0]
            tail = re.sub(r"^(?:全年|同比|其中)", "", parts[-1])
            names = [x + tail for x in names]
        if len(names) == n - 1 and "和" in names[-1]:
            names = [*names[:-1], *names[-1].split("和", 1)]
        if len(names) == n and all(names):
            names[-1] = re.sub(r"^(.*?)的", r"\1", names[-1], count=1) if "的" in names[-1] else names[-1]
            return names
    return None


# 突破万亿元, 超千亿元: a round amount written with no numeral (one 万亿, one 千亿).
_ROUND = re.compile(r"(?P<q>突破|超过|超|逾|近|达到|达)(?P<scale>万亿|千亿|百亿)元")
_ROUND_VALUE = {"万亿": (1.0, "万亿元"), "千亿": (1000.0, "亿元"), "百亿": (100.0, "亿元")}


def _round_amounts(text: str, start: int, end: int, taken: set[int]) -> list[FoundFigure]:
    """Figures such as 发行规模突破万亿元 (1万亿元, qualifier 突破); not 千亿产业生态 (no 元)."""
    out = []
    for m in _ROUND.finditer(text, start, end):
        if m.start() in taken or in_short_quote(text, m.start(), m.end()):
            continue
        value, unit = _ROUND_VALUE[m["scale"]]
        q = dict(_PREFIX).get(m["q"], "")
        fig = FoundFigure(value, unit, q, m.start(), m.end(), m.start("scale"), m["scale"])
        fig.notes.append(f"{m[0]}: a round amount written without a numeral")
        out.append(fig)
    return out
