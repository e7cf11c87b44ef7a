"""What an input may hold: the size of a line, a file and a field, and dates that can be true.

Every parser passes each paper through ``check_paper`` and every reader keeps to the byte
limits, so a hostile or damaged file is refused in one line that names the file, the line or
item and the paper, instead of filling the memory or the store, or dating a paper in a future
that would hold back every later page and email. The figures are documented in the README
(*Input limits*); arXiv's own limits are far below them (an abstract has at most 1,920
characters, a title a few hundred).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from papertide.errors import InputError
from papertide.records import Paper

MAX_LINE_BYTES = 1024 * 1024  # one JSONL line: a snapshot record is a few kB
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024  # one XML file or HTTP response (RSS of a day: ~3 MB)
MAX_FIELD_CHARS = 20_000  # a title, an abstract, a comment, a journal reference, a name
MAX_AUTHORS = 10_000  # the largest collaborations list about 3,000


def latest_day(now: datetime | None = None) -> date:
    """The last day a paper can be announced or submitted on: tomorrow in UTC (a listing is
    dated by US Eastern time, which is never more than a day ahead of any clock)."""
    return (now or datetime.now(UTC)).astimezone(UTC).date() + timedelta(days=1)


def check_paper(paper: Paper, where: str, now: datetime | None = None) -> Paper:
    """``paper`` itself when every field is within the limits; InputError naming it if not."""
    where = f"{where} ({paper.arxiv_id})" if paper.arxiv_id not in where else where
    fields = {
        "title": paper.title,
        "abstract": paper.abstract,
        "comment": paper.comment or "",
        "journal reference": paper.journal_ref or "",
        "DOI": paper.doi or "",
    }
    for name, text in fields.items():
        if len(text) > MAX_FIELD_CHARS:
            raise InputError(
                f"{where}: the {name} has {len(text):,} characters, more than the "
                f"{MAX_FIELD_CHARS:,} papertide accepts; the file is damaged or not arXiv metadata"
            )
    if len(paper.authors) > MAX_AUTHORS:
        raise InputError(
            f"{where}: {len(paper.authors):,} authors, more than the {MAX_AUTHORS:,} "
            "papertide accepts; the file is damaged or not arXiv metadata"
        )
    for name in paper.authors:
        if len(name) > MAX_FIELD_CHARS:
            raise InputError(
                f"{where}: an author's name has {len(name):,} characters, more than the "
                f"{MAX_FIELD_CHARS:,} papertide accepts; the file is damaged"
            )
    last = latest_day(now)
    dates = {
        "announcement date": paper.announced,
        "submission date": paper.published.date() if paper.published else None,
        "date of this version": paper.updated.date() if paper.updated else None,
    }
    for name, day in dates.items():
        if day is not None and day > last:
            raise InputError(
                f"{where}: the {name} {day} is in the future (after {last}, tomorrow in UTC); "
                "correct the date in the file or leave it out"
            )
    return paper


def check_document(data: bytes, origin: str) -> bytes:
    """``data`` itself when it is within ``MAX_DOCUMENT_BYTES``; InputError if larger."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputError(
            f"{origin}: {len(data) / 2**20:,.0f} MiB, more than the "
            f"{MAX_DOCUMENT_BYTES // 2**20} MiB papertide reads as one XML document; "
            "split it, or export JSONL instead"
        )
    return data
