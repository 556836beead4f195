"""The reference webhook platform: subscriptions, publication, delivery, retries, disabling.

Everything here runs on the injected clock. Work that is due (first attempts, retries,
answers of slow receivers) sits in a scheduler; `advance` (virtual clock) or `run_due`
(wall clock, called by a driver thread) runs it in time order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from hooksim.contracts._signing import sign

from ._auth import Authority
from ._clock import Clock, VirtualClock, WallClock
from ._collector import batch_of_work
from ._credentials import DeliveryCredential, check_credential_fields
from ._errors import Conflict, InvalidInput, NotFound
from ._events import EVENT_TYPES, check_event_data, check_overrides, make_event_data
from ._ids import IdSource
from ._mapping import MappingLimits
from ._models import (
    AttemptRecord,
    Delivery,
    DeliveryState,
    Environment,
    Event,
    Outcome,
    Subscription,
)
from ._outgoing import build_request as build_extended_request
from ._retry import next_retry_at
from ._routes import Routes
from ._scheduler import Scheduler, Timer
from ._settings import Settings
from ._signals import (
    AttemptFinished,
    ClockAdvanced,
    DeliveryEnded,
    EventPublished,
    Listener,
    Signal,
    SubscriptionChanged,
)
from ._storage import Queued, QueuedBatch, Resume, SentAttempt, Store
from ._store import MemoryStore
from ._transport import InProcessTransport, OutgoingRequest, Transport, TransportResult
from ._validation import check_subscription_fields
from ._wire import (
    answer_record,
    unprepared_record,
    unsendable_request,
)
from ._wire import (
    endpoint_of as _endpoint,
)
from ._wire import (
    envelope as _envelope,
)
from ._wire import (
    judge as _judge,
)
from ._wire import (
    redact as _redact,
)
from ._wire import (
    retry_after_delay as _retry_after,
)
from ._wire import (
    send_safely as _send_safely,
)

if TYPE_CHECKING:
    from ._batching import Batcher

__all__ = ["USER_AGENT", "Dispatcher", "Platform"]

USER_AGENT = "hooksim/0.1 (Atomic webhooks reference platform)"
_EVENT_SET = frozenset(EVENT_TYPES)
MAX_PUBLISH_COUNT = 100_000

# Why a delivery ended undelivered.
RETRIES_EXHAUSTED = "retries-exhausted"
SUBSCRIPTION_DISABLED = "subscription-disabled"
SUBSCRIPTION_DELETED = "subscription-deleted"
#: hooksim could not build the request (a bug, or data spoiled after it was accepted): a
#: retry would fail the same way, so the delivery ends here, its reason in the log.
INTERNAL_ERROR = "internal-error"
# The log's note on an attempt whose answer a restart lost (it is sent again).
INTERRUPTED = (
    "interrupted: the platform stopped before this attempt was answered; it was sent again "
    "after the restart"
)


class AfterFailure(NamedTuple):
    """The verdict on a failed attempt: retry at `when`, or end undelivered for `reason`
    (and, when `disable`, auto-disable the subscription after ending it)."""

    when: float | None
    reason: str | None
    disable: bool


class Dispatcher(Protocol):
    """Runs real sends off the platform lock (the wall-clock driver's bounded worker pool).

    `endpoint` (scheme://host:port) lets it limit concurrent requests per receiver.
    """

    def submit(self, endpoint: str, job: Callable[[], None]) -> None: ...


class Platform:
    """One platform: environments, their subscriptions and events, and the delivery engine.

    Thread-safe: every public method holds the platform's lock, so a served API and the
    wall-clock driver can share it.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        settings: Settings | None = None,
        transport: Transport | None = None,
        store: Store | None = None,
        seed: int | None = 0,
        token_clock: Clock | None = None,
        keep_bodies: bool = True,
    ) -> None:
        self.clock: Clock = clock if clock is not None else VirtualClock()
        self.settings = settings or Settings()
        self.transport: Transport = transport if transport is not None else InProcessTransport()
        self.store: Store = store if store is not None else MemoryStore()
        self.ids = IdSource(seed)
        # Tokens follow their own clock so that advancing simulated hours never logs anyone out.
        self.auth = Authority(
            self.ids, token_clock if token_clock is not None else WallClock(), self.store
        )
        self.keep_bodies = keep_bodies
        self.scheduler = Scheduler()
        self._listeners: list[Listener] = []
        self._routes = Routes(self.store)
        self._lock = threading.RLock()
        self._work_added = threading.Condition(self._lock)
        self._timers: dict[tuple[str, str], Timer] = {}
        self._in_flight: dict[tuple[str, str], int] = {}
        # Deliveries whose attempt was in flight when their subscription was disabled: the
        # answer decides them, and a failure is not retried even if it was re-enabled since.
        self._cancelled: set[tuple[str, str]] = set()
        #: Set by the wall-clock driver: real (non-simulated) requests are then sent by its
        #: workers outside the lock, and their answers finish the attempt under the lock.
        #: Never used under a virtual clock, whose runs stay sequential and deterministic.
        self.dispatcher: Dispatcher | None = None
        #: Created with the first event for a batched subscription (`_batching.py`).
        self._batcher: Batcher | None = None
        # A seeded source goes on where it was (an unseeded one has nothing worth keeping).
        resume = self.store.resume(self.clock, self.ids.rng if self.ids.seed is not None else None)
        if resume is not None:
            self._restore(resume)

    def _restore(self, resume: Resume) -> None:
        """Carry on where a durable store left off: the virtual clock's time, the random
        source, and a timer for every pending delivery and batch in the order they were
        queued (an overdue one is due at once). An attempt that was in flight when the
        platform stopped is logged as interrupted and sent again: the receiver may get it
        twice (AT-LEAST-ONCE), and the log shows both."""
        if resume.now is not None and isinstance(self.clock, VirtualClock):
            self.clock.jump_to(max(resume.now, self.clock.now()))
        if resume.random_state is not None and self.ids.seed is not None:
            self.ids.rng.setstate(resume.random_state)
        if resume.batch_numbers:
            self._batches().restored_numbers(resume.batch_numbers)
        queued: list[tuple[float, int, Queued | QueuedBatch]] = [
            (q.due_at, q.order, q) for q in resume.queue
        ]
        if resume.batches:
            queued += [(b.due_at, b.order, b) for b in resume.batches]
            queued.sort(key=lambda item: (item[0], item[1]))
        with self.store.transaction(sync=False):
            now = self.clock.now()
            for _, _, item in queued:
                if isinstance(item, QueuedBatch):
                    self._batches().restore(item, now)
                else:
                    self._restore_delivery(item, now)

    def _restore_delivery(self, queued: Queued, now: float) -> None:
        delivery, due = queued.delivery, queued.due_at
        try:
            subscription = self.store.subscription(
                delivery.environment_id, delivery.subscription_id
            )
        except NotFound:
            subscription = None
        if queued.sent is not None:
            self._log_interrupted(delivery, subscription, queued.sent, now)
            delivery.attempts = queued.sent.attempt - 1
            delivery.next_attempt_at = due = queued.sent.scheduled_at
        if subscription is None:
            self._end(delivery, DeliveryState.UNDELIVERED, SUBSCRIPTION_DELETED)
        elif not subscription.active:
            self._end(delivery, DeliveryState.UNDELIVERED, SUBSCRIPTION_DISABLED)
        elif subscription.batch is not None:
            # A batch's member in a file written before batches were kept: it joins a new
            # batch (its retry window starts again with that batch's first attempt).
            self._batch(subscription, delivery, now)
        else:
            self._schedule_attempt(delivery, due)

    def _log_unprepared(
        self,
        delivery: Delivery,
        subscription: Subscription,
        scheduled_at: float,
        exc: Exception,
        event_ids: tuple[str, ...] = (),
    ) -> None:
        """The log's row for an attempt whose request could not be built (nothing was sent);
        the caller ends the delivery (or batch)."""
        record = unprepared_record(
            delivery, subscription, scheduled_at, self.clock.now(), exc, event_ids
        )
        self.store.log_attempt(record)
        if self._listeners:
            self._emit(AttemptFinished(record))

    def _log_interrupted(
        self,
        delivery: Delivery,
        subscription: Subscription | None,
        sent: SentAttempt,
        now: float,
        event_ids: tuple[str, ...] = (),
    ) -> None:
        """The log's row for an attempt whose answer a restart lost (a batch's lists its
        events in `event_ids`, like its other rows)."""
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
        self.store.log_attempt(record)
        self._emit(AttemptFinished(record))

    # listeners ----------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def _emit(self, signal: Signal) -> None:
        if isinstance(signal, SubscriptionChanged):
            self._routes.clear()  # every change to a subscription is announced here
        for listener in self._listeners:
            listener(signal)

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    # environments -------------------------------------------------------------------
    def create_environment(
        self, env_id: str | None = None, settings: Settings | None = None
    ) -> Environment:
        with self._lock, self.store.transaction():
            env_id = env_id or self.ids.short_id(8)
            if env_id in self.store.environments:
                raise Conflict(f"environment {env_id!r} already exists")
            environment = Environment(env_id, settings or self.settings, self.clock.now())
            self.store.add_environment(environment)
            return environment

    def environment(self, env_id: str) -> Environment:
        return self.store.environment(env_id)

    def configure(self, env_id: str, **changes: Any) -> Settings:
        """Change an environment's delivery settings (retry policy, threshold, timeout...)."""
        with self._lock, self.store.transaction():
            environment = self.store.environment(env_id)
            environment.settings = environment.settings.with_changes(**changes)
            self.store.save_environment(environment)
            return environment.settings

    # subscriptions ------------------------------------------------------------------
    def subscribe(self, env_id: str, body: Mapping[str, Any]) -> Subscription:
        with self._lock, self.store.transaction():
            environment = self.store.environment(env_id)
            fields = check_subscription_fields(
                body,
                creating=True,
                signature_header=environment.settings.signature_header,
                mapping_limits=MappingLimits.of(environment.settings),
            )
            self._check_credential(env_id, fields.get("credentialId"), fields.get("headers", {}))
            limit = environment.settings.max_subscriptions
            if self.store.count_subscriptions(env_id) >= limit:
                raise Conflict(
                    f"environment {env_id!r} already has {limit} webhook subscriptions, the "
                    "most allowed (disabled ones count too); delete a disabled subscription "
                    "first"
                )
            now = self.clock.now()
            subscription = Subscription(
                id=self._new_subscription_id(env_id),
                environment_id=env_id,
                types=fields["types"],
                url=fields["url"],
                secret=self.ids.secret_uuid(),
                created=now,
                updated=now,
                headers=fields.get("headers", {}),
                card_template_id=fields.get("cardTemplateId"),
                action_flow_config_id=fields.get("actionFlowConfigId"),
                name=fields.get("name"),
                method=fields.get("method", "POST"),
                max_retries=fields.get("maxRetries"),
                disable_after_failures=fields.get("disableAfterFailures", True),
                credential_id=fields.get("credentialId"),
                mapping=fields.get("mapping"),
                batch=fields.get("batch"),
            )
            self.store.add_subscription(subscription)
            self._emit(SubscriptionChanged(subscription, "created", now))
            return subscription

    def _new_subscription_id(self, env_id: str) -> str:
        while True:
            candidate = self.ids.short_id(8)
            try:
                self.store.subscription(env_id, candidate)
            except NotFound:
                return candidate

    def subscriptions(self, env_id: str) -> list[Subscription]:
        with self._lock:
            self.store.environment(env_id)
            return self.store.subscriptions(env_id)

    def subscription(self, env_id: str, sub_id: str) -> Subscription:
        with self._lock:
            self.store.environment(env_id)
            return self.store.subscription(env_id, sub_id)

    def update_subscription(
        self, env_id: str, sub_id: str, changes: Mapping[str, Any]
    ) -> Subscription:
        with self._lock, self.store.transaction():
            environment = self.store.environment(env_id)
            subscription = self.store.subscription(env_id, sub_id)
            fields = check_subscription_fields(
                changes,
                creating=False,
                signature_header=environment.settings.signature_header,
                mapping_limits=MappingLimits.of(environment.settings),
            )
            attribute = {
                "types": "types",
                "url": "url",
                "headers": "headers",
                "name": "name",
                "method": "method",
                "maxRetries": "max_retries",
                "disableAfterFailures": "disable_after_failures",
                "credentialId": "credential_id",
                "mapping": "mapping",
                "batch": "batch",
            }
            if "credentialId" in fields or "headers" in fields:
                self._check_credential(
                    env_id,
                    fields.get("credentialId", subscription.credential_id),
                    fields.get("headers", subscription.headers),
                )
            for name, value in fields.items():
                setattr(subscription, attribute[name], value)
            subscription.updated = self.clock.now()
            self.store.save_subscription(subscription)
            self._emit(SubscriptionChanged(subscription, "updated", subscription.updated))
            return subscription

    def disable_subscription(self, env_id: str, sub_id: str) -> Subscription:
        """What the seed's DELETE does: stop deliveries, keep the subscription."""
        with self._lock, self.store.transaction():
            subscription = self.store.subscription(self._env(env_id), sub_id)
            if subscription.active:
                self._disable(subscription, "api")
            return subscription

    def enable_subscription(self, env_id: str, sub_id: str) -> Subscription:
        """Re-enable: the failure counter starts again from 0; missed events are not replayed."""
        with self._lock, self.store.transaction():
            subscription = self.store.subscription(self._env(env_id), sub_id)
            if not subscription.active:
                now = self.clock.now()
                subscription.status = "active"
                subscription.disabled_reason = None
                subscription.disabled_at = None
                subscription.consecutive_failures = 0
                subscription.updated = now
                self.store.save_subscription(subscription)
                self._emit(SubscriptionChanged(subscription, "enabled", now))
            return subscription

    def delete_subscription(self, env_id: str, sub_id: str) -> Subscription:
        """Delete for good; only a disabled subscription may be deleted."""
        with self._lock, self.store.transaction():
            subscription = self.store.subscription(self._env(env_id), sub_id)
            if subscription.active:
                raise Conflict(
                    f"subscription {sub_id!r} is active; disable it (DELETE without "
                    "permanent=true) before deleting it"
                )
            self.store.remove_subscription(subscription)
            self._emit(SubscriptionChanged(subscription, "deleted", self.clock.now()))
            return subscription

    def _env(self, env_id: str) -> str:
        self.store.environment(env_id)
        return env_id

    def _disable(self, subscription: Subscription, reason: str) -> None:
        now = self.clock.now()
        subscription.status = "disabled"
        subscription.disabled_reason = reason
        subscription.disabled_at = now
        subscription.updated = now
        self.store.save_subscription(subscription)
        # Pending retries are cancelled: nothing more is sent to a disabled subscription.
        for delivery in self.store.pending_for(subscription.id):
            if delivery.key in self._in_flight:
                self._cancelled.add(delivery.key)  # already sent; its answer decides it
                continue
            self._end(delivery, DeliveryState.UNDELIVERED, SUBSCRIPTION_DISABLED)
        self._emit(SubscriptionChanged(subscription, "disabled", now, reason))

    # events -------------------------------------------------------------------------
    def publish(
        self,
        env_id: str,
        event_type: str,
        *,
        count: int = 1,
        overrides: Mapping[str, Any] | None = None,
    ) -> list[Event]:
        """Publish analytics events as if users acted on cards; first attempts are due now."""
        if event_type not in _EVENT_SET:
            raise InvalidInput(
                f"unknown analytics event {event_type!r}; known events: " + ", ".join(EVENT_TYPES),
                "type",
            )
        if (
            isinstance(count, bool)
            or not isinstance(count, int)
            or not 1 <= count <= MAX_PUBLISH_COUNT
        ):
            raise InvalidInput(
                f"count must be a whole number from 1 to {MAX_PUBLISH_COUNT}", "count"
            )
        with self._lock, self.store.transaction(), batch_of_work():
            self.store.environment(env_id)
            now = self.clock.now()
            check_overrides(event_type, overrides, now)  # before anything is stored
            events = []
            for _ in range(count):
                data = make_event_data(event_type, ids=self.ids, now=now, overrides=overrides)
                events.append(self._accept(env_id, data, now))
            self._settle()
            return events

    def publish_data(self, env_id: str, data: Mapping[str, Any]) -> Event:
        """Publish an event whose `data` the caller wrote in full (an `id` is added if absent)."""
        with self._lock, self.store.transaction():
            self.store.environment(env_id)
            payload, raw = self._checked_data(env_id, data, set())
            event = self._accept(env_id, payload, self.clock.now(), raw)
            self._settle()
            return event

    def publish_many(self, env_id: str, datas: Iterable[Mapping[str, Any]]) -> list[Event]:
        """Publish many caller-written events at once: like `publish_data` for each, but their
        first attempts run together afterwards, as one batch of work. All are checked before
        any is stored: one that cannot be sent refuses the call and nothing is published."""
        with self._lock, self.store.transaction(), batch_of_work():
            self.store.environment(env_id)
            now = self.clock.now()
            seen: set[str] = set()
            ready = [self._checked_data(env_id, data, seen) for data in datas]
            events = [self._accept(env_id, payload, now, raw) for payload, raw in ready]
            self._settle()
            return events

    def _checked_data(
        self, env_id: str, data: Mapping[str, Any], seen: set[str]
    ) -> tuple[dict[str, Any], bytes]:
        """A caller-written event with its id, and the bytes it will be sent as."""
        if type(data) is not dict and not isinstance(data, Mapping):
            raise InvalidInput("an event's data must be an object", "data")
        payload = dict(data)
        if payload.get("analyticsEvent") not in _EVENT_SET:
            raise InvalidInput(
                f"data.analyticsEvent must be a known event, not {payload.get('analyticsEvent')!r}",
                "analyticsEvent",
            )
        if "id" in payload:
            self.ids.skip_uuid()  # so that a seed draws the same ids whether or not one is given
        else:
            payload["id"] = self.ids.uuid()
        event_id = str(payload["id"])
        if event_id in seen or self.store.has_event(env_id, event_id):
            raise Conflict(f"an event with id {event_id!r} was already published")
        seen.add(event_id)
        return payload, check_event_data(payload, "data")

    def _accept(
        self, env_id: str, data: dict[str, Any], now: float, raw: bytes | None = None
    ) -> Event:
        # Events are kept by str(id): a numeric id must not replace an event (and its
        # deliveries) published under the same id. (Data that comes with its bytes was
        # checked for that already, by `_checked_data`.)
        event_id = str(data["id"])
        if raw is None and self.store.has_event(env_id, event_id):
            raise Conflict(f"an event with id {event_id!r} was already published")
        event = Event(event_id, env_id, str(data["analyticsEvent"]), data, now, raw)
        self.store.add_event(event)
        if self._listeners:
            self._emit(EventPublished(event))
        for subscription in self._routes.matching(env_id, data):
            delivery = Delivery(event.id, subscription.id, env_id, first_attempt_at=now)
            delivery.next_attempt_at = now
            self.store.add_delivery(delivery)
            if subscription.batch is not None:
                self._batch(subscription, delivery, now)
            else:
                self._schedule_attempt(delivery, now)
        return event

    def events(self, env_id: str) -> list[Event]:
        with self._lock:
            self.store.environment(env_id)
            return self.store.events(env_id)

    def event(self, env_id: str, event_id: str) -> Event:
        with self._lock:
            return self.store.event(self._env(env_id), event_id)

    def inject_duplicate(
        self, env_id: str, event_id: str, subscription_id: str | None = None
    ) -> list[AttemptRecord]:
        """Send another copy of an already published event, now: at-least-once on purpose."""
        with self._lock, self.store.transaction():
            event = self.store.event(self._env(env_id), event_id)
            targets = []
            for subscription in self.store.subscriptions(env_id):
                if subscription_id is not None and subscription.id != subscription_id:
                    continue
                delivery = self.store.delivery(event_id, subscription.id)
                if delivery is not None and subscription.active:
                    targets.append((subscription, delivery))
            if subscription_id is not None and not targets:
                raise InvalidInput(
                    f"event {event_id!r} was never sent to an active "
                    f"subscription {subscription_id!r}"
                )
            return [self._send_copy(event, sub, d.attempts, "duplicate") for sub, d in targets]

    # delivery -----------------------------------------------------------------------
    def _settle(self) -> None:
        """Work was added: under the virtual clock, run whatever is due at the current
        instant; under the wall clock, wake the driver (only a driver waits for work, and it
        refuses a virtual clock)."""
        if self.clock.is_virtual:
            self._run_until(self.clock.now())
        else:
            self._work_added.notify_all()

    def _build_request(
        self, event: Event, subscription: Subscription, settings: Settings
    ) -> tuple[OutgoingRequest, str]:
        request_id = self.ids.uuid()
        if (
            subscription.credential_id is not None
            or subscription.mapping is not None
            or subscription.batch is not None
        ):
            return self._build_extended(event, subscription, settings, request_id), request_id
        body = _envelope(request_id, event, subscription.id)
        headers = {
            **subscription.headers,
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            settings.signature_header: sign(subscription.secret, body),
        }
        request = OutgoingRequest(
            subscription.method, subscription.url, headers, body, settings.timeout
        )
        return request, request_id

    def _attempt(self, delivery: Delivery) -> None:
        self._timers.pop(delivery.key, None)
        if delivery.state is not DeliveryState.PENDING:
            return
        subscription = self.store.subscription(delivery.environment_id, delivery.subscription_id)
        if not subscription.active:
            self._end(delivery, DeliveryState.UNDELIVERED, SUBSCRIPTION_DISABLED)
            return
        settings = self.store.environment(delivery.environment_id).settings
        scheduled_at = (
            delivery.next_attempt_at if delivery.next_attempt_at is not None else self.clock.now()
        )
        delivery.attempts += 1
        try:
            event = self.store.event(delivery.environment_id, delivery.event_id)
            request, request_id = self._build_request(event, subscription, settings)
        except Exception as exc:
            # Never in limbo: this delivery ends, and the run that got here goes on.
            self._log_unprepared(delivery, subscription, scheduled_at, exc)
            self._end(delivery, DeliveryState.UNDELIVERED, INTERNAL_ERROR)
            return
        started = self.clock.now()
        if self.dispatcher is not None and self._dispatching:
            # Sent by a worker outside the lock: a slow receiver delays neither the other
            # receivers nor the API. Until its answer the delivery is in flight.
            self._in_flight[delivery.key] = delivery.attempts
            answered = partial(
                self._answered, delivery, settings, scheduled_at, started, request, request_id
            )
            leaving = partial(self.store.attempt_sent, delivery, scheduled_at, started, request_id)
            self._dispatch(request, answered, leaving if self.store.durable else None)
            return
        self.store.attempt_sent(delivery, scheduled_at, started, request_id)
        if not self.transport.simulated:
            # On disk before it leaves: after a crash it is logged and sent again, not lost.
            self.store.flush()
        result = _send_safely(self.transport, request)
        self._answered(delivery, settings, scheduled_at, started, request, request_id, result)

    @property
    def _dispatching(self) -> bool:
        return (
            self.dispatcher is not None
            and not self.transport.simulated
            and not self.clock.is_virtual
        )

    def _dispatch(
        self,
        request: OutgoingRequest,
        answered: Callable[[TransportResult], Any],
        leaving: Callable[[], None] | None = None,
    ) -> None:
        """Send on the dispatcher's worker; `answered(result)` then runs under the lock.
        `leaving()` records, durably, that the request is about to leave (a job may wait in
        the dispatcher's queue first: only a request that really left can be a duplicate)."""

        def job() -> None:
            if leaving is not None:
                with self._lock, self.store.transaction(sync=False):
                    leaving()
            result = _send_safely(self.transport, request)
            with self._lock, self.store.transaction(sync=False):
                answered(result)
                self._work_added.notify_all()  # a retry may now be due before the driver woke

        assert self.dispatcher is not None
        self.dispatcher.submit(_endpoint(request.url), job)

    def _answered(
        self,
        delivery: Delivery,
        settings: Settings,
        scheduled_at: float,
        started: float,
        request: OutgoingRequest,
        request_id: str,
        result: TransportResult,
    ) -> None:
        duration, outcome = _judge(result, settings.timeout)
        timed_out = outcome is Outcome.TIMEOUT
        # Positional (one per delivery: keywords cost twice as much), in field order.
        record = AttemptRecord(
            delivery.environment_id,
            delivery.event_id,
            delivery.subscription_id,
            delivery.attempts,  # attempt
            "delivery",  # kind
            scheduled_at,
            started,  # started_at
            started + duration,  # finished_at
            outcome,
            None if timed_out else result.status_code,
            duration,
            request_id,
            request.method,
            request.url,
            _redact(request.headers, settings.signature_header),
            f"no answer within {settings.timeout:g} s" if timed_out else result.error,
            request.body if self.keep_bodies else b"",
        )
        # A timed-out attempt has no answer: a Retry-After that came later was never heard.
        retry_after = None if timed_out else _retry_after(result, settings, scheduled_at)
        if duration > 0 and self.transport.simulated:
            # The answer comes later in virtual time; until then the delivery is in flight.
            self._in_flight[delivery.key] = delivery.attempts
            self.scheduler.call_at(started + duration, self._finish, delivery, record, retry_after)
        else:
            self._finish(delivery, record, retry_after)

    def _finish(self, delivery: Delivery, record: AttemptRecord, retry_after: float | None) -> None:
        key = delivery.key
        self._in_flight.pop(key, None)
        cancelled = key in self._cancelled
        if cancelled:
            self._cancelled.discard(key)
        self.store.log_attempt(record)
        if self._listeners:
            self._emit(AttemptFinished(record))
        try:
            subscription = self.store.subscription(
                delivery.environment_id, delivery.subscription_id
            )
        except NotFound:
            # Deleted (after being disabled) while this attempt was in flight: its answer
            # still decides how the delivery ends, and nothing more is sent.
            if record.succeeded:
                self._end(delivery, DeliveryState.DELIVERED, None)
            else:
                self._end(delivery, DeliveryState.UNDELIVERED, SUBSCRIPTION_DELETED)
            return
        environment = self.store.environment(delivery.environment_id)
        settings = environment.settings
        if record.outcome is Outcome.SUCCESS:
            if subscription.consecutive_failures:  # unchanged otherwise: nothing to save
                subscription.consecutive_failures = 0
                self.store.save_subscription(subscription)
            if delivery.state is DeliveryState.PENDING:
                self._end(delivery, DeliveryState.DELIVERED, None)
                if (
                    subscription.active  # nothing more is sent to a disabled subscription
                    and settings.duplicate_probability
                    and self.ids.rng.random() < settings.duplicate_probability
                ):
                    event = self.store.event(delivery.environment_id, delivery.event_id)
                    if self._dispatching:
                        request, answered = self._prepare_copy(
                            event, subscription, delivery.attempts, "duplicate"
                        )
                        self._dispatch(request, answered)
                    else:
                        self._send_copy(event, subscription, delivery.attempts, "duplicate")
            return
        subscription.consecutive_failures += 1
        self.store.save_subscription(subscription)
        if delivery.state is not DeliveryState.PENDING:
            return
        verdict = self._after_failure(
            subscription,
            settings,
            attempts=delivery.attempts,
            first_attempt_at=delivery.first_attempt_at,
            scheduled_at=record.scheduled_at,
            retry_after=retry_after,
            cancelled=cancelled,
        )
        if verdict.when is None:
            self._end(delivery, DeliveryState.UNDELIVERED, verdict.reason)
            if verdict.disable:
                self._disable(subscription, "auto")
            return
        delivery.next_attempt_at = verdict.when
        self._schedule_attempt(delivery, verdict.when)

    def _after_failure(
        self,
        subscription: Subscription,
        settings: Settings,
        *,
        attempts: int,
        first_attempt_at: float,
        scheduled_at: float,
        retry_after: float | None,
        cancelled: bool,
    ) -> AfterFailure:
        """What follows the failed attempt of a pending delivery or batch (its failure is
        already counted): the rules of retries and auto-disable, in one place for both."""
        if not subscription.active:
            return AfterFailure(None, SUBSCRIPTION_DISABLED, False)
        if (
            subscription.disable_after_failures
            and subscription.consecutive_failures >= settings.disable_threshold
        ):
            return AfterFailure(None, SUBSCRIPTION_DISABLED, True)
        if cancelled:  # disabled while this attempt was in flight: it was the last one
            return AfterFailure(None, SUBSCRIPTION_DISABLED, False)
        when = next_retry_at(
            settings,
            attempts_made=attempts,
            first_attempt_at=first_attempt_at,
            previous_scheduled_at=scheduled_at,
            subscription_max_retries=subscription.max_retries,
            retry_after=retry_after,
            rng=self.ids.rng,
        )
        if when is None:
            return AfterFailure(None, RETRIES_EXHAUSTED, False)
        return AfterFailure(when, None, False)

    def _schedule_attempt(self, delivery: Delivery, when: float) -> None:
        """Queue the delivery's next attempt at `when` (at once if that has passed)."""
        timer = self.scheduler.call_at(max(when, self.clock.now()), self._attempt, delivery)
        self._timers[delivery.key] = timer
        self.store.save_delivery(delivery, timer.when, timer.seq)

    def _send_copy(
        self, event: Event, subscription: Subscription, attempt: int, kind: str
    ) -> AttemptRecord:
        """One extra request that changes no delivery state: a duplicate or a test."""
        request, answered = self._prepare_copy(event, subscription, attempt, kind)
        return answered(_send_safely(self.transport, request))

    def _prepare_copy(
        self, event: Event, subscription: Subscription, attempt: int, kind: str
    ) -> tuple[OutgoingRequest, Callable[[TransportResult], AttemptRecord]]:
        """The request for a copy, and what logs its answer (call that under the lock)."""
        settings = self.store.environment(subscription.environment_id).settings
        try:
            request, request_id = self._build_request(event, subscription, settings)
        except Exception as exc:  # the copy fails (logged), its caller goes on
            request, request_id = unsendable_request(subscription, settings.timeout, exc), ""
        started = self.clock.now()
        answered = partial(
            self._copy_answered,
            event,
            subscription,
            attempt,
            kind,
            settings,
            started,
            request,
            request_id,
        )
        return request, answered

    def _copy_answered(
        self,
        event: Event,
        subscription: Subscription,
        attempt: int,
        kind: str,
        settings: Settings,
        started: float,
        request: OutgoingRequest,
        request_id: str,
        result: TransportResult,
    ) -> AttemptRecord:
        record = answer_record(
            subscription.environment_id,
            event.id,
            subscription.id,
            attempt,
            kind,
            scheduled_at=started,
            started=started,
            request=request,
            request_id=request_id,
            result=result,
            settings=settings,
            keep_body=self.keep_bodies,
        )
        self.store.log_attempt(record)
        self._emit(AttemptFinished(record))
        return record

    def test_subscription(self, env_id: str, sub_id: str) -> AttemptRecord:
        """One signed test delivery; its result is answered, and it never counts towards
        auto-disable."""
        with self._lock, self.store.transaction():
            subscription = self.store.subscription(self._env(env_id), sub_id)
            now = self.clock.now()
            data = make_event_data(
                subscription.types[0],
                ids=self.ids,
                now=now,
                overrides={"properties": {"test": True}},
            )
            data["id"] = "test-" + str(data["id"])
            event = Event(data["id"], env_id, subscription.types[0], data, now)
            if not self._dispatching:
                return self._send_copy(event, subscription, 0, "test")
            request, answered = self._prepare_copy(event, subscription, 0, "test")
        # A real request under the wall clock goes out in the caller's thread without the
        # platform lock (unless the caller holds it), so a slow receiver blocks nothing else.
        result = _send_safely(self.transport, request)
        with self._lock, self.store.transaction(sync=False):
            return answered(result)

    def _end(self, delivery: Delivery, state: DeliveryState, reason: str | None) -> None:
        delivery.state = state
        delivery.reason = reason
        delivery.ended_at = self.clock.now()
        delivery.next_attempt_at = None
        timer = self._timers.pop(delivery.key, None)
        if timer is not None:
            self.scheduler.cancel(timer)
        self.store.mark_ended(delivery)
        if self._listeners:
            self._emit(DeliveryEnded(delivery, delivery.ended_at))

    # credentials, mapping, batching ---------------------------------------------------
    def create_credential(self, env_id: str, body: Mapping[str, Any]) -> DeliveryCredential:
        """Store a delivery credential in an environment (its secrets are never shown)."""
        with self._lock:
            environment = self.store.environment(env_id)
            checked = check_credential_fields(
                body, signature_header=environment.settings.signature_header
            )
            while True:
                credential_id = "cred-" + self.ids.short_id(8)
                if self.store.find_credential(env_id, credential_id) is None:
                    break
            credential = DeliveryCredential(
                id=credential_id,
                environment_id=env_id,
                type=checked["type"],
                created=self.clock.now(),
                fields=checked["fields"],
                name=checked["name"],
            )
            self.store.add_credential(credential)
            return credential

    def credentials(self, env_id: str) -> list[DeliveryCredential]:
        with self._lock:
            return self.store.credentials(self._env(env_id))

    def credential(self, env_id: str, credential_id: str) -> DeliveryCredential:
        with self._lock:
            credential = self.store.find_credential(self._env(env_id), credential_id)
            if credential is None:
                raise NotFound(
                    f"no delivery credential {credential_id!r} in environment {env_id!r}"
                )
            return credential

    def delete_credential(self, env_id: str, credential_id: str) -> DeliveryCredential:
        """Delete a credential that no subscription uses (else Conflict naming them)."""
        with self._lock:
            credential = self.credential(env_id, credential_id)
            users = [
                s.id for s in self.store.subscriptions(env_id) if s.credential_id == credential_id
            ]
            if users:
                raise Conflict(
                    f"delivery credential {credential_id!r} is used by subscription(s) "
                    f"{', '.join(users)}; change or delete them first"
                )
            self.store.remove_credential(credential)
            credential.forget_token()
            return credential

    def delivery_credential(self, subscription: Subscription) -> DeliveryCredential | None:
        if subscription.credential_id is None:
            return None
        return self.store.find_credential(subscription.environment_id, subscription.credential_id)

    def _check_credential(
        self, env_id: str, credential_id: str | None, headers: Mapping[str, str]
    ) -> None:
        """The credential exists, and no custom header would replace what it sends."""
        if credential_id is None:
            return
        credential = self.store.find_credential(env_id, credential_id)
        if credential is None:
            raise InvalidInput(
                f"credentialId {credential_id!r} is not a delivery credential of environment "
                f"{env_id!r}",
                "credentialId",
            )
        reserved = credential.reserved_headers()
        for name in headers:
            if name.lower() in reserved:
                raise InvalidInput(
                    f"header {name!r} is set by delivery credential {credential_id!r} and "
                    "cannot be overridden",
                    "headers",
                )

    def _build_extended(
        self, event: Event, subscription: Subscription, settings: Settings, request_id: str
    ) -> OutgoingRequest:
        return build_extended_request(
            request_id=request_id,
            events=[event],
            subscription=subscription,
            credential=self.delivery_credential(subscription),
            signature_header=settings.signature_header,
            timeout=settings.timeout,
            clock=self.clock,
            user_agent=USER_AGENT,
            batched=subscription.batch is not None,
            mapping_limits=MappingLimits.of(settings),
        )

    def _batch(self, subscription: Subscription, delivery: Delivery, now: float) -> None:
        self._batches().add(subscription, delivery, now)

    def _batches(self) -> Batcher:
        if self._batcher is None:
            from ._batching import Batcher

            self._batcher = Batcher(self)
        return self._batcher

    # time ---------------------------------------------------------------------------
    def advance(self, seconds: float) -> float:
        """Move a virtual clock forward, running everything due on the way in time order.

        Answers only once every attempt due in that span has finished and been logged.
        """
        if not isinstance(self.clock, VirtualClock):
            raise InvalidInput(
                "only a virtual clock can be advanced; this platform follows the wall clock"
            )
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not 0 <= seconds < 10 * 365 * 86400
        ):
            raise InvalidInput("seconds must be a number from 0 to ten years", "seconds")
        with self._lock, self.store.transaction(sync=False), batch_of_work():
            start = self.clock.now()
            target = start + seconds
            self._run_until(target)
            self.clock.jump_to(target)
            self._emit(ClockAdvanced(start, target))
            return target

    def advance_to(self, when: float) -> float:
        return self.advance(max(0.0, when - self.clock.now()))

    def run_pending(self, limit: float = 366 * 86400.0) -> float:
        """Advance a virtual clock until nothing is pending (at most `limit` seconds)."""
        with self._lock:
            deadline = self.clock.now() + limit
            while (due := self.scheduler.next_due()) is not None and due <= deadline:
                self.advance_to(due)
            return self.clock.now()

    def _run_until(self, target: float) -> None:
        clock = self.clock if isinstance(self.clock, VirtualClock) else None
        while (timer := self.scheduler.pop_due(target)) is not None:
            if clock is not None and timer.when > clock.now():
                clock.jump_to(timer.when)
            timer.callback(*timer.args)

    def run_due(self) -> int:
        """Run everything due now (for a driver thread under the wall clock)."""
        with self._lock, self.store.transaction(sync=False), batch_of_work():
            ran = 0
            while (timer := self.scheduler.pop_due(self.clock.now())) is not None:
                timer.callback(*timer.args)
                ran += 1
            return ran

    def next_due(self) -> float | None:
        with self._lock:
            return self.scheduler.next_due()

    def wait_for_work(self, timeout: float) -> None:
        """Block a driver thread until work is added or `timeout` passes (wall clock only)."""
        with self._work_added:
            self._work_added.wait(timeout)

    def wake(self) -> None:
        """Wake a driver blocked in `wait_for_work` (to stop it, or to look again)."""
        with self._work_added:
            self._work_added.notify_all()

    # observation --------------------------------------------------------------------
    def attempts(
        self,
        env_id: str,
        *,
        subscription_id: str | None = None,
        event_id: str | None = None,
        kinds: Iterable[str] = ("delivery", "duplicate"),
    ) -> list[AttemptRecord]:
        """The delivery log, oldest first, optionally for one subscription or event."""
        with self._lock:
            wanted = frozenset(kinds)
            return [
                record
                for record in self.store.attempts(self._env(env_id))
                if record.kind in wanted
                and (subscription_id is None or record.subscription_id == subscription_id)
                and (
                    event_id is None or record.event_id == event_id or event_id in record.event_ids
                )
            ]

    def deliveries(self, env_id: str) -> list[Delivery]:
        with self._lock:
            return list(self.store.deliveries(self._env(env_id)))

    def delivery(self, event_id: str, subscription_id: str) -> Delivery | None:
        return self.store.delivery(event_id, subscription_id)

    def undelivered(self, env_id: str) -> list[Delivery]:
        return [d for d in self.deliveries(env_id) if d.state is DeliveryState.UNDELIVERED]

    @property
    def pending_work(self) -> int:
        return len(self.scheduler)
