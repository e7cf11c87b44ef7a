"""The reader's ratings into the store: checked against the configured topics, library entries
matched to stored papers by arXiv id or DOI.

A rating is kept even when the store does not hold its paper yet (selection uses it once the
paper is stored). A topic whose ratings changed is judged again by the next run, and only
that topic: its ratings are part of its fingerprint (``papertide.select.fingerprint``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from papertide.feedback.library import LibraryEntry, LibraryFile
from papertide.records import Feedback
from papertide.store import Store


@dataclass(frozen=True, slots=True)
class Recorded:
    """What recording a batch of ratings did."""

    kept: int  # ratings of configured topics
    changed: int  # of which new, or different from the stored rating
    topics: tuple[str, ...]  # topics whose ratings changed: re-judged by the next run
    not_stored: tuple[str, ...]  # arXiv ids rated whose paper the store does not hold yet
    problems: tuple[str, ...]  # ratings skipped, and why

    def line(self) -> str:
        known = self.kept - self.changed
        text = f"{_count(self.changed, 'rating')} recorded ({known} already known)"
        if self.topics:
            text += f"; judged again by the next run: {', '.join(self.topics)}"
        if self.not_stored:
            text += f"; {len(self.not_stored)} for papers not in the store yet"
        return text


def record_ratings(store: Store, ratings: Sequence[Feedback], topics: Sequence[str]) -> Recorded:
    """Store the ratings of configured topics; name the others."""
    known = set(topics)
    kept = [r for r in ratings if r.topic in known]
    problems = []
    for slug in sorted({r.topic for r in ratings} - known):
        count = sum(r.topic == slug for r in ratings)
        problems.append(
            f"{count} rating(s) for topic {slug!r} skipped: no such topic in the config"
            f" (topics: {', '.join(topics)})"
        )
    changed_topics: list[str] = []
    changed = 0
    with store.transaction():
        for slug in dict.fromkeys(r.topic for r in kept):
            n = store.add_feedback(r for r in kept if r.topic == slug)
            if n:
                changed += n
                changed_topics.append(slug)
    stored = store.stored_ids(r.paper_id for r in kept)
    missing = tuple(dict.fromkeys(r.paper_id for r in kept if r.paper_id not in stored))
    return Recorded(len(kept), changed, tuple(changed_topics), missing, tuple(problems))


@dataclass(frozen=True, slots=True)
class LibraryImport:
    """What importing a library for one topic did."""

    library: LibraryFile
    recorded: Recorded
    unmatched: tuple[LibraryEntry, ...]  # no arXiv id, and no stored paper with its DOI

    def lines(self) -> list[str]:
        entries = len(self.library.entries)
        matched = entries - len(self.unmatched)
        lines = [
            f"{_count(entries, 'entry', 'entries')} read, {matched} with an arXiv id or"
            f" a stored DOI; {self.recorded.line()}"
        ]
        if self.unmatched:
            shown = ", ".join(_name(e) for e in self.unmatched[:5])
            more = f" and {len(self.unmatched) - 5} more" if len(self.unmatched) > 5 else ""
            lines.append(
                f"{_count(len(self.unmatched), 'entry', 'entries')} without an arXiv id or a DOI"
                " of a stored paper"
                f" (not used): {shown}{more}"
            )
        return lines


def import_library(
    store: Store, topic: str, library: LibraryFile, topics: Sequence[str]
) -> LibraryImport:
    """Every library entry that names an arXiv paper becomes a "relevant" rating for
    ``topic``: by its arXiv id, or by its DOI when a stored paper has that DOI."""
    by_doi = store.ids_by_doi(e.doi for e in library.entries if e.doi and not e.arxiv_id)
    ratings, unmatched = [], []
    for entry in library.entries:
        arxiv_id = entry.arxiv_id or (by_doi.get(entry.doi) if entry.doi else None)
        if arxiv_id:
            ratings.append(Feedback(arxiv_id, topic, True, library.format))
        else:
            unmatched.append(entry)
    recorded = record_ratings(store, ratings, topics)
    return LibraryImport(library, recorded, tuple(unmatched))


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _name(entry: LibraryEntry) -> str:
    title = f" ({entry.title[:50]})" if entry.title else ""
    return f"{entry.key}{title}"
