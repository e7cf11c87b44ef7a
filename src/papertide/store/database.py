"""One connection to the store's database, whichever it is: what the store asks of SQLite
and of PostgreSQL, behind one small interface (`sqlite.py`, `postgres.py`)."""

from __future__ import annotations

import os
import socket
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

# The store is PostgreSQL when its location is a URL with one of these schemes.
POSTGRES_SCHEMES = ("postgresql://", "postgres://")

Params = Sequence[Any]


class Cursor(Protocol):
    """What a query returns: rows as tuples."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


def holder() -> str:
    """Names this process to a second run that finds the store locked."""
    return f"pid {os.getpid()} on {socket.gethostname()}"


class Database(ABC):
    """A connection that runs the store's (portable, ``?``-parameter) SQL."""

    # What messages call the store: its file, or its URL (which never holds a password).
    location: str
    # The store's file, for SQLite; None for a server.
    file: Path | None = None

    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> Cursor: ...

    @abstractmethod
    def executemany(self, sql: str, rows: Iterable[Params]) -> None: ...

    @property
    @abstractmethod
    def in_transaction(self) -> bool: ...

    @abstractmethod
    def begin(self) -> None:
        """Start a transaction that writes (SQLite takes its write lock at once)."""

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        self.execute("ROLLBACK")

    @abstractmethod
    def begin_snapshot(self) -> None:
        """Start a read-only transaction that sees one consistent state of the store."""

    @abstractmethod
    def stream(self, sql: str) -> Iterator[tuple[Any, ...]]:
        """The rows of a big query, fetched a few thousand at a time (in a transaction)."""

    # --- schema -------------------------------------------------------------

    @abstractmethod
    def schema_version(self) -> int: ...

    @abstractmethod
    def set_schema_version(self, version: int) -> None:
        """Record the version, in the migration's own transaction."""

    @abstractmethod
    def lock_schema(self) -> None:
        """Within a transaction: wait until no other process is migrating the store."""

    @abstractmethod
    def ddl(self, statement: str) -> str:
        """A migration statement in this database's words."""

    @abstractmethod
    def tables(self) -> list[str]:
        """The store's tables (not the database's own bookkeeping)."""

    @abstractmethod
    def columns(self, table: str) -> list[str]:
        """A table's columns, in their order."""

    def after_copy(self, table: str) -> None:  # noqa: B027 - most databases need nothing
        """Called when rows with their own ids were copied into ``table``."""

    @abstractmethod
    def integrity_problems(self) -> list[str]: ...

    # --- the run lock ---------------------------------------------------------

    @abstractmethod
    def try_lock(self) -> str | None:
        """Take the store's run lock; held until ``unlock`` or the end of the process (or
        its connection). Returns None when taken, else who holds it."""

    @abstractmethod
    def unlock(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...
