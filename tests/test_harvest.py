"""The daily harvest end to end against a local server replaying real arXiv responses: exact
counts, no second fetch, arXiv's calendar, resumable OAI backfills and an unreachable arXiv."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from clirun import papertide
from replay import ReplayServer, Reply

from papertide.config import load_config
from papertide.errors import ArxivUnreachableError
from papertide.fetch.calendar import last_announcement, listing_day, next_announcement
from papertide.fetch.client import PoliteClient
from papertide.pipeline import run
from papertide.store import Store

FEED = "arxiv/rss/aioarxiv_jmmeus/rss_mock_feed.xml"
# The archives the recorded feed was requested for (its <link>).
ARCHIVES = [
    "astro-ph",
    "cond-mat",
    "physics",
    "quant-ph",
    "math",
    "cs",
    "econ",
    "eess",
    "gr-qc",
    "hep-ex",
    "hep-lat",
    "hep-ph",
    "hep-th",
    "math-ph",
    "nlin",
    "nucl-ex",
    "nucl-th",
    "q-bio",
    "q-fin",
    "stat",
]
THURSDAY_NOON = datetime(2024, 11, 28, 17, 0, tzinfo=UTC)  # 12:00 US Eastern
FRIDAY_NOON = datetime(2024, 11, 29, 17, 0, tzinfo=UTC)
SATURDAY_NOON = datetime(2024, 11, 30, 17, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    replay = ReplayServer()
    yield replay
    replay.close()
    assert not replay.unexpected, f"requests nothing was recorded for: {replay.unexpected}"
    assert not replay.unused(), f"recordings never requested: {replay.unused()}"


def write_config(folder: Path, server: ReplayServer, categories: list[str], **arxiv: str) -> Path:
    extra = "".join(f"{key} = {value}\n" for key, value in arxiv.items())
    cats = ", ".join(f'"{c}"' for c in categories)
    path = folder / "papertide.toml"
    path.write_text(
        f"""[store]
path = "store.db"

[select]
embedder = "none"  # these tests are about fetching

[arxiv]
categories = [{cats}]
contact = "digests@example.org"
rss_url = "{server.url}/rss"
oai_url = "{server.url}/oai"
api_url = "{server.url}/api/query"
{extra}
[[topics]]
name = "Gaussian Splatting"
slug = "3dgs"
query = 'abs:"gaussian splatting"'
""",
        encoding="utf-8",
    )
    return path


def fast_client() -> PoliteClient:
    return PoliteClient(delay=0.02, floor=0.02, backoff=0.02, max_wait=0.3)


def stored(folder: Path) -> int:
    with sqlite3.connect(folder / "store.db") as db:
        return int(db.execute("SELECT COUNT(*) FROM papers").fetchone()[0])


def test_daily_run_ingests_the_whole_announcement_once(
    tmp_path: Path, server: ReplayServer, shared_data: Path
) -> None:
    server.add(f"/rss/{'+'.join(ARCHIVES)}", Reply((shared_data / FEED).read_bytes()))
    config = write_config(tmp_path, server, ARCHIVES)
    code, out, err = papertide(config, "run")
    assert code == 0, err
    assert (
        "arXiv announced 1504 for 2024-11-28 (926 new, 569 revised, 9 cross-listed) in 1 request"
        in out
    )
    assert "1504 fetched (1504 new, 0 revised, 0 already stored)" in out
    assert stored(tmp_path) == 1504
    assert server.log[0].headers["User-Agent"].endswith("mailto:digests@example.org)")
    assert (tmp_path / "site" / "index.html").is_file()

    code, out, err = papertide(config, "run")  # the same evening again: nothing is announced
    assert code == 4, err  # EXIT_NOTHING_NEW: schedulers can tell it from a failure
    assert len(server.log) == 1  # no second request
    assert "arXiv has announced nothing new since the 2024-11-28 listing" in out
    assert "0 fetched" in out and stored(tmp_path) == 1504


def test_saturday_run_says_no_announcement_and_when_the_next_is_due(
    tmp_path: Path, server: ReplayServer, shared_data: Path
) -> None:
    server.add("/rss/cs.CV+cs.AI", Reply((shared_data / FEED).read_bytes()))
    config = load_config(write_config(tmp_path, server, ["cs.CV", "cs.AI"]))
    friday = run(config, harvest=True, client=fast_client(), now=FRIDAY_NOON)
    assert friday.harvest is not None and friday.harvest.counts.new == 1504

    saturday = run(config, harvest=True, client=fast_client(), now=SATURDAY_NOON)
    assert len(server.log) == 1  # arXiv's calendar says nothing is out: no request at all
    assert saturday.fetched == 0
    assert saturday.harvest is not None
    line = saturday.line()
    assert "arXiv has announced nothing new since the 2024-11-28 listing" in line
    assert "announces Sunday to Thursday at 20:00 US Eastern" in line
    assert "next is due Sunday 2024-12-01 20:00 US Eastern (Mon 01:00 UTC)" in line


def test_an_empty_feed_is_no_announcement(
    tmp_path: Path, server: ReplayServer, shared_data: Path
) -> None:
    empty = shared_data / "arxiv/rss/aioarxiv_jmmeus/empty_rss_mock_feed.xml"
    server.add("/rss/cs.CV", Reply(empty.read_bytes()))
    config = load_config(write_config(tmp_path, server, ["cs.CV"]))
    summary = run(config, harvest=True, client=fast_client(), now=SATURDAY_NOON)
    assert "arXiv has announced nothing new" in summary.line()
    assert "next is due Sunday 2024-12-01" in summary.line()


def test_calendar_of_announcements() -> None:
    # Wednesday 20:00 EST is Thursday 01:00 UTC, and publishes Thursday's listing.
    wednesday_evening = datetime(2024, 11, 28, 1, 0, tzinfo=UTC)
    assert last_announcement(THURSDAY_NOON) == wednesday_evening
    assert listing_day(wednesday_evening) == date(2024, 11, 28)
    # Friday and Saturday evenings have none; summer time shifts the hour in UTC.
    assert next_announcement(FRIDAY_NOON) == datetime(2024, 12, 2, 1, 0, tzinfo=UTC)
    assert next_announcement(datetime(2025, 7, 4, 12, tzinfo=UTC)) == datetime(
        2025, 7, 7, 0, 0, tzinfo=UTC
    )
    holiday = next_announcement(FRIDAY_NOON, holidays=[date(2024, 12, 1)])
    assert holiday == datetime(2024, 12, 3, 1, 0, tzinfo=UTC)


OAI_FIRST = {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "set": "cs"}


def test_backfill_killed_between_pages_resumes_without_loss(
    tmp_path: Path, server: ReplayServer, fixtures: Path
) -> None:
    page = {n: (fixtures / "live" / f"oai_page{n}.xml").read_bytes() for n in (1, 2, 3)}
    query = {**OAI_FIRST, "from": "2026-06-15", "until": "2026-06-18"}
    server.add("/oai", Reply(page[1]), **query)
    down = server.add(
        "/oai", Reply(b"", 503), repeat=True, verb="ListRecords", resumptionToken="tok-1"
    )
    config = load_config(write_config(tmp_path, server, ["cs.CV", "cs.AI", "cs.LG"]))
    since, until = date(2026, 6, 15), date(2026, 6, 18)
    first = run(config, client=fast_client(), since=since, until=until, build=False)
    assert first.harvest is not None and first.harvest.unreachable  # arXiv went down mid-way
    assert stored(tmp_path) == 2  # the first page is kept

    down.repeat = False  # arXiv is back
    server.add("/oai", Reply(page[2]), verb="ListRecords", resumptionToken="tok-1")
    server.add("/oai", Reply(page[3]), verb="ListRecords", resumptionToken="tok-2")
    second = run(config, client=fast_client(), since=since, until=until, build=False)
    assert second.harvest is not None and not second.harvest.unreachable
    assert stored(tmp_path) == 4  # 2606.10005 is math.AG only: not a configured category
    assert [e.query.get("resumptionToken") for e in server.log[-2:]] == ["tok-1", "tok-2"]
    with Store(tmp_path / "store.db") as store:
        paper = store.get_paper("2606.10004")
        assert paper is not None and paper.version == 3 and paper.withdrawn

    requests = len(server.log)
    third = run(config, client=fast_client(), since=since, until=until, build=False)
    assert len(server.log) == requests and third.fetched == 0  # a finished backfill: no request


def test_unreachable_arxiv_builds_the_site_and_exits_3(tmp_path: Path) -> None:
    config = tmp_path / "papertide.toml"
    config.write_text(
        '[store]\npath = "store.db"\n[select]\nembedder = "none"\n'
        '[arxiv]\nrss_url = "http://127.0.0.1:9/rss"\nmax_wait = 1\n'
        '[[topics]]\nname = "A"\nquery = "gaussian"\n',
        encoding="utf-8",
    )
    code, out, err = papertide(config, "run")
    assert code == 3
    assert "arXiv is unreachable: 127.0.0.1:9" in out and "the site was built from the store" in out
    assert (tmp_path / "site" / "index.html").is_file()
    assert "Traceback" not in out + err


def test_delay_below_three_seconds_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "papertide.toml"
    config.write_text('[arxiv]\ndelay = 1\n[[topics]]\nname = "A"\nquery = "x"\n')
    code, _, err = papertide(config, "run")
    assert code == 1 and "arxiv.delay: 1.0 s is below arXiv's minimum of 3 s" in err


def test_arxiv_unreachable_error_is_a_papertide_error() -> None:
    with pytest.raises(ArxivUnreachableError):
        PoliteClient(max_wait=0.1, floor=0.01, delay=0.01).get("http://127.0.0.1:9/")
