"""Period words in release text, resolved to dates against the release date.

Stocks (3月末, 截至…末, 年末, by the end of June) give an as-of date and no
start; flows (一季度, 上半年, 1—5月, 前10个月, 全年, in the first quarter) give
a span; …以来 and "since" give a start and run to the release date. Words
without a year (3月末, 上半年, 全年) take the latest such period that has ended
by the release date, or, after 力争/预计/计划/目标, the one under way.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date


def _ch(text: str, i: int) -> str:
    """The character at i, or NUL outside the text (so that `in "..."` tests stay false)."""
    return text[i] if 0 <= i < len(text) else "\x00"


_CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
           "九": 9, "十": 10, "十一": 11, "十二": 12}
_EN_NUM = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
           "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
_ORD = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_MONTHS["sept"] = 9
_FUTURE_ZH = ("力争", "预计", "计划", "目标", "争取", "预期")
_FUTURE_EN = ("target", "aim", "plan", "expect", "will ")


@dataclass(frozen=True)
class Span:
    """A period phrase found in the text.

    Attributes:
        start: Offset of the phrase in the text.
        end: Offset just past it.
        label: The phrase as written.
        period_start: First day, or None for a stock / an unstated start.
        period_end: Last day or as-of date (None if it could not be resolved).
        kind: "stock", "flow" or "since".
    """

    start: int
    end: int
    label: str
    period_start: date | None
    period_end: date | None
    kind: str

    def year_to_date(self) -> Span:
        """The flow from 1 January to this phrase's date (较年初增加… under 截至6月末)."""
        end = self.period_end
        return Span(self.start, self.end, self.label, date(end.year, 1, 1) if end else None, end,
                    "flow")


def month_end(year: int, month: int) -> date:
    """Last day of a month.

    >>> month_end(2024, 2)
    datetime.date(2024, 2, 29)
    """
    return date(year, month, calendar.monthrange(year, month)[1])


def _num(token: str) -> int:
    if token.isdigit():
        return int(token)
    t = token.lower()
    return _CN_NUM.get(token) or _EN_NUM.get(t) or _ORD.get(t) or 0


def _pick_year(end_of: callable, release: date, future: bool) -> int:
    """Year for a period given without one: the latest that has ended by the release."""
    year = release.year
    if future:
        return year if end_of(year) >= release or end_of(year).year == year else year + 1
    return year if end_of(year) <= release else year - 1


# --- Chinese --------------------------------------------------------------------------

_Y = r"(?:(?P<y>\d{4})年|(?P<rel>今年|去年|上年|本年|明年|同年))?"
_ZH_RE = re.compile(
    r"(?P<five>“?(?P<fyp>十[三四五六])五”?(?:期间|时期|以来)?)"
    r"|(?P<now>如今|目前|当前|至今|现已|截至目前)"
    r"|(?P<upto>截至|截止到?|到)?" + _Y +
    r"(?:"
    r"(?P<m1>\d{1,2}|[一二三四五六七八九十]{1,2})月?(?:份)?(?:—|-|–|－|~|～|至|到)(?P<m2>\d{1,2}|[一二三四五六七八九十]{1,2})月(?:份)?(?P<mtail>末|底)?"
    r"|前(?P<nm>\d{1,2}|[一二三四五六七八九十]{1,2})个?月"
    r"|(?P<h>上|下)半年"
    r"|前三季度"
    r"|(?:第)?(?P<q>[一二三四1234])季度(?P<qend>末|底)?"
    r"|(?P<mon>\d{1,2}|十[一二]?|[一二三四五六七八九])月(?:份)?(?:(?P<tail>末|底|中旬|上旬|下旬|初)|(?P<d>\d{1,2})日)?"
    r"|(?P<full>全年)"
    r"|(?P<yend>年末|年底)"
    r")"
    r"(?P<since>以来)?"
)
_ZH_YEAR_RE = re.compile(
    r"(?P<upto>截至|截止到?|到)?(?:(?P<y>\d{4})年|(?P<rel>今年|去年|上年|本年|明年))"
    r"(?P<yend>末|底)?(?P<full>全年)?(?P<since>以来)?"
)
_ZH_SINCE_RE = re.compile(r"以来")


def find_zh_spans(text: str, release: date | None, start: int = 0, end: int | None = None
                  ) -> list[Span]:
    """Period phrases in Chinese text between two offsets, in order.

    >>> [(s.label, str(s.period_start), str(s.period_end))
    ...  for s in find_zh_spans("截至3月末，余额6.54万亿元；一季度新增", date(2026, 5, 9))]
    [('截至3月末', 'None', '2026-03-31'), ('一季度', '2026-01-01', '2026-03-31')]
    """
    end = len(text) if end is None else end
    spans: list[Span] = []
    last_year: int | None = None
    taken: list[tuple[int, int]] = []
    for m in _ZH_RE.finditer(text, start, end):
        if m.end() == m.start() or (m["upto"] and m.end() - m.start() == len(m["upto"])):
            continue
        if not any(m[g] for g in ("five", "now", "m1", "nm", "h", "q", "mon", "full", "yend")) \
                and "前三季度" not in m[0]:
            continue
        if m["mon"] and not m["tail"] and not m["d"] and not (m["y"] or m["rel"]) \
                and not m["upto"] and not m["since"] \
                and not (m[0].endswith("份") and _ch(text, m.end()) in "，,"):
            continue  # a bare month (5月份以来 is kept by 'since'; 12月份，… opens a clause)
        if m["d"] and _ch(text, m.start() - 1) in "第":
            continue
        if (m["yend"] or m["full"]) and not (m["y"] or m["rel"]) \
                and _ch(text, m.start() - 1) in "年0123456789今去上本明":
            continue  # 2025年末 / 2024年全年: read whole by the year pattern below
        span = _zh_span(m, text, release, last_year)
        if span:
            spans.append(span)
            taken.append((m.start(), m.end()))
            if span.period_end:
                last_year = span.period_end.year
    for m in _ZH_YEAR_RE.finditer(text, start, end):
        if any(a <= m.start() < b for a, b in taken):
            continue
        after = _ch(text, m.end())
        if (after and after in "度月") or _ch(text, m.start() - 1) in ("第", "至", "—", "-"):
            continue
        if after in "初前" and not m["yend"] and not m["since"]:
            continue  # 今年初, 2024年前: when something happened, not a period of figures
        if text[max(0, m.start() - 2):m.start()].endswith(("较", "比", "与", "于")):
            continue  # 较2023年多1674笔: a comparison, not the figure's period
        year = _year_of(m["y"], m["rel"], release, last_year)
        if year is None:
            continue
        upto, label = m["upto"], m[0]
        if m["since"]:
            spans.append(Span(m.start(), m.end(), label, date(year, 1, 1), release, "since"))
        elif (upto and _ch(text, m.end()) != "的") or m["yend"]:  # 到2022年的X: 2022's X
            spans.append(Span(m.start(), m.end(), label, None, date(year, 12, 31), "stock"))
        else:
            spans.append(Span(m.start(), m.end(), label, date(year, 1, 1), date(year, 12, 31),
                              "flow"))
        last_year = year
    spans.sort(key=lambda s: s.start)
    return _apply_since(text, spans, release)


def _year_of(y: str | None, rel: str | None, release: date | None, last_year: int | None
             ) -> int | None:
    if y:
        return int(y)
    if rel == "同年":
        return last_year
    if rel and release:
        return release.year + {"今年": 0, "本年": 0, "去年": -1, "上年": -1, "明年": 1}[rel]
    return None


def _zh_span(m: re.Match, text: str, release: date | None, last_year: int | None) -> Span | None:
    label = m[0]
    s, e = m.start(), m.end()
    if m["five"]:
        first = {"三": 2016, "四": 2021, "五": 2026, "六": 2031}[m["fyp"][1]]
        return Span(s, e, label, date(first, 1, 1), date(first + 4, 12, 31), "flow")
    if m["now"]:
        return Span(s, e, label, None, release, "stock") if release else None
    explicit = _year_of(m["y"], m["rel"], release, last_year)
    future = any(w in text[max(0, s - 8):s] for w in _FUTURE_ZH)

    def resolve(end_of) -> int | None:
        if explicit is not None:
            return explicit
        if release is None:
            return None
        return _pick_year(end_of, release, future)

    upto = bool(m["upto"])
    if m["m1"]:
        a, b = _num(m["m1"]), _num(m["m2"])
        if not (1 <= a <= b <= 12):
            return None
        year = resolve(lambda y: month_end(y, b))
        if year and m["mtail"] and a == b:
            return Span(s, e, label, None, month_end(year, b), "stock")
        return year and Span(s, e, label, date(year, a, 1), month_end(year, b), "flow")
    if m["nm"]:
        n = _num(m["nm"])
        if not 1 <= n <= 12:
            return None
        year = resolve(lambda y: month_end(y, n))
        return year and Span(s, e, label, date(year, 1, 1), month_end(year, n), "flow")
    if m["h"]:
        a, b = (1, 6) if m["h"] == "上" else (7, 12)
        year = resolve(lambda y: month_end(y, b))
        return year and Span(s, e, label, date(year, a, 1), month_end(year, b), "flow")
    if "前三季度" in label:
        year = resolve(lambda y: month_end(y, 9))
        return year and Span(s, e, label, date(year, 1, 1), month_end(year, 9), "flow")
    if m["q"]:
        q = _num(m["q"]) if not m["q"].isdigit() else int(m["q"])
        year = resolve(lambda y: month_end(y, 3 * q))
        if not year:
            return None
        if upto or m["qend"]:  # 二季度末: the end of the quarter, a date
            return Span(s, e, label, None, month_end(year, 3 * q), "stock")
        return Span(s, e, label, date(year, 3 * q - 2, 1), month_end(year, 3 * q), "flow")
    if m["mon"]:
        return _zh_month_span(m, resolve, release, upto)
    if m["full"]:
        year = resolve(lambda y: date(y, 12, 31))
        return year and Span(s, e, label, date(year, 1, 1), date(year, 12, 31), "flow")
    if m["yend"]:
        year = resolve(lambda y: date(y, 12, 31))
        return year and Span(s, e, label, None, date(year, 12, 31), "stock")
    return None


def _zh_month_span(m: re.Match, resolve: Callable[[Callable[[int], date]], int | None],
                   release: date | None, upto: bool) -> Span | None:
    """A month phrase (3月, 3月末, 3月15日, 3月以来) as a date or a span, its year by ``resolve``."""
    label, s, e = m[0], m.start(), m.end()
    mon = _num(m["mon"])
    if not 1 <= mon <= 12:
        return None
    tail, day = m["tail"], m["d"]
    if day and 1 <= int(day) <= 28:
        year = resolve(lambda y: date(y, mon, int(day)))
    else:
        year = resolve(lambda y: month_end(y, mon))
    if not year:
        return None
    if m["since"]:
        first = date(year, mon, int(day)) if day else date(year, mon, 1)
        return Span(s, e, label, first, release, "since")
    if day:
        d = int(day)
        if not 1 <= d <= calendar.monthrange(year, mon)[1]:
            return None
        return Span(s, e, label, None, date(year, mon, d), "stock")
    if tail in ("中旬",):
        return Span(s, e, label, None, date(year, mon, 15), "stock")
    if tail in ("上旬", "初"):
        return Span(s, e, label, None, date(year, mon, 10), "stock")
    if tail in ("末", "底", "下旬") or upto:
        return Span(s, e, label, None, month_end(year, mon), "stock")
    return Span(s, e, label, date(year, mon, 1), month_end(year, mon), "flow")


def _apply_since(text: str, spans: list[Span], release: date | None) -> list[Span]:
    """Turn "<date> … 以来" (within one clause) into a span from that date to the release."""
    out: list[Span] = []
    for sp in spans:
        if sp.kind != "since" and release and sp.period_end:
            tail = text[sp.end:sp.end + 20]
            m = _ZH_SINCE_RE.search(tail)
            if m and not any(c in tail[:m.start()] for c in "，,。；;：:"):
                first = sp.period_start or sp.period_end
                if sp.kind == "stock" and sp.period_end.day > 1:
                    first = sp.period_end.replace(day=1)
                sp = Span(sp.start, sp.end + m.end(), text[sp.start:sp.end + m.end()],
                          first, release, "since")
        out.append(sp)
    return out


# --- English --------------------------------------------------------------------------

_MON = r"(?P<mon>" + "|".join(sorted((k for k in _MONTHS), key=len, reverse=True)) + r")\.?"
# Month names as written in running text, capitalised: "in May" is a month, "in may be" is not.
_MON_CAP = "|".join(sorted((k.capitalize() for k in _MONTHS), key=len, reverse=True))
_YR = r"(?:,?\s*(?P<y>\d{4}))?"
_EN_RE = re.compile(
    r"(?P<endof>(?:by|as of|at|until|till|to)\s+(?:the\s+)?end(?:\s+of|-)\s*(?:" + _MON + _YR
    + r"|(?P<ey>\d{4})|(?P<ethis>this year|last year|the year)|(?P<ethem>the month)"
    r"|(?P<elm>last month|this month)))"
    r"|(?P<fromto>(?:from\s+)?(?P<m1>" + "|".join(sorted(_MONTHS, key=len, reverse=True))
    + r")\.?\s*(?:to|through|-|–)\s*(?P<m2>" + "|".join(sorted(_MONTHS, key=len, reverse=True))
    + r")\.?" + r"(?:,?\s*(?P<fy>\d{4})|\s+(?P<fthis>this year))?)"
    r"|(?P<quarter>(?:the\s+)?(?P<qo>first|second|third|fourth)[\s-]quarter(?:\s+of\s+(?P<qy>\d{4}))?"
    r"|Q(?P<qn>[1-4])(?:\s+(?P<qy2>\d{4}))?)"
    r"|(?P<three>(?:the\s+)?first (?:three|3) quarters(?:\s+of\s+(?P<ty>\d{4}))?)"
    r"|(?P<half>(?:the\s+)?(?P<ho>first|second)[\s-]half(?:\s+of\s+(?:(?P<hy>\d{4})|(?P<hthe>the year)))?"
    r"|H(?P<hn>[12])(?:\s+(?P<hy2>\d{4}))?)"
    r"|(?P<firstn>(?:the\s+)?first\s+(?P<n>\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve)\s+months(?:\s+of\s+(?:(?P<ny>\d{4})|the year))?)"
    r"|(?P<asof>\b(?:as of|as at|by|at)\s+(?:end-)?(?-i:(?P<amon>" + _MON_CAP + r"))\b\.?"
    r"(?:,?\s+(?P<a_y>\d{4}))?(?!\s*\d{1,2}\b))"
    r"|(?P<endm>\bend-(?P<emon>" + _MON_CAP + r")\b(?:,?\s+(?P<e_y>\d{4}))?)"
    r"|(?P<mend>\b(?:at|by)\s+(?:the\s+)?month[- ]end\b)"
    r"|(?P<lm>\b(?P<lmw>last|this|the previous|the past)\s+month\b)"
    r"|(?P<inmon>\b(?:in|during|for)\s+" + _MON.replace("?P<mon>", "?P<imon>") + r",?\s+(?P<im_y>\d{4})\b)"
    r"|(?P<inmon2>\b(?:In|in|During|during)\s+(?-i:(?P<bmon>" + _MON_CAP + r"))\b\.?(?!\s*\d))"
    r"|(?P<by>\b[Bb]y\s+(?P<by_y>\d{4})\b)"
    r"|(?P<iny>\b(?:[Ii]n|[Dd]uring|[Ff]or|[Tt]hroughout)\s+(?:the\s+(?:whole\s+|full\s+)?year\s+)?"
    r"(?P<in_y>\d{4})\b)"
    r"|(?P<rely>\b(?P<rw>last|this)\s+year\b)"
    r"|(?P<same>\b(?:in|during)\s+the\s+(?:same\s+)?period\b)",
    re.IGNORECASE,
)


def find_en_spans(text: str, release: date | None, start: int = 0, end: int | None = None
                  ) -> list[Span]:
    """Period phrases in English text between two offsets, in order.

    >>> [(s.label, str(s.period_start), str(s.period_end)) for s in find_en_spans(
    ...     "exported 334,000 units in the first 11 months", date(2024, 1, 16))]
    [('the first 11 months', '2023-01-01', '2023-11-30')]
    """
    end = len(text) if end is None else end
    spans: list[Span] = []
    previous: Span | None = None
    for m in _EN_RE.finditer(text, start, end):
        future = any(w in text[max(0, m.start() - 40):m.start()].lower() for w in _FUTURE_EN)
        if m["rely"] and re.search(r"(?:same|that) period\s*(?:of\s*)?$|(?:compared (?:with|to)|"
                                   r"than|over)\s*$", text[max(0, m.start() - 40):m.start()], re.I):
            continue  # "compared with the same period last year": a comparison, not a period
        sp = _en_span(m, release, future, previous)
        if sp:
            spans.append(sp)
            if m["same"] is None:
                previous = sp
    return spans


def _en_end_of(m: re.Match, release: date | None, previous: Span | None,
               year_for: Callable[[str | None, Callable[[int], date]], int | None]) -> Span | None:
    """"At the end of …": of the month just named, of a year, or of a month (a date)."""
    s, e, label = m.start(), m.end(), m[0]
    if m["ethem"]:  # "at the end of the month": the month just named
        if previous is None or previous.period_end is None:
            return None
        pe = previous.period_end
        return Span(s, e, label, None, month_end(pe.year, pe.month), "stock")
    if m["ey"] or m["ethis"]:
        if m["ey"]:
            year = int(m["ey"])
        elif release is None:
            return None
        else:
            year = release.year - (1 if "last" in m["ethis"].lower() else 0)
        return Span(s, e, label, None, date(year, 12, 31), "stock")
    mon = _MONTHS[m["mon"].lower()]
    found = year_for(m["y"], lambda y: month_end(y, mon))
    return found and Span(s, e, label, None, month_end(found, mon), "stock")


def _en_span(m: re.Match, release: date | None, future: bool, previous: Span | None
             ) -> Span | None:
    s, e, label = m.start(), m.end(), m[0]

    def year_for(explicit: str | None, end_of) -> int | None:
        if explicit:
            return int(explicit)
        if release is None:
            return None
        return _pick_year(end_of, release, future)

    if m["asof"] or m["endm"] or m["mend"] or m["lm"] or m["elm"]:
        return _en_month(m, release, previous, year_for)
    if m["endof"]:
        return _en_end_of(m, release, previous, year_for)
    if m["fromto"]:
        a, b = _MONTHS[m["m1"].lower()], _MONTHS[m["m2"].lower()]
        if a > b:
            return None
        if m["fthis"]:  # "from January to February this year"
            if release is None:
                return None
            year = release.year
        else:
            year = year_for(m["fy"], lambda y: month_end(y, b))
        return year and Span(s, e, label, date(year, a, 1), month_end(year, b), "flow")
    if m["quarter"]:
        q = _ORD[m["qo"].lower()] if m["qo"] else int(m["qn"])
        year = year_for(m["qy"] or m["qy2"], lambda y: month_end(y, 3 * q))
        return year and Span(s, e, label, date(year, 3 * q - 2, 1), month_end(year, 3 * q), "flow")
    if m["three"]:
        year = year_for(m["ty"], lambda y: month_end(y, 9))
        return year and Span(s, e, label, date(year, 1, 1), month_end(year, 9), "flow")
    if m["half"]:
        first = (m["ho"] or "").lower() == "first" or m["hn"] == "1"
        a, b = (1, 6) if first else (7, 12)
        year = year_for(m["hy"] or m["hy2"], lambda y: month_end(y, b))
        return year and Span(s, e, label, date(year, a, 1), month_end(year, b), "flow")
    if m["firstn"]:
        n = _num(m["n"])
        if not 1 <= n <= 12:
            return None
        year = year_for(m["ny"], lambda y: month_end(y, n))
        return year and Span(s, e, label, date(year, 1, 1), month_end(year, n), "flow")
    if m["inmon"]:
        mon, year = _MONTHS[m["imon"].lower()], int(m["im_y"])
        return Span(s, e, label, date(year, mon, 1), month_end(year, mon), "flow")
    if m["inmon2"]:  # "In March, yuan loans increased…": that month of the release's year
        mon = _MONTHS[m["bmon"].lower()]
        year = year_for(None, lambda y: month_end(y, mon))
        return year and Span(s, e, label, date(year, mon, 1), month_end(year, mon), "flow")
    if m["by"]:
        year = int(m["by_y"])
        return Span(s, e, label, None, date(year, 12, 31), "stock")
    if m["iny"]:
        year = int(m["in_y"])
        return Span(s, e, label, date(year, 1, 1), date(year, 12, 31), "flow")
    if m["rely"]:
        if release is None:
            return None
        year = release.year - (1 if m["rw"].lower() == "last" else 0)
        if m["rw"].lower() == "last" and "same period" in label.lower():
            return None
        return Span(s, e, label, date(year, 1, 1), date(year, 12, 31), "flow")
    if m["same"] and previous:
        return Span(s, e, label, previous.period_start, previous.period_end, previous.kind)
    return None


def _en_month(m: re.Match, release: date | None, previous: Span | None, year_for) -> Span | None:
    """"as of August 2024", "by March 2025", "end-June", "at month-end", "last month", "the end
    of last month"."""
    s, e, label = m.start(), m.end(), m[0]
    if m["elm"]:  # the end of last month
        if release is None:
            return None
        y, mon = release.year, release.month
        if m["elm"].lower().startswith("last"):
            y, mon = (y, mon - 1) if mon > 1 else (y - 1, 12)
        return Span(s, e, label, None, month_end(y, mon), "stock")
    if m["asof"] or m["endm"]:  # as of August 2024, by March 2025, end-June: the month's end
        mon = _MONTHS[(m["amon"] or m["emon"]).lower()]
        year = year_for(m["a_y"] or m["e_y"], lambda y: month_end(y, mon))
        return year and Span(s, e, label, None, month_end(year, mon), "stock")
    if m["mend"]:  # "at month-end": the end of the month just named
        if previous is None or previous.period_end is None:
            return None
        pe = previous.period_end
        return Span(s, e, label, None, month_end(pe.year, pe.month), "stock")
    if m["lm"]:  # last month: the month before the release's
        if release is None:
            return None
        y, mon = release.year, release.month
        if m["lmw"].lower() != "this":
            y, mon = (y, mon - 1) if mon > 1 else (y - 1, 12)
        return Span(s, e, label, date(y, mon, 1), month_end(y, mon), "flow")
    return None
