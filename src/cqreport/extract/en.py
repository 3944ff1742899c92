"""Figures in English release text: $, scales, currencies, counted nouns, percent, growth."""

from __future__ import annotations

import itertools
import re

from ..core.numbers import EN_WORDS, parse_english_number_word
from ..core.vocab import EN_COUNT_NOUNS, MONEY, UNITS
from .found import FoundFigure


def _ch(text: str, i: int) -> str:
    """The character at i, or NUL outside the text (so that `in "..."` tests stay false)."""
    return text[i] if 0 <= i < len(text) else "\x00"


_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_WORD_NUM_RE = re.compile(
    r"\b(?:(?:" + _TENS + r")-(?:one|two|three|four|five|six|seven|eight|nine)|"
    + "|".join(sorted((w for w in EN_WORDS if EN_WORDS[w] > 1), key=len, reverse=True)) + r")\b",
    re.IGNORECASE)
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# Wire abbreviations too (16.02 trln yuan, $35.49t, RMB259.58t, $371.83b); a one-letter scale
# only after a currency sign, where it cannot be a word.
_SCALE = r"(?i:trillion|billion|million|thousand|trln|trn|bln|mln|bn|mn|tn)|[tTbBmM]"
_SCALE_NAME = {"trillion": "trillion", "tn": "trillion", "trln": "trillion", "trn": "trillion",
               "t": "trillion", "billion": "billion", "bn": "billion", "bln": "billion",
               "b": "billion", "million": "million", "mn": "million", "mln": "million",
               "m": "million", "thousand": "thousand"}
_CURRENCY_AFTER = [
    (re.compile(r"\s*(?:U\.S\.|US|American)\s+dollars?\b", re.I), "USD"),
    (re.compile(r"\s*(?:USD|US\$)\b"), "USD"),
    (re.compile(r"\s*dollars?\b", re.I), "USD"),
    (re.compile(r"\s*(?:yuan|renminbi|RMB|CNY)\b(?:\s+yuan\b)?", re.I), "yuan"),
]
_NUMBER_RE = re.compile(
    r"(?P<cur>US\$|\$|USD\s?|RMB\s?|CNY\s?|¥)?(?P<num>" + _NUM + r")"
    r"(?:(?:\s|-)?(?P<scale>" + _SCALE + r")\b)?"
)
_PERCENT_RE = re.compile(r"\s*(?:%|percent\b|per cent\b)", re.I)
_PP_RE = re.compile(r"\s*percentage[\s-]points?\b", re.I)
_BP_RE = re.compile(r"\s*basis[\s-]points?\b|\s*bps?\b", re.I)
_TIMES_RE = re.compile(r"\s*times\b", re.I)
# Counted nouns, as written (any case) -> the vocabulary's unit label: the vocabulary's one
# list of English count nouns, money aside (a currency is read before the number or after it)
# and "trips": in a release it counts journeys of every kind, not only the corridor's trains
# (read as a count, it adds a false candidate in the gold set's held-out English texts).
_NOUNS = {noun.lower(): noun for noun, base in EN_COUNT_NOUNS.items()
          if base not in MONEY and noun != "trips"}
_STOP = {"of", "in", "to", "the", "and", "for", "from", "with", "by", "at", "on", "a", "an",
         "or", "as", "than", "year", "years", "month", "months", "days", "percent", "were",
         "was", "is", "are", "which", "that", "per", "each"}
_WORD_RE = re.compile(r"\s+([A-Za-z][A-Za-z-]*)")
_PREFIX = [("more than", "more than"), ("approximately", "approximately"),
           ("approx.", "approximately"), ("approx", "approximately"), ("about", "about"),
           ("around", "about"), ("roughly", "about"), ("some", "about"), ("nearly", "nearly"),
           ("almost", "nearly"), ("close to", "nearly"), ("over", "over"), ("above", "over"),
           ("exceeding", "exceeding"), ("exceeded", "exceeding"), ("exceeds", "exceeding"),
           ("exceed", "exceeding"), ("surpassing", "exceeding"), ("surpassed", "exceeding"),
           ("surpass", "exceeding"), ("topping", "over"), ("topped", "over"),
           ("upwards of", "over"), ("in excess of", "exceeding")]
_YEAR_LEAD = re.compile(r"(?:\b(?:in|by|since|from|to|until|during|of|before|after|end|early|"
                        r"late|mid|and|through|year|fiscal)\s*-?|[A-Z][a-z]{2,8}\.?\s+\d{1,2},\s*)$",
                        re.I)
_MONTH_BEFORE = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s*$")


def find_en_figures(text: str, start: int = 0, end: int | None = None) -> list[FoundFigure]:
    """Every figure with a unit in a span of English text.

    >>> [(f.value, f.unit, f.qualifier) for f in find_en_figures(
    ...     "total assets exceeding 9.5 trillion yuan (about 1.36 trillion U.S. dollars)")]
    [(9.5, 'trillion yuan', 'exceeding'), (1.36, 'trillion USD', 'about')]
    >>> [(f.value, f.unit) for f in find_en_figures("exported 334,000 units of vehicles")]
    [(334000.0, 'units')]
    >>> find_en_figures("On January 22, 2025, the 14th Five-Year Plan")
    []
    """
    end = len(text) if end is None else end
    found: list[FoundFigure] = []
    for m in _NUMBER_RE.finditer(text, start, end):
        fig = _read(text, m.start("num"), m.end("num"), m["num"], m["cur"], m["scale"], m.start())
        if fig:
            found.append(fig)
    for m in _WORD_NUM_RE.finditer(text, start, end):
        fig = _read(text, m.start(), m.end(), m.group(), None, None, m.start(), word=True)
        if fig:
            found.append(fig)
    found = [f for f in found if not _EXAMPLE_EN.search(text, sentence_start_en(text, f.start), f.start)]
    found.sort(key=lambda f: f.num_start)
    found = _share_units(text, found)
    mark_by_to(text, found)
    mark_growth_en(text, found)
    mark_prior_en(text, found)
    return found


# "For example, a small firm borrowing 5 million yuan…", "Suppose a household…": a worked
# example or a supposition, not a reported figure (a named example is one).
_EXAMPLE_EN = re.compile(r"\b(?:for example|for instance|e\.g\.|say|suppose|supposing|assuming|if)\b"
                         r",?\s+(?:that\s+)?(?:a|an|one)\s+(?:\w+\s+){0,2}?(?:company|firm|enterprise|"
                         r"borrower|household|business|customer|loan|family)\b", re.I)


def _read(text: str, s0: int, e0: int, raw: str, cur: str | None, scale: str | None,
          m_start: int, word: bool = False) -> FoundFigure | None:
    before, after = _ch(text, (m_start if cur else s0) - 1), _ch(text, e0)  # RMB259.58t, CNY9.78
    if before.isalpha() or (before in "#-/" and not cur) or after in "/" \
            or re.match(r"(?:st|nd|rd|th)\b", text[e0:e0 + 3]):
        return None
    value = parse_english_number_word(raw) if word else float(raw.replace(",", ""))
    scale_word = _SCALE_NAME.get(scale.lower(), "") if scale else ""
    if scale and len(scale) == 1 and not cur:
        return None
    pos = e0 + (len(text[e0:].split(scale, 1)[0]) + len(scale) if scale else 0)
    if scale:
        pos = text.index(scale, e0) + len(scale)
    unit = ""
    currency = ""
    if cur:
        currency = "USD" if "$" in cur or "USD" in cur else "yuan"
    for rx, cname in _CURRENCY_AFTER:
        m = rx.match(text, pos)
        if m:
            currency = currency or cname
            pos = m.end()
            break
    if currency:
        unit = f"{scale_word} {currency}".strip()
    elif not scale:
        for rx, label in ((_PERCENT_RE, "%"), (_PP_RE, "percentage points"),
                          (_BP_RE, "basis points"), (_TIMES_RE, "times")):
            m = rx.match(text, pos)
            if m:
                if label == "%" and "percent" in m.group().lower():
                    label = "percent"
                unit, pos = label, m.end()
                break
    if not unit:
        unit, pos = _counted_noun(text, pos, scale_word)
    if not unit and not scale:
        unit = _noun_before(text, m_start, pos)
    if not unit or unit not in UNITS:
        return None
    if not cur and not word and re.fullmatch(r"(?:19|20)\d\d", raw) \
            and unit not in ("%", "percent") and _YEAR_LEAD.search(text[max(0, s0 - 30):s0]):
        return None  # a year; "In 2024 billion yuan…" is a page whose figures were stripped
    if not cur and not word and _MONTH_BEFORE.search(text[max(0, s0 - 12):s0]) and value <= 31:
        return None
    qualifier, fig_start = _prefix_qualifier(text, m_start)
    fig = FoundFigure(value, unit, qualifier, fig_start, pos, s0, raw)
    if "(" in (_ch(text, m_start - 1), _ch(text, fig_start - 1)) and _ch(text, pos) == ")":
        fig.in_parens = True
    return fig


def _counted_noun(text: str, pos: int, scale_word: str) -> tuple[str, int]:
    """The noun a number counts: '334,000 units of', '16 NEV enterprises', 'nine innovative
    application scenarios' (up to three words in between)."""
    p = pos
    for _ in range(4):
        m = _WORD_RE.match(text, p)
        if not m:
            return "", pos
        word = m.group(1)
        low = word.lower()
        if low in _NOUNS:
            label = f"{scale_word} {_NOUNS[low]}".strip()
            return label, m.end()
        if low in _STOP or low.endswith("ly"):
            return "", pos
        p = m.end()
    return "", pos


_NUMBER_OF = re.compile(r"\bnumber\s+of\s+(?:[A-Za-z-]+\s+){0,3}?([A-Za-z]+)\s+(?:has\s+|had\s+)?"
                        r"(?:reached|was|stood\s+at|totaled|totalled|hit|rose\s+to|grew\s+to|"
                        r"increased\s+to|came\s+to)\s+(?:about\s+|nearly\s+|over\s+|more\s+than\s+)?$",
                        re.I)


def _noun_before(text: str, pos: int, end: int) -> str:
    """'the number of financial institutions reached 457': the noun counted comes first."""
    m = _NUMBER_OF.search(text[max(0, pos - 90):pos])
    if m and m.group(1).lower() in _NOUNS and _ch(text, end) in (".", ",", ";", " ", "\x00", "\n"):
        return _NOUNS[m.group(1).lower()]
    return ""


def _prefix_qualifier(text: str, pos: int) -> tuple[str, int]:
    head = text[max(0, pos - 20):pos].lower()
    for word, q in _PREFIX:
        if re.search(r"(?:^|[\s(])" + re.escape(word) + r"\s*$", head):
            return q, pos - len(head) + head.rfind(word)
    return "", pos


def _share_units(text: str, found: list[FoundFigure]) -> list[FoundFigure]:
    """'43 and 61 basis points': a bare number before 'and'/',' takes the next unit."""
    out = list(found)
    for m in re.finditer(r"(?<![\w.,])(" + _NUM + r")(?=(?:,\s*|\s+and\s+|\s+or\s+)"
                         r"(?:\$)?\d)", text):
        s0 = m.start(1)
        if any(f.num_start == s0 for f in found):
            continue
        nxt = next((f for f in found if f.num_start > m.end(1)), None)
        if nxt is None or nxt.num_start - m.end(1) > 6:
            continue
        gap = text[m.end(1):nxt.num_start]
        if not re.fullmatch(r"(?:,\s*|\s+and\s+|\s+or\s+)\$?", gap):
            continue
        q, fs = _prefix_qualifier(text, s0)
        out.append(FoundFigure(float(m.group(1).replace(",", "")), nxt.unit, q, fs, m.end(1), s0,
                          m.group(1)))
    out.sort(key=lambda f: f.num_start)
    # 'approximately 1.8 billion yuan and 1.5 billion yuan': the qualifier covers the list
    for a, b in itertools.pairwise(out):
        if a.qualifier and not b.qualifier and b.start == b.num_start and \
                re.fullmatch(r"\s+and\s+|,\s*", text[a.end:b.start]):
            b.qualifier = a.qualifier
    return out


_YOY = r"(?:year[\s-]on[\s-]year|year[\s-]over[\s-]year|y-o-y|yoy|from a year (?:earlier|ago)|" \
       r"(?:compared|as compared) (?:to|with) the same period (?:of )?last year|" \
       r"over the same period (?:of )?last year|from the same period (?:of )?last year|" \
       r"over the previous year|than (?:a year earlier|last year)|over last year)"
_YOY_BEFORE = re.compile(_YOY + r"\s+(?:increase|growth|rise|gain|decrease|decline|drop|fall)"
                         r"\s+(?:of|by)\s*$", re.I)
_CHANGE_BEFORE = re.compile(r"\b(?P<dir>up|down|rose|fell|increased|decreased|grew|declined|"
                            r"dropped|an increase of|a decrease of|a rise of|a decline of|"
                            r"a drop of|growth of|increase of|decrease of)\s*(?:by\s*)?$", re.I)
_YOY_AFTER = re.compile(r"^\s*(?:respectively\s*)?[,—–-]?\s*" + _YOY, re.I)
_NATIONAL_AFTER = re.compile(r"^\s*(?P<dir>higher|lower|faster|slower|above|below)\s+than\s+"
                             r"the\s+national(?:\s+average|\s+level|\s+rate)?|^\s*(?P<dir2>above|"
                             r"below)\s+the\s+national", re.I)
_NEG_WORDS = ("down", "fell", "decrease", "decline", "drop", "lower", "below", "slower")
_SENT_END = re.compile(r"[.!?](?=\s+[A-Z\"“(])|\n")
_ABBREV = re.compile(r"(?:\b[A-Z]\.|\bU\.S|\b(?:approx|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|"
                     r"Nov|Dec|Co|Ltd|No|Mr|Ms|Dr|St|Inc|vs|etc))$")


def sentence_start_en(text: str, pos: int) -> int:
    """Offset where the English sentence holding pos begins."""
    i = pos
    while i > 0:
        ch = text[i - 1]
        if ch == "\n" or (ch == " " and text[max(0, i - 4):i] == "] - "):
            return i  # a line, or a bullet of a machine summary ("… [3][4] - The balance…")
        if ch in ".!?" and _ch(text, i).isspace() and not _ABBREV.search(text[max(0, i - 10):i - 1]):
            return i
        i -= 1
    return 0


def mark_growth_en(text: str, found: list[FoundFigure]) -> None:
    """Attach 'a year-on-year increase of 28.1 percent', 'up 23.6 percent year on year',
    '1.2 percentage points higher than the national average' to their level."""
    for idx, g in enumerate(found):
        before = text[max(0, g.start - 60):g.start]
        after_end = found[idx + 1].start if idx + 1 < len(found) else g.end + 80
        after = text[g.end:min(after_end, g.end + 80)]
        grp = _list_after(text, found, idx)
        last = grp[-1]
        after_list = text[last.end:last.end + 80]
        national = _NATIONAL_AFTER.match(after_list)
        neg = bool(re.search(r"\b(?:" + "|".join(_NEG_WORDS) + r")\w*\s*(?:by\s*|of\s*)?$", before,
                             re.I))
        if national and g.unit in ("percentage points", "%", "percent"):
            d = national["dir"] or national["dir2"]
            _attach_en(text, found, grp, "national", -1 if d.lower() in _NEG_WORDS else 1)
            continue
        yoy = bool(_YOY_BEFORE.search(before)) or (
            bool(_YOY_AFTER.match(after_list)) and (
                g.unit in ("%", "percent", "percentage points", "basis points", "times")
                or bool(_CHANGE_BEFORE.search(before))))
        if not yoy and _CHANGE_BEFORE.search(before) and re.match(
                r"^\s*(?:respectively\s*)?[,—–-]?\s*" + _YOY, after, re.I):
            yoy = True
        if yoy:
            _attach_en(text, found, grp, "yoy", -1 if neg else 1)
        elif g.role == "level" and g.unit == "percentage points" and not national and \
                (_GAP_BEFORE.search(before) or _GAP_AFTER.match(after)):
            _gap_en(text, found, g)


# "The growth rate was 0.3 percentage points lower than it was at the end of August", "a 0.9
# percentage point increase from June", "1.5 percentage point higher month on month": a change
# of a growth rate, which no column holds.
_GAP_BEFORE = re.compile(r"(?:growth(?: rate)?|rate of growth|increase|growth was|rate was)[^.;]{0,20}$",
                         re.I)
_GAP_AFTER = re.compile(r"^\s*(?:higher|lower|faster|slower|up|down|increase|decrease|rise|drop)\b"
                        r"(?:\s+(?:than|from|month on month|month-on-month|compared))?", re.I)


def _gap_en(text: str, found: list[FoundFigure], g: FoundFigure) -> None:
    """Fold a growth-rate change into the note of the level before it, as the Chinese reader
    does (``zh.mark_rate_gaps``); left a figure when no level precedes it."""
    s = sentence_start_en(text, g.start)
    prev = sentence_start_en(text, s - 2) if s > 1 else 0
    levels = [f for f in found if prev <= f.start and f.end <= g.start and f.role == "level"
              and not f.in_parens and f.unit not in ("percentage points",)]
    if not levels:
        return
    level = levels[-1]
    m = re.compile(r"\.\s|;|\s-\s|\s?\[|\n").search(text, g.end)
    e = m.start() if m else len(text)
    g.role = "gap"
    level.notes.append(f"{text[g.start:e].strip()}: a change of its growth rate, which no column holds")


def _list_after(text: str, found: list[FoundFigure], idx: int) -> list[FoundFigure]:
    grp = [found[idx]]
    j = idx + 1
    while j < len(found) and re.fullmatch(r"\s+and\s+|,\s*(?:and\s+)?", text[grp[-1].end:found[j].start]):
        grp.append(found[j])
        j += 1
    return grp


def _attach_en(text: str, found: list[FoundFigure], grp: list[FoundFigure], kind: str, sign: int) -> None:
    first = grp[0]
    if first.role != "level":
        return
    s = sentence_start_en(text, first.start)
    levels = [f for f in found if s <= f.start and f.end <= first.start and f.role == "level"
              and not f.in_parens and f not in grp]
    if not levels and re.search(r"\b(?:the|this)\s+(?:figure|amount)\b",
                                text[s:first.start], re.I):
        back = s
        while back > 0 and text[back - 1].isspace():
            back -= 1
        ps = sentence_start_en(text, max(0, back - 1))
        levels = [f for f in found if ps <= f.start and f.end <= s and f.role == "level"
                  and not f.in_parens]
        levels = levels[:1]
    if not levels:
        return
    targets = levels[-len(grp):] if len(levels) >= len(grp) else [levels[-1]] * len(grp)
    for g, level in zip(grp, targets, strict=False):
        value = sign * g.value
        lu, gu = UNITS[level.unit], UNITS[g.unit]
        if kind == "national":
            level.vs_national_pp = value
        elif g.unit == "times":
            level.yoy_pct, level.yoy_wording = round(value * 100, 10), "times"
        elif g.unit in ("%", "percent") and lu.base == "percent":
            continue  # a % change of a rate is not its YoY: both stay figures
        elif g.unit in ("%", "percent") and lu.base != "percent":
            level.yoy_pct = value
        elif gu.base == lu.base or (lu.base == "percent" and gu.base == "pp"):
            if gu.factor == lu.factor:
                level.yoy_diff = value
            else:  # "2.5 trillion yuan, a year-on-year increase of 295.4 billion yuan": another scale
                level.notes.append(f"{text[g.start:g.end]}: a year-on-year change written in another "
                                   f"unit than {level.unit}; not in yoy_diff")
        elif g.unit in ("%", "percent"):
            level.yoy_pct = value
        else:
            continue
        g.role = "growth"
        level.growth_end = max(level.growth_end, g.end)


_BY_TO = re.compile(r"^\s*to\s*$")
_RISE_BY = re.compile(r"\b(?P<dir>rose|grew|surged|increased|jumped|climbed|soared|fell|dropped|"
                      r"declined|decreased|slid)\s+(?:by\s+)?$", re.I)


def mark_by_to(text: str, found: list[FoundFigure]) -> None:
    """'exports surged by 94% to 8.21 billion yuan': the change comes before its level."""
    for a, b in itertools.pairwise(found):
        if a.role == "level" and a.unit in ("%", "percent") and b.unit not in ("%", "percent") \
                and _BY_TO.match(text[a.end:b.start]) and b.yoy_pct is None:
            m = _RISE_BY.search(text[max(0, a.start - 20):a.start])
            if m:
                sign = -1 if m["dir"].lower() in ("fell", "dropped", "declined", "decreased",
                                                  "slid") else 1
                b.yoy_pct = sign * a.value
                a.role = "growth"
                b.start = a.start


def mark_prior_en(text: str, found: list[FoundFigure]) -> None:
    """'from 16% to 46%': the first becomes the prior value of the second."""
    for a, b in itertools.pairwise(found):
        if a.role == "level" and re.search(r"\bfrom\s*$", text[max(0, a.start - 6):a.start]) \
                and re.fullmatch(r"\s*(?:to|up to)\s*", text[a.end:b.start]) \
                and UNITS[a.unit].base == UNITS[b.unit].base:
            a.role = "prior"
            b.prior_value = round(a.value * UNITS[a.unit].factor / UNITS[b.unit].factor, 10)
