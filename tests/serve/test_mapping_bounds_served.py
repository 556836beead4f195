"""A served platform under hostile payload mappings (issue 10, item 3): a template renders on
a delivery worker, in a sandbox process, outside the platform's lock, so while it burns its
whole CPU budget the API answers, other subscriptions are delivered, and the server stops
when asked (also by SIGTERM).

No speed is asserted: the tests check what happened before the hostile attempts ended (each
takes at least its CPU bound of several seconds), and that stopping ends (a liveness bound)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

import pytest
import requests
from _serve_helpers import Receiver, token_for, wait_until
from hooksim.simulator import AttemptFinished, Signal
from hooksim.simulator._serve import ServedPlatform
from test_cli_serve import UA, served, stop

pytestmark = pytest.mark.served

NESTED_LOOPS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
#: Long enough that everything the test does first fits in it many times over.
CPU_BOUND = 3.0


def test_the_api_and_other_subscriptions_go_on_while_templates_burn_their_cpu_bound(
    serve: Callable[..., ServedPlatform], receiver_factory: Callable[..., Receiver]
) -> None:
    served = serve(clock="wall", settings={"mapping_timeout": CPU_BOUND})
    hostile_receiver, plain_receiver = receiver_factory(), receiver_factory()
    base, headers = served.base_url, {**UA, "Authorization": f"Bearer {token_for(served)}"}
    hostile_ended = threading.Event()
    hostile: dict[str, str] = {}

    def listener(signal: Signal) -> None:
        if isinstance(signal, AttemptFinished) and signal.record.subscription_id == hostile.get(
            "id"
        ):
            hostile_ended.set()

    served.platform.add_listener(listener)
    for url, mapping in ((hostile_receiver.url, NESTED_LOOPS), (plain_receiver.url, None)):
        body = {"types": ["card-completed"], "url": url}
        if mapping:
            body["mapping"] = mapping
        response = requests.post(f"{base}/v1/dev/webhook", json=body, headers=headers, timeout=30)
        assert response.status_code == 201, response.text
        hostile.setdefault("id", response.json()["data"]["id"])
    publish = {"environmentId": "dev", "type": "card-completed", "count": 2}
    response = requests.post(f"{base}/_sim/events", json=publish, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    # While both hostile renders hold their sandbox workers for CPU_BOUND seconds each:
    wait_until(lambda: len(plain_receiver.requests) == 2, "the plain subscription's deliveries")
    for _ in range(10):
        answer = requests.get(f"{base}/v1/dev/webhook", headers=headers, timeout=30)
        assert answer.status_code == 200
    assert not hostile_ended.is_set(), "the API waited for a template"
    wait_until(hostile_ended.is_set, "the hostile attempts to fail at their bound", limit=120)
    rows = served.platform.attempts("dev", subscription_id=hostile["id"])
    assert rows and all("of CPU time to render" in (row.error or "") for row in rows)
    assert hostile_receiver.requests == []
    stopping = threading.Thread(target=served.stop, daemon=True)
    stopping.start()
    stopping.join(120)
    assert not stopping.is_alive(), "the server did not stop"


def test_sigterm_stops_a_server_whose_template_never_ends(receiver: Receiver) -> None:
    with served("--mapping-timeout", "0.5") as server:
        token = server.token(server.banner["client id"], server.banner["client secret"])
        headers = {**UA, "Authorization": f"Bearer {token}"}
        body = {"types": ["card-completed"], "url": receiver.url, "mapping": NESTED_LOOPS}
        assert (
            requests.post(f"{server.url}/v1/dev/webhook", json=body, headers=headers, timeout=30)
        ).status_code == 201
        publish = {"environmentId": "dev", "type": "card-completed", "count": 4}
        requests.post(f"{server.url}/_sim/events", json=publish, headers=headers, timeout=30)
        server.wait_for("mapping took more than 500 ms of CPU time to render")
        code, stderr = stop(server, signal.SIGTERM)
    assert code == 0, stderr
    assert "Traceback" not in stderr
