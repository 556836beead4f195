from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hooksim.simulator._sqlite_store import SqliteStore


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "hooksim.db"


@pytest.fixture
def stores() -> Iterator[list[SqliteStore]]:
    """Stores a test opens; closed at teardown (an unclosed connection is a ResourceWarning)."""
    opened: list[SqliteStore] = []
    yield opened
    for store in opened:
        store.close()
