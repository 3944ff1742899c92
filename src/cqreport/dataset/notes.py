"""The curator's words about a figure, in both report languages, checked like the source labels.

``observations.csv`` carries three cells of prose per row, each in English with its Chinese
beside it: ``note``/``note_zh`` (how the figure was read), ``caution``/``caution_zh`` (why the
report does not rely on it) and ``evidence``/``evidence_zh`` (an inferred definition in words).
Each report prints its own language's cell (:func:`note_column`). :func:`check_note_languages`
refuses:

* a cell without its other language (an English note and no ``note_zh``, or the reverse);
* a Chinese or Japanese character (or a full-width bracket) in an English cell, outside
  quotation marks: a note cites the Chinese words it discusses as “各项”;
* an English word (four or more Latin letters) in a Chinese cell outside quotation marks,
  unless the row's own quote has it or it is a name the Chinese labels of the data already
  write in Latin letters (iChongqing, Reportify, a domain): the same rule as the source labels;
* a traditional character in a Chinese cell outside quotation marks (the zh report is in
  simplified script; a note cites a source's traditional wording as “萬億元”);
* an internal id in either language: a source is named by its title or publisher, a series
  by its name, never by ``cq_2026q1_presser`` or ``corridor_teu`` (a reader cannot look
  them up).

The machine-read conventions of a note (``target:``, ``forecast:``, ``caution cleared:``)
are read from the English ``note``, the column they have always been in.
"""

from __future__ import annotations

import re

import pandas as pd

from ..core.script import CJK, LATIN_WORD, to_simplified, unquoted
from ..core.vocab import REPORT_LANGS
from ..errors import Problem
from .load import Table, display_path

#: Each English cell of curator's prose and the Chinese cell beside it.
NOTE_COLUMNS = {"note": "note_zh", "caution": "caution_zh", "evidence": "evidence_zh"}
#: The columns whose Latin words are names the zh report already prints (so a zh note may too).
_LATIN_NAMES = {"entities": ("name_zh",), "metrics": ("name_zh", "running_zh"),
                "sources": ("title_zh", "publisher_zh")}
#: The tables whose ids a reader cannot look up, and what the message calls each.
_IDS = {"sources": ("source_id", "source id"), "metrics": ("metric_id", "metric id"),
        "entities": ("entity_id", "entity id")}
_TOKEN = re.compile(r"[A-Za-z0-9_]+")
_WORD = re.compile(r"[a-z]+")
_CONTEXT = 24  # characters shown either side of what was found
# where a curator reads the rules a message refers to
_RULES = "data/README.md, 'Notes in two languages'"


def note_column(name: str, lang: str) -> str:
    """The column that holds a curator's cell in a report language.

    >>> note_column("caution", "zh"), note_column("caution", "en")
    ('caution_zh', 'caution')
    """
    if name not in NOTE_COLUMNS or lang not in REPORT_LANGS:
        raise ValueError(f"no {name!r} column for the language {lang!r}")
    return NOTE_COLUMNS[name] if lang == "zh" else name


def around(text: str, start: int, end: int) -> str:
    """What was found, with a little of the text around it (a cell can be 500 characters).

    >>> around("The headline repeats it as 社融规模新增约2300亿元.", 27, 28)
    "'… headline repeats it as 社融规模新增约2300亿元.'"
    """
    lo, hi = max(0, start - _CONTEXT), min(len(text), end + _CONTEXT)
    return repr(("…" if lo else "") + text[lo:hi] + ("…" if hi < len(text) else ""))


def _frame(tables: dict[str, Table], name: str) -> pd.DataFrame | None:
    t = tables.get(name)
    return t.frame if t is not None and t.ok else None


def _latin_names(tables: dict[str, Table]) -> set[str] | None:
    """Lower-cased Latin words of the data's Chinese labels: names with no Chinese form.

    None when a table or column that holds them is unreadable or missing: that is reported
    once, by its own check, and the names cannot be known without it.
    """
    words: set[str] = set()
    for name, cols in _LATIN_NAMES.items():
        frame = _frame(tables, name)
        if frame is None or not all(c in frame.columns for c in cols):
            return None
        for col in cols:
            words |= set(_WORD.findall(" ".join(frame[col]).lower()))
    return words


def _internal_ids(tables: dict[str, Table]) -> dict[str, str]:
    """Every id of the data a note might leak, with what kind of id it is.

    Source ids always; metric and entity ids and column names when joined by underscores
    (``chongqing`` and ``china`` are words too).
    """
    ids: dict[str, str] = {}
    for t in tables.values():
        if t is not None and t.ok:
            ids |= {c: "column name" for c in t.frame.columns if "_" in c}
    for name, (col, kind) in _IDS.items():
        frame = _frame(tables, name)
        if frame is not None and col in frame.columns:
            ids |= {v: kind for v in frame[col] if v and (kind == "source id" or "_" in v)}
    return ids


def check_note_languages(tables: dict[str, Table]) -> list[Problem]:
    """Each curator's cell has its other language, and each is written in its own."""
    of = _frame(tables, "observations")
    if of is None or not all(c in of.columns for pair in NOTE_COLUMNS.items() for c in pair):
        return []   # a missing column is the schema's problem, reported once
    where = display_path(tables["observations"].path)
    names, ids = _latin_names(tables), _internal_ids(tables)
    quotes = of["quote"] if "quote" in of.columns else pd.Series("", index=of.index)
    problems = []
    cols = [c for pair in NOTE_COLUMNS.items() for c in pair]
    for row, quote, cells in zip(of.index, quotes, of[cols].itertuples(index=False), strict=True):
        cell = dict(zip(cols, cells, strict=True))
        own = None if names is None else names | set(_WORD.findall(quote.lower()))
        for en, zh in NOTE_COLUMNS.items():
            problems += _pair_problems(where, row, en, zh, cell[en], cell[zh])
            if cell[en]:
                problems += _english_problems(where, row, en, cell[en])
            if cell[zh] and own is not None:
                problems += _chinese_problems(where, row, zh, cell[zh], own)
            problems += [_id_problem(where, row, c, cell[c], m, ids[m.group()])
                         for c in (en, zh) for m in _TOKEN.finditer(cell[c]) if m.group() in ids]
    return problems


def _pair_problems(where: str, row: int, en: str, zh: str, en_cell: str, zh_cell: str) -> list[Problem]:
    if en_cell and not zh_cell:
        return [Problem(where, row, zh, f"an empty cell beside the {en} {around(en_cell, 0, 0)}",
                        f"the {en} in Chinese (simplified script; the same numbers and "
                        f"qualifiers: 约 about, 超 over, 近 nearly; {_RULES})", "note-language")]
    if zh_cell and not en_cell:
        return [Problem(where, row, en, f"an empty cell beside {zh} {around(zh_cell, 0, 0)}",
                        f"the {en} in English (the same numbers and qualifiers; {_RULES})",
                        "note-language")]
    return []


def _english_problems(where: str, row: int, col: str, cell: str) -> list[Problem]:
    m = CJK.search(unquoted(cell))
    if m is None:
        return []
    return [Problem(where, row, col, f"the character '{m.group()}' outside quotation marks in "
                    f"{around(cell, m.start(), m.end())}", "English only: a Chinese word the note "
                    "cites stands in quotation marks (“各项”), anything else is translated",
                    "note-language")]


def _chinese_problems(where: str, row: int, col: str, cell: str, own: set[str]) -> list[Problem]:
    text = unquoted(cell)
    folded = to_simplified(text)
    if folded != text:
        at = next(i for i, (a, b) in enumerate(zip(text, folded, strict=True)) if a != b)
        return [Problem(where, row, col, f"the traditional character '{text[at]}' outside quotation "
                        f"marks in {around(cell, at, at + 1)}", f"simplified script ('{folded[at]}'); "
                        "a source's traditional wording the note cites stands in quotation marks "
                        "(“萬億元”)", "note-language")]
    for m in LATIN_WORD.finditer(text):
        if m.group().lower() not in own:
            return [Problem(where, row, col, f"the English word '{m.group()}' outside quotation "
                            f"marks in {around(cell, m.start(), m.end())}", "Chinese only: an "
                            "English word the note cites stands in quotation marks (“exceeded”); "
                            "Latin letters are kept only for words of the row's quote and names "
                            "the data's Chinese labels write in Latin (iChongqing, Reportify)",
                            "note-language")]
    return []


def _id_problem(where: str, row: int, col: str, cell: str, m: re.Match, kind: str) -> Problem:
    named = {"source id": "the source by its title or publisher (title_en, publisher_en; "
                          "title_zh, publisher_zh in a Chinese cell)",
             "metric id": "the series by its name (name_en; name_zh in a Chinese cell)",
             "entity id": "the entity by its name (name_en; name_zh in a Chinese cell)"}
    return Problem(where, row, col, f"the {kind} '{m.group()}' in {around(cell, m.start(), m.end())}",
                   "words a reader can follow: " + named.get(kind, "the field in words (the end "
                   "date, the YoY difference), not the column's name"), "internal-id")
