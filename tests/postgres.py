"""A fresh PostgreSQL database per test, on the server named by $PAPERTIDE_TEST_POSTGRES.

`.ci/run` starts a real server for it (`bash .ci/postgres`); without one the PostgreSQL half
of the store suite skips, saying how to get one.
"""

from __future__ import annotations

import os
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
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
