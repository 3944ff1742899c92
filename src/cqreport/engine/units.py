"""The units of a report whose work is cached, and the inputs each is keyed by.

Keys are computed here, in the build's own process, from the outside of the
report library: from the rows a unit reads and the files it runs, never by
asking the narrative or the charts to remember anything.

* A **chart cell** is a notebook cell ``charts.topic_charts(qd, "<topic>", params.lang)``.
  Its outputs depend on the rows its charts draw (every column of each series'
  observations, the catalogue rows of its metrics and entities), the quarter and
  its cut-off, the language, the notebook's code before it (``charts.setup()`` and
  the like), the library's code (not the templates: they only word the text), the
  CJK font and the versions of the drawing packages.
* The **PDF** depends on the page and the printer (WeasyPrint, its PDF writer, the font).
* An **audit** depends on the text audited (page or PDF), the narrative's record and
  the data (:mod:`cqreport.engine.verify`).
"""

from __future__ import annotations

import ast
import functools
from typing import TYPE_CHECKING, Any

from ..core import paths
from ..core.files import hash_files
from .cache import key_of

if TYPE_CHECKING:
    from ..analysis.quarter import QuarterData

#: Packages whose version shapes a drawn chart or a printed PDF.
DRAWING = ("matplotlib", "seaborn", "numpy", "pandas", "pillow")
PRINTING = ("weasyprint", "pydyf", "fonttools", "pypdf")


def chart_topic(source: str) -> str | None:
    """The topic of a chart cell (``charts.topic_charts(qd, "credit", params.lang)``), else None.

    >>> chart_topic('charts.topic_charts(qd, "credit", params.lang)')
    'credit'
    >>> chart_topic("HTML(report.section_html('credit'))") is None
    True
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return None
    call = tree.body[0].value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and call.func.attr == "topic_charts" and isinstance(call.func.value, ast.Name)
            and call.func.value.id == "charts" and len(call.args) >= 2
            and isinstance(call.args[1], ast.Constant) and isinstance(call.args[1].value, str)):
        return None
    return call.args[1].value


@functools.cache
def versions(names: tuple[str, ...]) -> dict[str, str]:
    """The installed version of each package ("not installed" for one that is not)."""
    from importlib import metadata

    out = {}
    for n in names:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            out[n] = "not installed"
    return out


def hash_package(suffixes: tuple[str, ...]) -> str:
    """Fingerprint of the installed cqreport package's files with these suffixes, read now."""
    root = paths.PACKAGE_DIR
    files = [f for f in root.rglob("*") if f.is_file() and "__pycache__" not in f.parts
             and f.suffix in suffixes]
    return hash_files(files, root)


@functools.cache
def package_digest(suffixes: tuple[str, ...]) -> str:
    """:func:`hash_package`, once per process (the unit keys ask for it per chart; the preview
    clears it when the library changes)."""
    return hash_package(suffixes)


def library_digest() -> str:
    """The library's code and vocabulary (``*.py``, ``*.toml``), without templates and assets."""
    return package_digest((".py", ".toml"))


@functools.cache
def font_digest() -> str:
    """Which CJK font file the charts and pages use (path, face, size)."""
    from ..report.fonts import find_cjk_font

    f = find_cjk_font()
    return f"{f.path}#{f.index}:{f.path.stat().st_size}"


def _frame_text(frame: Any) -> str:
    return frame.to_csv(index=True, lineterminator="\n")


def chart_rows(qd: QuarterData, topic: str) -> list[Any]:
    """What the charts of one section read: each chart's series with every column of their
    rows, and the catalogue rows of their metrics and entities."""
    from ..report.chartdata import topic_chart_data

    ds = qd.dataset
    out: list[Any] = []
    for cd in topic_chart_data(qd, topic):
        series = cd.series()
        metrics = sorted({s.metric_id for s in series})
        entities = sorted({s.entity_id for s in series})
        out.append({
            "name": cd.name, "topic": cd.topic,
            "panels": [[p.base_unit, p.period_type, p.measure, len(p.series)] for p in cd.panels],
            "series": [[s.metric_id, s.entity_id, s.measure, s.frequency, s.comparator,
                        _frame_text(s.rows)] for s in series],
            "metrics": _frame_text(ds.metrics.loc[metrics]),
            "entities": _frame_text(ds.entities.loc[entities]),
        })
    return out


def chart_key(qd: QuarterData, topic: str, lang: str, cell: str, before: list[str]) -> str:
    """The key of one chart cell's outputs.

    Args:
        qd: The quarter's data, as the notebook selects it (same quarter and ``as_of``).
        topic: The cell's topic.
        lang: The report's language.
        cell: The cell's code.
        before: The code of the cells before it (not other chart cells).
    """
    return key_of("chart", cell, before, topic, str(lang), str(qd.quarter), str(qd.cutoff),
                  chart_rows(qd, topic), library_digest(), font_digest(), versions(DRAWING))


def pdf_key(page: str) -> str:
    """The key of the PDF printed from a page."""
    return key_of("pdf", page.encode(), font_digest(), versions(PRINTING), library_digest())
