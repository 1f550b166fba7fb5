"""A small threaded HTTP server on 127.0.0.1 and a random port, answering through one Python function.

Each connection gets its own thread and keeps alive (HTTP/1.1), as a real provider would, so a client's
connection pool and concurrent worker threads are exercised too.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Received(dict):
    """A request's JSON body (empty when it was not JSON), with `.headers` (lower-case names), `.path`, `.raw`
    and `.at` (time.monotonic() on arrival) for tests that check how and when it was sent."""

    def __init__(self, body: dict[str, Any], headers: dict[str, str], path: str, raw: bytes) -> None:
        super().__init__(body)
        self.headers, self.path, self.raw, self.at = headers, path, raw, time.monotonic()


@dataclass
class Reply:
    """What to answer: a status, a body (a dict or list is sent as JSON) and extra headers."""

    status: int
    body: Any = b''
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body).encode(), 'application/json'
        text = self.body.encode() if isinstance(self.body, str) else self.body
        return text, 'text/plain; charset=utf-8'


Handle = Callable[[Received], Reply | None]  # None: close the connection without an answer


@contextmanager
def serve(handle: Handle) -> Iterator[str]:
    """Serve POSTs and GETs with `handle` until the block ends; yields the base URL (http://127.0.0.1:<port>)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'
        disable_nagle_algorithm = True  # headers and body go out in two writes; do not wait 40 ms between them

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get('Content-Length') or 0))
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = {}
            headers = {name.lower(): value for name, value in self.headers.items()}
            reply = handle(Received(body if isinstance(body, dict) else {}, headers, self.path, raw))
            if reply is None:
                self.close_connection = True
                return
            content, content_type = reply.encoded()
            self.send_response(reply.status)
            self.send_header('Content-Type', content_type)
            self.send_header('Content-Length', str(len(content)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST

        def log_message(self, *_: object) -> None:
            """Quiet: tests read `.requests` rather than a log."""

    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name='fake-http', daemon=True)
    thread.start()
    try:
        yield f'http://127.0.0.1:{server.server_address[1]}'
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
