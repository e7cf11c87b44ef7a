"""The pipeline's figures stage: crop the figures of every selected paper version that has
none yet, put them into the site folder, and record in the store how each paper ended.

Safe without a network: a paper whose PDF cannot be had is recorded with its reason and
retried by a later run (at most ``MAX_ATTEMPTS`` times); after the first failed download the
rest of the run's downloads are postponed rather than each waiting for its own time-out.
A paper that is done (figures, the first-page fallback, or an unreadable PDF) is never redone.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from papertide.config import Config
from papertide.fetch.client import PoliteClient
from papertide.figures.download import PdfSource, PdfUnavailableError
from papertide.figures.extract import Crop, Extraction, FigureOptions, extract_figures
from papertide.records import Figure
from papertide.store import Store

log = logging.getLogger("papertide.figures")
MAX_ATTEMPTS = 3
SITE_FOLDER = "figures"
THUMBNAIL = "thumb.webp"
THUMBNAIL_WIDTH = 480


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


def folder_name(arxiv_id: str, version: int) -> str:
    return f"{arxiv_id.replace('/', '_')}v{version}"


def extract_pending(
    store: Store,
    config: Config,
    track: Callable[[list[tuple[str, int]], str, int | None], Iterable[tuple[str, int]]],
    source: PdfSource,
    warn: Callable[[str], None] = log.warning,
) -> FigureCounts:
    """Extract figures for each selected paper version that is not done yet."""
    selected: dict[tuple[str, int], None] = {}
    for topic in config.topic_records():
        for day, _ in store.topic_days(topic.slug):
            for paper, match, _announce in store.selected_on(topic.slug, day):
                selected[(paper.arxiv_id, match.version)] = None
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
        name = folder_name(arxiv_id, version)
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
        figures = _publish(extraction.crops if extraction else (), arxiv_id, version, config)
        store.save_figures(
            arxiv_id,
            version,
            figures,
            status,
            reason or None,
            extraction.seconds if extraction else 0.0,
        )
        counts[status] += 1
        if status != "ok":
            warn(f"figures of {arxiv_id}v{version}: {reason}")
    if offline:
        warn(f"figure downloads postponed to the next run: {offline}")
    restore_site_figures(store, config, list(selected))
    return FigureCounts(counts["ok"], counts["fallback"], counts["failed"], counts["retry"])


def choose_figures(crops: Sequence[Crop], limit: int) -> list[Crop]:
    """Up to ``limit`` crops: figures in number order (Figure 1 first), then tables."""
    return [c for c in crops if c.kind != "table"][:limit] + [
        c for c in crops if c.kind == "table"
    ][: max(0, limit - sum(c.kind != "table" for c in crops))]


def _publish(crops: Sequence[Crop], arxiv_id: str, version: int, config: Config) -> list[Figure]:
    """Copy the chosen crops into the site folder; their records, paths relative to its root."""
    chosen = choose_figures(crops, config.figures.max_per_paper)
    if not chosen:
        return []
    folder = Path(SITE_FOLDER) / folder_name(arxiv_id, version)
    target = config.output_dir / folder
    target.mkdir(parents=True, exist_ok=True)
    figures = []
    for index, crop in enumerate(chosen):
        shutil.copyfile(crop.path, target / crop.path.name)
        figures.append(
            Figure(
                arxiv_id,
                version,
                index,
                crop.kind,
                crop.number,
                crop.caption,
                crop.page,
                (folder / crop.path.name).as_posix(),
                crop.box.rounded(),
            )
        )
    write_thumbnail(chosen[0].path, target / THUMBNAIL)
    return figures


def write_thumbnail(source: Path, path: Path) -> None:
    """The key figure, small: the paper's thumbnail and its page's preview image."""
    from PIL import Image

    with Image.open(source) as image:
        thumb = image.convert("RGB")
    thumb.thumbnail((THUMBNAIL_WIDTH, THUMBNAIL_WIDTH * 2))
    thumb.save(path, format="WEBP", quality=80)


def restore_site_figures(store: Store, config: Config, keys: Sequence[tuple[str, int]]) -> None:
    """Copy back crops missing from the site folder (a site deleted and rebuilt)."""
    work = config.base_dir / config.figures.pdf_dir
    for arxiv_id, version in keys:
        for fig in store.figures_of(arxiv_id, version):
            path = config.output_dir / fig.path
            cached = work / folder_name(arxiv_id, version) / Path(fig.path).name
            if not path.exists() and cached.is_file():
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(cached, path)


def figures_stage(
    store: Store,
    config: Config,
    track: Callable[[list[tuple[str, int]], str, int | None], Iterable[tuple[str, int]]],
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
    return extract_pending(store, config, track, source, warn)
