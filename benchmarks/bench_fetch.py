"""Fetching: requests per daily run, and parse throughput next to feedparser.

    python benchmarks/bench_fetch.py

1. Requests a daily run sends with 1, 6 and 30 topics over cs.CV + cs.AI, against a local
   server replaying the recorded 1,504-item RSS announcement (goal: the same for all three),
   and what a second run the same evening sends.
2. Entries parsed per second for that feed and for a 100-entry query-API page, by papertide's
   parsers and by ``feedparser`` on the same bytes (feedparser is not a papertide dependency:
   ``pip install feedparser`` to compare; the benchmark says so when it is missing).

Reads ../shared/data (or $PAPERTIDE_SHARED_DATA).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from replay import ReplayServer, Reply  # noqa: E402

from papertide.config import load_config  # noqa: E402
from papertide.fetch.atom import parse_atom  # noqa: E402
from papertide.fetch.client import PoliteClient  # noqa: E402
from papertide.fetch.rss import parse_rss  # noqa: E402
from papertide.pipeline import run  # noqa: E402

DATA = Path(os.environ.get("PAPERTIDE_SHARED_DATA", ROOT.parent / "shared" / "data"))
FEED = DATA / "arxiv/rss/aioarxiv_jmmeus/rss_mock_feed.xml"
API_PAGE = DATA / "arxiv/api/arxiv.py_fixtures/q_testing_s0_m100_cfe7536492ca.xml"
THURSDAY_NOON = datetime(2024, 11, 28, 17, 0, tzinfo=UTC)


def config_text(url: str, topics: int) -> str:
    blocks = [
        f'[[topics]]\nname = "Topic {n}"\nquery = \'abs:"topic{n}" OR ti:model\'\n'
        'categories = ["cs.CV", "cs.AI"]\n'
        for n in range(topics)
    ]
    head = (
        f'[store]\npath = "store.db"\n[select]\nembedder = "none"\n[arxiv]\nrss_url = "{url}/rss"\n'
    )
    return head + "\n".join(blocks)


def requests_per_run(topics: int) -> tuple[int, int]:
    server = ReplayServer()
    server.add("/rss/cs.CV+cs.AI", Reply(FEED.read_bytes()), repeat=True)
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "papertide.toml"
            path.write_text(config_text(server.url, topics), encoding="utf-8")
            config = load_config(path)
            counts = []
            for _ in range(2):
                client = PoliteClient(delay=0.01, floor=0.01)
                run(config, harvest=True, client=client, now=THURSDAY_NOON, build=False)
                counts.append(client.sent)
            return counts[0], counts[1]
    finally:
        server.close()


def rate(parse: Callable[[bytes], int], data: bytes, seconds: float = 2.0) -> float:
    entries, rounds, started = 0, 0, time.perf_counter()
    while time.perf_counter() - started < seconds or rounds < 2:
        entries += parse(data)
        rounds += 1
    return entries / (time.perf_counter() - started)


def main() -> None:
    if not FEED.is_file():
        sys.exit(f"real data not found at {DATA} (set PAPERTIDE_SHARED_DATA)")
    print("requests per daily run over cs.CV + cs.AI (first run / same evening again):")
    for topics in (1, 6, 30):
        first, again = requests_per_run(topics)
        print(f"  {topics:>2} topics: {first} / {again}")

    try:
        import feedparser  # type: ignore[import-untyped]
    except ImportError:
        feedparser = None
    print("\nparse throughput, entries per second:")
    print(f"  {'input':<32} {'papertide':>10} {'feedparser':>11}")
    for label, path, ours in (
        ("RSS feed, 1,504 items", FEED, parse_rss),
        ("query-API page, 100 entries", API_PAGE, parse_atom),
    ):
        data = path.read_bytes()
        mine = rate(lambda b, parse=ours: len(parse(b, "bench")), data)  # type: ignore[misc]
        if feedparser is None:
            theirs = "not installed (pip install feedparser to compare)"
        else:
            theirs = f"{rate(lambda b: len(feedparser.parse(b).entries), data):>11,.0f}"
        print(f"  {label:<32} {mine:>10,.0f} {theirs}")


if __name__ == "__main__":
    main()
