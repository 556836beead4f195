"""`hooksim serve --db FILE` (through `ServedPlatform`): a restart resumes the file; the
environment and client asked for are created only when absent; concurrent API calls under the
wall clock leave a file that reopens to exactly the state that was served."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest
from _store_helpers import ENV, Api, CountingReceiver, open_platform, wait_until
from hooksim.simulator import DeliveryState
from hooksim.simulator._serve import ServedPlatform, ServeError, ServeOptions

pytestmark = pytest.mark.served


@pytest.fixture
def receiver() -> Iterator[CountingReceiver]:
    receiver = CountingReceiver()
    yield receiver
    receiver.close()


def _serve(db: Path | str, **options: object) -> ServedPlatform:
    options.setdefault("port", 0)
    return ServedPlatform(ServeOptions(db=str(db), **options))  # type: ignore[arg-type]


@pytest.fixture
def warnings_logged() -> Iterator[list[str]]:
    """What `hooksim.serve` logs (a handler on that logger: it may not propagate)."""
    messages: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: messages.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("hooksim.serve")
    logger.addHandler(handler)
    yield messages
    logger.removeHandler(handler)


@pytest.mark.clause("DURABLE-STORE", "SERVE")
def test_a_restart_resumes_and_creates_only_what_is_absent(
    db_path: Path, warnings_logged: list[str]
) -> None:
    with _serve(db_path, client_id="ci", client_secret="first-secret") as served:
        assert served.resumed is False
        api = Api(served.base_url, "ci", "first-secret")
        sub = api.call(
            "POST", "/v1/{env}/webhook", {"types": ["card-completed"], "url": "http://x.test/h"}
        )
        api.call("DELETE", f"/v1/{{env}}/webhook/{sub['id']}")
        created = served.platform.auth.create_client(ENV, "events")

    with _serve(db_path, client_id="ci", client_secret="other-secret", timeout=3.0) as served:
        assert served.resumed is True
        assert "(resumed from" in "\n".join(served.banner())
        assert served.client.secret == "first-secret"  # left as it is
        logged = "\n".join(warnings_logged)
        assert "its stored secret is kept" in logged
        assert "keeps the settings stored" in logged  # --timeout applies to new ones
        api = Api(served.base_url, "ci", "first-secret")
        (again,) = api.call("GET", "/v1/{env}/webhook")
        assert again == {
            **sub,
            "status": "disabled",
            "disabledReason": "api",
            "updated": again["updated"],
        }
        clients = {c.client_id for c in served.platform.auth.clients(ENV)}
        assert clients == {"ci", created.client_id}

    with _serve(db_path, environment="prod", client_id="ops") as served:
        assert served.resumed is False
        assert set(served.platform.store.environments) == {ENV, "prod"}
        assert served.platform.environment("prod").settings.timeout == 10.0


@pytest.mark.clause("DURABLE-STORE", "SERVE")
def test_a_restart_without_a_client_id_serves_the_first_workbench_client_again(
    db_path: Path,
) -> None:
    with _serve(db_path) as served:
        first = served.client
        assert served.secret_generated
        assert f"client secret: {first.secret}" in "\n".join(served.banner())
        served.platform.auth.create_client(ENV, "events")  # not a workbench client
    with _serve(db_path) as served:
        assert served.client == first  # not another generated client
        assert not served.secret_generated
        banner = "\n".join(served.banner())
        assert f"client id:    {first.client_id}" in banner
        assert first.secret not in banner  # printed once, when it was generated
        assert "its secret is not shown again" in banner and "$CLIENT_SECRET" in banner
        assert [c.role for c in served.platform.auth.clients(ENV)] == ["workbench", "events"]
        Api(served.base_url, first.client_id, first.secret)  # the same credentials work
        served.platform.auth.delete_client(ENV, first.client_id)
    with _serve(db_path) as served:  # no workbench client left: a new one, printed
        assert served.client.client_id != first.client_id
        assert served.secret_generated
        assert f"client secret: {served.client.secret}" in "\n".join(served.banner())


def test_a_client_id_found_in_the_file_is_not_printed_with_its_secret_again(
    db_path: Path,
) -> None:
    with _serve(db_path, client_id="ci") as served:
        secret = served.client.secret
        assert served.secret_generated and secret in "\n".join(served.banner())
    with _serve(db_path, client_id="ci") as served:
        assert served.client.secret == secret and not served.secret_generated
        assert secret not in "\n".join(served.banner())


def test_a_client_id_taken_by_another_role_is_refused_and_the_file_released(
    db_path: Path,
) -> None:
    with _serve(db_path) as served:
        served.platform.auth.create_client(ENV, "events", client_id="taken")
    with pytest.raises(ServeError, match="already in use"):
        _serve(db_path, client_id="taken")
    _serve(db_path).stop()  # the file was closed: it opens again


def test_a_file_in_use_is_a_serve_error(db_path: Path) -> None:
    with _serve(db_path), pytest.raises(ServeError, match="in use by another process"):
        _serve(db_path)


def test_in_memory_sqlite(db_path: Path) -> None:
    with _serve(":memory:", client_id="ci", client_secret="s") as served:
        api = Api(served.base_url, "ci", "s")
        api.call(
            "POST", "/v1/{env}/webhook", {"types": ["card-completed"], "url": "http://x.test/h"}
        )
        assert len(api.call("GET", "/v1/{env}/webhook")) == 1


def test_concurrent_api_calls_under_the_wall_clock_leave_a_consistent_file(
    db_path: Path, receiver: CountingReceiver
) -> None:
    served = _serve(db_path, client_id="ci", client_secret="s", settings={"retry_base": 0.05})
    errors: list[BaseException] = []
    published: list[str] = []
    with served:
        api = Api(served.base_url, "ci", "s")

        def work(worker: int) -> None:
            try:
                mine = api.call(
                    "POST",
                    "/v1/{env}/webhook",
                    {"types": ["card-completed", "card-dismissed"], "url": receiver.url},
                )
                for round_ in range(6):
                    body = {"environmentId": ENV, "type": "card-completed", "count": 2}
                    ids = api.call("POST", "/_sim/events", body)["eventIds"]
                    published.extend(ids)
                    api.call(
                        "PATCH",
                        f"/v1/{{env}}/webhook/{mine['id']}",
                        {"name": f"w{worker}-{round_}"},
                    )
                    api.call("GET", "/v1/{env}/webhook")
                    api.call("GET", "/_sim/deliveries", environmentId=ENV)
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        platform = served.platform

        def all_delivered() -> bool:
            with platform.lock:
                return all(d.state is not DeliveryState.PENDING for d in platform.deliveries(ENV))

        wait_until(all_delivered, "every delivery to end")
        with platform.lock:
            live = _state(platform)
    assert sorted(live["events"]) == sorted(published)  # type: ignore[arg-type]
    assert {d["state"] for d in live["deliveries"]} == {DeliveryState.DELIVERED}  # type: ignore[union-attr]
    assert set(receiver.copies) == set(published)

    platform, store = open_platform(db_path, clock=served.platform.clock, seed=None)
    try:
        assert _state(platform) == live
    finally:
        store.close()


def _state(platform) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "subscriptions": [s.to_api() for s in platform.subscriptions(ENV)],
        "events": [e.id for e in platform.events(ENV)],
        "deliveries": [asdict(d) for d in platform.deliveries(ENV)],
        "log": [r.to_api() for r in platform.attempts(ENV)],
    }
