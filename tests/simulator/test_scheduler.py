"""Due work runs in time order; work due at the same instant runs in the order scheduled."""

from __future__ import annotations

import pytest
from _world import DEAD_URL, World
from hooksim.simulator._scheduler import Scheduler
from hypothesis import given
from hypothesis import strategies as st

pytestmark = pytest.mark.clause("SCHEDULER-ORDER")


def _drain(scheduler: Scheduler, until: float) -> list[object]:
    ran = []
    while (timer := scheduler.pop_due(until)) is not None:
        ran.append(timer.args[0])
    return ran


def test_timers_run_by_time_then_by_scheduling_order() -> None:
    scheduler = Scheduler()
    for when, name in [(5, "a"), (1, "b"), (5, "c"), (3, "d"), (1, "e"), (5, "f")]:
        scheduler.call_at(when, print, name)
    assert len(scheduler) == 6
    assert scheduler.next_due() == 1
    assert _drain(scheduler, 4.999) == ["b", "e", "d"]
    assert _drain(scheduler, 5) == ["a", "c", "f"]  # inclusive
    assert scheduler.next_due() is None
    assert len(scheduler) == 0


def test_cancelled_timers_never_run() -> None:
    scheduler = Scheduler()
    keep = scheduler.call_at(2, print, "keep")
    drop = scheduler.call_at(1, print, "drop")
    scheduler.cancel(drop)
    scheduler.cancel(drop)  # twice changes nothing
    assert len(scheduler) == 1
    assert scheduler.next_due() == 2
    assert _drain(scheduler, 10) == ["keep"]
    scheduler.cancel(keep)  # after it ran: changes nothing
    assert len(scheduler) == 0


@given(st.lists(st.tuples(st.integers(0, 20), st.booleans()), max_size=60))
def test_any_timers_run_sorted_and_stable(timers: list[tuple[int, bool]]) -> None:
    scheduler = Scheduler()
    handles = [scheduler.call_at(when, print, n) for n, (when, _) in enumerate(timers)]
    for handle, (_, cancel) in zip(handles, timers, strict=True):
        if cancel:
            scheduler.cancel(handle)
    live = [(when, n) for n, (when, cancel) in enumerate(timers) if not cancel]
    assert len(scheduler) == len(live)
    assert _drain(scheduler, 20) == [n for _, n in sorted(live)]


def test_attempts_due_at_the_same_instant_run_in_publication_order(world: World) -> None:
    world.subscribe(DEAD_URL)
    events = world.publish(count=5)
    world.advance(35)
    records = world.platform.attempts(world.env)
    assert [(r.started_at - world.start, r.event_id) for r in records] == [
        (offset, event.id) for offset in (0, 10, 30) for event in events
    ]


def test_subscriptions_are_attempted_in_creation_order(world: World) -> None:
    first = world.subscribe("http://a.test/")
    second = world.subscribe("http://b.test/")
    world.publish_one()
    records = world.platform.attempts(world.env)
    assert [r.subscription_id for r in records] == [first.id, second.id]
