"""The live harvest: which arXiv requests a run makes, and what it remembers between runs.

The daily harvest asks for every configured category's listing in one request (so adding a
topic costs no request), stores it, and records per category the listing day and the time of
the harvest. A run after that makes no request until arXiv's calendar says a new announcement
is out. A gap (days missed because no run happened) is repaired through OAI-PMH. OAI harvests
store page by page and keep their resumption token in the store, so a killed run resumes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from papertide.config import ArxivConfig, Config
from papertide.errors import ArxivUnreachableError, MalformedInputError
from papertide.fetch.calendar import (
    describe,
    last_announcement,
    next_announcement,
)
from papertide.fetch.client import POLITE_DELAY, PoliteClient
from papertide.fetch.live import BatchSource, OaiSource, RssSource
from papertide.records import AnnounceType, Paper
from papertide.store import HarvestState, Store, UpsertCounts

_GAP = "rss:gap"  # listings missed between two runs whose repair has not succeeded yet
_OAI_TOP_SETS = {"cs", "econ", "eess", "math", "q-bio", "q-fin", "stat"}


def make_client(arxiv: ArxivConfig, floor: float = POLITE_DELAY) -> PoliteClient:
    """The client a run uses; only code may lower ``floor`` (tests, benchmarks)."""
    return PoliteClient(
        contact=arxiv.contact,
        delay=arxiv.delay,
        max_wait=arxiv.max_wait,
        timeout=arxiv.timeout,
        floor=floor,
    )


def oai_set(category: str) -> str:
    """The OAI-PMH set holding a category: ``cs.CV`` -> ``cs``, ``hep-th`` -> ``physics:hep-th``."""
    archive = category.split(".", 1)[0]
    return archive if archive in _OAI_TOP_SETS else f"physics:{archive}"


@dataclass
class HarvestReport:
    """What a harvest asked for, what arXiv announced and what the store made of it."""

    requests: int = 0
    listing: date | None = None  # the listing day fetched
    announced: int = 0  # items the responses held
    declared: int | None = None  # what the service said it would send, when it says
    by_type: dict[str, int] = field(default_factory=dict)  # new / revised / cross-listed
    counts: UpsertCounts = UpsertCounts()
    nothing_new_since: date | None = None
    next_due: datetime | None = None
    unreachable: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def received(self) -> int:
        return self.announced

    def add(self, counts: UpsertCounts) -> None:
        self.counts += counts

    def line(self) -> str:
        if self.unreachable:
            return self.unreachable
        if self.next_due is not None and not (self.counts.new or self.counts.revised):
            since = f" since the {self.nothing_new_since} listing" if self.nothing_new_since else ""
            return (
                f"arXiv has announced nothing new{since}; it announces Sunday to Thursday at "
                f"20:00 US Eastern, the next is due {describe(self.next_due)}"
            )
        kinds = ", ".join(f"{n} {kind}" for kind, n in self.by_type.items() if n)
        day = f" for {self.listing}" if self.listing else ""
        c = self.counts
        what = f"announced {self.announced}{day} ({kinds or 'nothing'})"
        if not self.by_type:
            what = f"sent {self.announced} papers of the configured categories"
        return (
            f"arXiv {what} in "
            f"{self.requests} request(s): {c.new} new to the store, {c.revised} updated, "
            f"{c.unchanged} already stored"
        )


def announced_types(papers: Iterable[Paper]) -> dict[str, int]:
    counts = {"new": 0, "revised": 0, "cross-listed": 0}
    for paper in papers:
        if paper.announce_type in (AnnounceType.REPLACE, AnnounceType.REPLACE_CROSS):
            counts["revised"] += 1
        elif paper.announce_type == AnnounceType.CROSS:
            counts["cross-listed"] += 1
        elif paper.announce_type == AnnounceType.NEW:
            counts["new"] += 1
    return counts


def daily_harvest(
    store: Store, config: Config, client: PoliteClient, now: datetime | None = None
) -> HarvestReport:
    """Fetch what arXiv announced since the last harvest of each configured category."""
    now = now or datetime.now(UTC)
    arxiv = config.arxiv
    categories = config.harvest_categories()
    report = HarvestReport()
    sent_before = client.sent
    try:
        if arxiv.source == "oai":
            _daily_oai(store, arxiv, client, categories, now, report)
        else:
            _daily_rss(store, arxiv, client, categories, now, report)
    except (ArxivUnreachableError, MalformedInputError) as error:
        report.unreachable = _unusable(error)
    report.requests = client.sent - sent_before
    return report


def _unusable(error: ArxivUnreachableError | MalformedInputError) -> str:
    """What the run says when arXiv did not answer, or kept answering something unusable (a
    maintenance page, a truncated feed): either way nothing new, try again later (exit 3)."""
    if isinstance(error, ArxivUnreachableError):
        return str(error)
    return f"arXiv is not answering usably: {error}"


def _daily_rss(
    store: Store,
    arxiv: ArxivConfig,
    client: PoliteClient,
    categories: Sequence[str],
    now: datetime,
    report: HarvestReport,
) -> None:
    states = {cat: store.harvest_state(f"rss:{cat}") for cat in categories}
    listings = [s.last_listing for s in states.values() if s and s.last_listing]
    last_listing = min(listings) if len(listings) == len(categories) else None
    latest = last_announcement(now, arxiv.holidays)
    pending = _pending_gap(store)
    if all(s and s.harvested_at and s.harvested_at >= latest for s in states.values()):
        report.nothing_new_since = last_listing
        report.next_due = next_announcement(now, arxiv.holidays)
        if pending:  # an earlier repair failed: nothing else to ask, but that again
            _repair_gap(store, arxiv, client, categories, *pending, report)
        return  # nothing announced since the last harvest: no other request

    source = RssSource(client, categories, arxiv.rss_url)
    papers = [p for batch in source.batches() for p in batch.papers]
    listing = source.listing_day(papers)
    report.listing = listing
    report.announced = len(papers)
    report.declared = len(papers)
    report.by_type = announced_types(papers)
    if len({p.arxiv_id for p in papers}) < len(papers):
        report.warnings.append(
            f"the feed listed {len(papers)} items for {len({p.arxiv_id for p in papers})} papers"
        )
    # The listing is stored first: a gap repair that fails must not cost the day's papers.
    with store.transaction():
        report.add(store.upsert_papers(papers))
        for cat, state in states.items():
            known = [d for d in (listing, state.last_listing if state else None) if d]
            newest = max(known, default=None)
            store.save_harvest_state(HarvestState(f"rss:{cat}", newest, now, None))
    stored = report.counts.new + report.counts.revised + report.counts.unchanged
    if stored != report.announced:
        report.warnings.append(f"the feed announced {report.announced} but {stored} were stored")
    earliest = min(listings, default=None)
    gap = None
    if listing and earliest and _missed_listings(earliest, listing, arxiv.holidays):
        gap = (earliest, listing)
    if pending:
        gap = (min(pending[0], gap[0]), max(pending[1], gap[1])) if gap else pending
    if gap:
        _repair_gap(store, arxiv, client, categories, *gap, report)
    if not papers or (last_listing and listing and listing <= last_listing):
        report.nothing_new_since = last_listing or listing
        report.next_due = next_announcement(now, arxiv.holidays)


def _missed_listings(last: date, current: date, holidays: Sequence[date]) -> list[date]:
    """Weekday listings strictly between two listing days (a listing follows an evening)."""
    missed = []
    day = last + timedelta(days=1)
    while day < current:
        if day.weekday() < 5 and (day - timedelta(days=1)) not in holidays:
            missed.append(day)
        day += timedelta(days=1)
    return missed


def _repair_gap(
    store: Store,
    arxiv: ArxivConfig,
    client: PoliteClient,
    categories: Sequence[str],
    since: date,
    until: date,
    report: HarvestReport,
) -> None:
    """Listings were missed between two runs: fetch them through OAI-PMH. Until that succeeds
    the gap stays pending in the store, and every later run tries it again."""
    store.save_harvest_state(HarvestState(_GAP, since, None, until.isoformat()))
    try:
        for set_spec in dict.fromkeys(oai_set(c) for c in categories):
            source = OaiSource(
                client, set_spec=set_spec, since=since, until=until, base_url=arxiv.oai_url
            )
            harvest_batches(store, source, f"repair:{set_spec}", report, categories)
    except (ArxivUnreachableError, MalformedInputError) as error:
        stored = f"the {report.listing} listing is stored; " if report.listing else ""
        report.unreachable = (
            f"the listings missed between {since} and {until} could not be repaired through "
            f"OAI-PMH ({_unusable(error)}); {stored}the next run repairs them"
        )
        return
    store.save_harvest_state(HarvestState(_GAP))
    report.warnings.append(
        f"listings between {since} and {until} were missed; repaired through OAI-PMH"
    )


def _pending_gap(store: Store) -> tuple[date, date] | None:
    """The missed listings of a repair that has not succeeded yet."""
    state = store.harvest_state(_GAP)
    if state is None or state.last_listing is None or not state.checkpoint:
        return None
    return state.last_listing, date.fromisoformat(state.checkpoint)


def _daily_oai(
    store: Store,
    arxiv: ArxivConfig,
    client: PoliteClient,
    categories: Sequence[str],
    now: datetime,
    report: HarvestReport,
) -> None:
    """The daily harvest through OAI-PMH: every set from its last harvest day to today."""
    today = now.astimezone(UTC).date()
    for set_spec in dict.fromkeys(oai_set(c) for c in categories):
        key = f"oai:{set_spec}"
        state = store.harvest_state(key)
        since = state.last_listing if state and state.last_listing else today - timedelta(days=1)
        source = OaiSource(
            client,
            set_spec=set_spec,
            since=since,
            resume=state.checkpoint if state else None,
            base_url=arxiv.oai_url,
        )
        harvest_batches(store, source, key, report, categories, since, now)
    if not (report.counts.new or report.counts.revised):
        report.next_due = next_announcement(now, arxiv.holidays)


def harvest_batches(
    store: Store,
    source: BatchSource,
    key: str,
    report: HarvestReport,
    categories: Sequence[str],
    since: date | None = None,
    now: datetime | None = None,
) -> None:
    """Store a source page by page, each page in one transaction with its resumption token;
    only the papers listed in ``categories`` are kept (a set holds a whole archive)."""
    declared: int | None = None
    for batch in source.batches():
        papers = [p for p in batch.papers if p.listed_in(categories)]
        report.announced += len(papers)
        declared = batch.declared if batch.declared is not None else declared
        with store.transaction():
            report.add(store.upsert_papers(papers))
            store.save_harvest_state(HarvestState(key, since, None, batch.checkpoint))
    finished = now or datetime.now(UTC)
    store.save_harvest_state(HarvestState(key, finished.date(), finished, None))
    if declared is not None:
        report.declared = (report.declared or 0) + declared


def backfill(
    store: Store,
    config: Config,
    client: PoliteClient,
    since: date,
    until: date | None = None,
    now: datetime | None = None,
) -> HarvestReport:
    """Everything OAI-PMH holds for the configured categories from ``since`` to ``until``.

    Each set's harvest is resumable: a run killed between pages goes on from its last stored
    page; a backfill with an ``until`` that already completed is not fetched again.
    """
    categories = config.harvest_categories()
    report = HarvestReport()
    sent_before = client.sent
    try:
        for set_spec in dict.fromkeys(oai_set(c) for c in categories):
            key = f"oai:{set_spec}:{since}:{until or ''}"
            state = store.harvest_state(key)
            if until and state and state.harvested_at and not state.checkpoint:
                continue
            source = OaiSource(
                client,
                set_spec=set_spec,
                since=since,
                until=until,
                resume=state.checkpoint if state else None,
                base_url=config.arxiv.oai_url,
            )
            harvest_batches(store, source, key, report, categories, since, now)
    except (ArxivUnreachableError, MalformedInputError) as error:
        report.unreachable = _unusable(error)
    report.requests = client.sent - sent_before
    return report
