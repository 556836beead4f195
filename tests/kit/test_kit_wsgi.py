"""Each example receiver graded in-process (WSGI, no network): the right checks fail."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from kit_receivers import (
    SECRET,
    CorrectReceiver,
    DoubleProcesses,
    FailsDuplicates,
    KnownTypesOnly,
    PostOnly,
    PrefixCompare,
    ProcessesBeforeVerifying,
    Redirects,
    Reserializes,
    SkipsVerification,
    Slow,
    SmallBodyLimit,
)

import hooksim
from hooksim._kit import CHECK_IDS

REQUIRED_IDS = {
    "accepts-valid-signature",
    "rejects-invalid-signature",
    "rejects-missing-signature",
    "rejects-tampered-body",
    "verifies-raw-bytes",
    "accepts-duplicate",
    "accepts-method",
    "tolerates-unknown-fields",
    "responds-in-time",
    "no-redirect",
    "tolerates-out-of-order",
    "idempotent-effects",
}

# receiver -> exactly the checks that must fail (with count_effects given)
CASES = [
    (CorrectReceiver, set()),
    (
        SkipsVerification,
        {
            "rejects-invalid-signature",
            "rejects-missing-signature",
            "rejects-tampered-body",
            "rejects-malformed-signature",
            "no-effects-when-rejected",
        },
    ),
    (Reserializes, {"verifies-raw-bytes"}),
    (FailsDuplicates, {"accepts-duplicate"}),
    (DoubleProcesses, {"idempotent-effects"}),
    (ProcessesBeforeVerifying, {"no-effects-when-rejected"}),
    (PrefixCompare, {"rejects-malformed-signature", "no-effects-when-rejected"}),
    (SmallBodyLimit, {"survives-large-payload"}),
    (KnownTypesOnly, {"tolerates-unknown-fields"}),
]


def failed_ids(result: hooksim.KitResult) -> set[str]:
    return {check.id for check in result.failed}


def test_every_required_check_is_graded() -> None:
    assert set(CHECK_IDS) >= REQUIRED_IDS
    result = hooksim.check_receiver(CorrectReceiver(), secret=SECRET)
    assert result.ids() == list(CHECK_IDS)


@pytest.mark.parametrize(
    ("receiver_class", "expected"), CASES, ids=lambda c: getattr(c, "__name__", "")
)
def test_receiver_fails_exactly_the_expected_checks(
    receiver_class: type, expected: set[str]
) -> None:
    receiver = receiver_class()
    result = hooksim.check_receiver(receiver, secret=SECRET, count_effects=receiver.count_effects)
    assert failed_ids(result) == expected, result.explain()
    assert result.passed is (not expected)
    assert not result.skipped


def test_correct_receiver_passes_and_assert_passed_is_silent() -> None:
    receiver = CorrectReceiver()
    result = hooksim.check_receiver(
        receiver, secret=SECRET, method="PUT", count_effects=receiver.count_effects
    )
    result.assert_passed()
    assert result.method == "PUT"
    assert all(ex.delivery.method == "PUT" for check in result for ex in check.exchanges)


def test_effect_checks_skip_without_a_callback() -> None:
    result = hooksim.check_receiver(DoubleProcesses(), secret=SECRET)
    assert result.passed
    for check_id in ("idempotent-effects", "no-effects-when-rejected"):
        assert result[check_id].status == "skip"
        assert "count_effects" in result[check_id].reason


def test_redirecting_receiver_fails_no_redirect() -> None:
    result = hooksim.check_receiver(Redirects(), secret=SECRET)
    check = result["no-redirect"]
    assert check.status == "fail"
    assert "308" in check.reason and "/webhooks/atomic/" in check.reason
    assert all(ex.status == 308 for ex in check.exchanges)


def test_slow_receiver_fails_responds_in_time() -> None:
    receiver = Slow()
    try:
        result = hooksim.check_receiver(receiver, secret=SECRET, timeout=0.2)
    finally:
        receiver.gate.set()
    check = result["responds-in-time"]
    assert check.status == "fail"
    assert [ex.delivery.label for ex in check.exchanges] == ["video-played"]
    assert check.exchanges[0].error == "timeout"
    assert failed_ids(result) == {"responds-in-time", "accepts-all-event-types"}


def test_method_the_receiver_refuses_fails_accepts_method() -> None:
    result = hooksim.check_receiver(PostOnly(), secret=SECRET, method="PUT")
    check = result["accepts-method"]
    assert check.status == "fail"
    assert "405" in check.reason and "PUT" in check.reason


def test_assert_passed_lists_each_failure_with_evidence() -> None:
    result = hooksim.check_receiver(SkipsVerification(), secret=SECRET)
    with pytest.raises(AssertionError) as failure:
        result.assert_passed()
    message = str(failure.value)
    for check_id in ("rejects-invalid-signature", "rejects-missing-signature"):
        assert f"{check_id}: FAIL" in message
    assert "signed with another secret: POST" in message
    assert "-> 200" in message
    assert "verifies-raw-bytes" not in message  # only failures are listed


def test_reserializing_receiver_reason_names_the_bug() -> None:
    result = hooksim.check_receiver(Reserializes(), secret=SECRET)
    check = result["verifies-raw-bytes"]
    assert "re-serialised" in check.reason
    body = check.exchanges[0].delivery.body
    assert b"\\u00e9" in body and b"\\/" in body and b"1.0" in body and b"\n" in body


def test_crashing_receiver_is_a_500_not_a_kit_error() -> None:
    def crashes(environ, start_response):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    result = hooksim.check_receiver(crashes, secret=SECRET)
    check = result["accepts-valid-signature"]
    assert check.exchanges[0].status == 500
    assert "boom" in (check.exchanges[0].note or "")


def test_the_concurrent_copies_really_are_in_flight_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The receiver holds each copy of the concurrently sent event until its twin arrives:
    had the kit sent them one after the other, the first would wait in vain and fail."""
    from werkzeug.wrappers import Response

    from hooksim._kit._grade import Session

    twins = threading.Barrier(2)
    concurrent_ids: set[str] = set()
    met: list[str] = []
    send_together = Session.send_together

    def spy(self: Session, deliveries: Any) -> Any:
        concurrent_ids.update(delivery.data_id for delivery in deliveries)
        return send_together(self, deliveries)

    monkeypatch.setattr(Session, "send_together", spy)

    class WaitsForTwin(CorrectReceiver):
        def process(self, data_id: str, data: dict[str, Any]) -> Response:
            if data_id in concurrent_ids:
                try:
                    twins.wait(timeout=5)
                except threading.BrokenBarrierError:
                    return Response("twin never came", 500)
                met.append(data_id)
            return super().process(data_id, data)

    result = hooksim.check_receiver(WaitsForTwin(), secret=SECRET)
    assert result["accepts-duplicate"].status == "pass", result.explain()
    assert len(met) == 2 and len(set(met)) == 1


def test_a_receiver_that_stops_answering_is_given_up_on() -> None:
    """After three timeouts in a row the rest is recorded as not sent, not waited for."""
    gate = threading.Event()

    def hangs(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        gate.wait(5)
        start_response("200 OK", [])
        return [b"late"]

    try:
        result = hooksim.check_receiver(hangs, secret=SECRET, timeout=0.05)
    finally:
        gate.set()
    sent = [ex for check in result if check.id != "responds-in-time" for ex in check.exchanges]
    assert [ex.error for ex in sent[:3]] == ["timeout"] * 3
    assert {ex.error for ex in sent[3:]} == {"not-sent"}
    assert "not sent" in result["accepts-duplicate"].reason
    assert result["responds-in-time"].status == "fail"
    assert result["accepts-valid-signature"].status == "fail"  # slow, yet not unreachable
