"""Build the reports: execute the notebook, export HTML and PDF, audit, write a manifest.

One report is one (quarter, language) pair and lands in
``reports/<quarter>/<lang>/``: ``report.ipynb`` (executed), ``report.html``,
``report.pdf`` and ``manifest.json``. ``reports/index.html`` links them all.

How a report is built, in one Python process (plus the kernel):

1. The parameters are validated before any kernel starts (:mod:`cqreport.report.params`).
2. If the manifest of the last build has the same inputs (notebook, data,
   parameters, code and library versions, font), the report is skipped; that
   check reads no data and imports neither pandas nor papermill.
3. A kernel named explicitly (``cqreport``) starts and imports the library while
   this process imports papermill (:class:`Kernel`).
4. papermill's Python API executes the notebook with a per-cell timeout; any
   cell error, and any matplotlib "Glyph … missing" warning, fails the report.
   Meanwhile a thread here readies the exporters, loads the data and writes the
   narrative again for the audit.
5. nbconvert's HTMLExporter renders the outputs without the code; the page gets
   the report stylesheet and the CJK font subset as a data URI, so it is
   self-contained and works offline.
6. WeasyPrint prints that page to an A4 PDF with the font embedded, in a forked
   process, while this one audits the HTML text; then the PDF text is audited.
   The audit (:mod:`cqreport.report.audit`) checks every number against the narrative's
   ledger, and the ledger against the data. A failed audit fails the report.
7. Everything is written to a temporary folder beside the target and moved into
   place only when all steps passed. A failed report keeps the previous good
   one and leaves its executed notebook as ``report.failed.ipynb``.

Batch builds run in worker processes, one per core. Each worker runs its
reports one after another in one kernel, reset between reports (names cleared,
cell numbers from one); after a failure the kernel is replaced.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..core import paths
from ..core.files import atomic_write_text, sha256_file
from ..core.periods import parse_quarter, require_quarter
from ..errors import BuildError, ParameterError
from ..report.params import (
    ReportParams,
    check_names,
    expand_langs,
    notebook_parameters,
    parse_lang,
    validate_params,
)
from .export import _html_exporter, _page_template, export_html, start_pdf
from .index import write_index
from .inputs import (
    FAILED_HTML,
    FAILED_NOTEBOOK,
    MANIFEST,
    Inputs,
    collect_inputs,
    git_revision,
    is_current,
    load_data,
    manifest_seconds,
    quarters_with_data,
    read_manifest,
)
from .kernel import CELL_TIMEOUT, KERNEL_NAME, Kernel, _failure_message, check_glyphs, check_kernel, notebook_warnings
from .verify import Auditor, audit_report, prepare_audit

# jsonschema, under nbformat, imports the optional rfc3987_syntax when it is installed
# (jupyterlab's dependencies bring it), and that module compiles a Lark grammar at
# import: a second of every build. Notebook schemas use no IRI formats, so the build
# process does without it (jsonschema treats a blocked import as "not installed").
sys.modules.setdefault("rfc3987_syntax", None)

FORMATS = ("html", "pdf")
REPORT_NOTEBOOK = "quarterly_report.ipynb"


# ---------------------------------------------------------------------------
# Inputs and their fingerprints


# ---------------------------------------------------------------------------
# Quarters with data (cached by data hash, so an unchanged rebuild loads nothing)


# ---------------------------------------------------------------------------
# Options, results


@dataclass
class BuildOptions:
    """How to build.

    Attributes:
        notebook: The report notebook.
        data_dir: The curated data folder.
        reports_dir: Where reports go.
        formats: Subset of ("html", "pdf"); the executed notebook is always kept.
        kernel: Jupyter kernel name (installed by ``make install``).
        timeout: Seconds a cell may run.
        force: Rebuild even when the inputs are unchanged.
        audit: Run the narrative audit on the HTML and PDF text.
        extra: Further notebook parameters (strings), checked against the notebook.
    """

    notebook: Path
    data_dir: Path
    reports_dir: Path
    formats: tuple[str, ...] = FORMATS
    kernel: str = KERNEL_NAME
    timeout: int = CELL_TIMEOUT
    force: bool = False
    audit: bool = True
    extra: dict[str, str] = field(default_factory=dict)
    source_check: bool = True


@dataclass
class ReportResult:
    """What happened to one report."""

    quarter: str
    lang: str
    status: str  # built | skipped | failed
    outdir: str
    seconds: float
    message: str = ""
    timings: dict[str, float] = field(default_factory=dict)


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
            out += f"; index: {_display_path(self.index)}"
        return out


def _display_path(p: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(Path(p).resolve().relative_to(Path.cwd()))
    return str(p)


# ---------------------------------------------------------------------------
# The kernel


# ---------------------------------------------------------------------------
# Exports


# ---------------------------------------------------------------------------
# The audit


# ---------------------------------------------------------------------------
# One report


class Background:
    """Run a function in a thread; ``result()`` waits and re-raises its error."""

    def __init__(self, fn: Callable[..., Any], *args: Any):
        import threading

        self._value: Any = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._value = fn(*args)
            except BaseException as exc:  # handed to the caller by result()
                self._error = exc

        self._thread = threading.Thread(target=run, name="cqreport-prepare", daemon=True)
        self._thread.start()

    def result(self) -> Any:
        """Wait for the function; return its value or raise its exception."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


_WARM = {"pdf": False}


def _prepare(exporters_ready: Any, dataset_loader: Callable[[], Any] | None,
             quarter: str) -> Any:
    """Get the exporters ready (then set ``exporters_ready``), load the data for the audit
    and select the quarter's figures (the ledger is checked against them)."""
    try:
        import weasyprint

        from ..report import fonts

        _html_exporter()
        _page_template()
        if not _WARM["pdf"]:
            font = fonts.find_cjk_font()
            # the first document pays for Pango, fontconfig and the default stylesheet
            weasyprint.HTML(string=f'<p style="font-family: \'{font.family}\'">重庆 A4</p>'
                            ).write_pdf()
            _WARM["pdf"] = True
    finally:
        exporters_ready.set()
    if dataset_loader is None:
        return None
    from ..analysis.derive import derived as all_derived
    from ..analysis.quarter import quarter_data

    dataset = dataset_loader()
    all_derived(dataset)          # both memoized on the dataset: the ledger check
    quarter_data(dataset, quarter)  # after execution then only reads the entries
    return dataset


def _swap_into_place(tmp: Path, outdir: Path) -> None:
    """Replace outdir by tmp; the old folder is renamed aside first, then removed."""
    old = None
    if outdir.exists():
        old = outdir.with_name(f".{outdir.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(outdir, old)
    os.replace(tmp, outdir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _keep_failed(tmp: Path, outdir: Path) -> list[str]:
    """Move the failed executed notebook (and page) beside the previous good report.

    Only whole files are kept: a notebook that is not complete JSON or a page cut
    short (a full disk) would mislead more than help, and is left to be removed.
    """
    kept = []
    with contextlib.suppress(OSError):
        outdir.mkdir(parents=True, exist_ok=True)
    for src, name in ((tmp / "report.ipynb", FAILED_NOTEBOOK), (tmp / "report.html", FAILED_HTML)):
        if src.is_file() and _whole(src):
            with contextlib.suppress(OSError):
                os.replace(src, outdir / name)
                kept.append(str(outdir / name))
    return kept


def _whole(path: Path) -> bool:
    try:
        data = path.read_bytes()
        if path.suffix == ".ipynb":
            json.loads(data)
            return True
        return data.rstrip().endswith(b"</html>")
    except (OSError, ValueError):
        return False


def _checks_ran(dataset: Any, options: BuildOptions, audited: bool) -> dict[str, bool]:
    """Which checks this report passed, for its manifest and its reader."""
    checks = dict(getattr(dataset, "checks", None) or {})
    if not checks:  # no audit, so no data loaded here: what the options asked for
        found = paths.sources_dir() is not None and options.source_check
        checks = {"schema": True, "relations": True, "quotes": found, "source_hashes": found}
    checks["numbers_audit"] = bool(audited)
    return checks


def clean_leftovers(reports_dir: Path) -> list[Path]:
    """Remove what killed builds left: ``.building-<pid>-*`` and ``.old-<pid>`` folders
    whose process is gone, and this user's kernel folders and PDF temp folders in
    $TMPDIR whose process is gone. Returns what was removed."""
    removed = []
    pattern = re.compile(r"\.[a-z]+\.building-(\d+)-|\.[a-z]+\.old-(\d+)$")
    candidates = [p for p in Path(reports_dir).glob("*/.*") if p.is_dir()]
    tmpdir = Path(tempfile.gettempdir())
    candidates += [p for p in tmpdir.glob("cqreport-*-*") if p.is_dir()]
    for p in candidates:
        m = pattern.match(p.name) or re.match(r"cqreport-(?:kernel|pdf)-(\d+)-", p.name)
        if not m:
            continue
        pid = int(next(g for g in m.groups() if g))
        if pid != os.getpid() and not _alive(pid):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


REPORTS_MARK = ".cqreport-reports"


def check_reports_dir(rdir: Path, force: bool) -> None:
    """Refuse an output folder that holds other things (``--reports /``) unless forced,
    and one that cannot be written; mark an accepted one as a cqreport reports folder.

    Raises:
        ParameterError: Naming the folder and what was found.
    """
    ours = re.compile(r"[0-9]{4}Q[1-4]|index\.html|README\.md|screenshots|\..*")
    if rdir.is_dir() and not (rdir / REPORTS_MARK).exists() and not force:
        try:
            strange = sorted(p.name for p in rdir.iterdir() if not ours.fullmatch(p.name))
        except OSError as exc:
            raise ParameterError(f"reports folder {rdir}: cannot list it ({exc.strerror})") from None
        if strange:
            raise ParameterError(
                f"reports folder {rdir} is not empty and not a cqreport reports folder (it holds "
                f"{', '.join(strange[:3])}{' …' if len(strange) > 3 else ''}); give an empty or new "
                "folder, or --force to write into it anyway")
    try:
        rdir.mkdir(parents=True, exist_ok=True)
        if not (rdir / REPORTS_MARK).exists():
            (rdir / REPORTS_MARK).write_text("cqreport reports folder\n", encoding="utf-8")
        probe = tempfile.mkdtemp(prefix=".probe-", dir=rdir)
        os.rmdir(probe)
    except OSError as exc:
        raise ParameterError(f"reports folder {rdir} cannot be written: {exc.strerror or exc}; "
                             "expected a writable folder (--reports DIR)") from None


def build_one(params: ReportParams, options: BuildOptions, inputs: Inputs,
              dataset_loader: Callable[[], Any] | None = None,
              auditor: Auditor | None = audit_report,
              kernel: Kernel | None = None) -> ReportResult:
    """Build one report. Never raises for a report failure: the result says what went wrong.

    Args:
        params: Validated parameters.
        options: Build options.
        inputs: Fingerprints of the build's inputs.
        dataset_loader: Returns the dataset the audit needs.
        auditor: Audit function, or None to skip the audit.
        kernel: A kernel already started (or reset) for this report; the caller shuts
            it down. By default a kernel is started for this report alone.
    """
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    outdir = options.reports_dir / params.quarter / params.lang
    key = inputs.key(params, options.extra)
    outdir.parent.mkdir(parents=True, exist_ok=True)
    # the builder's pid in the name: a later build removes the folder once that pid is gone
    tmp = Path(tempfile.mkdtemp(prefix=f".{params.lang}.building-{os.getpid()}-", dir=outdir.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the report folder should not be
    started = datetime.now(UTC)

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - since, 3)
        return now

    own_kernel = kernel is None
    try:
        t = time.perf_counter()
        if kernel is None:
            kernel = Kernel(options.kernel)
        else:
            kernel.wait_reset()
        t = lap("kernel_start", t)
        import papermill  # while the kernel starts: it is needed first

        # While the kernel runs the notebook (another process, another core), a
        # thread here loads the exporters and the data the audit checks against.
        # It starts only now: two threads importing at once
        # would only slow each other down (one interpreter lock).
        use_audit = auditor is not None and options.audit
        import threading

        exporters_ready = threading.Event()
        background = Background(_prepare, exporters_ready, dataset_loader if use_audit else None,
                                params.quarter)
        t = lap("prepare", t)
        nb = papermill.execute_notebook(
            str(options.notebook), str(tmp / "report.ipynb"),
            parameters={**params.to_papermill(), **options.extra},
            kernel_name=options.kernel, execution_timeout=options.timeout,
            request_save_on_cell_execute=False, progress_bar=False, log_output=False,
            km=kernel.km,
        )
        t = lap("execute", t)
        kernel.reports += 1
        if not own_kernel:
            kernel.reset()  # the kernel resets while this process exports
        exporters_ready.wait()
        t = lap("wait_exporters", t)
        check_glyphs(nb)
        page = export_html(nb, params.lang)
        (tmp / "report.html").write_text(page, encoding="utf-8")
        t = lap("html", t)
        dataset = background.result()  # no other thread runs past this point
        t = lap("wait_data", t)
        pdf = None
        pdf_done: Callable[[], None] = lambda: None  # noqa: E731
        if "pdf" in options.formats:
            # printed from now on (forked when no other thread runs): the ledger check
            # and the page's audit overlap it
            pdf = tmp / "report.pdf"
            pdf_done = start_pdf(page, pdf, tmp)
        audit = None
        try:
            if use_audit and auditor is audit_report:
                prepare_audit(dataset, params, nb)
                t = lap("ledger", t)
            if use_audit:  # the page is audited while the PDF is being printed
                audit = {"html": auditor(dataset, params, page, None)}
                t = lap("audit_html", t)
        finally:
            # always wait for the printing process; its error only if none came first
            if sys.exc_info()[0] is None:
                pdf_done()
            else:
                with contextlib.suppress(Exception):
                    pdf_done()
        t = lap("pdf", t)
        if use_audit and pdf is not None:
            audit["pdf"] = auditor(dataset, params, None, pdf)
            t = lap("audit_pdf", t)
        if "html" not in options.formats:
            (tmp / "report.html").unlink()
        timings["total"] = round(time.perf_counter() - t0, 3)
        manifest = {
            "report": params.slug,
            "parameters": {**params.to_papermill(), **options.extra},
            "cache_key": key,
            "inputs": {"notebook": str(options.notebook), "notebook_sha256": inputs.notebook,
                       "data_dir": str(options.data_dir), "data_sha256": inputs.data,
                       "code_sha256": inputs.code, "font": inputs.font,
                       "kernel": inputs.kernel, "formats": list(inputs.formats)},
            "packages": inputs.packages,
            "git_revision": git_revision(),
            "built_at": started.isoformat(timespec="seconds"),
            "timings_s": timings,
            # which report this was in its kernel (1: a fresh kernel; more: a warm one, reset)
            "kernel_run": kernel.reports,
            "warnings": notebook_warnings(nb),
            "audit": audit,
            "checks": _checks_ran(dataset, options, use_audit),
            "outputs": {p.name: {"bytes": p.stat().st_size,
                                 "sha256": sha256_file(p)}
                        for p in sorted(tmp.iterdir()) if p.name.startswith("report.")},
        }
        atomic_write_text(tmp / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        for stale in (FAILED_NOTEBOOK, FAILED_HTML):
            with contextlib.suppress(FileNotFoundError):
                (outdir / stale).unlink()
        _swap_into_place(tmp, outdir)
        return ReportResult(params.quarter, params.lang, "built", str(outdir),
                            round(time.perf_counter() - t0, 3), "", timings)
    except Exception as exc:  # any failure fails this report, not the batch
        kept = _keep_failed(tmp, outdir)
        message = _failure_message(exc, options.notebook)
        if isinstance(exc, OSError) and exc.filename:
            message = f"{exc.strerror or exc} writing {exc.filename}"
        if kept:
            message += f" (executed notebook kept as {_display_path(Path(kept[0]))})"
        return ReportResult(params.quarter, params.lang, "failed", str(outdir),
                            round(time.perf_counter() - t0, 3), message, timings)
    finally:
        if kernel is not None and own_kernel:
            kernel.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------
# Batches


_WORKER: dict[str, Any] = {}


def _worker_build(params: ReportParams) -> ReportResult:
    if "runner" not in _WORKER:
        _WORKER["runner"] = KernelRunner(_WORKER["options"], _WORKER["inputs"],
                                         _WORKER["auditor"])
        # pool workers leave through os._exit, skipping atexit: a multiprocessing
        # finaliser still runs, and shuts the worker's kernel down
        from multiprocessing.util import Finalize

        Finalize(_WORKER["runner"], _WORKER["runner"].close, exitpriority=10)
    return _WORKER["runner"].build(params)


def _worker_init(options: BuildOptions, inputs: Inputs, auditor: Auditor | None) -> None:
    _WORKER.update(options=options, inputs=inputs, auditor=auditor)


def plan(quarters: Sequence[str] | None, all_quarters: bool, lang: str,
         options: BuildOptions, quarters_available: Callable[[], list[str]]
         ) -> list[ReportParams]:
    """The reports to build, each with validated parameters. Raises before any kernel starts."""
    langs = expand_langs(lang)
    # each quarter is parsed once, here where it enters; a malformed one fails before the data is read
    asked = [parse_quarter(q) for q in quarters or ()]
    declared = list(notebook_parameters(options.notebook))
    check_names(options.extra, declared)
    clash = [n for n in options.extra if n in ("quarter", "lang", "data_dir")]
    if clash:
        raise ParameterError(f"give {clash[0]} with its own option (--{clash[0].replace('_', '-')}),"
                             " not as -p")
    have = [parse_quarter(q) for q in quarters_available()]
    if all_quarters:
        if asked:
            raise ParameterError("give either --quarter or --all, not both")
        chosen = list(have)
        if not chosen:
            raise ParameterError("the data has no quarter with figures; nothing to build")
    elif asked:
        chosen = [require_quarter(q, have) for q in asked]
    else:
        if not have:
            raise ParameterError("the data has no quarter with figures; nothing to build")
        chosen = [have[-1]]
    data_dir = str(Path(options.data_dir).resolve())
    out = []
    for q in dict.fromkeys(chosen):
        for lg in langs:
            out.append(validate_params({"quarter": q, "lang": lg, "data_dir": data_dir},
                                       declared=declared, quarters=None))  # checked above
    return out


def build(quarters: Sequence[str] | None = None, *, all_quarters: bool = False,
          lang: str = "zh", formats: Sequence[str] | str = FORMATS, force: bool = False,
          jobs: int | None = None, notebook: str | os.PathLike | None = None,
          data_dir: str | os.PathLike | None = None,
          reports_dir: str | os.PathLike | None = None, kernel: str = KERNEL_NAME,
          timeout: int = CELL_TIMEOUT, extra: dict[str, str] | None = None,
          audit: bool = True, auditor: Auditor | None = audit_report,
          progress: bool = True, echo: Callable[[str], None] | None = None,
          source_check: bool = True) -> BuildSummary:
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
        reports_dir: Output folder (default: reports/).
        kernel: Jupyter kernel name.
        timeout: Seconds a cell may run.
        extra: Further notebook parameters as strings (unknown names are rejected).
        audit: Run the narrative audit on every built report.
        auditor: The audit function (tests replace it).
        progress: Show a progress bar.
        echo: Where to print failure lines (default: stderr).
        source_check: Require the source texts, so that every quote is checked against
            them (``--no-source-check`` builds without; the manifest and the
            report's appendix say so).

    Returns:
        The summary; ``summary.ok`` is False if any report failed.

    Raises:
        ParameterError, QuarterError: Bad parameters, before any kernel starts.
        BuildError: The kernel is not installed.
    """
    t0 = time.perf_counter()
    echo = echo or (lambda s: print(s, file=sys.stderr))
    fmts = _parse_formats(formats)
    nb_path = Path(notebook) if notebook else paths.notebooks_dir() / REPORT_NOTEBOOK
    if not nb_path.is_file():
        raise ParameterError(f"notebook {nb_path} not found")
    ddir = Path(paths.data_dir(data_dir))
    if not (ddir / "datapackage.json").is_file():
        raise ParameterError(f"data folder {ddir} has no datapackage.json")
    rdir = Path(paths.reports_dir(reports_dir))
    if source_check and paths.sources_dir() is None:
        raise ParameterError("source texts not found (../shared/sources, or $CQREPORT_SOURCES): "
                             "the quotes cannot be checked; set CQREPORT_SOURCES, or build "
                             "without the check with --no-source-check")
    check_reports_dir(rdir, force)
    clean_leftovers(rdir)
    options = BuildOptions(nb_path.resolve(), ddir.resolve(), rdir.resolve(), fmts, kernel,
                           int(timeout), force, audit, dict(extra or {}), source_check)
    inputs = collect_inputs(options.notebook, options.data_dir, kernel, fmts)
    if not source_check:  # a build without the quote check is another build
        inputs = dataclasses.replace(inputs, kernel=f"{kernel}+no-source-check")
    todo = plan(quarters, all_quarters, lang, options,
                lambda: quarters_with_data(options.data_dir, inputs.data + inputs.code, rdir / ".cache"))
    results: list[ReportResult] = []
    pending: list[ReportParams] = []
    for p in todo:
        outdir = rdir / p.quarter / p.lang
        if not force and is_current(outdir, inputs.key(p, options.extra), fmts):
            results.append(ReportResult(p.quarter, p.lang, "skipped", str(outdir), 0.0,
                                        "inputs unchanged"))
        else:
            pending.append(p)
    if pending:
        check_kernel(kernel)
        use_auditor = auditor if audit else None
        results += _run(pending, options, inputs, use_auditor, jobs, progress, len(results))
    for r in results:
        if r.status == "failed":
            echo(f"FAILED {r.quarter}/{r.lang}: {r.message}")
    index = write_index(rdir) if any(r.status == "built" for r in results) or not (
        rdir / "index.html").exists() else rdir / "index.html"
    return BuildSummary(results, round(time.perf_counter() - t0, 3), index)


def _parse_formats(formats: Sequence[str] | str) -> tuple[str, ...]:
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    out = []
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


def _expected_seconds(p: ReportParams, options: BuildOptions) -> tuple[float, str]:
    """How long a report took last time (0 if never built); later quarters break ties,
    since they hold more context and take longer."""
    return manifest_seconds(read_manifest(options.reports_dir / p.quarter / p.lang)), p.quarter


def _run(pending: list[ReportParams], options: BuildOptions, inputs: Inputs,
         auditor: Auditor | None, jobs: int | None, progress: bool,
         skipped: int) -> list[ReportResult]:
    from tqdm import tqdm

    jobs = max(1, min(jobs or os.cpu_count() or 1, len(pending)))
    results = []
    bar = tqdm(total=len(pending), desc="cqreport build", unit="report",
               disable=not progress or len(pending) < 2, leave=False, file=sys.stderr)
    if jobs == 1:
        runner = KernelRunner(options, inputs, auditor)
        try:
            for p in pending:
                results.append(runner.build(p))
                bar.set_postfix_str(f"{p.slug} {results[-1].status}")
                bar.update()
        finally:
            runner.close()
    else:
        ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        if ctx.get_start_method() == "fork":
            # loaded once here and inherited by the workers, instead of once per worker
            # while both kernels warm up
            import nbconvert  # noqa: F401
            import papermill  # noqa: F401
            import weasyprint  # noqa: F401

            if auditor is not None:
                load_data(options.data_dir)
        with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_worker_init,
                                 initargs=(options, inputs, auditor)) as pool:
            # longest first, so that no worker is left with a long report at the end
            order = sorted(pending, key=lambda p: _expected_seconds(p, options), reverse=True)
            futures = {pool.submit(_worker_build, p): p for p in order}
            try:
                done = as_completed(futures)
                for fut in done:
                    p = futures[fut]
                    try:
                        res = fut.result()
                    except Exception as exc:  # a worker that died
                        res = ReportResult(p.quarter, p.lang, "failed",
                                           str(options.reports_dir / p.quarter / p.lang), 0.0,
                                           _failure_message(exc))
                    results.append(res)
                    bar.set_postfix_str(f"{p.slug} {res.status}")
                    bar.update()
            except KeyboardInterrupt:
                _stop_pool(pool, options.reports_dir)
                bar.close()
                raise BuildInterrupted(
                    f"interrupted: {len(results)} of {len(pending)} report(s) finished, the others "
                    "stopped; unfinished ones keep their previous version") from None
    bar.close()
    return results


# ---------------------------------------------------------------------------
# The index page


class BuildInterrupted(BuildError):
    """Ctrl-C stopped a batch: the CLI exits 130."""


def _stop_pool(pool: ProcessPoolExecutor, reports_dir: Path) -> None:
    """Stop a pool at once: drop the queued reports, interrupt the running ones (each
    removes its temporary folder and shuts its kernel down), then end the workers."""
    import signal

    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        with contextlib.suppress(OSError, ValueError):
            os.kill(proc.pid, signal.SIGINT)
    deadline = time.monotonic() + 10
    for proc in procs:
        proc.join(max(0.1, deadline - time.monotonic()))
        if proc.is_alive():
            proc.terminate()
            proc.join(2)
    clean_leftovers(reports_dir)


def describe_parameters(notebook: str | os.PathLike | None = None) -> list[dict[str, str]]:
    """The notebook's parameters with their defaults: the library call behind ``cqreport params``."""
    nb_path = Path(notebook) if notebook else paths.notebooks_dir() / REPORT_NOTEBOOK
    out = []
    for p in notebook_parameters(nb_path).values():
        out.append({"name": p.name, "default": p.source, "help": p.comment})
    return out


__all__ = [
    "BuildOptions",
    "BuildSummary",
    "ReportResult",
    "build",
    "build_one",
    "describe_parameters",
    "parse_lang",
    "write_index",
]


class KernelRunner:
    """Builds reports one after another in one kernel, replaced after a failure."""

    def __init__(self, options: BuildOptions, inputs: Inputs, auditor: Auditor | None):
        self.options, self.inputs, self.auditor = options, inputs, auditor
        self.kernel: Kernel | None = None

    def build(self, params: ReportParams) -> ReportResult:
        if self.kernel is None:
            self.kernel = Kernel(self.options.kernel)
        res = build_one(params, self.options, self.inputs,
                        dataset_loader=lambda: load_data(self.options.data_dir),
                        auditor=self.auditor, kernel=self.kernel)
        if res.status == "failed":
            self.close()  # the kernel's state is unknown: the next report gets a new one
        return res

    def close(self) -> None:
        if self.kernel is not None:
            self.kernel.shutdown()
            self.kernel = None
