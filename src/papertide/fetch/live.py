"""Live arXiv sources: the daily listing feed, OAI-PMH and the query API.

Each is a ``Source`` (``papers()``) and also yields ``Batch``es, one per response, so that the
pipeline can store page by page and remember where an OAI harvest stands: a run killed
between pages resumes from the last stored page. Every request goes through ``PoliteClient``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeVar

from papertide.errors import IncompleteHarvestError, InputError, MalformedInputError
from papertide.fetch.atom import AtomPage, parse_atom_page
from papertide.fetch.client import PoliteClient, Response
from papertide.fetch.oai import OaiPage, OaiProtocolError, parse_oai_page
from papertide.fetch.rss import parse_rss
from papertide.records import Paper

T = TypeVar("T")

RSS_URL = "https://rss.arxiv.org/rss"
OAI_URL = "https://oaipmh.arxiv.org/oai"
API_URL = "https://export.arxiv.org/api/query"
PARSE_ATTEMPTS = 3  # a truncated or garbled response is fetched again this many times in all
EMPTY_PAGE_ATTEMPTS = 4  # spurious empty pages (query API, OAI-PMH) are fetched again


@dataclass(frozen=True, slots=True)
class Batch:
    """The papers of one response, and how to go on after they are stored."""

    papers: list[Paper]
    checkpoint: str | None = None  # OAI resumption token for the next page; None at the end
    declared: int | None = None  # how many records the service says the whole harvest holds


class BatchSource(Protocol):
    name: str

    def batches(self) -> Iterator[Batch]: ...

    def papers(self) -> Iterator[Paper]: ...


def fetch_parsed(
    client: PoliteClient,
    url: str,
    params: Mapping[str, str | int],
    parse: Callable[[bytes, str], T],
    error_statuses: Sequence[int] = (),
) -> T:
    """GET and parse; a malformed (truncated, HTML) answer is fetched again, then reported.

    Statuses in ``error_statuses`` carry an error document the parser explains (the API's
    HTTP 400 Atom error feed); any other non-200 status is an InputError.
    """
    failure: MalformedInputError | None = None
    for _ in range(PARSE_ATTEMPTS):
        response = client.get(url, params)
        origin = _origin(response)
        if response.status != 200 and response.status not in error_statuses:
            raise InputError(
                f"{origin}: arXiv answered HTTP {response.status}; "
                "check the [arxiv] URLs and categories in the config"
            )
        if _looks_like_html(response.body):
            failure = MalformedInputError(
                f"{origin}: arXiv answered with an HTML page instead of XML "
                "(maintenance or an error page); run again later"
            )
            continue
        try:
            return parse(response.body, origin)
        except MalformedInputError as error:
            failure = error
    assert failure is not None
    raise failure


class RssSource:
    """The day's listing of one or more categories: ``rss.arxiv.org/rss/cs.CV+cs.AI``.

    One request covers every category; arXiv lists a paper once even when it is in several.
    """

    def __init__(self, client: PoliteClient, categories: Sequence[str], base_url: str = RSS_URL):
        self.client = client
        self.categories = tuple(categories)
        self.url = f"{base_url.rstrip('/')}/{'+'.join(self.categories)}"
        self.name = f"arXiv RSS {'+'.join(self.categories)}"

    def batches(self) -> Iterator[Batch]:
        papers = fetch_parsed(self.client, self.url, {}, parse_rss)
        yield Batch(papers, None, len(papers))

    def papers(self) -> Iterator[Paper]:
        for batch in self.batches():
            yield from batch.papers

    def listing_day(self, papers: Sequence[Paper]) -> date | None:
        return max((p.announced for p in papers if p.announced), default=None)


class OaiSource:
    """``ListRecords`` with ``metadataPrefix=arXivRaw``, a set, ``from``/``until`` and resumption.

    ``resume`` continues an interrupted harvest from its token; an expired token
    (``badResumptionToken``) restarts the harvest from the beginning, once. A page without
    records in the middle of the list (it has a token, or the list is short of its
    ``completeListSize``) is fetched again like the API's empty pages; a list that still ends
    short of its declared size raises IncompleteHarvestError after its last page, so that the
    harvest is not taken for complete.
    """

    def __init__(
        self,
        client: PoliteClient,
        *,
        set_spec: str | None = None,
        since: date | None = None,
        until: date | None = None,
        resume: str | None = None,
        base_url: str = OAI_URL,
    ) -> None:
        self.client = client
        self.url = base_url
        self.params: dict[str, str | int] = {"verb": "ListRecords", "metadataPrefix": "arXivRaw"}
        if set_spec:
            self.params["set"] = set_spec
        if since:
            self.params["from"] = since.isoformat()
        if until:
            self.params["until"] = until.isoformat()
        self.resume = resume
        self.restarted = False
        self.name = f"arXiv OAI-PMH {set_spec or 'all'} {since or ''}..{until or ''}".strip()

    def batches(self) -> Iterator[Batch]:
        token = self.resume
        seen: int | None = None if token else 0  # records of the list received so far
        declared: int | None = None
        retried = 0
        while True:
            params: dict[str, str | int] = (
                {"verb": "ListRecords", "resumptionToken": token} if token else self.params
            )
            try:
                page: OaiPage = fetch_parsed(self.client, self.url, params, parse_oai_page)
            except OaiProtocolError as error:
                if error.code != "badResumptionToken" or token is None or self.restarted:
                    raise
                self.restarted, token, seen = True, None, 0  # the token expired: start over
                continue
            declared = page.complete_size if page.complete_size is not None else declared
            # Count for ourselves; a resumed harvest starts from the server's cursor.
            before = seen if seen is not None else page.cursor
            short = before is not None and declared is not None and before < declared
            if page.records == 0 and (page.token or short) and retried < EMPTY_PAGE_ATTEMPTS - 1:
                retried += 1
                continue
            retried = 0
            seen = None if before is None else before + page.records
            yield Batch(page.papers, page.token, page.complete_size)
            if not page.token:
                if seen is not None and declared is not None and seen < declared:
                    raise IncompleteHarvestError(
                        f"arXiv's OAI-PMH list ({self.name}) ended after {seen} of the "
                        f"{declared} records it declared; what came is stored and the "
                        "next run fetches the list again to complete it"
                    )
                return
            token = page.token

    def papers(self) -> Iterator[Paper]:
        for batch in self.batches():
            yield from batch.papers


class ApiSource:
    """The query API: ``search_query`` or ``id_list``, paged with ``start``/``max_results``.

    The API sometimes answers a page in the middle of a result set with no entries; such a
    page is fetched again. ``limit`` caps the papers taken (None: the whole result set).
    """

    def __init__(
        self,
        client: PoliteClient,
        *,
        search_query: str = "",
        id_list: Sequence[str] = (),
        page_size: int = 100,
        limit: int | None = None,
        sort_by: str = "relevance",
        sort_order: str = "descending",
        base_url: str = API_URL,
    ) -> None:
        if not search_query and not id_list:
            raise ValueError("ApiSource needs a search_query or an id_list")
        self.client = client
        self.url = base_url
        self.search_query = search_query
        self.id_list = tuple(id_list)
        self.page_size = page_size
        self.limit = limit
        self.sort = {"sortBy": sort_by, "sortOrder": sort_order}
        what = f"search_query={search_query}" if search_query else f"{len(self.id_list)} ids"
        self.name = f"arXiv API {what}"

    def batches(self) -> Iterator[Batch]:
        start = 0
        while self.limit is None or start < self.limit:
            size = self.page_size if self.limit is None else min(self.page_size, self.limit - start)
            page = self._page(start, size)
            if not page.papers:
                return
            taken = page.papers[:size]
            yield Batch(taken, None, page.total)
            start += len(taken)
            if page.total is not None and start >= page.total:
                return

    def _page(self, start: int, size: int) -> AtomPage:
        params: dict[str, str | int] = {
            "search_query": self.search_query,
            "id_list": ",".join(self.id_list),
            **self.sort,
            "start": start,
            "max_results": size,
        }
        for _ in range(EMPTY_PAGE_ATTEMPTS):
            page = fetch_parsed(self.client, self.url, params, parse_atom_page, (400,))
            if page.papers or page.total is None or start >= page.total:
                return page
        raise InputError(
            f"{self.url}: the arXiv API kept answering an empty page at start={start} of "
            f"{page.total} results; run again later"
        )

    def papers(self) -> Iterator[Paper]:
        for batch in self.batches():
            yield from batch.papers


def _origin(response: Response) -> str:
    return response.url


def _looks_like_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith(b"<!doctype html") or head.startswith(b"<html")
