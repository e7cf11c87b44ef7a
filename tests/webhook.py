"""A local HTTP endpoint on 127.0.0.1 that records what chat services would receive.

Apprise's ``json://`` and ``form://`` targets and self-hosted chat webhooks (Mattermost's
``mmost://host:port/token`` posts to ``/hooks/<token>``) are pointed at it; it answers every
POST with ``status`` (200 unless a test sets 500 to play a failing service).
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Request:
    path: str
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Endpoint:
    port: int = 0
    status: int = 200
    requests: list[Request] = field(default_factory=list)

    def url(self, scheme: str, path: str = "") -> str:
        """An Apprise URL for this endpoint: ``url("json", "/hook")``."""
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def messages(self) -> list[str]:
        """The text of every accepted JSON notification, whatever the service's field."""
        found = []
        for r in self.requests:
            data = r.json()
            found.append(data.get("message") or data.get("text") or "")
        return found


@contextmanager
def endpoint() -> Iterator[Endpoint]:
    state = Endpoint()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status = state.status
            if status < 300:
                state.requests.append(
                    Request(self.path, self.headers.get("Content-Type") or "", body)
                )
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}" if status < 300 else b'{"error": "internal"}')

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
