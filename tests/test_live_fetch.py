"""Live arXiv sources against a local server replaying recorded responses, with injected faults:
politeness (spacing, User-Agent, Retry-After, backoff), paging, resumption and bad answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from replay import ReplayServer, Reply, recorded, without_entries

from papertide.errors import ArxivUnreachableError, InputError, MalformedInputError
from papertide.fetch.client import PoliteClient, user_agent
from papertide.fetch.live import ApiSource, OaiSource, RssSource
from papertide.fetch.oai import OaiProtocolError

DELAY = 0.05  # the tests' minimum spacing; arXiv's 3 s only code can lower, as here
API = "arxiv/api/arxiv.py_fixtures"
OAI = "arxiv/oai/arXivOAIHarvester"
RSS = "arxiv/rss/aioarxiv_jmmeus"


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    replay = ReplayServer()
    yield replay
    replay.close()
    assert not replay.unexpected, f"requests nothing was recorded for: {replay.unexpected}"
    assert not replay.unused(), f"recordings never requested: {replay.unused()}"


def client(**overrides: float) -> PoliteClient:
    options: dict[str, float] = {"delay": DELAY, "floor": DELAY, "backoff": DELAY, "max_wait": 5}
    options.update(overrides)
    return PoliteClient(contact="digests@example.org", **options)  # type: ignore[arg-type]


def assert_polite(server: ReplayServer, minimum: float = DELAY) -> None:
    assert server.gaps(), "expected more than one request"
    assert min(server.gaps()) >= minimum * 0.95, server.gaps()  # clock granularity only


# --- the client -----------------------------------------------------------------------


def test_config_cannot_lower_the_delay_below_three_seconds() -> None:
    assert PoliteClient(delay=1.0).delay == 3.0
    assert PoliteClient(delay=5.0).delay == 5.0


def test_requests_are_spaced_and_name_a_contact(server: ReplayServer) -> None:
    server.add("/feed", Reply(b"one"), Reply(b"two"), Reply(b"three"))
    polite = client(delay=0.2)
    bodies = [polite.get(f"{server.url}/feed").body for _ in range(3)]
    assert bodies == [b"one", b"two", b"three"]
    assert_polite(server, 0.2)
    agent = server.log[0].headers["User-Agent"]
    assert agent == user_agent("digests@example.org") and "mailto:digests@example.org" in agent


def test_retry_after_is_honoured(server: ReplayServer) -> None:
    server.add("/feed", Reply(b"", 429, {"Retry-After": "1"}), Reply(b"ok"))
    assert client().get(f"{server.url}/feed").body == b"ok"
    assert server.gaps()[0] >= 0.95


@pytest.mark.parametrize(
    "fault",
    [Reply(b"", 429), Reply(b"busy", 503), Reply(b"", 502), Reply(drop=True)],
    ids=["429 without Retry-After", "503", "502", "dropped connection"],
)
def test_transient_faults_are_retried_with_backoff(server: ReplayServer, fault: Reply) -> None:
    server.add("/feed", fault, fault, Reply(b"ok"))
    polite = client()
    assert polite.get(f"{server.url}/feed").body == b"ok"
    assert polite.sent == 3
    gaps = server.gaps()
    assert gaps[1] > gaps[0] * 1.2 or gaps[1] >= 2 * DELAY  # the wait grows
    assert_polite(server)


def test_arxiv_that_stays_down_gives_one_clear_line_within_the_bounded_wait(
    server: ReplayServer,
) -> None:
    server.add("/feed", Reply(b"down", 503), repeat=True)
    polite = client(max_wait=0.5)
    with pytest.raises(ArxivUnreachableError) as caught:
        polite.get(f"{server.url}/feed")
    message = str(caught.value)
    assert "\n" not in message and "HTTP 503" in message and "run again later" in message
    assert server.log[-1].at - server.log[0].at <= 0.5 + DELAY
    assert_polite(server)


def test_a_retry_after_beyond_the_budget_gives_up_at_once(server: ReplayServer) -> None:
    server.add("/feed", Reply(b"", 429, {"Retry-After": "3600"}))
    with pytest.raises(ArxivUnreachableError, match="asked to retry after 3600 s"):
        client().get(f"{server.url}/feed")
    assert len(server.log) == 1


def test_a_closed_port_is_reported_not_raised(server: ReplayServer) -> None:
    with pytest.raises(ArxivUnreachableError, match="connection failed"):
        client(max_wait=0.2).get("http://127.0.0.1:9/feed")


# --- the query API --------------------------------------------------------------------


def add_api_pages(server: ReplayServer, folder: Path, starts: range, size: int) -> list[bytes]:
    bodies = []
    for start in starts:
        query, reply = recorded(folder, f"q_testing_s{start}_m{size}")
        server.add("/api/query", reply, **query)
        bodies.append(reply.body)
    return bodies


def api(server: ReplayServer, polite: PoliteClient, **options: object) -> ApiSource:
    return ApiSource(polite, base_url=f"{server.url}/api/query", **options)  # type: ignore[arg-type]


def test_api_pages_through_a_search(server: ReplayServer, shared_data: Path) -> None:
    add_api_pages(server, shared_data / API, range(0, 60, 10), 10)
    papers = list(api(server, client(), search_query="testing", page_size=10, limit=60).papers())
    assert len(papers) == 60 and len({p.arxiv_id for p in papers}) == 60
    assert papers[0].arxiv_id == "2202.12139"
    assert [int(e.query["start"]) for e in server.log] == [0, 10, 20, 30, 40, 50]
    assert_polite(server)


def test_api_empty_page_mid_results_and_truncated_xml_are_fetched_again(
    server: ReplayServer, shared_data: Path
) -> None:
    folder = shared_data / API
    add_api_pages(server, folder, range(0, 20, 10), 10)
    query, page = recorded(folder, "q_testing_s20_m10")
    server.add(
        "/api/query",
        Reply(without_entries(page.body)),  # the API's spurious empty page
        Reply(page.body, truncate=len(page.body) // 2),  # a connection cut mid-body
        page,
        **query,
    )
    papers = list(api(server, client(), search_query="testing", page_size=10, limit=30).papers())
    assert len({p.arxiv_id for p in papers}) == 30
    assert [int(e.query["start"]) for e in server.log] == [0, 10, 20, 20, 20]
    assert_polite(server)


def test_api_id_lookup_and_error_feed(server: ReplayServer, shared_data: Path) -> None:
    folder = shared_data / API
    query, reply = recorded(folder, "id_0808.05394_1707.08567_s0_m100")
    server.add("/api/query", reply, **query)
    bad_query, bad = recorded(folder, "id_abc_s0_m100")
    server.add("/api/query", bad, **bad_query)
    ids = ["0808.05394", "1707.08567"]  # arXiv knows no 0808.05394: one paper comes back
    found = list(api(server, client(), id_list=ids, page_size=100, limit=None).papers())
    assert [p.arxiv_id for p in found] == ["1707.08567"]
    with pytest.raises(InputError, match="the arXiv API returned an error"):
        list(api(server, client(), id_list=["abc"], page_size=100).papers())


# --- OAI-PMH ----------------------------------------------------------------------------


def add_oai(server: ReplayServer, fixtures: Path, page: int, **query: str) -> None:
    server.add("/oai", Reply((fixtures / "live" / f"oai_page{page}.xml").read_bytes()), **query)


FIRST = {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "set": "cs", "from": "2026-06-15"}


def oai(server: ReplayServer, polite: PoliteClient, resume: str | None = None) -> OaiSource:
    from datetime import date

    return OaiSource(
        polite, set_spec="cs", since=date(2026, 6, 15), resume=resume, base_url=f"{server.url}/oai"
    )


def test_oai_follows_resumption_tokens(server: ReplayServer, fixtures: Path) -> None:
    add_oai(server, fixtures, 1, **FIRST)
    add_oai(server, fixtures, 2, verb="ListRecords", resumptionToken="tok-1")
    add_oai(server, fixtures, 3, verb="ListRecords", resumptionToken="tok-2")
    batches = list(oai(server, client()).batches())
    assert [b.checkpoint for b in batches] == ["tok-1", "tok-2", None]
    assert [b.declared for b in batches] == [5, 5, 5]
    papers = {p.arxiv_id: p for b in batches for p in b.papers}
    assert len(papers) == 5 and papers["2606.10004"].version == 3
    assert papers["2606.10004"].withdrawn  # its last version is 0 kb
    assert_polite(server)


def test_oai_expired_token_restarts_the_harvest(
    server: ReplayServer, fixtures: Path, shared_data: Path
) -> None:
    expired = (shared_data / OAI / "ErrorResponseBadResumptionToken.xml").read_bytes()
    server.add("/oai", Reply(expired), verb="ListRecords", resumptionToken="stale")
    add_oai(server, fixtures, 1, **FIRST)
    add_oai(server, fixtures, 2, verb="ListRecords", resumptionToken="tok-1")
    add_oai(server, fixtures, 3, verb="ListRecords", resumptionToken="tok-2")
    papers = list(oai(server, client(), resume="stale").papers())
    assert len(papers) == 5


def test_oai_errors_and_no_records(server: ReplayServer, shared_data: Path) -> None:
    folder = shared_data / OAI
    server.add("/oai", Reply((folder / "ErrorResponseNoRecordsMatch.xml").read_bytes()), **FIRST)
    assert list(oai(server, client()).papers()) == []
    server.add("/oai", Reply((folder / "ErrorResponseBadArgument.xml").read_bytes()), **FIRST)
    with pytest.raises(OaiProtocolError, match="badArgument"):
        list(oai(server, client()).papers())


# --- RSS --------------------------------------------------------------------------------


def test_rss_html_page_served_with_200_and_truncated_feed(
    server: ReplayServer, shared_data: Path
) -> None:
    feed = (shared_data / RSS / "rss_mock_feed.xml").read_bytes()
    html = b"<!DOCTYPE html><html><body>We are down for maintenance</body></html>"
    server.add("/rss/cs.CV+cs.AI", Reply(html), Reply(feed, truncate=5000), Reply(feed))
    papers = list(RssSource(client(), ["cs.CV", "cs.AI"], f"{server.url}/rss").papers())
    assert len(papers) == 1504
    assert_polite(server)


def test_rss_that_stays_broken_is_reported(server: ReplayServer) -> None:
    server.add("/rss/cs.CV", Reply(b"<rss><channel><item>"), repeat=True)
    with pytest.raises(MalformedInputError, match="malformed XML"):
        list(RssSource(client(), ["cs.CV"], f"{server.url}/rss").papers())
    assert len(server.log) == 3


def test_rss_error_feed_for_a_bad_category(server: ReplayServer, shared_data: Path) -> None:
    error = (shared_data / RSS / "error_rss_mock_feed.xml").read_bytes()
    server.add("/rss/cs.XX", Reply(error))
    with pytest.raises(InputError, match="arXiv RSS returned an error"):
        list(RssSource(client(), ["cs.XX"], f"{server.url}/rss").papers())
