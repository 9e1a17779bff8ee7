"""A real HTTP server on 127.0.0.1, in a thread, that answers chosen paths and counts every request per path.

It stands in for an EHR's JWKS endpoint (and for an attacker's): tests assert how often we fetched, and that some
URLs were never fetched at all.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

STALL_LIMIT_SECONDS = 30.0
POLL_SECONDS = 0.02  # how soon the server notices it should stop


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    declare_length: bool = True  # False: no Content-Length; the body ends when the connection closes
    stall: bool = False  # hold the answer back until the server stops

    @classmethod
    def json(cls, document: Any) -> Reply:
        return cls(body=json.dumps(document).encode())


NOT_FOUND = Reply(status=404)


class JwksServer:
    def __init__(self) -> None:
        self._replies: dict[str, Reply] = {}
        self._hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._httpd = _Httpd(self)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(POLL_SECONDS,), daemon=True)

    def __enter__(self) -> JwksServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._httpd.server_port}{path}"

    def serve(self, path: str, reply: Reply) -> str:
        """Answer GET `path` with `reply` from now on; returns the full URL."""
        with self._lock:
            self._replies[path] = reply
        return self.url(path)

    def hits(self, path: str | None = None) -> int:
        """Requests received for `path`, or for any path."""
        with self._lock:
            return self._hits[path] if path is not None else sum(self._hits.values())

    def answer(self, path: str) -> Reply:
        with self._lock:
            self._hits[path] += 1
            return self._replies.get(path, NOT_FOUND)


class _Httpd(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, jwks: JwksServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.jwks = jwks

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up on a stalled answer closed its connection: expected here, not worth a traceback."""


class _Handler(BaseHTTPRequestHandler):
    server: _Httpd

    def do_GET(self) -> None:
        reply = self.server.jwks.answer(self.path)
        if reply.stall:
            self.server.jwks.stopping.wait(STALL_LIMIT_SECONDS)
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.declare_length:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the hit counts instead."""
