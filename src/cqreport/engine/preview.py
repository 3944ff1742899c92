"""``cqreport preview``: one report served on 127.0.0.1, rebuilt in a warm kernel on every save.

How it works:

* One Jupyter kernel is started once and kept: pandas, matplotlib, seaborn and
  the library stay imported between builds. The notebook's cells are run in it
  one by one (:class:`WarmKernel`), so each cell's outputs are kept and a build
  re-runs only what a change requires:

  - data or source texts, the notebook: the namespace is cleared and every cell re-run;
  - a library module: the cqreport modules are dropped from the kernel (and re-imported
    by the notebook's own imports), then every cell re-run;
  - a narrative template only: the statements that use the ``narrative`` module and
    everything that reads what they bind (:func:`dirty_statements`); the chart cells
    keep their outputs, since templates only word the text;
  - the page stylesheet or frame only: the page is exported again, no cell runs.

* The page is exported as ``cqreport build`` does (same exporter), audited against
  the data, and written atomically to ``reports/.preview/<quarter>/<lang>/report.html``;
  ``reports/<quarter>/`` is never touched. A failed validation, cell or audit shows
  its one-line message (file, row, column) on the page instead of a stale report.
* The served page (never the file) carries a small script that polls
  ``/__preview/state`` and reloads when a new build is ready. ``/pdf`` prints the
  current page to PDF on request.
* Files are watched with ``watchfiles`` (Rust ``notify``: inotify on Linux, no
  polling, changes grouped until the writes settle).
"""

from __future__ import annotations

import ast
import contextlib
import copy
import html as html_lib
import json
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import paths
from ..core.files import atomic_write_text
from ..errors import BuildError, CqreportError, ParameterError
from .kernel import CELL_TIMEOUT, KERNEL_NAME, RESET_CODE, Kernel

PREVIEW_DIR = ".preview"
STATE_PATH = "/__preview/state"
DEFAULT_PORT = 8765

# Dropping every cqreport module from the kernel: the notebook's own imports then load
# the changed code. Heavy libraries (pandas, matplotlib) stay imported.
PURGE_CODE = ("import sys as _s\n"
              "for _n in [n for n in _s.modules if n == 'cqreport' or n.startswith('cqreport.')]:\n"
              "    del _s.modules[_n]\n"
              "del _s, _n")

# Kinds of change, from what a saved file is.
DATA, NOTEBOOK, LIBRARY, TEMPLATES, ASSETS = "data", "notebook", "library", "templates", "assets"
LIBRARY_SUFFIXES = (".py", ".toml", ".json", ".txt")


# ---------------------------------------------------------------------------
# Running cells in a kept kernel


@dataclass
class CellError(Exception):
    """A cell raised: its exception name and message."""

    ename: str
    evalue: str

    def __str__(self) -> str:
        return f"{self.ename}: {self.evalue}"


class WarmKernel:
    """A kernel kept across builds, running code cell by cell and returning nbformat outputs."""

    def __init__(self, name: str = KERNEL_NAME):
        from jupyter_client.session import Session

        self.kernel = Kernel(name)
        km = self.kernel.km
        # a session of its own, as Kernel.reset does, so replies are routed to this client
        own = Session(key=km.session.key, signature_scheme=km.session.signature_scheme)
        self.client = km.client(session=own)
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def run(self, code: str, timeout: float = CELL_TIMEOUT, cell: bool = True) -> list[Any]:
        """Run code; return its outputs. Raises CellError when it raises.

        A notebook cell (``cell``) is run as Jupyter runs one: stored in the (in-memory)
        history, which is where IPython looks for a closing ``;`` that hides the value."""
        from nbformat.v4 import output_from_msg

        msg_id = self.client.execute(code, store_history=cell, allow_stdin=False,
                                     stop_on_error=True)
        outputs: list[Any] = []
        error: CellError | None = None
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kernel.km.interrupt_kernel()
                raise BuildError(f"a cell ran longer than {timeout:.0f} s")
            try:
                msg = self.client.get_iopub_msg(timeout=min(left, 1.0))
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content.get("execution_state") == "idle":
                break
            if kind == "clear_output":
                outputs.clear()
            elif kind in ("stream", "display_data", "execute_result", "error"):
                outputs.append(output_from_msg(msg))
                if kind == "error":
                    error = CellError(content.get("ename", "Error"), content.get("evalue", ""))
        # the shell reply follows the idle status; drain it so replies never pile up
        with contextlib.suppress(queue.Empty):
            while self.client.get_shell_msg(timeout=5)["parent_header"].get("msg_id") != msg_id:
                pass
        if error is not None:
            raise error
        return outputs

    def shutdown(self) -> None:
        """Stop the kernel and close the client."""
        with contextlib.suppress(Exception):
            self.client.stop_channels()
        self.kernel.shutdown()


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


# ---------------------------------------------------------------------------
# The preview


@dataclass
class State:
    """What the server shows: the last build's page, or its error."""

    build: int = 0
    ok: bool = False
    building: bool = True
    page: str = ""
    message: str = ""
    seconds: float = 0.0
    changed: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    pdf: Path | None = None


class Preview:
    """One report (quarter, language) kept built in a warm kernel."""

    def __init__(self, quarter: str | None = None, lang: str = "zh", *,
                 data_dir: str | os.PathLike | None = None,
                 sources_dir: str | os.PathLike | None = None,
                 notebook: str | os.PathLike | None = None,
                 reports_dir: str | os.PathLike | None = None,
                 kernel: str = KERNEL_NAME, timeout: int = CELL_TIMEOUT,
                 echo: Callable[[str], None] | None = None):
        from ..report.params import parse_lang
        from .pipeline import REPORT_NOTEBOOK

        self.lang = parse_lang(lang)
        self.quarter_asked = quarter
        self.data_dir = Path(paths.data_dir(data_dir)).resolve()
        if not (self.data_dir / "datapackage.json").is_file():
            raise ParameterError(f"data folder {self.data_dir} has no datapackage.json")
        if sources_dir is not None:
            # the kernel inherits it: the notebook's load_dataset checks the quotes against them
            os.environ["CQREPORT_SOURCES"] = str(Path(sources_dir).resolve())
        src = paths.sources_dir()
        self.sources_dir = src.resolve() if src is not None else None
        self.notebook = Path(notebook or paths.notebooks_dir() / REPORT_NOTEBOOK).resolve()
        if not self.notebook.is_file():
            raise ParameterError(f"notebook {self.notebook} not found")
        self.reports_dir = Path(paths.reports_dir(reports_dir)).resolve()
        self.kernel_name, self.timeout = kernel, timeout
        self.echo = echo or (lambda s: print(s, file=sys.stderr, flush=True))
        self.state = State()
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.kernel: WarmKernel | None = None
        # On two cores or more, a second kernel draws the charts while the first writes
        # the narrative: after a data change they are the two long parts of the report.
        self.two_kernels = (os.cpu_count() or 1) >= 2
        self.chart_kernel: WarmKernel | None = None
        self.dataset: Any = None
        self.params: Any = None
        self.nb: Any = None
        self.outputs: dict[int, list[Any]] = {}
        self.need_full = True
        self.timings: dict[str, float] = {}

    def _lap(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[name] = round(self.timings.get(name, 0.0) + now - since, 3)
        return now

    # -- the kernel and the inputs

    def start(self) -> None:
        """Start the kernel (it imports the library while the first build is planned)."""
        from .kernel import check_kernel

        check_kernel(self.kernel_name)
        from .pipeline import Background

        # the second kernel, for the chart cells, starts alongside the first
        charts = Background(WarmKernel, self.kernel_name) if self.two_kernels else None
        self.kernel = WarmKernel(self.kernel_name)
        self.chart_kernel = charts.result() if charts is not None else None

    def close(self) -> None:
        """Shut the kernel down."""
        for k in (self.kernel, self.chart_kernel):
            if k is not None:
                k.shutdown()
        self.kernel = self.chart_kernel = None

    @property
    def outdir(self) -> Path:
        q = self.params.quarter if self.params is not None else (self.quarter_asked or "latest")
        return self.reports_dir / PREVIEW_DIR / q / self.lang

    def _load_dataset(self) -> Any:
        from ..dataset.model import load_dataset

        return load_dataset(self.data_dir, self.sources_dir)

    def _prepare_audit_data(self, ds: Any) -> Any:
        from ..analysis.derive import derived
        from ..analysis.quarter import quarter_data

        # both memoized on the dataset: the audit's ledger check then only reads them
        # (done while the kernels run, as the build's own _prepare does)
        derived(ds)
        quarter_data(ds, self.params.quarter)
        return ds

    def _resolve_params(self, dataset: Any) -> Any:
        from ..core.periods import parse_quarter, require_quarter
        from ..report.params import notebook_parameters, validate_params

        have = [parse_quarter(str(q)) for q in dataset.quarters()]
        if self.quarter_asked:
            q = require_quarter(parse_quarter(self.quarter_asked), have)
        elif have:
            q = have[-1]
        else:
            raise ParameterError("the data has no quarter with figures; nothing to preview")
        return validate_params({"quarter": q, "lang": self.lang, "data_dir": str(self.data_dir)},
                               declared=list(notebook_parameters(self.notebook)), quarters=None)

    # -- one build

    def rebuild(self, kinds: set[str], changed: list[str] | None = None) -> State:
        """Bring the page up to date after changes of these kinds; never raises a report error."""
        t0 = time.perf_counter()
        self.timings = {}
        with self.lock:
            self.state.building = True
        ok, page, message = False, "", ""
        try:
            page = self._build(kinds)
            ok = True
        except CellError as exc:
            message = exc.evalue if exc.ename.endswith("Error") and exc.evalue else str(exc)
            message = f"{exc.ename}: {message}" if not message.startswith(exc.ename) else message
            self.need_full = True
        except CqreportError as exc:
            message = f"{type(exc).__name__}: {exc}"
            self.need_full = True
        except Exception as exc:  # anything else: shown, and the next build starts afresh
            message = f"{type(exc).__name__}: {exc}"
            self.need_full = True
        seconds = round(time.perf_counter() - t0, 3)
        if ok:
            out = self.outdir
            out.mkdir(parents=True, exist_ok=True)
            atomic_write_text(out / "report.html", page)
        with self.cond:
            st = self.state
            self.state = State(build=st.build + 1, ok=ok, building=False,
                               page=page if ok else st.page, message=message, seconds=seconds,
                               changed=list(changed or []), timings=dict(self.timings))
            self.cond.notify_all()
            state = self.state
        self.echo(f"preview: build {state.build} {'ok' if ok else 'FAILED'} in {seconds:.2f} s"
                  + (f" ({', '.join(sorted(kinds))})" if kinds else "")
                  + ("" if ok else f": {_first_problem(message)}"))
        return state

    def _build(self, kinds: set[str]) -> str:
        import nbformat

        from .export import _page_template, export_html
        from .verify import audit_report, prepare_audit

        assert self.kernel is not None, "start() first"
        full = self.need_full or bool(kinds & {DATA, NOTEBOOK, LIBRARY})
        if LIBRARY in kinds:
            self.kernel.run(PURGE_CODE, cell=False)
            if self.chart_kernel is not None:
                self.chart_kernel.run(PURGE_CODE, cell=False)
            _purge_library()
        if ASSETS in kinds or LIBRARY in kinds:
            _page_template.cache_clear()
        loader = None
        t = time.perf_counter()
        if self.dataset is None or kinds & {DATA, LIBRARY}:
            from .pipeline import Background

            # Validated here first: bad data shows at once, without running a cell, and
            # good data leaves its validation stamp, so the kernels only read the tables.
            self.dataset = None
            self.dataset = self._load_dataset()
            t = self._lap("validate", t)
            if self.params is None:  # the first build (or after a failed one): the quarter
                self.params = self._resolve_params(self.dataset)
            loader = Background(self._prepare_audit_data, self.dataset)
        if self.nb is None or NOTEBOOK in kinds:
            self.nb = nbformat.read(str(self.notebook), as_version=4)
        try:
            if full:
                self._run_all()
            elif kinds & {TEMPLATES}:
                self._run_after_templates()
            t = self._lap("kernel", t)
        finally:
            if loader is not None:
                loader.result()
        t = self._lap("wait_data", t)
        nb = copy.copy(self.nb)
        nb.cells = [copy.copy(c) for c in self.nb.cells]
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                cell.outputs = self.outputs.get(i, [])
        page = export_html(nb, self.params.lang)
        t = self._lap("html", t)
        prepare_audit(self.dataset, self.params, nb)
        audit_report(self.dataset, self.params, page, None)
        self._lap("audit", t)
        self.need_full = False
        return page

    def _code_cells(self) -> list[int]:
        return [i for i, c in enumerate(self.nb.cells) if c.cell_type == "code"]

    def _inject(self) -> str:
        values = self.params.to_papermill()
        return "\n".join(f"{k} = {v!r}" for k, v in values.items())

    def _run_all(self) -> None:
        self.outputs = {}
        plan = self._chart_plan() if self.chart_kernel is not None else None
        charts = None
        if plan is not None:
            from .pipeline import Background

            charts = Background(self._run_charts, plan)
        try:
            self.kernel.run(RESET_CODE, cell=False)
            for i in self._code_cells():
                if plan is not None and i in plan[0]:
                    continue  # drawn by the chart kernel
                cell = self.nb.cells[i]
                t = time.perf_counter()
                self.outputs[i] = self.kernel.run(cell.source, self.timeout)
                self._lap(f"cell{i}", t)
                if "parameters" in cell.get("metadata", {}).get("tags", []):
                    self.kernel.run(self._inject())
        finally:
            if charts is not None:
                t = time.perf_counter()
                self.outputs.update(charts.result())
                self._lap("wait_charts", t)

    def _chart_plan(self) -> tuple[set[int], list[str]] | None:
        """The chart cells (every statement reads ``charts``), and the code the chart
        kernel runs first: the statements that bind what those cells read, and the
        side-effect statements on it (``charts.setup()``). None when there is no chart cell."""
        idx = self._code_cells()
        stmts = statements([self.nb.cells[i].source for i in idx])
        by_cell: dict[int, list[Statement]] = {}
        for st in stmts:
            by_cell.setdefault(st.cell, []).append(st)
        chart_cells = {k for k, sts in by_cell.items()
                       if sts and all("charts" in st.reads and not st.binds for st in sts)}
        if not chart_cells:
            return None
        needed = set().union(*(st.reads for k in chart_cells for st in by_cell[k]))
        params = {k for k, i in enumerate(idx)
                  if "parameters" in self.nb.cells[i].get("metadata", {}).get("tags", [])}
        before: list[str] = []  # after the parameters, which the chart kernel gets as they are
        for st in reversed([st for st in stmts if st.cell not in chart_cells | params]):
            if st.binds & needed or (not st.binds and st.reads & needed and "charts" in st.reads):
                needed |= st.reads
                before.append(st.source)
        before.reverse()
        return {idx[k] for k in chart_cells}, before

    def _run_charts(self, plan: tuple[set[int], list[str]]) -> dict[int, list[Any]]:
        cells, before = plan
        k = self.chart_kernel
        k.run(RESET_CODE, cell=False)
        params_cell = next((c for c in self.nb.cells if c.cell_type == "code"
                            and "parameters" in c.get("metadata", {}).get("tags", [])), None)
        if params_cell is not None:
            k.run(params_cell.source)
        k.run(self._inject())
        k.run("".join(s if s.endswith("\n") else s + "\n" for s in before), self.timeout)
        return {i: k.run(self.nb.cells[i].source, self.timeout) for i in sorted(cells)}

    def _run_after_templates(self) -> None:
        """Re-run only what reads the narrative (templates are read when it writes)."""
        idx = self._code_cells()
        stmts = statements([self.nb.cells[i].source for i in idx])
        seeds = {s for st in stmts for s in st.binds if s == "narrative"}
        if not seeds:  # the notebook names the module otherwise: run it all
            self._run_all()
            return
        dirty = dirty_statements(stmts, seeds)
        for k, i in enumerate(idx):
            mine = [st for st, d in zip(stmts, dirty, strict=True) if st.cell == k]
            flags = [d for st, d in zip(stmts, dirty, strict=True) if st.cell == k]
            if not any(flags):
                continue  # e.g. the chart cells: their outputs stand
            t = time.perf_counter()
            if all(flags) or self.outputs.get(i):
                self.outputs[i] = self.kernel.run(self.nb.cells[i].source, self.timeout)
            else:  # a cell without output: only its dirty statements
                self.kernel.run("".join(st.source for st, d in zip(mine, flags, strict=True) if d),
                                self.timeout)
            self._lap(f"cell{i}", t)

    # -- the PDF, on request

    def pdf(self) -> Path:
        """The current page as PDF (printed once per build). Raises BuildError when failing."""
        from .export import start_pdf

        with self.lock:
            st = self.state
        if not st.ok:
            raise BuildError("the current build failed; fix it first (the page says why)")
        if st.pdf is not None and st.pdf.is_file():
            return st.pdf
        target = self.outdir / f"report-{st.build}.pdf"
        for old in self.outdir.glob("report-*.pdf"):
            with contextlib.suppress(OSError):
                old.unlink()
        start_pdf(st.page, target, self.outdir)()
        with self.lock:
            if self.state.build == st.build:
                self.state.pdf = target
        return target


def _first_problem(message: str) -> str:
    """The line of a message worth a log line: the first problem, not a "N problem(s):" heading."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    if len(lines) > 1 and lines[0].endswith(":"):
        return f"{lines[0]} {lines[1]}" + (" …" if len(lines) > 2 else "")
    return lines[0] if lines else ""


def _purge_library() -> None:
    """Forget the cqreport modules above this one in this process, so the audit uses the
    changed code (build, cli and errors stay: they are running)."""
    keep = ("cqreport.engine", "cqreport.cli", "cqreport.errors", "cqreport.__main__")
    for name in [n for n in sys.modules if n.startswith("cqreport.")]:
        if not name.startswith(keep):
            del sys.modules[name]


# ---------------------------------------------------------------------------
# Serving


RELOAD_SCRIPT = """<script>/* cqreport preview: reload when a new build is ready */
(function(){var b=%d;var el=document.createElement('div');
el.style.cssText='position:fixed;right:8px;bottom:8px;padding:2px 8px;font:12px sans-serif;'+
'background:#333;color:#fff;border-radius:3px;opacity:.75;z-index:9999';el.textContent='preview';
document.addEventListener('DOMContentLoaded',function(){document.body.appendChild(el);});
function poll(){fetch('%s?b='+b,{cache:'no-store'}).then(function(r){return r.json();})
.then(function(s){if(s.build!==b){location.reload();return;}
el.textContent=s.building?'rebuilding…':'preview · build '+b;setTimeout(poll,200);})
.catch(function(){el.textContent='preview stopped';setTimeout(poll,1000);});}
setTimeout(poll,200);})();</script>"""


def served_page(state: State) -> str:
    """The page as served: the report (or the error) with the reload script."""
    script = RELOAD_SCRIPT % (state.build, STATE_PATH)
    if state.ok:
        page = state.page
    else:
        stale = ("<p>The last good report is not shown, since it no longer matches the files.</p>"
                 if state.page else "")
        page = ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
                "<title>cqreport preview: build failed</title></head>"
                "<body style='font-family:sans-serif;margin:2em;max-width:60em'>"
                "<h1 style='color:#b00020'>The report could not be built</h1>"
                f"<pre id='error' style='white-space:pre-wrap;background:#fff3f3;padding:1em;"
                f"border-left:4px solid #b00020'>{html_lib.escape(state.message)}</pre>"
                f"{stale}<p>Fix the file and save it: this page reloads by itself.</p>"
                "</body></html>")
    i = page.rfind("</body>")
    return page[:i] + script + page[i:] if i >= 0 else page + script


def make_server(preview: Preview, port: int):
    """An HTTP server on 127.0.0.1 for the preview (port 0: any free port).

    Raises:
        ParameterError: The port is in use or cannot be bound.
    """
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt: str, *args: Any) -> None:  # quiet: the builds are logged
            pass

        def _send(self, code: int, body: bytes, ctype: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            with preview.lock:
                st = preview.state
            if path in ("/", "/index.html", "/report.html"):
                self._send(200, served_page(st).encode(), "text/html; charset=utf-8")
            elif path == STATE_PATH:
                body = json.dumps({"build": st.build, "ok": st.ok, "building": st.building,
                                   "seconds": st.seconds, "message": st.message,
                                   "timings": st.timings})
                self._send(200, body.encode(), "application/json")
            elif path in ("/pdf", "/report.pdf"):
                try:
                    pdf = preview.pdf()
                except CqreportError as exc:
                    self._send(409, f"{exc}\n".encode(), "text/plain; charset=utf-8")
                    return
                self._send(200, pdf.read_bytes(), "application/pdf")
            else:
                self._send(404, b"not found\n", "text/plain")

    ThreadingHTTPServer.daemon_threads = True
    try:
        return ThreadingHTTPServer(("127.0.0.1", port), Handler)
    except OSError as exc:
        import errno

        if exc.errno == errno.EADDRINUSE:
            raise ParameterError(f"port {port} on 127.0.0.1 is in use; expected a free port "
                                 "(--port N, or --port 0 for any free one)") from None
        raise ParameterError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}; "
                             "expected a free port (--port N)") from None


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
    server = make_server(preview, port)
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
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        preview.close()
        preview.echo("preview: stopped")


__all__ = ["Preview", "WarmKernel", "classify", "dirty_statements", "serve", "statements"]
