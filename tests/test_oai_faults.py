"""OAI-PMH harvests under faults, against the replay server: a page without records in the
middle of a list is fetched again, and a list that ends short of its ``completeListSize``
is never taken for a finished harvest."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from replay import ReplayServer, Reply
from test_harvest import OAI_FIRST, fast_client, stored, write_config

from papertide.config import load_config
from papertide.pipeline import run

SINCE, UNTIL = date(2026, 6, 15), date(2026, 6, 18)
QUERY = {**OAI_FIRST, "from": "2026-06-15", "until": "2026-06-18"}


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    replay = ReplayServer()
    yield replay
    replay.close()
    assert not replay.unexpected, f"requests nothing was recorded for: {replay.unexpected}"


def pages(fixtures: Path) -> dict[int, bytes]:
    return {n: (fixtures / "live" / f"oai_page{n}.xml").read_bytes() for n in (1, 2, 3)}


def without_records(page: bytes, token: bytes | None) -> bytes:
    """The same ListRecords page with no <record>, and the given resumption token (or none)."""
    empty = re.sub(rb"<record>.*?</record>\s*", b"", page, flags=re.DOTALL)
    element = rb"<resumptionToken[^>]*(?:/>|>[^<]*</resumptionToken>)"
    return re.sub(element, token or b"", empty)


@pytest.mark.parametrize(
    "token",
    [None, b'<resumptionToken cursor="2" completeListSize="5">tok-2</resumptionToken>'],
    ids=["no-token", "with-token"],
)
def test_an_empty_page_mid_list_is_fetched_again(
    tmp_path: Path, server: ReplayServer, fixtures: Path, token: bytes | None
) -> None:
    page = pages(fixtures)
    server.add("/oai", Reply(page[1]), **QUERY)
    server.add(
        "/oai",
        Reply(without_records(page[2], token)),
        Reply(page[2]),
        verb="ListRecords",
        resumptionToken="tok-1",
    )
    server.add("/oai", Reply(page[3]), verb="ListRecords", resumptionToken="tok-2")
    config = load_config(write_config(tmp_path, server, ["cs.CV", "cs.AI", "cs.LG"]))
    summary = run(config, client=fast_client(), since=SINCE, until=UNTIL, build=False)
    assert summary.harvest is not None and not summary.harvest.unreachable
    assert stored(tmp_path) == 4  # every paper of the configured categories
    assert not server.unused()


def test_a_list_ending_short_of_its_size_stays_open_and_the_rerun_completes_it(
    tmp_path: Path, server: ReplayServer, fixtures: Path
) -> None:
    page = pages(fixtures)
    server.add("/oai", Reply(page[1]), **QUERY)
    broken = server.add(
        "/oai",
        Reply(without_records(page[2], None)),
        repeat=True,
        verb="ListRecords",
        resumptionToken="tok-1",
    )
    config = load_config(write_config(tmp_path, server, ["cs.CV", "cs.AI", "cs.LG"]))
    first = run(config, client=fast_client(), since=SINCE, until=UNTIL, build=False)
    assert first.harvest is not None and first.harvest.unreachable
    assert "ended after 2 of the 5 records it declared" in first.harvest.line()
    assert "the next run fetches the list again" in first.harvest.line()
    assert stored(tmp_path) == 2

    broken.repeat = False  # arXiv is well again: the rerun harvests the list from its start
    server.add("/oai", Reply(page[1]), **QUERY)
    server.add("/oai", Reply(page[2]), verb="ListRecords", resumptionToken="tok-1")
    server.add("/oai", Reply(page[3]), verb="ListRecords", resumptionToken="tok-2")
    second = run(config, client=fast_client(), since=SINCE, until=UNTIL, build=False)
    assert second.harvest is not None and not second.harvest.unreachable
    assert stored(tmp_path) == 4
    assert not server.unused()

    requests = len(server.log)
    third = run(config, client=fast_client(), since=SINCE, until=UNTIL, build=False)
    assert len(server.log) == requests and third.fetched == 0  # complete now: no request
