"""The one HTTP client every arXiv request goes through, polite by construction.

One request at a time, at least ``delay`` seconds from the end of one request to the start of
the next (3 s, arXiv's rule; a config can raise it, never lower it), a User-Agent naming a contact
address, ``Retry-After`` honoured, exponential backoff with jitter on 429/500/502/503 and on
connection errors, and a bounded total wait per request after which ArxivUnreachableError says
so in one line. Time is wall-clock time: each attempt must end within ``timeout`` seconds however
slowly the server drips its answer, and the attempts count in ``max_wait`` with the pauses
between them. An answer larger than ``max_bytes`` is refused as it arrives.
"""

from __future__ import annotations

import errno
import http.client
import random
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from papertide import __version__
from papertide.errors import ArxivUnreachableError
from papertide.fetch.limits import MAX_DOCUMENT_BYTES
from papertide.http_body import BodyError, read_body

POLITE_DELAY = 3.0  # seconds between requests that arXiv asks of every client
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# No DNS or no route at all: most likely offline, so one retry and then a clear message.
_OFFLINE = ("name resolution failed", "network unreachable")
_OFFLINE_ERRNOS = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH})


@dataclass(frozen=True, slots=True)
class Response:
    """What a server answered: any status that is not worth retrying, with its body."""

    url: str
    status: int
    body: bytes
    headers: Mapping[str, str]


def user_agent(contact: str) -> str:
    who = f"mailto:{contact}" if contact else "no contact address configured"
    return f"papertide/{__version__} (per-topic arXiv digests; {who})"


class PoliteClient:
    """GET requests to arXiv, spaced, retried and bounded.

    ``delay`` comes from the config and is raised to ``floor`` if lower; only code (tests,
    benchmarks) may pass a lower ``floor``. ``clock`` and ``sleep`` are injectable.
    """

    def __init__(
        self,
        *,
        contact: str = "",
        delay: float = POLITE_DELAY,
        max_wait: float = 600.0,
        max_attempts: int = 6,
        backoff: float | None = None,
        timeout: float = 60.0,
        max_bytes: int = MAX_DOCUMENT_BYTES,
        floor: float = POLITE_DELAY,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.delay = max(delay, floor)
        self.max_wait = max_wait
        self.max_attempts = max(1, max_attempts)
        self.backoff = self.delay if backoff is None else backoff
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.clock = clock
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.headers = {"User-Agent": user_agent(contact), "Accept-Encoding": "identity"}
        self.sent = 0  # requests sent, retries included
        self._last_end: float | None = None
        self._one_at_a_time = threading.Lock()
        # Proxies come from the environment as usual, never for the local machine.
        self._opener = urllib.request.build_opener()

    def get(self, url: str, params: Mapping[str, str | int] | None = None) -> Response:
        """The server's answer; ArxivUnreachableError when it keeps failing past the budget."""
        if params:
            url = f"{url}?{urllib.parse.urlencode({k: str(v) for k, v in params.items()})}"
        with self._one_at_a_time:
            return self._get(url)

    def _get(self, url: str) -> Response:
        waited = 0.0
        host = urllib.parse.urlsplit(url).netloc or url
        for attempt in range(1, self.max_attempts + 1):
            waited += self._space()
            started = self.clock()
            try:
                outcome = self._send(url, min(self.timeout, max(self.max_wait - waited, 0.1)))
            finally:
                self._last_end = self.clock()
            waited += self._last_end - started
            if isinstance(outcome, Response) and outcome.status not in RETRY_STATUSES:
                return outcome
            if isinstance(outcome, Response):
                problem = f"HTTP {outcome.status}"
                asked = _retry_after(outcome.headers.get("Retry-After"))
            else:
                problem, asked = outcome, None
                if problem.startswith(_OFFLINE) and attempt >= 2:
                    break
            if attempt == self.max_attempts or waited >= self.max_wait:
                break
            pause = asked if asked is not None else self._backoff(attempt)
            pause = max(pause, self.delay)
            if waited + pause > self.max_wait:
                if asked is not None:
                    problem += f", asked to retry after {asked:.0f} s"
                break
            self.sleep(pause)
            waited += pause
        raise ArxivUnreachableError(
            f"arXiv is unreachable: {host} failed {attempt} time(s) ({problem}); "
            "check the connection or the [arxiv] URLs and run again later"
        )

    def _space(self) -> float:
        """Sleep until ``delay`` seconds have passed since the previous response ended, so
        that no two requests ever start closer together than that."""
        if self._last_end is None:
            return 0.0
        pause = self._last_end + self.delay - self.clock()
        if pause > 0:
            self.sleep(pause)
        return max(pause, 0.0)

    def _backoff(self, attempt: int) -> float:
        base = self.backoff * float(2 ** (attempt - 1))
        return base + self.rng.uniform(0, self.backoff)

    def _send(self, url: str, limit: float) -> Response | str:
        """A Response, or a short description of why no response came within ``limit``
        seconds of wall-clock time."""
        self.sent += 1
        request = urllib.request.Request(url, headers=self.headers)
        started = self.clock()
        try:
            with self._opener.open(request, timeout=limit) as answer:
                body = read_body(answer, started, limit, self.max_bytes, self.clock)
                return Response(url, answer.status, body, dict(answer.headers))
        except BodyError as error:
            return str(error)
        except urllib.error.HTTPError as error:
            body = self._error_body(error, started, limit)
            return Response(url, error.code, body, dict(error.headers or {}))
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, socket.gaierror):
                return f"name resolution failed: {reason.strerror or reason}"
            if isinstance(reason, OSError) and reason.errno in _OFFLINE_ERRNOS:
                return f"network unreachable: {reason.strerror or reason}"
            return f"connection failed: {reason}"
        except TimeoutError:
            return f"no answer within {_seconds(limit)} s"
        except (OSError, http.client.HTTPException) as error:
            return f"connection failed: {type(error).__name__} {error}".strip()

    def _error_body(self, error: urllib.error.HTTPError, started: float, limit: float) -> bytes:
        """What an error answer (HTTP 4xx/5xx) said, within the same deadline; b"" if nothing."""
        if not isinstance(error.fp, http.client.HTTPResponse):
            return b""
        try:
            return read_body(error.fp, started, limit, self.max_bytes, self.clock)
        except (BodyError, OSError, http.client.HTTPException):
            return b""


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _seconds(value: float) -> str:
    return f"{round(value, 1):g}"
