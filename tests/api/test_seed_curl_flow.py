"""The seed's own curl flow (subscribe, list, test, disable), with exactly the headers it sends.

curl sends `Host`, `User-Agent: curl/...` and `Accept: */*` by itself, `Content-Length` when
there is data, and then the seed's `--header`s. The test and DELETE calls send
`Content-Type:application/json` with no body at all. The flow runs in-process and, once,
over a real socket on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hooksim.contracts import verify
from hooksim.simulator import Platform, RecordingReceiver
from werkzeug.serving import make_server
from werkzeug.test import Client

from .conftest import ENV, RECEIVER_URL, Api

CURL_DEFAULTS = [("User-Agent", "curl/8.5.0"), ("Accept", "*/*")]
# The seed's payload, with its stripped URL filled in.
PAYLOAD = json.dumps(
    {
        "types": ["card-published", "card-completed"],
        "url": RECEIVER_URL,
        "headers": {"My-Custom-Header": "123"},
    }
)

#: (method, path, headers, body) -> (status, parsed JSON)
Send = Callable[[str, str, list[tuple[str, str]], bytes | None], tuple[int, Any]]


def _in_process(api: Api) -> Send:
    client = Client(api.app)

    def send(method: str, path: str, headers: list[tuple[str, str]], body: bytes | None):
        sent = list(headers)
        if body is not None:
            sent.append(("Content-Length", str(len(body))))
        response = client.open(path, method=method, headers=sent, data=body)
        return response.status_code, response.json

    return send


@pytest.fixture
def served(api: Api) -> Iterator[Send]:
    server = make_server("127.0.0.1", 0, api.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def send(method: str, path: str, headers: list[tuple[str, str]], body: bytes | None):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            for name, value in headers:
                connection.putheader(name, value)
            if body is not None:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()

    try:
        yield send
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def _run_seed_flow(send: Send, api: Api, receiver: RecordingReceiver) -> None:
    bearer = ("Authorization", f"Bearer {api.token}")
    json_type = ("Content-Type", "application/json")
    base = f"/v1/{ENV}/webhook"

    # curl -X POST "$ATOMIC_API/v1/$ENVIRONMENT_ID/webhook" --header "Content-Type:application/json"
    #   --header "Authorization: Bearer $TOKEN" --data "$PAYLOAD"
    status, created = send("POST", base, [*CURL_DEFAULTS, json_type, bearer], PAYLOAD.encode())
    assert status == 201, created
    subscription = created["data"]
    assert subscription["types"] == ["card-published", "card-completed"]
    assert subscription["headers"] == {"My-Custom-Header": "123"}
    assert subscription["secret"] and subscription["created"].endswith("Z")

    # WEBHOOKS=$(curl -X GET "$ATOMIC_API/v1/$ENVIRONMENT_ID/webhook" --header "Authorization...")
    status, listed = send("GET", base, [*CURL_DEFAULTS, bearer], None)
    assert status == 200
    assert listed == {"data": [subscription]}

    # curl -X POST ".../webhook/$WEBHOOK_ID/test" --header "Content-Type:application/json"
    #   --header "Authorization: Bearer $TOKEN"   (no body)
    no_body = [*CURL_DEFAULTS, json_type, bearer]
    status, tested = send("POST", f"{base}/{subscription['id']}/test", no_body, None)
    assert status == 200, tested
    assert tested["data"]["success"] is True and tested["data"]["statusCode"] == 200
    [request] = receiver.requests
    assert request.headers["My-Custom-Header"] == "123"
    assert verify(subscription["secret"], request.body, request.headers["X-Atomic-Signature"])

    # DELETE with the same two headers and no body: disables, does not delete.
    status, disabled = send("DELETE", f"{base}/{subscription['id']}", no_body, None)
    assert status == 200, disabled
    assert disabled["data"]["status"] == "disabled"
    assert disabled["data"]["disabledReason"] == "api"
    status, listed = send("GET", base, [*CURL_DEFAULTS, bearer], None)
    assert [s["status"] for s in listed["data"]] == ["disabled"]


@pytest.mark.clause("API-SUBSCRIBE", "API-LIST", "API-TEST", "API-DISABLE", "API-NO-BODY")
def test_seed_curl_flow_in_process(api: Api, receiver: RecordingReceiver) -> None:
    _run_seed_flow(_in_process(api), api, receiver)


@pytest.mark.served
@pytest.mark.clause("API-SUBSCRIBE", "API-LIST", "API-TEST", "API-DISABLE", "API-NO-BODY")
def test_seed_curl_flow_over_http(
    api: Api, receiver: RecordingReceiver, served: Send, platform: Platform
) -> None:
    _run_seed_flow(served, api, receiver)
    assert platform.subscriptions(ENV)[0].status == "disabled"
