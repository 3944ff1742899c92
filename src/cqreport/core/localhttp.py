"""The request handler of cqreport's servers for one user on this machine (the preview, the
review page): answers only requests addressed to it, sends whole bodies.

A server on 127.0.0.1 is still reachable from any web page the user opens: a page on
another site can rebind its DNS name to 127.0.0.1 and send requests that carry its own
name as ``Host``. :meth:`LocalHandler.addressed_to_us` refuses those.
"""

from __future__ import annotations

import contextlib
from http.server import BaseHTTPRequestHandler


def allowed_hosts(port: int) -> frozenset[str]:
    """The Host headers a local server answers: its own address, by number or as localhost.

    >>> sorted(allowed_hosts(8765))
    ['127.0.0.1:8765', 'localhost:8765']
    """
    return frozenset({f"127.0.0.1:{port}", f"localhost:{port}"})


class LocalHandler(BaseHTTPRequestHandler):
    """A handler that knows its own address and sends a body with its length, never cached."""

    def addressed_to_us(self) -> bool:
        """Whether the request's Host is this server's own address (:func:`allowed_hosts`)."""
        host = (self.headers.get("Host") or "").strip().lower()
        return host in allowed_hosts(self.server.server_address[1])

    def send_body(self, code: int, body: bytes, ctype: str) -> None:
        """Answer with ``body`` (nothing but the headers to a HEAD request); a client gone
        meanwhile is no error of ours."""
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)
