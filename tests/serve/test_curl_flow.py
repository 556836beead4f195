"""The seed's curl flow against a served platform, over real sockets, with exactly the
headers the seed's curl commands send (curl adds User-Agent, Accept and Host itself).

subscribe -> list -> test (delivered over real HTTP to a receiver that verifies the
signature) -> disable.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import requests
from _serve_helpers import Receiver, token_for
from hooksim.contracts import verify
from hooksim.simulator._serve import ServedPlatform
from werkzeug.wrappers import Request, Response

pytestmark = pytest.mark.served

CURL = {"User-Agent": "curl/8.5.0", "Accept": "*/*"}


def curl(method: str, url: str, headers: dict[str, str], data: str | None = None) -> dict:
    """One request carrying only curl's own headers and the ones given (no requests'
    defaults such as Accept-Encoding or Connection)."""
    with requests.Session() as session:
        session.headers.clear()
        response = session.request(method, url, headers={**CURL, **headers}, data=data, timeout=30)
    assert response.headers["Content-Type"].startswith("application/json")
    return {"status": response.status_code, "json": response.json()}


def test_seed_curl_flow(
    serve: Callable[..., ServedPlatform], receiver_factory: Callable[..., Receiver]
) -> None:
    secrets: dict[str, str] = {}
    verdicts: list[bool] = []

    def verifying(request: Request) -> Response:
        body = request.get_data()
        ok = verify(secrets["secret"], body, request.headers.get("X-Atomic-Signature"))
        verdicts.append(ok)
        return Response("ok" if ok else "bad signature", status=200 if ok else 401)

    receiver = receiver_factory(verifying)
    served = serve(clock="wall")
    api, env = served.base_url, served.environment_id
    token = token_for(served)
    auth = {"Authorization": f"Bearer {token}"}
    payload = json.dumps(
        {
            "types": ["card-published", "card-completed"],
            "url": receiver.url + "/webhooks/atomic",
            "headers": {"My-Custom-Header": "123"},
        }
    )

    # Subscribe: curl -X POST "$ATOMIC_API/v1/$ENVIRONMENT_ID/webhook" --header
    # "Content-Type:application/json" --header "Authorization: Bearer $TOKEN" --data "$PAYLOAD"
    created = curl(
        "POST", f"{api}/v1/{env}/webhook", {"Content-Type": "application/json", **auth}, payload
    )
    assert created["status"] in (200, 201)
    subscription = created["json"]["data"]
    assert subscription["types"] == ["card-published", "card-completed"]
    assert subscription["headers"] == {"My-Custom-Header": "123"}
    for name in ("id", "secret", "created", "updated"):
        assert subscription[name]
    secrets["secret"] = subscription["secret"]
    webhook = subscription["id"]

    # List: curl -X GET "$ATOMIC_API/v1/$ENVIRONMENT_ID/webhook" --header "Authorization: ..."
    listed = curl("GET", f"{api}/v1/{env}/webhook", auth)
    assert listed["status"] == 200
    assert [s["id"] for s in listed["json"]["data"]] == [webhook]
    assert listed["json"]["data"][0]["secret"] == subscription["secret"]

    # Test: POST .../webhook/$WEBHOOK_ID/test with Content-Type and no body.
    tested = curl(
        "POST",
        f"{api}/v1/{env}/webhook/{webhook}/test",
        {"Content-Type": "application/json", **auth},
    )
    assert tested["status"] == 200
    assert tested["json"]["data"]["success"] is True
    (delivered,) = receiver.requests
    assert verdicts == [True]
    assert delivered.method == "POST" and delivered.path == "/webhooks/atomic"
    assert delivered.headers["My-Custom-Header"] == "123"
    envelope = json.loads(delivered.body)
    assert envelope["webhookId"] == webhook and envelope["environmentId"] == env
    assert envelope["isBatched"] is False
    assert envelope["data"]["analyticsEvent"] == "card-published"

    # Disable: DELETE .../webhook/$WEBHOOK_ID with Content-Type and no body.
    disabled = curl(
        "DELETE", f"{api}/v1/{env}/webhook/{webhook}", {"Content-Type": "application/json", **auth}
    )
    assert disabled["status"] == 200
    assert disabled["json"]["data"]["status"] == "disabled"
    after = curl("GET", f"{api}/v1/{env}/webhook", auth)["json"]["data"]
    assert after[0]["status"] == "disabled" and after[0]["disabledReason"] == "api"
