"""A durable store: the live objects of `MemoryStore`, written through to a SQLite file.

`hooksim serve --db FILE` keeps its state here; restarting on the same file (after a clean stop,
a crash or `kill -9`) resumes it: environments and their settings, API clients, subscriptions
with their status and counters, events, every pending delivery (attempts so far, first attempt,
next due time, queue order, an attempt in flight), the batches of batched subscriptions (their
events, first attempt, attempts so far, next due time, an attempt in flight), the delivery log,
the virtual clock's time and the seeded random source, delivery credentials. Bearer tokens and
cached identity tokens are not kept: after a restart callers ask for a new token (and the
platform for a new identity token).

Reads come from memory, exactly as with `MemoryStore`; every change is written in the
transaction of the operation that made it (one API call, one timer callback, one answer).

Durability (WAL journal):
- an operation that answers an API caller (subscribe, publish, configure, a new client...)
  commits with `synchronous=FULL`: once the caller has its answer, the change survives a
  crash of the process and a power loss;
- engine work (attempts, answers, retries, the clock moving) commits with `synchronous=NORMAL`:
  it survives a crash or `kill -9` of the process; a power loss may undo the last of these
  commits, which only makes the platform send an attempt again (at-least-once), never lose an
  event, a subscription or a pending retry;
- before a request leaves, the fact that it is leaving is committed (`flush`): an attempt in
  flight at a crash is logged as interrupted and sent again after the restart.
The file is opened in exclusive locking mode: a second process cannot serve the same file.

What the file holds is secret: API clients' secrets, delivery credentials with their secrets
(client secrets, passwords, API keys, AWS secret keys), subscriptions' signing secrets, every
event's data and the delivery log with the request bodies. A new file is created readable and
writable by its owner only (0600), and so are its WAL and shared-memory files (SQLite gives
them the database file's permissions; they are tightened again once open). An existing file
that others can read is served as it is, with a warning.

A file that is not a hooksim database, that is damaged, or that is empty (0 bytes, so not
one hooksim wrote) is refused with a StoreError that says so (`hooksim serve` exits 2), and
left exactly as it was: it is never replaced by a new platform.
"""

from __future__ import annotations

import json
import logging
import os
import random
import sqlite3
import stat
import threading
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._clock import Clock
from ._encoding import encoded_data
from ._models import (
    ApiClient,
    AttemptRecord,
    Batch,
    BatchPolicy,
    Delivery,
    DeliveryCredential,
    DeliveryState,
    Environment,
    Event,
    Subscription,
)
from ._records import decode, encode
from ._settings import Settings
from ._storage import Queued, QueuedBatch, Resume, SentAttempt, StoreError
from ._store import MemoryStore

__all__ = ["SCHEMA_VERSION", "SqliteStore"]

log = logging.getLogger("hooksim.serve")

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);
CREATE TABLE IF NOT EXISTS environments (
    id TEXT PRIMARY KEY, created REAL NOT NULL, settings TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_clients (
    client_id TEXT PRIMARY KEY, secret TEXT NOT NULL, role TEXT NOT NULL,
    environment_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS delivery_credentials (
    environment_id TEXT NOT NULL, id TEXT NOT NULL, record TEXT NOT NULL,
    PRIMARY KEY (environment_id, id));
CREATE TABLE IF NOT EXISTS subscriptions (
    environment_id TEXT NOT NULL, id TEXT NOT NULL, record TEXT NOT NULL,
    PRIMARY KEY (environment_id, id));
CREATE TABLE IF NOT EXISTS events (
    environment_id TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL,
    published_at REAL NOT NULL, data BLOB NOT NULL, PRIMARY KEY (environment_id, id));
CREATE TABLE IF NOT EXISTS deliveries (
    event_id TEXT NOT NULL, subscription_id TEXT NOT NULL, environment_id TEXT NOT NULL,
    state TEXT NOT NULL, record TEXT NOT NULL, due_at REAL, queue_order INTEGER,
    sent_attempt INTEGER, sent_scheduled_at REAL, sent_started_at REAL, sent_request_id TEXT,
    PRIMARY KEY (event_id, subscription_id));
CREATE TABLE IF NOT EXISTS attempts (
    environment_id TEXT NOT NULL, event_id TEXT NOT NULL, subscription_id TEXT NOT NULL,
    attempt INTEGER NOT NULL, kind TEXT NOT NULL, outcome TEXT NOT NULL, request_id TEXT NOT NULL,
    record TEXT NOT NULL, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS batches (
    number INTEGER PRIMARY KEY, environment_id TEXT NOT NULL, subscription_id TEXT NOT NULL,
    policy TEXT NOT NULL, collecting INTEGER NOT NULL, first_attempt_at REAL,
    next_attempt_at REAL, attempts INTEGER NOT NULL, due_at REAL, queue_order INTEGER,
    done INTEGER NOT NULL DEFAULT 0, sent_attempt INTEGER, sent_scheduled_at REAL,
    sent_started_at REAL, sent_request_id TEXT);
CREATE TABLE IF NOT EXISTS batch_members (
    number INTEGER NOT NULL, event_id TEXT NOT NULL, subscription_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS batch_members_by_number ON batch_members (number);
"""

# The queue columns and the in-flight attempt are what a restart needs; `record` is the rest.
_UPSERT_DELIVERY = """
INSERT INTO deliveries (event_id, subscription_id, environment_id, state, record, due_at,
    queue_order)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (event_id, subscription_id) DO UPDATE SET
    state = excluded.state, record = excluded.record, due_at = excluded.due_at,
    queue_order = excluded.queue_order, sent_attempt = NULL, sent_scheduled_at = NULL,
    sent_started_at = NULL, sent_request_id = NULL
"""

# A batch's header: where it stands and when its next step is due (its members are rows of
# batch_members, in the order they joined). A batch that ended is kept, marked done.
_UPSERT_BATCH = """
INSERT INTO batches (number, environment_id, subscription_id, policy, collecting,
    first_attempt_at, next_attempt_at, attempts, due_at, queue_order)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (number) DO UPDATE SET
    collecting = excluded.collecting, first_attempt_at = excluded.first_attempt_at,
    next_attempt_at = excluded.next_attempt_at, attempts = excluded.attempts,
    due_at = excluded.due_at, queue_order = excluded.queue_order, sent_attempt = NULL,
    sent_scheduled_at = NULL, sent_started_at = NULL, sent_request_id = NULL
"""


class SqliteStore(MemoryStore):
    """`SqliteStore(path)`: a file (created if absent), or `":memory:"` (gone on close)."""

    durable = True

    def __init__(self, path: str | os.PathLike[str] = ":memory:") -> None:
        super().__init__()
        self.path = os.fspath(path)
        self._lock = threading.RLock()
        self._depth = 0  # nesting of transaction()
        self._begun = False  # a write transaction is open in SQLite
        self._sync = False  # the open operation must commit with synchronous=FULL
        self._synchronous = ""  # the connection's current level
        self._clock: Clock | None = None
        self._rng: random.Random | None = None
        self._saved_now: float | None = None
        self._saved_random: tuple | None = None
        self._clients: list[ApiClient] = []
        self._resume = Resume()
        self._closed = False
        on_disk = self.path != ":memory:" and not self.path.startswith("file:")
        if on_disk:
            _prepare_file(self.path)
        try:
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=2.0
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database {self.path!r}: {exc}") from None
        try:
            self._open()
            if on_disk:
                _owner_only(self.path)
            self._load()
        except (sqlite3.DatabaseError, ValueError, KeyError, TypeError) as exc:
            self._db.close()
            raise _damaged(self.path, exc) from None
        except BaseException:
            self._db.close()
            raise

    # opening ----------------------------------------------------------------------------
    def _open(self) -> None:
        db = self._db
        try:
            db.execute("PRAGMA locking_mode = EXCLUSIVE")
            db.execute("PRAGMA journal_mode = WAL")
            self._set_synchronous(False)
            db.execute("BEGIN IMMEDIATE")  # takes the exclusive lock now, not at first write
            problems = [row[0] for row in db.execute("PRAGMA quick_check(3)")]
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                raise StoreError(
                    f"the database {self.path!r} is in use by another process (one hooksim "
                    "serve per file)"
                ) from None
            raise StoreError(f"cannot open the database {self.path!r}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc):
                raise StoreError(f"{self.path!r} is not a hooksim database: {exc}") from None
            raise _damaged(self.path, exc) from None
        if problems != ["ok"]:
            db.execute("ROLLBACK")
            raise _damaged(self.path, "; ".join(problems))
        try:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            version = self._meta("schema")
            if version is None:
                self._set_meta("schema", SCHEMA_VERSION)
            elif version != SCHEMA_VERSION:
                raise StoreError(
                    f"the database {self.path!r} has schema version {version}; this hooksim "
                    f"reads version {SCHEMA_VERSION}"
                )
        finally:
            db.execute("COMMIT")

    def _load(self) -> None:
        db = self._db
        for env_id, created, settings in db.execute(
            "SELECT id, created, settings FROM environments ORDER BY rowid"
        ):
            super().add_environment(Environment(env_id, decode(Settings, settings), created))
        for (record,) in db.execute("SELECT record FROM delivery_credentials ORDER BY rowid"):
            super().add_credential(decode(DeliveryCredential, record))
        for (record,) in db.execute("SELECT record FROM subscriptions ORDER BY rowid"):
            super().add_subscription(decode(Subscription, record))
        for env_id, event_id, event_type, published_at, data in db.execute(
            "SELECT environment_id, id, type, published_at, data FROM events ORDER BY rowid"
        ):
            data = bytes(data)
            event = Event(event_id, env_id, event_type, json.loads(data), published_at, data)
            super().add_event(event)
        for record, body in db.execute("SELECT record, body FROM attempts ORDER BY rowid"):
            super().log_attempt(decode(AttemptRecord, record, body=bytes(body)))
        self._clients = [
            ApiClient(client_id, secret, role, env_id)
            for client_id, secret, role, env_id in db.execute(
                "SELECT client_id, secret, role, environment_id FROM api_clients ORDER BY rowid"
            )
        ]
        pending: list[tuple[Delivery, float | None, int | None, SentAttempt | None]] = []
        for record, due_at, order, *sent in db.execute(
            "SELECT record, due_at, queue_order, sent_attempt, sent_scheduled_at, "
            "sent_started_at, sent_request_id FROM deliveries ORDER BY rowid"
        ):
            delivery = decode(Delivery, record)
            self._deliveries[delivery.key] = delivery
            if delivery.state is not DeliveryState.PENDING:
                continue
            self._pending[delivery.subscription_id][delivery.key] = delivery
            pending.append(
                (delivery, due_at, order, None if sent[0] is None else SentAttempt(*sent))
            )
        batches = self._load_batches()
        in_batches = {m.key for batch in batches for m in batch.members}
        queue = []
        for delivery, due_at, order, in_flight in pending:
            if delivery.key in in_batches:
                continue  # its batch decides when it is sent
            if due_at is None:  # a batch's member in a file whose batches were not kept
                due_at = delivery.first_attempt_at
            queue.append(Queued(delivery, due_at, order or 0, in_flight))
        queue.sort(key=lambda queued: (queued.due_at, queued.order))
        now = self._meta("now")
        random_state = self._meta("random")
        (numbers,) = db.execute("SELECT coalesce(max(number), 0) FROM batches").fetchone()
        self._resume = Resume(
            now=now,
            random_state=_decode_random(random_state) if random_state else None,
            queue=queue,
            batches=batches,
            batch_numbers=numbers,
        )

    def _load_batches(self) -> list[QueuedBatch]:
        """The batches that had not ended, with their members, in the order they were queued."""
        db = self._db
        members: dict[int, list[Delivery]] = {}
        for number, event_id, subscription_id in db.execute(
            "SELECT m.number, m.event_id, m.subscription_id FROM batch_members AS m "
            "JOIN batches AS b ON b.number = m.number WHERE b.done = 0 ORDER BY m.rowid"
        ):
            delivery = self._deliveries.get((event_id, subscription_id))
            if delivery is not None:
                members.setdefault(number, []).append(delivery)
        batches = []
        for row in db.execute(
            "SELECT number, environment_id, subscription_id, policy, collecting, "
            "first_attempt_at, next_attempt_at, attempts, due_at, queue_order, sent_attempt, "
            "sent_scheduled_at, sent_started_at, sent_request_id FROM batches WHERE done = 0"
        ):
            number, env_id, sub_id, policy, collecting, first, following, attempts = row[:8]
            due_at, order, *sent = row[8:]
            batches.append(
                QueuedBatch(
                    number=number,
                    environment_id=env_id,
                    subscription_id=sub_id,
                    policy=decode(BatchPolicy, policy),
                    members=members.get(number, []),
                    collecting=bool(collecting),
                    first_attempt_at=first,
                    next_attempt_at=following,
                    attempts=attempts,
                    due_at=due_at if due_at is not None else 0.0,
                    order=order or 0,
                    sent=None if sent[0] is None else SentAttempt(*sent),
                )
            )
        batches.sort(key=lambda batch: (batch.due_at, batch.order))
        return batches

    def resume(self, clock: Clock, rng: random.Random | None) -> Resume:
        """Bind the clock and the random source (saved with every commit from now on) and
        answer what the platform picks up. A file served under one clock cannot be resumed
        under the other: its times would not mean the same."""
        kind = "virtual" if clock.is_virtual else "wall"
        with self._lock:
            saved_kind = self._meta("clock")
            if saved_kind is not None and saved_kind != kind:
                raise StoreError(
                    f"the database {self.path!r} was served with the {saved_kind} clock; "
                    f"resume it with the same clock (--clock {saved_kind})"
                )
            if saved_kind is None:
                self._set_meta("clock", kind)
            self._clock = clock if clock.is_virtual else None
            self._rng = rng
            resume, self._resume = self._resume, Resume()
            self._saved_now = resume.now
            self._saved_random = resume.random_state
            return resume

    # transactions -----------------------------------------------------------------------
    @contextmanager
    def transaction(self, *, sync: bool = True) -> Iterator[None]:
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._sync = sync
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if outer:
                    self._commit()

    def flush(self) -> None:
        with self._lock:
            if self._depth:
                self._commit()
                # What the caller is answered is now on disk; the rest of the operation is
                # engine work that a power loss may only make redo.
                self._sync = False

    def _write(self, sql: str, parameters: tuple | list = ()) -> None:
        with self._lock:
            if self._depth:
                self._begin()
                self._db.execute(sql, parameters)
            else:
                with self.transaction():
                    self._begin()
                    self._db.execute(sql, parameters)

    def _begin(self) -> None:
        if not self._begun:
            self._set_synchronous(self._sync)
            self._db.execute("BEGIN IMMEDIATE")
            self._begun = True

    def _commit(self) -> None:
        self._save_moving_parts()
        if self._begun:
            self._begun = False
            self._db.execute("COMMIT")

    def _save_moving_parts(self) -> None:
        """The virtual clock's time and the random source's state go with every commit."""
        if self._clock is not None:
            now = self._clock.now()
            if now != self._saved_now:
                self._begin()
                self._set_meta("now", now)
                self._saved_now = now
        if self._rng is not None:
            state = self._rng.getstate()
            if state != self._saved_random:
                self._begin()
                self._set_meta("random", _encode_random(state))
                self._saved_random = state

    def _set_synchronous(self, sync: bool) -> None:
        level = "FULL" if sync else "NORMAL"
        if level != self._synchronous:
            self._db.execute(f"PRAGMA synchronous = {level}")
            self._synchronous = level

    def _meta(self, key: str) -> Any:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def _set_meta(self, key: str, value: Any) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def close(self) -> None:
        """Commit what is open and close the file (safe to call twice)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                if self._begun:
                    self._commit()
            finally:
                self._db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # environments and clients -----------------------------------------------------------
    def add_environment(self, environment: Environment) -> None:
        super().add_environment(environment)
        self.save_environment(environment)

    def save_environment(self, environment: Environment) -> None:
        self._write(
            "INSERT INTO environments (id, created, settings) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET settings = excluded.settings",
            (environment.id, environment.created, encode(environment.settings)),
        )

    def api_clients(self) -> list[ApiClient]:
        return list(self._clients)

    def save_client(self, client: ApiClient) -> None:
        self._write(
            "INSERT OR REPLACE INTO api_clients (client_id, secret, role, environment_id) "
            "VALUES (?, ?, ?, ?)",
            (client.client_id, client.secret, client.role, client.environment_id),
        )

    def delete_client(self, client_id: str) -> None:
        self._write("DELETE FROM api_clients WHERE client_id = ?", (client_id,))

    # delivery credentials ---------------------------------------------------------------
    def add_credential(self, credential: DeliveryCredential) -> None:
        super().add_credential(credential)
        self._write(
            "INSERT OR REPLACE INTO delivery_credentials (environment_id, id, record) "
            "VALUES (?, ?, ?)",
            # Secrets included, as in memory; a cached identity token is fetched again.
            (credential.environment_id, credential.id, encode(credential)),
        )

    def remove_credential(self, credential: DeliveryCredential) -> None:
        super().remove_credential(credential)
        self._write(
            "DELETE FROM delivery_credentials WHERE environment_id = ? AND id = ?",
            (credential.environment_id, credential.id),
        )

    # subscriptions ----------------------------------------------------------------------
    def add_subscription(self, subscription: Subscription) -> None:
        super().add_subscription(subscription)
        self.save_subscription(subscription)

    def save_subscription(self, subscription: Subscription) -> None:
        self._write(
            "INSERT INTO subscriptions (environment_id, id, record) VALUES (?, ?, ?) "
            "ON CONFLICT (environment_id, id) DO UPDATE SET record = excluded.record",
            (subscription.environment_id, subscription.id, encode(subscription)),
        )

    def remove_subscription(self, subscription: Subscription) -> None:
        super().remove_subscription(subscription)
        self._write(
            "DELETE FROM subscriptions WHERE environment_id = ? AND id = ?",
            (subscription.environment_id, subscription.id),
        )

    # events -----------------------------------------------------------------------------
    def add_event(self, event: Event) -> None:
        super().add_event(event)
        # The bytes every copy of the event is sent with: the same after a restart.
        data = encoded_data(event)
        self._write(
            "INSERT INTO events (environment_id, id, type, published_at, data) "
            "VALUES (?, ?, ?, ?, ?)",
            (event.environment_id, event.id, event.type, event.published_at, data),
        )

    # deliveries -------------------------------------------------------------------------
    def add_delivery(self, delivery: Delivery) -> None:
        super().add_delivery(delivery)
        self._save_delivery(delivery, None, None)

    def save_delivery(self, delivery: Delivery, due_at: float, order: int) -> None:
        self._save_delivery(delivery, due_at, order)

    def _save_delivery(self, delivery: Delivery, due_at: float | None, order: int | None) -> None:
        self._write(
            _UPSERT_DELIVERY,
            (
                delivery.event_id,
                delivery.subscription_id,
                delivery.environment_id,
                str(delivery.state),
                encode(delivery),
                due_at,
                order,
            ),
        )

    def attempt_sent(
        self, delivery: Delivery, scheduled_at: float, started_at: float, request_id: str
    ) -> None:
        self._write(
            "UPDATE deliveries SET record = ?, sent_attempt = ?, sent_scheduled_at = ?, "
            "sent_started_at = ?, sent_request_id = ? "
            "WHERE event_id = ? AND subscription_id = ?",
            (
                encode(delivery),
                delivery.attempts,
                scheduled_at,
                started_at,
                request_id,
                delivery.event_id,
                delivery.subscription_id,
            ),
        )

    def mark_ended(self, delivery: Delivery) -> None:
        super().mark_ended(delivery)
        self._save_delivery(delivery, None, None)

    # batches ----------------------------------------------------------------------------
    def save_batch(self, batch: Batch, due_at: float, order: int) -> None:
        self._write(
            _UPSERT_BATCH,
            (
                batch.number,
                batch.environment_id,
                batch.subscription_id,
                encode(batch.policy),
                int(batch.collecting),
                batch.first_attempt_at,
                batch.next_attempt_at,
                batch.attempts,
                due_at,
                order,
            ),
        )

    def add_batch_member(self, batch: Batch, delivery: Delivery) -> None:
        self._write(
            "INSERT INTO batch_members (number, event_id, subscription_id) VALUES (?, ?, ?)",
            (batch.number, delivery.event_id, delivery.subscription_id),
        )

    def batch_sent(
        self, batch: Batch, scheduled_at: float, started_at: float, request_id: str
    ) -> None:
        self._write(
            "UPDATE batches SET collecting = ?, first_attempt_at = ?, next_attempt_at = ?, "
            "attempts = ?, sent_attempt = ?, sent_scheduled_at = ?, sent_started_at = ?, "
            "sent_request_id = ? WHERE number = ?",
            (
                int(batch.collecting),
                batch.first_attempt_at,
                batch.next_attempt_at,
                batch.attempts,
                batch.attempts,
                scheduled_at,
                started_at,
                request_id,
                batch.number,
            ),
        )

    def end_batch(self, batch: Batch) -> None:
        self._write(
            "UPDATE batches SET done = 1, due_at = NULL, queue_order = NULL, sent_attempt = NULL, "
            "sent_scheduled_at = NULL, sent_started_at = NULL, sent_request_id = NULL "
            "WHERE number = ?",
            (batch.number,),
        )

    # the delivery log -------------------------------------------------------------------
    def log_attempt(self, record: AttemptRecord) -> None:
        super().log_attempt(record)
        self._write(
            "INSERT INTO attempts (environment_id, event_id, subscription_id, attempt, kind, "
            "outcome, request_id, record, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.environment_id,
                record.event_id,
                record.subscription_id,
                record.attempt,
                record.kind,
                str(record.outcome),
                record.request_id,
                encode(record, skip=("body",)),
                record.body,
            ),
        )


def _encode_random(state: tuple) -> str:
    """`random.Random.getstate()` as text: version, the 625 words (hex), gauss_next."""
    version, words, gauss_next = state
    return json.dumps([version, array("I", words).tobytes().hex(), gauss_next])


def _prepare_file(path: str) -> None:
    """Refuse an empty file (not one hooksim wrote: never silently a new platform); create
    a missing one readable by its owner only, before SQLite creates it with the umask's."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            return  # created meanwhile: SQLite opens it as it is
        except OSError as exc:
            raise StoreError(f"cannot create the database {path!r}: {exc.strerror}") from None
        return
    except OSError as exc:
        raise StoreError(f"cannot open the database {path!r}: {exc.strerror}") from None
    if stat.S_ISREG(status.st_mode) and status.st_size == 0:
        raise StoreError(
            f"the database {path!r} is an empty file, not one hooksim wrote; it was left as it "
            "is. Remove it to start a new platform there, or give another --db file"
        )
    if status.st_mode & 0o077:
        log.warning(
            "the database %s can be read by others (mode %o); it holds secrets: chmod 600 it",
            path,
            stat.S_IMODE(status.st_mode),
        )


def _owner_only(path: str) -> None:
    """The WAL and shared-memory files of a database only its owner may read, likewise."""
    try:
        if os.stat(path).st_mode & 0o077:
            return  # the owner chose to share the database itself
        for suffix in ("-wal", "-shm", "-journal"):
            companion = path + suffix
            if os.path.exists(companion) and os.stat(companion).st_mode & 0o077:
                os.chmod(companion, 0o600)
    except OSError:
        pass  # gone meanwhile, or not ours to change: SQLite created it like the database


def _damaged(path: str, detail: object) -> StoreError:
    found = "; ".join(part.strip() for part in str(detail).splitlines() if part.strip())
    if len(found) > 300:
        found = found[:297] + "..."
    return StoreError(
        f"the database {path!r} is damaged (SQLite: {found}); it was left as it is. Restore it "
        "from a copy, or start on another --db file"
    )


def _decode_random(text: str) -> tuple:
    version, words, gauss_next = json.loads(text)
    return (version, tuple(array("I", bytes.fromhex(words))), gauss_next)
