"""Where the platform keeps its state. `MemoryStore` is for simulations and tests.

The engine owns the rules; the store only keeps records and the indexes the engine needs to
find them without scanning (pending deliveries per subscription, events per hour). The
interface is `Store` (`_storage.py`); here the live objects are the state, so the save points,
transactions and resuming are no-ops (`SqliteStore` adds durability on top of this class).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext

from ._clock import Clock
from ._errors import NotFound
from ._models import (
    ApiClient,
    AttemptRecord,
    Batch,
    Delivery,
    DeliveryCredential,
    Environment,
    Event,
    Subscription,
)
from ._storage import Resume

__all__ = ["MemoryStore"]

HOUR = 3600
_NO_TRANSACTION: AbstractContextManager[None] = nullcontext()


class MemoryStore:
    durable = False

    def __init__(self) -> None:
        self.environments: dict[str, Environment] = {}
        self._subscriptions: dict[str, dict[str, Subscription]] = {}
        self._events: dict[str, dict[str, Event]] = {}
        self._events_by_hour: dict[str, dict[int, list[Event]]] = {}
        self._deliveries: dict[tuple[str, str], Delivery] = {}
        self._pending: dict[str, dict[tuple[str, str], Delivery]] = defaultdict(dict)
        self._log: dict[str, list[AttemptRecord]] = {}
        self._credentials: dict[str, dict[str, DeliveryCredential]] = defaultdict(dict)

    # environments -------------------------------------------------------------------
    def add_environment(self, environment: Environment) -> None:
        self.environments[environment.id] = environment
        self._subscriptions[environment.id] = {}
        self._events[environment.id] = {}
        self._events_by_hour[environment.id] = defaultdict(list)
        self._log[environment.id] = []

    def environment(self, env_id: str) -> Environment:
        try:
            return self.environments[env_id]
        except KeyError:
            raise NotFound(f"environment {env_id!r} does not exist") from None

    # subscriptions ------------------------------------------------------------------
    def add_subscription(self, subscription: Subscription) -> None:
        self._subscriptions[subscription.environment_id][subscription.id] = subscription

    def remove_subscription(self, subscription: Subscription) -> None:
        del self._subscriptions[subscription.environment_id][subscription.id]

    def subscriptions(self, env_id: str) -> list[Subscription]:
        return list(self._subscriptions[env_id].values())

    def subscription(self, env_id: str, sub_id: str) -> Subscription:
        try:
            return self._subscriptions[env_id][sub_id]
        except KeyError:
            raise NotFound(
                f"no webhook subscription {sub_id!r} in environment {env_id!r}"
            ) from None

    def count_subscriptions(self, env_id: str) -> int:
        return len(self._subscriptions[env_id])

    # delivery credentials -------------------------------------------------------------
    def add_credential(self, credential: DeliveryCredential) -> None:
        self._credentials[credential.environment_id][credential.id] = credential

    def remove_credential(self, credential: DeliveryCredential) -> None:
        self._credentials[credential.environment_id].pop(credential.id, None)

    def find_credential(self, env_id: str, credential_id: str) -> DeliveryCredential | None:
        return self._credentials[env_id].get(credential_id)

    def credentials(self, env_id: str) -> list[DeliveryCredential]:
        return list(self._credentials[env_id].values())

    # events -------------------------------------------------------------------------
    def add_event(self, event: Event) -> None:
        self._events[event.environment_id][event.id] = event
        self._events_by_hour[event.environment_id][int(event.published_at // HOUR)].append(event)

    def event(self, env_id: str, event_id: str) -> Event:
        try:
            return self._events[env_id][event_id]
        except KeyError:
            raise NotFound(f"no event {event_id!r} in environment {env_id!r}") from None

    def has_event(self, env_id: str, event_id: str) -> bool:
        return event_id in self._events.get(env_id, ())

    def events(self, env_id: str) -> list[Event]:
        return list(self._events[env_id].values())

    def events_in_hour(self, env_id: str, hour_index: int) -> list[Event]:
        """Events published in [hour_index * 3600, (hour_index + 1) * 3600)."""
        return list(self._events_by_hour[env_id].get(hour_index, ()))

    # deliveries ---------------------------------------------------------------------
    def add_delivery(self, delivery: Delivery) -> None:
        key = delivery.key
        self._deliveries[key] = delivery
        self._pending[delivery.subscription_id][key] = delivery

    def delivery(self, event_id: str, sub_id: str) -> Delivery | None:
        return self._deliveries.get((event_id, sub_id))

    def deliveries(self, env_id: str) -> Iterator[Delivery]:
        return (d for d in self._deliveries.values() if d.environment_id == env_id)

    def pending_for(self, sub_id: str) -> list[Delivery]:
        return list(self._pending.get(sub_id, {}).values())

    def mark_ended(self, delivery: Delivery) -> None:
        self._pending[delivery.subscription_id].pop(delivery.key, None)

    # the delivery log ---------------------------------------------------------------
    def log_attempt(self, record: AttemptRecord) -> None:
        self._log[record.environment_id].append(record)

    def attempts(self, env_id: str) -> list[AttemptRecord]:
        return self._log[env_id]

    # save points, transactions, resuming: the live objects are the state ----------------
    def save_environment(self, environment: Environment) -> None:
        pass

    def save_subscription(self, subscription: Subscription) -> None:
        pass

    def save_delivery(self, delivery: Delivery, due_at: float, order: int) -> None:
        pass

    def attempt_sent(
        self, delivery: Delivery, scheduled_at: float, started_at: float, request_id: str
    ) -> None:
        pass

    def save_batch(self, batch: Batch, due_at: float, order: int) -> None:
        pass

    def add_batch_member(self, batch: Batch, delivery: Delivery) -> None:
        pass

    def batch_sent(
        self, batch: Batch, scheduled_at: float, started_at: float, request_id: str
    ) -> None:
        pass

    def end_batch(self, batch: Batch) -> None:
        pass

    def api_clients(self) -> list[ApiClient]:
        return []  # the Authority keeps its clients

    def save_client(self, client: ApiClient) -> None:
        pass

    def delete_client(self, client_id: str) -> None:
        pass

    def transaction(self, *, sync: bool = True) -> AbstractContextManager[None]:
        return _NO_TRANSACTION

    def flush(self) -> None:
        pass

    def resume(self, clock: Clock, rng: random.Random | None) -> Resume | None:
        return None

    def close(self) -> None:
        pass
