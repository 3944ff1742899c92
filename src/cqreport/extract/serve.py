"""``cqreport review C.csv RELEASE``: the review page served on this machine, checked live.

The page is the same as ``C.review.html``; served, it sends its rows (edits, added figures,
side files) to ``POST /check`` as the analyst works, and shows the answer: the problems
``cqreport extract C.reviewed.csv --append`` would list, in its words, computed by the
append's own code (:func:`cqreport.extract.append.check_reviewed`). Nothing is written.

It serves one analyst safely: bound to 127.0.0.1, it answers only requests addressed to
``127.0.0.1:PORT`` or ``localhost:PORT`` (a page elsewhere cannot rebind its name to this
server), ``/check`` needs the session token the page carries (another page cannot post to it)
and takes at most :data:`MAX_BODY` bytes of JSON.
"""

from __future__ import annotations

import json
import secrets
import threading
import webbrowser
from http.server import HTTPServer
from pathlib import Path

from ..core.localhttp import LocalHandler
from ..errors import CqreportError, ExtractError
from .append import check_reviewed
from .review import build_review_html, looks_like_candidates

MAX_BODY = 8 * 1024 * 1024
SIDES = ("source", "entities", "metrics")


class ReviewServer(HTTPServer):
    """The HTTP server of one review session."""

    def __init__(self, candidates: Path, release: Path, data_dir, sources_dir, port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.candidates, self.release = Path(candidates), Path(release)
        self.data_dir, self.sources_dir = data_dir, sources_dir
        self.token = secrets.token_urlsafe(18)
        self.reviewed = self.candidates.with_name(self.candidates.stem + ".reviewed.csv")

    @property
    def url(self) -> str:
        """The page's address."""
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _Handler(LocalHandler):
    server: ReviewServer

    def log_message(self, fmt: str, *args) -> None:  # one line per request is noise here
        return

    def _json(self, code: int, obj: dict) -> None:
        self.send_body(code, json.dumps(obj, ensure_ascii=False).encode(), "application/json; charset=utf-8")

    def do_GET(self) -> None:
        if not self.addressed_to_us():
            return self._json(421, {"error": "this server answers 127.0.0.1 and localhost only"})
        if self.path not in ("/", "/index.html"):
            return self._json(404, {"error": "not found"})
        s = self.server
        try:
            page = build_review_html(s.candidates, s.release, s.data_dir, live=s.token,
                                     sources_dir=s.sources_dir)
        except CqreportError as exc:
            return self._json(500, {"error": str(exc)})
        self.send_body(200, page.encode("utf-8"), "text/html; charset=utf-8")

    def do_POST(self) -> None:
        if not self.addressed_to_us():
            return self._json(421, {"error": "this server answers 127.0.0.1 and localhost only"})
        if self.path != "/check":
            return self._json(404, {"error": "not found"})
        if not secrets.compare_digest(self.headers.get("X-Review-Token", ""), self.server.token):
            return self._json(403, {"error": "no session token: only the review page may ask"})
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            return self._json(415, {"error": "expected application/json"})
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            return self._json(413, {"error": f"a body of 1 to {MAX_BODY} bytes is expected"})
        try:
            body = json.loads(self.rfile.read(length))
            header, rows = list(body["header"]), list(body["rows"])
            sides = {k: (list(v["header"]), list(v["rows"])) for k, v in body.get("sides", {}).items()
                     if k in SIDES}
        except (ValueError, KeyError, TypeError) as exc:
            return self._json(400, {"error": f"a body of header, rows and sides is expected ({exc})"})
        s = self.server
        try:
            problems = check_reviewed(header, rows, sides, s.reviewed, s.data_dir, s.sources_dir)
        except CqreportError as exc:
            problems = [str(exc)]
        self._json(200, {"problems": problems})


def serve_review(candidates: str | Path, release: str | Path, data_dir=None, sources_dir=None,
                 port: int = 0, open_browser: bool = True, started=None) -> None:
    """Serve the review page until interrupted.

    Args:
        started: Called with the server once it listens (for tests and the CLI's message).

    Raises:
        ExtractError: If the port cannot be bound or a file is missing.
    """
    for p in (Path(candidates), Path(release)):
        if not p.is_file():
            raise ExtractError(f"{p}: no such file")
    if not looks_like_candidates(candidates):
        raise ExtractError(f"{candidates}: not a candidates file (its header lacks metric_id, value, "
                           "quote and status); expected the --out file of cqreport extract")
    try:
        server = ReviewServer(Path(candidates), Path(release), data_dir, sources_dir, port)
    except OSError as exc:
        raise ExtractError(f"could not listen on 127.0.0.1:{port} ({exc.strerror or exc}); "
                           "try --port 0 for any free port") from None
    if started is not None:
        started(server)
    if open_browser:
        threading.Timer(0.3, webbrowser.open, args=(server.url,)).start()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
