"""Report parameters: read from the notebook, checked before any kernel starts.

Parameters flow one way: command line → :class:`ReportParams` (validated here)
→ papermill → the notebook's cell tagged ``parameters``. Papermill itself only
warns about an unknown parameter and guesses the types of command-line values;
here an unknown name, a malformed quarter, an unknown language or a quarter
without data is a :class:`~cqreport.errors.ParameterError` (or
:class:`~cqreport.errors.QuarterError`) with a message saying what to type
instead, and every value reaches the notebook as a string.

Examples:
    >>> p = ReportParams(quarter="2026Q1", lang="en")
    >>> p.to_papermill()
    {'quarter': '2026Q1', 'lang': 'en', 'data_dir': None}
    >>> expand_langs("all")
    ['zh', 'en']
    >>> parse_assignments(["quarter=2025Q4", "lang=en"])
    {'quarter': '2025Q4', 'lang': 'en'}
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..core import paths
from ..core.periods import Quarter, parse_quarter, require_quarter
from ..core.vocab import REPORT_LANGS
from ..errors import ParameterError

_LANG_ALIASES = {"zh-cn": "zh", "cn": "zh", "chinese": "zh", "english": "en", "en-us": "en"}

#: The parameters the report notebook must declare.
PARAMETER_NAMES: tuple[str, ...] = ("quarter", "lang", "data_dir")


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
    """Validated parameters of one report.

    Attributes:
        quarter: Quarter label, normalised (``2026Q1``).
        lang: ``zh`` or ``en``.
        data_dir: Folder of the curated data as an absolute path, or None for the default.
        as_of: ISO date the report is rebuilt as of (only sources published by then),
            or None for the quarter's own cut-off.
    """

    quarter: str
    lang: str = "zh"
    data_dir: str | None = None
    as_of: str | None = None

    def to_papermill(self) -> dict[str, str | None]:
        """The parameters as papermill injects them: every value a string (or None).

        ``as_of`` only when set, so notebooks written before it keep working.
        """
        return {k: (None if v is None else str(v)) for k, v in asdict(self).items()
                if k != "as_of" or v is not None}

    @property
    def as_of_date(self) -> date | None:
        """``as_of`` as a date (None: the quarter's own cut-off)."""
        return date.fromisoformat(self.as_of) if self.as_of else None

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


def parse_lang(value: str) -> str:
    """Normalise a language code.

    >>> parse_lang("ZH")
    'zh'
    >>> parse_lang("fr")
    Traceback (most recent call last):
    cqreport.errors.ParameterError: unknown language 'fr'; expected one of: zh, en
    """
    raw = str(value).strip().lower()
    lang = _LANG_ALIASES.get(raw, raw)
    if lang not in REPORT_LANGS:
        raise ParameterError(f"unknown language {value!r}; expected one of: {', '.join(REPORT_LANGS)}")
    return lang


def expand_langs(value: str) -> list[str]:
    """``all`` → every language; ``zh,en`` → both; ``en`` → one. Order kept, duplicates dropped.

    >>> expand_langs("en,zh,en")
    ['en', 'zh']
    """
    if str(value).strip().lower() == "all":
        return list(REPORT_LANGS)
    out: list[str] = []
    for part in str(value).split(","):
        if part.strip():
            lang = parse_lang(part)
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


def check_data_dir(data_dir: str | os.PathLike | None) -> str | None:
    """An existing data folder as an absolute path (None stays None: the default folder)."""
    if data_dir in (None, ""):
        return None
    return str(paths.descriptor(Path(data_dir).expanduser().resolve()).parent)


def check_as_of(value: Any) -> str | None:
    """An ISO date (YYYY-MM-DD) to rebuild a report as of; None or '' stay None.

    >>> check_as_of("2026-02-07"), check_as_of(None)
    ('2026-02-07', None)
    >>> check_as_of("7 Feb 2026")
    Traceback (most recent call last):
    cqreport.errors.ParameterError: parameter as_of is '7 Feb 2026'; expected a date like 2026-02-07
    """
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ParameterError(f"parameter as_of is {value!r}; expected a date like 2026-02-07") from None


def check_quarter(quarter: str | Quarter, quarters: Iterable[str | Quarter] | None = None) -> str:
    """A well-formed quarter label that has data.

    Args:
        quarter: The label as typed, or a Quarter already parsed where it entered.
        quarters: Quarters with data; None skips that check.

    Raises:
        QuarterError: If malformed or without data (the message lists those with data).
    """
    q = quarter if isinstance(quarter, Quarter) else parse_quarter(quarter)
    if quarters is not None:
        require_quarter(q, [x if isinstance(x, Quarter) else parse_quarter(x) for x in quarters])
    return str(q)


def validate_params(
    raw: Mapping[str, Any],
    *,
    declared: Iterable[str] = PARAMETER_NAMES,
    quarters: Iterable[str] | None = None,
) -> ReportParams:
    """Check raw parameters (as typed) and build the parameter object.

    Args:
        raw: Name → value; ``quarter`` is required.
        declared: Parameter names the notebook declares.
        quarters: Quarters that have data; None skips that check.

    Returns:
        The validated parameters.

    Raises:
        ParameterError: Unknown parameter, unknown language, missing quarter, bad data folder.
        QuarterError: Malformed quarter, or one without data.

    Examples:
        >>> validate_params({"quarter": "2026q1", "lang": "EN"}, quarters=["2026Q1"])
        ReportParams(quarter='2026Q1', lang='en', data_dir=None, as_of=None)
        >>> validate_params({"quarter": "2026Q1", "colour": "red"})
        Traceback (most recent call last):
        cqreport.errors.ParameterError: unknown parameter 'colour'; the notebook takes: quarter, lang, data_dir
    """
    declared = list(declared)
    check_names(raw, declared)
    missing = [n for n in PARAMETER_NAMES if n not in declared]
    if missing:
        raise ParameterError(
            f"the notebook does not declare {', '.join(missing)}; its parameters cell must "
            f"assign {', '.join(PARAMETER_NAMES)}"
        )
    if raw.get("quarter") in (None, ""):
        raise ParameterError("no quarter given; expected a label like 2026Q1")
    return ReportParams(
        quarter=check_quarter(raw["quarter"], quarters),
        lang=parse_lang(raw.get("lang", REPORT_LANGS[0])),
        data_dir=check_data_dir(raw.get("data_dir")),
        as_of=check_as_of(raw.get("as_of")),
    )


def resolve_params(dataset, quarter: str | None = None, lang: str = "zh",
                   data_dir: str | os.PathLike | None = None, as_of: Any = None) -> ReportParams:
    """Parameters as the notebook receives them, checked against the loaded data.

    The notebook calls this first, so that it fails with the same messages as
    ``cqreport build`` when opened by hand; ``quarter=None`` means the latest
    quarter with data.

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
