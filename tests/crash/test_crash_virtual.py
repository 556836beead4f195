"""Under the virtual clock, `kill -9` and a restart on the same file change nothing about
when retries happen: every attempt is made at exactly its scheduled virtual time.

Each run serves `hooksim serve --db FILE --clock virtual --seed 1` in a subprocess, three
events fail against a receiver that answers 503, and the clock is advanced in steps. A
reference run is never killed. Killed between two API calls, the restarted run is the
reference run, byte for byte (ids and request ids included: the seeded source is saved with
every commit). Killed in the middle of an advance, while the receiver holds a request, the
restarted run makes every attempt of the reference run at the same virtual time, and the
log shows the held attempt as interrupted (the receiver got it twice).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _crash_helpers import Api, CountingReceiver, ServeProcess, wait_until
from hooksim.simulator import DEFAULT_START, parse_time

pytestmark = pytest.mark.served

ARGS = ("--clock", "virtual", "--seed", "1")
STEPS = [5, 10, 20, 45, 300, 1000, 4000, 9000]
DEFAULT_OFFSETS = [0, 10, 30, 70, 150, 310, 630, 1270, 2550, 5110, 10230]


@pytest.fixture
def receiver() -> Iterator[CountingReceiver]:
    receiver = CountingReceiver(down=True)  # every request answered 503
    yield receiver
    receiver.close()


def _begin(db: Path, receiver: CountingReceiver) -> tuple[ServeProcess, Api]:
    server = ServeProcess(db, *ARGS)
    api = Api(server.url)
    api.subscribe(receiver.url, disableAfterFailures=False)
    api.publish(count=3)
    return server, api


def _reference(tmp_path: Path, receiver: CountingReceiver, renew_at: int) -> list[dict[str, Any]]:
    server, api = _begin(tmp_path / "reference.db", receiver)
    try:
        for step, seconds in enumerate(STEPS):
            api.advance(seconds)
            if step == renew_at:
                api = Api(server.url)  # the crashed run asks for a new token here
        return _timeless(api.log())
    finally:
        server.stop()


def _timeless(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The log without what real HTTP makes vary: how long each answer took."""
    return [{k: v for k, v in row.items() if k not in ("finishedAt", "durationMs")} for row in log]


def _offsets(log: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each event's delivery attempts, as their times."""
    times: dict[str, list[str]] = {}
    for row in log:
        if row["kind"] == "delivery":
            times.setdefault(row["eventId"], []).append(row["time"])
    return times


@pytest.mark.clause("DURABLE-CRASH-RECOVERY", "RETRY-SCHEDULE", "DETERMINISM")
@pytest.mark.parametrize("kill_after", [2, 5])
def test_killed_between_advances_the_run_goes_on_as_if_nothing_happened(
    tmp_path: Path, receiver: CountingReceiver, kill_after: int
) -> None:
    db = tmp_path / "crashed.db"
    server, api = _begin(db, receiver)
    try:
        for step, seconds in enumerate(STEPS):
            api.advance(seconds)
            if step == kill_after:
                server.kill()
                server = ServeProcess(db, *ARGS, name="restarted")
                assert "(resumed from" in server.output()
                api = Api(server.url)
        crashed = _timeless(api.log())
    finally:
        server.kill()
    reference = _reference(tmp_path, receiver, kill_after)
    assert crashed == reference
    assert len(reference) == 3 * len(DEFAULT_OFFSETS)
    _assert_default_schedule(reference)


@pytest.mark.clause("DURABLE-CRASH-RECOVERY", "RETRY-SCHEDULE", "AT-LEAST-ONCE")
def test_killed_in_the_middle_of_an_advance_each_retry_keeps_its_virtual_time(
    tmp_path: Path, receiver: CountingReceiver
) -> None:
    db = tmp_path / "crashed.db"
    receiver.hold(14)  # attempt 5 of the second event, sent during the fifth advance
    server, api = _begin(db, receiver)
    try:
        for step, seconds in enumerate(STEPS):
            if step == 4:
                caller = _advance_in_background(api, seconds)
                wait_until(receiver.holding.is_set, "the receiver to hold a request")
                server.kill()  # while the request is in flight
                receiver.release()
                caller.join(30)
                server = ServeProcess(db, *ARGS, name="restarted")
                api = Api(server.url)
                # The clock is where the last commit left it: the held attempt's instant.
                now = _elapsed(api.call("GET", "/_sim/clock")["now"])
                assert now == DEFAULT_OFFSETS[4]
                api.advance(sum(STEPS[: step + 1]) - now)  # the rest of the cut advance
            else:
                api.advance(seconds)
        crashed = api.log()
    finally:
        server.kill()
    reference = _reference(tmp_path, receiver, -1)
    assert _offsets(crashed) == _offsets(reference)
    _assert_default_schedule(crashed)
    (interrupted,) = [row for row in crashed if row["kind"] == "duplicate"]
    held = receiver.seen()[13]
    assert held.status is None
    assert (interrupted["requestId"], interrupted["eventId"]) == (held.request_id, held.event_id)
    assert interrupted["outcome"] == "error" and "interrupted" in interrupted["error"]
    # The receiver got that attempt twice: once held, once when it was sent again.
    copies = [r for r in receiver.seen()[13:] if r.event_id == held.event_id]
    assert len(copies) >= 2


def _advance_in_background(api: Api, seconds: float) -> threading.Thread:
    def advance() -> None:
        with contextlib.suppress(Exception):  # the server dies under it: that is the point
            api.advance(seconds)

    thread = threading.Thread(target=advance, daemon=True)
    thread.start()
    return thread


def _elapsed(now: str) -> float:
    return parse_time(now) - DEFAULT_START


def _assert_default_schedule(log: list[dict[str, Any]]) -> None:
    for times in _offsets(log).values():
        first = parse_time(times[0])
        assert [parse_time(t) - first for t in times] == DEFAULT_OFFSETS
        assert first - DEFAULT_START == 0
