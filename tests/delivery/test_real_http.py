"""A credentialed, mapped, batched delivery over the real HTTP transport to receivers on
127.0.0.1 (an identity endpoint and a webhook receiver behind one werkzeug server)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from _bench import CLIENT_ID, CLIENT_SECRET, SECRETS, Identity, record_text
from hooksim.contracts import verify
from hooksim.simulator import DeliveryState, Outcome, Platform, VirtualClock
from hooksim.simulator._http_transport import HttpTransport
from werkzeug.serving import make_server

pytestmark = pytest.mark.served


class Receiver:
    def __init__(self) -> None:
        self.identity = Identity()
        self.requests: list[dict[str, Any]] = []
        self.secret = ""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ["PATH_INFO"] == "/oauth/token":
            return self.identity(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        signed = verify(self.secret, body, environ.get("HTTP_X_ATOMIC_SIGNATURE", ""))
        ok = signed and authorization == f"Bearer {self.identity.issued[-1]}"
        self.requests.append({"body": body, "authorization": authorization, "ok": ok})
        start_response("200 OK" if ok else "401 Unauthorized", [("Content-Type", "text/plain")])
        return [b"ok" if ok else b"no"]


@pytest.fixture
def served() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    server = make_server("127.0.0.1", 0, receiver, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.clause("CRED-OAUTH", "MAPPING", "BATCHING", "SIGN-RAW-BYTES")
def test_oauth_mapped_batched_delivery_over_real_http(served: tuple[Receiver, str]) -> None:
    receiver, base = served
    with HttpTransport() as transport:
        platform = Platform(clock=VirtualClock(), transport=transport)
        platform.create_environment("dev")
        credential = platform.create_credential(
            "dev",
            {
                "type": "oauth2-client-credentials",
                "tokenUrl": f"{base}/oauth/token?tenant=t1",
                "clientId": CLIENT_ID,
                "clientSecret": CLIENT_SECRET,
                "tokenRequest": "query",
            },
        )
        subscription = platform.subscribe(
            "dev",
            {
                "types": ["card-completed"],
                "url": f"{base}/hook",
                "credentialId": credential.id,
                "mapping": '{"events": [{% for d in data %}{"id": {{ d.id | tojson }}, "user": '
                "{{ d.endUserId | tojson }}}{% if not loop.last %},{% endif %}{% endfor %}]}",
                "batch": {"maxEvents": 3, "maxWaitSeconds": 30},
            },
        )
        receiver.secret = subscription.secret
        events = platform.publish("dev", "card-completed", count=4)
        platform.advance(30)
        records = platform.attempts("dev")
    assert [r["ok"] for r in receiver.requests] == [True, True]
    first, second = (json.loads(r["body"]) for r in receiver.requests)
    assert [e["id"] for e in first["events"]] == [e.id for e in events[:3]]
    assert [e["id"] for e in second["events"]] == [events[3].id]
    assert len(receiver.identity.hits) == 1  # one token for both batches (45 s cache)
    assert receiver.identity.hits[0]["query"]["tenant"] == "t1"
    assert [r.outcome for r in records] == [Outcome.SUCCESS, Outcome.SUCCESS]
    assert [len(r.event_ids) for r in records] == [3, 1]
    assert {d.state for d in platform.deliveries("dev")} == {DeliveryState.DELIVERED}
    for record in records:
        assert not [s for s in SECRETS if s in record_text(record)]
        assert record.headers["Authorization"] == "[redacted]"
