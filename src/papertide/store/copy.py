"""A whole store copied into another, between SQLite and PostgreSQL in either direction.

The source is read in one consistent snapshot (a run may go on writing to it), the target
is written in one transaction: an interrupted copy leaves the target empty. Rows are copied
as they are (ids, timestamps, vectors byte for byte), so both stores then answer alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import islice

from papertide.errors import StoreError
from papertide.store import Store, migrations
from papertide.store.sql import statements

_CREATE = re.compile(r"^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.IGNORECASE)
CHUNK = 1000


def table_order() -> list[str]:
    """Tables in the order the migrations create them, so a row's references come first."""
    found: dict[str, None] = {}
    for _, sql in migrations():
        for statement in statements(sql):
            if match := _CREATE.match(statement):
                found[match.group(1)] = None
    return list(found)


def copy_store(
    source: Store, target: Store, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy every row of ``source`` into the empty store ``target``; returns the rows per
    table. ``progress(table, rows)`` is called after each chunk."""
    if source.schema_version != target.schema_version:
        raise StoreError(
            f"{source.location} has schema version {source.schema_version} and "
            f"{target.location} {target.schema_version}; open both with the same papertide"
        )
    present = set(source.db.tables())
    order = [t for t in table_order() if t in present]
    for table in order:
        held = target.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        if held:
            raise StoreError(
                f"{target.location} is not empty ({held} rows in {table}); "
                "copy into a new, empty store"
            )
    copied: dict[str, int] = {}
    source.db.begin_snapshot()
    try:
        with target.transaction() as db:
            for table in order:
                names = source.db.columns(table)
                columns = ", ".join(names)
                insert = f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(names))})"
                rows = source.db.stream(f"SELECT {columns} FROM {table}")
                copied[table] = 0
                while chunk := list(islice(rows, CHUNK)):
                    db.executemany(insert, chunk)
                    copied[table] += len(chunk)
                    if progress:
                        progress(table, len(chunk))
                target.db.after_copy(table)
    finally:
        source.db.rollback()
    for table, count in copied.items():
        landed = target.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        if landed != count:  # pragma: no cover - a database that loses rows
            raise StoreError(f"{target.location}: {table} holds {landed} rows, {count} copied")
    return copied
