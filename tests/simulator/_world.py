"""Helpers for engine tests: one platform on a virtual clock, one environment, and
scriptable in-process receivers mounted at URLs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hooksim.simulator import (
    Behaviour,
    Event,
    Platform,
    ReceivedRequest,
    RecordingReceiver,
    Settings,
    Subscription,
)

ENV = "dev"
RECEIVER_URL = "http://receiver.test/hook"
DEAD_URL = "http://dead.test/hook"  # nothing is mounted there: every attempt is refused

#: The schedule the contract promises (RETRY-SCHEDULE), seconds after the first attempt.
DEFAULT_OFFSETS = [0, 10, 30, 70, 150, 310, 630, 1270, 2550, 5110, 10230]
FOUR_HOURS = 4 * 3600

Respond = Callable[[int, ReceivedRequest], Behaviour]


@dataclass
class World:
    platform: Platform
    env: str = ENV
    receivers: dict[str, RecordingReceiver] = field(default_factory=dict)

    @property
    def start(self) -> float:
        return self.platform.clock.start  # type: ignore[attr-defined, no-any-return]

    @property
    def now(self) -> float:
        return self.platform.clock.now()

    def receiver(
        self, url: str = RECEIVER_URL, *, status: int = 200, respond: Respond | None = None
    ) -> RecordingReceiver:
        """Mount a recording receiver at `url` (its clock is the platform's)."""
        receiver = RecordingReceiver(status=status, respond=respond, now=self.platform.clock.now)
        self.platform.transport.mount(url, receiver)  # type: ignore[attr-defined]
        self.receivers[url] = receiver
        return receiver

    def subscribe(
        self, url: str = RECEIVER_URL, types: list[str] | None = None, **fields: Any
    ) -> Subscription:
        body = {"types": types or ["card-completed"], "url": url, **fields}
        subscription = self.platform.subscribe(self.env, body)
        if url in self.receivers:
            self.receivers[url].secret = subscription.secret
        return subscription

    def publish(self, event_type: str = "card-completed", count: int = 1, **overrides: Any):
        return self.platform.publish(self.env, event_type, count=count, overrides=overrides)

    def publish_one(self, event_type: str = "card-completed", **overrides: Any) -> Event:
        return self.publish(event_type, 1, **overrides)[0]

    def offsets(self, subscription: Subscription, event: Event | None = None) -> list[float]:
        """Start times of the real attempts, in seconds after the clock's start."""
        return [
            record.started_at - self.start
            for record in self.platform.attempts(
                self.env,
                subscription_id=subscription.id,
                event_id=None if event is None else event.id,
            )
        ]

    def advance(self, seconds: float) -> None:
        self.platform.advance(seconds)


def make_world(settings: Settings | None = None, seed: int = 0) -> World:
    platform = Platform(seed=seed, settings=settings)
    platform.create_environment(ENV)
    return World(platform)


def failing(count: int, status: int = 500) -> Respond:
    """A receiver behaviour: the first `count` requests answer `status`, the rest 200."""

    def respond(number: int, request: ReceivedRequest) -> Behaviour:
        return Behaviour(status if number <= count else 200)

    return respond
