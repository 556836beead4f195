"""The reference webhook platform: the facade users, the API and the runners call.

`Platform` holds environments, subscriptions, delivery credentials and the event log, and
answers queries about them; it hands every delivery to the engine room behind it:

- `_executor.py`: one pipeline that writes, signs, sends and judges every attempt of a
  delivery unit (`_units.py`: a single delivery or a batch) and applies the verdict of the
  delivery rules (`_rules.py`);
- `_writer.py`: the one request writer (envelope and signature);
- `_loop.py`: the run loop that owns time (advance a virtual clock, run what is due, wait);
- `_batching.py`: collects a batched subscription's events into batches;
- `_recovery.py`: picks up what a durable store kept after a restart.

Everything runs on the injected clock and under the platform's lock, so a served API and the
wall-clock driver can share one platform.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from ._auth import Authority
from ._batching import Batcher
from ._clock import Clock, VirtualClock, WallClock
from ._collector import batch_of_work
from ._credentials import TokenCache, check_credential_fields, check_headers_free
from ._errors import Conflict, InvalidInput, NotFound
from ._events import EVENT_TYPES, check_event_data, check_overrides, make_event_data
from ._exchange import Transport
from ._executor import Executor
from ._ids import IdSource
from ._loop import Dispatcher, RunLoop
from ._mapping import MappingLimits
from ._models import (
    AttemptRecord,
    Delivery,
    DeliveryCredential,
    DeliveryState,
    Environment,
    Event,
    Subscription,
)
from ._profile import ATOMIC_PROFILE, Profile
from ._profile_rules import profile_rules
from ._profile_writer import make_secret, profile_envelope, profile_signing
from ._recovery import recover
from ._routes import Routes
from ._scheduler import Scheduler
from ._settings import Settings
from ._signals import Emitter, EventPublished, Listener, SubscriptionChanged
from ._storage import Store
from ._store import MemoryStore
from ._transport import InProcessTransport
from ._validation import SUBSCRIPTION_ATTRIBUTES, check_subscription_fields
from ._writer import USER_AGENT, RequestWriter

__all__ = ["Dispatcher", "Platform"]

_EVENT_SET = frozenset(EVENT_TYPES)
MAX_PUBLISH_COUNT = 100_000


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
        profile: Profile | None = None,
    ) -> None:
        self.clock: Clock = clock if clock is not None else VirtualClock()
        #: The sender whose rules it follows (`ATOMIC_PROFILE` unless told): its signing,
        #: envelope, schedule and disabling; its settings are the default `settings`.
        self.profile = profile if profile is not None else ATOMIC_PROFILE
        self.settings = settings or self.profile.default_settings()
        self._new_secret = make_secret(self.profile)
        self.transport: Transport = transport if transport is not None else InProcessTransport()
        self.store: Store = store if store is not None else MemoryStore()
        self.ids = IdSource(seed)
        # Tokens follow their own clock so that advancing simulated hours never logs anyone
        # out: the wall clock unless the caller gives one.
        self.auth = Authority(
            self.ids, token_clock if token_clock is not None else WallClock(), self.store
        )
        self._lock = threading.RLock()
        self._routes = Routes(self.store)
        # Every change to a subscription is announced: the routes are asked again.
        self._signals = Emitter(on_subscription_change=self._routes.clear)
        self._loop = RunLoop(self.clock, self._lock, self.store, self._signals)
        self._tokens = TokenCache()
        self._executor = Executor(
            store=self.store,
            transport=self.transport,
            loop=self._loop,
            writer=RequestWriter(
                clock=self.clock,
                tokens=self._tokens,
                envelope=profile_envelope(self.profile),
                signing=profile_signing(self.profile),
                user_agent=self.profile.user_agent or USER_AGENT,
            ),
            rules=profile_rules(self.profile),
            ids=self.ids,
            emitter=self._signals,
            keep_bodies=keep_bodies,
        )
        self._batcher = Batcher(self._executor)
        # A seeded source goes on where it was (an unseeded one has nothing worth keeping).
        resume = self.store.resume(self.clock, self.ids.rng if self.ids.seed is not None else None)
        if resume is not None:
            recover(resume, self._executor, self._batcher, self.ids)

    # listeners, lock, dispatcher ----------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        self._signals.listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._signals.listeners.remove(listener)

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    @property
    def keep_bodies(self) -> bool:
        """Whether the delivery log keeps each request's body (False at scale)."""
        return self._executor.keep_bodies

    @keep_bodies.setter
    def keep_bodies(self, keep: bool) -> None:
        self._executor.keep_bodies = keep

    @property
    def scheduler(self) -> Scheduler:
        """The due work, in time order (the run loop's)."""
        return self._loop.scheduler

    @property
    def dispatcher(self) -> Dispatcher | None:
        """Set by the wall-clock driver: real (non-simulated) requests are then sent by its
        workers outside the lock, and their answers finish the attempt under the lock.
        Never used under a virtual clock, whose runs stay sequential and deterministic."""
        return self._loop.dispatcher

    @dispatcher.setter
    def dispatcher(self, dispatcher: Dispatcher | None) -> None:
        self._loop.dispatcher = dispatcher

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
                secret=self._new_secret(self.ids),
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
            self._signals.emit(SubscriptionChanged(subscription, "created", now))
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
            if "credentialId" in fields or "headers" in fields:
                self._check_credential(
                    env_id,
                    fields.get("credentialId", subscription.credential_id),
                    fields.get("headers", subscription.headers),
                )
            for name, value in fields.items():
                setattr(subscription, SUBSCRIPTION_ATTRIBUTES[name], value)
            subscription.updated = self.clock.now()
            self.store.save_subscription(subscription)
            self._signals.emit(SubscriptionChanged(subscription, "updated", subscription.updated))
            return subscription

    def set_secret(self, env_id: str, sub_id: str, secret: str) -> Subscription:
        """Give a subscription a known signing secret (a real receiver is configured with
        its secret before the subscription exists); later deliveries are signed with it."""
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256 or not secret.isprintable():
            raise InvalidInput(
                "secret must be 8 to 256 printable characters (the value is not shown)", "secret"
            )
        with self._lock, self.store.transaction():
            subscription = self.store.subscription(self._env(env_id), sub_id)
            subscription.secret = secret
            subscription.updated = self.clock.now()
            self.store.save_subscription(subscription)
            self._signals.emit(SubscriptionChanged(subscription, "updated", subscription.updated))
            return subscription

    def disable_subscription(self, env_id: str, sub_id: str) -> Subscription:
        """What the seed's DELETE does: stop deliveries, keep the subscription."""
        with self._lock, self.store.transaction():
            subscription = self.store.subscription(self._env(env_id), sub_id)
            if subscription.active:
                self._executor.disable(subscription, "api")
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
                subscription.consecutive_failures = self._executor.rules.failures_after_enable(
                    subscription
                )
                subscription.failing_since = None
                subscription.updated = now
                self.store.save_subscription(subscription)
                self._signals.emit(SubscriptionChanged(subscription, "enabled", now))
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
            self._signals.emit(SubscriptionChanged(subscription, "deleted", self.clock.now()))
            return subscription

    def _env(self, env_id: str) -> str:
        self.store.environment(env_id)
        return env_id

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
            self._loop.settle()
            return events

    def publish_data(self, env_id: str, data: Mapping[str, Any]) -> Event:
        """Publish an event whose `data` the caller wrote in full (an `id` is added if absent)."""
        with self._lock, self.store.transaction():
            self.store.environment(env_id)
            payload, raw = self._checked_data(env_id, data, set())
            event = self._accept(env_id, payload, self.clock.now(), raw)
            self._loop.settle()
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
            self._loop.settle()
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
        if self._signals.listeners:
            self._signals.emit(EventPublished(event))
        for subscription in self._routes.matching(env_id, data):
            delivery = Delivery(event.id, subscription.id, env_id, first_attempt_at=now)
            delivery.next_attempt_at = now
            self.store.add_delivery(delivery)
            if subscription.batch is not None:
                self._batcher.add(subscription, delivery, now)
            else:
                self._executor.queue(delivery, now)
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
            if subscription_id is not None:
                self.store.subscription(env_id, subscription_id)  # NotFound when it is not one
            targets = []
            for subscription in self.store.subscriptions(env_id):
                if subscription_id is not None and subscription.id != subscription_id:
                    continue
                delivery = self.store.delivery(event_id, subscription.id)
                if delivery is not None and subscription.active:
                    targets.append((subscription, delivery))
            if subscription_id is not None and not targets:
                raise Conflict(
                    f"event {event_id!r} was never sent to an active "
                    f"subscription {subscription_id!r}"
                )
            return [
                self._executor.send_copy(event, sub, d.attempts, "duplicate") for sub, d in targets
            ]

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
            if not self._executor.dispatching:
                return self._executor.send_copy(event, subscription, 0, "test")
            send, answered = self._executor.prepare_copy(event, subscription, 0, "test")
        # A real request under the wall clock goes out in the caller's thread without the
        # platform lock (unless the caller holds it), so a slow receiver blocks nothing else.
        result = send()
        with self._lock, self.store.transaction(sync=False):
            return answered(result)

    # delivery credentials ---------------------------------------------------------------
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
            self._tokens.forget(credential)
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
        check_headers_free(credential, headers)

    # time ---------------------------------------------------------------------------------
    def advance(self, seconds: float) -> float:
        """Move a virtual clock forward, running everything due on the way in time order.

        Answers only once every attempt due in that span has finished and been logged.
        """
        return self._loop.advance(seconds)

    def advance_to(self, when: float) -> float:
        return self._loop.advance_to(when)

    def run_pending(self, limit: float = 366 * 86400.0) -> float:
        """Advance a virtual clock until nothing is pending (at most `limit` seconds)."""
        return self._loop.run_pending(limit)

    def run_due(self) -> int:
        """Run everything due now (for a driver thread under the wall clock)."""
        return self._loop.run_due()

    def next_due(self) -> float | None:
        return self._loop.next_due()

    def wait_for_work(self, timeout: float) -> None:
        """Block a driver thread until work is added or `timeout` passes (wall clock only)."""
        self._loop.wait_for_work(timeout)

    def wake(self) -> None:
        """Wake a driver blocked in `wait_for_work` (to stop it, or to look again)."""
        self._loop.wake()

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
        return self._loop.pending
