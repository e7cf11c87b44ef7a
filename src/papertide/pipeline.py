"""One run: fetch → store → select → write → publish, each stage safe to repeat.

Every stage works from what the store lacks rather than from what this run fetched, so a
run killed halfway is completed by the next one, and nothing is fetched, decided or paid
for twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TypeVar

from papertide.config import Config
from papertide.enrich import find_links
from papertide.fetch import read_papers
from papertide.publish import BuildResult, SiteInfo, TopicArchive, build_site
from papertide.records import (
    AnnounceType,
    Digest,
    DigestEntry,
    Match,
    Paper,
    PaperStatus,
    Topic,
    Writeup,
)
from papertide.select import KeywordSelector, fingerprint
from papertide.select.query import Document
from papertide.store import Store, UpsertCounts
from papertide.write import PROMPT_VERSION, Writer, disabled_note, make_writer

T = TypeVar("T")


class Tracker(Protocol):
    """Reports progress over an iterable: yields the same items, in order."""

    def __call__(self, items: Iterable[T], label: str, total: int | None) -> Iterable[T]: ...


def no_progress(items: Iterable[T], label: str, total: int | None) -> Iterable[T]:
    return items


@dataclass(frozen=True, slots=True)
class RunSummary:
    run_id: int
    fetched: int
    counts: UpsertCounts
    decided: int
    selected: int
    written: int
    site: BuildResult
    seconds: float

    def line(self) -> str:
        c = self.counts
        return (
            f"run {self.run_id}: {self.fetched} fetched ({c.new} new, {c.revised} revised, "
            f"{c.unchanged} already stored); {self.selected} of {self.decided} new decisions "
            f"selected; site: {self.site.written} files written, {self.site.unchanged} unchanged "
            f"→ {self.site.out_dir / 'index.html'} ({self.seconds:.1f} s)"
        )


def load_sources(paths: Sequence[Path], track: Tracker = no_progress) -> list[Paper]:
    """Parse every input file completely before anything is stored, so a bad file changes
    nothing."""
    papers: list[Paper] = []
    for path in track(paths, "Reading", len(paths)):
        papers.extend(read_papers(path))
    return papers


def select_pending(
    store: Store, topics: Sequence[Topic], track: Tracker = no_progress
) -> tuple[int, int]:
    """Decide every (paper, topic) pair the store has no decision for; re-decide a topic whose
    definition changed. Returns (decisions made, of which selected)."""
    for topic in topics:
        fp = fingerprint(topic)
        if store.topic_fingerprint(topic.slug) != fp:
            store.reset_topic(topic.slug, fp)
    selectors = {t.slug: KeywordSelector(t) for t in topics}
    pending = list(store.pending_selection(list(selectors)))
    matches: list[Match] = []
    for paper, slugs in track(pending, "Selecting", len(pending)):
        document = Document.from_paper(paper)
        matches.extend(selectors[slug].decide(paper, document) for slug in slugs)
    store.save_matches(matches)
    return len(matches), sum(m.selected for m in matches)


def write_pending(
    store: Store,
    topics: Sequence[Topic],
    writer: Writer,
    language: str,
    track: Tracker = no_progress,
) -> int:
    """One LLM call per selected paper version that has no write-up yet."""
    todo = []
    for topic in topics:
        for day, _ in store.topic_days(topic.slug):
            for paper, match, _announce in store.selected_on(topic.slug, day):
                if not store.get_writeup(
                    paper.arxiv_id, match.version, writer.model, PROMPT_VERSION, language
                ):
                    todo.append((paper, match, topic))
    written = 0
    done: set[tuple[str, int]] = set()
    for paper, match, topic in track(todo, "Writing", len(todo)):
        if (paper.arxiv_id, match.version) in done:
            continue  # selected by two topics: one write-up serves both
        store.save_writeup(writer.write(paper, topic, language))
        done.add((paper.arxiv_id, match.version))
        written += 1
    return written


def _status(paper: Paper, match: Match, announce_type: AnnounceType) -> PaperStatus:
    if match.version > 1:
        return PaperStatus.REVISED
    if announce_type in (AnnounceType.CROSS, AnnounceType.REPLACE_CROSS):
        return PaperStatus.CROSS
    return PaperStatus.NEW


def digests(
    store: Store, topics: Sequence[Topic], writer: Writer | None, language: str
) -> Iterator[Digest]:
    """Every topic's day pages, assembled from the store."""
    for topic in topics:
        for day, _ in store.topic_days(topic.slug):
            entries = []
            for paper, match, announce_type in store.selected_on(topic.slug, day):
                shown = replace(paper, version=match.version)
                writeup: Writeup | None = None
                if writer:
                    writeup = store.get_writeup(
                        paper.arxiv_id, match.version, writer.model, PROMPT_VERSION, language
                    )
                entries.append(
                    DigestEntry(
                        paper=shown,
                        match=match,
                        status=_status(paper, match, announce_type),
                        links=find_links(shown),
                        writeup=writeup,
                        figures=store.figures_of(paper.arxiv_id, match.version),
                    )
                )
            updated = max(
                (e.match.decided_at for e in entries if e.match.decided_at),
                default=datetime.now(UTC),
            )
            yield Digest(topic=topic, day=day, entries=tuple(entries), updated=updated)


def publish(
    store: Store, config: Config, writer: Writer | None, track: Tracker = no_progress
) -> BuildResult:
    topics = config.topic_records()
    archives = [TopicArchive(t, tuple(store.topic_days(t.slug))) for t in topics]
    pages = list(digests(store, topics, writer, config.language))
    generated = max((d.updated for d in pages), default=datetime.now(UTC))
    site = SiteInfo(
        title=config.site.title,
        language=config.language,
        llm_note=disabled_note(config.llm),
        generated=generated,
    )
    pages_tracked = track(pages, "Publishing", len(pages))
    return build_site(config.output_dir, site, archives, pages_tracked, prune=True)


def run(
    config: Config,
    sources: Sequence[Path] = (),
    command: str = "run",
    track: Tracker = no_progress,
    build: bool = True,
) -> RunSummary:
    """Import the given files (if any), select, write and publish; record the run."""
    started = time.monotonic()
    papers = load_sources(sources, track)  # before the store is touched: a bad file changes nothing
    topics = config.topic_records()
    writer = make_writer(config.llm)
    with Store(config.store_path) as store:
        store.lock()
        run_id = store.start_run(command, ", ".join(str(p) for p in sources))
        try:
            counts = store.upsert_papers(track(papers, "Storing", len(papers)))
            decided, selected = select_pending(store, topics, track)
            written = write_pending(store, topics, writer, config.language, track) if writer else 0
            site = (
                publish(store, config, writer, track)
                if build
                else BuildResult(0, 0, config.output_dir)
            )
        except BaseException as exc:
            store.finish_run(run_id, "failed", error=str(exc) or type(exc).__name__)
            raise
        store.finish_run(
            run_id,
            "ok",
            fetched=len(papers),
            new=counts.new,
            revised=counts.revised,
            unchanged=counts.unchanged,
            selected=selected,
            pages_written=site.written,
        )
    return RunSummary(
        run_id, len(papers), counts, decided, selected, written, site, time.monotonic() - started
    )
