"""Shared test fixtures.

Integration tests read real recorded material from ``../shared/data`` (beside the project);
they skip with a clear reason when it is absent. Unit tests use the small fixtures in
``tests/fixtures``, written for papertide in the same formats.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
