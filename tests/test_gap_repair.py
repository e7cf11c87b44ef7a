"""Listings missed between two runs are repaired through OAI-PMH; when that repair fails, the
day's listing is stored all the same, the gap stays pending and the next run repairs it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from replay import ReplayServer, Reply
from test_harvest import fast_client, write_config

from papertide.config import load_config
from papertide.pipeline import run
from papertide.store import Store

TUESDAY = datetime(2026, 6, 16, 17, 0, tzinfo=UTC)
FRIDAY = datetime(2026, 6, 19, 17, 0, tzinfo=UTC)
REPAIR = {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "set": "cs",
          "from": "2026-06-16", "until": "2026-06-19"}  # fmt: skip


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    replay = ReplayServer()
    yield replay
    replay.close()
    assert not replay.unexpected, f"requests nothing was recorded for: {replay.unexpected}"
    assert not replay.unused(), f"recordings never requested: {replay.unused()}"


def friday_feed(tuesday: bytes) -> bytes:
    """Friday's listing: the same feed, dated Friday, with other new-style ids."""
    friday = tuesday.replace(b"16 Jun 2026", b"19 Jun 2026")
    return re.sub(rb"2606\.(\d{5})", lambda m: b"2606.9" + m.group(1)[1:], friday)


def ids(folder: Path) -> set[str]:
    with Store(folder / "store.db") as store:
        return {p.arxiv_id for p in store.papers()}


def test_a_failed_repair_keeps_the_listing_and_the_next_run_repairs_the_gap(
    tmp_path: Path, server: ReplayServer, fixtures: Path
) -> None:
    tuesday = (fixtures / "fetch" / "rss_feed.xml").read_bytes()
    server.add("/rss/cs.CV", Reply(tuesday), Reply(friday_feed(tuesday)))
    down = server.add("/oai", Reply(b"", 503), repeat=True, **REPAIR)
    config = load_config(write_config(tmp_path, server, ["cs.CV"]))
    run(config, harvest=True, client=fast_client(), now=TUESDAY, build=False)
    before = ids(tmp_path)

    friday = run(config, harvest=True, client=fast_client(), now=FRIDAY, build=False)
    assert friday.harvest is not None
    line = friday.line()
    assert "could not be repaired through OAI-PMH" in line
    assert "the 2026-06-19 listing is stored; the next run repairs them" in line
    assert "repaired through OAI-PMH" not in " ".join(friday.harvest.warnings)
    listed = {f"2606.9{m[1:]}" for m in re.findall(r"2606\.(\d{5})", tuesday.decode())}
    assert listed <= ids(tmp_path) - before  # Friday's listing was stored

    down.repeat = False  # OAI-PMH is back: the same evening, only the repair is asked for
    one_page = (
        (fixtures / "live" / "oai_page3.xml").read_bytes().replace(b'cursor="4"', b'cursor="0"')
    )
    server.add("/oai", Reply(one_page.replace(b'Size="5"', b'Size="1"')), **REPAIR)
    again = run(config, harvest=True, client=fast_client(), now=FRIDAY, build=False)
    assert again.harvest is not None and not again.harvest.unreachable
    assert "listings between 2026-06-16 and 2026-06-19 were missed; repaired through OAI-PMH" in (
        again.harvest.warnings
    )
    requests = len(server.log)
    run(config, harvest=True, client=fast_client(), now=FRIDAY, build=False)
    assert len(server.log) == requests  # repaired: nothing is pending any more
