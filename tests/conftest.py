"""Shared test fixtures.

Integration tests read real recorded material from ``../shared/data`` (beside the project);
they skip with a clear reason when it is absent. Unit tests use the small fixtures in
``tests/fixtures``, written for papertide in the same formats.
"""

from __future__ import annotations

import os
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
    """Every test sees an empty papertide cache, so ``[llm] backend = "auto"`` resolves to
    ``none`` even on a machine where the local model is assembled (the real-model test reads
    the real cache's path when it is imported, before this runs)."""
    monkeypatch.setenv("PAPERTIDE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


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
