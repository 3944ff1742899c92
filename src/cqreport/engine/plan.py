"""The plan: which reports to build, each with every parameter parsed and checked.

:func:`plan` is the first step of ``cqreport build`` and of ``cqreport preview``:
the quarters are parsed where they enter, the languages are
:class:`~cqreport.core.vocab.Lang` values, and every ``-p NAME=VALUE`` is parsed
to its type (``as_of`` to a date, a further notebook parameter to the type of its
default). Whatever is wrong stops here, before any kernel starts.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..core import paths
from ..core.periods import Quarter, parse_quarter, require_quarter
from ..core.vocab import Lang
from ..errors import ParameterError
from ..report.params import (
    OWN_OPTIONS,
    ReportParams,
    check_names,
    expand_langs,
    notebook_parameters,
    parse_as_of,
    parse_further,
    validate_params,
)
from .executors import REGISTRY
from .kernel import CELL_TIMEOUT, KERNEL_NAME

FORMATS = ("html", "pdf")
REPORT_NOTEBOOK = "quarterly_report.ipynb"
#: How a report's notebook is run (:mod:`cqreport.engine.executors`): ``warm`` keeps a kernel and
#: reuses work cached by its inputs; ``papermill`` is papermill's own engine in a fresh kernel
#: per report, nothing cached.
EXECUTORS = tuple(REGISTRY)


@dataclass(frozen=True)
class BuildOptions:
    """How to build, the same for every report of a run.

    Attributes:
        notebook: The report notebook.
        data_dir: The curated data folder.
        reports_dir: Where reports go.
        formats: Subset of ("html", "pdf"); the executed notebook is always kept.
        kernel: Jupyter kernel name (installed by ``make install``).
        timeout: Seconds a cell may run.
        force: Rebuild even when the inputs are unchanged.
        audit: Run the numbers audit on the HTML and PDF text.
        source_check: Require the source texts, so that every quote is checked.
        executor: ``warm`` or ``papermill`` (see :data:`EXECUTORS`).
        cache: Reuse work cached by its inputs (charts, PDF, audits); off for ``papermill``.
    """

    notebook: Path
    data_dir: Path
    reports_dir: Path
    formats: tuple[str, ...] = FORMATS
    kernel: str = KERNEL_NAME
    timeout: int = CELL_TIMEOUT
    force: bool = False
    audit: bool = True
    source_check: bool = True
    executor: str = "warm"
    cache: bool = True


def report_notebook(notebook: str | os.PathLike | None = None) -> Path:
    """The report notebook (default: notebooks/quarterly_report.ipynb), which must exist.

    Raises:
        ParameterError: No such file.
    """
    path = Path(notebook) if notebook else paths.notebooks_dir() / REPORT_NOTEBOOK
    if not path.is_file():
        raise ParameterError(f"notebook {path} not found")
    return path.resolve()


def parse_formats(formats: Sequence[str] | str) -> tuple[str, ...]:
    """``html,pdf`` (a comma string or a list) as a tuple, checked, duplicates dropped.

    >>> parse_formats("PDF, html,pdf")
    ('pdf', 'html')
    """
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    out: list[str] = []
    for f in (s.strip().lower() for s in items):
        if not f:
            continue
        if f not in FORMATS:
            raise ParameterError(f"unknown format {f!r}; expected html, pdf or html,pdf")
        if f not in out:
            out.append(f)
    if not out:
        raise ParameterError("no output format; expected html, pdf or html,pdf")
    return tuple(out)


def parse_executor(name: str) -> str:
    """An executor name, checked (see :data:`EXECUTORS`)."""
    if name not in EXECUTORS:
        raise ParameterError(f"unknown executor {name!r}; expected one of: {', '.join(EXECUTORS)}")
    return name


def choose_quarters(asked: Sequence[Quarter], all_quarters: bool, have: Sequence[Quarter]
                    ) -> list[Quarter]:
    """The quarters to build: those asked (each must have data), every one, or the latest.

    Raises:
        ParameterError, QuarterError: Both --quarter and --all, no quarter with data, or a
            quarter asked that has none.
    """
    if all_quarters and asked:
        raise ParameterError("give either --quarter or --all, not both")
    if asked:
        return list(dict.fromkeys(require_quarter(q, list(have)) for q in asked))
    if not have:
        raise ParameterError("the data has no quarter with figures; nothing to build")
    return list(have) if all_quarters else [have[-1]]


def plan(options: BuildOptions, *, quarters: Sequence[str | Quarter] | None = None,
         all_quarters: bool = False, lang: str | Sequence[Lang] = "zh",
         assignments: Mapping[str, str] | None = None, as_of: date | str | None = None,
         quarters_available: Callable[[], Sequence[str | Quarter]]) -> list[ReportParams]:
    """The reports to build, each with its parameters as values. Raises before any kernel starts.

    Args:
        options: The build options (the notebook's declared parameters are read from it).
        quarters: Quarter labels as typed; None: the latest quarter with data.
        all_quarters: Every quarter with data.
        lang: ``zh``, ``en``, ``all``, a comma list, or languages already parsed.
        assignments: ``-p NAME=VALUE`` pairs as typed (strings).
        as_of: ``--as-of``: rebuild from the sources published by that date.
        quarters_available: Returns the quarters that have data (read only when needed).

    Raises:
        ParameterError, QuarterError: Naming what is wrong and what was expected.
    """
    langs = expand_langs(lang) if isinstance(lang, str) else [Lang.parse(x) for x in lang]
    # each quarter is parsed once, here where it enters; a malformed one fails before the data is read
    asked = [q if isinstance(q, Quarter) else parse_quarter(q) for q in quarters or ()]
    declared = notebook_parameters(options.notebook)
    further = dict(assignments or {})
    check_names(further, declared)
    for name, option in OWN_OPTIONS.items():
        if name in further:
            raise ParameterError(f"give {name} with its own option ({option}), not as -p")
    if as_of is not None:
        if "as_of" in further:
            raise ParameterError("give as_of once: --as-of or -p as_of, not both")
        check_names(["as_of"], declared)
        further["as_of"] = str(as_of)
    # every -p value is parsed now, before the data is read for its quarters
    parse_as_of(further.get("as_of"))
    parse_further(further, declared)
    have = [q if isinstance(q, Quarter) else parse_quarter(q) for q in quarters_available()]
    data_dir = str(Path(options.data_dir).resolve())
    return [validate_params({"quarter": q, "lang": lg, "data_dir": data_dir, **further},
                            declared=declared)  # quarters were checked against the data above
            for q in choose_quarters(asked, all_quarters, have) for lg in langs]


def describe_parameters(notebook: str | os.PathLike | None = None) -> list[dict[str, str]]:
    """The notebook's parameters with their defaults: the library call behind ``cqreport params``."""
    return [{"name": p.name, "default": p.source, "help": p.comment}
            for p in notebook_parameters(report_notebook(notebook)).values()]
