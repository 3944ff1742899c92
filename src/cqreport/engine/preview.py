"""``cqreport preview``: one report served on 127.0.0.1, rebuilt on every save.

The preview is the build's own steps (:mod:`cqreport.engine.steps`) with the warm
executor (:mod:`cqreport.engine.warm`): the same plan chooses the quarter and
parses the parameters, the same papermill parameterization feeds the notebook,
the same export and audit check the page. What differs:

* The kernels are kept between builds, and a build runs only what the saved
  files require (the kinds of change of :func:`classify`); chart cells whose
  rows did not change come from the work cache.
* The data is validated in this process first, so a bad row shows at once.
* The report's page and its evidence's are audited, then written together to
  ``reports/.preview/<quarter>/<lang>/`` (``report.html``, ``evidence.html``: each
  staged whole, then both renamed); ``reports/<quarter>/`` is never touched. The
  server serves both, and prints either PDF on request. A failed validation, cell or audit shows its one-line message
  (file, row, column) on the page instead of a stale report.
* The server (:mod:`cqreport.engine.server`) polls nothing itself: the served page
  carries a small script that reloads it when a new build is ready.
* Files are watched with ``watchfiles`` (Rust ``notify``: inotify on Linux, no
  polling, changes grouped until the writes settle).
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..core import paths
from ..core.files import stage
from ..core.periods import parse_quarter
from ..core.vocab import Lang
from .cache import WorkCache
from .export import page_template
from .folders import check_reports_dir
from .kernel import CELL_TIMEOUT, KERNEL_NAME, check_kernel
from .plan import BuildOptions, plan, report_notebook
from .server import DEFAULT_PORT, PdfPrinter, State, make_server, print_with_limit
from .steps import DOCUMENTS, Job, Session, audit, execute, export_page
from .units import package_digest
from .verify import audit_report
from .warm import ASSETS, DATA, LIBRARY, NOTEBOOK, TEMPLATES, WarmExecutor

PREVIEW_DIR = ".preview"
LIBRARY_SUFFIXES = (".py", ".toml", ".json", ".txt")


def classify(changed: Iterable[str | os.PathLike], *, data_dir: Path, sources_dir: Path | None,
             notebook: Path) -> set[str]:
    """The kinds of change among saved files (data, notebook, library, templates, assets)."""
    kinds = set()
    pkg = paths.PACKAGE_DIR.resolve()
    for raw in changed:
        p = Path(raw).resolve()
        if p == notebook:
            kinds.add(NOTEBOOK)
        elif _under(p, data_dir) or (sources_dir is not None and _under(p, sources_dir)):
            kinds.add(DATA)
        elif _under(p, paths.TEMPLATES_DIR.resolve()):
            kinds.add(TEMPLATES)
        elif _under(p, paths.ASSETS_DIR.resolve()):
            kinds.add(ASSETS)
        elif _under(p, pkg):
            kinds.add(LIBRARY)
    return kinds


def _under(p: Path, folder: Path) -> bool:
    return p == folder or folder in p.parents


def watch_filter(notebook: Path) -> Callable[[Any, str], bool]:
    """The files worth a rebuild: no caches, editor swap files or hidden temporaries."""
    pkg = paths.PACKAGE_DIR.resolve()

    def keep(_change: Any, path: str) -> bool:
        p = Path(path)
        if "__pycache__" in p.parts or p.name.startswith((".", "#")) or p.name.endswith(("~", ".swp")):
            return False
        if p.resolve() == notebook:
            return True
        if p.suffix == ".ipynb":
            return False  # other notebooks beside it
        if _under(p.resolve(), pkg):
            return p.suffix in LIBRARY_SUFFIXES or p.suffix in (".j2", ".css", ".html")
        return True

    return keep


class Preview:
    """One report (quarter, language) kept built in warm kernels.

    Raises:
        ParameterError, QuarterError: Bad options, before any kernel starts.
    """

    def __init__(self, quarter: str | None = None, lang: str = "zh", *,
                 data_dir: str | os.PathLike | None = None,
                 sources_dir: str | os.PathLike | None = None,
                 notebook: str | os.PathLike | None = None,
                 reports_dir: str | os.PathLike | None = None,
                 kernel: str = KERNEL_NAME, timeout: int = CELL_TIMEOUT,
                 echo: Callable[[str], None] | None = None):
        self.lang = Lang.parse(lang)
        self.quarter_asked = parse_quarter(quarter) if quarter else None
        data = paths.descriptor(data_dir).parent.resolve()
        if sources_dir is not None:
            # the kernel inherits it: the notebook's load_dataset checks the quotes against them
            os.environ["CQREPORT_SOURCES"] = str(Path(sources_dir).resolve())
        src = paths.sources_dir()
        self.sources_dir = src.resolve() if src is not None else None
        rdir = Path(paths.reports_dir(reports_dir)).resolve()
        check_reports_dir(rdir, force=False)
        self.options = BuildOptions(report_notebook(notebook), data, rdir, formats=("html",),
                                    kernel=kernel, timeout=timeout)
        cache = WorkCache()
        # On two cores or more, a second kernel draws the charts while the first writes
        # the narrative: after a data change they are the two long parts of the report.
        executor = WarmExecutor(kernel, cache, chart_kernel=(os.cpu_count() or 1) >= 2)
        self.session = Session(self.options, None, executor, cache, audit_report)
        self.echo = echo or (lambda s: print(s, file=sys.stderr, flush=True))
        self.state = State()
        self.lock = threading.Lock()
        self.params: Any = None
        self.need_full = True
        self.timings: dict[str, float] = {}
        self.printer = PdfPrinter(self.outdir, print_with_limit)

    @property
    def data_dir(self) -> Path:
        return self.options.data_dir

    @property
    def notebook(self) -> Path:
        return self.options.notebook

    @property
    def outdir(self) -> Path:
        q = self.params.quarter if self.params is not None else (self.quarter_asked or "latest")
        return self.options.reports_dir / PREVIEW_DIR / str(q) / str(self.lang)

    def current(self) -> State:
        """The state served now."""
        with self.lock:
            return self.state

    def start(self) -> None:
        """Start the kernels (they import the library while the first build is planned)."""
        check_kernel(self.options.kernel)
        self.session.executor.start()

    def close(self) -> None:
        """Shut the kernels down."""
        self.session.executor.close()

    # -- one build

    def rebuild(self, kinds: set[str], changed: list[str] | None = None) -> State:
        """Bring the page up to date after changes of these kinds; never raises a report error."""
        t0 = time.perf_counter()
        with self.lock:
            self.state = State(**{**vars(self.state), "building": True})
        ok, pages, message = False, {}, ""
        try:
            pages = self._build(kinds)
            self._write(pages)
            ok = True
        except Exception as exc:  # shown on the page; the next build starts afresh
            message = _message(exc)
            self.need_full = True
        seconds = round(time.perf_counter() - t0, 3)
        with self.lock:
            st = self.state
            self.state = State(build=st.build + 1, ok=ok, building=False,
                               pages=pages if ok else st.pages, message=message, seconds=seconds,
                               changed=list(changed or []), timings=dict(self.timings))
            state = self.state
        self.echo(f"preview: build {state.build} {'ok' if ok else 'FAILED'} in {seconds:.2f} s"
                  + (f" ({', '.join(sorted(kinds))})" if kinds else "")
                  + ("" if ok else f": {_first_problem(message)}"))
        return state

    def _write(self, pages: dict[str, str]) -> None:
        """Write the pages to the preview folder: each staged whole first, then all renamed
        (a page this build has not, an evidence the notebook no longer writes, is removed)."""
        self.outdir.mkdir(parents=True, exist_ok=True)
        staged = []
        try:
            for document, page in pages.items():
                staged.append(stage(self.outdir / f"{document}.html", page.encode()))
            for s in staged:
                s.commit()
        finally:
            for s in staged:
                s.discard()
        for document in set(DOCUMENTS) - set(pages):
            (self.outdir / f"{document}.html").unlink(missing_ok=True)

    def _build(self, kinds: set[str]) -> dict[str, str]:
        t = time.perf_counter()
        if LIBRARY in kinds:
            _purge_library()
            package_digest.cache_clear()
        if kinds & {ASSETS, LIBRARY}:
            page_template.cache_clear()
        if self.session.loaded is None or kinds & {DATA, LIBRARY}:
            # validated here first: bad data shows at once, without running a cell, and good
            # data leaves its validation stamp, so the kernels only read the tables
            self.session.forget_data()
            dataset = self.session.dataset()
            if self.params is None:  # the first build (or after a failed one): the quarter
                self.params = plan(self.options, quarters=[self.quarter_asked] if self.quarter_asked
                                   else None, lang=[self.lang], quarters_available=dataset.quarters)[0]
                self.printer.folder = self.outdir
        job = Job(self.params, self.outdir, None, t0=t)
        job.lap("validate", t)
        try:
            execute(self.session, job, changes=None if self.need_full else kinds)
            export_page(self.session, job)
            for document in job.pages:
                audit(self.session, job, "html", document)
        finally:
            self.timings = dict(job.timings)
        self.need_full = False
        return dict(job.pages)


def _message(exc: BaseException) -> str:
    """One message for the page: a failing cell's error, or the cqreport error as it is."""
    ename = getattr(exc, "ename", None)
    if ename is not None:  # papermill.PapermillExecutionError
        evalue = str(getattr(exc, "evalue", "")).strip()
        return evalue if evalue.startswith(ename) else f"{ename}: {evalue}"
    return f"{type(exc).__name__}: {exc}"


def _first_problem(message: str) -> str:
    """The line of a message worth a log line: the first problem, not a "N problem(s):" heading."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    if len(lines) > 1 and lines[0].endswith(":"):
        return f"{lines[0]} {lines[1]}" + (" …" if len(lines) > 2 else "")
    return lines[0] if lines else ""


def _purge_library() -> None:
    """Forget the cqreport modules above this one in this process, so the audit uses the
    changed code (engine, cli and errors stay: they are running)."""
    keep = ("cqreport.engine", "cqreport.cli", "cqreport.errors", "cqreport.__main__")
    for name in [n for n in sys.modules if n.startswith("cqreport.")]:
        if not name.startswith(keep):
            del sys.modules[name]


def watched_paths(preview: Preview) -> list[Path]:
    """The folders watched: data, sources, the notebook's folder and the library."""
    out = [preview.data_dir, preview.notebook.parent, paths.PACKAGE_DIR.resolve()]
    if preview.sources_dir is not None:
        out.append(preview.sources_dir)
    return out


def serve(quarter: str | None = None, lang: str = "zh", *, port: int = DEFAULT_PORT,
          open_browser: bool = True, ready: Callable[[str], None] | None = None,
          stop: threading.Event | None = None, **kwargs: Any) -> None:
    """Build once, serve on 127.0.0.1, rebuild on every saved change until Ctrl-C (or ``stop``).

    Args:
        quarter: Quarter to preview (default: the latest with data).
        lang: Report language.
        port: Port on 127.0.0.1 (0: any free port).
        open_browser: Open the page in the default browser once built.
        ready: Called with the URL once the server listens.
        stop: An event that ends the preview (tests); Ctrl-C does the same.
        **kwargs: data_dir, sources_dir, notebook, reports_dir, kernel, timeout, echo.

    Raises:
        ParameterError: Bad options or a port in use, before any kernel starts.
    """
    import watchfiles

    preview = Preview(quarter, lang, **kwargs)
    server = make_server(preview.current, preview.printer, port)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    stop = stop or threading.Event()
    changes: queue.Queue[set[str]] = queue.Queue()

    def watch() -> None:
        keep = watch_filter(preview.notebook)
        for batch in watchfiles.watch(*watched_paths(preview), watch_filter=keep, step=20,
                                      debounce=400, stop_event=stop, raise_interrupt=False,
                                      yield_on_timeout=False):
            changes.put({p for _c, p in batch})

    threads = [threading.Thread(target=server.serve_forever, name="cqreport-preview-http",
                                daemon=True),
               threading.Thread(target=watch, name="cqreport-preview-watch", daemon=True)]
    if threading.current_thread() is threading.main_thread():
        import signal

        def on_term(_sig: int, _frame: Any) -> None:
            raise KeyboardInterrupt  # `kill` stops it as cleanly as Ctrl-C

        signal.signal(signal.SIGTERM, on_term)
        # Ctrl-C even when started in the background of a script (which ignores SIGINT)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        for t in threads:
            t.start()
        preview.echo(f"preview: {url} (Ctrl-C to stop); building…")
        if ready:
            ready(url)
        preview.start()
        preview.rebuild(set())
        if open_browser:
            import webbrowser

            with contextlib.suppress(Exception):
                webbrowser.open(url)
        _loop(preview, changes, stop)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        preview.close()
        preview.echo("preview: stopped")


def _loop(preview: Preview, changes: queue.Queue[set[str]], stop: threading.Event) -> None:
    """Rebuild on each batch of saved files until stopped."""
    while not stop.is_set():
        try:
            batch = changes.get(timeout=0.2)
        except queue.Empty:
            continue
        # changes saved meanwhile join this build
        with contextlib.suppress(queue.Empty):
            while True:
                batch |= changes.get_nowait()
        kinds = classify(batch, data_dir=preview.data_dir, sources_dir=preview.sources_dir,
                         notebook=preview.notebook)
        if kinds:
            preview.rebuild(kinds, sorted(batch))


__all__ = ["Preview", "classify", "serve", "watch_filter"]
