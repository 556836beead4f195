"""The delivery rules a platform profile brings, on the platform itself: Svix's jitter and its
time-based disabling (a success clears the streak, old failures are forgiven, re-enabling
starts over), Standard Webhooks' 410, Retry-After on a list schedule, GitHub's single attempt,
and a durable store that keeps the failing streak."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hooksim.scenarios import load_profile
from hooksim.simulator import (
    Behaviour,
    DeliveryState,
    InProcessTransport,
    Platform,
    ReceivedRequest,
    RecordingReceiver,
    Settings,
    SqliteStore,
    VirtualClock,
)

pytestmark = pytest.mark.clause("RETRY-SCHEDULE", "DISABLE-STOPS-DELIVERY")

URL = "https://receiver.hooksim.test/hook"
HOUR = 3600.0
SVIX_OFFSETS = [0, 5, 305, 2105, 9305, 27305, 63305, 99305]


class Rig:
    def __init__(
        self,
        profile: str,
        respond: Callable[[int, ReceivedRequest], Behaviour] | None = None,
        *,
        seed: int = 0,
        settings: Settings | None = None,
        store: SqliteStore | None = None,
        clock: VirtualClock | None = None,
    ) -> None:
        self.receiver = RecordingReceiver(respond=respond)
        transport = InProcessTransport()
        transport.mount(URL, self.receiver)
        self.platform = Platform(
            profile=load_profile(profile),
            settings=settings,
            transport=transport,
            seed=seed,
            store=store,
            clock=clock or VirtualClock(),
        )
        envs = self.platform.store.environments
        self.env = next(iter(envs)) if envs else self.platform.create_environment().id
        subs = self.platform.store.subscriptions(self.env)
        self.sub = (
            subs[0]
            if subs
            else self.platform.subscribe(self.env, {"url": URL, "types": ["card-completed"]})
        )
        self.start = self.platform.clock.now()

    def publish(self) -> str:
        return self.platform.publish(self.env, "card-completed")[0].id

    def times(self, event_id: str) -> list[float]:
        records = self.platform.attempts(self.env, event_id=event_id)
        return [round(r.started_at - self.start, 3) for r in records]

    def status(self) -> str:
        return self.platform.subscription(self.env, self.sub.id).status


def failing(status: int = 500) -> Callable[[int, ReceivedRequest], Behaviour]:
    return lambda number, request: Behaviour(status)


def test_svix_jitter_moves_each_delay_by_at_most_20_percent_and_is_seeded() -> None:
    runs = []
    for seed in (1, 1, 2):
        rig = Rig("svix", failing(), seed=seed)
        event = rig.publish()
        rig.platform.advance(2 * 24 * HOUR)
        times = rig.times(event)
        assert len(times) == 8
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        documented = [b - a for a, b in zip(SVIX_OFFSETS, SVIX_OFFSETS[1:], strict=False)]
        for gap, delay in zip(gaps, documented, strict=True):
            assert 0.8 * delay - 1e-6 <= gap <= 1.2 * delay + 1e-6
        runs.append(times)
    assert runs[0] == runs[1] and runs[0] != runs[2]
    assert runs[0] != SVIX_OFFSETS  # it does move them


def _svix_days(respond: Callable[[int, ReceivedRequest], Behaviour], days: int) -> Rig:
    rig = Rig("svix", respond, settings=load_profile("svix").default_settings(jitter=0.0))
    for _ in range(days * 2):
        rig.publish()
        rig.platform.advance(12 * HOUR)
    rig.platform.advance(2 * 24 * HOUR)
    return rig


def test_svix_disables_after_five_days_of_exhausted_messages() -> None:
    rig = _svix_days(failing(), 8)
    assert rig.status() == "disabled"
    subscription = rig.platform.subscription(rig.env, rig.sub.id)
    assert subscription.disabled_reason == "auto"
    assert subscription.disabled_at is not None
    assert subscription.disabled_at - rig.start == pytest.approx(132 * HOUR + 99305)


def test_a_success_clears_svixs_failing_streak() -> None:
    # Every 10th request succeeds: the streak keeps starting over, never 5 days long.
    rig = _svix_days(lambda n, r: Behaviour(200 if n % 10 == 0 else 500), 10)
    assert rig.status() == "active"
    undelivered = [
        d for d in rig.platform.deliveries(rig.env) if d.state is DeliveryState.UNDELIVERED
    ]
    assert undelivered  # messages were lost, but the endpoint was never failing for 5 days


def test_svix_forgives_a_failure_older_than_ten_days() -> None:
    rig = Rig("svix", failing(), settings=load_profile("svix").default_settings(jitter=0.0))
    rig.publish()
    rig.platform.advance(2 * 24 * HOUR)  # one message exhausted: the streak starts
    first = rig.platform.subscription(rig.env, rig.sub.id).failing_since
    assert first is not None
    rig.platform.advance(11 * 24 * HOUR)
    rig.publish()  # exhausts more than 240 h after the first: forgiven, a new streak
    rig.platform.advance(2 * 24 * HOUR)
    assert rig.status() == "active"
    later = rig.platform.subscription(rig.env, rig.sub.id).failing_since
    assert later is not None and later > first


def test_re_enabling_starts_svixs_clock_again() -> None:
    rig = _svix_days(failing(), 8)
    assert rig.status() == "disabled"
    rig.platform.enable_subscription(rig.env, rig.sub.id)
    assert rig.platform.subscription(rig.env, rig.sub.id).failing_since is None
    rig.publish()
    rig.platform.advance(2 * 24 * HOUR)
    assert rig.status() == "active"


def test_a_410_disables_at_once_even_when_the_subscription_opted_out_of_auto_disable() -> None:
    rig = Rig("standard-webhooks", failing(410))
    rig.platform.update_subscription(rig.env, rig.sub.id, {"disableAfterFailures": False})
    event = rig.publish()
    assert rig.status() == "disabled"
    assert rig.times(event) == [0]
    assert rig.platform.delivery(event, rig.sub.id).reason == "subscription-disabled"


def test_retry_after_postpones_a_listed_delay() -> None:
    answer = Behaviour(503, headers=(("Retry-After", "120"),))
    rig = Rig("standard-webhooks", lambda n, r: answer if n == 1 else Behaviour(200))
    event = rig.publish()
    rig.platform.advance(HOUR)
    assert rig.times(event) == [0, 120]  # not 5 s


def test_github_makes_one_attempt() -> None:
    rig = Rig("github", failing(502))
    event = rig.publish()
    rig.platform.advance(7 * 24 * HOUR)
    assert rig.times(event) == [0]
    assert rig.platform.delivery(event, rig.sub.id).reason == "retries-exhausted"


def test_a_durable_store_keeps_the_failing_streak(tmp_path: Path) -> None:
    path = tmp_path / "hooksim.db"
    clock = VirtualClock()
    settings = load_profile("svix").default_settings(jitter=0.0)
    rig = Rig("svix", failing(), settings=settings, store=SqliteStore(path), clock=clock)
    rig.publish()
    rig.platform.advance(2 * 24 * HOUR)
    since = rig.platform.subscription(rig.env, rig.sub.id).failing_since
    assert since is not None
    rig.platform.store.close()
    again = Rig("svix", failing(), settings=settings, store=SqliteStore(path), clock=clock)
    assert again.platform.subscription(again.env, again.sub.id).failing_since == since
    again.platform.store.close()
