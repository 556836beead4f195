"""A store whose memory follows the pending work, not the history: for big simulations.

`MemoryStore` keeps every event, delivery and attempt record as live objects: right for
scenarios and tests (a few thousand of each), wrong for a million events, which would take
gigabytes. `SpillingStore` keeps in memory only what pending work needs (pending deliveries,
the events they will send, subscriptions, environments) and appends the rest, as it happens,
to files in a temporary directory:

- the event archive, one file per environment and hour, so that the batched-analytics API
  reads one hour without the others;
- ended deliveries, per environment;
- the delivery log (attempt records), per environment.

Every read the platform offers still works and answers the same records; reads of history
load them from the files (so they cost in proportion to the history they return), and a
lookup of one archived event or ended delivery scans its file. The only thing kept per
event ever published is an integer hash of its id, so that publishing an id twice is still
refused without reading the archive. Records are written in batches of pickles (the files
are private to this process and deleted by `close()`, or when the store is collected).
"""

from __future__ import annotations

import json
import operator
import os
import pickle
import shutil
import tempfile
import weakref
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import fields
from typing import Any, Generic, TypeVar

from ._encoding import encoded_data
from ._errors import NotFound
from ._models import AttemptRecord, Delivery, Environment, Event
from ._store import HOUR, MemoryStore

__all__ = ["SpillingStore"]

#: Records buffered before a batch is written: bounds memory, amortises pickling.
BATCH = 2048
#: Hour files of one environment kept open for appending (events arrive in time order).
OPEN_HOURS = 2


T = TypeVar("T")


class _Rows(Generic[T]):
    """A dataclass's records as plain tuples of its fields: pickling tuples costs a third of
    pickling the objects (whose generated `__getstate__` is Python)."""

    def __init__(self, cls: type[T]) -> None:
        self._cls = cls
        self._names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
        self.row = operator.attrgetter(*self._names)

    def record(self, row: tuple[Any, ...]) -> T:
        return self._cls(**dict(zip(self._names, row, strict=True)))


_DELIVERIES = _Rows(Delivery)
_ATTEMPTS = _Rows(AttemptRecord)


class _BatchFile:
    """An append-only file of pickled batches of records."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._buffer: list[Any] = []

    def append(self, record: Any) -> None:
        self._buffer.append(record)
        if len(self._buffer) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            with open(self.path, "ab") as file:
                pickle.dump(self._buffer, file, pickle.HIGHEST_PROTOCOL)
            self._buffer = []

    def __iter__(self) -> Iterator[Any]:
        self.flush()
        if not os.path.exists(self.path):
            return
        with open(self.path, "rb") as file:
            while True:
                try:
                    batch = pickle.load(file)
                except EOFError:
                    return
                yield from batch


class SpillingStore(MemoryStore):
    """`MemoryStore` that spills history to files in `directory` (default: the system's
    temporary directory) and keeps only what pending deliveries need in memory."""

    def __init__(self, directory: str | None = None) -> None:
        super().__init__()
        self._dir = tempfile.mkdtemp(prefix="hooksim-spill-", dir=directory)
        # Deleted by close(), or when the store is collected or the process exits.
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._dir, ignore_errors=True)
        self._prefixes: dict[str, str] = {}
        #: Events that pending deliveries will send, and how many deliveries claim each.
        self._live_events: dict[tuple[str, str], Event] = {}
        self._claims: dict[tuple[str, str], int] = defaultdict(int)
        #: The last event added: its deliveries are added right after it (see add_event).
        self._unclaimed: tuple[str, str] | None = None
        self._seen: dict[str, set[int]] = {}
        self._hours: dict[str, dict[int, _BatchFile]] = {}
        self._ended: dict[str, _BatchFile] = {}
        self._attempt_files: dict[str, _BatchFile] = {}

    @property
    def directory(self) -> str:
        return self._dir

    def close(self) -> None:
        """Delete the files; the store must not be used afterwards."""
        self._cleanup()

    def _file(self, env_id: str, name: str) -> _BatchFile:
        return _BatchFile(os.path.join(self._dir, f"{self._prefixes[env_id]}.{name}"))

    # environments -------------------------------------------------------------------
    def add_environment(self, environment: Environment) -> None:
        super().add_environment(environment)
        env_id = environment.id
        # Environment ids come from users: files are named by number, not by id.
        self._prefixes[env_id] = f"env{len(self._prefixes)}"
        self._seen[env_id] = set()
        self._hours[env_id] = {}
        self._ended[env_id] = self._file(env_id, "deliveries")
        self._attempt_files[env_id] = self._file(env_id, "attempts")

    # events -------------------------------------------------------------------------
    def add_event(self, event: Event) -> None:
        env_id = event.environment_id
        # The engine adds an event's deliveries right after the event: by the time the next
        # event arrives, an event that no delivery claimed is needed by no pending work.
        if self._unclaimed is not None and not self._claims.get(self._unclaimed):
            self._live_events.pop(self._unclaimed, None)
        key = (env_id, event.id)
        self._unclaimed = key
        self._live_events[key] = event
        self._seen[env_id].add(hash(event.id))
        hour = int(event.published_at // HOUR)
        files = self._hours[env_id]
        file = files.get(hour)
        if file is None:
            file = files[hour] = self._file(env_id, f"events.{hour}")
            for older in sorted(files)[:-OPEN_HOURS]:
                files[older].flush()
        file.append((event.id, event.type, event.published_at, encoded_data(event)))

    def event(self, env_id: str, event_id: str) -> Event:
        event = self._live_events.get((env_id, event_id))
        if event is not None:
            return event
        if hash(event_id) in self._seen.get(env_id, ()):
            for archived in self.events(env_id):
                if archived.id == event_id:
                    return archived
        raise NotFound(f"no event {event_id!r} in environment {env_id!r}")

    def has_event(self, env_id: str, event_id: str) -> bool:
        if (env_id, event_id) in self._live_events:
            return True
        if hash(event_id) not in self._seen.get(env_id, ()):
            return False  # never published (the usual answer: no file is read)
        return any(archived.id == event_id for archived in self.events(env_id))

    def events(self, env_id: str) -> list[Event]:
        return [e for hour in sorted(self._hours[env_id]) for e in self._read_hour(env_id, hour)]

    def events_in_hour(self, env_id: str, hour_index: int) -> list[Event]:
        if hour_index not in self._hours.get(env_id, {}):
            return []
        return list(self._read_hour(env_id, hour_index))

    def _read_hour(self, env_id: str, hour: int) -> Iterator[Event]:
        for event_id, event_type, published_at, data_json in self._hours[env_id][hour]:
            live = self._live_events.get((env_id, event_id))
            if live is not None:
                yield live
            else:
                data = json.loads(data_json)
                yield Event(event_id, env_id, event_type, data, published_at, data_json)

    # deliveries ---------------------------------------------------------------------
    def add_delivery(self, delivery: Delivery) -> None:
        super().add_delivery(delivery)
        self._claims[(delivery.environment_id, delivery.event_id)] += 1

    def mark_ended(self, delivery: Delivery) -> None:
        super().mark_ended(delivery)
        if self._deliveries.pop(delivery.key, None) is None:
            return  # already archived
        self._ended[delivery.environment_id].append(_DELIVERIES.row(delivery))
        key = (delivery.environment_id, delivery.event_id)
        self._claims[key] -= 1
        if not self._claims[key]:
            del self._claims[key]
            if key != self._unclaimed:
                self._live_events.pop(key, None)

    def delivery(self, event_id: str, sub_id: str) -> Delivery | None:
        live = self._deliveries.get((event_id, sub_id))
        if live is not None:
            return live
        for env_id in self._ended:
            for delivery in self._ended_deliveries(env_id):
                if delivery.event_id == event_id and delivery.subscription_id == sub_id:
                    return delivery
        return None

    def deliveries(self, env_id: str) -> Iterator[Delivery]:
        """Ended deliveries in the order they ended, then the pending ones."""
        yield from self._ended_deliveries(env_id)
        yield from super().deliveries(env_id)

    def _ended_deliveries(self, env_id: str) -> Iterator[Delivery]:
        return map(_DELIVERIES.record, self._ended[env_id])

    # the delivery log ---------------------------------------------------------------
    def log_attempt(self, record: AttemptRecord) -> None:
        self._attempt_files[record.environment_id].append(_ATTEMPTS.row(record))

    def attempts(self, env_id: str) -> list[AttemptRecord]:
        return [_ATTEMPTS.record(row) for row in self._attempt_files[env_id]]

    # what is in memory --------------------------------------------------------------
    @property
    def live_counts(self) -> dict[str, int]:
        """How many records memory holds now (for tests and the benchmark)."""
        return {
            "events": len(self._live_events),
            "deliveries": len(self._deliveries),
            "pending": sum(len(p) for p in self._pending.values()),
        }
