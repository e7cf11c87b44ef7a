"""Roll-ups: a topic's papers over a week (or the last N days), ranked by score, by day.

Everything here is pure: digests in, roll-ups out. Weeks are ISO weeks (Monday to Sunday),
so a week's page, feed item, email and push cover the same days. A week counts as *closed*
once any topic has a day after its Sunday: from then on nothing more can join it, and it is
sent (by email or push) and fed (as a feed item) exactly once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from papertide.publish import views
from papertide.records import Digest, DigestEntry, Topic

ROLLUP_ROOT = "../../"  # every roll-up page lives two folders below the site's root
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|(?<=[。！？])")


@dataclass(frozen=True)
class Rollup:
    """One topic's papers from ``start`` to ``end`` (inclusive), one digest per day."""

    topic: Topic
    start: date
    end: date
    days: tuple[Digest, ...]  # oldest day first; each day's entries best score first
    kind: str = "week"  # "week", or "last-N-days" for a rolling window

    @property
    def count(self) -> int:
        return sum(len(d.entries) for d in self.days)

    @property
    def updated(self) -> datetime:
        return max(d.updated for d in self.days)

    @property
    def label(self) -> str:
        """``"Week 25 of 2026"`` or ``"Last 14 days"``."""
        if self.kind == "week":
            return views.week_label(self.start)
        return f"Last {(self.end - self.start).days + 1} days"

    @property
    def span(self) -> str:
        """``"15–21 June 2026"``, the days the roll-up covers."""
        return views.day_span(self.start, self.end)

    @property
    def folder(self) -> str:
        """The folder of its page and feeds, below the site's root."""
        return f"{self.topic.slug}/{'weeks' if self.kind == 'week' else self.kind}/"

    @property
    def path(self) -> str:
        """Its page, relative to the site's root."""
        page = f"{views.week_name(self.start)}.html" if self.kind == "week" else "index.html"
        return self.folder + page

    def best(self, n: int) -> list[tuple[date, list[DigestEntry]]]:
        """The period's ``n`` best papers by score, by day (oldest first), best first in a day."""
        ranked = sorted(
            ((d.day, e) for d in self.days for e in d.entries),
            key=lambda pair: -pair[1].match.score,
        )[:n]
        kept = {(day, e.paper.versioned_id) for day, e in ranked}
        return [
            (d.day, [e for e in d.entries if (d.day, e.paper.versioned_id) in kept])
            for d in self.days
            if any(day == d.day for day, _ in ranked)
        ]


def _ranked(digest: Digest) -> Digest:
    entries = tuple(sorted(digest.entries, key=lambda e: -e.match.score))
    return Digest(digest.topic, digest.day, entries, digest.updated)


def weekly(digests: Iterable[Digest]) -> list[Rollup]:
    """Every topic's weeks that have papers, oldest first within a topic."""
    weeks: dict[tuple[str, date], list[Digest]] = {}
    topics: dict[str, Topic] = {}
    for digest in digests:
        if digest.entries:
            topics[digest.topic.slug] = digest.topic
            weeks.setdefault((digest.topic.slug, views.week_start(digest.day)), []).append(digest)
    return [
        Rollup(
            topics[slug],
            monday,
            monday + timedelta(days=6),
            tuple(_ranked(d) for d in sorted(days, key=lambda d: d.day)),
        )
        for (slug, monday), days in sorted(weeks.items())
    ]


def last_days(digests: Iterable[Digest], topic: Topic, days: int, until: date) -> Rollup:
    """The topic's papers of the ``days`` calendar days up to ``until`` (it may hold none)."""
    start = until - timedelta(days=days - 1)
    kept = sorted(
        (
            _ranked(d)
            for d in digests
            if d.topic.slug == topic.slug and d.entries and start <= d.day <= until
        ),
        key=lambda d: d.day,
    )
    return Rollup(topic, start, until, tuple(kept), kind=f"last-{days}-days")


def newest_day(digests: Iterable[Digest]) -> date | None:
    return max((d.day for d in digests if d.entries), default=None)


def closed(rollups: Sequence[Rollup], digests: Iterable[Digest]) -> list[Rollup]:
    """The roll-ups nothing more can join: some topic already has a day after them."""
    newest = newest_day(digests)
    return [r for r in rollups if newest is not None and r.end < newest]


def one_line_summary(entry: DigestEntry, limit: int = 200) -> str:
    """The first sentence of the LLM summary (in the configured language), else of the
    abstract; cut to ``limit`` characters."""
    text = entry.writeup.summary if entry.writeup else entry.paper.abstract
    text = " ".join(text.split())
    first = _SENTENCE_END.split(text, maxsplit=1)[0].strip() if text else ""
    if len(first) > limit:
        first = first[: limit - 1].rsplit(" ", 1)[0] + "…"
    return first
