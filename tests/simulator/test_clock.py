"""Time is injected: a virtual clock that only moves when told, a wall clock, and ISO times."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import hooksim.simulator as simulator
import pytest
from _world import World
from hooksim.simulator import (
    DEFAULT_START,
    Behaviour,
    Clock,
    InvalidInput,
    Platform,
    VirtualClock,
    WallClock,
    format_time,
    parse_time,
)

pytestmark = pytest.mark.clause("CLOCK-INJECTED")


def test_a_virtual_clock_starts_at_a_fixed_instant_and_stands_still() -> None:
    clock = VirtualClock()
    assert clock.now() == DEFAULT_START == datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    assert clock.now() == clock.now()
    assert clock.is_virtual
    assert isinstance(clock, Clock)
    assert VirtualClock(start=100.0).now() == 100.0


def test_a_virtual_clock_moves_forward_only() -> None:
    clock = VirtualClock(start=0.0)
    clock.jump(5)
    clock.jump_to(7.5)
    assert (clock.now(), clock.elapsed) == (7.5, 7.5)
    with pytest.raises(ValueError, match="backwards"):
        clock.jump_to(7.0)
    with pytest.raises(ValueError, match="backwards"):
        clock.jump(-1)
    assert clock.now() == 7.5


def test_the_wall_clock_is_not_virtual() -> None:
    clock = WallClock()
    assert not clock.is_virtual
    assert isinstance(clock, Clock)


def test_advance_runs_due_work_at_its_own_instant(world: World) -> None:
    receiver = world.receiver(respond=lambda n, r: Behaviour(500))
    world.subscribe()
    world.publish_one()
    assert world.platform.advance(75) == world.start + 75
    assert world.now == world.start + 75
    # Each attempt saw the clock at the instant it was due.
    assert [r.time - world.start for r in receiver.requests] == [0, 10, 30, 70]


def test_advance_to_and_run_pending(world: World) -> None:
    world.subscribe("http://dead.test/")
    world.publish_one()
    world.platform.advance_to(world.start + 30)
    assert len(world.platform.attempts(world.env)) == 3
    world.platform.advance_to(world.start)  # the past: no move
    assert world.now == world.start + 30
    assert world.platform.run_pending() == world.start + 10230
    assert world.platform.pending_work == 0


@pytest.mark.parametrize("seconds", [-1, float("nan"), float("inf"), True, "10", 10 * 366 * 86400])
def test_advance_refuses_a_bad_amount(world: World, seconds: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        world.platform.advance(seconds)  # type: ignore[arg-type]
    assert caught.value.field == "seconds"
    assert world.now == world.start


def test_a_wall_clock_platform_cannot_be_advanced() -> None:
    platform = Platform(clock=WallClock(), seed=None)
    with pytest.raises(InvalidInput, match="virtual clock"):
        platform.advance(1)


def test_times_are_iso_8601_utc_with_milliseconds() -> None:
    assert format_time(DEFAULT_START) == "2026-01-01T00:00:00.000Z"
    assert format_time(DEFAULT_START + 10230.5678) == "2026-01-01T02:50:30.567Z"
    assert parse_time("2026-01-01T02:50:30.567Z") == pytest.approx(DEFAULT_START + 10230.567)
    assert parse_time("2026-01-01T13:00:00+13:00") == DEFAULT_START
    assert parse_time("2026-01-01T00:00:00") == DEFAULT_START  # no offset: UTC


def test_subscription_times_follow_the_virtual_clock(world: World) -> None:
    world.advance(3600.25)
    subscription = world.subscribe()
    assert subscription.to_api()["created"] == "2026-01-01T01:00:00.250Z"
    event = world.publish_one()
    assert event.data["timestamp"] == "2026-01-01T01:00:00.250Z"


_ADAPTERS = re.compile(r"^_(clock|serve\w*|http\w*|sandbox|mapping_worker)\.py$")  # ARCHITECTURE.md
_WALL_TIME = re.compile(
    r"\btime\.(time|sleep|monotonic|perf_counter)\(|\bdatetime\.(now|utcnow|today)\(|"
    r"\bdate\.today\(|^\s*import time\b|^\s*from time import",
    re.MULTILINE,
)


def test_the_core_never_reads_the_wall_clock() -> None:
    folder = Path(simulator.__file__).parent
    core = [p for p in sorted(folder.glob("_*.py")) if not _ADAPTERS.match(p.name)]
    assert {p.name for p in core} >= {"_platform.py", "_rules.py", "_scheduler.py", "_store.py"}
    offenders = {p.name: _WALL_TIME.findall(p.read_text()) for p in core}
    assert {name: hits for name, hits in offenders.items() if hits} == {}
