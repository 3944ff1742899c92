"""The steps of one report, shared by ``cqreport build`` and ``cqreport preview``.

plan (:mod:`cqreport.engine.plan`) → :func:`execute` → :func:`export_page` →
:func:`print_pdf` → :func:`audit` → :func:`write_manifest` → :func:`publish`.

A report is two documents (``report.ledger.DOCUMENTS``): the report and its evidence
companion. Both come from the one executed notebook: the report is the notebook's
output, the evidence the HTML the notebook's narrative wrote into its record
(``Narrative.evidence_html``), in the same page frame and stylesheet. Each is exported,
printed, audited against its own numbers (``Narrative.for_document``), cached by its
page and published with the other, in one folder swap.

Each step is a short function of a :class:`Session` (what the reports of one
process share: options, input fingerprints, the executor, the work cache, the
data loaded once) and a :class:`Job` (one report on its way: parameters, folder,
executed notebook, page, PDF, audit, timings). Nothing lives in module globals.

While the kernel runs the notebook, a thread of this process readies the rest
(:class:`Prepared`): the exporters, the PDF printer, the data the audit checks
against and the keys of the cached units (:mod:`cqreport.engine.units`).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..core.files import atomic_write_bytes, atomic_write_text, sha256_file
from ..errors import BuildError
from ..report.ledger import DOCUMENTS
from ..report.params import ReportParams
from .cache import WorkCache
from .executors import Executor
from .export import export_html, html_exporter, html_page, page_template, start_pdf, warm_up_printer
from .folders import building_folder, drop_stale_failures, keep_failed, swap_into_place
from .inputs import MANIFEST, Inputs, git_revision
from .kernel import check_glyphs, failure_message, notebook_warnings
from .plan import BuildOptions
from .units import chart_key, pdf_key
from .verify import Auditor, audit_key, check_ledger, find_record, read_record, record_of

#: The documents of a report, in the order they are built, and the link between them.
REPORT, EVIDENCE = DOCUMENTS
EVIDENCE_LINK = 'href="evidence.html#'


class Background:
    """Run a function in a thread; ``result()`` waits and re-raises its error."""

    def __init__(self, fn: Callable[..., Any], *args: Any, name: str = "cqreport-prepare"):
        self._value: Any = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._value = fn(*args)
            except BaseException as exc:  # handed to the caller by result()
                self._error = exc

        self._thread = threading.Thread(target=run, name=name, daemon=True)
        self._thread.start()

    def result(self) -> Any:
        """Wait for the function; return its value or raise its exception."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


@dataclass
class Session:
    """What the reports built in one process share.

    Attributes:
        options: The build options.
        inputs: Fingerprints of the build's inputs (None in the preview: nothing is skipped).
        executor: Runs the notebooks.
        cache: The work cache (disabled for a cold build).
        auditor: The audit of a page or PDF (None: no audit).
    """

    options: BuildOptions
    inputs: Inputs | None
    executor: Executor
    cache: WorkCache
    auditor: Auditor | None
    loaded: Any = None
    _data_key: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def dataset(self) -> Any:
        """The data, loaded and validated once per process (the audit checks against it)."""
        with self._lock:
            if self.loaded is None:
                from ..dataset.model import load_dataset

                self.loaded = load_dataset(self.options.data_dir)
            return self.loaded

    def forget_data(self) -> None:
        """The data changed (preview): load it again when next asked."""
        with self._lock:
            self.loaded = None
            self._data_key = ""

    def data_key(self) -> str:
        """The fingerprint of the data files (what an audit's cache key holds of the data)."""
        if self.inputs is not None:
            return self.inputs.data
        with self._lock:
            if not self._data_key:
                from .inputs import data_hash

                self._data_key = data_hash(self.options.data_dir)
            return self._data_key


class Prepared:
    """What this process readies for one report while its kernel runs.

    The exporters and the PDF printer are warmed; the data is loaded (once per
    process) and the quarter selected, and the keys of the chart cells can then be
    computed (:meth:`chart_key`, which waits for the data).
    """

    def __init__(self, session: Session, params: ReportParams):
        self.params = params
        self.exporters_ready = threading.Event()
        needs_data = session.auditor is not None or session.cache.enabled
        self._job = Background(self._prepare, session, needs_data)

    def _prepare(self, session: Session, needs_data: bool) -> Any:
        try:
            html_exporter()
            page_template()
            if "pdf" in session.options.formats:
                warm_up_printer()
        finally:
            self.exporters_ready.set()
        if not needs_data:
            return None
        from ..analysis.derive import derived
        from ..analysis.quarter import quarter_data

        dataset = session.dataset()
        derived(dataset)  # memoized on the dataset: the ledger check after execution only reads it
        return quarter_data(dataset, self.params.quarter, as_of=self.params.as_of)

    def quarter(self) -> Any:
        """The quarter's data as the notebook selects it (None when no data is needed)."""
        return self._job.result()

    def chart_key(self, topic: str, cell: str, before: list[str]) -> str | None:
        qd = self.quarter()
        return None if qd is None else chart_key(qd, topic, self.params.lang, cell, before)


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
class Job:
    """One report on its way through the steps.

    ``tmp`` is the folder its files are written to before they are published (None in
    the preview, which keeps the pages in memory and publishes them itself). ``pages``
    and ``pdfs`` are by document (:data:`REPORT`, :data:`EVIDENCE`); ``audit`` by the
    file audited (``report.html``…)."""

    params: ReportParams
    outdir: Path
    tmp: Path | None
    key: str = ""
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    t0: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)
    prepared: Prepared | None = None
    nb: Any = None
    pages: dict[str, str] = field(default_factory=dict)
    pdfs: dict[str, Path] = field(default_factory=dict)
    audit: dict[str, Any] | None = None
    narrative: Any = None
    ledger: list | None = None

    @property
    def page(self) -> str | None:
        """The report's page (not the evidence)."""
        return self.pages.get(REPORT)

    def lap(self, name: str, since: float) -> float:
        """Record the seconds of a step since ``since``; return now."""
        now = time.perf_counter()
        self.timings[name] = round(self.timings.get(name, 0.0) + now - since, 3)
        return now

    def result(self, status: str, message: str = "") -> ReportResult:
        return ReportResult(str(self.params.quarter), str(self.params.lang), status, str(self.outdir),
                            round(time.perf_counter() - self.t0, 3), message, dict(self.timings))


# ---------------------------------------------------------------------------
# The steps


def execute(session: Session, job: Job, changes: set[str] | None = None) -> None:
    """Run the notebook (the session's executor); the executed notebook lands in the job folder."""
    t = time.perf_counter()
    # readied in this process while the kernel starts and runs
    job.prepared = Prepared(session, job.params)
    session.executor.start()
    t = job.lap("kernel_start", t)
    units = job.prepared if session.cache.enabled else None
    output = job.tmp / "report.ipynb" if job.tmp is not None else None
    job.nb = session.executor.execute(session.options.notebook, job.params, output,
                                      timeout=session.options.timeout, units=units, changes=changes)
    job.lap("execute", t)
    job.timings.update({f"execute.{k}": v for k, v in getattr(session.executor, "timings", {}).items()})


def export_page(session: Session, job: Job) -> None:
    """Check the charts' glyphs and export the self-contained HTML pages: the report, and its
    evidence from the narrative's record.

    Raises:
        BuildError: If the report links to its evidence and the notebook wrote none.
    """
    t = time.perf_counter()
    if job.prepared is not None:
        job.prepared.exporters_ready.wait()
    t = job.lap("wait_exporters", t)
    check_glyphs(job.nb)
    job.pages = {REPORT: export_html(job.nb, job.params.lang)}
    t = job.lap("html", t)
    evidence = evidence_page(job)
    if evidence is not None:
        job.pages[EVIDENCE] = evidence
    if job.tmp is not None:
        for document, page in job.pages.items():
            atomic_write_text(job.tmp / f"{document}.html", page)
    job.lap("evidence_html", t)


def evidence_page(job: Job) -> str | None:
    """The evidence page: the evidence HTML the notebook's narrative wrote (in its record), in
    the report's page frame; None when the notebook recorded no evidence and the report
    does not link to one."""
    record = find_record(job.nb)
    if record is not None:
        job.narrative = read_record(job.nb)
    body = job.narrative.evidence_html if job.narrative is not None else ""
    if body:
        return html_page(body, job.params.lang)
    if EVIDENCE_LINK in (job.page or ""):
        raise BuildError("the report links to its evidence (evidence.html), but the notebook's "
                         "narrative record holds no evidence (Narrative.evidence_html)")
    return None


def print_pdf(session: Session, job: Job, document: str = REPORT,
              target: Path | None = None) -> Callable[[], None]:
    """Start printing a document's page to PDF (from the work cache when that page was printed
    before); return the function that waits for it and stores a new PDF in the cache.

    The PDF goes to ``target`` (default: ``<document>.pdf`` in the job's folder)."""
    page = job.pages[document]
    pdf = job.pdfs[document] = target or job.tmp / f"{document}.pdf"
    key = pdf_key(page)
    cached = session.cache.get("pdf", key)
    if cached is not None:
        atomic_write_bytes(pdf, cached)
        return lambda: None
    wait = start_pdf(page, pdf)

    def done() -> None:
        wait()
        session.cache.put("pdf", key, pdf.read_bytes())

    return done


def audit(session: Session, job: Job, target: str, document: str = REPORT) -> None:
    """Audit a document's page (``target`` "html") or PDF ("pdf") against the numbers that
    document prints (``Narrative.for_document``).

    A passed audit of the same text, ledger and data is taken from the work cache; the
    ledger is checked against the data only when some audit has to run.
    """
    auditor = session.auditor
    if auditor is None:
        return
    t = time.perf_counter()
    record = record_of(job.nb)
    if job.narrative is None:
        job.narrative = read_record(job.nb)
    where = f"{document}.{target}"
    text = job.pages[document].encode() if target == "html" else job.pdfs[document].read_bytes()
    key = audit_key(auditor, where, text, record, session.data_key())
    found = session.cache.get_json("audit", key)
    if not isinstance(found, dict):
        dataset = session.dataset()
        if job.ledger is None:
            job.ledger = check_ledger(job.narrative, dataset)
            t = job.lap("ledger", t)
        page, pdf = (job.pages[document], None) if target == "html" else (None, job.pdfs[document])
        found = auditor(job.narrative.for_document(document), dataset, page, pdf, job.ledger)
        session.cache.put_json("audit", key, found)
    job.audit = {**(job.audit or {}), where: found}
    job.lap(f"audit_{document}_{target}", t)


def write_manifest(session: Session, job: Job) -> None:
    """What was built from what, with the checks that ran and the timings."""
    opts, inputs = session.options, session.inputs
    assert inputs is not None
    dataset = session.loaded
    # only checks that ran: in this process, or vouched for by the data layer's stamp
    checks = dict(getattr(dataset, "checks", None) or {})
    checks["numbers_audit"] = job.audit is not None
    job.timings["total"] = round(time.perf_counter() - job.t0, 3)
    manifest = {
        "report": job.params.slug,
        "parameters": job.params.to_papermill(),
        "cache_key": job.key,
        "inputs": {"notebook": str(opts.notebook), "notebook_sha256": inputs.notebook,
                   "data_dir": str(opts.data_dir), "data_sha256": inputs.data,
                   "code_sha256": inputs.code, "font": inputs.font,
                   "kernel": inputs.kernel, "formats": list(inputs.formats)},
        "packages": inputs.packages,
        "git_revision": git_revision(),
        "built_at": job.started.isoformat(timespec="seconds"),
        "timings_s": job.timings,
        "executor": session.executor.name,
        # which report this was in its kernel (1: a fresh kernel; more: a warm one, reset)
        "kernel_run": session.executor.runs,
        "work_cache": session.cache.stats(),
        "warnings": notebook_warnings(job.nb),
        "audit": job.audit,
        "checks": checks,
        "outputs": {p.name: {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
                    for p in sorted(job.tmp.iterdir())
                    if p.name.startswith((f"{REPORT}.", f"{EVIDENCE}."))},
    }
    atomic_write_text(job.tmp / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))


def publish(job: Job) -> None:
    """Move the finished report into place, replacing the previous one whole."""
    drop_stale_failures(job.outdir)
    swap_into_place(job.tmp, job.outdir)


# ---------------------------------------------------------------------------
# One report


def build_report(session: Session, params: ReportParams) -> ReportResult:
    """Build one report through every step. Never raises for a report failure: the result
    says what went wrong, the previous good report stays, and the failed notebook is kept."""
    opts = session.options
    outdir = opts.reports_dir / str(params.quarter) / str(params.lang)
    job = Job(params, outdir, building_folder(outdir, str(params.lang)),
              key=session.inputs.key(params) if session.inputs is not None else "")
    session.cache.reset_stats()
    try:
        execute(session, job)
        export_page(session, job)
        t = time.perf_counter()
        if job.prepared is not None:
            job.prepared.quarter()  # no other thread of ours runs past here: the printer forks
        t = job.lap("wait_data", t)
        print_and_audit(session, job)
        if "html" not in opts.formats:
            for document in job.pages:
                (job.tmp / f"{document}.html").unlink()
        write_manifest(session, job)
        publish(job)
        return job.result("built")
    except Exception as exc:  # any failure fails this report, not the batch
        session.executor.failed()  # its kernels' state is unknown
        kept = keep_failed(job.tmp, job.outdir)
        message = failure_message(exc, opts.notebook)
        if isinstance(exc, OSError) and exc.filename:
            message = f"{exc.strerror or exc} writing {exc.filename}"
        if kept:
            message += f" (executed notebook kept as {display_path(Path(kept[0]))})"
        return job.result("failed", message)
    finally:
        shutil.rmtree(job.tmp, ignore_errors=True)


def print_and_audit(session: Session, job: Job) -> None:
    """Print each document's PDF in child processes while this one audits the pages; then
    audit each PDF. Every printer is waited for, even when an audit fails."""
    pdf = "pdf" in session.options.formats
    waits = {d: print_pdf(session, job, d) for d in job.pages} if pdf else {}
    try:
        for document in job.pages:
            audit(session, job, "html", document)
    except BaseException:
        for wait in waits.values():
            with contextlib.suppress(Exception):
                wait()
        raise
    for document, wait in waits.items():
        t = time.perf_counter()
        wait()
        job.lap(f"pdf_{document}", t)
        audit(session, job, "pdf", document)


def display_path(p: Path) -> str:
    """A path as the user would type it: relative to the working folder where it is inside."""
    with contextlib.suppress(ValueError):
        return str(Path(p).resolve().relative_to(Path.cwd()))
    return str(p)
