"""The same checks over real HTTP (werkzeug's server on 127.0.0.1 in a thread)."""

from __future__ import annotations

import pytest
from kit_receivers import SECRET, CorrectReceiver, Redirects, Serve, SkipsVerification, Slow

import hooksim

pytestmark = pytest.mark.served


def test_correct_receiver_passes_over_http(serve: Serve) -> None:
    receiver = CorrectReceiver()
    with serve(receiver) as url:
        result = hooksim.check_receiver(url, secret=SECRET, count_effects=receiver.count_effects)
    result.assert_passed()
    assert result.receiver == url
    assert result.latency.count >= 40 and result.latency.p95 is not None
    # Both copies of event B really were in flight together and both were answered.
    duplicates = result["accepts-duplicate"].exchanges
    assert [ex.status for ex in duplicates] == [200, 200, 200, 200]


def test_receiver_that_skips_verification_fails_over_http(serve: Serve) -> None:
    with serve(SkipsVerification()) as url:
        result = hooksim.check_receiver(url, secret=SECRET)
    assert {check.id for check in result.failed} == {
        "rejects-invalid-signature",
        "rejects-missing-signature",
        "rejects-tampered-body",
        "rejects-malformed-signature",
    }


def test_headers_sent_over_the_wire_are_the_platforms(serve: Serve) -> None:
    seen: list[dict[str, str]] = []

    class Recording(CorrectReceiver):
        def handle(self, request):  # type: ignore[no-untyped-def]
            seen.append(dict(request.headers))
            return super().handle(request)

    with serve(Recording()) as url:
        hooksim.check_receiver(url, secret=SECRET, headers={"My-Custom-Header": "123"})
    first = seen[0]
    assert set(first) == {
        "Host",
        "Content-Length",
        "Content-Type",
        "User-Agent",
        "My-Custom-Header",
        "X-Atomic-Signature",
    }
    assert first["User-Agent"] == hooksim.simulator.USER_AGENT
    assert first["My-Custom-Header"] == "123"


def test_redirect_is_not_followed_over_http(serve: Serve) -> None:
    with serve(Redirects()) as url:
        result = hooksim.check_receiver(url, secret=SECRET)
    assert result["no-redirect"].status == "fail"
    assert all(ex.status == 308 for ex in result["no-redirect"].exchanges)


def test_slow_receiver_fails_responds_in_time_over_http(serve: Serve) -> None:
    with serve(Slow()) as url:
        result = hooksim.check_receiver(url, secret=SECRET, timeout=0.2)
    assert result["responds-in-time"].status == "fail"
    assert result["responds-in-time"].exchanges[0].error == "timeout"
    assert result["accepts-valid-signature"].status == "pass"  # slow is not unreachable


def test_unreachable_url_raises(refused_url: str) -> None:
    with pytest.raises(hooksim.ReceiverUnreachable) as raised:
        hooksim.check_receiver(refused_url, secret=SECRET)
    assert raised.value.kind == "refused"
    assert "connection refused" in str(raised.value)
