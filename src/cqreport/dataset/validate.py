"""Validate the curated data: every problem in every file, reported at once.

Two layers. The first is pandera, driven by ``datapackage.json`` (types,
required cells, enums, id patterns, unique keys, stray or missing columns).
The second is the checks specific to this data, small functions that take the
tables and return :class:`Problem` lists:

* an unknown metric, entity or source;
* a unit the metric does not allow, or a unit outside the vocabulary;
* a period that contradicts the metric (a stock with a start date, a flow
  without one, an end before the start);
* a value (or YoY, gap to the national rate, streak, prior value) that does
  not occur in its quote;
* a date outside the years the data can plausibly hold, or a figure that ends
  after its source's date without saying it is a target or forecast;
* a control character (bidirectional controls included) in any cell;
* a quote that does not occur in its source text, a source file that is
  missing, outside the sources folder or whose sha256 differs (only when the
  sources folder is present);
* a source's title or publisher label in the wrong language (Chinese in
  ``title_en``/``publisher_en``, an English word in ``title_zh``/``publisher_zh``);
* a curator's note, caution or evidence without its other language, in the wrong language,
  or naming a source by its id (``dataset/notes.py``);
* an entity its quote contradicts (a national figure whose quote says 全省, a
  Chongqing figure whose quote names only another province; ``dataset/places.py``);
* a repeat of a doubted figure that dropped the doubt (``dataset/doubts.py``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..core import paths
from ..core.files import hash_files, sha256_bytes
from ..core.numbers import NumberMatch, decimals_of, find_numbers
from ..core.script import CJK, LATIN_WORD
from ..core.vocab import UNITS
from ..errors import DataError, ParameterError, Problem
from .definitions import check_definitions
from .doubts import check_doubts_kept
from .load import TABLES, Table, data_files, display_path, read_table
from .notes import check_note_languages
from .places import check_entity_places
from .schema import TableSpec, check_schema, read_specs
from .stamps import read_stamp, write_stamp

_SPACE = re.compile(r"\s+")
# a doubled YoY is worded without a number
DOUBLED_WORDS = ("翻番", "翻一番", "倍增", "doubl")


@dataclass
class CheckResult:
    """The outcome of validating a data folder.

    Attributes:
        tables: Each table as read (strings).
        problems: Everything wrong, sorted by file and row.
        notes: Things worth knowing that are not errors.
        checks: Which checks ran (see :data:`CHECKS`): ``schema`` and ``relations``
            always; ``quotes`` (every quote found in its source text) and
            ``source_hashes`` only when the source texts were there.
    """

    tables: dict[str, Table]
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when there is no problem."""
        return not self.problems

    def raise_for_problems(self) -> None:
        """Raise DataError listing every problem, if there is any."""
        if self.problems:
            raise DataError(self.problems)


def squash(text: str) -> str:
    """Text without any whitespace, for comparing quotes with source texts.

    >>> squash("优质企业\\n\\n白名单 ok")
    '优质企业白名单ok'
    """
    return _SPACE.sub("", text)


#: The checks a validation can run, in the order they are reported.
CHECKS = ("schema", "relations", "quotes", "source_hashes")

ELLIPSIS = re.compile(r"\s*(?:…+|\.\.\.)\s*")


def quote_fragments(quote: str) -> list[str]:
    """The parts of a quote; "A … B" cites two fragments of one source, each verbatim.

    >>> quote_fragments("贷款余额达6.54万亿元 … 同比增长6.8%")
    ['贷款余额达6.54万亿元', '同比增长6.8%']
    """
    return [f for f in ELLIPSIS.split(quote) if f.strip()]


def check_data(data_dir: str | Path | None = None,
               sources_dir: str | Path | None = None,
               require_sources: bool = False) -> CheckResult:
    """Read and validate every table of a data folder.

    Args:
        data_dir: Folder holding datapackage.json and the CSVs (default: the project's data/).
        sources_dir: Folder of source texts (default: ../shared/sources if present). When
            absent, the quote and hash checks are skipped and a note says so.
        require_sources: Make missing source texts a problem instead of a note (what
            ``cqreport build`` does unless told ``--no-source-check``).

    Returns:
        A CheckResult; nothing is raised for bad data (see ``raise_for_problems``).
    """
    ddir = paths.data_dir(data_dir)
    sdir = paths.sources_dir(sources_dir)
    descriptor = ddir / "datapackage.json"
    checks = dict.fromkeys(CHECKS, False)
    try:
        paths.descriptor(ddir)
    except ParameterError:
        return CheckResult({}, [Problem(display_path(descriptor), None, None, "no such file",
                                        paths.DATA_FOLDER_EXPECTED, "missing-file")], checks=checks)
    try:
        specs = read_specs(descriptor)
    except DataError as exc:
        return CheckResult({}, exc.problems, checks=checks)
    tables = {name: read_table(ddir / specs[name].path, name, specs[name].columns)
              for name in TABLES}
    result = CheckResult(tables, checks=checks)
    for t in tables.values():
        result.problems += t.problems
        result.notes += t.notes
    for name, t in tables.items():
        if t.ok:
            result.problems += check_schema(t.frame, specs[name], display_path(t.path))
    checks["schema"] = True
    result.problems += check_relations(tables, specs)
    checks["relations"] = True
    if sources_dir is not None and not Path(sources_dir).is_dir():
        result.problems.append(Problem(str(sources_dir), None, None, f"no folder {sources_dir}",
                                       "the folder of source texts (e.g. ../shared/sources)",
                                       "sources-folder"))
    elif sdir is None and require_sources:
        result.problems.append(Problem(
            "../shared/sources", None, None, "no folder of source texts",
            "the source texts, to check every quote against them (pass --sources DIR or set "
            "CQREPORT_SOURCES; or --no-source-check to build without the check)", "sources-folder"))
    elif sdir is None:
        result.notes.append(NOT_CHECKED)
    else:
        result.problems += check_sources(tables, Path(sdir))
        checks["quotes"] = checks["source_hashes"] = True
    result.problems = sorted(set(result.problems),
                             key=lambda p: (p.file, p.row or 0, p.column or "", p.check))
    return result


NOT_CHECKED = ("source texts not found: quotes and file hashes were not checked "
               "(pass --sources DIR or set CQREPORT_SOURCES)")


def _frame(tables: dict[str, Table], name: str) -> pd.DataFrame | None:
    t = tables.get(name)
    return t.frame if t is not None and t.ok else None


def _has(frame: pd.DataFrame | None, *cols: str) -> bool:
    return frame is not None and all(c in frame.columns for c in cols)


def check_relations(tables: dict[str, Table], specs: dict[str, TableSpec]) -> list[Problem]:
    """Checks across tables and columns: keys, units, periods, numbers in quotes."""
    checks: list[Callable[[dict[str, Table]], list[Problem]]] = [
        check_foreign_keys, check_metric_units, check_metric_kinds,
        check_observation_units, check_periods, check_years, check_ends_by_source_date,
        check_numbers_in_quotes, check_text_cells, check_source_labels, check_note_languages,
        check_definitions, check_prior_labels, check_entity_places, check_doubts_kept,
    ]
    problems: list[Problem] = []
    for fn in checks:
        problems += fn(tables)
    return problems


def check_prior_labels(tables: dict[str, Table]) -> list[Problem]:
    """A prior value's label has its English wording (the English report prints no Chinese)."""
    of = _frame(tables, "observations")
    if not _has(of, "prior_label", "prior_label_en"):
        return []
    where = display_path(tables["observations"].path)
    return [Problem(where, row, "prior_label_en", f"an empty cell beside prior_label '{o['prior_label']}'",
                    "the label in English (previously; founding institutions when it was set up)", "prior-label-en")
            for row, o in of.iterrows() if o["prior_label"] and not o["prior_label_en"]]


def check_foreign_keys(tables: dict[str, Table]) -> list[Problem]:
    """Every metric, entity and source an observation names must be defined."""
    problems = []
    refs = [("observations", "metric_id", "metrics"), ("observations", "entity_id", "entities"),
            ("observations", "source_id", "sources"), ("metrics", "share_of", "metrics"),
            ("entities", "parent", "entities")]
    for child, col, parent in refs:
        cf, pf = _frame(tables, child), _frame(tables, parent)
        pk = f"{parent[:-1] if parent != 'entities' else 'entity'}_id"
        if not (_has(cf, col) and _has(pf, pk)):
            continue
        where = display_path(tables[child].path)
        cells = cf[col]
        for row, value in cells[(cells != "") & ~cells.isin(set(pf[pk]))].items():
            problems.append(Problem(where, row, col, f"unknown {pk} '{value}'",
                                    f"an {pk} defined in {display_path(tables[parent].path)}",
                                    "unknown-reference"))
    return problems


def metric_units(units_cell: str) -> list[str]:
    """The allowed units of a metric, from its ``units`` cell (``万亿元|trillion yuan``)."""
    return [u.strip() for u in units_cell.split("|") if u.strip()]


def check_metric_units(tables: dict[str, Table]) -> list[Problem]:
    """Each unit a metric allows must be in the vocabulary and convert to its base unit."""
    mf = _frame(tables, "metrics")
    if not _has(mf, "units", "base_unit"):
        return []
    where = display_path(tables["metrics"].path)
    problems = []
    for row, m in mf.iterrows():
        for unit in metric_units(m["units"]):
            if unit not in UNITS:
                problems.append(Problem(where, row, "units", f"unit '{unit}'",
                                        "a unit from cqreport/vocab.py (万亿元, 亿元, 亿美元, 万辆, "
                                        "%, billion yuan, ...)", "unknown-unit"))
            elif UNITS[unit].base != m["base_unit"] and UNITS[unit].base != "items":
                problems.append(Problem(where, row, "units",
                                        f"unit '{unit}' (measures {UNITS[unit].base})",
                                        f"a unit measuring the base unit '{m['base_unit']}'",
                                        "unit-base"))
    return problems


def check_metric_kinds(tables: dict[str, Table]) -> list[Problem]:
    """A metric of kind stock, flow or cumulative has that period type."""
    mf = _frame(tables, "metrics")
    if not _has(mf, "kind", "period_type"):
        return []
    where = display_path(tables["metrics"].path)
    return [Problem(where, row, "period_type", f"'{m['period_type']}' for kind '{m['kind']}'",
                    f"'{m['kind']}' (a {m['kind']} metric is read as one)", "kind-period")
            for row, m in mf.iterrows()
            if m["kind"] in ("stock", "flow", "cumulative") and m["period_type"] != m["kind"]]


def check_observation_units(tables: dict[str, Table]) -> list[Problem]:
    """An observation's unit must be one its metric allows."""
    of, mf = _frame(tables, "observations"), _frame(tables, "metrics")
    if not (_has(of, "metric_id", "unit") and _has(mf, "metric_id", "units")):
        return []
    allowed = {m: metric_units(u) for m, u in zip(mf["metric_id"], mf["units"], strict=True)}
    pairs = {f"{m}|{u}" for m, units in allowed.items() for u in units}
    bad = ((of["unit"] != "") & of["metric_id"].isin(set(allowed))
           & ~(of["metric_id"] + "|" + of["unit"]).isin(pairs))
    where = display_path(tables["observations"].path)
    return [Problem(where, row, "unit", f"'{unit}' for {metric}",
                    f"one of the metric's units: {' | '.join(allowed[metric])}", "unit-not-allowed")
            for row, metric, unit in zip(of.index[bad], of["metric_id"][bad], of["unit"][bad],
                                         strict=True)]


def iso_dates(cells: pd.Series) -> pd.Series:
    """Which cells hold a date that exists, written YYYY-MM-DD (such cells compare as text)."""
    shaped = cells.str.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    return shaped & pd.to_datetime(cells.where(shaped), format="%Y-%m-%d", errors="coerce").notna()


def check_periods(tables: dict[str, Table]) -> list[Problem]:
    """Dates fit the metric's period type, and a span does not end before it starts."""
    of, mf = _frame(tables, "observations"), _frame(tables, "metrics")
    if not (_has(of, "metric_id", "period_start", "period_end")
            and _has(mf, "metric_id", "period_type")):
        return []
    kind = of["metric_id"].map(dict(zip(mf["metric_id"], mf["period_type"], strict=True)))
    start, end = of["period_start"], of["period_end"]
    where = display_path(tables["observations"].path)
    problems = []
    for row in of.index[iso_dates(start) & iso_dates(end) & (end < start)]:
        problems.append(Problem(where, row, "period_end", f"end {end[row]} before start {start[row]}",
                                "an end date on or after the start date", "period-order"))
    for row in of.index[(kind == "stock") & (start != "")]:
        problems.append(Problem(where, row, "period_start", f"a start date '{start[row]}' for a stock",
                                "an empty period_start (a stock is dated by period_end alone)",
                                "period-type"))
    for row in of.index[(kind == "flow") & (start == "")]:
        problems.append(Problem(where, row, "period_start", "an empty cell for a flow",
                                "the first day of the span (2026-01-01 for 一季度)", "period-type"))
    return problems


#: Years a date in the data may fall in: the People's Republic's financial statistics start in
#: 1949, and a date in the next century is a typing slip (0001-01-01, 2099 for 2009).
YEARS = (1949, 2100)
#: How a row says that its figure is a goal or a projection rather than a reported outcome: its
#: ``note`` starts with one of these words and a colon ("target: the 2027 goal of the plan").
FORWARD_LOOKING = ("target", "forecast")
_FORWARD = re.compile(rf"^\s*(?:{'|'.join(FORWARD_LOOKING)})\s*:", re.I)
DATE_COLUMNS = {"observations": ("period_start", "period_end"), "sources": ("date",)}


def is_forward_looking(note: pd.Series) -> pd.Series:
    """Which rows are targets or forecasts, by their ``note`` (see :data:`FORWARD_LOOKING`).

    >>> is_forward_looking(pd.Series(["target: 2027 goal", "Forecast : IMF", "a targeted loan", ""])).tolist()
    [True, True, False, False]
    """
    return note.str.contains(_FORWARD)


def check_years(tables: dict[str, Table]) -> list[Problem]:
    """Every date's year lies in :data:`YEARS` (a date that does not exist is the schema's problem)."""
    lo, hi = YEARS
    problems = []
    for name, cols in DATE_COLUMNS.items():
        frame = _frame(tables, name)
        where = display_path(tables[name].path) if frame is not None else ""
        for col in cols:
            if not _has(frame, col):
                continue
            cells = frame[col]
            year = pd.to_numeric(cells.str.extract(r"^([0-9]{4})-", expand=False), errors="coerce")
            for row, cell in cells[(year < lo) | (year > hi)].items():
                problems.append(Problem(where, row, col, f"the year of {cell}",
                                        f"a date from {lo} to {hi}", "date-range"))
    return problems


def check_ends_by_source_date(tables: dict[str, Table]) -> list[Problem]:
    """A figure cannot end after the date of the source that reports it, unless its note says it
    is a target or forecast (:data:`FORWARD_LOOKING`)."""
    of, sf = _frame(tables, "observations"), _frame(tables, "sources")
    if not (_has(of, "period_end", "source_id", "note") and _has(sf, "source_id", "date")):
        return []
    published = of["source_id"].map(dict(zip(sf["source_id"], sf["date"], strict=True))).fillna("")
    # ISO dates compare as text; a malformed or missing one is another check's problem
    valid = iso_dates(of["period_end"]) & iso_dates(published)
    late = valid & (of["period_end"] > published) & ~is_forward_looking(of["note"])
    where = display_path(tables["observations"].path)
    return [Problem(where, row, "period_end", f"{end}, after {sid}'s date {published[row]}",
                    "a period that ends on or before the source's date (a target or forecast says "
                    "so in its note: 'target: …' or 'forecast: …')", "period-after-source")
            for row, end, sid in zip(of.index[late], of["period_end"][late], of["source_id"][late],
                                     strict=True)]


MINUS_SIGNS = "-−－"
# words that make an unsigned number in a quote a fall: 下降6.8% is a yoy_pct of -6.8
FALL_WORDS = ("下降", "减少", "少增", "回落", "下滑", "降低", "下跌", "负增长", "减", "降", "缩水", "縮水",
              "fell", "fall", "declin", "decreas", "down", "drop", "lower", "less", "shr")


def _written_in(text: str, value: float, matches: list[NumberMatch], quote: str,
                as_written: bool = True) -> bool:
    """Whether a number of the row occurs in its quote, with its sign and as written.

    The magnitude must match a number in the quote; a negative value needs a minus
    sign before that number or a word of falling in the quote, and a positive one
    must not have a minus sign before it; and unless ``as_written`` is False (a
    multiple computed from yoy_pct), the value must have as many decimals as the
    quote gives it (6.540 for a quote of 6.54 would be published as 6.540).
    """
    for m in matches:
        if abs(abs(value) - m.value) > 1e-9 * max(1.0, m.value):
            continue
        if as_written and not m.chinese and decimals_of(text) != decimals_of(m.text):
            continue
        signed = m.start > 0 and quote[m.start - 1] in MINUS_SIGNS
        if value < 0 and not (signed or any(w in quote.lower() for w in FALL_WORDS)):
            continue
        if value >= 0 and signed:
            continue
        return True
    return False


def check_numbers_in_quotes(tables: dict[str, Table]) -> list[Problem]:
    """The value and every other number of a row occur in the row's quote, as written."""
    of = _frame(tables, "observations")
    if not _has(of, "quote", "value"):
        return []
    where = display_path(tables["observations"].path)
    problems = []
    numeric = [c for c in ("value", "yoy_diff", "vs_national_pp", "streak_months", "prior_value")
               if c in of.columns]
    has_yoy = "yoy_pct" in of.columns
    # plain columns, not a record per row: this runs over every row of every validation
    columns = {c: of[c].tolist() for c in {*numeric, "quote", "yoy_pct", "yoy_wording"} & set(of.columns)}
    for i, row in enumerate(of.index):
        quote = columns["quote"][i]
        found = find_numbers(quote, words=True)
        for col in numeric:
            cell = columns[col][i]
            if not cell:
                continue
            try:
                value = float(cell)
            except ValueError:
                continue  # reported by the schema check
            if not _written_in(cell, value, found, quote):
                problems.append(Problem(where, row, col, f"{cell} not in the quote {quote!r}",
                                        f"a quote that contains the {col} as written (same "
                                        "digits, decimals and sign)", "number-not-in-quote"))
        if has_yoy and columns["yoy_pct"][i]:
            problems += _check_yoy(where, row, {c: columns[c][i] for c in columns}, found)
    return problems


def _check_yoy(where: str, row: int, o: dict, found: list[NumberMatch]) -> list[Problem]:
    try:
        pct = float(o["yoy_pct"])
    except ValueError:
        return []
    wording = o.get("yoy_wording", "")
    if wording == "doubled":
        ok = abs(pct - 100) < 1e-9 and any(w in o["quote"] for w in DOUBLED_WORDS)
        expected = "yoy_pct 100 and a quote that says 翻番 / 倍增 / doubled"
    elif wording == "times":
        ok = _written_in(f"{pct / 100:g}", pct / 100, found, o["quote"], as_written=False)
        expected = f"a quote containing {pct / 100:g}倍 (yoy_pct is the multiple × 100)"
    else:
        ok = _written_in(o["yoy_pct"], pct, found, o["quote"])
        expected = "a quote that contains the YoY percent as written (same digits, decimals and sign)"
    if ok:
        return []
    return [Problem(where, row, "yoy_pct", f"{o['yoy_pct']} not in the quote {o['quote']!r}",
                    expected, "number-not-in-quote")]


# C0 and C1 control characters (NUL, escape, backspace...) and the line and paragraph
# separators: invisible in a spreadsheet, they reach the HTML and PDF as they are
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]|" + "[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# the bidirectional controls among them: they reorder the characters around them, so that a
# quote can show "%8.6" for 6.8% while its text still holds the figure the checks look for
BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# a pair of unescaped dollar signs is mathtext to matplotlib, which draws or chokes on it
_MATHTEXT = re.compile(r"(?<!\\)\$.*?(?<!\\)\$", re.S)
# text that charts print as labels (names, period labels)
CHART_TEXT = {"metrics": ("name_zh", "name_en"), "entities": ("name_zh", "name_en"),
              "observations": ("period_label", "prior_label")}


def check_text_cells(tables: dict[str, Table]) -> list[Problem]:
    """No control characters in any cell; no ``$…$`` in text that charts print."""
    problems = []
    for name, t in tables.items():
        frame = _frame(tables, name)
        if frame is None or frame.empty:
            continue
        where = display_path(t.path)
        for col in frame.columns:
            cells = frame[col]
            if not _CONTROL.search("".join(cells)):
                continue   # one scan of the whole column; cell by cell only to say where
            bad = cells[cells.str.contains(_CONTROL)]
            for row, cell in bad.items():
                ch = _CONTROL.search(cell).group()
                what = ("bidirectional control" if BIDI.match(ch) else "control character")
                problems.append(Problem(where, row, col, f"the {what} U+{ord(ch):04X} "
                                        f"in {cell[:40]!r}", "printable text (delete the invisible "
                                        "character; a line break becomes a space)", "control-char"))
        for col in CHART_TEXT.get(name, ()):
            if col in frame.columns:
                cells = frame[col]
                for row, cell in cells[cells.str.contains(_MATHTEXT)].items():
                    problems.append(Problem(where, row, col, f"{cell[:40]!r}, whose $…$ charts "
                                            "would render as a formula", "text without a pair of $ "
                                            "signs (write US$ once, or 美元 / USD)", "mathtext"))
    return problems


#: The sources' per-language labels, and the language each is written in.
SOURCE_LABELS = {"title_zh": "zh", "publisher_zh": "zh", "title_en": "en", "publisher_en": "en"}


def check_source_labels(tables: dict[str, Table]) -> list[Problem]:
    """Each report language lists its sources in that language.

    ``title_en`` and ``publisher_en`` hold no Chinese or Japanese character. ``title_zh`` and
    ``publisher_zh`` hold no English word (four or more Latin letters in a row) unless the word
    is in the row's own ``title``, ``publisher`` or ``url``: a name with no Chinese form
    (iChongqing, Reportify) or a domain (viennacitytours.com) is kept as it is.
    """
    sf = _frame(tables, "sources")
    if sf is None:
        return []
    where = display_path(tables["sources"].path)
    problems = []
    own_cols = [c for c in ("title", "publisher", "url") if c in sf.columns]
    for row, s in zip(sf.index, sf.to_dict("records"), strict=True):
        # whole words: "news" in a url does not admit "newsletter"
        own = set(re.findall(r"[a-z]+", " ".join(s[c] for c in own_cols).lower()))
        for col, lang in SOURCE_LABELS.items():
            cell = s.get(col, "")
            if not cell:
                continue  # a missing column or an empty cell is the schema's problem
            if lang == "en" and (m := CJK.search(cell)):
                problems.append(Problem(where, row, col, f"the character '{m.group()}' in {cell[:40]!r}",
                                        "English only: translate it, or give the name in Latin "
                                        "letters (pinyin or its English form)", "label-language"))
            if lang == "zh":
                foreign = [w for w in LATIN_WORD.findall(cell) if w.lower() not in own]
                if foreign:
                    problems.append(Problem(where, row, col, f"the English word '{foreign[0]}' in "
                                            f"{cell[:40]!r}", "Chinese only: translate it (Latin words "
                                            "are kept only when they occur in the row's title, "
                                            "publisher or url, as names and domains do)",
                                            "label-language"))
    return problems


def check_sources(tables: dict[str, Table], sources_dir: Path) -> list[Problem]:
    """Source files exist and match their hash; every quote occurs in its source text."""
    sf, of = _frame(tables, "sources"), _frame(tables, "observations")
    if not _has(sf, "source_id", "file", "sha256"):
        return []
    swhere = display_path(tables["sources"].path)
    problems = []
    texts: dict[str, str] = {}
    digests: dict[Path, tuple[str, bytes]] = {}   # one read per file, however many rows cite it
    for row, s in zip(sf.index, sf.to_dict("records"), strict=True):
        f = sources_dir / s["file"]
        if s["file"] and not inside(sources_dir, s["file"]):
            problems.append(Problem(swhere, row, "file", f"'{s['file']}', which leads out of "
                                    f"{sources_dir}", "the name of a file in the sources folder "
                                    "(no '..', no absolute path, no link to elsewhere)",
                                    "source-file"))
            continue
        if not s["file"] or not f.is_file():
            problems.append(Problem(swhere, row, "file", f"'{s['file']}' not in {sources_dir}",
                                    "the name of a file in the sources folder", "source-file"))
            continue
        if f not in digests:
            raw = f.read_bytes()
            digests[f] = (sha256_bytes(raw), raw)
        digest, raw = digests[f]
        if s["sha256"] and digest != s["sha256"]:
            problems.append(Problem(swhere, row, "sha256", f"{s['sha256'][:12]}… but the file "
                                    f"hashes to {digest[:12]}…",
                                    "the file's sha256 (has the source text changed?)",
                                    "source-hash"))
        try:
            texts[s["source_id"]] = squash(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            problems.append(Problem(display_path(f), None, None,
                                    f"byte 0x{exc.object[exc.start]:02x} at offset {exc.start}, "
                                    "not UTF-8 (GB18030 or Big5?)",
                                    "a UTF-8 source text (iconv -f GB18030 -t UTF-8)", "encoding"))
    if not _has(of, "source_id", "quote"):
        return problems
    owhere = display_path(tables["observations"].path)
    for row, sid, quote in zip(of.index, of["source_id"], of["quote"], strict=True):
        text = texts.get(sid)
        if text is not None and quote and any(squash(f) not in text for f in quote_fragments(quote)):
            problems.append(Problem(owhere, row, "quote", f"{quote!r}, which is not in the "
                                    f"text of {sid}",
                                    "a verbatim fragment of the source (only whitespace may differ; "
                                    "join two fragments with …)",
                                    "quote-not-in-source"))
    return problems


def inside(folder: Path, name: str) -> bool:
    """Whether ``folder / name`` stays inside folder: a relative name without '..', that does
    not resolve (through a symbolic link) to a place outside it.

    >>> inside(Path("/srv/sources"), "a.txt"), inside(Path("/srv/sources"), "../../etc/passwd")
    (True, False)
    """
    rel = Path(name)
    if rel.is_absolute() or ".." in rel.parts:
        return False
    base = folder.resolve()
    return (base / rel).resolve().is_relative_to(base)


# the modules whose code decides what valid data is: a change to any re-validates everything
_VALIDATOR_CODE = ("dataset/validate.py", "dataset/schema.py", "dataset/load.py", "core/vocab.py", "core/numbers.py",
                   "dataset/places.py", "dataset/doubts.py", "dataset/definitions.py", "dataset/notes.py",
                   "core/places.py", "core/script.py", "core/glossary.toml")


def fingerprint(data_dir: Path, sources_dir: Path | None) -> str:
    """sha256 over everything validation reads: the descriptor, the CSVs, the source texts and
    the validator's own code. Equal fingerprints give equal validation results."""
    files = data_files(data_dir) + [paths.PACKAGE_DIR / name for name in _VALIDATOR_CODE]
    if sources_dir is not None and sources_dir.is_dir():
        files += sorted(p for p in sources_dir.rglob("*") if p.is_file())   # peers/ too
    return hash_files(files) + ("" if sources_dir is not None else "-nosources")


def _stamp_payload(fp: str, result: CheckResult) -> dict:
    """What a stamp proves: these inputs, these exact table bytes as read, these checks."""
    return {"fingerprint": fp, "tables": {n: t.sha256 for n, t in result.tables.items()},
            "checks": result.checks, "notes": [n for n in result.notes if "not checked" in n]}


def _stamp_path(ddir: Path, sdir: Path | None) -> tuple[str, Path] | None:
    try:
        fp = fingerprint(ddir, sdir)
    except OSError:
        return None
    return fp, paths.cache_dir() / "validated" / fp


def validate_data(data_dir: str | Path | None = None,
                  sources_dir: str | Path | None = None,
                  require_sources: bool = False) -> CheckResult:
    """Validate a data folder (always) and, when it passes, leave a stamp that the next
    command (``quarters``, ``build``, the preview) uses instead of validating again.

    The stamp is sealed with this user's key (:mod:`cqreport.dataset.stamps`): whoever can
    only write the cache cannot make bad data pass. It is left only when nothing changed
    while the checks ran. A note says so when no stamp could be left.

    Returns:
        A CheckResult, as from :func:`check_data`.
    """
    result, stamped = _check_and_stamp(data_dir, sources_dir, require_sources)
    if result.ok and not stamped:
        result.notes.append(NOT_REMEMBERED)
    return result


NOT_REMEMBERED = ("the result is not remembered (the data changed during the checks, or no "
                  "stamp could be sealed and written: see cqreport.dataset.stamps); the next "
                  "command validates again")


def _check_and_stamp(data_dir: str | Path | None, sources_dir: str | Path | None,
                     require_sources: bool) -> tuple[CheckResult, bool]:
    ddir = paths.data_dir(data_dir)
    sdir = Path(sources_dir) if sources_dir is not None else paths.sources_dir()
    before = _stamp_path(ddir, sdir)
    result = check_data(ddir, sources_dir, require_sources)
    if not result.ok or before is None:
        return result, False
    fp, stamp = before
    # a file edited while the checks ran: a stamp would vouch for bytes never checked
    if _stamp_path(ddir, sdir) != before:
        return result, False
    return result, write_stamp(stamp, _stamp_payload(fp, result))


def read_validated(data_dir: str | Path | None = None,
                   sources_dir: str | Path | None = None,
                   require_sources: bool = False) -> CheckResult:
    """Read the tables, validating them unless these exact inputs passed validation before.

    A successful validation (:func:`validate_data`) leaves a stamp named by the inputs'
    fingerprint in ``paths.cache_dir()``; it records the hash of each table's bytes and the
    checks that ran, sealed with this user's key. With a stamp that verifies (seal intact,
    same fingerprint, the tables read now hash the same) the tables are only read; any other
    stamp is ignored and the data validated again. Any change to the data, the source texts
    or the validator gives another fingerprint, so stale stamps are never used.

    Returns:
        A CheckResult, as from :func:`check_data`.
    """
    ddir = paths.data_dir(data_dir)
    sdir = Path(sources_dir) if sources_dir is not None else paths.sources_dir()
    if (sources_dir is not None and not Path(sources_dir).is_dir()) or (sdir is None and require_sources):
        return check_data(ddir, sources_dir, require_sources)
    found = _stamp_path(ddir, sdir)
    trusted = _trusted(found[1], ddir, found[0]) if found is not None else None
    if trusted is not None:
        return trusted
    return _check_and_stamp(ddir, sources_dir, require_sources)[0]


def _trusted(stamp: Path, ddir: Path, fp: str) -> CheckResult | None:
    """The result a stamp vouches for, or None when it is absent or does not verify."""
    saved = read_stamp(stamp)
    try:
        if saved is None or saved["fingerprint"] != fp:
            return None
        specs = read_specs(ddir / "datapackage.json")
        tables = {name: read_table(ddir / specs[name].path, name, specs[name].columns)
                  for name in TABLES}
        if not all(t.ok and not t.problems for t in tables.values()):
            return None
        if {n: t.sha256 for n, t in tables.items()} != saved["tables"]:
            return None
        notes = [n for t in tables.values() for n in t.notes] + list(saved["notes"])
        return CheckResult(tables, [], notes, dict(saved["checks"]))
    except (OSError, KeyError, TypeError, DataError):
        return None


#: problems listed one per line before the rest are only counted, by kind
LIST_LIMIT = 50


def summarize(result: CheckResult, limit: int = LIST_LIMIT) -> str:
    """A report for people: counts on success; on failure the first ``limit`` problems,
    then the number of the others by kind (a broken file can have 400,000)."""
    if not result.ok:
        lines = [f"{len(result.problems)} problem(s):"]
        lines += [f"  {p}" for p in result.problems[:limit]]
        rest = result.problems[limit:]
        if rest:
            kinds = Counter(p.check for p in rest)
            lines.append(f"  … and {len(rest)} more: " + ", ".join(
                f"{n} {kind}" for kind, n in kinds.most_common()))
        return "\n".join(lines)
    counts = ", ".join(f"{len(t.frame)} {name}" for name, t in result.tables.items())
    checked = "" if any("not checked" in n for n in result.notes) else \
        "; every quote found in its source text, every source hash matches"
    return f"ok: {counts}{checked}"
