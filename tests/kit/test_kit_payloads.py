"""What the kit sends is what the platform sends, byte for byte; the secret never leaks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hooksim.contracts import verify
from hooksim.simulator import InvalidInput, Platform, RecordingReceiver
from kit_receivers import SECRET, CorrectReceiver

import hooksim
from hooksim._kit._payloads import Payloads, canonical_body, unusual_body


def platform_delivery() -> tuple[bytes, dict[str, str], str]:
    platform = Platform()
    platform.create_environment("dev")
    receiver = RecordingReceiver()
    platform.transport.mount("http://receiver.test/hook", receiver)  # type: ignore[attr-defined]
    subscription = platform.subscribe(
        "dev",
        {"types": ["card-completed"], "url": "http://receiver.test/hook", "headers": {"A": "1"}},
    )
    platform.publish(
        "dev", "card-completed", overrides={"cardContext.cardTemplateName": "Café été"}
    )
    request = receiver.requests[0]
    return request.body, request.headers, subscription.secret


def test_envelope_bytes_and_headers_match_the_platform() -> None:
    body, headers, secret = platform_delivery()
    envelope = json.loads(body)
    assert canonical_body(envelope) == body  # the kit writes exactly the platform's bytes

    payloads = Payloads(secret=secret)
    kit_envelope = payloads.envelope(payloads.data("card-completed"))
    assert list(kit_envelope) == list(envelope)
    assert list(kit_envelope["data"]) == list(envelope["data"])
    kit_headers = payloads.base_headers({"A": "1"})
    kit_headers["X-Atomic-Signature"] = payloads.signature(canonical_body(kit_envelope))
    platform_names = {name.lower() for name in headers} - {"host"}
    assert {name.lower() for name in kit_headers} == platform_names
    assert kit_headers["User-Agent"] == headers["User-Agent"]
    assert verify(secret, body, headers["X-Atomic-Signature"])


def test_unusual_body_is_the_same_document_written_differently() -> None:
    payloads = Payloads(secret=SECRET)
    data = payloads.data(
        "card-completed",
        **{"properties": {"values": {"score": 1.0, "text": "é / ü"}}},
    )
    envelope = payloads.envelope(data)
    odd = unusual_body(envelope)
    assert json.loads(odd) == envelope
    assert odd != canonical_body(envelope)
    assert b"\\u00e9" in odd and b"\\/" in odd and b'"score" : 1.0' in odd
    # reversed key order: "data" comes before "requestId"
    assert odd.index(b'"data"') < odd.index(b'"requestId"')


def test_data_ids_are_fresh_across_runs() -> None:
    first = Payloads(secret=SECRET).data("card-published")["id"]
    second = Payloads(secret=SECRET).data("card-published")["id"]
    assert first != second


def test_the_secret_never_appears_even_when_the_receiver_echoes_it() -> None:
    def echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("X-Debug", f"secret={SECRET}")])
        return [f"expected a signature made with {SECRET}".encode()]

    result = hooksim.check_receiver(echo, secret=SECRET, headers={"X-Token": SECRET})
    text = json.dumps(result.to_dict()) + result.explain()
    assert SECRET not in text
    assert "[secret]" in text


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"secret": ""}, "secret"),
        ({"secret": SECRET, "method": "GET"}, "method"),
        ({"secret": SECRET, "timeout": 0}, None),
        ({"secret": SECRET, "timeout": float("nan")}, None),
        ({"secret": SECRET, "headers": {"Content-Type": "text/plain"}}, "headers"),
        ({"secret": SECRET, "headers": {"X": "a\r\nInjected: 1"}}, "headers"),
        ({"secret": SECRET, "count_effects": 3}, "count_effects"),
    ],
)
def test_bad_arguments_raise_invalid_input(kwargs: dict[str, Any], field: str | None) -> None:
    with pytest.raises(InvalidInput) as raised:
        hooksim.check_receiver(CorrectReceiver(), **kwargs)
    assert raised.value.field == field


def test_bad_target_raises_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="URL or a WSGI app"):
        hooksim.check_receiver(42, secret=SECRET)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="bad receiver URL"):
        hooksim.check_receiver("mailto:x@example.com", secret=SECRET)


def test_count_effects_that_raises_fails_the_effect_checks_readably() -> None:
    def broken() -> dict[str, int]:
        raise RuntimeError("db is down")

    result = hooksim.check_receiver(CorrectReceiver(), secret=SECRET, count_effects=broken)
    assert result["idempotent-effects"].status == "fail"
    assert "db is down" in result["idempotent-effects"].reason


def test_public_names() -> None:
    for name in ("check_receiver", "KitResult", "CheckResult", "ReceiverUnreachable"):
        assert name in hooksim.__all__
        assert getattr(hooksim, name) is not None
    with pytest.raises(AttributeError):
        hooksim.no_such_name  # noqa: B018


def test_latency_percentiles_are_nearest_rank() -> None:
    from hooksim._kit import Latency

    latency = Latency.of([n / 1000 for n in range(1, 21)])  # 1..20 ms
    assert latency.to_dict() == {"count": 20, "p50_ms": 10.0, "p95_ms": 19.0, "max_ms": 20.0}
    assert Latency.of([]).to_dict()["p50_ms"] is None
