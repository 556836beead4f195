"""One operation, one transaction: a crash leaves all of it or none of it; what answers an API
caller is synced to disk, engine work whose loss only means a re-send is not."""

from __future__ import annotations

from pathlib import Path

import pytest
from _store_helpers import DEAD_URL, ENV, RealishTransport, crash_image, open_platform
from hooksim.simulator import EventPublished, Signal
from hooksim.simulator._sqlite_store import SqliteStore


class Trace:
    """The SQL a store runs (through sqlite3's trace callback)."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store
        self.reset()

    def reset(self) -> None:
        self.start = self.store._synchronous
        self.statements: list[str] = []
        self.store._db.set_trace_callback(self.statements.append)

    def sync_levels(self) -> list[str]:
        """The synchronous level each transaction committed with, in order."""
        level, levels = self.start, []
        for statement in self.statements:
            if statement.startswith("PRAGMA synchronous"):
                level = statement.rsplit(" ", 1)[1]
            elif statement == "COMMIT":
                levels.append(level)
        return levels


@pytest.mark.clause("DURABLE-STORE", "NOTHING-LOST")
def test_a_crash_in_the_middle_of_an_operation_leaves_none_of_it(
    db_path: Path, tmp_path: Path
) -> None:
    platform, store = open_platform(db_path)
    image = tmp_path / "image.db"
    published = 0

    def crash_midway(signal: Signal) -> None:
        nonlocal published
        if isinstance(signal, EventPublished):
            published += 1
            if published == 3:
                crash_image(db_path, image)

    try:
        platform.create_environment(ENV)
        platform.subscribe(ENV, {"types": ["card-completed"], "url": DEAD_URL})
        platform.add_listener(crash_midway)
        platform.publish(ENV, "card-completed", count=5)
        assert len(platform.events(ENV)) == 5
    finally:
        store.close()
    platform, store = open_platform(image)
    try:
        assert platform.events(ENV) == []
        assert platform.deliveries(ENV) == []
        assert len(platform.subscriptions(ENV)) == 1
    finally:
        store.close()


@pytest.mark.clause("DURABLE-STORE")
def test_api_operations_sync_and_engine_work_does_not(db_path: Path) -> None:
    platform, store = open_platform(db_path, transport=RealishTransport(500))
    try:
        platform.create_environment(ENV)
        trace = Trace(store)
        platform.subscribe(ENV, {"types": ["card-completed"], "url": DEAD_URL})
        assert trace.sync_levels() == ["FULL"]

        trace.reset()
        platform.publish(ENV, "card-completed", count=2)
        # The events are on disk before the first request leaves; the attempts and their
        # answers after that are engine work.
        assert trace.sync_levels() == ["FULL", "NORMAL", "NORMAL"]

        trace.reset()
        platform.advance(10)
        assert trace.sync_levels() == ["NORMAL", "NORMAL", "NORMAL"]
    finally:
        store.close()


def test_reading_writes_nothing(db_path: Path) -> None:
    platform, store = open_platform(db_path)
    try:
        platform.create_environment(ENV)
        sub = platform.subscribe(ENV, {"types": ["card-completed"], "url": DEAD_URL})
        trace = Trace(store)
        platform.subscriptions(ENV)
        platform.subscription(ENV, sub.id)
        platform.attempts(ENV)
        platform.advance(0)  # the clock did not move, nothing was due
        assert trace.statements == []
    finally:
        store.close()
