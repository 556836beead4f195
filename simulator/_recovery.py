"""Recovery after a restart: carry on where a durable store left off.

`recover` puts back the virtual clock's time and the seeded random source, and queues every
pending delivery and batch again in the order they were queued (an overdue one is due at
once). An attempt that was in flight when the platform stopped is logged as interrupted (one
row, listing a batch's events) and sent again: the receiver may get it twice (AT-LEAST-ONCE),
and the log shows both (DURABLE-CRASH-RECOVERY). A unit whose subscription was disabled or
deleted meanwhile ends undelivered instead.
"""

from __future__ import annotations

from ._batching import Batcher
from ._errors import NotFound
from ._executor import Executor
from ._ids import IdSource
from ._models import AttemptRecord, Batch, Delivery, DeliveryState, Outcome, Subscription
from ._signals import AttemptFinished
from ._storage import Queued, QueuedBatch, Resume, SentAttempt

__all__ = ["INTERRUPTED", "recover"]

#: The log's note on an attempt whose answer a restart lost (it is sent again).
INTERRUPTED = (
    "interrupted: the platform stopped before this attempt was answered; it was sent again "
    "after the restart"
)


def recover(resume: Resume, executor: Executor, batcher: Batcher, ids: IdSource) -> None:
    """Pick up what `resume` (a durable store's) says was pending."""
    loop = executor.loop
    if resume.now is not None:
        loop.resume_at(resume.now)
    if resume.random_state is not None and ids.seed is not None:
        ids.rng.setstate(resume.random_state)
    if resume.batch_numbers:
        batcher.numbered_after(resume.batch_numbers)
    queued: list[tuple[float, int, Queued | QueuedBatch]] = [
        (q.due_at, q.order, q) for q in resume.queue
    ]
    if resume.batches:
        queued += [(b.due_at, b.order, b) for b in resume.batches]
        queued.sort(key=lambda item: (item[0], item[1]))
    with executor.store.transaction(sync=False):
        now = loop.clock.now()
        for _, _, item in queued:
            if isinstance(item, QueuedBatch):
                _recover_batch(item, now, executor, batcher)
            else:
                _recover_delivery(item, now, executor, batcher)


def _subscription(executor: Executor, environment_id: str, sub_id: str) -> Subscription | None:
    try:
        return executor.store.subscription(environment_id, sub_id)
    except NotFound:
        return None


def _recover_delivery(queued: Queued, now: float, executor: Executor, batcher: Batcher) -> None:
    delivery, due = queued.delivery, queued.due_at
    subscription = _subscription(executor, delivery.environment_id, delivery.subscription_id)
    if queued.sent is not None:
        _log_interrupted(executor, delivery, subscription, queued.sent, now)
        delivery.attempts = queued.sent.attempt - 1
        delivery.next_attempt_at = due = queued.sent.scheduled_at
    reason = executor.rules.why_not_attempted(subscription)
    if reason is not None or subscription is None:
        executor.end(delivery, DeliveryState.UNDELIVERED, reason)
    elif subscription.batch is not None:
        # A batch's member in a file written before batches were kept: it joins a new
        # batch (its retry window starts again with that batch's first attempt).
        batcher.add(subscription, delivery, now)
    else:
        executor.queue(delivery, due)


def _recover_batch(saved: QueuedBatch, now: float, executor: Executor, batcher: Batcher) -> None:
    batcher.numbered_after(saved.number)
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
    subscription = _subscription(executor, batch.environment_id, batch.subscription_id)
    due = saved.due_at
    if saved.sent is not None:
        pending = batch.pending()
        if pending:
            event_ids = tuple(m.event_id for m in pending)
            _log_interrupted(executor, pending[0], subscription, saved.sent, now, event_ids)
        batch.attempts = saved.sent.attempt - 1
        batch.next_attempt_at = due = saved.sent.scheduled_at
        batch.collecting = False
        reason = executor.rules.why_not_attempted(subscription)
        if reason is not None:
            executor.end(batch, DeliveryState.UNDELIVERED, reason)
            return
    for member in batch.pending():
        member.attempts = batch.attempts
        member.next_attempt_at = batch.next_attempt_at
        if batch.first_attempt_at is not None:
            member.first_attempt_at = batch.first_attempt_at
    if batch.first_attempt_at is None:
        if batch.collecting:
            batcher.reopen(batch)
        executor.queue(batch, due, batcher.first_attempt)
    else:
        executor.queue(batch, due)


def _log_interrupted(
    executor: Executor,
    delivery: Delivery,
    subscription: Subscription | None,
    sent: SentAttempt,
    now: float,
    event_ids: tuple[str, ...] = (),
) -> None:
    """The log's row for an attempt whose answer a restart lost (a batch's lists its events
    in `event_ids`, like its other rows)."""
    finished = max(now, sent.started_at)
    record = AttemptRecord(
        environment_id=delivery.environment_id,
        event_id=delivery.event_id,
        subscription_id=delivery.subscription_id,
        attempt=sent.attempt,
        kind="duplicate",  # changes no delivery state: the re-sent attempt decides
        scheduled_at=sent.scheduled_at,
        started_at=sent.started_at,
        finished_at=finished,
        outcome=Outcome.ERROR,
        status_code=None,
        duration=finished - sent.started_at,
        request_id=sent.request_id,
        method=subscription.method if subscription is not None else "",
        url=subscription.url if subscription is not None else "",
        headers={},
        error=INTERRUPTED,
        event_ids=event_ids,
    )
    executor.store.log_attempt(record)
    executor.emitter.emit(AttemptFinished(record))
