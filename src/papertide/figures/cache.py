"""Upkeep of a long-lived installation: pruning cached PDFs and figure crops.

The figures stage keeps each downloaded PDF in ``[figures] pdf_dir`` as ``<id>v<n>.pdf`` and
its crops in a folder ``<id>v<n>/`` beside it; the published site holds its own copies of the
chosen figures, so pruning the cache never changes a published page.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path


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
