"""A fresh PostgreSQL database per test, on the server named by $PAPERTIDE_TEST_POSTGRES.

`.ci/run` starts a real server for it (`bash .ci/postgres`); without one the PostgreSQL half
of the store suite skips, saying how to get one.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

SERVER_ENV = "PAPERTIDE_TEST_POSTGRES"


def server_url() -> str:
    """The test server's URL, or skip the test saying how to get one."""
    url = os.environ.get(SERVER_ENV, "")
    if not url:
        pytest.skip(
            f"no PostgreSQL server: set {SERVER_ENV} to the URL of a role that may create "
            'databases (eval "$(bash .ci/postgres)" starts one)'
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed: pip install -e '.[dev]'")
    return url


@contextmanager
def fresh_database() -> Iterator[str]:
    """The URL of a new, empty database, dropped afterwards."""
    import psycopg

    url = server_url()
    name = f"papertide_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        _drop(url, name)


def _drop(url: str, name: str) -> None:
    """Drop the database. FORCE ends the test's own connections left open, but not an
    autovacuum worker of the server's (a role without pg_signal_backend may not end it: seen
    once after the bulk-file copy); a plain DROP stops autovacuum itself, so it is tried too,
    for a few seconds."""
    import psycopg

    busy = (psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectInUse)
    with psycopg.connect(url, autocommit=True) as admin:
        for _ in range(20):
            for force in (" WITH (FORCE)", ""):
                try:
                    admin.execute(f"DROP DATABASE IF EXISTS {name}{force}")
                    return
                except busy:
                    pass
            time.sleep(0.25)
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # says why it cannot
