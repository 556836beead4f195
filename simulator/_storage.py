"""The storage interface: what the engine asks of the place that keeps its state.

Two stores implement it. `MemoryStore` keeps the live objects and nothing else (simulations,
tests: its save points are no-ops, so the in-memory path costs nothing extra). `SqliteStore`
keeps the same live objects and writes every change through to a SQLite file, so that
`hooksim serve --db FILE` resumes after a restart or a crash.

The engine (`Platform`) owns the rules and calls the store at each state change:

- *records*: `add_*`, `remove_subscription`, `mark_ended`, `log_attempt` register records;
- *save points*: `save_environment`, `save_subscription`, `save_delivery` (a delivery's next
  attempt is queued), `attempt_sent` (an attempt is about to leave), `save_client`,
  `delete_client` record changes to live objects; a batched subscription's batches have their
  own (`save_batch`, `add_batch_member`, `batch_sent`, `end_batch`), so that a batch keeps its
  events, its first attempt and its retry schedule across a restart;
- *transactions*: each operation (an API call, a timer callback, a receiver's answer) runs in
  `transaction()`, so a crash never leaves half of it. `flush()` commits what is done so far
  before a request leaves the process: a crash after that point re-sends the request (and the
  log shows it), it never loses it;
- *resuming*: `resume(clock, rng)` binds the platform's clock and random source (a durable
  store saves them with every commit) and answers what a restarted platform must pick up.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from ._clock import Clock
from ._errors import HooksimError
from ._models import (
    ApiClient,
    AttemptRecord,
    Batch,
    BatchPolicy,
    Delivery,
    DeliveryCredential,
    Environment,
    Event,
    Subscription,
)

__all__ = ["Queued", "QueuedBatch", "Resume", "SentAttempt", "Store", "StoreError"]


class StoreError(HooksimError):
    """The store cannot be opened or used as asked (a file in use, another clock...)."""

    code = "store_error"


@dataclass(frozen=True, slots=True)
class SentAttempt:
    """An attempt that left the process and whose answer was never recorded."""

    attempt: int
    scheduled_at: float
    started_at: float
    request_id: str


@dataclass(frozen=True, slots=True)
class Queued:
    """A pending delivery as it was queued: due at `due_at`, `order` among equal times."""

    delivery: Delivery
    due_at: float
    order: int
    sent: SentAttempt | None = None


@dataclass(frozen=True, slots=True)
class QueuedBatch:
    """A batch as it was saved: its events, where it stood, and when its next step is due
    (its first attempt while `first_attempt_at` is None, else a retry)."""

    number: int
    environment_id: str
    subscription_id: str
    policy: BatchPolicy
    members: list[Delivery]
    #: Still collecting events (the subscription's open batch).
    collecting: bool
    first_attempt_at: float | None
    next_attempt_at: float | None
    attempts: int
    due_at: float
    order: int
    sent: SentAttempt | None = None


@dataclass(frozen=True, slots=True)
class Resume:
    """What a restarted platform picks up from a durable store."""

    #: The virtual clock's time at the last commit (None: a new store, or the wall clock).
    now: float | None = None
    #: The seeded random source's state at the last commit (None: nothing saved).
    random_state: tuple | None = None
    #: Every pending delivery, in the order its next attempt was queued (batch members are
    #: in `batches` instead).
    queue: list[Queued] = field(default_factory=list)
    #: Every batch still collecting, waiting or retrying, in the order it was queued.
    batches: list[QueuedBatch] = field(default_factory=list)
    #: The highest batch number ever used (new batches are numbered after it).
    batch_numbers: int = 0


class Store(Protocol):
    """Where a platform keeps environments, subscriptions, events, deliveries and the log."""

    #: Whether the state outlives the process (the engine then records, under its lock, that
    #: a request is leaving before a worker sends it).
    durable: bool

    @property
    def environments(self) -> Mapping[str, Environment]: ...

    # records ------------------------------------------------------------------------
    def add_environment(self, environment: Environment) -> None: ...
    def environment(self, env_id: str) -> Environment: ...
    def add_subscription(self, subscription: Subscription) -> None: ...
    def remove_subscription(self, subscription: Subscription) -> None: ...
    def subscriptions(self, env_id: str) -> list[Subscription]: ...
    def subscription(self, env_id: str, sub_id: str) -> Subscription: ...
    def count_subscriptions(self, env_id: str) -> int: ...
    def add_event(self, event: Event) -> None: ...
    def event(self, env_id: str, event_id: str) -> Event: ...
    def has_event(self, env_id: str, event_id: str) -> bool:
        """Whether an event with this id was published in `env_id` (without raising)."""

    def events(self, env_id: str) -> list[Event]: ...
    def events_in_hour(self, env_id: str, hour_index: int) -> list[Event]: ...
    def add_delivery(self, delivery: Delivery) -> None: ...
    def delivery(self, event_id: str, sub_id: str) -> Delivery | None: ...
    def deliveries(self, env_id: str) -> Iterator[Delivery]: ...
    def pending_for(self, sub_id: str) -> list[Delivery]: ...
    def mark_ended(self, delivery: Delivery) -> None: ...
    def log_attempt(self, record: AttemptRecord) -> None: ...
    def attempts(self, env_id: str) -> list[AttemptRecord]: ...
    def add_credential(self, credential: DeliveryCredential) -> None: ...
    def remove_credential(self, credential: DeliveryCredential) -> None: ...
    def find_credential(self, env_id: str, credential_id: str) -> DeliveryCredential | None: ...
    def credentials(self, env_id: str) -> list[DeliveryCredential]: ...

    # save points --------------------------------------------------------------------
    def save_environment(self, environment: Environment) -> None: ...
    def save_subscription(self, subscription: Subscription) -> None: ...
    def save_delivery(self, delivery: Delivery, due_at: float, order: int) -> None:
        """The delivery's next attempt is queued at `due_at` (`order` breaks ties)."""

    def attempt_sent(
        self, delivery: Delivery, scheduled_at: float, started_at: float, request_id: str
    ) -> None:
        """Attempt `delivery.attempts` is leaving; until its answer is logged it is in flight."""

    def save_batch(self, batch: Batch, due_at: float, order: int) -> None:
        """The batch's next step (its first attempt, or a retry) is queued at `due_at`."""

    def add_batch_member(self, batch: Batch, delivery: Delivery) -> None:
        """`delivery` (already added) joined `batch`."""

    def batch_sent(
        self, batch: Batch, scheduled_at: float, started_at: float, request_id: str
    ) -> None:
        """Attempt `batch.attempts` of the batch is leaving (in flight until answered)."""

    def end_batch(self, batch: Batch) -> None:
        """Nothing more is sent for the batch (its events have ended)."""

    def api_clients(self) -> list[ApiClient]: ...
    def save_client(self, client: ApiClient) -> None: ...
    def delete_client(self, client_id: str) -> None: ...

    # transactions -------------------------------------------------------------------
    def transaction(self, *, sync: bool = True) -> AbstractContextManager[None]:
        """Group one operation. `sync`: the commit must reach the disk before the caller is
        answered (API calls); engine work whose loss only causes a re-send needs not. A
        transaction opened inside another joins it (the outer one's `sync` applies)."""

    def flush(self) -> None:
        """Commit what the current operation did so far (before a request leaves)."""

    # resuming -----------------------------------------------------------------------
    def resume(self, clock: Clock, rng: random.Random | None) -> Resume | None:
        """Bind the clock and the seeded random source (None when unseeded); answer what to
        pick up (None: nothing to resume)."""

    def close(self) -> None: ...
