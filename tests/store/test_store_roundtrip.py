"""Every record the platform keeps comes back, equal, from the SQLite file."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest
from _store_helpers import DEAD_URL, ENV, OK_URL, log_rows, mount_receivers, open_platform
from hooksim.simulator import DeliveryState, Platform, Settings, Unauthorized
from hooksim.simulator._sqlite_store import SqliteStore
from hooksim.simulator._storage import Store
from hooksim.simulator._store import MemoryStore


def _world(db_path: Path) -> dict[str, object]:
    """A platform with one of everything, closed; answers what it looked like."""
    platform, store = open_platform(db_path, seed=7)
    try:
        mount_receivers(platform)
        platform.create_environment(ENV, Settings(retry_base=5.0, max_delay=60.0))
        platform.create_environment("prod")
        platform.configure("prod", timeout=3.5, retry_after_statuses=[429])
        platform.auth.create_client(ENV, "workbench", client_id="ci", secret="s3cret")
        gone = platform.auth.create_client(ENV, "events")
        platform.auth.delete_client(ENV, gone.client_id)
        platform.subscribe(
            ENV,
            {
                "types": ["card-completed", "card-dismissed"],
                "url": OK_URL,
                "headers": {"X-Team": "cards", "X-Api-Key": "k"},
                "cardTemplateId": 42,
                "name": "all fields",
                "method": "PUT",
                "maxRetries": 3,
                "disableAfterFailures": False,
            },
        )
        basic = platform.create_credential(
            ENV, {"type": "basic", "name": "b", "username": "u", "password": "p@ss"}
        )
        gone_credential = platform.create_credential(
            ENV, {"type": "api-key", "headerName": "X-Key", "value": "v"}
        )
        platform.delete_credential(ENV, gone_credential.id)
        dead = platform.subscribe(
            ENV,
            {
                "types": ["card-completed"],
                "url": DEAD_URL,
                "credentialId": basic.id,
                "mapping": '{"id": {{ data.id | tojson }}}',
            },
        )
        platform.subscribe(
            ENV,
            {
                "types": ["card-completed"],
                "url": OK_URL,
                "batch": {"maxEvents": 2, "maxWaitSeconds": 30},
            },
        )
        removed = platform.subscribe(ENV, {"types": ["card-snoozed"], "url": OK_URL})
        platform.disable_subscription(ENV, removed.id)
        platform.delete_subscription(ENV, removed.id)
        paused = platform.subscribe(ENV, {"types": ["card-snoozed"], "url": OK_URL})
        platform.disable_subscription(ENV, paused.id)
        platform.update_subscription(ENV, dead.id, {"name": "renamed"})
        platform.subscribe(ENV, {"types": ["card-completed"], "url": DEAD_URL, "maxRetries": 0})
        overrides = {"properties": {"é": "ü"}, "cardContext.cardTemplateId": 42}
        platform.publish(ENV, "card-completed", count=2, overrides=overrides)
        platform.publish_data(ENV, {"analyticsEvent": "card-dismissed", "id": 12, "x": [1.5]})
        platform.advance(40)  # the dead subscription's events are mid-schedule
        platform.test_subscription(ENV, dead.id)
        platform.inject_duplicate(ENV, str(12))
        return _snapshot(platform)
    finally:
        store.close()


def _snapshot(platform: Platform) -> dict[str, object]:
    return {
        "environments": {
            env_id: (env.created, env.settings)
            for env_id, env in platform.store.environments.items()
        },
        "subscriptions": {
            env_id: [asdict(s) for s in platform.subscriptions(env_id)]
            for env_id in platform.store.environments
        },
        "events": [
            (e.id, e.type, e.published_at, e.data, e.data_json) for e in platform.events(ENV)
        ],
        "hour": [
            e.id for e in platform.store.events_in_hour(ENV, int(platform.clock.now() // 3600))
        ],
        "deliveries": [asdict(d) for d in platform.deliveries(ENV)],
        "log": log_rows(platform),
        "bodies": [(r.body, r.headers, r.method, r.url) for r in platform.store.attempts(ENV)],
        "clients": sorted((c.client_id, c.secret, c.role) for c in platform.auth.clients(ENV)),
        "credentials": [
            (c.id, c.type, c.name, c.fields, c.created) for c in platform.credentials(ENV)
        ],
        "now": platform.clock.now(),
    }


@pytest.mark.clause("DURABLE-STORE")
def test_every_record_round_trips(db_path: Path) -> None:
    snapshot = _world(db_path)
    platform, store = open_platform(db_path, seed=7)
    try:
        again = _snapshot(platform)
    finally:
        store.close()
    for name, value in snapshot.items():
        assert again[name] == value, name
    assert again["environments"]["prod"][1].retry_after_statuses == (429,)  # type: ignore[index]
    states = {d["state"] for d in again["deliveries"]}  # type: ignore[union-attr]
    assert states == set(DeliveryState)


@pytest.mark.clause("DURABLE-STORE")
def test_tokens_are_not_kept_but_clients_are(db_path: Path) -> None:
    platform, store = open_platform(db_path)
    platform.create_environment(ENV)
    client = platform.auth.create_client(ENV, "workbench")
    token = platform.auth.issue_token(client.client_id, client.secret)
    store.close()
    platform, store = open_platform(db_path)
    try:
        with pytest.raises(Unauthorized):
            platform.auth.authenticate(token.value)
        again = platform.auth.issue_token(client.client_id, client.secret)
        assert platform.auth.authenticate(again.value).environment_id == ENV
    finally:
        store.close()


def test_the_event_bytes_sent_after_a_restart_are_the_bytes_sent_before(db_path: Path) -> None:
    platform, store = open_platform(db_path, seed=1)
    mount_receivers(platform)
    platform.create_environment(ENV)
    platform.subscribe(ENV, {"types": ["card-completed"], "url": DEAD_URL})
    platform.publish(ENV, "card-completed", overrides={"properties": {"n": 1e-7, "s": "\u2028"}})
    before = platform.store.attempts(ENV)[0].body
    store.close()
    platform, store = open_platform(db_path, seed=1)
    try:
        mount_receivers(platform)
        platform.advance(10)
        after = platform.store.attempts(ENV)[-1].body
    finally:
        store.close()
    assert after != before  # a new requestId
    assert after.split(b',"data":', 1)[1] == before.split(b',"data":', 1)[1]


def test_in_memory_sqlite_works_and_keeps_nothing(stores: list[SqliteStore]) -> None:
    for _ in range(2):
        store = SqliteStore(":memory:")
        stores.append(store)
        platform = Platform(store=store)
        assert not platform.store.environments
        platform.create_environment(ENV)
        platform.subscribe(ENV, {"types": ["card-completed"], "url": OK_URL})
        assert len(platform.subscriptions(ENV)) == 1


#: MemoryStore's methods that change nothing (reads, and what SqliteStore handles its own
#: way). Every other public method changes state, so SqliteStore must write it through.
READS = {
    "environment",
    "subscriptions",
    "subscription",
    "count_subscriptions",
    "find_credential",
    "credentials",
    "event",
    "has_event",
    "events",
    "events_in_hour",
    "delivery",
    "deliveries",
    "pending_for",
    "attempts",
    "api_clients",
    "transaction",
    "flush",
    "resume",
    "close",
}


def test_every_way_of_changing_the_memory_store_is_written_through() -> None:
    """A method added to MemoryStore changes state unless it is listed in READS, and must then
    be overridden by SqliteStore (or restarting on a file would silently lose that state)."""
    public = {name for name, value in vars(MemoryStore).items() if callable(value)}
    public = {name for name in public if not name.startswith("_")}
    assert public >= READS, f"READS names what MemoryStore no longer has: {READS - public}"
    changing = public - READS
    assert {"add_event", "save_batch", "batch_sent", "end_batch"} <= changing
    missing = sorted(name for name in changing if name not in vars(SqliteStore))
    assert not missing, f"SqliteStore does not persist: {missing}"


def test_the_memory_store_implements_the_store_protocol() -> None:
    """Every save point the engine may call exists on both stores."""
    wanted = {
        name for name in vars(Store) if not name.startswith("_") and callable(getattr(Store, name))
    }
    assert wanted - set(vars(MemoryStore)) == set()
    assert wanted - READS - set(vars(SqliteStore)) == set()
