"""The control contract as `hooksim serve --clock virtual` serves it, over real HTTP:
capabilities, reset, delivery states, duplicates, fixed secrets, the clock read during an
advance, and simulated latency."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable
from typing import Any

import pytest
import requests
from _serve_helpers import Receiver, token_for
from hooksim.simulator import CONTRACT_NAME, Settings, parse_time
from hooksim.simulator._serve import ServedPlatform
from werkzeug.wrappers import Request, Response

pytestmark = pytest.mark.served


class Api:
    def __init__(self, served: ServedPlatform, token: str | None = None) -> None:
        self.base = served.base_url
        self.env = served.environment_id
        self.token = token or token_for(served)

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", "User-Agent": "test"}
        kwargs.setdefault("timeout", 30)
        return requests.request(method, self.base + path, headers=headers, **kwargs)

    def data(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code < 300, response.text
        return response.json()["data"]

    def subscribe(self, url: str, **fields: Any) -> dict[str, Any]:
        body = {"types": ["card-published"], "url": url, **fields}
        return dict(self.data("POST", f"/v1/{self.env}/webhook", json=body))

    def publish(self, **overrides: Any) -> str:
        body = {"type": "card-published", "overrides": overrides}
        return str(self.data("POST", "/_sim/events", json=body)["eventIds"][0])

    def now(self) -> float:
        return parse_time(self.data("GET", "/_sim/clock")["now"])


@pytest.mark.clause("SIM-CAPABILITIES")
def test_capabilities_name_the_contract_the_implementation_and_what_it_offers(
    serve: Callable[..., ServedPlatform],
) -> None:
    capabilities = Api(serve(clock="virtual")).data("GET", "/_sim")
    assert capabilities["contract"] == CONTRACT_NAME
    assert capabilities["implementation"]["name"] == "hooksim"
    assert capabilities["implementation"]["version"]
    assert {"createWebhook", "listWebhooks", "testWebhook", "deleteWebhook", "simReset"} <= set(
        capabilities["operations"]
    )
    assert set(capabilities["features"]) == {
        "advance-idle",
        "delivery-log",
        "delivery-states",
        "duplicates",
        "fixed-secrets",
        "permanent-delete",
        "seeded-randomness",
        "simulated-latency",
    }
    assert "retry_base" in capabilities["settings"] and "jitter" in capabilities["settings"]
    # Under the wall clock real answers take real time: no simulated latency.
    wall = Api(serve()).data("GET", "/_sim")
    assert "simulated-latency" not in wall["features"]


@pytest.mark.clause("SIM-RESET")
def test_reset_starts_the_environment_afresh(
    serve: Callable[..., ServedPlatform], receiver_factory: Callable[..., Receiver]
) -> None:
    served = serve(clock="virtual")
    api = Api(served)
    down = receiver_factory(lambda request: Response("no", status=500))
    api.subscribe(down.url + "/down")
    api.publish()
    api.data("POST", "/_sim/clock/advance", json={"seconds": 60})
    sent_before = len(down.requests)
    assert sent_before == 3  # at 0, 10 and 30 s; the retry due at 70 s is still pending

    answer = api.data(
        "POST",
        "/_sim/reset",
        json={"seed": 7, "start": "2030-05-01T12:00:00Z", "settings": {"retry_base": 5}},
    )
    assert answer["environmentId"] == served.environment_id
    assert answer["now"] == "2030-05-01T12:00:00.000Z"
    assert set(answer["clients"]) == {"workbench", "auth", "events"}
    # The caller is still logged in; nothing of before is left, and nothing pending fires.
    assert api.data("GET", f"/v1/{api.env}/webhook") == []
    assert api.data("GET", "/_sim/deliveries") == []
    assert api.data("GET", "/_sim/delivery-states") == []
    api.data("POST", "/_sim/clock/advance", json={"duration": "5h"})
    assert len(down.requests) == sent_before
    # The settings apply: retries now wait 5 s, 10 s... after the first attempt.
    api.subscribe(down.url + "/again")
    start = api.now()
    api.publish()
    api.data("POST", "/_sim/clock/advance", json={"seconds": 20})
    times = [parse_time(row["time"]) - start for row in api.data("GET", "/_sim/deliveries")]
    assert times == [0, 5, 15]
    # Each client in the answer gets a token of its role.
    for role, client in answer["clients"].items():
        response = requests.post(
            served.base_url + "/oauth2/token",
            auth=(client["clientId"], client["clientSecret"]),
            data={"grant_type": "client_credentials"},
            headers={"User-Agent": "test"},
            timeout=10,
        )
        assert response.status_code == 200
        token = response.json()["access_token"]
        listed = Api(served, token).call("GET", f"/v1/{api.env}/webhook")
        assert listed.status_code == (200 if role == "workbench" else 403)


@pytest.mark.clause("SIM-RESET")
def test_a_reset_with_a_seed_repeats_the_same_run(
    serve: Callable[..., ServedPlatform], receiver: Receiver
) -> None:
    api = Api(serve(clock="virtual"))

    def run() -> list[Any]:
        api.data("POST", "/_sim/reset", json={"seed": 3, "settings": {"jitter": 0.5}})
        sub = api.subscribe(receiver.url + "/x")
        api.publish()
        api.data("POST", "/_sim/clock/advance", json={"idle": True})
        return [sub["id"], sub["secret"], api.data("GET", "/_sim/deliveries")]

    assert run() == run()


@pytest.mark.clause("SIM-RESET")
@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"retry_bass": 5}, "settings.retry_bass"),
        ({"retry_base": -1}, "settings.retry_base"),
        ({"retry_window": None}, "settings.retry_window"),
    ],
)
def test_reset_refuses_settings_it_does_not_know_by_name(
    serve: Callable[..., ServedPlatform], settings: dict[str, Any], field: str
) -> None:
    api = Api(serve(clock="virtual"))
    api.subscribe("http://127.0.0.1:9/x")
    response = api.call("POST", "/_sim/reset", json={"settings": settings})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field
    assert len(api.data("GET", f"/v1/{api.env}/webhook")) == 1  # nothing was reset


@pytest.mark.clause("SIM-RESET")
def test_reset_is_refused_where_it_would_lose_real_state(
    serve: Callable[..., ServedPlatform], tmp_path: Any
) -> None:
    wall = Api(serve()).call("POST", "/_sim/reset", json={})
    assert wall.status_code == 409 and "wall clock" in wall.json()["error"]["message"]
    kept = Api(serve(clock="virtual", db=str(tmp_path / "state.db")))
    response = kept.call("POST", "/_sim/reset", json={})
    assert response.status_code == 409 and "--db" in response.json()["error"]["message"]


@pytest.mark.clause("SIM-DELIVERY-STATES", "SIM-DUPLICATES")
def test_delivery_states_and_duplicates(
    serve: Callable[..., ServedPlatform], receiver_factory: Callable[..., Receiver]
) -> None:
    api = Api(serve(clock="virtual"))
    good = receiver_factory()
    bad = receiver_factory(lambda request: Response("no", status=500))
    ok = api.subscribe(good.url + "/ok")
    down = api.subscribe(bad.url + "/down", maxRetries=1)
    event = api.publish(id="evt-1")
    api.data("POST", "/_sim/clock/advance", json={"seconds": 5})
    states = {row["subscriptionId"]: row for row in api.data("GET", "/_sim/delivery-states")}
    assert states[ok["id"]]["state"] == "delivered" and states[ok["id"]]["reason"] is None
    assert states[down["id"]]["state"] == "pending"
    api.data("POST", "/_sim/clock/advance", json={"seconds": 60})
    states = {row["subscriptionId"]: row for row in api.data("GET", "/_sim/delivery-states")}
    assert (states[down["id"]]["state"], states[down["id"]]["reason"]) == (
        "undelivered",
        "retries-exhausted",
    )
    assert states[down["id"]]["attempts"] == 2
    copies = api.data(
        "POST", "/_sim/duplicates", json={"eventId": event, "subscriptionId": ok["id"]}
    )
    assert [(row["kind"], row["outcome"]) for row in copies] == [("duplicate", "success")]
    assert [r.path for r in good.requests] == ["/ok", "/ok"]
    assert (
        good.requests[0].body
        == good.requests[1].body.replace(  # same event, new request id
            good.requests[1].body[14:50], good.requests[0].body[14:50]
        )
    )
    missing = api.call("POST", "/_sim/duplicates", json={"eventId": "nope"})
    assert missing.status_code == 404


@pytest.mark.clause("SIM-SECRETS")
def test_a_fixed_secret_signs_later_deliveries(
    serve: Callable[..., ServedPlatform], receiver: Receiver
) -> None:
    api = Api(serve(clock="virtual"))
    sub = api.subscribe(receiver.url + "/hook")
    answer = api.data("PUT", f"/_sim/webhook/{sub['id']}/secret", json={"secret": "known-secret"})
    assert answer["secret"] == "known-secret"
    api.publish()
    [request] = receiver.requests
    expected = hmac.new(b"known-secret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Atomic-Signature"] == expected
    short = api.call("PUT", f"/_sim/webhook/{sub['id']}/secret", json={"secret": "short"})
    assert short.status_code == 400 and short.json()["error"]["field"] == "secret"
    assert "short" not in short.text  # a secret is never echoed
    unknown = api.call("PUT", "/_sim/webhook/nope/secret", json={"secret": "known-secret"})
    assert unknown.status_code == 404


@pytest.mark.clause("SIM-CLOCK")
def test_the_clock_answers_while_an_advance_waits_for_a_receiver(
    serve: Callable[..., ServedPlatform], receiver_factory: Callable[..., Receiver]
) -> None:
    served = serve(clock="virtual")
    api = Api(served)
    seen: list[str] = []
    lock = threading.Lock()

    def asks_the_clock(request: Request) -> Response:
        answer = api.call("GET", "/_sim/clock", timeout=5)  # deadlocks if the lock is held
        with lock:
            seen.append(answer.json()["data"]["now"])
        return Response("no", status=503)

    receiver = receiver_factory(asks_the_clock)
    api.subscribe(receiver.url + "/hook", maxRetries=2)
    start = api.now()
    api.publish()
    api.data("POST", "/_sim/clock/advance", json={"duration": "1m"})
    assert [parse_time(t) - start for t in seen] == [0, 10, 30]


@pytest.mark.clause("SIM-LATENCY", "DELIVERY-TIMEOUT")
def test_simulated_latency_is_platform_time(
    serve: Callable[..., ServedPlatform], receiver_factory: Callable[..., Receiver]
) -> None:
    api = Api(serve(clock="virtual"))
    latencies = iter(["3", "12", "inf", "oops"])

    def slow(request: Request) -> Response:
        return Response("ok", headers={"Sim-Latency": next(latencies)})

    receiver = receiver_factory(slow)
    api.subscribe(receiver.url + "/hook", maxRetries=0)
    api.publish()  # 3 s: success
    api.publish()  # 12 s: beyond the 10 s timeout
    api.publish()  # never answered
    api.publish()  # unreadable: a real answer, no platform time
    # Each answer is logged when its platform time has passed: only the instant one so far.
    assert [row["durationMs"] for row in api.data("GET", "/_sim/deliveries")] == [0.0]
    api.data("POST", "/_sim/clock/advance", json={"seconds": 5})
    assert len(api.data("GET", "/_sim/deliveries")) == 2
    api.data("POST", "/_sim/clock/advance", json={"seconds": 5})
    rows = api.data("GET", "/_sim/deliveries")
    timeout_ms = Settings().timeout * 1000
    assert sorted((row["outcome"], row["durationMs"]) for row in rows) == [
        ("success", 0.0),
        ("success", 3000.0),
        ("timeout", timeout_ms),
        ("timeout", timeout_ms),
    ]
