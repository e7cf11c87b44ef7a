"""The figures cache: where PDFs and crops are kept, and pruning it.

The figures stage keeps each downloaded PDF in ``[figures] pdf_dir`` as ``<id>v<n>.pdf`` and
its crops (and the key figure's thumbnail) in a folder ``<id>v<n>/`` beside it. The site shows
them from ``figures/<id>v<n>/``: publishing copies the files its pages show, so the site holds
its own copies and pruning the cache never changes a published page.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath

from papertide.records import Figure

SITE_FOLDER = "figures"  # the site's folder of figure files
THUMBNAIL = "thumb.webp"  # the key figure, small: the paper's thumbnail and preview image


def cache_name(arxiv_id: str, version: int) -> str:
    """A paper version's name in the cache and the site: ``2010.11929v2``, ``hep-th_9901001v1``."""
    return f"{arxiv_id.replace('/', '_')}v{version}"


def site_path(arxiv_id: str, version: int, file_name: str) -> str:
    """Where the site shows a file of a paper version's crop folder, relative to its root."""
    return f"{SITE_FOLDER}/{cache_name(arxiv_id, version)}/{file_name}"


def cached_file(cache: Path, site_file: str) -> Path:
    """The cache's copy of a file the site shows as ``site_file``."""
    return cache.joinpath(*PurePosixPath(site_file).parts[1:])


def site_files(figures: Iterable[Figure]) -> list[str]:
    """The site's files for these figures: each figure, and its paper's thumbnail."""
    files: dict[str, None] = {}
    for fig in figures:
        files[fig.path] = None
        files[str(PurePosixPath(fig.path).with_name(THUMBNAIL))] = None
    return list(files)


@dataclass(frozen=True, slots=True)
class PruneResult:
    pdfs: int
    crop_folders: int
    bytes_freed: int

    def line(self, folder: Path) -> str:
        return (
            f"pruned {self.pdfs} PDFs and {self.crop_folders} figure folders from {folder}"
            f" ({self.bytes_freed / 1e6:.1f} MB freed); published pages are unchanged"
        )


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def prune_cache(cache: Path, before: date) -> PruneResult:
    """Delete cached PDFs and crop folders last modified before ``before`` (UTC)."""
    cutoff = datetime(before.year, before.month, before.day, tzinfo=UTC).timestamp()
    pdfs = folders = freed = 0
    if not cache.is_dir():
        return PruneResult(0, 0, 0)
    for entry in sorted(cache.iterdir()):
        if entry.stat().st_mtime >= cutoff:
            continue
        if entry.is_file() and entry.suffix == ".pdf":
            freed += _size(entry)
            entry.unlink()
            pdfs += 1
        elif entry.is_dir():
            freed += _size(entry)
            shutil.rmtree(entry)
            folders += 1
    return PruneResult(pdfs, folders, freed)
