"""Every arXiv request ends in bounded wall-clock time, against the replay server: a server
that never answers, or one that drips its answer, is given up after ``[arxiv] timeout`` per
attempt and ``max_wait`` in all (attempts and pauses together), then the run exits 3."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from clirun import papertide
from replay import ReplayServer, Reply
from test_hostile_input import config as import_config

from papertide.errors import ArxivUnreachableError
from papertide.fetch.client import PoliteClient

FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>x</title>" + b" " * 4096


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    replay = ReplayServer()
    yield replay
    replay.close()


def client(timeout: float, max_wait: float) -> PoliteClient:
    return PoliteClient(delay=0.05, floor=0.05, backoff=0.05, timeout=timeout, max_wait=max_wait)


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        (Reply(FEED, hang=8.0), r"\(no answer within [\d.]+ s\)"),
        (Reply(FEED, drip=0.2), r"\(no complete answer within [\d.]+ s \([\d,]+ bytes arrived\)\)"),
    ],
    ids=["hangs", "drips"],
)
def test_a_request_ends_within_its_budget_however_the_server_stalls(
    server: ReplayServer, reply: Reply, said: str
) -> None:
    server.add("/rss/cs.CV", reply, repeat=True)
    started = time.monotonic()
    with pytest.raises(ArxivUnreachableError) as error:
        client(timeout=1.0, max_wait=2.5).get(f"{server.url}/rss/cs.CV")
    elapsed = time.monotonic() - started
    assert elapsed < 4.0, f"took {elapsed:.1f} s for a budget of 2.5 s"
    assert re.search(said, str(error.value)), error.value
    assert len(server.log) >= 2  # a stalled attempt is retried while the budget lasts


def test_an_answer_larger_than_the_cap_is_refused(server: ReplayServer) -> None:
    server.add("/rss/cs.CV", Reply(FEED + b" " * 70_000), repeat=True)
    polite = PoliteClient(delay=0.05, floor=0.05, max_bytes=65_536, max_wait=0.5)
    with pytest.raises(ArxivUnreachableError, match="the answer is larger than 0.062 MiB"):
        polite.get(f"{server.url}/rss/cs.CV")


def test_a_hanging_arxiv_makes_the_run_exit_3_within_max_wait(
    tmp_path: Path, server: ReplayServer
) -> None:
    server.add("/rss/cs.CV", Reply(FEED, hang=8.0), repeat=True)
    cfg = import_config(tmp_path)
    cfg.write_text(
        cfg.read_text(encoding="utf-8")
        + f'[arxiv]\ncategories = ["cs.CV"]\nrss_url = "{server.url}/rss"\n'
        "timeout = 1\nmax_wait = 2\n",
        encoding="utf-8",
    )
    started = time.monotonic()
    code, out, err = papertide(cfg, "run")
    assert time.monotonic() - started < 6.0
    assert code == 3, out + err
    assert "arXiv is unreachable" in out and "no answer within" in out
