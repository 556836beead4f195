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

from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from ._errors import NotFound
from ._mapping import MappingLimits
from ._models import AttemptRecord, BatchPolicy, Delivery, DeliveryState, Outcome, Subscription
from ._outgoing import build_request
from ._scheduler import Timer
from ._settings import Settings
from ._signals import AttemptFinished
from ._storage import QueuedBatch
from ._transport import OutgoingRequest, TransportResult
from ._wire import send_safely

if TYPE_CHECKING:
    from ._platform import Platform

__all__ = ["Batch", "Batcher"]


@dataclass(slots=True, eq=False)
class Batch:
    number: int
    environment_id: str
    subscription_id: str
    policy: BatchPolicy
    members: list[Delivery] = field(default_factory=list)
    first_attempt_at: float | None = None
    next_attempt_at: float | None = None
    attempts: int = 0
    timer: Timer | None = None
    #: Still the subscription's open batch (events may join it).
    collecting: bool = True

    @property
    def key(self) -> tuple[str, str]:
        return (f"batch:{self.number}", self.subscription_id)

    def pending(self) -> list[Delivery]:
        return [m for m in self.members if m.state is DeliveryState.PENDING]


class Batcher:
    """The platform's batches. Runs under the platform's lock, like the engine."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform
        self._open: dict[str, Batch] = {}  # subscription id -> the batch still collecting
        self._numbers = 0

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
            batch.timer = scheduler.call_at(now + policy.max_wait, self._first_attempt, batch)
        batch.members.append(delivery)
        platform.store.add_batch_member(batch, delivery)
        if len(batch.members) >= batch.policy.max_events:
            # Full: sent now; the next event starts another batch.
            del self._open[subscription.id]
            batch.collecting = False
            assert batch.timer is not None
            scheduler.cancel(batch.timer)
            batch.timer = scheduler.call_at(now, self._first_attempt, batch)
            changed = True
        timer = batch.timer
        assert timer is not None
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
            batch.timer = platform.scheduler.call_at(when, self._first_attempt, batch)
        else:
            batch.timer = platform.scheduler.call_at(when, self._attempt, batch)
        platform.store.save_batch(batch, batch.timer.when, batch.timer.seq)

    def restored_numbers(self, numbers: int) -> None:
        """New batches are numbered after every batch the store ever kept."""
        self._numbers = max(self._numbers, numbers)

    def _attempt(self, batch: Batch) -> None:
        platform = self._platform
        batch.timer = None
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
        request_id = platform.ids.uuid()
        try:
            events = [platform.store.event(batch.environment_id, m.event_id) for m in members]
            request = build_request(
                request_id=request_id,
                events=events,
                subscription=subscription,
                credential=platform.delivery_credential(subscription),
                signature_header=settings.signature_header,
                timeout=settings.timeout,
                clock=platform.clock,
                user_agent=_user_agent(),
                batched=True,
                mapping_limits=MappingLimits.of(settings),
            )
        except Exception as exc:
            # Never in limbo: the batch (one request, one unit) ends; the run goes on.
            event_ids = tuple(m.event_id for m in members)
            platform._log_unprepared(members[0], subscription, scheduled_at, exc, event_ids)
            self._end(batch, DeliveryState.UNDELIVERED, "internal-error")
            return
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
        answered(send_safely(platform.transport, request))

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
        from ._wire import retry_after_delay as _retry_after

        platform = self._platform
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
            result=result,
            settings=settings,
            keep_body=platform.keep_bodies,
            event_ids=tuple(m.event_id for m in members),
        )
        duration = record.duration
        # A Retry-After that came after the timeout is not honoured: the attempt was given up.
        timed_out = record.outcome is Outcome.TIMEOUT
        retry_after = None if timed_out else _retry_after(result, settings, scheduled_at)
        if platform.transport.simulated and duration > 0:
            platform.scheduler.call_at(
                started + duration, self._finish, batch, members, record, retry_after
            )
        else:
            self._finish(batch, members, record, retry_after)

    def _finish(
        self,
        batch: Batch,
        members: list[Delivery],
        record: AttemptRecord,
        retry_after: float | None,
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
        try:
            subscription = platform.store.subscription(batch.environment_id, batch.subscription_id)
        except NotFound:
            if record.succeeded:
                self._end(batch, DeliveryState.DELIVERED, None)
            else:
                self._end(batch, DeliveryState.UNDELIVERED, "subscription-deleted")
            return
        settings = platform.store.environment(batch.environment_id).settings
        if record.succeeded:
            subscription.consecutive_failures = 0
            platform.store.save_subscription(subscription)
            self._end(batch, DeliveryState.DELIVERED, None)
            return
        subscription.consecutive_failures += 1
        platform.store.save_subscription(subscription)
        if not batch.pending():
            platform.store.end_batch(batch)
            return
        assert batch.first_attempt_at is not None
        verdict = platform._after_failure(
            subscription,
            settings,
            attempts=batch.attempts,
            first_attempt_at=batch.first_attempt_at,
            scheduled_at=record.scheduled_at,
            retry_after=retry_after,
            cancelled=cancelled,
        )
        if verdict.when is None:
            self._end(batch, DeliveryState.UNDELIVERED, verdict.reason)
            if verdict.disable:
                platform._disable(subscription, "auto")
            return
        when = verdict.when
        batch.next_attempt_at = when
        for member in batch.pending():
            member.next_attempt_at = when
        timer = batch.timer = platform.scheduler.call_at(
            max(when, platform.clock.now()), self._attempt, batch
        )
        platform.store.save_batch(batch, timer.when, timer.seq)

    def _end(self, batch: Batch, state: DeliveryState, reason: str | None) -> None:
        platform = self._platform
        if batch.timer is not None:
            platform.scheduler.cancel(batch.timer)
            batch.timer = None
        for member in batch.pending():
            platform._end(member, state, reason)
        platform.store.end_batch(batch)


def _user_agent() -> str:
    from ._platform import USER_AGENT

    return USER_AGENT
