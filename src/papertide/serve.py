"""``papertide serve``: the built site over HTTP, and the endpoint its rating buttons POST to.

The site's files are served as they are, except that each HTML page gets a
``<meta name="papertide-ratings">`` naming the endpoint, which tells the page's script to
record a click in the store rather than only in the browser.

The endpoint takes a ratings document (``papertide.feedback.ratings``) from the site's own
pages only: a POST whose ``Origin`` is not this server, whose ``Sec-Fetch-Site`` is not
``same-origin``, whose ``Host`` is not the address served (DNS rebinding), or whose body is
not JSON is refused with 403/415 and changes nothing.
"""

from __future__ import annotations

import http.server
import ipaddress
import json
import re
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from papertide.errors import InputError, LockedError, StoreError
from papertide.feedback.ratings import parse_ratings
from papertide.feedback.stage import record_ratings
from papertide.store import Store

RATINGS_PATH = "/api/ratings"
MAX_BODY = 1 << 20  # a POST carries a few ratings; a whole export is well under this
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_HEAD = re.compile(rb"<head[^>]*>", re.IGNORECASE)


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def make_server(
    root: Path, open_store: Callable[[], Store], topics: Sequence[str], host: str, port: int
) -> http.server.ThreadingHTTPServer:
    """A server for the site in ``root`` that records ratings in the store ``open_store``
    opens (once per POST). Raises OSError when the address cannot be bound."""
    writing = threading.Lock()  # one rating batch at a time from this server

    class Handler(SiteHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.open_store = open_store
            self.topics = tuple(topics)
            self.writing = writing
            super().__init__(*args, directory=str(root), **kwargs)

    return http.server.ThreadingHTTPServer((host, port), Handler)


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    open_store: Callable[[], Store]
    topics: tuple[str, ...]
    writing: threading.Lock

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        page = self._html_page()
        if page is None:
            super().do_GET()
            return
        meta = f'<meta name="papertide-ratings" content="{RATINGS_PATH}">'.encode()
        body = _HEAD.sub(lambda m: m.group(0) + b"\n" + meta, page.read_bytes(), count=1)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        try:
            if self.path.split("?", 1)[0] != RATINGS_PATH:
                raise Refused(404, f"nothing to POST to here; ratings go to {RATINGS_PATH}")
            self._check_origin()
            answer = self._record(self._body())
        except Refused as refused:
            self._json(refused.status, {"error": str(refused)})
            return
        self._json(200, answer)

    def _html_page(self) -> Path | None:
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?", 1)[0].endswith("/"):
            path = path / "index.html"
        return path if path.suffix == ".html" and path.is_file() else None

    def _check_origin(self) -> None:
        host = self.headers.get("Host", "")
        if not self._serves(host):
            raise Refused(403, f"ratings are taken only at this server's address, not {host!r}")
        origin = self.headers.get("Origin")
        if origin != f"http://{host}":
            raise Refused(403, f"ratings are taken only from this site's pages, not {origin!r}")
        fetch_site = self.headers.get("Sec-Fetch-Site")
        if fetch_site not in (None, "same-origin"):
            raise Refused(403, f"ratings are taken only from this site's pages ({fetch_site})")

    def _serves(self, host: str) -> bool:
        """Whether ``host`` (the Host header) names this server: a loopback name or the
        bound address, or any IP address when every interface is bound."""
        name, _, port = host.rpartition(":")
        address = self.server.server_address
        assert isinstance(address, tuple)  # an IP socket: (host, port, ...)
        bound, bound_port = address[0], address[1]
        if port != str(bound_port):
            return False
        if name in (*_LOOPBACK_NAMES, str(bound)):
            return True
        if str(bound) not in ("0.0.0.0", "::"):
            return False
        try:
            ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            return False
        return True

    def _body(self) -> Any:
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            raise Refused(415, "ratings are sent as application/json")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise Refused(413, f"too large: at most {MAX_BODY} bytes of ratings at once")
        try:
            return json.loads(self.rfile.read(length))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise Refused(400, f"not JSON ({exc})") from None

    def _record(self, data: Any) -> dict[str, Any]:
        try:
            ratings = parse_ratings(data, "the POSTed ratings", "serve")
        except InputError as exc:
            raise Refused(400, str(exc)) from None
        busy = (
            "the store is in use by a papertide run; the rating is kept in this browser and"
            " sent again when the page is next opened"
        )
        with self.writing:
            try:
                with self.open_store() as store:
                    store.lock()
                    recorded = record_ratings(store, ratings.ratings, self.topics)
            except LockedError:
                raise Refused(503, busy) from None
            except sqlite3.OperationalError as exc:
                raise Refused(503, f"{busy} ({exc})") from None
            except StoreError as exc:
                raise Refused(503, str(exc)) from None
        problems = [*ratings.problems, *recorded.problems]
        if problems and not recorded.kept:
            raise Refused(400, "; ".join(problems))
        return {"recorded": recorded.changed, "message": recorded.line(), "problems": problems}

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)
