"""The executor: one pipeline for every attempt of every delivery unit.

A unit (a single delivery or a batch, `_units.py`) goes through the same steps whatever its
kind: `attempt` checks it may be sent, writes and signs its request (`_writer.py`), records
that it is leaving (a durable store), sends it in this thread or hands it to the driver's
dispatcher (real sends under the wall clock), then `answered` judges the answer and logs it,
and `_finish` asks the delivery rules (`_rules.py`) for a verdict and applies it: the
subscription's counter, the unit's end or its next attempt, an auto-disable, a duplicate.
Copies (test deliveries and duplicates) are written, sent and logged by the same steps, and
change no delivery state.

Nothing that goes wrong while preparing or sending one unit escapes this module: an exception
ends that attempt as failed (outcome `error`, its reason logged without the exception's text,
which might hold a secret), and the rules decide what follows: a request that could not be
written at all ends its unit (`after_unprepared`: `internal-error`), a send that raised is a
failure like any other (`after_attempt`: retried). The other deliveries and the caller's own
request never see it.

Runs under the platform's lock, like everything that changes the platform's state; a
dispatched send runs outside it and takes it again to record its answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from urllib.parse import urlsplit

from ._credentials import redact
from ._errors import NotFound
from ._exchange import OutgoingRequest, Transport, TransportResult
from ._ids import IdSource
from ._loop import Dispatcher, RunLoop
from ._models import (
    AttemptRecord,
    Delivery,
    DeliveryCredential,
    DeliveryState,
    Event,
    Outcome,
    Subscription,
)
from ._rules import SUBSCRIPTION_DISABLED, Answer, DeliveryRules, Verdict
from ._scheduler import Timer
from ._settings import Settings
from ._signals import AttemptFinished, DeliveryEnded, Emitter, SubscriptionChanged
from ._storage import Store
from ._units import Unit, UnitKind, unit_kinds
from ._writer import ExtendedRequest, RequestWriter, transmit

__all__ = ["Executor", "endpoint_of", "send_safely"]


def endpoint_of(url: str) -> str:
    """scheme://host:port of a URL: the unit a dispatcher limits concurrency by."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return url
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def send_safely(transport: Transport, request: OutgoingRequest) -> TransportResult:
    """A transport that raises still ends the attempt, as an error: nothing is lost."""
    try:
        return transmit(transport, request)
    except Exception as exc:
        return _raised(exc)


def _raised(exc: Exception) -> TransportResult:
    # Only the exception's type: its text might hold a URL's query or a header.
    return TransportResult(Outcome.ERROR, error=f"transport raised {type(exc).__name__}")


def _unprepared(exc: Exception) -> TransportResult:
    return TransportResult(
        Outcome.ERROR, error=f"the request could not be prepared ({type(exc).__name__})"
    )


class Executor:
    """Attempts delivery units, applies the rules' verdicts, and sends copies."""

    def __init__(
        self,
        *,
        store: Store,
        transport: Transport,
        loop: RunLoop,
        writer: RequestWriter,
        rules: DeliveryRules,
        ids: IdSource,
        emitter: Emitter,
        keep_bodies: bool = True,
    ) -> None:
        self.store = store
        self.transport = transport
        self.loop = loop
        self.writer = writer
        self.rules = rules  # sets the bound rules below
        self.ids = ids
        self.emitter = emitter
        self.keep_bodies = keep_bodies
        self._lock: threading.RLock = loop.lock
        self._clock = loop.clock
        self._kinds = unit_kinds(store)
        # The emitter's own list (listeners are added to it in place): read on the hot path.
        self._listeners = emitter.listeners
        self._rng = ids.rng  # the seeded source (a restart sets its state, not a new one)
        self._call_at = loop.scheduler.call_at
        #: The timer of each queued unit (key -> its next step).
        self._timers: dict[tuple[str, str], Timer] = {}
        #: Deliveries whose attempt is in flight: disabling leaves them to their answer.
        self._in_flight: dict[tuple[str, str], int] = {}
        # Deliveries whose attempt was in flight when their subscription was disabled: the
        # answer decides them, and a failure is not retried even if it was re-enabled since.
        self._cancelled: set[tuple[str, str]] = set()

    @property
    def rules(self) -> DeliveryRules:
        """The delivery rules this executor follows (a profile's seam)."""
        return self._rules

    @rules.setter
    def rules(self, rules: DeliveryRules) -> None:
        self._rules = rules
        # Bound once: asked on every attempt.
        self._why_not_attempted = rules.why_not_attempted
        self._judge = rules.judge
        self._after_attempt = rules.after_attempt
        self._after_unprepared = rules.after_unprepared

    # queueing -----------------------------------------------------------------------------
    def queue(self, unit: Unit, when: float, step: Callable[[Unit], None] | None = None) -> Timer:
        """Queue the unit's next step (its next attempt unless `step` says otherwise) at
        `when`, at once if that has passed; a durable store keeps it for a restart."""
        key = unit.key
        timers = self._timers
        previous = timers.get(key)
        if previous is not None:
            self.loop.cancel(previous)
        # At once if `when` has passed (the run loop's `call_at`, inline: once per attempt).
        timer = timers[key] = self._call_at(
            max(when, self._clock.now()), step or self.attempt, unit
        )
        self._kinds[type(unit)].save(unit, timer.when, timer.seq)
        return timer

    @property
    def dispatching(self) -> bool:
        """Whether real sends go to the driver's workers (off the lock) now."""
        return self.loop.dispatching is not None and not self.transport.simulated

    # an attempt ---------------------------------------------------------------------------
    def attempt(self, unit: Unit) -> None:
        """The unit's next attempt is due: write it, sign it, send it (or hand it over)."""
        store = self.store
        self._timers.pop(unit.key, None)
        kind = self._kinds[type(unit)]
        members = kind.members(unit)
        if not members:
            if kind.closed is not None:
                kind.closed(unit)  # every delivery already ended (a disable)
            return
        environment_id = unit.environment_id
        subscription: Subscription | None
        try:
            subscription = store.subscription(environment_id, unit.subscription_id)
        except NotFound:
            subscription = None
        reason = self._why_not_attempted(subscription)
        if reason is not None or subscription is None:
            self.end(unit, DeliveryState.UNDELIVERED, reason)
            return
        settings = store.environment(environment_id).settings
        scheduled_at = unit.next_attempt_at
        if scheduled_at is None:
            scheduled_at = self._clock.now()
        unit.attempts += 1
        if kind.many:
            kind.attempted(unit, members)
        request_id = self.ids.uuid()
        transport = self.transport
        started = self._clock.now()
        try:
            request = self.writer.write(
                request_id,
                [store.event(environment_id, m.event_id) for m in members]
                if kind.many
                else (store.event(environment_id, members[0].event_id),),
                subscription,
                settings,
                None if subscription.credential_id is None else self._credential(subscription),
                kind.many or subscription.batch is not None,
                started,
            )
        except Exception as exc:  # nothing is sent; the rules end the unit
            self._unprepared(
                unit, kind, members, subscription, settings, scheduled_at, started, request_id, exc
            )
            return
        dispatcher = None if transport.simulated else self.loop.dispatching
        if dispatcher is not None:
            # Sent by a worker outside the lock: a slow receiver delays neither the other
            # receivers nor the API. A durable store records it as leaving first.
            self._take_off(unit, members)
            answered = partial(
                self.answered,
                unit,
                kind,
                members,
                settings,
                scheduled_at,
                started,
                request,
                request_id,
                True,
            )
            leaving = (
                partial(kind.leaving, unit, scheduled_at, started, request_id)
                if store.durable
                else None
            )
            send = partial(send_safely, transport, request)
            self._dispatch(dispatcher, request.url, send, answered, leaving)
            return
        # A durable store records the attempt as leaving before it leaves: after a crash it
        # is logged as interrupted and sent again, never lost.
        if store.durable:
            kind.leaving(unit, scheduled_at, started, request_id)
        if not transport.simulated:
            store.flush()  # on disk before it leaves
        try:
            # `send_safely`, inline: once per attempt.
            if type(request) is ExtendedRequest:
                result = request.transmit(transport)
            else:
                result = transport.send(request)
        except Exception as exc:
            result = _raised(exc)
        self.answered(
            unit, kind, members, settings, scheduled_at, started, request, request_id, False, result
        )

    def _unprepared(
        self,
        unit: Unit,
        kind: UnitKind,
        members: list[Delivery],
        subscription: Subscription,
        settings: Settings,
        scheduled_at: float,
        started: float,
        request_id: str,
        exc: Exception,
    ) -> None:
        """The unit's request could not be written, so nothing was sent: the attempt is
        logged as failed with its reason, and the rules say what follows (`after_unprepared`)."""
        request = OutgoingRequest(subscription.method, subscription.url, {}, b"", settings.timeout)
        answer = self._judge(_unprepared(exc), settings, scheduled_at)
        record = self._unit_row(
            unit, kind, members, settings, scheduled_at, started, answer, request, request_id
        )
        self._log(record)
        verdict = self._after_unprepared(unit, subscription, settings)
        self._apply(unit, kind, members, subscription, verdict)

    def _take_off(self, unit: Unit, members: list[Delivery]) -> None:
        """Until its answer is in, the unit's deliveries are in flight: a disable leaves
        them to it (only an answer awaited outside this call can meet one)."""
        attempts, in_flight = unit.attempts, self._in_flight
        for member in members:
            in_flight[member.key] = attempts

    def _credential(self, subscription: Subscription) -> DeliveryCredential | None:
        if subscription.credential_id is None:
            return None
        return self.store.find_credential(subscription.environment_id, subscription.credential_id)

    def _dispatch(
        self,
        dispatcher: Dispatcher,
        url: str,
        send: Callable[[], TransportResult],
        answered: Callable[[TransportResult], object],
        leaving: Callable[[], None] | None = None,
    ) -> None:
        """`send()` on the dispatcher's worker; `answered(result)` then runs under the lock.
        `leaving()` records, durably, that the request is about to leave (a job may wait in
        the dispatcher's queue first: only a request that really left can be a duplicate)."""
        lock, store, loop = self._lock, self.store, self.loop

        def job() -> None:
            if leaving is not None:
                with lock, store.transaction(sync=False):
                    leaving()
            result = send()
            with lock, store.transaction(sync=False):
                answered(result)
                loop.wake()  # a retry may now be due before the driver woke

        dispatcher.submit(endpoint_of(url), job)

    # its answer ---------------------------------------------------------------------------
    def answered(
        self,
        unit: Unit,
        kind: UnitKind,
        members: list[Delivery],
        settings: Settings,
        scheduled_at: float,
        started: float,
        request: OutgoingRequest,
        request_id: str,
        in_flight: bool,
        result: TransportResult,
    ) -> None:
        """Judge the answer and log it; the verdict follows when the answer is in (later in
        virtual time, when the receiver took some). `in_flight`: the unit was taken off
        (`_take_off`) while its answer was awaited."""
        answer = self._judge(result, settings, scheduled_at)
        record = self._unit_row(
            unit, kind, members, settings, scheduled_at, started, answer, request, request_id
        )
        duration = answer.duration
        if duration > 0 and (self.transport.simulated or result.virtual):
            # The answer comes later in virtual time (a simulated receiver's latency, or a real
            # answer's Sim-Latency under the virtual clock); until then the unit is in flight.
            if not in_flight:
                self._take_off(unit, members)
            self.loop.scheduler.call_at(
                started + duration, self._finish, unit, kind, members, record, answer, True
            )
        else:
            self._finish(unit, kind, members, record, answer, in_flight)

    def _finish(
        self,
        unit: Unit,
        kind: UnitKind,
        members: list[Delivery],
        record: AttemptRecord,
        answer: Answer,
        in_flight: bool,
    ) -> None:
        store = self.store
        cancelled = False
        if in_flight:
            flying, was_cancelled = self._in_flight, self._cancelled
            for member in members:
                key = member.key
                flying.pop(key, None)
                if key in was_cancelled:
                    # disabled while in flight: that attempt was the last
                    was_cancelled.discard(key)
                    cancelled = True
        self._log(record)
        subscription: Subscription | None
        try:
            subscription = store.subscription(unit.environment_id, unit.subscription_id)
        except NotFound:
            subscription = None  # deleted while in flight: the answer still decides
        settings = store.environment(unit.environment_id).settings
        verdict = self._after_attempt(
            unit, subscription, settings, answer, self._clock.now(), self._rng, cancelled
        )
        self._apply(unit, kind, members, subscription, verdict)

    def _log(self, record: AttemptRecord) -> None:
        self.store.log_attempt(record)
        if self._listeners:
            self.emitter.emit(AttemptFinished(record))

    def _apply(
        self,
        unit: Unit,
        kind: UnitKind,
        members: list[Delivery],
        subscription: Subscription | None,
        verdict: Verdict,
    ) -> None:
        """Do what the rules' verdict on the unit's attempt says."""
        store = self.store
        failures = verdict.failures
        if (
            subscription is not None
            and failures is not None
            and subscription.consecutive_failures != failures  # unchanged: nothing to save
        ):
            subscription.consecutive_failures = failures
            store.save_subscription(subscription)
        if verdict.streak is not None and subscription is not None:
            subscription.failing_since = verdict.streak[0]  # a profile's time-based disabling
            store.save_subscription(subscription)
        if verdict.end is not None:
            self.end(unit, verdict.end, verdict.reason, members)
            if subscription is not None:
                if verdict.disable:
                    self.disable(subscription, "auto")
                if verdict.duplicate:
                    self._duplicate(unit, subscription)
        elif verdict.retry_at is not None and verdict.due is not None:
            kind.rescheduled(unit, verdict.retry_at)
            self.queue(unit, verdict.due)
        elif kind.closed is not None:
            kind.closed(unit)  # its deliveries ended meanwhile

    def _duplicate(self, unit: Unit, subscription: Subscription) -> None:
        """The delivered event once more (DUPLICATE-INJECTION)."""
        assert isinstance(unit, Delivery)
        event = self.store.event(unit.environment_id, unit.event_id)
        send, answered = self.prepare_copy(event, subscription, unit.attempts, "duplicate")
        dispatcher = self.loop.dispatching
        if dispatcher is not None and not self.transport.simulated:
            self._dispatch(dispatcher, subscription.url, send, answered)
        else:
            answered(send())

    def _unit_row(
        self,
        unit: Unit,
        kind: UnitKind,
        members: list[Delivery],
        settings: Settings,
        scheduled_at: float,
        started: float,
        answer: Answer,
        request: OutgoingRequest,
        request_id: str,
    ) -> AttemptRecord:
        """The log's row for the unit's attempt (a batch's lists its events)."""
        return self.row(
            unit.environment_id,
            members[0].event_id,
            unit.subscription_id,
            unit.attempts,
            "delivery",
            scheduled_at,
            started,
            answer,
            request,
            request_id,
            settings,
            tuple([m.event_id for m in members]) if kind.many else (),
        )

    def row(
        self,
        environment_id: str,
        event_id: str,
        subscription_id: str,
        attempt: int,
        kind: str,
        scheduled_at: float,
        started: float,
        answer: Answer,
        request: OutgoingRequest,
        request_id: str,
        settings: Settings,
        event_ids: tuple[str, ...] = (),
    ) -> AttemptRecord:
        """The delivery log's row for an answered request (credentials redacted)."""
        duration = answer.duration
        # Positional (one per attempt: keywords cost twice as much), in field order.
        return AttemptRecord(
            environment_id,
            event_id,
            subscription_id,
            attempt,
            kind,
            scheduled_at,
            started,  # started_at
            started + duration,  # finished_at
            answer.outcome,
            answer.status_code,
            duration,
            request_id,
            request.method,
            request.url,
            redact(request.headers, settings.signature_header),
            answer.error,
            request.body if self.keep_bodies else b"",
            event_ids,
        )

    # the end ------------------------------------------------------------------------------
    def end(
        self,
        unit: Unit,
        state: DeliveryState,
        reason: str | None,
        members: list[Delivery] | None = None,
    ) -> None:
        """End every pending delivery of the unit (`members`, when the caller knows them);
        nothing more is sent for it."""
        kind = self._kinds[type(unit)]
        if kind.many:  # a single delivery's timer is its own (`end_delivery`)
            timer = self._timers.pop(unit.key, None)
            if timer is not None:
                self.loop.cancel(timer)
        for member in kind.members(unit) if members is None else members:
            if member.state is DeliveryState.PENDING:
                self.end_delivery(member, state, reason)
        if kind.closed is not None:
            kind.closed(unit)

    def end_delivery(self, delivery: Delivery, state: DeliveryState, reason: str | None) -> None:
        delivery.state = state
        delivery.reason = reason
        delivery.ended_at = self._clock.now()
        delivery.next_attempt_at = None
        timer = self._timers.pop(delivery.key, None)
        if timer is not None:
            self.loop.cancel(timer)
        self.store.mark_ended(delivery)
        if self._listeners:
            self.emitter.emit(DeliveryEnded(delivery, delivery.ended_at))

    def disable(self, subscription: Subscription, reason: str) -> None:
        """Disable the subscription (`auto` or `api`): its pending retries are cancelled at
        once, and nothing more is sent to it (DISABLE-STOPS-DELIVERY). An attempt already in
        flight is decided by its answer."""
        now = self._clock.now()
        subscription.status = "disabled"
        subscription.disabled_reason = reason
        subscription.disabled_at = now
        subscription.updated = now
        self.store.save_subscription(subscription)
        for delivery in self.store.pending_for(subscription.id):
            if delivery.key in self._in_flight:
                self._cancelled.add(delivery.key)
                continue
            self.end_delivery(delivery, DeliveryState.UNDELIVERED, SUBSCRIPTION_DISABLED)
        self.emitter.emit(SubscriptionChanged(subscription, "disabled", now, reason))

    # copies: test deliveries and duplicates -----------------------------------------------
    def prepare_copy(
        self, event: Event, subscription: Subscription, attempt: int, kind: str
    ) -> tuple[Callable[[], TransportResult], Callable[[TransportResult], AttemptRecord]]:
        """How to send a copy (it changes no delivery state), and what logs its answer (call
        that under the lock). A copy that cannot be written is logged as failed, not sent."""
        settings = self.store.environment(subscription.environment_id).settings
        request_id = self.ids.uuid()
        started = self._clock.now()
        try:
            request = self.writer.write(
                request_id,
                (event,),
                subscription,
                settings,
                self._credential(subscription),
                subscription.batch is not None,
                started,
            )
            send = partial(send_safely, self.transport, request)
        except Exception as exc:
            request = OutgoingRequest(
                subscription.method, subscription.url, {}, b"", settings.timeout
            )
            send = partial(_unprepared, exc)

        def answered(result: TransportResult) -> AttemptRecord:
            record = self.row(
                subscription.environment_id,
                event.id,
                subscription.id,
                attempt,
                kind,
                started,
                started,
                self._judge(result, settings, started),
                request,
                request_id,
                settings,
            )
            self._log(record)
            return record

        return send, answered

    def send_copy(
        self, event: Event, subscription: Subscription, attempt: int, kind: str
    ) -> AttemptRecord:
        """One extra request, sent in this thread: a duplicate or a test delivery."""
        send, answered = self.prepare_copy(event, subscription, attempt, kind)
        return answered(send())
