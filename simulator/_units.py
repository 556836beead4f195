"""Delivery units: what one attempt carries.

A single delivery (one event to one subscription, a `Delivery`) and a batch (several events
of a batched subscription sent as one request, a `Batch`) are two kinds of the same unit. The
executor attempts, judges, retries and ends either through one pipeline; the unit's attempts,
first attempt and next attempt are fields of both records, and what differs (which
deliveries it carries, how the store keeps it) is asked of its kind. Batching
(`_batching.py`) only collects events into batches.

Each executor has its own kinds, bound to its store: the store's own methods are the kinds'
save points, so a single delivery pays no extra call for being a unit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._models import Batch, Delivery, DeliveryState
from ._storage import Store

__all__ = ["BatchKind", "SingleKind", "Unit", "UnitKind", "unit_kinds"]

Unit = Delivery | Batch


class UnitKind:
    """What differs between the kinds of unit."""

    __slots__ = ("closed", "leaving", "save")

    #: A batch: its deliveries follow its attempts and schedule, and its request carries a
    #: list of events (`isBatched: true`).
    many = False

    def __init__(
        self,
        save: Callable[[Any, float, int], None],
        leaving: Callable[[Any, float, float, str], None],
        closed: Callable[[Any], None] | None,
    ) -> None:
        #: `save(unit, due_at, order)`: its next step is queued (kept for a restart).
        self.save = save
        #: `leaving(unit, scheduled_at, started_at, request_id)`: an attempt is leaving.
        self.leaving = leaving
        #: `closed(unit)`: nothing more is sent for it (None: nothing to record).
        self.closed = closed

    def members(self, unit: Unit) -> list[Delivery]:
        """The pending deliveries the unit carries (none: every one has ended)."""
        raise NotImplementedError

    def attempted(self, unit: Unit, members: list[Delivery]) -> None:
        """An attempt started (`unit.attempts` counts it)."""

    def rescheduled(self, unit: Unit, when: float) -> None:
        """Its next attempt is scheduled to start at `when`."""
        unit.next_attempt_at = when


class SingleKind(UnitKind):
    """One event to one subscription: the unit is its `Delivery`."""

    __slots__ = ()

    def __init__(self, store: Store) -> None:
        super().__init__(store.save_delivery, store.attempt_sent, None)

    def members(self, unit: Unit) -> list[Delivery]:
        return [unit] if unit.state is DeliveryState.PENDING else []  # type: ignore[union-attr, list-item]


class BatchKind(UnitKind):
    """Several events sent as one request: the unit is the `Batch`, its members the events'
    deliveries, which count its attempts, follow its schedule and end together."""

    __slots__ = ()
    many = True

    def __init__(self, store: Store) -> None:
        super().__init__(store.save_batch, store.batch_sent, store.end_batch)

    def members(self, unit: Unit) -> list[Delivery]:
        assert isinstance(unit, Batch)
        return unit.pending()

    def attempted(self, unit: Unit, members: list[Delivery]) -> None:
        for member in members:
            member.attempts = unit.attempts

    def rescheduled(self, unit: Unit, when: float) -> None:
        assert isinstance(unit, Batch)
        unit.next_attempt_at = when
        for member in unit.pending():
            member.next_attempt_at = when


def unit_kinds(store: Store) -> dict[type, UnitKind]:
    """Each kind of unit, by its record's type, bound to `store`."""
    return {Delivery: SingleKind(store), Batch: BatchKind(store)}
