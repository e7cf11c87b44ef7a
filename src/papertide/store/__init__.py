"""The only module that touches storage: one SQLite file, changed only by numbered migrations."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import IO, Any

from papertide.errors import LockedError, StoreError
from papertide.records import AnnounceType, Figure, Match, Paper, Writeup


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def migrations() -> list[tuple[int, str]]:
    """The numbered migrations shipped with papertide, in order."""
    folder = resources.files("papertide.store").joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8")))
    return sorted(found)


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    new: int = 0
    revised: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: int
    command: str
    source: str
    started_at: str
    finished_at: str | None
    status: str
    fetched: int
    new: int
    revised: int
    unchanged: int
    selected: int
    pages_written: int
    error: str | None


class Store:
    """Papers, matches, write-ups, figures and runs in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA busy_timeout=10000")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{path}: cannot open the store ({exc}); restore it from a backup or move it away"
            ) from None
        self._lock_file: IO[str] | None = None

    def close(self) -> None:
        self.unlock()
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- schema and locking -------------------------------------------------

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        current = self.schema_version
        for number, sql in migrations():
            if number > current:
                try:
                    self.db.executescript(
                        f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;"
                    )
                except sqlite3.Error:
                    if self.db.in_transaction:
                        self.db.execute("ROLLBACK")
                    raise

    def lock(self) -> None:
        """Hold the store for one run; a second run fails fast instead of interleaving writes."""
        lock_path = self.path.with_name(self.path.name + ".lock")
        handle = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held until unlock()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise LockedError(
                f"{self.path} is in use by another papertide run (pid {holder}); "
                "wait for it to finish and try again"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_file = handle

    def unlock(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: a failure or a kill leaves the store as it was before."""
        if self.db.in_transaction:
            yield self.db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- papers -------------------------------------------------------------

    def upsert_papers(self, papers: Iterable[Paper]) -> UpsertCounts:
        """Store papers: a newer version updates the paper; the same version changes nothing
        but fills fields the stored copy lacks; an older version is ignored."""
        new = revised = unchanged = 0
        now = _now()
        with self.transaction() as db:
            for p in papers:
                row = db.execute(
                    "SELECT version FROM papers WHERE arxiv_id = ?", (p.arxiv_id,)
                ).fetchone()
                values = _paper_values(p)
                if row is None:
                    db.execute(
                        f"INSERT INTO papers ({_PAPER_COLUMNS}, first_seen, last_changed) "
                        f"VALUES ({', '.join('?' * (len(values) + 2))})",
                        (*values, now, now),
                    )
                    new += 1
                elif p.version > row[0]:
                    assignments = ", ".join(f"{c} = ?" for c in _PAPER_COLUMN_LIST[1:])
                    db.execute(
                        f"UPDATE papers SET {assignments}, last_changed = ? WHERE arxiv_id = ?",
                        (*values[1:], now, p.arxiv_id),
                    )
                    revised += 1
                else:
                    if p.version == row[0]:
                        db.execute(
                            "UPDATE papers SET comment = COALESCE(comment, ?),"
                            " journal_ref = COALESCE(journal_ref, ?), doi = COALESCE(doi, ?),"
                            " announced = COALESCE(announced, ?) WHERE arxiv_id = ?",
                            (p.comment, p.journal_ref, p.doi, _iso(p.announced), p.arxiv_id),
                        )
                    unchanged += 1
                db.execute(
                    "INSERT INTO versions (arxiv_id, version, announced, announce_type, first_seen)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
                    " announced = COALESCE(versions.announced, excluded.announced),"
                    " announce_type = CASE WHEN versions.announce_type = ''"
                    " THEN excluded.announce_type ELSE versions.announce_type END",
                    (p.arxiv_id, p.version, _iso(p.announced), str(p.announce_type), now),
                )
        return UpsertCounts(new, revised, unchanged)

    def get_paper(self, arxiv_id: str) -> Paper | None:
        row = self.db.execute(
            f"SELECT {_PAPER_COLUMNS} FROM papers WHERE arxiv_id = ?", (arxiv_id,)
        ).fetchone()
        return _paper_from_row(row) if row else None

    def count_papers(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM papers").fetchone()[0])

    def pending_selection(self, topics: Sequence[str]) -> Iterator[tuple[Paper, list[str]]]:
        """Each paper whose latest version still lacks a decision for some of the topics."""
        decided: dict[str, set[str]] = {}
        for arxiv_id, topic in self.db.execute(
            "SELECT m.arxiv_id, m.topic FROM matches m JOIN papers p"
            " ON p.arxiv_id = m.arxiv_id AND p.version = m.version"
        ):
            decided.setdefault(arxiv_id, set()).add(topic)
        for row in self.db.execute(f"SELECT {_PAPER_COLUMNS} FROM papers ORDER BY arxiv_id"):
            done = decided.get(row[0], set())
            missing = [t for t in topics if t not in done]
            if missing:
                yield _paper_from_row(row), missing

    # --- topics and matches -------------------------------------------------

    def topic_fingerprint(self, slug: str) -> str | None:
        row = self.db.execute("SELECT fingerprint FROM topics WHERE slug = ?", (slug,)).fetchone()
        return str(row[0]) if row else None

    def reset_topic(self, slug: str, fingerprint: str) -> None:
        """The topic's definition changed: forget its decisions so every paper is judged again."""
        with self.transaction() as db:
            db.execute("DELETE FROM matches WHERE topic = ?", (slug,))
            db.execute(
                "INSERT INTO topics (slug, fingerprint, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO UPDATE SET fingerprint = excluded.fingerprint,"
                " updated_at = excluded.updated_at",
                (slug, fingerprint, _now()),
            )

    def save_matches(self, matches: Iterable[Match]) -> None:
        now = _now()
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO matches (arxiv_id, version, topic, day, selected, score, reason,"
                " decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
                " day = excluded.day, selected = excluded.selected, score = excluded.score,"
                " reason = excluded.reason, decided_at = excluded.decided_at",
                (
                    (
                        m.arxiv_id,
                        m.version,
                        m.topic,
                        m.day.isoformat(),
                        int(m.selected),
                        m.score,
                        m.reason,
                        now,
                    )
                    for m in matches
                ),
            )

    def topic_days(self, topic: str) -> list[tuple[date, int]]:
        """Days with selected papers for a topic, newest first, with their counts."""
        rows = self.db.execute(
            "SELECT day, COUNT(*) FROM matches WHERE topic = ? AND selected = 1"
            " GROUP BY day ORDER BY day DESC",
            (topic,),
        )
        return [(date.fromisoformat(day), int(n)) for day, n in rows]

    def selected_on(self, topic: str, day: date) -> list[tuple[Paper, Match, AnnounceType]]:
        """The papers selected for a topic's day page, best score first, with how each
        matched version was announced."""
        rows = self.db.execute(
            f"SELECT {_PAPER_COLUMNS_P}, m.version, m.score, m.reason, m.decided_at,"
            " COALESCE(v.announce_type, '') FROM matches m"
            " JOIN papers p ON p.arxiv_id = m.arxiv_id"
            " LEFT JOIN versions v ON v.arxiv_id = m.arxiv_id AND v.version = m.version"
            " WHERE m.topic = ? AND m.day = ? AND m.selected = 1"
            " ORDER BY m.score DESC, m.arxiv_id",
            (topic, day.isoformat()),
        ).fetchall()
        result = []
        for row in rows:
            paper = _paper_from_row(row[: len(_PAPER_COLUMN_LIST)])
            version, score, reason, decided_at, announce_type = row[len(_PAPER_COLUMN_LIST) :]
            match = Match(
                paper.arxiv_id,
                version,
                topic,
                day,
                True,
                score,
                reason,
                datetime.fromisoformat(decided_at),
            )
            result.append((paper, match, AnnounceType(announce_type)))
        return result

    def count_selected(self) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT topic, COUNT(*) FROM matches WHERE selected = 1 GROUP BY topic"
        )
        return {topic: int(n) for topic, n in rows}

    # --- write-ups and figures ----------------------------------------------

    def get_writeup(
        self, arxiv_id: str, version: int, model: str, prompt_version: str, language: str
    ) -> Writeup | None:
        row = self.db.execute(
            "SELECT translation, summary, takeaways FROM writeups WHERE arxiv_id = ?"
            " AND version = ? AND model = ? AND prompt_version = ? AND language = ?",
            (arxiv_id, version, model, prompt_version, language),
        ).fetchone()
        if row is None:
            return None
        return Writeup(
            arxiv_id,
            version,
            language,
            model,
            prompt_version,
            row[0],
            row[1],
            tuple(json.loads(row[2])),
        )

    def save_writeup(self, w: Writeup) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO writeups (arxiv_id, version, model, prompt_version,"
                " language, translation, summary, takeaways, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    w.arxiv_id,
                    w.version,
                    w.model,
                    w.prompt_version,
                    w.language,
                    w.translation,
                    w.summary,
                    json.dumps(list(w.takeaways), ensure_ascii=False),
                    _now(),
                ),
            )

    def figures_of(self, arxiv_id: str, version: int) -> tuple[Figure, ...]:
        rows = self.db.execute(
            "SELECT idx, kind, number, caption, page, path FROM figures"
            " WHERE arxiv_id = ? AND version = ? ORDER BY idx",
            (arxiv_id, version),
        )
        return tuple(Figure(arxiv_id, version, *row) for row in rows)

    # --- runs -----------------------------------------------------------------

    def start_run(self, command: str, source: str) -> int:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (command, source, started_at, status)"
                " VALUES (?, ?, ?, 'running')",
                (command, source, _now()),
            )
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, error: str | None = None, **counts: int) -> None:
        columns = "".join(f", {name} = ?" for name in counts)
        with self.transaction() as db:
            db.execute(
                f"UPDATE runs SET status = ?, finished_at = ?, error = ?{columns} WHERE id = ?",
                (status, _now(), error, *counts.values(), run_id),
            )

    def recent_runs(self, limit: int = 10) -> list[RunRecord]:
        rows = self.db.execute(
            "SELECT id, command, source, started_at, finished_at, status, fetched, new, revised,"
            " unchanged, selected, pages_written, error FROM runs ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [RunRecord(*row) for row in rows]


_PAPER_COLUMN_LIST: Sequence[str] = (
    "arxiv_id",
    "version",
    "title",
    "authors",
    "abstract",
    "categories",
    "comment",
    "journal_ref",
    "doi",
    "published",
    "updated",
    "announced",
    "withdrawn",
)
_PAPER_COLUMNS = ", ".join(_PAPER_COLUMN_LIST)
_PAPER_COLUMNS_P = ", ".join(f"p.{c}" for c in _PAPER_COLUMN_LIST)


def _paper_values(p: Paper) -> tuple[Any, ...]:
    return (
        p.arxiv_id,
        p.version,
        p.title,
        json.dumps(list(p.authors), ensure_ascii=False),
        p.abstract,
        json.dumps(list(p.categories)),
        p.comment,
        p.journal_ref,
        p.doi,
        _iso(p.published),
        _iso(p.updated),
        _iso(p.announced),
        int(p.withdrawn),
    )


def _paper_from_row(row: Sequence[Any]) -> Paper:
    (
        arxiv_id,
        version,
        title,
        authors,
        abstract,
        categories,
        comment,
        journal_ref,
        doi,
        published,
        updated,
        announced,
        withdrawn,
    ) = row
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=title,
        authors=tuple(json.loads(authors)),
        abstract=abstract,
        categories=tuple(json.loads(categories)),
        announced=date.fromisoformat(announced) if announced else None,
        published=datetime.fromisoformat(published) if published else None,
        updated=datetime.fromisoformat(updated) if updated else None,
        comment=comment,
        journal_ref=journal_ref,
        doi=doi,
        withdrawn=bool(withdrawn),
    )
