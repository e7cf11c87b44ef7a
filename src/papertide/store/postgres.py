"""The store on a PostgreSQL server, shared by a lab's members and machines (psycopg 3).

The run lock is a session-level advisory lock: it works across machines, and the server
drops it when the holder's connection ends, so a killed run never leaves the store locked.
The schema version is kept in a one-row table, ``papertide_schema``.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from papertide.errors import StoreError
from papertide.store.database import Cursor, Database, Params, holder
from papertide.store.sql import postgres_ddl, postgres_params

if TYPE_CHECKING:
    import psycopg

# Advisory lock keys (below 2**31, so pg_locks shows each whole in `objid`).
RUN_LOCK = 0x70617065  # "pape"
MIGRATION_LOCK = RUN_LOCK + 1
_streams = itertools.count()


def safe_url(url: str) -> str:
    """The URL as messages may show it: a password in it is masked."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


class PostgresDatabase(Database):
    def __init__(self, url: str, password: str | None = None) -> None:
        self.location = safe_url(url)
        try:
            import psycopg
        except ImportError:
            raise StoreError(
                f"{self.location}: a PostgreSQL store needs psycopg: "
                "pip install 'papertide[postgres]'"
            ) from None
        self._errors: type[Exception] = psycopg.OperationalError
        extra: dict[str, Any] = {"password": password} if password else {}
        try:
            self.db: psycopg.Connection[tuple[Any, ...]] = psycopg.connect(
                url,
                autocommit=True,
                application_name=f"papertide {holder()}"[:63],
                connect_timeout=15,
                **extra,
            )
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise StoreError(
                f"{self.location}: cannot connect to the store ({reason}); check [store] url, "
                "that the server is up, and the password variable ([store] password_env)"
            ) from None
        self._locked = False

    def execute(self, sql: str, params: Params = ()) -> Cursor:
        try:
            return self.db.execute(postgres_params(sql), params)
        except self._errors as exc:
            raise self._lost(exc) from None

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        try:
            with self.db.cursor() as cursor:
                cursor.executemany(postgres_params(sql), rows)
        except self._errors as exc:
            raise self._lost(exc) from None

    def _lost(self, exc: Exception) -> StoreError:
        return StoreError(
            f"{self.location}: the store's server failed ({str(exc).strip() or 'no answer'}); "
            "run again once it is back (the interrupted step is redone, nothing is lost)"
        )

    @property
    def in_transaction(self) -> bool:
        from psycopg import pq

        return self.db.info.transaction_status != pq.TransactionStatus.IDLE

    def begin(self) -> None:
        self.execute("BEGIN")

    def begin_snapshot(self) -> None:
        self.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def stream(self, sql: str) -> Iterator[tuple[Any, ...]]:
        with self.db.cursor(name=f"papertide_stream_{next(_streams)}") as cursor:
            cursor.itersize = 2000
            cursor.execute(postgres_params(sql))
            yield from cursor

    def schema_version(self) -> int:
        # A query of the catalog rather than to_regclass(), whose cache would not see a table
        # that another process created while this one waited for the migration lock.
        exists = self.execute(
            "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
            " AND tablename = 'papertide_schema'"
        ).fetchone()[0]
        if not exists:
            return 0
        row = self.execute("SELECT version FROM papertide_schema").fetchone()
        return int(row[0]) if row else 0

    def set_schema_version(self, version: int) -> None:
        self.execute("CREATE TABLE IF NOT EXISTS papertide_schema (version INTEGER NOT NULL)")
        self.execute("DELETE FROM papertide_schema")
        self.execute("INSERT INTO papertide_schema (version) VALUES (?)", (version,))

    def lock_schema(self) -> None:
        self.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))

    def ddl(self, statement: str) -> str:
        return postgres_ddl(statement)

    def tables(self) -> list[str]:
        rows = self.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema ="
            " current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'papertide_schema'"
        )
        return [str(name) for (name,) in rows]

    def columns(self, table: str) -> list[str]:
        rows = self.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema ="
            " current_schema() AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )
        return [str(name) for (name,) in rows]

    def after_copy(self, table: str) -> None:
        """Move the table's id sequences past the copied ids."""
        columns = self.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema ="
            " current_schema() AND table_name = ? AND is_identity = 'YES'",
            (table,),
        ).fetchall()
        for (column,) in columns:
            self.execute(
                f"SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(MAX({column}), 0) + 1,"
                f" false) FROM {table}",
                (table, column),
            )

    def integrity_problems(self) -> list[str]:
        return []  # the server keeps its own files sound; a reachable store is a sound one

    def try_lock(self) -> str | None:
        if self._locked:
            return None
        if self.execute("SELECT pg_try_advisory_lock(?)", (RUN_LOCK,)).fetchone()[0]:
            self._locked = True
            return None
        row = self.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.objid::bigint = ?::bigint"
            " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (RUN_LOCK,),
        ).fetchone()
        name = str(row[0]) if row and row[0] else ""
        return name.removeprefix("papertide ") or "unknown"

    def unlock(self) -> None:
        if self._locked:
            self.execute("SELECT pg_advisory_unlock(?)", (RUN_LOCK,))
            self._locked = False

    def close(self) -> None:
        if not self.db.closed:
            with contextlib.suppress(StoreError):  # a lost connection took the lock with it
                self.unlock()
            self.db.close()
