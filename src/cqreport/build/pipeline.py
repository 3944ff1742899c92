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
import functools
import hashlib
import html as html_lib
import json
import multiprocessing
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from ..core import paths
from ..errors import AuditError, BuildError, CqreportError, ParameterError
from ..dataset.load import data_files, hash_files
from ..report.params import (
    ReportParams,
    check_names,
    check_quarter,
    expand_langs,
    notebook_parameters,
    parse_lang,
    validate_params,
)
from ..core.periods import parse_quarter

# jsonschema, under nbformat, imports the optional rfc3987_syntax when it is installed
# (jupyterlab's dependencies bring it), and that module compiles a Lark grammar at
# import: a second of every build. Notebook schemas use no IRI formats, so the build
# process does without it (jsonschema treats a blocked import as "not installed").
sys.modules.setdefault("rfc3987_syntax", None)

KERNEL_NAME = "cqreport"
CELL_TIMEOUT = 300  # seconds per cell; the whole report runs in well under a minute
FORMATS = ("html", "pdf")
REPORT_NOTEBOOK = "quarterly_report.ipynb"
REMOVE_TAG = "remove-from-report"
MANIFEST = "manifest.json"
FAILED_NOTEBOOK = "report.failed.ipynb"
FAILED_HTML = "report.failed.html"
# Imported in the kernel while this process gets ready: the notebook needs them anyway.
# Run by the kernel as it starts (IPython exec_lines), so these imports overlap with this
# process's own preparation. It binds no name and never fails.
WARMUP_MODULES = ("IPython.display", "cqreport.report.params", "cqreport.dataset.model", "cqreport.analysis.quarter",
                  "cqreport.report.narrative", "cqreport.report.charts", "seaborn",
                  "matplotlib.backends.backend_agg")
WARMUP_CODE = (f"for _m in {WARMUP_MODULES!r}:\n"
               "    try:\n        __import__(_m)\n    except Exception:\n        pass\n"
               "del _m")
VERSIONED = ("cqreport", "papermill", "nbconvert", "nbclient", "ipykernel", "weasyprint",
             "matplotlib", "seaborn", "pandas", "pandera", "jinja2", "pypdf",
             "pylopdf-fonts-zh-cn")
_GLYPH_RE = re.compile(r"Glyph .{0,40}missing", re.S)

# (dataset, params, page or None, pdf or None) -> summary; raises AuditError
Auditor = Callable[[Any, ReportParams, str | None, Path | None], dict]


# ---------------------------------------------------------------------------
# Inputs and their fingerprints


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def data_hash(data_dir: Path) -> str:
    """Fingerprint of the curated data: the descriptor and the tables."""
    if not (Path(data_dir) / "datapackage.json").is_file():
        raise ParameterError(f"data folder {data_dir} holds no datapackage.json")
    return hash_files(data_files(data_dir), Path(data_dir))


def code_hash() -> str:
    """Fingerprint of the installed cqreport package (modules, templates, assets)."""
    root = paths.PACKAGE_DIR
    files = [f for f in root.rglob("*") if f.is_file() and "__pycache__" not in f.parts
             and f.suffix in (".py", ".j2", ".css", ".html", ".json", ".txt")]
    return hash_files(files, root)


def package_versions() -> dict[str, str]:
    """Versions of the packages that shape a report, and of Python."""
    out = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_revision(root: Path | None = None) -> str | None:
    """The checkout's commit (with ``-dirty`` if it has changes), or None outside git."""
    root = root or paths.project_root()
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return rev + ("-dirty" if dirty.strip() else "") if rev else None


@dataclass(frozen=True)
class Inputs:
    """Fingerprints of everything a report depends on, except its parameters."""

    notebook: str
    data: str
    code: str
    packages: dict[str, str]
    font: str
    kernel: str
    formats: tuple[str, ...]

    def key(self, params: ReportParams, extra: dict[str, str]) -> str:
        """The cache key of one report: same key, same report."""
        blob = json.dumps({"inputs": asdict(self), "params": asdict(params), "extra": extra},
                          sort_keys=True)
        return sha256_bytes(blob.encode())


def font_fingerprint() -> str:
    """Which CJK font file the charts and pages use (path, face, size)."""
    from ..report.fonts import find_cjk_font

    f = find_cjk_font()
    return f"{f.path}#{f.index}:{f.path.stat().st_size}"


def collect_inputs(notebook: Path, data_dir: Path, kernel: str,
                   formats: Sequence[str]) -> Inputs:
    """Fingerprint the inputs of a build."""
    return Inputs(
        notebook=sha256_bytes(Path(notebook).read_bytes()),
        data=data_hash(data_dir),
        code=code_hash(),
        packages=package_versions(),
        font=font_fingerprint(),
        kernel=kernel,
        formats=tuple(formats),
    )


# ---------------------------------------------------------------------------
# Quarters with data (cached by data hash, so an unchanged rebuild loads nothing)


_DATASETS: dict[str, Any] = {}


def load_data(data_dir: Path) -> Any:
    """Load (once per process) and validate the dataset."""
    key = str(Path(data_dir).resolve())
    if key not in _DATASETS:
        from ..dataset.model import load_dataset

        _DATASETS[key] = load_dataset(data_dir)
    return _DATASETS[key]


def quarters_with_data(data_dir: Path, digest: str, cache_dir: Path | None) -> list[str]:
    """Quarters that have data, from a small cache keyed by the data hash, else from the data."""
    cache = cache_dir / "quarters.json" if cache_dir else None
    if cache and cache.is_file():
        with contextlib.suppress(ValueError, OSError):
            saved = json.loads(cache.read_text(encoding="utf-8"))
            if saved.get("data_hash") == digest:
                return list(saved["quarters"])
    quarters = [str(q) for q in load_data(data_dir).quarters()]
    if cache:
        with contextlib.suppress(OSError):
            cache.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(cache, json.dumps({"data_hash": digest, "quarters": quarters}))
    return quarters


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


def check_kernel(name: str) -> None:
    """Fail early, with the fix, when the named kernel is not installed."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel as exc:
        raise BuildError(
            f"Jupyter kernel {name!r} is not installed; run `make install`, or "
            f"`{sys.executable} -m ipykernel install --sys-prefix --name {name}`"
        ) from exc


# Between two reports run in one kernel: forget every name the last one made
# (modules stay imported) and number cells from one again.
RESET_CODE = ("get_ipython().run_line_magic('reset', '-f')\n"
              "get_ipython().execution_count = 1")


class Kernel:
    """A kernel for the reports of a batch, warming up while this process gets ready.

    The warm-up imports run as IPython ``exec_lines`` inside the kernel's own
    start-up, so papermill simply finds the kernel ready (and the imports done)
    when it connects. A batch runs its reports one after another in the same
    kernel, with the user namespace reset in between (:meth:`reset`); after a
    failed report the kernel is thrown away, since its state is unknown.
    """

    def __init__(self, name: str, warmup: str | None = WARMUP_CODE):
        from jupyter_client.manager import KernelManager

        class TrackingKernelManager(KernelManager):
            """Remembers the clients papermill makes, to close them after each report."""

            def client(self, **kwargs):
                kc = super().client(**kwargs)
                clients.append(kc)
                return kc

        clients: list = []
        self.clients = clients
        self.km = TrackingKernelManager(kernel_name=name)
        # a folder of its own: for the local sockets, and as a working directory
        # that outlives every report folder
        self.home = Path(tempfile.mkdtemp(prefix="cqreport-kernel-"))
        if sys.platform.startswith("linux"):
            # local sockets: no TCP ports to race for, no "unencrypted TCP" warning
            self.km.transport = "ipc"
            self.km.ip = str(self.home / "kernel")
        # No input history: the reports need none, parallel kernels would contend for
        # one SQLite file, and restarting the cell numbers would collide in it.
        extra = ["--HistoryManager.enabled=False"]
        if warmup:
            extra.append(f"--IPKernelApp.exec_lines={json.dumps([warmup])}")
        self.km.start_kernel(cwd=str(self.home), extra_arguments=extra)
        self.reports = 0
        self._reset_id: str | None = None
        self._control = None

    def close_clients(self) -> None:
        """Close papermill's clients of the last report (it leaves them open when it does
        not own the kernel; open sockets would also hold up this process's exit)."""
        for kc in self.clients:
            if kc is self._control:
                continue
            with contextlib.suppress(Exception):
                kc.stop_channels()
                kc.context.destroy(linger=0)
        self.clients[:] = [self._control] if self._control is not None else []

    def reset(self) -> None:
        """Start resetting the namespace; the next :meth:`wait_reset` waits for it."""
        self.close_clients()
        if self._control is None:
            # A session of its own: clients sharing the manager's session share one
            # socket identity, and the kernel routes replies to the newest of them.
            from jupyter_client.session import Session

            own = Session(key=self.km.session.key,
                          signature_scheme=self.km.session.signature_scheme)
            self._control = self.km.client(session=own)
            self._control.start_channels()
            self._control.wait_for_ready(timeout=60)
        self._reset_id = self._control.execute(RESET_CODE, silent=True, store_history=False,
                                               stop_on_error=False)

    def wait_reset(self, timeout: float = 60) -> None:
        """Wait until the kernel has done the reset asked for by :meth:`reset`."""
        if self._reset_id is None:
            return
        deadline = time.monotonic() + timeout
        while True:
            msg = self._control.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if msg["parent_header"].get("msg_id") == self._reset_id:
                break
        self._reset_id = None
        if msg["content"].get("status") != "ok":
            raise BuildError(f"could not reset the kernel between reports: {msg['content']}")

    def shutdown(self) -> None:
        """Kill the kernel (the executed notebooks are saved by then)."""
        self._control_close()
        self.close_clients()
        with contextlib.suppress(Exception):
            self.km.shutdown_kernel(now=True)
        shutil.rmtree(self.home, ignore_errors=True)

    def _control_close(self) -> None:
        if self._control is not None:
            with contextlib.suppress(Exception):
                self._control.stop_channels()
                self._control.context.destroy(linger=0)
            self._control = None


# ---------------------------------------------------------------------------
# Exports


def _notebook_for_export(nb):
    """A copy of the executed notebook as the reader sees it: no code, no notes, no stderr."""
    import copy

    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if REMOVE_TAG not in c.get("metadata", {}).get("tags", [])
                and "parameters" not in c.get("metadata", {}).get("tags", [])
                and "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    return nb


def notebook_warnings(nb) -> list[str]:
    """stderr text of every code cell, each prefixed with its cell number."""
    found = []
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if o.get("output_type") == "stream" and o.get("name") == "stderr":
                found.append(f"cell {i}: {o.get('text', '').strip()}")
    return found


def check_glyphs(nb) -> None:
    """Fail on a matplotlib "Glyph … missing from font" warning: Chinese drawn as boxes."""
    bad = [w for w in notebook_warnings(nb) if _GLYPH_RE.search(w)]
    if bad:
        raise BuildError("a chart is missing glyphs (text would show as boxes): " + bad[0][:300])


def page_title(body: str) -> str:
    """The text of the first heading of the rendered body."""
    m = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S) or re.search(r"<h2[^>]*>(.*?)</h2>", body, re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip() if m else "cqreport"


@functools.cache
def _html_exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True, anchor_link_text="")


@functools.cache
def _page_template():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(paths.ASSETS_DIR),
                      autoescape=select_autoescape(["html"]))
    return env.get_template("report_page.html")


def export_html(nb, lang: str) -> str:
    """The executed notebook as one self-contained HTML page (no code, embedded font)."""
    from ..report.fonts import css_font_face

    body, _ = _html_exporter().from_notebook_node(_notebook_for_export(nb))
    title = page_title(body)
    css = (paths.ASSETS_DIR / "report.css").read_text(encoding="utf-8")
    page = _page_template().render(lang="zh-CN" if lang == "zh" else "en", title=title,
                                   css=css, body=body)
    font_css = css_font_face(visible_text(page) + title)
    return page.replace("/*@font-face*/", font_css, 1)


def visible_text(page: str) -> str:
    """The text a reader sees in an HTML page (tags, styles and data URIs dropped).

    >>> visible_text('<p>余额 <b>6.54</b>万亿元</p><style>p{}</style>')
    '余额 6.54万亿元'
    """
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", "", page)
    return html_lib.unescape(page).strip()


def start_pdf(page: str, target: Path, base_url: Path) -> Callable[[], None]:
    """Start printing the PDF; return the function that waits for it.

    On Linux the PDF is printed by a forked child process, so that this process
    can audit the HTML meanwhile (on the other core). Elsewhere it is printed here.

    Raises:
        BuildError: From the returned function, if the PDF could not be made.
    """
    if not sys.platform.startswith("linux"):
        export_pdf(page, target, base_url)
        return lambda: None
    error_file = target.with_name(target.name + ".error")
    proc = multiprocessing.get_context("fork").Process(
        target=_pdf_child, args=(page, target, base_url, error_file), name="cqreport-pdf")
    proc.start()

    def wait() -> None:
        proc.join()
        if proc.exitcode != 0 or not target.is_file():
            detail = error_file.read_text(encoding="utf-8") if error_file.is_file() else ""
            raise BuildError(f"WeasyPrint could not print the PDF (exit code {proc.exitcode})"
                             + (f": {detail}" if detail else ""))

    return wait


def _pdf_child(page: str, target: Path, base_url: Path, error_file: Path) -> None:
    try:
        export_pdf(page, target, base_url)
    except BaseException as exc:
        error_file.write_text(f"{type(exc).__name__}: {exc}", encoding="utf-8")
        raise


def export_pdf(page: str, target: Path, base_url: Path) -> None:
    """Print the HTML page to an A4 PDF with WeasyPrint (fonts embedded as subsets)."""
    import weasyprint

    weasyprint.HTML(string=page, base_url=str(base_url)).write_pdf(str(target))


# ---------------------------------------------------------------------------
# The audit


_NARRATIVES: dict[tuple[int, str, str], Any] = {}


def read_record(nb) -> Any:
    """The narrative the executed notebook wrote, from its record output.

    Raises:
        BuildError: If the notebook shows no record (the cell ``report.record()``).
    """
    from ..report.narrative import RECORD_MIMETYPE, Narrative

    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = out.get("data", {})
            if RECORD_MIMETYPE in data:
                return Narrative.from_record(data[RECORD_MIMETYPE])
    raise BuildError("the notebook showed no narrative record (a cell `report.record()`): "
                     "the numbers audit has nothing to check the report against")


def prepare_audit(dataset: Any, params: ReportParams, nb: Any = None) -> Any:
    """Check the ledger of the narrative the notebook wrote against the data.

    Args:
        dataset: The data, loaded and validated in this process.
        params: The report's parameters.
        nb: The executed notebook; when given, its narrative record is read and
            checked, and kept for :func:`audit_report`.

    Returns:
        The narrative and the ledger findings.

    Raises:
        BuildError: If no notebook's record was read for this report.
    """
    from ..report import audit

    key = (id(dataset), params.quarter, params.lang)
    if nb is not None:
        nar = read_record(nb)
        _NARRATIVES[key] = (nar, audit.audit_ledger(nar, dataset))
    if key not in _NARRATIVES:
        raise BuildError(f"no narrative record read for {params.slug}")
    return _NARRATIVES[key]


def audit_report(dataset: Any, params: ReportParams, page: str | None,
                 pdf: Path | None) -> dict:
    """Check every number in the HTML (and PDF) text against the narrative's ledger,
    and the ledger against the data.

    The ledger is the one the notebook's narrative recorded as it wrote
    (:func:`prepare_audit`); it is checked against the data loaded here, and the
    rendered text against it.

    Raises:
        AuditError: Listing every number that does not trace back to the data.
    """
    from ..report import audit

    nar, ledger_findings = prepare_audit(dataset, params)
    report = audit.AuditReport(params.quarter, params.lang)
    texts = []
    if page is not None:
        texts.append(("html", audit.html_to_text(page)))
    if pdf is not None:
        texts.append(("pdf", audit.pdf_to_text(pdf)))
    for where, text in texts:
        _, figs, _ = audit.read_figures(text, nar.verbatim, nar.verbatim_inline)
        report.numbers_read[where] = len(figs)
        report.findings += audit.audit_text(text, nar, where)
    report.ledger_entries = len(nar.ledger)
    report.findings += ledger_findings
    if report.findings:
        lines = [report.summary(), *(f"  - {f}" for f in report.findings[:25])]
        if len(report.findings) > 25:
            lines.append(f"  … and {len(report.findings) - 25} more")
        raise AuditError("\n".join(lines))
    return {"summary": report.summary(), "numbers_read": dict(report.numbers_read),
            "ledger_entries": report.ledger_entries}


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


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def read_manifest(outdir: Path) -> dict | None:
    """The manifest of a built report, or None."""
    try:
        return json.loads((outdir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_current(outdir: Path, key: str, formats: Sequence[str]) -> bool:
    """True when the report in outdir was built from the same inputs and is complete."""
    manifest = read_manifest(outdir)
    if not manifest or manifest.get("cache_key") != key:
        return False
    needed = ["report.ipynb", *(f"report.{f}" for f in formats)]
    return all((outdir / n).is_file() for n in needed)


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
    """Move the failed executed notebook (and page) beside the previous good report."""
    kept = []
    outdir.mkdir(parents=True, exist_ok=True)
    for src, name in ((tmp / "report.ipynb", FAILED_NOTEBOOK), (tmp / "report.html", FAILED_HTML)):
        if src.is_file():
            os.replace(src, outdir / name)
            kept.append(str(outdir / name))
    return kept


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
    tmp = Path(tempfile.mkdtemp(prefix=f".{params.lang}.building-", dir=outdir.parent))
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
        if use_audit and auditor is audit_report:
            prepare_audit(dataset, params, nb)
        t = lap("ledger", t)
        pdf = None
        pdf_done: Callable[[], None] = lambda: None  # noqa: E731
        if "pdf" in options.formats:
            pdf = tmp / "report.pdf"
            pdf_done = start_pdf(page, pdf, tmp)
        audit = None
        try:
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
            "warnings": notebook_warnings(nb),
            "audit": audit,
            "outputs": {p.name: {"bytes": p.stat().st_size,
                                 "sha256": sha256_bytes(p.read_bytes())}
                        for p in sorted(tmp.iterdir()) if p.name.startswith("report.")},
        }
        _atomic_write(tmp / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        for stale in (FAILED_NOTEBOOK, FAILED_HTML):
            with contextlib.suppress(FileNotFoundError):
                (outdir / stale).unlink()
        _swap_into_place(tmp, outdir)
        return ReportResult(params.quarter, params.lang, "built", str(outdir),
                            round(time.perf_counter() - t0, 3), "", timings)
    except Exception as exc:  # any failure fails this report, not the batch
        kept = _keep_failed(tmp, outdir)
        message = _failure_message(exc)
        if kept:
            message += f" (executed notebook kept as {_display_path(Path(kept[0]))})"
        return ReportResult(params.quarter, params.lang, "failed", str(outdir),
                            round(time.perf_counter() - t0, 3), message, timings)
    finally:
        if kernel is not None and own_kernel:
            kernel.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


def _failure_message(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    if ename is not None:  # papermill.PapermillExecutionError
        return (f"cell {getattr(exc, 'cell_index', '?')} raised {ename}: "
                f"{str(getattr(exc, 'evalue', '')).strip()[:500]}")
    if isinstance(exc, CqreportError):
        return str(exc)
    return f"{type(exc).__name__}: {str(exc).strip()[:500]}"


# ---------------------------------------------------------------------------
# Batches


_WORKER: dict[str, Any] = {}


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
    for q in quarters or ():
        parse_quarter(q)  # a malformed quarter fails before the data is even read
    declared = list(notebook_parameters(options.notebook))
    check_names(options.extra, declared)
    clash = [n for n in options.extra if n in ("quarter", "lang", "data_dir")]
    if clash:
        raise ParameterError(f"give {clash[0]} with its own option (--{clash[0].replace('_', '-')}),"
                             " not as -p")
    have = quarters_available()
    if all_quarters:
        if quarters:
            raise ParameterError("give either --quarter or --all, not both")
        chosen = list(have)
        if not chosen:
            raise ParameterError("the data has no quarter with figures; nothing to build")
    elif quarters:
        chosen = [check_quarter(q, have) for q in quarters]
    else:
        if not have:
            raise ParameterError("the data has no quarter with figures; nothing to build")
        chosen = [have[-1]]
    data_dir = str(Path(options.data_dir).resolve())
    out = []
    for q in dict.fromkeys(chosen):
        for lg in langs:
            out.append(validate_params({"quarter": q, "lang": lg, "data_dir": data_dir},
                                       declared=declared, quarters=have))
    return out


def build(quarters: Sequence[str] | None = None, *, all_quarters: bool = False,
          lang: str = "zh", formats: Sequence[str] | str = FORMATS, force: bool = False,
          jobs: int | None = None, notebook: str | os.PathLike | None = None,
          data_dir: str | os.PathLike | None = None,
          reports_dir: str | os.PathLike | None = None, kernel: str = KERNEL_NAME,
          timeout: int = CELL_TIMEOUT, extra: dict[str, str] | None = None,
          audit: bool = True, auditor: Auditor | None = audit_report,
          progress: bool = True, echo: Callable[[str], None] | None = None) -> BuildSummary:
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
    options = BuildOptions(nb_path.resolve(), ddir.resolve(), rdir.resolve(), fmts, kernel,
                           int(timeout), force, audit, dict(extra or {}))
    inputs = collect_inputs(options.notebook, options.data_dir, kernel, fmts)
    todo = plan(quarters, all_quarters, lang, options,
                lambda: quarters_with_data(options.data_dir, inputs.data, rdir / ".cache"))
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
    m = read_manifest(options.reports_dir / p.quarter / p.lang) or {}
    return float((m.get("timings_s") or {}).get("total", 0.0)), p.quarter


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
            for fut in as_completed(futures):
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
    bar.close()
    return results


# ---------------------------------------------------------------------------
# The index page


def write_index(reports_dir: Path) -> Path:
    """Write ``reports/index.html`` linking every report that has a manifest."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    rows = []
    for manifest_path in sorted(Path(reports_dir).glob(f"*/*/{MANIFEST}")):
        m = read_manifest(manifest_path.parent)
        if not m:
            continue
        rel = manifest_path.parent.relative_to(reports_dir).as_posix()
        q, lg = rel.split("/", 1)
        files = {n: f"{rel}/{n}" for n in ("report.html", "report.pdf", "report.ipynb")
                 if (manifest_path.parent / n).is_file()}
        failed = (manifest_path.parent / FAILED_NOTEBOOK).is_file()
        rows.append({"quarter": q, "lang": lg, "files": files, "built_at": m.get("built_at", ""),
                     "failed": failed, "manifest": f"{rel}/{MANIFEST}",
                     "git": m.get("git_revision") or ""})
    rows.sort(key=lambda r: r["lang"] != "zh")  # Chinese first within a quarter...
    rows.sort(key=lambda r: r["quarter"], reverse=True)  # ...newest quarter first
    env = Environment(loader=FileSystemLoader(paths.ASSETS_DIR),
                      autoescape=select_autoescape(["html"]))
    css = (paths.ASSETS_DIR / "report.css").read_text(encoding="utf-8")
    text = env.get_template("index.html").render(rows=rows, css=css)
    from ..report.fonts import css_font_face

    text = text.replace("/*@font-face*/", css_font_face(visible_text(text)), 1)
    target = Path(reports_dir) / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(target, text)
    return target


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
