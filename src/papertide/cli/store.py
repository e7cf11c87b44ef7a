"""`papertide store ...`: moving a store between SQLite and PostgreSQL."""

from __future__ import annotations

import os
import time
from pathlib import Path

import click

from papertide.cli.console import progress_bars, reports_errors, stdout
from papertide.errors import PapertideError
from papertide.store import Store, is_server
from papertide.store.copy import copy_store


@click.group("store")
def store_group() -> None:
    """Move a store between SQLite and PostgreSQL."""


def _location(text: str) -> Path | str:
    return text if is_server(text) else Path(text)


@store_group.command("copy")
@click.argument("source")
@click.argument("target")
@click.option(
    "--password-env",
    default="PAPERTIDE_STORE_PASSWORD",
    show_default=True,
    help="Environment variable holding the password of a postgresql:// store (else libpq's "
    "PGPASSWORD or ~/.pgpass).",
)
@reports_errors
def copy_cmd(source: str, target: str, password_env: str) -> None:
    """Copy every paper, decision, vector, write-up, figure and run of SOURCE into TARGET.

    Each is a SQLite file or a postgresql://user@host/database URL (the password never in
    the URL). TARGET must be empty (a new file or database); it is written in one
    transaction, so an interrupted copy leaves it empty. SOURCE is read in one consistent
    snapshot, so a run may go on writing to it; it is upgraded to this papertide's schema
    first. Then set [store] url (or path) to TARGET.

    \b
    Examples:
      papertide store copy papertide.db postgresql://lab@db.example.org/papertide
      papertide store copy postgresql://lab@db.example.org/papertide copy.db
    """
    src, dst = _location(source), _location(target)
    if isinstance(src, Path) and not src.is_file():
        raise PapertideError(f"{src}: no such store")
    if str(src) == str(dst):
        raise PapertideError(f"{source} is both SOURCE and TARGET; give another TARGET")
    password = os.environ.get(password_env) or None
    started = time.monotonic()
    with (
        Store(src, password) as from_store,
        Store(dst, password) as to_store,
        progress_bars() as progress,
    ):
        task = progress.add_task("Copying", total=None)
        copied = copy_store(from_store, to_store, lambda _, n: progress.advance(task, n))
        names = from_store.location, to_store.location
    counts = ", ".join(f"{n} {table}" for table, n in copied.items() if n)
    stdout.print(
        f"copied {names[0]} to {names[1]}: {counts or 'nothing (the store is empty)'}"
        f" ({time.monotonic() - started:.1f} s)"
    )
