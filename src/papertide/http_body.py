"""Reading an HTTP answer's body within a wall-clock deadline and a size cap.

A socket's timeout bounds each read, not the whole answer: a server that sends a few bytes
now and then would never time out. The body is read in chunks, the socket's timeout lowered
before each to what is left of the deadline, and refused as soon as it grows past the cap.
"""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable

_CHUNK = 64 * 1024


class BodyError(Exception):
    """The body did not arrive whole in time; the message says how much came."""


class BodyTooLargeError(BodyError):
    """The body is larger than allowed."""


def read_body(
    answer: http.client.HTTPResponse,
    started: float,
    limit: float,
    max_bytes: int,
    clock: Callable[[], float] = time.monotonic,
) -> bytes:
    """The whole body by ``limit`` seconds after ``started`` (a time of ``clock``), or
    BodyError."""
    chunks: list[bytes] = []
    size = 0
    late = f"no complete answer within {round(limit, 1):g} s"
    while True:
        remaining = started + limit - clock()
        if remaining <= 0:
            raise BodyError(f"{late} ({size:,} bytes arrived)")
        _limit_next_read(answer, remaining)
        try:
            chunk = answer.read1(_CHUNK)
        except TimeoutError:
            raise BodyError(f"{late} ({size:,} bytes arrived)") from None
        except http.client.IncompleteRead:
            raise BodyError(f"the connection dropped after {size:,} bytes of the answer") from None
        if not chunk:
            if answer.length:  # fewer bytes than Content-Length said, and the connection closed
                raise BodyError(f"the connection dropped after {size:,} bytes of the answer")
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLargeError(f"the answer is larger than {max_bytes / 2**20:,.2g} MiB")
        chunks.append(chunk)


def _limit_next_read(answer: http.client.HTTPResponse, seconds: float) -> None:
    sock = getattr(getattr(answer.fp, "raw", None), "_sock", None)
    if isinstance(sock, socket.socket):
        sock.settimeout(max(seconds, 0.01))
