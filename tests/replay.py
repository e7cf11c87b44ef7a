"""A local HTTP server (127.0.0.1, any free port) that replays recorded arXiv responses.

Each route matches a path and a subset of the query parameters and answers with its queue of
replies in order (the last one repeats when ``repeat`` is set). A reply can also drop the
connection, send a truncated body, wait before answering (a server that hangs) or send its
body a few bytes at a time (a server that drips). The server logs every request with its
arrival time, answers 404 to anything unexpected, and reports routes whose replies went unused.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Reply:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    truncate: int | None = None  # send only this many bytes of the body
    hang: float = 0.0  # seconds to wait before answering at all
    drip: float = 0.0  # seconds between chunks of DRIP_BYTES of the body


DRIP_BYTES = 64


@dataclass
class Route:
    path: str
    query: dict[str, str]
    replies: list[Reply]
    repeat: bool = False
    used: int = 0

    def matches(self, path: str, query: dict[str, str]) -> bool:
        return path == self.path and all(query.get(k) == v for k, v in self.query.items())

    @property
    def pending(self) -> bool:
        return self.used < len(self.replies)


@dataclass
class Logged:
    at: float  # time.monotonic() on arrival
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class ReplayServer:
    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.log: list[Logged] = []
        self.unexpected: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, path: str, *replies: Reply, repeat: bool = False, **query: str) -> Route:
        route = Route(path, query, list(replies), repeat)
        self.routes.append(route)
        return route

    def unused(self) -> list[str]:
        return [f"{r.path} {r.query} ({r.used}/{len(r.replies)})" for r in self.routes if r.pending]

    def gaps(self) -> list[float]:
        times = [entry.at for entry in self.log]
        return [b - a for a, b in zip(times, times[1:], strict=False)]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, path: str, query: dict[str, str]) -> Reply | None:
        with self._lock:
            for route in self.routes:
                if route.matches(path, query) and (route.pending or route.repeat):
                    reply = route.replies[min(route.used, len(route.replies) - 1)]
                    route.used += 1
                    return reply
            return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                split = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
                with server._lock:
                    server.log.append(
                        Logged(time.monotonic(), split.path, query, dict(self.headers.items()))
                    )
                reply = server._answer(split.path, query)
                if reply is None:
                    server.unexpected.append(self.path)
                    self.send_error(404)
                    return
                if reply.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                body = reply.body if reply.truncate is None else reply.body[: reply.truncate]
                time.sleep(reply.hang)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if not reply.drip:
                        self.wfile.write(body)
                    for start in range(0, len(body) if reply.drip else 0, DRIP_BYTES):
                        self.wfile.write(body[start : start + DRIP_BYTES])
                        self.wfile.flush()
                        time.sleep(reply.drip)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting, as it should

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


def recorded(folder: Path, prefix: str) -> tuple[dict[str, str], Reply]:
    """The query and reply of a recorded query-API response (``q_testing_s0_m10``, ``id_abc``);
    the ``*.json`` beside each recording holds its request URL and status."""
    for meta in folder.glob(f"{prefix}_*.json"):
        recording = json.loads(meta.read_text(encoding="utf-8"))
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(recording["url"]).query, True))
        body = meta.with_suffix(".xml").read_bytes()
        return query, Reply(body, recording["status_code"])
    raise FileNotFoundError(f"no recording {prefix}_*.json in {folder}")


def without_entries(feed: bytes) -> bytes:
    """The same API page with its entries removed: what the API's spurious empty page is."""
    return re.sub(rb"\s*<entry>.*?</entry>", b"", feed, flags=re.DOTALL)
