"""The pipeline's publish stage: day pages assembled from the store, the site built, the
figure files its pages show copied from the figures cache, and the other channels (blog posts,
email, chat pushes) published; and the roll-ups of the last N days that `papertide rollup`
writes."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from itertools import groupby
from pathlib import Path

from papertide.config import Config
from papertide.enrich import find_links
from papertide.figures.cache import cached_file, site_files
from papertide.publish.channels import publish_channels
from papertide.publish.rollup import Rollup, last_days, newest_day
from papertide.publish.site import BuildResult, SiteInfo, TopicArchive, build_rollups, build_site
from papertide.records import (
    AnnounceType,
    Digest,
    DigestEntry,
    PaperStatus,
    Selected,
    Topic,
    Writeup,
)
from papertide.store import Store
from papertide.write import PROMPT_VERSION, disabled_note

Track = Callable[[list[Digest], str, int | None], Iterable[Digest]]

# A topic's day page shows at least this many papers when the day has them: after the selected
# ones, the best-scored of the rest, which the reader can rate too.
PAGE_SHOWS_AT_LEAST = 10


def _status(selected: Selected) -> PaperStatus:
    if selected.match.version > 1:
        return PaperStatus.REVISED
    if selected.announce_type in (AnnounceType.CROSS, AnnounceType.REPLACE_CROSS):
        return PaperStatus.CROSS
    return PaperStatus.NEW


def _entry(
    store: Store, s: Selected, model: str | None, language: str, rating: bool | None
) -> DigestEntry:
    paper = s.paper
    writeup: Writeup | None = None
    failure: str | None = None
    if model:
        writeup = store.get_writeup(paper.arxiv_id, paper.version, model, PROMPT_VERSION, language)
        # Written by an earlier model or prompt and not (yet) again: the earlier write-up.
        writeup = writeup or store.latest_writeup(paper.arxiv_id, paper.version, language)
        failed = writeup is None and store.writeup_failure(
            paper.arxiv_id, paper.version, model, PROMPT_VERSION, language
        )
        failure = failed[0] if failed else None
    return DigestEntry(
        paper=paper,
        match=s.match,
        status=_status(s),
        links=find_links(paper),
        writeup=writeup,
        figures=store.figures_of(paper.arxiv_id, paper.version),
        writeup_failure=failure,
        rating=rating,
    )


def digests(
    store: Store, topics: Sequence[Topic], model: str | None, language: str
) -> Iterator[Digest]:
    """Every topic's day pages, assembled from the store; ``model`` names the write-ups shown
    (None: write-ups are off)."""
    by_slug = {t.slug: t for t in topics}
    selected = store.selected(list(by_slug))
    ratings = {slug: {r.paper_id: r.relevant for r in store.feedback_for(slug)} for slug in by_slug}
    near: dict[tuple[str, date], list[Selected]] = {}
    for s in store.near_misses(list(by_slug), PAGE_SHOWS_AT_LEAST):
        near.setdefault((s.match.topic, s.match.day), []).append(s)
    for (slug, day), group in groupby(selected, key=lambda s: (s.match.topic, s.match.day)):
        entries = tuple(
            _entry(store, s, model, language, ratings[slug].get(s.paper.arxiv_id)) for s in group
        )
        updated = max(
            (e.match.decided_at for e in entries if e.match.decided_at),
            default=datetime.now(UTC),
        )
        # no write-up and no figures are made for a near miss: nothing to look up
        missed = tuple(
            DigestEntry(
                s.paper,
                s.match,
                _status(s),
                find_links(s.paper),
                rating=ratings[slug].get(s.paper.arxiv_id),
            )
            for s in near.get((slug, day), ())
        )
        yield Digest(by_slug[slug], day, entries, updated, missed)


def copy_figures(pages: Iterable[Digest], cache: Path, out_dir: Path) -> None:
    """Copy from the cache every figure file the pages show that the site lacks (a new
    figure, or a site deleted and rebuilt)."""
    for rel in site_files(f for page in pages for e in page.entries for f in e.figures):
        source, target = cached_file(cache, rel), out_dir / rel
        if source.is_file() and (
            not target.is_file() or target.stat().st_size != source.stat().st_size
        ):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def publish(
    store: Store,
    config: Config,
    topics: Sequence[Topic],
    model: str | None,
    track: Track,
) -> BuildResult:
    archives = [TopicArchive(t, tuple(store.topic_days(t.slug))) for t in topics]
    pages = list(digests(store, topics, model, config.language))
    site = _site_info(config, pages)
    pages_tracked = track(pages, "Publishing", len(pages))
    result = build_site(config.output_dir, site, archives, pages_tracked, prune=True)
    copy_figures(pages, config.base_dir / config.figures.pdf_dir, config.output_dir)
    notes = publish_channels(store, config, pages, site.llm_note)
    return replace(result, notes=result.notes + notes)


def publish_rollups(
    store: Store, config: Config, topics: Sequence[Topic], model: str | None, days: int
) -> tuple[list[Rollup], BuildResult]:
    """Each topic's roll-up of the last ``days`` days, up to the newest announcement day in
    the store, written into the site (none when nothing is selected yet)."""
    pages = list(digests(store, topics, model, config.language))
    until = newest_day(pages)
    if until is None:
        return [], BuildResult(0, 0, config.output_dir)
    windows = [last_days(pages, topic, days, until) for topic in topics]
    return windows, build_rollups(config.output_dir, _site_info(config, pages), windows)


def _site_info(config: Config, pages: Sequence[Digest]) -> SiteInfo:
    return SiteInfo(
        title=config.site.title,
        language=config.language,
        llm_note=disabled_note(config.llm),
        generated=max((d.updated for d in pages), default=datetime.now(UTC)),
        base_url=config.site.base_url,
    )
