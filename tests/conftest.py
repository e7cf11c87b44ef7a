"""Shared test fixtures.

Integration tests read real recorded material from ``../shared/data`` (beside the project);
they skip with a clear reason when it is absent. Unit tests use the small fixtures in
``tests/fixtures``, written for papertide in the same formats.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from cdp import Browser, find_chromium
from postgres import fresh_database

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = Path(os.environ.get("PAPERTIDE_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (set PAPERTIDE_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _empty_model_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test sees an empty papertide cache and no installed model parts, so ``[llm]
    backend = "auto"`` resolves to ``none`` even on a machine where the local model is
    installed and assembled (the real-model test reads the real cache's path when it is
    imported, before this runs; the quick-start test installs its own)."""
    monkeypatch.setenv("PAPERTIDE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setattr("papertide.llm.model.parts_installed", lambda: False)


_connect = socket.socket.connect


def _loopback_only(sock: socket.socket, address: object) -> None:
    host = address[0] if isinstance(address, tuple) else None
    if isinstance(host, str):
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise ConnectionRefusedError(f"tests never touch the network (connect to {host})")
    _connect(sock, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests answer HTTP from local servers only: a connection anywhere else is refused, as on
    a machine without network (figures are on by default, so a run would otherwise try to
    download the selected papers' PDFs from arXiv)."""
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path | str]:
    """Where a store test keeps its store: a SQLite file, then a fresh PostgreSQL database
    (skipped, saying why, when no server is configured)."""
    if request.param == "sqlite":
        yield tmp_path / "store.db"
        return
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test module; skips when Chromium is not installed."""
    executable = find_chromium()
    if executable is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    b = Browser(executable)
    try:
        yield b
    finally:
        b.close()
