"""Batching: one request carries several events (`isBatched: true`, `data` a list).

A subscription with `batch: {maxEvents, maxWaitSeconds}` collects its events: the batch is
sent when `maxEvents` are waiting, or `maxWaitSeconds` (platform time) after the first of them
arrived. The `Batcher` only collects: it opens a batch for a subscription, adds its events,
and decides when its first attempt is due. From then on the batch is a delivery unit like any
other (`_units.py`): the executor attempts it, the delivery rules retry it (on the engine's
schedule and window, from the batch's first attempt) and count it towards auto-disable as one
attempt, and every event in it ends delivered or undelivered together. The delivery log has
one row per attempt; its `event_ids` lists the batch's events (`event_id` is the first).

Each event keeps its own `Delivery` record (NOTHING-LOST is checked per event, as always);
the batch only decides when they are sent and how they end.

A durable store keeps each batch (`save_batch`, `add_batch_member`, `batch_sent`,
`end_batch`): after a restart a batch goes on with its events, its first attempt, its attempts
so far and its next scheduled time (`_recovery.py`).
"""

from __future__ import annotations

from ._executor import Executor
from ._models import Batch, Delivery, Subscription
from ._units import Unit

__all__ = ["Batcher"]


class Batcher:
    """The platform's open batches. Runs under the platform's lock, like the executor."""

    def __init__(self, executor: Executor) -> None:
        self._executor = executor
        self._open: dict[str, Batch] = {}  # subscription id -> the batch still collecting
        self._numbers = 0

    def add(self, subscription: Subscription, delivery: Delivery, now: float) -> None:
        """An event for a batched subscription: it joins the batch that is collecting."""
        policy = subscription.batch
        assert policy is not None
        executor = self._executor
        batch = self._open.get(subscription.id)
        due: float | None = None
        if batch is None:
            self._numbers += 1
            batch = Batch(self._numbers, delivery.environment_id, subscription.id, policy)
            self._open[subscription.id] = batch
            due = now + policy.max_wait
        batch.members.append(delivery)
        executor.store.add_batch_member(batch, delivery)
        if len(batch.members) >= policy.max_events:
            # Full: sent now; the next event starts another batch.
            del self._open[subscription.id]
            batch.collecting = False
            due = now
        if due is not None:
            # The first attempt is scheduled then (a restart keeps that time).
            batch.next_attempt_at = due
            executor.queue(batch, due, self.first_attempt)
        delivery.next_attempt_at = batch.next_attempt_at

    def first_attempt(self, unit: Unit) -> None:
        """The batch is due: it stops collecting, and its first attempt is made."""
        assert isinstance(unit, Batch)
        if self._open.get(unit.subscription_id) is unit:
            del self._open[unit.subscription_id]
        unit.collecting = False
        # From its scheduled time (the instant itself under the virtual clock), like a plain
        # delivery's first attempt: a batch due while the platform was stopped keeps it.
        scheduled = unit.next_attempt_at
        if scheduled is None:
            scheduled = self._executor.loop.clock.now()
        unit.first_attempt_at = unit.next_attempt_at = scheduled
        for member in unit.members:
            member.first_attempt_at = scheduled
        self._executor.attempt(unit)

    def reopen(self, batch: Batch) -> None:
        """A batch kept by a durable store that was still collecting collects again."""
        self._open[batch.subscription_id] = batch

    def numbered_after(self, number: int) -> None:
        """New batches are numbered after `number` (every batch the store ever kept)."""
        self._numbers = max(self._numbers, number)
