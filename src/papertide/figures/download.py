"""A paper's PDF: from the cache on disk, or downloaded from arXiv through the polite client
(≥3 s between requests, a User-Agent, bounded retries and time), capped in size."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from papertide.errors import ArxivUnreachableError, PapertideError
from papertide.fetch.client import PoliteClient
from papertide.figures.cache import cache_name

log = logging.getLogger("papertide.figures")


class PdfUnavailableError(PapertideError):
    """A paper's PDF could not be had; ``retry`` says whether a later run may succeed."""

    def __init__(self, message: str, retry: bool, partial: bytes = b"") -> None:
        super().__init__(message)
        self.retry = retry
        self.partial = partial  # what arrived of a truncated download


@dataclass(frozen=True, slots=True)
class PdfSource:
    cache_dir: Path
    client: PoliteClient | None  # None: use only PDFs already in the cache
    base_url: str = "https://arxiv.org/pdf"
    max_bytes: int = 50_000_000

    def cached(self, arxiv_id: str, version: int) -> Path:
        return self.cache_dir / f"{cache_name(arxiv_id, version)}.pdf"

    def get(self, arxiv_id: str, version: int) -> Path:
        """The PDF's path in the cache, downloading it first if needed."""
        path = self.cached(arxiv_id, version)
        if path.is_file():
            return path
        if self.client is None:
            raise PdfUnavailableError(
                f"{path.name} is not in {self.cache_dir} and downloads are off", retry=True
            )
        url = f"{self.base_url}/{arxiv_id}v{version}"
        try:
            response = self.client.get(url)
        except ArxivUnreachableError as exc:
            raise PdfUnavailableError(f"download failed: {exc}", retry=True) from None
        body = response.body
        if response.status == 404:
            raise PdfUnavailableError(f"{url}: no such PDF (HTTP 404)", retry=False)
        if response.status != 200:
            raise PdfUnavailableError(f"{url}: HTTP {response.status}", retry=True)
        if len(body) > self.max_bytes:
            raise PdfUnavailableError(
                f"{url}: {len(body) / 1e6:.0f} MB, over the {self.max_bytes / 1e6:.0f} MB cap",
                retry=False,
            )
        if not body.startswith(b"%PDF"):
            raise PdfUnavailableError(f"{url}: the answer is not a PDF", retry=True)
        declared = response.headers.get("Content-Length")
        if (declared and declared.isdigit() and int(declared) != len(body)) or (
            b"%%EOF" not in body[-2048:]
        ):
            raise PdfUnavailableError(
                f"{url}: download truncated after {len(body):,} bytes", retry=True, partial=body
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        part.write_bytes(body)
        part.replace(path)
        log.info("downloaded %s (%d bytes)", url, len(body))
        return path
