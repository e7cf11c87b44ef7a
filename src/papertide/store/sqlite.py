"""The store in one SQLite file: the default, for one reader on one machine."""

from __future__ import annotations

import fcntl
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from papertide.errors import StoreError
from papertide.store.database import Cursor, Database, Params, holder

# How long a statement waits for another connection's lock before "database is locked".
BUSY_SECONDS = 10.0


def _write_ahead_log(db: sqlite3.Connection) -> None:
    """Switch the file to WAL. A new file's switch needs a lock that SQLite does not wait for
    (another process opening the store at the same moment holds it), so it is tried again for
    as long as any statement would wait."""
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class SQLiteDatabase(Database):
    def __init__(self, path: Path) -> None:
        self.file = path
        self.location = str(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None, timeout=BUSY_SECONDS)
            _write_ahead_log(self.db)
            self.db.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{path}: cannot open the store ({exc}); restore it from a backup or move it away"
            ) from None
        self._lock_file: IO[str] | None = None

    def execute(self, sql: str, params: Params = ()) -> Cursor:
        return self.db.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        self.db.executemany(sql, rows)

    @property
    def in_transaction(self) -> bool:
        return self.db.in_transaction

    def begin(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def begin_snapshot(self) -> None:
        self.db.execute("BEGIN")

    def stream(self, sql: str) -> Iterator[tuple[Any, ...]]:
        yield from self.db.execute(sql)

    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def set_schema_version(self, version: int) -> None:
        self.db.execute(f"PRAGMA user_version = {int(version)}")

    def lock_schema(self) -> None:
        return None  # BEGIN IMMEDIATE already excludes every other writer

    def ddl(self, statement: str) -> str:
        return statement

    def tables(self) -> list[str]:
        rows = self.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        return [str(name) for (name,) in rows]

    def columns(self, table: str) -> list[str]:
        return [str(row[1]) for row in self.db.execute(f"PRAGMA table_info({table})")]

    def integrity_problems(self) -> list[str]:
        rows = [str(row[0]) for row in self.db.execute("PRAGMA integrity_check")]
        return [] if rows == ["ok"] else rows

    def backup(self, target: Path) -> None:
        """SQLite's online backup: a consistent copy while others write."""
        copy = sqlite3.connect(target)
        try:
            self.db.backup(copy)
        finally:
            copy.close()

    def try_lock(self) -> str | None:
        path = Path(f"{self.file}.lock")
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held until unlock()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            held_by = handle.read().strip() or "unknown"
            handle.close()
            return held_by
        handle.seek(0)
        handle.truncate()
        handle.write(holder())
        handle.flush()
        self._lock_file = handle
        return None

    def unlock(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def close(self) -> None:
        self.unlock()
        self.db.close()
