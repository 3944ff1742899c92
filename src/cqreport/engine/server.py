"""The preview's HTTP server: one user on this machine, safely.

* It listens on 127.0.0.1 only, and answers only requests addressed to it: the
  ``Host`` header must be ``127.0.0.1:PORT`` or ``localhost:PORT``. A page on
  another site that rebinds its DNS name to 127.0.0.1 sends its own name as
  Host, and gets 421 and nothing else: it can neither read the report nor start
  a print.
* ``/`` (or ``/report.html``) serves the report, ``/evidence.html`` its evidence (the
  report's footnotes link there).
* ``/pdf`` (or ``/report.pdf``) and ``/evidence.pdf`` print the current page at most
  once per build and document, one print at a time
  (:class:`PdfPrinter`): a request that comes while the page is printed waits for
  that print, and every waiter gets the same whole file; beyond a few waiters the
  answer is 503 "busy" at once. A print that runs longer than its limit is
  stopped. The file is written beside its final name and renamed, so no request
  ever reads a PDF half written.
* Every request does bounded work: the page and the state are served from
  memory, a connection that sends nothing is dropped after a timeout, and only
  GET and HEAD are answered.
"""

from __future__ import annotations

import contextlib
import errno
import html as html_lib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ..core.localhttp import LocalHandler, allowed_hosts
from ..errors import BuildError, CqreportError, ParameterError

STATE_PATH = "/__preview/state"
DEFAULT_PORT = 8765
#: Requests for the PDF that may wait for the print in progress; more are told "busy".
PDF_WAITERS = 8
#: Seconds a print may take before it is stopped.
PDF_LIMIT_S = 180.0
#: Seconds a connection may stay silent.
REQUEST_TIMEOUT_S = 30.0


@dataclass
class State:
    """What the server shows: the last build's pages (by document: report, evidence), or its error."""

    build: int = 0
    ok: bool = False
    building: bool = True
    pages: dict[str, str] = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0
    changed: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


class Busy(CqreportError):
    """Too many requests wait for the PDF already."""


class PdfPrinter:
    """One print of the current page at a time; the file is shared by everyone who asked.

    Args:
        folder: Where the PDFs go (one per build; older ones are removed).
        print_page: Prints a page to a file within a time limit (the engine's PDF step).
        waiters: How many requests may wait for a print in progress.
    """

    def __init__(self, folder: Path, print_page: Callable[[str, Path, float], None],
                 waiters: int = PDF_WAITERS, limit: float = PDF_LIMIT_S):
        self.folder, self.print_page = folder, print_page
        self.waiters, self.limit = waiters, limit
        self._cond = threading.Condition()
        self._printing: tuple[int, str] | None = None   # the build and document being printed
        self._done: dict[tuple[int, str], Path | BaseException] = {}
        self._waiting = 0
        self.prints = 0

    def pdf(self, state: State, document: str = "report") -> Path:
        """The PDF of a document of that build: printed now by this request, or by the one
        printing it.

        Raises:
            Busy: Too many requests wait already.
            BuildError: The page failed to build or has no such document, or the print failed.
        """
        if not state.ok:
            raise BuildError("the current build failed; fix it first (the page says why)")
        if document not in state.pages:
            raise BuildError(f"this build has no {document} page")
        job = (state.build, document)
        with self._cond:
            while True:
                done = self._done.get(job)
                if isinstance(done, Path) and done.is_file():
                    return done
                if isinstance(done, BaseException):
                    raise BuildError(f"the PDF could not be printed: {done}")
                if self._printing is None:
                    self._printing = job
                    break
                if self._waiting >= self.waiters:
                    raise Busy("a PDF is being printed and others wait for it; try again in a moment")
                self._waiting += 1
                try:
                    self._cond.wait(timeout=self.limit)
                finally:
                    self._waiting -= 1
        return self._print(state, document)

    def _print(self, state: State, document: str) -> Path:
        target = self.folder / f"{document}-{state.build}.pdf"
        result: Path | BaseException
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for old in self.folder.glob("*-*.pdf"):   # an older build's files
                if not old.name.endswith(f"-{state.build}.pdf"):
                    with contextlib.suppress(OSError):
                        old.unlink()
            self.print_page(state.pages[document], target, self.limit)
            self.prints += 1
            result = target
        except Exception as exc:  # given to every waiter
            result = exc
        with self._cond:
            # only the current build's files are kept
            self._done = {k: v for k, v in self._done.items() if k[0] == state.build}
            self._done[(state.build, document)] = result
            self._printing = None
            self._cond.notify_all()
        if isinstance(result, BaseException):
            raise BuildError(f"the PDF could not be printed: {result}")
        return result


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


def served_page(state: State, document: str = "report") -> str:
    """The page as served: the report (or its evidence, or the error) with the reload script."""
    script = RELOAD_SCRIPT % (state.build, STATE_PATH)
    if state.ok and document in state.pages:
        page = state.pages[document]
    elif state.ok:
        page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>cqreport preview</title>"
                f"</head><body><p>This build has no {document} page.</p></body></html>")
    else:
        stale = ("<p>The last good report is not shown, since it no longer matches the files.</p>"
                 if state.pages else "")
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


def make_server(current: Callable[[], State], printer: PdfPrinter, port: int) -> ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1 for the preview (port 0: any free port).

    Args:
        current: Returns the state to serve.
        printer: Prints the current page on ``/pdf``.
        port: The port.

    Raises:
        ParameterError: The port is in use or cannot be bound.
    """
    class Handler(LocalHandler):
        timeout = REQUEST_TIMEOUT_S  # a silent connection is dropped, its thread freed

        def log_message(self, fmt: str, *args: Any) -> None:  # quiet: the builds are logged
            pass

        def _text(self, code: int, text: str) -> None:
            self.send_body(code, f"{text}\n".encode(), "text/plain; charset=utf-8")

        def do_GET(self) -> None:
            if not self.addressed_to_us():
                hosts = sorted(allowed_hosts(self.server.server_address[1]))
                self._text(421, "this preview answers only at " + " or ".join(hosts))
                return
            path = self.path.split("?", 1)[0]
            st = current()
            if path in ("/", "/index.html", "/report.html", "/evidence.html"):
                document = "evidence" if path == "/evidence.html" else "report"
                self.send_body(200, served_page(st, document).encode(), "text/html; charset=utf-8")
            elif path == STATE_PATH:
                body = json.dumps({"build": st.build, "ok": st.ok, "building": st.building,
                                   "seconds": st.seconds, "message": st.message,
                                   "timings": st.timings, "pdf_prints": printer.prints})
                self.send_body(200, body.encode(), "application/json")
            elif path in ("/pdf", "/report.pdf", "/evidence.pdf"):
                self._pdf(st, "evidence" if path == "/evidence.pdf" else "report")
            else:
                self._text(404, "not found")

        do_HEAD = do_GET

        def _pdf(self, st: State, document: str) -> None:
            try:
                pdf = printer.pdf(st, document)
                data = pdf.read_bytes()
            except Busy as exc:
                self._text(503, str(exc))
                return
            except (CqreportError, OSError) as exc:
                self._text(409, str(exc))
                return
            self.send_body(200, data, "application/pdf")

    ThreadingHTTPServer.daemon_threads = True
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ParameterError(f"port {port} on 127.0.0.1 is in use; expected a free port "
                                 "(--port N, or --port 0 for any free one)") from None
        raise ParameterError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}; "
                             "expected a free port (--port N)") from None
    return server


def print_with_limit(page: str, target: Path, limit: float) -> None:
    """Print a page to PDF in a child process stopped after ``limit`` seconds; the file
    appears under its name only when whole (printed beside it, then renamed)."""
    from .export import start_pdf

    part = target.with_name(f".{target.name}.part")
    try:
        start_pdf(page, part, limit=limit)()
        part.replace(target)
    finally:
        part.unlink(missing_ok=True)
