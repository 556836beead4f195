"""Retries: the exact default schedule, the 4-hour window, caps, max_delay, Retry-After, jitter."""

from __future__ import annotations

import math

import pytest
from _world import DEAD_URL, DEFAULT_OFFSETS, FOUR_HOURS, World, make_world
from hooksim.simulator import (
    Behaviour,
    DeliveryState,
    Outcome,
    ReceivedRequest,
    Settings,
    default_schedule,
    next_retry_at,
)
from hypothesis import given
from hypothesis import strategies as st

pytestmark = pytest.mark.clause("RETRY-SCHEDULE")


def test_default_schedule_is_the_promised_one() -> None:
    assert default_schedule() == DEFAULT_OFFSETS
    assert len(default_schedule()) == 11


@pytest.mark.clause("RETRY-WINDOW", "DELIVERY-UNDELIVERED")
def test_dead_endpoint_over_four_hours_shows_exactly_the_default_schedule(world: World) -> None:
    subscription = world.subscribe(DEAD_URL)
    event = world.publish_one()
    world.advance(FOUR_HOURS)

    records = world.platform.attempts(world.env)
    assert world.offsets(subscription) == DEFAULT_OFFSETS
    assert [r.attempt for r in records] == list(range(1, 12))
    assert {r.outcome for r in records} == {Outcome.REFUSED}
    assert [r.scheduled_at - world.start for r in records] == DEFAULT_OFFSETS
    delivery = world.platform.delivery(event.id, subscription.id)
    assert delivery is not None
    assert delivery.state is DeliveryState.UNDELIVERED
    assert delivery.reason == "retries-exhausted"
    # Recorded undelivered at its final failed attempt, not at the end of the window.
    assert delivery.ended_at == world.start + 10230
    assert world.platform.pending_work == 0
    assert subscription.active


def test_nothing_more_is_sent_after_the_window(world: World) -> None:
    subscription = world.subscribe(DEAD_URL)
    world.publish_one()
    world.advance(3 * FOUR_HOURS)
    assert len(world.offsets(subscription)) == 11


def test_retry_is_timed_from_the_previous_scheduled_start_not_the_answer() -> None:
    world = make_world()
    # Each failing answer takes 4 s; retries still come at 10, 30, 70... after the first.
    world.receiver(respond=lambda n, r: Behaviour(500, latency=4.0))
    subscription = world.subscribe()
    world.publish_one()
    world.advance(FOUR_HOURS)
    assert world.offsets(subscription) == DEFAULT_OFFSETS
    records = world.platform.attempts(world.env)
    assert [r.finished_at - r.started_at for r in records] == [4.0] * 11


def test_a_retry_that_succeeds_ends_the_schedule(world: World) -> None:
    world.receiver(respond=lambda n, r: Behaviour(503 if n <= 3 else 200))
    subscription = world.subscribe()
    event = world.publish_one()
    world.advance(FOUR_HOURS)
    assert world.offsets(subscription) == [0, 10, 30, 70]
    delivery = world.platform.delivery(event.id, subscription.id)
    assert delivery is not None
    assert delivery.state is DeliveryState.DELIVERED
    assert delivery.ended_at == world.start + 70


@pytest.mark.clause("RETRY-WINDOW")
def test_window_edge_is_inclusive() -> None:
    # base 10: attempts at 0, 10, 30, 70; a 70 s window keeps the retry at exactly 70.
    assert default_schedule(Settings(retry_window=70)) == [0, 10, 30, 70]
    assert default_schedule(Settings(retry_window=69.999)) == [0, 10, 30]
    assert default_schedule(Settings(retry_window=10230)) == DEFAULT_OFFSETS
    assert default_schedule(Settings(retry_window=10229)) == DEFAULT_OFFSETS[:-1]


@pytest.mark.clause("RETRY-WINDOW")
def test_window_edge_is_inclusive_on_the_platform() -> None:
    world = make_world(Settings(retry_window=1270))
    subscription = world.subscribe(DEAD_URL)
    world.publish_one()
    world.advance(FOUR_HOURS)
    assert world.offsets(subscription) == DEFAULT_OFFSETS[:8]


@pytest.mark.clause("RETRY-WINDOW")
def test_window_counts_from_the_events_first_attempt_not_the_clock_start(world: World) -> None:
    subscription = world.subscribe(DEAD_URL)
    world.advance(1000)
    world.publish_one()
    world.advance(FOUR_HOURS)
    assert world.offsets(subscription) == [1000 + offset for offset in DEFAULT_OFFSETS]


@pytest.mark.clause("RETRY-MAX-RETRIES")
@pytest.mark.parametrize(("max_retries", "expected"), [(0, [0]), (3, [0, 10, 30, 70])])
def test_subscription_max_retries_caps_the_retries(
    world: World, max_retries: int, expected: list[int]
) -> None:
    subscription = world.subscribe(DEAD_URL, maxRetries=max_retries)
    event = world.publish_one()
    world.advance(FOUR_HOURS)
    assert world.offsets(subscription) == expected
    delivery = world.platform.delivery(event.id, subscription.id)
    assert delivery is not None
    assert (delivery.state, delivery.reason) == (DeliveryState.UNDELIVERED, "retries-exhausted")


@pytest.mark.clause("RETRY-MAX-RETRIES")
def test_max_retries_beyond_the_window_changes_nothing(world: World) -> None:
    subscription = world.subscribe(DEAD_URL, maxRetries=50)
    world.publish_one()
    world.advance(FOUR_HOURS)
    assert world.offsets(subscription) == DEFAULT_OFFSETS


@pytest.mark.clause("RETRY-MAX-RETRIES", "SETTINGS")
def test_the_stricter_of_platform_and_subscription_caps_wins() -> None:
    world = make_world(Settings(max_retries=2))
    loose = world.subscribe(DEAD_URL, maxRetries=5)
    strict = world.subscribe("http://dead.test/other", maxRetries=1)
    world.publish_one()
    world.advance(FOUR_HOURS)
    assert world.offsets(loose) == [0, 10, 30]
    assert world.offsets(strict) == [0, 10]


@pytest.mark.clause("RETRY-MAX-DELAY")
def test_max_delay_caps_each_delay() -> None:
    settings = Settings(max_delay=600)
    expected = [0, 10, 30, 70, 150, 310, 630] + [630 + 600 * k for k in range(1, 23)]
    assert expected[-1] == 13830
    assert default_schedule(settings) == expected


@pytest.mark.clause("RETRY-MAX-DELAY", "DISABLE-OPT-OUT")
def test_max_delay_on_the_platform() -> None:
    world = make_world(Settings(max_delay=600))
    subscription = world.subscribe(DEAD_URL, disableAfterFailures=False)
    world.publish_one()
    world.advance(FOUR_HOURS)
    offsets = world.offsets(subscription)
    assert len(offsets) == 29
    assert offsets[-1] == 13830
    assert [b - a for a, b in zip(offsets, offsets[1:], strict=False)][-3:] == [600, 600, 600]


@pytest.mark.clause("RETRY-MAX-DELAY")
def test_max_delay_with_only_a_retry_count() -> None:
    settings = Settings(max_delay=3600, retry_window=None, max_retries=12)
    assert default_schedule(settings) == [
        0, 10, 30, 70, 150, 310, 630, 1270, 2550, 5110, 8710, 12310, 15910,
    ]  # fmt: skip


def _rate_limited(retry_after: str, status: int = 429):
    def respond(number: int, request: ReceivedRequest) -> Behaviour:
        if number == 1:
            return Behaviour(status, headers=(("Retry-After", retry_after),))
        return Behaviour(500)

    return respond


@pytest.mark.clause("RETRY-AFTER")
def test_retry_after_longer_than_the_delay_postpones_the_next_retry(world: World) -> None:
    world.receiver(respond=_rate_limited("100"))
    subscription = world.subscribe()
    world.publish_one()
    world.advance(FOUR_HOURS)
    offsets = world.offsets(subscription)
    # Retry 1 waits 100 s instead of 10; the backoff goes on from there (20, 40, ...).
    assert offsets[:4] == [0, 100, 120, 160]
    assert all(offset <= FOUR_HOURS for offset in offsets)
    records = world.platform.attempts(world.env)
    assert (records[0].outcome, records[0].status_code) == (Outcome.HTTP_ERROR, 429)


@pytest.mark.clause("RETRY-AFTER")
def test_retry_after_as_an_http_date_is_read_on_the_platform_clock(world: World) -> None:
    # The virtual clock starts at 2026-01-01T00:00:00Z: this date is 100 s after the first
    # attempt's scheduled start.
    world.receiver(respond=_rate_limited("Thu, 01 Jan 2026 00:01:40 GMT"))
    subscription = world.subscribe()
    world.publish_one()
    world.advance(200)
    assert world.offsets(subscription)[:3] == [0, 100, 120]


@pytest.mark.clause("RETRY-AFTER")
def test_retry_after_on_503_is_honoured_too(world: World) -> None:
    world.receiver(respond=_rate_limited("45", status=503))
    subscription = world.subscribe()
    world.publish_one()
    world.advance(200)
    assert world.offsets(subscription)[:3] == [0, 45, 65]


@pytest.mark.clause("RETRY-AFTER")
@pytest.mark.parametrize(
    ("status", "value"),
    [(429, "5"), (429, "Wed, 31 Dec 2025 07:28:00 GMT"), (429, "-3"), (429, "soon"), (500, "100")],
)
def test_retry_after_that_does_not_apply_leaves_the_backoff(
    world: World, status: int, value: str
) -> None:
    world.receiver(respond=_rate_limited(value, status=status))
    subscription = world.subscribe()
    world.publish_one()
    world.advance(100)
    assert world.offsets(subscription)[:3] == [0, 10, 30]


@pytest.mark.clause("RETRY-AFTER", "RETRY-WINDOW")
def test_retry_after_beyond_the_window_ends_the_delivery(world: World) -> None:
    world.receiver(respond=_rate_limited(str(FOUR_HOURS + 1)))
    subscription = world.subscribe()
    event = world.publish_one()
    world.advance(2 * FOUR_HOURS)
    assert world.offsets(subscription) == [0]
    delivery = world.platform.delivery(event.id, subscription.id)
    assert delivery is not None
    assert (delivery.state, delivery.reason) == (DeliveryState.UNDELIVERED, "retries-exhausted")


@pytest.mark.clause("RETRY-AFTER")
def test_retry_after_is_an_input_of_the_pure_schedule() -> None:
    settings = Settings()
    common = {"first_attempt_at": 0.0, "previous_scheduled_at": 0.0}
    assert next_retry_at(settings, attempts_made=1, retry_after=100, **common) == 100
    assert next_retry_at(settings, attempts_made=1, retry_after=3, **common) == 10
    assert next_retry_at(settings, attempts_made=1, retry_after=14400, **common) == 14400
    assert next_retry_at(settings, attempts_made=1, retry_after=14401, **common) is None


@pytest.mark.clause("RETRY-JITTER", "DETERMINISM")
def test_jitter_is_seeded_and_bounded() -> None:
    def offsets(seed: int) -> list[float]:
        world = make_world(Settings(jitter=0.5), seed=seed)
        subscription = world.subscribe(DEAD_URL)
        world.publish_one()
        world.advance(FOUR_HOURS)
        return world.offsets(subscription)

    first, again, other = offsets(3), offsets(3), offsets(4)
    assert first == again
    assert first != other
    assert first != DEFAULT_OFFSETS[: len(first)]
    for run in (first, other):
        assert run[0] == 0
        for k, (a, b) in enumerate(zip(run, run[1:], strict=False), start=1):
            nominal = 10 * 2 ** (k - 1)
            assert 0.5 * nominal <= b - a <= 1.5 * nominal
        assert run[-1] <= FOUR_HOURS


@pytest.mark.clause("RETRY-JITTER")
def test_jitter_is_off_by_default() -> None:
    assert Settings().jitter == 0.0


@given(
    base=st.floats(min_value=0.5, max_value=5000, allow_nan=False),
    window=st.floats(min_value=1, max_value=10_000_000, allow_nan=False),
)
@pytest.mark.clause("RETRY-WINDOW")
def test_any_schedule_doubles_and_stays_in_its_window(base: float, window: float) -> None:
    offsets = default_schedule(Settings(retry_base=base, retry_window=window))
    assert offsets[0] == 0
    delays = [b - a for a, b in zip(offsets, offsets[1:], strict=False)]
    assert all(d > 0 for d in delays)
    for k, delay in enumerate(delays, start=1):
        assert delay == pytest.approx(base * 2 ** (k - 1))
    assert offsets[-1] <= window + 1e-6
    # The next retry would have left the window.
    assert offsets[-1] + base * 2 ** (len(offsets) - 1) > window - 1e-6


@pytest.mark.clause("RETRY-MAX-DELAY", "RETRY-MAX-RETRIES")
def test_a_long_capped_schedule_does_not_overflow() -> None:
    settings = Settings(retry_window=None, max_retries=1100, max_delay=60)
    offsets = default_schedule(settings)
    assert len(offsets) == 1101
    assert offsets[:5] == [0, 10, 30, 70, 130]
    assert offsets[-1] == 70 + 60 * (1100 - 3)
    # Without a cap on each delay the doubling reaches infinity: no retry is scheduled there.
    unbounded = default_schedule(Settings(retry_window=None, max_retries=1100, retry_base=1e10))
    assert len(unbounded) == 991
    assert all(math.isfinite(offset) for offset in unbounded)
