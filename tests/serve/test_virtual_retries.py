"""Deliveries over real HTTP on a served platform whose clock moves only when told to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from _serve_helpers import Receiver, free_port, token_for
from hooksim.simulator import parse_time
from hooksim.simulator._serve import ServedPlatform
from werkzeug.wrappers import Request, Response

pytestmark = pytest.mark.served

DEFAULT_SCHEDULE = [0, 10, 30, 70, 150, 310, 630, 1270, 2550, 5110, 10230]


class Api:
    def __init__(self, served: ServedPlatform) -> None:
        self.base = served.base_url
        self.env = served.environment_id
        self.headers = {"Authorization": f"Bearer {token_for(served)}", "User-Agent": "test"}

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(
            method, self.base + path, headers=self.headers, timeout=60, **kwargs
        )
        assert response.status_code < 300, response.text
        return response.json()["data"]

    def subscribe(self, url: str) -> str:
        body = {"types": ["card-published"], "url": url}
        return str(self.call("POST", f"/v1/{self.env}/webhook", json=body)["id"])

    def publish(self) -> str:
        body = {"environmentId": self.env, "type": "card-published"}
        return str(self.call("POST", "/_sim/events", json=body)["eventIds"][0])

    def advance(self, seconds: float) -> str:
        return str(self.call("POST", "/_sim/clock/advance", json={"seconds": seconds})["now"])

    def deliveries(self, subscription: str) -> list[dict[str, Any]]:
        query = {"environmentId": self.env, "subscription": subscription}
        return list(self.call("GET", "/_sim/deliveries", params=query))


def test_dead_endpoint_shows_the_default_schedule(serve: Callable[..., ServedPlatform]) -> None:
    api = Api(serve(clock="virtual"))
    subscription = api.subscribe(f"http://127.0.0.1:{free_port()}/dead")
    api.publish()
    start = parse_time(api.call("GET", "/_sim/clock", params={"environmentId": api.env})["now"])
    api.advance(4 * 3600)
    rows = api.deliveries(subscription)
    offsets = [round(parse_time(row["time"]) - start, 3) for row in rows]
    assert offsets == DEFAULT_SCHEDULE
    assert [row["attempt"] for row in rows] == list(range(1, 12))
    assert {row["outcome"] for row in rows} == {"refused"}


def test_retries_over_real_http_until_the_receiver_recovers(
    serve: Callable[..., ServedPlatform], receiver_factory: Callable[..., Receiver]
) -> None:
    answers = iter([500, 503, 429])

    def recovering(request: Request) -> Response:
        return Response("", status=next(answers, 204))

    receiver = receiver_factory(recovering)
    api = Api(serve(clock="virtual"))
    subscription = api.subscribe(receiver.url + "/hook")
    event = api.publish()  # the first attempt is due now: sent before publish answers
    assert [r["statusCode"] for r in api.deliveries(subscription)] == [500]
    api.advance(9.999)
    assert len(receiver.requests) == 1  # retry 1 is due at +10 s, not before
    api.advance(60.001)
    rows = api.deliveries(subscription)
    assert [(r["attempt"], r["statusCode"]) for r in rows] == [
        (1, 500),
        (2, 503),
        (3, 429),
        (4, 204),
    ]
    assert [r["outcome"] for r in rows] == ["http-error"] * 3 + ["success"]
    assert {r["eventId"] for r in rows} == {event}
    assert len(receiver.requests) == 4
    first = parse_time(rows[0]["time"])
    assert [round(parse_time(r["time"]) - first, 3) for r in rows] == DEFAULT_SCHEDULE[:4]


def test_virtual_runs_are_seeded(serve: Callable[..., ServedPlatform]) -> None:
    first, second = serve(clock="virtual", seed=5), serve(clock="virtual", seed=5)
    assert first.client.client_id == second.client.client_id
    assert first.client.secret == second.client.secret
    assert serve(clock="virtual", seed=6).client.secret != first.client.secret


def test_only_the_virtual_clock_moves_on_request(serve: Callable[..., ServedPlatform]) -> None:
    virtual, wall = serve(clock="virtual"), serve(clock="wall")
    assert virtual.driver is None  # nothing but /_sim/clock/advance moves its time
    assert wall.driver is not None and wall.driver.running
    headers = {"Authorization": f"Bearer {token_for(wall)}", "User-Agent": "test"}
    refused = requests.post(
        wall.base_url + "/_sim/clock/advance", json={"seconds": 10}, headers=headers, timeout=10
    )
    assert refused.status_code == 409
    assert "wall clock" in refused.json()["error"]["message"]
