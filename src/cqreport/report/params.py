"""Report parameters: typed values, parsed and checked before any kernel starts.

Parameters flow one way: command line → :class:`ReportParams` (parsed here,
each value to its type: a :class:`~cqreport.core.periods.Quarter`, a
:class:`~cqreport.core.vocab.Lang`, a folder, a date) → papermill, which
passes strings → the notebook's cell tagged ``parameters``, which parses them
back with the same functions (:func:`resolve_params`). Papermill itself only
warns about an unknown parameter and guesses the types of command-line values;
here an unknown name, a malformed value or a quarter without data is a
:class:`~cqreport.errors.ParameterError` (or :class:`~cqreport.errors.QuarterError`)
saying what to type instead.

A notebook may declare parameters beyond the report's own (the test notebook's
``fail``): each is typed by its default (a string, a number, a flag) and
parsed to that type; one whose default says nothing of its type (None) cannot
be set from the command line.

Examples:
    >>> p = validate_params({"quarter": "2026q1", "lang": "EN", "as_of": "2026-02-07"},
    ...                     declared=(*PARAMETER_NAMES, "as_of"))
    >>> p.quarter, p.lang, p.as_of
    (Quarter(year=2026, q=1), <Lang.EN: 'en'>, datetime.date(2026, 2, 7))
    >>> p.to_papermill()
    {'quarter': '2026Q1', 'lang': 'en', 'data_dir': None, 'as_of': '2026-02-07'}
    >>> expand_langs("all")
    [<Lang.ZH: 'zh'>, <Lang.EN: 'en'>]
    >>> parse_assignments(["quarter=2025Q4", "lang=en"])
    {'quarter': '2025Q4', 'lang': 'en'}
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..core import paths
from ..core.periods import Quarter, parse_quarter, require_quarter
from ..core.vocab import REPORT_LANGS, Lang
from ..errors import ParameterError

#: The parameters the report notebook must declare.
PARAMETER_NAMES: tuple[str, ...] = ("quarter", "lang", "data_dir")
#: The report's own parameters, each set by its own option, never with ``-p``.
OWN_OPTIONS: dict[str, str] = {"quarter": "--quarter", "lang": "--lang", "data_dir": "--data"}
#: Literal types a further notebook parameter may have, by its default.
_SCALARS = (bool, int, float, str)


@dataclass(frozen=True)
class NotebookParameter:
    """One assignment in a notebook's ``parameters`` cell.

    Attributes:
        name: Variable name.
        default: Its default value (a Python literal).
        source: The right-hand side as written.
        comment: The comment after it on the same line, if any.
    """

    name: str
    default: Any
    source: str
    comment: str = ""


@dataclass(frozen=True)
class ReportParams:
    """The parameters of one report, each a value of its type.

    Attributes:
        quarter: The quarter reported.
        lang: The report language.
        data_dir: The curated data folder (absolute), or None for the default.
        as_of: Rebuild from the sources published by this date, or None for the
            quarter's own cut-off.
        notebook: Values of further parameters the notebook declares, by name, each of
            the type of its default (sorted by name, so that equal parameters compare equal).
    """

    quarter: Quarter
    lang: Lang = Lang.ZH
    data_dir: Path | None = None
    as_of: date | None = None
    notebook: tuple[tuple[str, bool | int | float | str], ...] = ()

    def to_papermill(self) -> dict[str, str | None]:
        """The parameters as papermill injects them: every value a string (or None).

        ``as_of`` only when set, so notebooks written before it keep working.
        """
        out: dict[str, str | None] = {
            "quarter": str(self.quarter), "lang": str(self.lang),
            "data_dir": None if self.data_dir is None else str(self.data_dir)}
        if self.as_of is not None:
            out["as_of"] = self.as_of.isoformat()
        out.update((name, str(value)) for name, value in self.notebook)
        return out

    @property
    def slug(self) -> str:
        """``2026Q1/zh``: where the report goes under ``reports/``."""
        return f"{self.quarter}/{self.lang}"


def notebook_parameters(notebook: str | os.PathLike) -> dict[str, NotebookParameter]:
    """Read the cell tagged ``parameters`` of a notebook.

    Args:
        notebook: Path of the ``.ipynb`` file.

    Returns:
        Parameter name → its declaration, in the order written.

    Raises:
        ParameterError: If the notebook has no such cell, or the cell is not
            plain ``name = literal`` assignments.
    """
    path = Path(notebook)
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ParameterError(f"{path}: cannot read the notebook ({exc})") from exc
    cells = [
        c for c in nb.get("cells", [])
        if c.get("cell_type") == "code" and "parameters" in c.get("metadata", {}).get("tags", [])
    ]
    if not cells:
        raise ParameterError(
            f"{path}: no cell tagged 'parameters'; expected one code cell with that tag "
            "holding the notebook's defaults (quarter = None, lang = \"zh\", data_dir = None)"
        )
    if len(cells) > 1:
        raise ParameterError(f"{path}: {len(cells)} cells tagged 'parameters'; expected one")
    source = cells[0]["source"]
    source = "".join(source) if isinstance(source, list) else source
    lines = source.splitlines()
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ParameterError(f"{path}: the parameters cell does not parse: {exc}") from exc
    found: dict[str, NotebookParameter] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            raise ParameterError(
                f"{path}: parameters cell, line {node.lineno}: expected 'name = literal'"
            )
        try:
            default = ast.literal_eval(node.value)
        except ValueError as exc:
            raise ParameterError(
                f"{path}: parameters cell, line {node.lineno}: the default of "
                f"'{node.targets[0].id}' is not a literal"
            ) from exc
        line = lines[node.lineno - 1]
        comment = line.split("#", 1)[1].strip() if "#" in line[node.value.end_col_offset:] else ""
        found[node.targets[0].id] = NotebookParameter(
            node.targets[0].id, default, ast.get_source_segment(source, node.value) or "", comment
        )
    return found


def expand_langs(value: str) -> list[Lang]:
    """``all`` → every language; ``zh,en`` → both; ``en`` → one. Order kept, duplicates dropped.

    >>> expand_langs("en,zh,en")
    [<Lang.EN: 'en'>, <Lang.ZH: 'zh'>]
    """
    if str(value).strip().lower() == "all":
        return list(REPORT_LANGS)
    out: list[Lang] = []
    for part in str(value).split(","):
        if part.strip():
            lang = Lang.parse(part)
            if lang not in out:
                out.append(lang)
    if not out:
        raise ParameterError(f"no language in {value!r}; expected zh, en or all")
    return out


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """Parse ``name=value`` pairs from the command line, keeping values as strings.

    >>> parse_assignments(["quarter=2026Q1"])
    {'quarter': '2026Q1'}
    >>> parse_assignments(["quarter"])
    Traceback (most recent call last):
    cqreport.errors.ParameterError: bad parameter 'quarter'; expected name=value
    """
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = str(item).partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"bad parameter {item!r}; expected name=value")
        out[name.strip()] = value.strip()
    return out


def check_names(names: Iterable[str], declared: Iterable[str], where: str = "the notebook") -> None:
    """Reject a parameter the notebook does not declare.

    Raises:
        ParameterError: Naming the unknown parameter(s) and the known ones.
    """
    known = list(declared)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ParameterError(
            f"unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"{where} takes: {', '.join(known)}"
        )


def check_data_dir(data_dir: str | os.PathLike | None) -> Path | None:
    """An existing data folder as an absolute path (None stays None: the default folder)."""
    if data_dir in (None, ""):
        return None
    return paths.descriptor(Path(data_dir).expanduser().resolve()).parent


def parse_as_of(value: Any) -> date | None:
    """An ISO date (YYYY-MM-DD) to rebuild a report as of; None or '' stay None.

    >>> parse_as_of("2026-02-07"), parse_as_of(None)
    (datetime.date(2026, 2, 7), None)
    >>> parse_as_of("7 Feb 2026")
    Traceback (most recent call last):
    cqreport.errors.ParameterError: parameter as_of is '7 Feb 2026'; expected a date like 2026-02-07
    """
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ParameterError(f"parameter as_of is {value!r}; expected a date like 2026-02-07") from None


def check_quarter(quarter: str | Quarter, quarters: Iterable[str | Quarter] | None = None) -> Quarter:
    """A well-formed quarter that has data.

    Args:
        quarter: The label as typed, or a Quarter already parsed where it entered.
        quarters: Quarters with data; None skips that check.

    Raises:
        QuarterError: If malformed or without data (the message lists those with data).
    """
    q = quarter if isinstance(quarter, Quarter) else parse_quarter(quarter)
    if quarters is not None:
        require_quarter(q, [x if isinstance(x, Quarter) else parse_quarter(x) for x in quarters])
    return q


def parse_notebook_value(param: NotebookParameter, value: Any) -> bool | int | float | str:
    """A further notebook parameter's value, of the type of its default.

    >>> parse_notebook_value(NotebookParameter("fail", "", '""'), "glyph")
    'glyph'
    >>> parse_notebook_value(NotebookParameter("dpi", 150, "150"), "x2")
    Traceback (most recent call last):
    cqreport.errors.ParameterError: parameter dpi is 'x2'; expected a whole number like its default 150
    """
    kind = type(param.default)
    if kind not in _SCALARS:
        raise ParameterError(
            f"parameter {param.name} cannot be set: its default ({param.source or None}) does not "
            "say its type; expected a notebook default that is a string, a number or True/False")
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    text = str(value).strip()
    try:
        if kind is bool:
            if text.lower() not in ("true", "false"):
                raise ValueError(text)
            return text.lower() == "true"
        return kind(text) if kind is not str else str(value)
    except ValueError:
        what = {bool: "True or False", int: "a whole number", float: "a number"}[kind]
        raise ParameterError(f"parameter {param.name} is {value!r}; expected {what} like its "
                             f"default {param.source}") from None


def validate_params(
    raw: Mapping[str, Any],
    *,
    declared: Iterable[str] | Mapping[str, NotebookParameter] = PARAMETER_NAMES,
    quarters: Iterable[str] | None = None,
) -> ReportParams:
    """Parse raw parameters (strings as typed or as papermill passes them) into their values.

    Args:
        raw: Name → value; ``quarter`` is required.
        declared: The names the notebook declares, or its declarations
            (:func:`notebook_parameters`), which type any further parameter.
        quarters: Quarters that have data; None skips that check.

    Returns:
        The parameters, each parsed to its type.

    Raises:
        ParameterError: Unknown parameter, unknown language, missing quarter, bad data
            folder, a date or further value that does not parse.
        QuarterError: Malformed quarter, or one without data.

    Examples:
        >>> validate_params({"quarter": "2026q1", "lang": "EN"}, quarters=["2026Q1"])
        ReportParams(quarter=Quarter(year=2026, q=1), lang=<Lang.EN: 'en'>, data_dir=None, as_of=None, notebook=())
        >>> validate_params({"quarter": "2026Q1", "colour": "red"})
        Traceback (most recent call last):
        cqreport.errors.ParameterError: unknown parameter 'colour'; the notebook takes: quarter, lang, data_dir
    """
    decl = dict(declared) if isinstance(declared, Mapping) else dict.fromkeys(declared)
    check_names(raw, decl)
    missing = [n for n in PARAMETER_NAMES if n not in decl]
    if missing:
        raise ParameterError(
            f"the notebook does not declare {', '.join(missing)}; its parameters cell must "
            f"assign {', '.join(PARAMETER_NAMES)}"
        )
    if raw.get("quarter") in (None, ""):
        raise ParameterError("no quarter given; expected a label like 2026Q1")
    return ReportParams(
        quarter=check_quarter(raw["quarter"], quarters),
        lang=Lang.parse(raw.get("lang", REPORT_LANGS[0])),
        data_dir=check_data_dir(raw.get("data_dir")),
        as_of=parse_as_of(raw.get("as_of")),
        notebook=parse_further(raw, decl),
    )


def parse_further(raw: Mapping[str, Any], declared: Mapping[str, NotebookParameter | None]
                  ) -> tuple[tuple[str, bool | int | float | str], ...]:
    """The values of the parameters beyond the report's own (and ``as_of``), each of the type
    of its default in the notebook (a string when only its name is known), sorted by name."""
    further = []
    for name in sorted(n for n in raw if n not in (*PARAMETER_NAMES, "as_of")):
        param = declared.get(name) or NotebookParameter(name, "", '""')
        further.append((name, parse_notebook_value(param, raw[name])))
    return tuple(further)


def resolve_params(dataset, quarter: str | None = None, lang: str = "zh",
                   data_dir: str | os.PathLike | None = None, as_of: Any = None) -> ReportParams:
    """Parameters as the notebook receives them, parsed and checked against the loaded data.

    The notebook calls this first, with the strings papermill passed, so that it
    parses them with the functions ``cqreport build`` used and fails with the same
    messages when opened by hand; ``quarter=None`` means the latest quarter with data.

    Args:
        dataset: The loaded :class:`~cqreport.dataset.model.Dataset`.
        quarter: Quarter label, or None for the latest.
        lang: Report language.
        data_dir: The data folder the dataset was loaded from.
        as_of: Rebuild from what was published by this date (default: the quarter's cut-off).
    """
    resolved = str(dataset.resolve_quarter(quarter or None))  # None: the latest with data
    raw = {"quarter": resolved, "lang": lang, "data_dir": data_dir}
    if as_of not in (None, ""):
        raw["as_of"] = as_of
    return validate_params(raw, declared=(*PARAMETER_NAMES, "as_of"))
