"""``cqreport build``: plan the reports, skip the unchanged ones, build the rest.

One report is one (quarter, language) pair and lands in
``reports/<quarter>/<lang>/``: ``report.ipynb`` (executed), ``report.html``,
``report.pdf`` and ``manifest.json``. ``reports/index.html`` links them all.

1. :func:`~cqreport.engine.plan.plan` parses and checks every parameter before any
   kernel starts.
2. A report whose manifest records the same inputs (notebook, data, parameters,
   code and library versions, font) is skipped; that check reads no data and
   imports neither pandas nor papermill.
3. The others go through the steps of :mod:`cqreport.engine.steps` (execute,
   export, PDF, audit, manifest, publish), one after another in this process, or
   in worker processes (``--jobs``), each with its own executor and kernel.

The executor is the warm one unless ``cold``: papermill's own engine in a fresh
kernel per report, and no work taken from the cache.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import queue
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..core import paths
from ..errors import BuildInterrupted, ParameterError
from ..report.params import ReportParams
from .cache import WorkCache
from .executors import executor_factory
from .folders import check_reports_dir, clean_leftovers
from .index import write_index
from .inputs import Inputs, collect_inputs, is_current, manifest_seconds, quarters_with_data, read_manifest
from .kernel import CELL_TIMEOUT, KERNEL_NAME, check_kernel, failure_message
from .plan import FORMATS, BuildOptions, parse_formats, plan, report_notebook
from .steps import ReportResult, Session, build_report, display_path
from .verify import Auditor, audit_report

# jsonschema, under nbformat, imports the optional rfc3987_syntax when it is installed
# (jupyterlab's dependencies bring it), and that module compiles a Lark grammar at
# import: a second of every build. Notebook schemas use no IRI formats, so the build
# process does without it (jsonschema treats a blocked import as "not installed").
sys.modules.setdefault("rfc3987_syntax", None)


@dataclass
class BuildSummary:
    """What happened to a batch."""

    results: list[ReportResult]
    seconds: float
    index: Path | None

    def count(self, status: str) -> int:
        """Number of reports with that status."""
        return sum(r.status == status for r in self.results)

    @property
    def ok(self) -> bool:
        """True when no report failed."""
        return self.count("failed") == 0

    def line(self) -> str:
        """The one-line summary printed at the end of a build."""
        out = (f"{self.count('built')} built, {self.count('skipped')} unchanged, "
               f"{self.count('failed')} failed in {self.seconds:.1f} s")
        if self.index:
            out += f"; index: {display_path(self.index)}"
        return out


def build(quarters: Sequence[str] | None = None, *, all_quarters: bool = False,
          lang: str = "zh", formats: Sequence[str] | str = FORMATS, force: bool = False,
          jobs: int | None = None, notebook: str | os.PathLike | None = None,
          data_dir: str | os.PathLike | None = None,
          reports_dir: str | os.PathLike | None = None, kernel: str = KERNEL_NAME,
          timeout: int = CELL_TIMEOUT, params: Mapping[str, str] | None = None,
          as_of: date | str | None = None, audit: bool = True,
          auditor: Auditor | None = audit_report, progress: bool = True,
          echo: Callable[[str], None] | None = None, source_check: bool = True,
          cold: bool = False) -> BuildSummary:
    """Build reports: the library call behind ``cqreport build``.

    Args:
        quarters: Quarter labels; None and not ``all_quarters``: the latest quarter with data.
        all_quarters: Every quarter with data.
        lang: ``zh``, ``en``, ``all`` or a comma list.
        formats: ``html``, ``pdf`` or both (list or comma string).
        force: Rebuild reports whose inputs are unchanged.
        jobs: Worker processes; default one per core.
        notebook: The report notebook (default: notebooks/quarterly_report.ipynb).
        data_dir: The curated data (default: data/).
        reports_dir: Output folder (default: reports/); it must be one cqreport made.
        kernel: Jupyter kernel name.
        timeout: Seconds a cell may run.
        params: Further notebook parameters as typed (``-p NAME=VALUE``): each is parsed
            to its type and checked here.
        as_of: Rebuild from the sources published by this date.
        audit: Run the numbers audit on every built report.
        auditor: The audit function (tests replace it).
        progress: Show a progress bar.
        echo: Where to print failure lines (default: stderr).
        source_check: Require the source texts, so that every quote is checked against
            them (``--no-source-check`` builds without; the manifest and the
            report's appendix say so).
        cold: Run each report in a fresh kernel with papermill's own engine and take
            nothing from the work cache (the reference a cached build equals).

    Returns:
        The summary; ``summary.ok`` is False if any report failed.

    Raises:
        ParameterError, QuarterError: Bad parameters, before any kernel starts.
        BuildError: The kernel is not installed.
        BuildInterrupted: Ctrl-C during a batch.
    """
    t0 = time.perf_counter()
    echo = echo or (lambda s: print(s, file=sys.stderr))
    options = _options(notebook, data_dir, reports_dir, formats, kernel, timeout, force,
                       audit, source_check, cold)
    inputs = collect_inputs(options.notebook, options.data_dir, kernel, options.formats)
    if not source_check:  # a build without the quote check is another build
        inputs = dataclasses.replace(inputs, kernel=f"{kernel}+no-source-check")
    use_auditor = auditor if audit else None
    session = _session(options, inputs, use_auditor, chart_kernel=False)
    todo = plan(options, quarters=quarters, all_quarters=all_quarters, lang=lang,
                assignments=params, as_of=as_of,
                quarters_available=lambda: quarters_with_data(
                    inputs.data + inputs.code, options.reports_dir / ".cache", session.dataset))
    results: list[ReportResult] = []
    pending: list[ReportParams] = []
    for p in todo:
        outdir = options.reports_dir / str(p.quarter) / str(p.lang)
        if not force and is_current(outdir, inputs.key(p), options.formats):
            results.append(ReportResult(str(p.quarter), str(p.lang), "skipped", str(outdir), 0.0,
                                        "inputs unchanged"))
        else:
            pending.append(p)
    if pending:
        check_kernel(kernel)
        results += _run(pending, session, jobs, progress)
    for r in results:
        if r.status == "failed":
            echo(f"FAILED {r.quarter}/{r.lang}: {r.message}")
    rdir = options.reports_dir
    index = write_index(rdir) if any(r.status == "built" for r in results) or not (
        rdir / "index.html").exists() else rdir / "index.html"
    return BuildSummary(results, round(time.perf_counter() - t0, 3), index)


def _options(notebook: str | os.PathLike | None, data_dir: str | os.PathLike | None,
             reports_dir: str | os.PathLike | None, formats: Sequence[str] | str, kernel: str,
             timeout: int, force: bool, audit: bool, source_check: bool, cold: bool) -> BuildOptions:
    """The build options, every folder checked (the reports folder marked as ours)."""
    fmts = parse_formats(formats)
    nb_path = report_notebook(notebook)
    ddir = paths.descriptor(data_dir).parent
    rdir = Path(paths.reports_dir(reports_dir))
    if source_check and paths.sources_dir() is None:
        raise ParameterError("source texts not found (../shared/sources, or $CQREPORT_SOURCES): "
                             "the quotes cannot be checked; set CQREPORT_SOURCES, or build "
                             "without the check with --no-source-check")
    check_reports_dir(rdir, force)
    clean_leftovers(rdir)
    return BuildOptions(nb_path, ddir.resolve(), rdir.resolve(), fmts, kernel, int(timeout), force,
                        audit, source_check, "papermill" if cold else "warm", not cold)


def _session(options: BuildOptions, inputs: Inputs | None, auditor: Auditor | None,
             chart_kernel: bool) -> Session:
    """The executor, work cache and data of one process's reports."""
    cache = WorkCache(enabled=options.cache)
    executor = executor_factory(options.executor)(kernel=options.kernel, cache=cache,
                                                  chart_kernel=chart_kernel)
    return Session(options, inputs, executor, cache, auditor)


def _expected_seconds(p: ReportParams, options: BuildOptions) -> tuple[float, str]:
    """How long a report took last time (0 if never built); later quarters break ties,
    since they hold more context and take longer."""
    outdir = options.reports_dir / str(p.quarter) / str(p.lang)
    return manifest_seconds(read_manifest(outdir)), str(p.quarter)


def _run(pending: list[ReportParams], session: Session, jobs: int | None,
         progress: bool) -> list[ReportResult]:
    from tqdm import tqdm

    jobs = max(1, min(jobs or os.cpu_count() or 1, len(pending)))
    bar = tqdm(total=len(pending), desc="cqreport build", unit="report",
               disable=not progress or len(pending) < 2, leave=False, file=sys.stderr)

    def done(res: ReportResult) -> None:
        bar.set_postfix_str(f"{res.quarter}/{res.lang} {res.status}")
        bar.update()

    try:
        if jobs == 1:
            return _run_here(pending, session, done)
        # longest first, so that no worker is left with a long report at the end
        order = sorted(pending, key=lambda p: _expected_seconds(p, session.options), reverse=True)
        return _run_workers(order, session, jobs, done)
    finally:
        bar.close()


def _run_here(pending: list[ReportParams], session: Session,
              done: Callable[[ReportResult], None]) -> list[ReportResult]:
    """One report after another in this process, in one warm kernel.

    No second kernel for the charts here (the preview has one): a build starts its kernels
    with the report, and on two cores a second one's start-up costs what it saves (measured:
    the bench's one-quarter build, under load, was slower with it)."""
    results = []
    try:
        for p in pending:
            results.append(build_report(session, p))
            done(results[-1])
    finally:
        session.executor.close()
    return results


def _worker(options: BuildOptions, inputs: Inputs, auditor: Auditor | None,
            dataset: Any, tasks: Any, events: Any) -> None:
    """A worker process: builds the reports it takes from ``tasks`` in its own kernel."""
    session = _session(options, inputs, auditor, chart_kernel=False)
    session.loaded = dataset  # inherited from the parent (fork), or loaded when first needed
    try:
        while (params := tasks.get()) is not None:
            events.put(("start", os.getpid(), params))
            events.put(("done", os.getpid(), build_report(session, params)))
    except KeyboardInterrupt:
        pass  # the report in progress removed its temporary folder; the parent says so
    finally:
        session.executor.close()


def _run_workers(order: list[ReportParams], session: Session, jobs: int,
                 done: Callable[[ReportResult], None]) -> list[ReportResult]:
    """The reports in ``jobs`` worker processes, each with its own executor and kernel."""
    ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    if ctx.get_start_method() == "fork":
        # loaded once here and inherited by the workers, instead of once per worker
        # while both kernels warm up
        import nbconvert  # noqa: F401
        import papermill  # noqa: F401
        import weasyprint  # noqa: F401

        if session.auditor is not None or session.options.cache:
            session.dataset()
    tasks, events = ctx.Queue(), ctx.Queue()
    for p in order:
        tasks.put(p)
    procs = [ctx.Process(target=_worker, name=f"cqreport-worker-{i}", args=(
        session.options, session.inputs, session.auditor, session.loaded, tasks, events))
        for i in range(jobs)]
    for proc in procs:
        tasks.put(None)
        proc.start()
    results: list[ReportResult] = []
    running: dict[int, ReportParams] = {}
    try:
        while len(results) < len(order):
            try:
                kind, pid, payload = events.get(timeout=0.5)
            except queue.Empty:
                results += _dead_workers(procs, running, session.options, done)
                if not any(p.is_alive() for p in procs) and events.empty():
                    break
                continue
            if kind == "start":
                running[pid] = payload
            else:
                running.pop(pid, None)
                results.append(payload)
                done(payload)
    except KeyboardInterrupt:
        _stop_workers(procs, session.options.reports_dir)
        raise BuildInterrupted(
            f"interrupted: {len(results)} of {len(order)} report(s) finished, the others "
            "stopped; unfinished ones keep their previous version") from None
    for proc in procs:
        proc.join(30)
    return results


def _dead_workers(procs: list[Any], running: dict[int, ReportParams], options: BuildOptions,
                  done: Callable[[ReportResult], None]) -> list[ReportResult]:
    """Fail the report a worker was building when it died (killed, out of memory)."""
    out = []
    for proc in procs:
        if not proc.is_alive() and proc.pid in running:
            p = running.pop(proc.pid)
            res = ReportResult(str(p.quarter), str(p.lang), "failed",
                               str(options.reports_dir / str(p.quarter) / str(p.lang)), 0.0,
                               failure_message(RuntimeError(
                                   f"the worker process died (exit code {proc.exitcode})")))
            out.append(res)
            done(res)
    return out


def _stop_workers(procs: list[Any], reports_dir: Path) -> None:
    """Stop the workers at once: interrupt them (each removes its temporary folder and shuts
    its kernel down), then end those still running."""
    for proc in procs:
        with contextlib.suppress(OSError, ValueError, TypeError):
            os.kill(proc.pid, signal.SIGINT)
    deadline = time.monotonic() + 10
    for proc in procs:
        proc.join(max(0.1, deadline - time.monotonic()))
        if proc.is_alive():
            proc.terminate()
            proc.join(2)
    clean_leftovers(reports_dir)


__all__ = ["BuildSummary", "ReportResult", "build"]
