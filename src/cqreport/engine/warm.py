"""The warm executor: a kernel kept across reports, cell outputs reused when their inputs are.

It plugs into papermill as an engine (``cqreport-warm`` in papermill's engine
registry), so papermill still parameterizes the notebook, records the run and
writes the executed notebook; only how the cells run differs from papermill's
own engine:

* The kernel is started once and kept: pandas, matplotlib and the library stay
  imported. Between two reports its namespace is reset and cells are numbered
  from one again, so a report never sees a name of the previous one.
* A chart cell (:func:`cqreport.engine.units.chart_topic`) whose key is in the
  work cache takes its outputs from there; one that is not runs, and its outputs
  are stored under its key.
* With ``chart_kernel``, a second kernel draws the charts that must be drawn
  while the first runs the rest (after a data change they are the two long parts).
* After a change (the preview), only what it requires runs again: data, source
  texts, notebook or library: every cell (the library's modules dropped from the
  kernels first), chart cells from the cache where their inputs did not change; a
  narrative template only: the statements that read what the ``narrative`` module
  binds (:func:`dirty_statements`); the page's stylesheet or frame only: no cell.

Execution counts are set as a fresh kernel would set them (1, 2, … over the code
cells), whether a cell ran or took its outputs from the cache, so a warm report
is the same file as a cold one.
"""

from __future__ import annotations

import ast
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.files import sha256_file
from ..report.params import ReportParams
from .cache import WorkCache
from .executors import UnitKeys
from .kernel import CELL_TIMEOUT, KERNEL_NAME, RESET_CODE, CellError, WarmKernel
from .units import chart_topic

ENGINE_NAME = "cqreport-warm"
# Kinds of change, from what a saved file is (the preview classifies saved files into these).
DATA, NOTEBOOK, LIBRARY, TEMPLATES, ASSETS = "data", "notebook", "library", "templates", "assets"
# Dropping every cqreport module from a kernel: the notebook's own imports then load the
# changed code. Heavy libraries (pandas, matplotlib) stay imported.
PURGE_CODE = ("import sys as _s\n"
              "for _n in [n for n in _s.modules if n == 'cqreport' or n.startswith('cqreport.')]:\n"
              "    del _s.modules[_n]\n"
              "del _s, _n")


# ---------------------------------------------------------------------------
# What a change requires


@dataclass
class Statement:
    """One top-level statement of a code cell, with the names it reads and binds."""

    cell: int
    source: str
    reads: set[str]
    binds: set[str]


def statements(cells: list[str]) -> list[Statement]:
    """The top-level statements of the code cells, in order (cell index into ``cells``)."""
    out = []
    for i, src in enumerate(cells):
        try:
            tree = ast.parse(src)
        except SyntaxError:
            out.append(Statement(i, src, {"*"}, {"*"}))  # unknown: depends on everything
            continue
        lines = src.splitlines(keepends=True)
        for node in tree.body:
            reads, binds = set(), set()
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name):
                    (binds if isinstance(sub.ctx, ast.Store | ast.Del) else reads).add(sub.id)
                elif isinstance(sub, ast.alias):
                    binds.add((sub.asname or sub.name).split(".")[0])
                elif isinstance(sub, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
                    binds.add(sub.name)
            text = "".join(lines[node.lineno - 1:node.end_lineno])
            out.append(Statement(i, text, reads, binds))
    return out


def dirty_statements(stmts: list[Statement], seeds: set[str]) -> list[bool]:
    """Which statements must run again when the names in ``seeds`` now mean something else.

    A statement is dirty when it reads a seed name or a name bound by an earlier dirty
    statement (the names flow in notebook order)."""
    changed = set(seeds)
    dirty = []
    for st in stmts:
        d = "*" in st.reads or bool(st.reads & changed)
        if d:
            changed |= st.binds
        dirty.append(d)
    return dirty


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _is_parameters(cell: Any) -> bool:
    return bool({"parameters", "injected-parameters"} & set(_tags(cell)))


def chart_setup(nb: Any, chart_cells: set[int]) -> list[str]:
    """The code a second kernel runs before drawing the chart cells: the parameters cells,
    then the statements that bind what those cells read and the side-effect statements on
    ``charts`` (``charts.setup()``), in notebook order."""
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    params = [nb.cells[i].source for i in code if _is_parameters(nb.cells[i])]
    rest = [i for i in code if i not in chart_cells and not _is_parameters(nb.cells[i])]
    stmts = statements([nb.cells[i].source for i in rest])
    needed = set().union(*(st.reads for i in chart_cells for st in statements([nb.cells[i].source])))
    before: list[str] = []
    for st in reversed(stmts):
        if st.binds & needed or (not st.binds and st.reads & needed and "charts" in st.reads):
            needed |= st.reads
            before.append(st.source)
    before.reverse()
    return [*params, "".join(s if s.endswith("\n") else s + "\n" for s in before)]


# ---------------------------------------------------------------------------
# The papermill engine


def _register_engine() -> None:
    """Register the warm engine in papermill's engine registry (once per process)."""
    from papermill.engines import Engine, papermill_engines

    if ENGINE_NAME in papermill_engines._engines:
        return

    class WarmEngine(Engine):
        """papermill engine: the cells are run by the :class:`WarmExecutor` passed along."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, executor=None, **kwargs):
            executor.run_cells(nb_man, **kwargs)

    papermill_engines.register(ENGINE_NAME, WarmEngine)


# ---------------------------------------------------------------------------
# The executor


class WarmExecutor:
    """Runs reports in kept kernels, reusing cached and unchanged cell outputs.

    Args:
        kernel: The Jupyter kernel name.
        cache: The work cache (a disabled one: charts are always drawn).
        chart_kernel: Draw the charts in a second kernel, alongside the first.
    """

    name = "warm"

    def __init__(self, kernel: str = KERNEL_NAME, cache: WorkCache | None = None,
                 chart_kernel: bool = False, **_options: Any):
        self.kernel_name = kernel
        self.cache = cache if cache is not None else WorkCache(enabled=False)
        self.want_chart_kernel = chart_kernel
        self.main: WarmKernel | None = None
        self.charts: WarmKernel | None = None
        self._runs = 0
        self._last: dict[int, list[Any]] | None = None   # outputs of the last run, by cell
        self._last_of: tuple[Any, ...] | None = None     # (params, notebook sha) they belong to
        self.timings: dict[str, float] = {}

    # -- kernels

    def start(self) -> None:
        """Start the kernels; they import the library while this process prepares, and are
        waited for when the first cell runs."""
        if self.main is None:
            self.main = WarmKernel(self.kernel_name)
            self._runs = 0
        if self.want_chart_kernel and self.charts is None:
            self.charts = WarmKernel(self.kernel_name)

    @property
    def runs(self) -> int:
        return self._runs

    def failed(self) -> None:
        """The kernels' state is unknown after a failure: the next report gets new ones."""
        self.close()

    def close(self) -> None:
        for k in (self.main, self.charts):
            if k is not None:
                k.shutdown()
        self.main = self.charts = None
        self._last = self._last_of = None

    def purge_library(self) -> None:
        """Drop the cqreport modules from the kernels, so that the changed code is imported."""
        for k in (self.main, self.charts):
            if k is not None:
                k.run(PURGE_CODE, cell=False)

    # -- one run

    def execute(self, notebook: Path, params: ReportParams, output: Path | None, *,
                timeout: int = CELL_TIMEOUT, units: UnitKeys | None = None,
                changes: set[str] | None = None) -> Any:
        import papermill

        _register_engine()
        self.start()
        self.timings = {}
        of = (params, sha256_file(notebook))
        mode = "all" if changes is None or self._last is None or self._last_of != of \
            or changes & {DATA, NOTEBOOK, LIBRARY} else ("templates" if TEMPLATES in changes else "none")
        if changes is not None and LIBRARY in changes:
            self.purge_library()
        self._last_of = None  # until this run completes
        nb = papermill.execute_notebook(
            str(notebook), None if output is None else str(output),
            parameters=params.to_papermill(), engine_name=ENGINE_NAME,
            kernel_name=self.kernel_name, request_save_on_cell_execute=False,
            progress_bar=False, log_output=False, executor=self, mode=mode, units=units,
            cell_timeout=timeout)
        self._last_of = of
        return nb

    def run_cells(self, nb_man: Any, mode: str = "all", units: UnitKeys | None = None,
                  cell_timeout: int = CELL_TIMEOUT, **_kwargs: Any) -> None:
        """Run the parameterized notebook's cells (called by papermill through the engine)."""
        nb = nb_man.nb
        outputs: dict[int, list[Any]] = {}
        error_at: int | None = None
        try:
            if mode == "all":
                error_at = self._run_all(nb, outputs, units, cell_timeout)
            elif mode == "templates":
                error_at = self._run_after_templates(nb, outputs, cell_timeout)
            else:
                outputs.update(self._last or {})
        finally:
            self._fill(nb_man, outputs, error_at)
        self._last = None if error_at is not None else outputs
        self._runs += 1

    def _fill(self, nb_man: Any, outputs: dict[int, list[Any]], error_at: int | None) -> None:
        """Put the outputs into the notebook, numbered as a fresh kernel numbers them."""
        from nbformat import from_dict

        count = 0
        for i, cell in enumerate(nb_man.nb.cells):
            if cell.cell_type != "code":
                continue
            if error_at is not None and i > error_at:
                break  # a cold run stops at the failing cell: so does the notebook written
            if not cell.source.strip() or i not in outputs:
                continue
            count += 1
            nb_man.cell_start(cell, i)
            cell.outputs = [from_dict(o) for o in outputs[i]]
            cell.execution_count = count
            for o in cell.outputs:
                if o.get("output_type") == "execute_result":
                    o["execution_count"] = count
            if any(o.get("output_type") == "error" for o in cell.outputs):
                nb_man.cell_exception(cell, i)
            nb_man.cell_complete(cell, i)

    def _lap(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[name] = round(self.timings.get(name, 0.0) + now - since, 3)
        return now

    def _run_all(self, nb: Any, outputs: dict[int, list[Any]], units: UnitKeys | None,
                 timeout: int) -> int | None:
        """Every cell from a clean namespace; charts from the cache or drawn (maybe alongside)."""
        code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
        charts = {i: t for i in code if (t := chart_topic(nb.cells[i].source)) is not None}
        # the code before a chart cell, but its parameters: those are in its key as values
        before = {i: [nb.cells[j].source for j in code
                      if j < i and j not in charts and not _is_parameters(nb.cells[j])] for i in charts}
        side: _ChartRun | None = None
        if self.charts is not None and charts:
            side = _ChartRun(self, nb, charts, before, units, timeout)
        assert self.main is not None
        self.main.run(RESET_CODE, cell=False)
        error_at = None
        try:
            for i in code:
                if side is not None and i in charts:
                    continue
                t = time.perf_counter()
                if i in charts:
                    found = self._chart_outputs(self.main, nb, i, charts[i], before[i], units, timeout)
                else:
                    found = _run(self.main, nb.cells[i].source, timeout)
                self._lap(f"cell{i}", t)
                outputs[i] = found
                if _has_error(found):
                    error_at = i
                    break
        finally:
            if side is not None:
                t = time.perf_counter()
                drawn = side.result()
                self._lap("wait_charts", t)
                for i, found in sorted(drawn.items()):
                    if error_at is not None and i > error_at:
                        continue
                    outputs[i] = found
                    if _has_error(found) and (error_at is None or i < error_at):
                        error_at = i
        return error_at

    def _chart_outputs(self, kernel: WarmKernel, nb: Any, i: int, topic: str, before: list[str],
                       units: UnitKeys | None, timeout: int) -> list[Any]:
        """A chart cell's outputs: from the work cache under its key, else drawn and stored."""
        source = nb.cells[i].source
        key = units.chart_key(topic, source, before) if units is not None else None
        if key is not None:
            cached = self.cache.get_json("chart", key)
            if isinstance(cached, list):
                return cached
        found = _run(kernel, source, timeout)
        if key is not None and not _has_error(found):
            self.cache.put_json("chart", key, [dict(o) for o in found])
        return found

    def _run_after_templates(self, nb: Any, outputs: dict[int, list[Any]], timeout: int) -> int | None:
        """Re-run only what reads the narrative (templates are read when it writes)."""
        assert self.main is not None and self._last is not None
        code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
        stmts = statements([nb.cells[i].source for i in code])
        seeds = {s for st in stmts for s in st.binds if s == "narrative"}
        outputs.update(self._last)
        if not seeds:  # the notebook names the module otherwise: run it all
            outputs.clear()
            return self._run_all(nb, outputs, None, timeout)
        dirty = dirty_statements(stmts, seeds)
        for k, i in enumerate(code):
            flags = [d for st, d in zip(stmts, dirty, strict=True) if st.cell == k]
            if not any(flags):
                continue  # e.g. the chart cells: their outputs stand
            t = time.perf_counter()
            if all(flags) or self._last.get(i):
                outputs[i] = _run(self.main, nb.cells[i].source, timeout)
            else:  # a cell without output: only its dirty statements
                mine = [st for st in stmts if st.cell == k]
                found = _run(self.main, "".join(st.source for st, d in zip(mine, flags, strict=True) if d),
                             timeout)
                if _has_error(found):
                    outputs[i] = found
            self._lap(f"cell{i}", t)
            if _has_error(outputs.get(i, [])):
                return i
        return None


class _ChartRun:
    """The chart cells drawn in the second kernel, in a thread, while the main kernel runs."""

    def __init__(self, ex: WarmExecutor, nb: Any, charts: dict[int, str],
                 before: dict[int, list[str]], units: UnitKeys | None, timeout: int):
        self.result_value: dict[int, list[Any]] = {}
        self.error: BaseException | None = None

        def run() -> None:
            try:
                keys = {i: units.chart_key(charts[i], nb.cells[i].source, before[i])
                        if units is not None else None for i in charts}
                for i, key in keys.items():
                    cached = ex.cache.get_json("chart", key) if key is not None else None
                    if isinstance(cached, list):
                        self.result_value[i] = cached
                todo = sorted(set(charts) - set(self.result_value))
                if not todo:
                    return  # every chart from the cache: the second kernel has nothing to do
                k = ex.charts
                assert k is not None
                k.run(RESET_CODE, cell=False)
                for code in chart_setup(nb, set(todo)):
                    if _has_error(_run(k, code, timeout)):
                        return  # the main kernel meets the same error and names it
                for i in todo:
                    self.result_value[i] = found = _run(k, nb.cells[i].source, timeout)
                    if _has_error(found):
                        return
                    if keys[i] is not None:
                        ex.cache.put_json("chart", keys[i], found)
            except BaseException as exc:  # handed to the caller by result()
                self.error = exc

        self._thread = threading.Thread(target=run, name="cqreport-charts", daemon=True)
        self._thread.start()

    def result(self) -> dict[int, list[Any]]:
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.result_value


def _run(kernel: WarmKernel, code: str, timeout: int) -> list[Any]:
    """A cell's outputs; a cell that raises gives its outputs with the error among them."""
    try:
        return [dict(o) for o in kernel.run(code, timeout)]
    except CellError as exc:
        return [dict(o) for o in getattr(exc, "outputs", [])] or [
            {"output_type": "error", "ename": exc.ename, "evalue": exc.evalue, "traceback": []}]


def _has_error(outputs: list[Any]) -> bool:
    return any(o.get("output_type") == "error" for o in outputs)

