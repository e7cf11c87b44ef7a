"""The only module that touches storage: one SQLite file, or a PostgreSQL server shared by a
lab, changed only by numbered migrations. The SQL is written once (see `store/sql.py`); the
database behind it is a `Database` (`store/sqlite.py`, `store/postgres.py`)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass, replace
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from papertide.errors import LockedError
from papertide.records import AnnounceType, Feedback, Figure, Match, Paper, Selected, Writeup
from papertide.store.database import POSTGRES_SCHEMES, Database
from papertide.store.sql import statements

if TYPE_CHECKING:
    from papertide.config import Config


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _utc(moment: datetime) -> str:
    """A moment as an ISO timestamp in UTC (naive ones are taken as UTC), comparable as text."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds")


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

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.new + other.new, self.revised + other.revised, self.unchanged + other.unchanged
        )


INTERRUPTED = "killed or crashed before it finished"


@dataclass(frozen=True, slots=True)
class HarvestState:
    key: str
    last_listing: date | None = None  # the newest listing day stored
    harvested_at: datetime | None = None  # when the last complete harvest ended
    checkpoint: str | None = None  # OAI resumption token of an unfinished harvest


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A composed message waiting in (or sent from) the outbox: an email or a push."""

    channel: str  # "email:<address>", "notify:<Apprise URL as written, secrets as {NAME}>"
    key: str  # what it covers, unique per channel: "daily:2026-06-16", "weekly:i2i:2026-06-15"
    subject: str
    body_text: str
    body_html: str = ""
    message_id: str = ""  # an email's Message-ID
    attempts: int = 0
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    """A run-health problem, open until a run shows it is over."""

    kind: str  # "run-failed", "arxiv-unreachable", "topic-empty"
    subject: str  # the topic's slug for "topic-empty", else ""
    opened_at: str
    detail: str
    closed_at: str | None = None


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


@dataclass(frozen=True, slots=True)
class MonthTotals:
    """What the runs of one month did, added up."""

    month: str  # YYYY-MM
    runs: int
    failed: int  # failed, or interrupted (killed, crashed)
    fetched: int
    new: int
    selected: int
    pages_written: int
    writeups: int
    llm_calls: int
    llm_tokens: int
    llm_cost: float | None
    unreachable: int = 0  # runs that could not reach arXiv (exit 3)


@dataclass(frozen=True, slots=True)
class LLMUsageRecord:
    """What one run's write stage did and cost."""

    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost: float | None  # in the unit of the configured prices; None when none is configured
    written: int
    failed: int
    pending: int

    def line(self) -> str:
        cost = f", cost {self.cost:.4f}" if self.cost is not None else ""
        return (
            f"write-ups ({self.model}): {self.written} written, {self.failed} failed,"
            f" {self.pending} pending; {self.calls} LLM calls, {self.prompt_tokens} +"
            f" {self.completion_tokens} tokens{cost}"
        )


def is_server(target: Path | str) -> bool:
    """Whether a store location names a PostgreSQL server rather than a SQLite file."""
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


def open_database(target: Path | str, password: str | None = None) -> Database:
    """A connection to the store at ``target``: a SQLite file, or a ``postgresql://`` URL
    (its password, if any, given apart so that it never appears in a message)."""
    if is_server(target):
        from papertide.store.postgres import PostgresDatabase

        return PostgresDatabase(str(target), password)
    from papertide.store.sqlite import SQLiteDatabase

    return SQLiteDatabase(Path(target))


def open_store(config: Config) -> Store:
    """The configured store: ``[store] url`` (PostgreSQL) or ``[store] path`` (SQLite)."""
    return Store(config.store_target, config.store_password())


class Store:
    """Papers, matches, write-ups, figures and runs in one SQLite file or PostgreSQL database."""

    def __init__(self, target: Path | str, password: str | None = None) -> None:
        self.db = open_database(target, password)
        self.location = self.db.location
        try:
            self._migrate()
        except BaseException:
            self.db.close()
            raise

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- schema and locking -------------------------------------------------

    @property
    def schema_version(self) -> int:
        return self.db.schema_version()

    def _migrate(self) -> None:
        current = self.schema_version
        if not any(number > current for number, _ in migrations()):
            return
        if current > 0 and self.db.file is not None:
            # An upgrade: keep a copy of the store as it was, to go back to if need be (a
            # server's migration is one transaction; keep its copies with pg_dump).
            self.backup(self.db.file.with_name(f"{self.db.file.name}.schema{current}.bak"))
        with self.transaction():
            self.db.lock_schema()
            current = self.schema_version  # another process may have migrated it meanwhile
            for number, sql in migrations():
                if number > current:
                    for statement in statements(sql):
                        self.db.execute(self.db.ddl(statement))
                    self.db.set_schema_version(number)

    def backup(self, target: Path) -> Path:
        """A consistent copy of the store in the SQLite file ``target``, safe while a run
        writes; written beside it first, so an interrupted copy leaves no half file."""
        from papertide.store.copy import copy_store
        from papertide.store.sqlite import SQLiteDatabase

        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        if isinstance(self.db, SQLiteDatabase):
            self.db.backup(partial)
        else:
            with Store(partial) as copy:
                copy_store(self, copy)
        os.replace(partial, target)
        return target

    def integrity_problems(self) -> list[str]:
        """What SQLite's ``PRAGMA integrity_check`` found: empty when the store is sound."""
        return self.db.integrity_problems()

    def lock(self) -> None:
        """Hold the store for one run; a second run fails fast instead of interleaving writes,
        whether it runs on this machine or (with a PostgreSQL store) on another one."""
        held_by = self.db.try_lock()
        if held_by is not None:
            raise LockedError(
                f"{self.location} is in use by another papertide run ({held_by}); "
                "wait for it to finish and try again"
            )

    def unlock(self) -> None:
        self.db.unlock()

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """All or nothing: a failure or a kill leaves the store as it was before."""
        if self.db.in_transaction:
            yield self.db
            return
        self.db.begin()
        try:
            yield self.db
        except BaseException:
            if self.db.in_transaction:
                self.db.rollback()
            raise
        self.db.commit()

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
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (arxiv_id, version) DO UPDATE SET"
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

    def papers(self, chunk: int = 1000) -> Iterator[Paper]:
        """Every stored paper (its latest version), by id, read a chunk at a time."""
        last = ""
        while rows := self.db.execute(
            f"SELECT {_PAPER_COLUMNS} FROM papers WHERE arxiv_id > ? ORDER BY arxiv_id LIMIT ?",
            (last, chunk),
        ).fetchall():
            yield from (_paper_from_row(row) for row in rows)
            last = rows[-1][0]

    def stored_ids(self, arxiv_ids: Iterable[str]) -> set[str]:
        """Which of these arXiv ids the store holds."""
        wanted = list(dict.fromkeys(arxiv_ids))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self.db.execute(
                f"SELECT arxiv_id FROM papers WHERE arxiv_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            found.update(row[0] for row in rows)
        return found

    def ids_by_doi(self, dois: Iterable[str]) -> dict[str, str]:
        """The stored paper of each of these DOIs (compared in lower case): DOI -> arXiv id."""
        wanted = list(dict.fromkeys(d.lower() for d in dois))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self.db.execute(
                "SELECT LOWER(doi), arxiv_id FROM papers"
                f" WHERE LOWER(doi) IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            found.update((doi, arxiv_id) for doi, arxiv_id in rows)
        return found

    def count_papers(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM papers").fetchone()[0])

    def pending_selection(
        self, topics: Sequence[str], chunk: int = 500
    ) -> Iterator[tuple[Paper, list[str]]]:
        """Each paper whose latest version still lacks a decision for some of the topics.

        Read in chunks, so a store of any size is judged in little memory, and decisions
        saved while iterating are seen by the chunks that follow."""
        last = ""
        while True:
            rows = self.db.execute(
                f"SELECT {_PAPER_COLUMNS} FROM papers WHERE arxiv_id > ? ORDER BY arxiv_id LIMIT ?",
                (last, chunk),
            ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield from self._lacking(rows, topics)

    def pending_among(
        self, ids: Sequence[str], topics: Sequence[str]
    ) -> list[tuple[Paper, list[str]]]:
        """`pending_selection` for these papers only (one batch of a distributed backfill),
        in id order."""
        found: list[tuple[Paper, list[str]]] = []
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            rows = self.db.execute(
                f"SELECT {_PAPER_COLUMNS} FROM papers"
                f" WHERE arxiv_id IN ({', '.join('?' * len(chunk))}) ORDER BY arxiv_id",
                chunk,
            ).fetchall()
            found.extend(self._lacking(rows, topics))
        return found

    def _lacking(
        self, rows: Sequence[Sequence[Any]], topics: Sequence[str]
    ) -> Iterator[tuple[Paper, list[str]]]:
        """Each paper row with the topics its latest version has no decision for yet."""
        decided: dict[str, set[str]] = {}
        for arxiv_id, topic in self.db.execute(
            "SELECT m.arxiv_id, m.topic FROM matches m JOIN papers p"
            " ON p.arxiv_id = m.arxiv_id AND p.version = m.version"
            f" WHERE m.arxiv_id IN ({', '.join('?' * len(rows))})",
            [row[0] for row in rows],
        ):
            decided.setdefault(arxiv_id, set()).add(topic)
        for row in rows:
            done = decided.get(row[0], set())
            missing = [t for t in topics if t not in done]
            if missing:
                yield _paper_from_row(row), missing

    def count_pending_selection(self, topics: Sequence[str]) -> int:
        """How many papers `pending_selection` will yield."""
        if not topics:
            return 0
        row = self.db.execute(
            "SELECT COUNT(*) FROM papers p WHERE (SELECT COUNT(DISTINCT m.topic) FROM matches m"
            " WHERE m.arxiv_id = p.arxiv_id AND m.version = p.version"
            f" AND m.topic IN ({', '.join('?' * len(topics))})) < ?",
            (*topics, len(set(topics))),
        ).fetchone()
        return int(row[0])

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
                " ON CONFLICT (slug) DO UPDATE SET fingerprint = excluded.fingerprint,"
                " updated_at = excluded.updated_at",
                (slug, fingerprint, _now()),
            )

    def save_matches(self, matches: Iterable[Match]) -> None:
        now = _now()
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO matches (arxiv_id, version, topic, day, selected, score, reason,"
                " decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (arxiv_id, version, topic) DO UPDATE SET"
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

    def selected(self, topics: Sequence[str]) -> list[Selected]:
        """Every paper version the topics selected: topic by topic in the order given, each
        topic's days newest first, each day's papers best score first."""
        marks = ", ".join("?" * len(topics))
        rows = self.db.execute(
            f"SELECT {_SELECTED_COLUMNS} FROM matches m {_SELECTED_JOINS}"
            f" WHERE m.topic IN ({marks}) AND m.selected = 1"
            " ORDER BY m.day DESC, m.score DESC, m.arxiv_id",
            tuple(topics),
        ).fetchall()
        return self._as_selected(rows, topics, True)

    def near_misses(self, topics: Sequence[str], shown: int) -> list[Selected]:
        """On each day a topic selected papers, the best-scored papers it did not select (not
        ruled out, score above 0), as many as the day needs to show ``shown`` papers in all;
        ordered as `selected`."""
        marks = ", ".join("?" * len(topics))
        rows = self.db.execute(
            "WITH shown AS (SELECT topic, day, COUNT(*) AS n FROM matches"
            f" WHERE topic IN ({marks}) AND selected = 1 GROUP BY topic, day),"
            " ranked AS (SELECT m.*, ROW_NUMBER() OVER (PARTITION BY m.topic, m.day"
            " ORDER BY m.score DESC, m.arxiv_id) AS place FROM matches m"
            f" WHERE m.topic IN ({marks}) AND m.selected = 0 AND m.score > 0"
            " AND NOT EXISTS (SELECT 1 FROM matches o WHERE o.arxiv_id = m.arxiv_id"
            " AND o.topic = m.topic AND o.selected = 1))"
            f" SELECT {_SELECTED_COLUMNS} FROM ranked m"
            f" JOIN shown s ON s.topic = m.topic AND s.day = m.day {_SELECTED_JOINS}"
            " WHERE m.place <= ? - s.n"
            " ORDER BY m.day DESC, m.score DESC, m.arxiv_id",
            (*topics, *topics, shown),
        ).fetchall()
        return self._as_selected(rows, topics, False)

    @staticmethod
    def _as_selected(
        rows: Sequence[Sequence[Any]], topics: Sequence[str], selected: bool
    ) -> list[Selected]:
        result = []
        for row in rows:
            paper = _paper_from_row(row[: len(_PAPER_COLUMN_LIST)])
            topic, day, version, score, reason, decided_at, announce_type = row[
                len(_PAPER_COLUMN_LIST) :
            ]
            match = Match(
                paper.arxiv_id,
                version,
                topic,
                date.fromisoformat(day),
                selected,
                score,
                reason,
                datetime.fromisoformat(decided_at),
            )
            shown = replace(paper, version=version)
            result.append(Selected(shown, match, AnnounceType(announce_type)))
        order = {slug: n for n, slug in enumerate(topics)}
        return sorted(result, key=lambda s: order[s.match.topic])

    def count_selected(self) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT topic, COUNT(*) FROM matches WHERE selected = 1 GROUP BY topic"
        )
        return {topic: int(n) for topic, n in rows}

    # --- the reader's ratings -------------------------------------------------

    def add_feedback(self, items: Iterable[Feedback]) -> int:
        """Record ratings; returns how many were new or changed a stored one. A rating of a
        paper and topic already rated replaces it unless it is older; the same rating again
        changes nothing."""
        rows = [
            (
                f.paper_id,
                f.topic,
                int(f.relevant),
                f.source,
                _utc(f.rated_at) if f.rated_at else _now(),
            )
            for f in items
        ]
        changed = 0
        with self.transaction() as db:
            for row in rows:
                cursor = db.execute(
                    "INSERT INTO feedback (paper_id, topic, relevant, source, rated_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (paper_id, topic) DO UPDATE SET"
                    " relevant = excluded.relevant, source = excluded.source,"
                    " rated_at = excluded.rated_at"
                    " WHERE feedback.relevant <> excluded.relevant"
                    " AND feedback.rated_at <= excluded.rated_at",
                    row,
                )
                changed += max(cursor.rowcount, 0)
        return changed

    def feedback_for(self, topic_slug: str) -> list[Feedback]:
        """The topic's ratings, oldest first."""
        rows = self.db.execute(
            "SELECT paper_id, relevant, source, rated_at FROM feedback WHERE topic = ?"
            " ORDER BY rated_at, paper_id",
            (topic_slug,),
        )
        return [
            Feedback(paper_id, topic_slug, bool(relevant), source, datetime.fromisoformat(at))
            for paper_id, relevant, source, at in rows
        ]

    # --- write-ups and figures ----------------------------------------------

    def get_writeup(
        self, arxiv_id: str, version: int, model: str, prompt_version: str, language: str
    ) -> Writeup | None:
        row = self.db.execute(
            "SELECT translation, summary, takeaways, flags FROM writeups WHERE arxiv_id = ?"
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
            tuple(json.loads(row[3])),
        )

    def latest_writeup(self, arxiv_id: str, version: int, language: str) -> Writeup | None:
        """The newest write-up of this paper version in this language, by any model and
        prompt version (what a page shows until the current ones write it again)."""
        row = self.db.execute(
            "SELECT model, prompt_version FROM writeups WHERE arxiv_id = ? AND version = ?"
            " AND language = ? ORDER BY created_at DESC, prompt_version DESC, model LIMIT 1",
            (arxiv_id, version, language),
        ).fetchone()
        return self.get_writeup(arxiv_id, version, row[0], row[1], language) if row else None

    def save_writeup(self, w: Writeup) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO writeups (arxiv_id, version, model, prompt_version,"
                " language, translation, summary, takeaways, created_at, flags)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (arxiv_id, version, model, prompt_version, language) DO UPDATE SET"
                " translation = excluded.translation, summary = excluded.summary,"
                " takeaways = excluded.takeaways, created_at = excluded.created_at,"
                " flags = excluded.flags",
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
                    json.dumps(list(w.flags), ensure_ascii=False),
                ),
            )
            db.execute(
                "DELETE FROM writeup_failures WHERE arxiv_id = ? AND version = ? AND model = ?"
                " AND prompt_version = ? AND language = ?",
                (w.arxiv_id, w.version, w.model, w.prompt_version, w.language),
            )

    # A write-up whose answer stayed unusable: shown on the page, retried by later runs.

    def save_writeup_failure(
        self,
        arxiv_id: str,
        version: int,
        model: str,
        prompt_version: str,
        language: str,
        reason: str,
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO writeup_failures (arxiv_id, version, model, prompt_version,"
                " language, reason, attempts, failed_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?)"
                " ON CONFLICT (arxiv_id, version, model, prompt_version, language) DO UPDATE"
                " SET reason = excluded.reason, attempts = writeup_failures.attempts + 1,"
                " failed_at = excluded.failed_at",
                (arxiv_id, version, model, prompt_version, language, reason, _now()),
            )

    def writeup_failure(
        self, arxiv_id: str, version: int, model: str, prompt_version: str, language: str
    ) -> tuple[str, int] | None:
        """(reason, attempts) of the last failed write-up, or None."""
        row = self.db.execute(
            "SELECT reason, attempts FROM writeup_failures WHERE arxiv_id = ? AND version = ?"
            " AND model = ? AND prompt_version = ? AND language = ?",
            (arxiv_id, version, model, prompt_version, language),
        ).fetchone()
        return (str(row[0]), int(row[1])) if row else None

    def count_writeups(self) -> tuple[int, int]:
        """(write-ups stored, papers whose last attempt failed)."""
        written = self.db.execute("SELECT COUNT(*) FROM writeups").fetchone()[0]
        failed = self.db.execute("SELECT COUNT(*) FROM writeup_failures").fetchone()[0]
        return int(written), int(failed)

    def record_llm_usage(self, run_id: int, usage: LLMUsageRecord) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET llm_model = ?, llm_calls = ?, llm_prompt_tokens = ?,"
                " llm_completion_tokens = ?, llm_cost = ?, writeups_written = ?,"
                " writeups_failed = ?, writeups_pending = ? WHERE id = ?",
                (*astuple(usage), run_id),
            )

    def llm_usage(self, run_id: int) -> LLMUsageRecord | None:
        row = self.db.execute(
            "SELECT llm_model, llm_calls, llm_prompt_tokens, llm_completion_tokens, llm_cost,"
            " writeups_written, writeups_failed, writeups_pending FROM runs WHERE id = ?",
            (run_id,),
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return LLMUsageRecord(*row)

    def figures_of(self, arxiv_id: str, version: int) -> tuple[Figure, ...]:
        rows = self.db.execute(
            "SELECT idx, kind, number, caption, page, path, box FROM figures"
            " WHERE arxiv_id = ? AND version = ? ORDER BY idx",
            (arxiv_id, version),
        )
        return tuple(
            Figure(
                arxiv_id,
                version,
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                row[5],
                tuple(json.loads(row[6])) if row[6] else None,
            )
            for row in rows
        )

    def figure_job(self, arxiv_id: str, version: int) -> tuple[str, int] | None:
        """The (status, attempts) of a paper version's figure extraction, None if never run."""
        row = self.db.execute(
            "SELECT status, attempts FROM figure_jobs WHERE arxiv_id = ? AND version = ?",
            (arxiv_id, version),
        ).fetchone()
        return (str(row[0]), int(row[1])) if row else None

    def save_figures(
        self,
        arxiv_id: str,
        version: int,
        figures: Sequence[Figure],
        status: str,
        reason: str | None,
        seconds: float = 0.0,
    ) -> None:
        """Replace a paper version's figures and record how its extraction ended."""
        with self.transaction() as db:
            db.execute(
                "DELETE FROM figures WHERE arxiv_id = ? AND version = ?", (arxiv_id, version)
            )
            db.executemany(
                "INSERT INTO figures (arxiv_id, version, idx, kind, number, caption, page, path,"
                " box) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        arxiv_id,
                        version,
                        f.index,
                        f.kind,
                        f.number,
                        f.caption,
                        f.page,
                        f.path,
                        json.dumps(list(f.box)) if f.box else None,
                    )
                    for f in figures
                ),
            )
            db.execute(
                "INSERT INTO figure_jobs (arxiv_id, version, status, reason, attempts, seconds,"
                " updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)"
                " ON CONFLICT (arxiv_id, version) DO UPDATE SET"
                " status = excluded.status, reason = excluded.reason,"
                " attempts = figure_jobs.attempts + 1, seconds = excluded.seconds,"
                " updated_at = excluded.updated_at",
                (arxiv_id, version, status, reason, round(seconds, 3), _now()),
            )

    # --- embeddings -----------------------------------------------------------

    def get_embeddings(
        self, keys: Sequence[tuple[str, int]], model: str
    ) -> dict[tuple[str, int], NDArray[np.float32]]:
        """The stored vectors of these paper versions for one embedding model."""
        found: dict[tuple[str, int], NDArray[np.float32]] = {}
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), 400):
            chunk = wanted[start : start + 400]
            where = " OR ".join("(arxiv_id = ? AND version = ?)" for _ in chunk)
            rows = self.db.execute(
                f"SELECT arxiv_id, version, vector FROM embeddings WHERE model = ? AND ({where})",
                (model, *(v for key in chunk for v in key)),
            )
            for arxiv_id, version, blob in rows:
                found[(arxiv_id, version)] = np.frombuffer(blob, dtype="<f4").astype(np.float32)
        return found

    def save_embeddings(
        self, model: str, vectors: Iterable[tuple[str, int, NDArray[np.float32]]]
    ) -> None:
        now = _now()
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO embeddings (arxiv_id, version, model, dim, vector, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (arxiv_id, version, model) DO UPDATE SET"
                " dim = excluded.dim, vector = excluded.vector, created_at = excluded.created_at",
                (
                    (arxiv_id, version, model, len(v), np.asarray(v, "<f4").tobytes(), now)
                    for arxiv_id, version, v in vectors
                ),
            )

    def get_topic_vectors(
        self, slug: str, model: str, fingerprint: str
    ) -> tuple[list[str], NDArray[np.float32]] | None:
        """A topic's cached vectors (and the label of each row), if built for this definition."""
        row = self.db.execute(
            "SELECT labels, dim, vectors FROM topic_vectors"
            " WHERE slug = ? AND model = ? AND fingerprint = ?",
            (slug, model, fingerprint),
        ).fetchone()
        if row is None:
            return None
        labels = list(json.loads(row[0]))
        matrix = np.frombuffer(row[2], dtype="<f4").astype(np.float32).reshape(-1, row[1])
        return labels, matrix

    def save_topic_vectors(
        self,
        slug: str,
        model: str,
        fingerprint: str,
        labels: Sequence[str],
        vectors: NDArray[np.float32],
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO topic_vectors (slug, model, fingerprint, dim, labels, vectors,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (slug, model) DO UPDATE SET"
                " fingerprint = excluded.fingerprint, dim = excluded.dim,"
                " labels = excluded.labels, vectors = excluded.vectors,"
                " created_at = excluded.created_at",
                (
                    slug,
                    model,
                    fingerprint,
                    int(vectors.shape[1]),
                    json.dumps(list(labels), ensure_ascii=False),
                    np.asarray(vectors, "<f4").tobytes(),
                    _now(),
                ),
            )

    def recent_embeddings(
        self, model: str, limit: int
    ) -> tuple[list[tuple[str, int]], NDArray[np.float32]]:
        """The vectors of the ``limit`` most recently announced paper versions embedded with
        this model, newest first, with their (arXiv id, version) keys."""
        rows = self.db.execute(
            "SELECT e.arxiv_id, e.version, e.vector FROM embeddings e"
            " JOIN versions v ON v.arxiv_id = e.arxiv_id AND v.version = e.version"
            " WHERE e.model = ? ORDER BY v.announced DESC, e.arxiv_id DESC LIMIT ?",
            (model, limit),
        ).fetchall()
        keys = [(a, v) for a, v, _ in rows]
        if not rows:
            return keys, np.zeros((0, 0), np.float32)
        matrix = np.stack([np.frombuffer(b, dtype="<f4") for _, _, b in rows])
        return keys, matrix.astype(np.float32)

    # --- harvest state --------------------------------------------------------

    def harvest_state(self, key: str) -> HarvestState | None:
        """What the last harvest of one stream ("rss:cs.CV", an OAI backfill) left behind."""
        row = self.db.execute(
            "SELECT key, last_listing, harvested_at, checkpoint FROM harvests WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        return HarvestState(
            row[0],
            date.fromisoformat(row[1]) if row[1] else None,
            datetime.fromisoformat(row[2]) if row[2] else None,
            row[3],
        )

    def save_harvest_state(self, state: HarvestState) -> None:
        """Record a stream's progress; call it in the transaction that stores its papers."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO harvests (key, last_listing, harvested_at, checkpoint, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET"
                " last_listing = excluded.last_listing, harvested_at = excluded.harvested_at,"
                " checkpoint = excluded.checkpoint, updated_at = excluded.updated_at",
                (
                    state.key,
                    _iso(state.last_listing),
                    _iso(state.harvested_at),
                    state.checkpoint,
                    _now(),
                ),
            )

    # --- outbox ---------------------------------------------------------------

    def outbox_keys(self, channel: str, prefix: str = "") -> set[str]:
        """The keys already queued (sent or not) on a channel, those starting with ``prefix``."""
        rows = self.db.execute(
            "SELECT message_key FROM outbox WHERE channel = ? AND substr(message_key, 1, ?) = ?",
            (channel, len(prefix), prefix),
        )
        return {str(key) for (key,) in rows}

    def queue_message(self, message: OutboxMessage) -> bool:
        """Queue a composed message; False when its channel already has one with that key."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO outbox (channel, message_key, subject, body_text, body_html,"
                " message_id, queued_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    message.channel,
                    message.key,
                    message.subject,
                    message.body_text,
                    message.body_html,
                    message.message_id,
                    _now(),
                ),
            )
        return cursor.rowcount > 0

    def unsent_messages(self, channel: str | None = None) -> list[OutboxMessage]:
        """The messages of a channel (of every channel when None) that no service has
        accepted yet, oldest first."""
        where, params = ("channel = ? AND ", (channel,)) if channel is not None else ("", ())
        rows = self.db.execute(
            "SELECT channel, message_key, subject, body_text, body_html, message_id, attempts,"
            f" last_error FROM outbox WHERE {where}sent_at IS NULL"
            " ORDER BY queued_at, message_key",
            params,
        )
        return [OutboxMessage(*row) for row in rows]

    def mark_message(self, channel: str, key: str, error: str | None) -> None:
        """Record one attempt: sent when ``error`` is None, else the reason it failed."""
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, sent_at = ?"
                " WHERE channel = ? AND message_key = ?",
                (error, None if error else _now(), channel, key),
            )

    # --- run-health incidents -------------------------------------------------

    def open_incidents(self) -> list[Incident]:
        rows = self.db.execute(
            "SELECT kind, subject, opened_at, detail, closed_at FROM incidents"
            " WHERE closed_at IS NULL ORDER BY opened_at, kind, subject"
        )
        return [Incident(*row) for row in rows]

    def open_incident(self, kind: str, subject: str, detail: str) -> Incident | None:
        """Open an incident; None when one of that kind and subject is open already."""
        # To the microsecond: an incident closed and opened again within a second is new.
        opened = datetime.now(UTC).isoformat(timespec="microseconds")
        incident = Incident(kind, subject, opened, detail)
        with self.transaction() as db:
            if db.execute(
                "SELECT 1 FROM incidents WHERE kind = ? AND subject = ? AND closed_at IS NULL",
                (kind, subject),
            ).fetchone():
                return None
            db.execute(
                "INSERT INTO incidents (kind, subject, opened_at, detail) VALUES (?, ?, ?, ?)",
                (kind, subject, incident.opened_at, detail),
            )
        return incident

    def close_incident(self, kind: str, subject: str) -> bool:
        """Close the open incident of that kind and subject; False when none was open."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE incidents SET closed_at = ? WHERE kind = ? AND subject = ?"
                " AND closed_at IS NULL",
                (_now(), kind, subject),
            )
        return cursor.rowcount > 0

    def recent_decision_days(self, topic: str, limit: int) -> list[tuple[date, int, int]]:
        """The topic's newest ``limit`` days with decisions: (day, papers judged, selected)."""
        rows = self.db.execute(
            "SELECT day, COUNT(*), SUM(selected) FROM matches WHERE topic = ?"
            " GROUP BY day ORDER BY day DESC LIMIT ?",
            (topic, limit),
        )
        return [(date.fromisoformat(day), int(n), int(s or 0)) for day, n, s in rows]

    # --- runs -----------------------------------------------------------------

    def start_run(self, command: str, source: str) -> int:
        """Record a run as running; the caller holds the lock (see ``mark_interrupted``)."""
        self.mark_interrupted()
        with self.transaction() as db:
            rows = db.execute(
                "INSERT INTO runs (command, source, started_at, status)"
                " VALUES (?, ?, ?, 'running') RETURNING id",
                (command, source, _now()),
            ).fetchall()
        return int(rows[0][0])

    def finish_run(self, run_id: int, status: str, error: str | None = None, **counts: int) -> None:
        columns = "".join(f", {name} = ?" for name in counts)
        with self.transaction() as db:
            db.execute(
                f"UPDATE runs SET status = ?, finished_at = ?, error = ?{columns} WHERE id = ?",
                (status, _now(), error, *counts.values(), run_id),
            )

    def mark_interrupted(self) -> int:
        """Record as interrupted every run still marked running: only a caller holding the
        store's lock may ask, and while it does no run is alive (a live run holds the lock),
        so those were killed or crashed. Returns how many."""
        with self.transaction() as db:
            rows = db.execute(
                "UPDATE runs SET status = 'interrupted', error = ? WHERE status = 'running'"
                " RETURNING id",
                (INTERRUPTED,),
            ).fetchall()
        return len(rows)

    def recent_runs(self, limit: int = 10) -> list[RunRecord]:
        rows = self.db.execute(
            "SELECT id, command, source, started_at, finished_at, status, fetched, new, revised,"
            " unchanged, selected, pages_written, error FROM runs ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [RunRecord(*row) for row in rows]

    def month_totals(self, month: str) -> MonthTotals:
        """Totals of the runs started in ``month`` (``YYYY-MM``)."""
        row = self.db.execute(
            "SELECT COUNT(*),"
            " COALESCE(SUM(CASE WHEN status IN ('failed', 'interrupted') THEN 1 ELSE 0 END), 0),"
            " COALESCE(SUM(fetched), 0),"
            " COALESCE(SUM(new), 0), COALESCE(SUM(selected), 0),"
            " COALESCE(SUM(pages_written), 0), COALESCE(SUM(writeups_written), 0),"
            " COALESCE(SUM(llm_calls), 0),"
            " COALESCE(SUM(llm_prompt_tokens + llm_completion_tokens), 0), SUM(llm_cost),"
            " COALESCE(SUM(CASE WHEN status = 'unreachable' THEN 1 ELSE 0 END), 0)"
            " FROM runs WHERE substr(started_at, 1, 7) = ?",
            (month,),
        ).fetchone()
        return MonthTotals(month, *row)


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
# A match ``m`` with its paper and version, as `Store._as_selected` reads the rows.
_SELECTED_COLUMNS = (
    f"{_PAPER_COLUMNS_P}, m.topic, m.day, m.version, m.score, m.reason, m.decided_at,"
    " COALESCE(v.announce_type, '')"
)
_SELECTED_JOINS = (
    "JOIN papers p ON p.arxiv_id = m.arxiv_id"
    " LEFT JOIN versions v ON v.arxiv_id = m.arxiv_id AND v.version = m.version"
)


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
