"""What the platform tells its listeners: the scenario runner, reports, the plugin, logs.

The engine only emits these; every consumer is a separate, optional listener.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Union

from ._models import AttemptRecord, Delivery, Event, Subscription

__all__ = [
    "AttemptFinished",
    "ClockAdvanced",
    "DeliveryEnded",
    "Emitter",
    "EventPublished",
    "Listener",
    "Signal",
    "SubscriptionChanged",
]


@dataclass(frozen=True, slots=True)
class EventPublished:
    event: Event


@dataclass(frozen=True, slots=True)
class AttemptFinished:
    record: AttemptRecord


@dataclass(frozen=True, slots=True)
class DeliveryEnded:
    """A delivery reached its final state: delivered, or undelivered with a reason."""

    delivery: Delivery
    time: float


@dataclass(frozen=True, slots=True)
class SubscriptionChanged:
    subscription: Subscription
    change: str  # created, updated, disabled, enabled, deleted
    time: float
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ClockAdvanced:
    start: float
    end: float


Signal = Union[EventPublished, AttemptFinished, DeliveryEnded, SubscriptionChanged, ClockAdvanced]  # noqa: UP007
Listener = Callable[[Signal], None]


class Emitter:
    """Hands signals to the listeners, in the order they were added.

    `listeners` is read on the hot path: a signal nobody listens to is not even built. The
    platform's own `on_subscription_change` (its routing cache) hears every change to a
    subscription before the listeners do, whoever made it (the API or an auto-disable).
    """

    __slots__ = ("listeners", "on_subscription_change")

    def __init__(self, on_subscription_change: Callable[[], None] | None = None) -> None:
        self.listeners: list[Listener] = []
        self.on_subscription_change = on_subscription_change

    def emit(self, signal: Signal) -> None:
        if self.on_subscription_change is not None and isinstance(signal, SubscriptionChanged):
            self.on_subscription_change()
        for listener in self.listeners:
            listener(signal)
