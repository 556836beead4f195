"""The in-process transport and the recording receiver: WSGI apps at URLs, no network."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from _world import World
from hooksim.contracts import sign
from hooksim.simulator import (
    LATENCY_KEY,
    Behaviour,
    InProcessTransport,
    Outcome,
    OutgoingRequest,
    RecordingReceiver,
    SimulatedConnectionError,
)

pytestmark = pytest.mark.clause("DELIVERY-SUCCESS-2XX")


def _app(name: str) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [("X-App", name)])
        return [name.encode(), b":", environ["PATH_INFO"].encode()]

    return app


def _send(transport: InProcessTransport, url: str, **fields: Any) -> Any:
    request = OutgoingRequest(
        fields.get("method", "POST"), url, fields.get("headers", {}), b"{}", 10.0
    )
    return transport.send(request)


def test_the_longest_mounted_prefix_answers() -> None:
    transport = InProcessTransport()
    transport.mount("http://r.test/", _app("root"))
    transport.mount("http://r.test/hooks", _app("hooks"))
    assert _send(transport, "http://r.test/hooks/a?x=1").body == b"hooks:/hooks/a"
    assert _send(transport, "http://r.test/hooks").body == b"hooks:/hooks"
    assert _send(transport, "http://r.test/hooksmith").body == b"root:/hooksmith"
    assert _send(transport, "http://r.test:80/other").body == b"root:/other"
    assert _send(transport, "http://r.test/x").headers == {"x-app": "root"}


def test_scheme_host_and_port_must_match_or_the_connection_is_refused() -> None:
    transport = InProcessTransport()
    transport.mount("http://r.test/", _app("root"))
    for url in ("https://r.test/", "http://r.test:8080/", "http://other.test/"):
        result = _send(transport, url)
        assert (result.outcome, result.status_code) == (Outcome.REFUSED, None)
    transport.unmount("http://r.test/")
    assert _send(transport, "http://r.test/").outcome is Outcome.REFUSED


def test_a_receiver_declares_its_latency_and_network_failures() -> None:
    def slow(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ[LATENCY_KEY] = 2.5
        if environ["PATH_INFO"] == "/reset":
            raise SimulatedConnectionError("reset")
        start_response("302 Found", [])
        return []

    transport = InProcessTransport()
    transport.mount("http://s.test/", slow)
    redirect = _send(transport, "http://s.test/")
    assert (redirect.outcome, redirect.status_code, redirect.latency) == (
        Outcome.REDIRECT,
        302,
        2.5,
    )
    reset = _send(transport, "http://s.test/reset")
    assert (reset.outcome, reset.latency, reset.error) == (Outcome.RESET, 2.5, "connection reset")
    with pytest.raises(ValueError, match="refused' or 'reset"):
        SimulatedConnectionError("exploded")


@pytest.mark.clause("SIGN-HMAC", "AT-LEAST-ONCE")
def test_the_recording_receiver_verifies_and_deduplicates(world: World) -> None:
    receiver = world.receiver()
    receiver.dedupe = True
    receiver.reject_bad_signatures = True
    subscription = world.subscribe()
    event = world.publish_one()
    world.platform.inject_duplicate(world.env, event.id)
    assert [r.processed for r in receiver.requests] == [True, False]
    assert receiver.unique_ids == {event.id}
    assert len(receiver.copies_of(event.id)) == 2
    # A forged signature is refused with a 401: a failed attempt for the platform.
    receiver.secret = "not-the-secret"
    world.publish_one()
    assert receiver.requests[-1].signature_valid is False
    assert receiver.requests[-1].status == 401
    assert world.platform.attempts(world.env)[-1].status_code == 401
    receiver.clear()
    assert (receiver.requests, receiver.processed_ids) == ([], [])
    assert subscription.consecutive_failures == 1


def test_the_recording_receiver_answers_its_behaviour() -> None:
    receiver = RecordingReceiver(
        respond=lambda n, r: Behaviour(429, headers=(("Retry-After", "30"),), body=b"slow down")
    )
    transport = InProcessTransport()
    transport.mount("http://r.test/", receiver)
    body = b'{"data":{"id":"e1","analyticsEvent":"card-completed"}}'
    result = transport.send(
        OutgoingRequest("PUT", "http://r.test/x", {"X-Atomic-Signature": sign("s", body)}, body, 10)
    )
    assert (result.status_code, result.headers["retry-after"], result.body) == (
        429,
        "30",
        b"slow down",
    )
    request = receiver.requests[0]
    assert (request.method, request.path, request.data_id, request.event_type) == (
        "PUT",
        "/x",
        "e1",
        "card-completed",
    )
    assert request.signature_valid is None  # no secret given: not checked
    assert request.processed is False  # a 429 did not process it
