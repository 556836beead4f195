"""Batching: one request carries several events (`isBatched: true`, `data` a list).

A subscription with `batch: {maxEvents, maxWaitSeconds}` collects its events: the batch is
sent when `maxEvents` are waiting, or `maxWaitSeconds` (platform time) after the first of them
arrived. From then on the batch is one delivery unit: attempted, retried (the engine's retry
schedule and window, from the batch's first attempt) and counted towards auto-disable as one
attempt, and every event in it ends delivered or undelivered together. The delivery log has
one row per attempt; its `event_ids` lists the batch's events (`event_id` is the first).

Each event keeps its own `Delivery` record (NOTHING-LOST is checked per event, as always);
the batch only decides when they are sent and how they end. The engine creates a `Batcher`
the first time a batched subscription gets an event, so plain subscriptions pay nothing.

A durable store keeps each batch (`save_batch`, `add_batch_member`, `batch_sent`,
`end_batch`): after a restart a batch goes on with its events, its first attempt, its attempts
so far and its next scheduled time (`Batcher.restore`); one in flight at a crash is logged as
one interrupted row listing its events, and sent again.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from ._errors import NotFound
from ._exchange import OutgoingRequest, TransportResult
from ._models import AttemptRecord, Batch, Delivery, DeliveryState, Subscription
from ._rules import Answer
from ._scheduler import Timer
from ._settings import Settings
from ._signals import AttemptFinished
from ._storage import QueuedBatch
from ._writer import transmit

if TYPE_CHECKING:
    from ._platform import Platform

__all__ = ["Batcher"]


class Batcher:
    """The platform's batches. Runs under the platform's lock, like the engine."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform
        self._open: dict[str, Batch] = {}  # subscription id -> the batch still collecting
        self._numbers = 0
        self._timers: dict[int, Timer] = {}  # batch number -> its next step

    def add(self, subscription: Subscription, delivery: Delivery, now: float) -> None:
        """An event for a batched subscription: it joins the batch that is collecting."""
        policy = subscription.batch
        assert policy is not None
        platform = self._platform
        scheduler = platform.scheduler
        batch = self._open.get(subscription.id)
        changed = batch is None
        if batch is None:
            self._numbers += 1
            batch = Batch(self._numbers, delivery.environment_id, subscription.id, policy)
            self._open[subscription.id] = batch
            self._timers[batch.number] = scheduler.call_at(
                now + policy.max_wait, self._first_attempt, batch
            )
        batch.members.append(delivery)
        platform.store.add_batch_member(batch, delivery)
        if len(batch.members) >= batch.policy.max_events:
            # Full: sent now; the next event starts another batch.
            del self._open[subscription.id]
            batch.collecting = False
            scheduler.cancel(self._timers[batch.number])
            self._timers[batch.number] = scheduler.call_at(now, self._first_attempt, batch)
            changed = True
        timer = self._timers[batch.number]
        delivery.next_attempt_at = timer.when
        if changed:
            # The first attempt is scheduled then (a restart keeps that time).
            batch.next_attempt_at = timer.when
            platform.store.save_batch(batch, timer.when, timer.seq)

    def _first_attempt(self, batch: Batch) -> None:
        if self._open.get(batch.subscription_id) is batch:
            del self._open[batch.subscription_id]
        batch.collecting = False
        now = self._platform.clock.now()
        # From its scheduled time (the instant itself under the virtual clock), like a plain
        # delivery's first attempt: a batch due while the platform was stopped keeps it.
        scheduled = batch.next_attempt_at if batch.next_attempt_at is not None else now
        batch.first_attempt_at = batch.next_attempt_at = scheduled
        for member in batch.members:
            member.first_attempt_at = scheduled
        self._attempt(batch)

    def restore(self, saved: QueuedBatch, now: float) -> None:
        """Pick up a batch a durable store kept: it is queued again at its scheduled time (at
        once if overdue) with its events, first attempt and attempts so far. One that was in
        flight is logged as interrupted (one row listing its events) and sent again, unless
        its subscription was disabled or deleted meanwhile."""
        platform = self._platform
        self._numbers = max(self._numbers, saved.number)
        batch = Batch(
            saved.number,
            saved.environment_id,
            saved.subscription_id,
            saved.policy,
            list(saved.members),
            first_attempt_at=saved.first_attempt_at,
            next_attempt_at=saved.next_attempt_at,
            attempts=saved.attempts,
            collecting=saved.collecting,
        )
        subscription: Subscription | None
        try:
            subscription = platform.store.subscription(batch.environment_id, batch.subscription_id)
        except NotFound:
            subscription = None
        due = saved.due_at
        if saved.sent is not None:
            pending = batch.pending()
            if pending:
                event_ids = tuple(m.event_id for m in pending)
                platform._log_interrupted(pending[0], subscription, saved.sent, now, event_ids)
            batch.attempts = saved.sent.attempt - 1
            batch.next_attempt_at = due = saved.sent.scheduled_at
            batch.collecting = False
            if subscription is None or not subscription.active:
                reason = "subscription-deleted" if subscription is None else "subscription-disabled"
                self._end(batch, DeliveryState.UNDELIVERED, reason)
                return
        for member in batch.pending():
            member.attempts = batch.attempts
            member.next_attempt_at = batch.next_attempt_at
            if batch.first_attempt_at is not None:
                member.first_attempt_at = batch.first_attempt_at
        when = max(due, now)
        if batch.first_attempt_at is None:
            if batch.collecting:
                self._open[batch.subscription_id] = batch
            timer = platform.scheduler.call_at(when, self._first_attempt, batch)
        else:
            timer = platform.scheduler.call_at(when, self._attempt, batch)
        self._timers[batch.number] = timer
        platform.store.save_batch(batch, timer.when, timer.seq)

    def restored_numbers(self, numbers: int) -> None:
        """New batches are numbered after every batch the store ever kept."""
        self._numbers = max(self._numbers, numbers)

    def _attempt(self, batch: Batch) -> None:
        platform = self._platform
        self._timers.pop(batch.number, None)
        members = batch.pending()
        if not members:
            # Every event already ended (the subscription was disabled meanwhile).
            platform.store.end_batch(batch)
            return
        try:
            subscription = platform.store.subscription(batch.environment_id, batch.subscription_id)
        except NotFound:
            self._end(batch, DeliveryState.UNDELIVERED, "subscription-deleted")
            return
        if not subscription.active:
            self._end(batch, DeliveryState.UNDELIVERED, "subscription-disabled")
            return
        settings = platform.store.environment(batch.environment_id).settings
        now = platform.clock.now()
        scheduled_at = batch.next_attempt_at if batch.next_attempt_at is not None else now
        batch.attempts += 1
        for member in members:
            member.attempts = batch.attempts
        events = [platform.store.event(batch.environment_id, m.event_id) for m in members]
        request_id = platform.ids.uuid()
        request = platform._writer.write(
            request_id,
            events,
            subscription,
            settings,
            platform.delivery_credential(subscription),
            True,
        )
        answered = partial(
            self._answered, batch, members, settings, scheduled_at, now, request, request_id
        )
        # Until its answer, the batch's events are in flight: disabling leaves them to it.
        for member in members:
            platform._in_flight[member.key] = batch.attempts
        # A durable store records the batch as leaving before it leaves (see Platform._attempt).
        leaving = partial(platform.store.batch_sent, batch, scheduled_at, now, request_id)
        if platform._dispatching:
            platform._dispatch(request, answered, leaving if platform.store.durable else None)
            return
        if platform.store.durable:
            leaving()
            if not platform.transport.simulated:
                platform.store.flush()
        answered(transmit(platform.transport, request))

    def _answered(
        self,
        batch: Batch,
        members: list[Delivery],
        settings: Settings,
        scheduled_at: float,
        started: float,
        request: OutgoingRequest,
        request_id: str,
        result: TransportResult,
    ) -> None:
        from ._wire import answer_record

        platform = self._platform
        answer = platform._rules.judge(result, settings, scheduled_at)
        record = answer_record(
            batch.environment_id,
            members[0].event_id,
            batch.subscription_id,
            batch.attempts,
            "delivery",
            scheduled_at=scheduled_at,
            started=started,
            request=request,
            request_id=request_id,
            answer=answer,
            settings=settings,
            keep_body=platform.keep_bodies,
            event_ids=tuple(m.event_id for m in members),
        )
        duration = record.duration
        if platform.transport.simulated and duration > 0:
            platform.scheduler.call_at(
                started + duration, self._finish, batch, members, record, answer
            )
        else:
            self._finish(batch, members, record, answer)

    def _finish(
        self,
        batch: Batch,
        members: list[Delivery],
        record: AttemptRecord,
        answer: Answer,
    ) -> None:
        """The engine's rules for an answered attempt, for the batch as one unit."""
        platform = self._platform
        cancelled = False
        for member in members:
            platform._in_flight.pop(member.key, None)
            if member.key in platform._cancelled:
                # disabled while the batch was in flight: it was the last attempt
                platform._cancelled.discard(member.key)
                cancelled = True
        platform.store.log_attempt(record)
        platform._emit(AttemptFinished(record))
        subscription: Subscription | None
        try:
            subscription = platform.store.subscription(batch.environment_id, batch.subscription_id)
        except NotFound:
            subscription = None
        settings = platform.store.environment(batch.environment_id).settings
        verdict = platform._rules.after_attempt(
            batch,
            subscription,
            settings,
            answer,
            platform.clock.now(),
            platform.ids.rng,
            cancelled=cancelled,
        )
        platform._apply(subscription, verdict)
        if verdict.end is not None:
            self._end(batch, verdict.end, verdict.reason)
            if verdict.disable and subscription is not None:
                platform._disable(subscription, "auto")
            return
        if verdict.retry_at is None or verdict.due is None:
            platform.store.end_batch(batch)
            return
        when = verdict.retry_at
        batch.next_attempt_at = when
        for member in batch.pending():
            member.next_attempt_at = when
        timer = self._timers[batch.number] = platform.scheduler.call_at(
            verdict.due, self._attempt, batch
        )
        platform.store.save_batch(batch, timer.when, timer.seq)

    def _end(self, batch: Batch, state: DeliveryState, reason: str | None) -> None:
        platform = self._platform
        timer = self._timers.pop(batch.number, None)
        if timer is not None:
            platform.scheduler.cancel(timer)
        for member in batch.pending():
            platform._end(member, state, reason)
        platform.store.end_batch(batch)
