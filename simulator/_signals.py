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
