"""The pipeline's figures stage: crop the figures of every selected paper version that has
none yet into the figures cache, and record in the store the chosen figures and how each paper
ended (publishing copies the chosen files into the site).

Safe without a network: a paper whose PDF cannot be had is recorded with its reason and
retried by a later run (at most ``MAX_ATTEMPTS`` times); after the first failed download the
rest of the run's downloads are postponed rather than each waiting for its own time-out.
A paper that is done (figures, the first-page fallback, or an unreadable PDF) is never redone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from papertide.config import Config
from papertide.fetch.client import PoliteClient
from papertide.figures.cache import THUMBNAIL, cache_name, site_path
from papertide.figures.download import PdfSource, PdfUnavailableError
from papertide.figures.extract import Crop, Extraction, FigureOptions, extract_figures
from papertide.records import Figure, Topic
from papertide.store import Store

log = logging.getLogger("papertide.figures")
MAX_ATTEMPTS = 3
THUMBNAIL_WIDTH = 480
Track = Callable[[list[tuple[str, int]], str, int | None], Iterable[tuple[str, int]]]


@dataclass(frozen=True, slots=True)
class FigureCounts:
    with_figures: int = 0
    fallback: int = 0  # first page shown instead
    failed: int = 0  # no usable PDF: shown without figures
    postponed: int = 0  # PDF not available now; a later run tries again

    def line(self) -> str:
        return (
            f"figures: {self.with_figures} papers with figures, {self.fallback} first-page"
            f" fallbacks, {self.failed} without figures, {self.postponed} postponed"
        )


def figure_options(config: Config) -> FigureOptions:
    f = config.figures
    return FigureOptions(
        tables=f.tables, time_limit=f.time_limit, max_bytes=int(f.max_pdf_mb * 1_000_000)
    )


def extract_pending(
    store: Store,
    config: Config,
    topics: Sequence[Topic],
    track: Track,
    source: PdfSource,
    warn: Callable[[str], None] = log.warning,
) -> FigureCounts:
    """Extract figures for each selected paper version that is not done yet."""
    selected = dict.fromkeys(
        (s.paper.arxiv_id, s.paper.version) for s in store.selected([t.slug for t in topics])
    )
    todo = []
    for arxiv_id, version in selected:
        job = store.figure_job(arxiv_id, version)
        if job is None or (job[0] == "retry" and job[1] < MAX_ATTEMPTS):
            todo.append((arxiv_id, version))
    options = figure_options(config)
    work = config.base_dir / config.figures.pdf_dir
    counts = {"ok": 0, "fallback": 0, "failed": 0, "retry": 0}
    offline: str | None = None
    for arxiv_id, version in track(todo, "Figures", len(todo)):
        name = cache_name(arxiv_id, version)
        if offline:
            counts["retry"] += 1
            continue
        extraction: Extraction | None = None
        status = "failed"
        try:
            pdf = source.get(arxiv_id, version)
        except PdfUnavailableError as exc:
            reason = str(exc)
            if exc.partial:  # a truncated download: what arrived may still show something
                extraction = extract_figures(exc.partial, work / name, options)
            if exc.retry:
                status = "retry"
                if not exc.partial:
                    offline = reason
        else:
            extraction = extract_figures(pdf, work / name, options)
            reason = extraction.reason or ""
            status = (
                "failed" if not extraction.crops else ("fallback" if extraction.fallback else "ok")
            )
        figures = _choose(extraction.crops if extraction else (), arxiv_id, version, config)
        store.save_figures(
            arxiv_id,
            version,
            figures,
            status,
            reason or None,
            extraction.seconds if extraction else 0.0,
        )
        counts[status] += 1
        if status != "ok" and not offline:  # offline: said once, below
            warn(f"figures of {arxiv_id}v{version}: {reason}")
    if offline:
        warn(f"figure downloads postponed to the next run: {offline}")
    return FigureCounts(counts["ok"], counts["fallback"], counts["failed"], counts["retry"])


def choose_figures(crops: Sequence[Crop], limit: int) -> list[Crop]:
    """Up to ``limit`` crops: figures in number order (Figure 1 first), then tables."""
    return [c for c in crops if c.kind != "table"][:limit] + [
        c for c in crops if c.kind == "table"
    ][: max(0, limit - sum(c.kind != "table" for c in crops))]


def _choose(crops: Sequence[Crop], arxiv_id: str, version: int, config: Config) -> list[Figure]:
    """The chosen crops' records, with the paths the site shows them at; the key figure's
    thumbnail is written beside the crops."""
    chosen = choose_figures(crops, config.figures.max_per_paper)
    if not chosen:
        return []
    write_thumbnail(chosen[0].path, chosen[0].path.with_name(THUMBNAIL))
    return [
        Figure(
            arxiv_id,
            version,
            index,
            crop.kind,
            crop.number,
            crop.caption,
            crop.page,
            site_path(arxiv_id, version, crop.path.name),
            crop.box.rounded(),
        )
        for index, crop in enumerate(chosen)
    ]


def write_thumbnail(source: Path, path: Path) -> None:
    """The key figure, small: the paper's thumbnail and its page's preview image."""
    from PIL import Image

    with Image.open(source) as image:
        thumb = image.convert("RGB")
    thumb.thumbnail((THUMBNAIL_WIDTH, THUMBNAIL_WIDTH * 2))
    thumb.save(path, format="WEBP", quality=80)


def figures_stage(
    store: Store,
    config: Config,
    topics: Sequence[Topic],
    track: Track,
    client: PoliteClient | None = None,
    warn: Callable[[str], None] = log.warning,
) -> FigureCounts:
    """The stage with its PDF source built from the config."""
    f = config.figures
    if f.download and client is None:
        client = PoliteClient(
            contact=config.arxiv.contact,
            delay=config.arxiv.delay,
            timeout=f.timeout,
            max_attempts=2,
            max_wait=2 * f.timeout,
        )
    source = PdfSource(
        cache_dir=config.base_dir / f.pdf_dir,
        client=client if f.download else None,
        base_url=f.pdf_url,
        max_bytes=int(f.max_pdf_mb * 1_000_000),
    )
    return extract_pending(store, config, topics, track, source, warn)
