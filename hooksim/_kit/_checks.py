"""The checks. Each is a function of a `Session` returning a `Verdict`, registered in `CHECKS`
with its id, a title and the contract clauses it stands on.

Adding a check is one function and one `CheckSpec` line; ids are stable, the CLI, JSON and
report take them from here. An opt-in check (`handles-batched`) runs only when asked for.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from hooksim.simulator import EVENT_TYPES, format_time

from ._client import Exchange
from ._grade import CheckSpec, Session, Verdict
from ._payloads import unusual_body

__all__ = ["CHECKS", "CHECK_IDS", "OPT_IN_CHECK_IDS"]

UNKNOWN_EVENT_TYPE = "card-archived"
LARGE_VALUES_BYTES = 256 * 1024
BATCH_TYPES = ("card-published", "card-completed", "card-dismissed")


def refuses_every_signed_body(s: Session) -> str:
    """Why a receiver refuses every correctly signed body, most of the time."""
    return (
        "every correctly signed body is refused, which is what a receiver does when it "
        "verifies a re-serialised copy of the JSON (json.dumps(request.json), "
        "JSON.stringify(req.body)) instead of the raw request bytes; otherwise check that it "
        f"verifies with this secret and reads {s.signature_header} as 64 lowercase hex digits"
    )


def _each(exchanges: Sequence[Exchange], want: str) -> list[Exchange]:
    return [exchange for exchange in exchanges if exchange.status_class() != want]


def _listing(exchanges: Sequence[Exchange], limit: int = 3) -> str:
    shown = [f"{ex.delivery.label} -> {ex.describe()}" for ex in exchanges[:limit]]
    more = f" (+{len(exchanges) - limit} more)" if len(exchanges) > limit else ""
    return "; ".join(shown) + more


def _expect_2xx(exchanges: Sequence[Exchange], passed: str) -> Verdict:
    bad = _each(exchanges, "2xx")
    if not bad:
        return Verdict("pass", passed, exchanges, expected="2xx")
    return Verdict("fail", f"expected 2xx: {_listing(bad)}", exchanges, expected="2xx")


def _expect_4xx(exchanges: Sequence[Exchange], passed: str, accepted_means: str) -> Verdict:
    accepted = [ex for ex in exchanges if ex.status_class() == "2xx"]
    if accepted:
        return Verdict("fail", f"{accepted_means}: {_listing(accepted)}", exchanges, expected="4xx")
    bad = _each(exchanges, "4xx")
    if not bad:
        return Verdict("pass", passed, exchanges, expected="4xx")
    return Verdict(
        "fail",
        f"expected 4xx, a deliberate rejection: {_listing(bad)}",
        exchanges,
        expected="4xx",
    )


# sending checks ---------------------------------------------------------------------
def accepts_valid_signature(s: Session) -> Verdict:
    assert s.probe is not None
    verdict = _expect_2xx([s.probe], "a correctly signed delivery got a 2xx")
    if s.probe.status == 404:
        verdict.reason += f" ({s.sender.not_found_hint})"
    elif s.probe.status in (401, 403):
        verdict.reason += f" ({refuses_every_signed_body(s)})"
    return verdict


def accepts_method(s: Session) -> Verdict:
    exchange = s.send(s.event(f"valid delivery sent with {s.method}", "card-dismissed"))
    verdict = _expect_2xx([exchange], f"{s.method} got a 2xx")
    if exchange.status == 405:
        verdict.reason = f"answered 405 to {s.method}: the subscription's method must be allowed"
    return verdict


def rejects_invalid_signature(s: Session) -> Verdict:
    deliveries = []
    for index in range(len(s.wrong_signatures(s.envelope(s.payloads.data("card-completed"))))):
        envelope = s.envelope(s.payloads.data("card-completed"))
        label, signature = s.wrong_signatures(envelope)[index]
        deliveries.append(s.delivery(label, envelope, signature=signature, valid=False))
    return _expect_4xx(
        s.send_all(deliveries),
        "wrongly signed deliveries got a 4xx",
        "accepted a forged signature: the receiver does not verify signatures",
    )


def rejects_missing_signature(s: Session) -> Verdict:
    envelope = s.envelope(s.payloads.data("card-completed"))
    delivery = s.delivery(f"no {s.signature_header} header", envelope, signature=False)
    return _expect_4xx(
        [s.send(delivery)],
        "an unsigned delivery got a 4xx",
        "accepted a delivery without a signature",
    )


def rejects_tampered_body(s: Session) -> Verdict:
    original = s.envelope(s.payloads.data("card-completed"))
    signature = s.signature_for(original)
    tampered = copy.deepcopy(original)
    tampered["data"]["endUserId"] = "user-attacker"
    tampered["data"]["properties"] = {"values": {"rating": 5, "comment": "changed in transit"}}
    delivery = s.delivery(
        "body changed after signing (endUserId, properties)", tampered, signature=signature
    )
    return _expect_4xx(
        [s.send(delivery)],
        "a tampered body got a 4xx",
        "accepted a body that does not match its signature",
    )


def rejects_malformed_signature(s: Session) -> Verdict:
    deliveries = []
    for label, make in (
        ("empty signature header", lambda sig: ""),
        ("the valid signature cut to its first 32 characters", lambda sig: sig[:32]),
        ("the valid signature with '00' appended", lambda sig: sig + "00"),
        ("64 characters that are not hex", lambda sig: "z" * 64),
    ):
        envelope = s.envelope(s.payloads.data("card-completed"))
        signature = make(s.signature_for(envelope))
        deliveries.append(s.delivery(label, envelope, signature=signature))
    return _expect_4xx(
        s.send_all(deliveries),
        "empty, truncated, extended and non-hex signatures got a 4xx",
        "accepted a signature that is not the exact HMAC (a prefix or lenient comparison?)",
    )


def verifies_raw_bytes(s: Session) -> Verdict:
    data = s.payloads.data(
        "card-completed",
        **{
            "cardContext.cardTemplateName": "Café offer: été",
            "properties": {"values": {"rating": 4, "score": 1.0, "comment": "Très bien / ok"}},
        },
    )
    envelope = s.envelope(data)
    delivery = s.delivery(
        "signed body written unusually (whitespace, \\u00e9, \\/, reversed keys, 1.0)",
        envelope,
        body=unusual_body(envelope),
    )
    verdict = _expect_2xx(
        [s.send(delivery)], "an unusually written, correctly signed body got a 2xx"
    )
    if verdict.status == "fail":
        probe = s.probe.status_class() if s.probe is not None else "error"
        if probe == "2xx":
            verdict.reason += (
                " although the compact body was accepted: the receiver verifies a re-serialised "
                "copy, not the raw bytes"
            )
        elif probe == "4xx" and s.probe is not None and s.probe.status != 404:
            verdict.reason += f"; the compact body was refused too: {refuses_every_signed_body(s)}"
        else:
            verdict.reason += (
                " (the compact body was not accepted either: see accepts-valid-signature)"
            )
    return verdict


def accepts_duplicate(s: Session) -> Verdict:
    data = s.payloads.data("card-completed")
    one_by_one = s.send_all(
        [
            s.delivery("copy 1 of event A (one after the other)", s.envelope(data)),
            s.delivery("copy 2 of event A (one after the other)", s.envelope(data)),
        ]
    )
    data = s.payloads.data("card-completed")
    together = s.send_together(
        [
            s.delivery("copy 1 of event B (both in flight)", s.envelope(data)),
            s.delivery("copy 2 of event B (both in flight)", s.envelope(data)),
        ]
    )
    return _expect_2xx(
        one_by_one + together,
        "every copy of a duplicated data.id got a 2xx, in sequence and concurrently",
    )


def tolerates_unknown_fields(s: Session) -> Verdict:
    data = s.payloads.data("card-completed")
    data["experimentContext"] = {"experimentId": "exp-7", "variant": "B"}
    data["cardContext"]["cardTemplateTags"] = ["onboarding", "new-field"]
    extra = s.envelope(data, deliveryAttempt=1, schemaVersion="2")
    unknown = s.envelope(s.payloads.data(UNKNOWN_EVENT_TYPE))
    return _expect_2xx(
        s.send_all(
            [
                s.delivery("extra fields in the envelope, data and cardContext", extra),
                s.delivery(f"unknown event type {UNKNOWN_EVENT_TYPE!r}", unknown),
            ]
        ),
        "extra fields and an unknown event type got a 2xx",
    )


def tolerates_out_of_order(s: Session) -> Verdict:
    card = str(s.payloads.ids.rng.randint(100000, 999999))
    published_at = s.payloads.now() - 60
    context = {"cardInstanceId": card, "publishedAt": format_time(published_at)}
    completed = s.payloads.data("card-completed", cardContext=context)
    published = s.payloads.data(
        "card-published",
        cardContext=context,
        timestamp=format_time(published_at),
    )
    return _expect_2xx(
        s.send_all(
            [
                s.delivery(f"card {card}: card-completed first", s.envelope(completed)),
                s.delivery(f"card {card}: card-published after", s.envelope(published)),
            ]
        ),
        "card-completed before card-published both got a 2xx",
    )


def survives_large_payload(s: Session) -> Verdict:
    line = "I would like to tell you more about my experience with this offer. " * 15
    chunk = line[:1024]
    values = {f"answer{n:03d}": chunk for n in range(LARGE_VALUES_BYTES // 1024)}
    data = s.payloads.data("card-completed")
    data["properties"] = {"values": values}
    delivery = s.delivery("card-completed with 256 KiB in properties.values", s.envelope(data))
    exchange = s.send(delivery)
    verdict = _expect_2xx([exchange], f"a {len(delivery.body) // 1024} KiB delivery got a 2xx")
    if exchange.status == 413:
        verdict.reason = (
            f"answered 413 to a {len(delivery.body) // 1024} KiB body: raise the receiver's "
            "body size limit (Express's default is 100 kB)"
        )
    return verdict


def accepts_all_event_types(s: Session) -> Verdict:
    exchanges = s.send_all([s.event(event_type, event_type) for event_type in EVENT_TYPES])
    bad = _each(exchanges, "2xx")
    if not bad:
        return Verdict(
            "pass", f"all {len(EVENT_TYPES)} event types got a 2xx", exchanges, {}, "2xx"
        )
    return Verdict(
        "fail",
        f"{len(bad)} of {len(EVENT_TYPES)} event types not accepted: {_listing(bad, 5)}",
        exchanges,
        {},
        "2xx",
    )


def handles_batched(s: Session) -> Verdict:
    if not s.batched:
        return Verdict(
            "skip",
            "opt-in: run with --batched (check_receiver(batched=True)) when the subscription "
            "has a batch setting",
        )
    deliveries = []
    for label, types in (
        ("a batch of 3 events (isBatched: true, data a list)", BATCH_TYPES),
        ("a batch of 1 event", BATCH_TYPES[:1]),
    ):
        envelope = s.envelope([s.payloads.data(t) for t in types], isBatched=True)
        deliveries.append(s.delivery(label, envelope))
    return _expect_2xx(s.send_all(deliveries), "signed batched deliveries got a 2xx")


# checks that judge everything sent ---------------------------------------------------
def responds_in_time(s: Session) -> Verdict:
    late = [ex for ex in s.exchanges if ex.error == "timeout" or ex.elapsed > s.timeout]
    slowest = sorted(s.exchanges, key=lambda ex: ex.elapsed, reverse=True)
    details = {"timeout_s": s.timeout, "deliveries": len(s.exchanges)}
    if late:
        return Verdict(
            "fail",
            f"{len(late)} of {len(s.exchanges)} deliveries got no answer within "
            f"{s.timeout:g} s: {_listing(late)}",
            late[:5],
            details,
        )
    top = slowest[0].elapsed * 1000 if slowest else 0.0
    return Verdict(
        "pass",
        f"all {len(s.exchanges)} answers within {s.timeout:g} s (slowest {top:.0f} ms)",
        slowest[:3],
        details,
    )


def no_redirect(s: Session) -> Verdict:
    redirects = [ex for ex in s.exchanges if ex.status_class() == "3xx"]
    if not redirects:
        return Verdict("pass", f"none of {len(s.exchanges)} answers was a 3xx")
    first = redirects[0]
    location = dict((k.lower(), v) for k, v in first.response_headers).get("location", "?")
    return Verdict(
        "fail",
        f"{len(redirects)} answers were redirects ({first.status} to {location}): the platform "
        "never follows them, each is a failed attempt",
        redirects[:5],
    )


def _effects(s: Session) -> tuple[dict[str, int], Verdict | None]:
    if s.count_effects is None:
        return {}, Verdict(
            "skip",
            "needs the receiver's effect counts: --effects-url URL (an effects probe), or "
            "check_receiver(count_effects=...) in Python",
        )
    after = s.read_effects()
    if s.effects_before is None or after is None:
        return {}, Verdict("fail", s.effects_error or "count_effects() gave no counts")
    ids = {ex.delivery.data_id for ex in s.exchanges if ex.delivery.data_id}
    return {i: after.get(i, 0) - s.effects_before.get(i, 0) for i in ids if i}, None


def idempotent_effects(s: Session) -> Verdict:
    delta, early = _effects(s)
    if early is not None:
        return early
    copies: dict[str, list[Exchange]] = {}
    for ex in s.exchanges:
        if ex.delivery.signed_validly and ex.delivery.data_id:
            copies.setdefault(ex.delivery.data_id, []).append(ex)
    problems, evidence = [], []
    for data_id, sent in copies.items():
        count = delta.get(data_id, 0)
        duplicated = len(sent) > 1 and any(ex.status_class() == "2xx" for ex in sent)
        if count > 1 or (duplicated and count != 1):
            problems.append(f"data.id {data_id}: {len(sent)} copies, {count} effects")
            evidence.extend(sent)
    details = {
        "effects_per_duplicated_id": {
            i: delta.get(i, 0) for i, sent in copies.items() if len(sent) > 1
        }
    }
    if problems:
        return Verdict(
            "fail",
            "expected exactly one effect per data.id: " + "; ".join(problems[:3]),
            evidence,
            details,
        )
    return Verdict("pass", "one effect per data.id, however many copies", (), details)


def no_effects_when_rejected(s: Session) -> Verdict:
    delta, early = _effects(s)
    if early is not None:
        return early
    valid_ids = {ex.delivery.data_id for ex in s.exchanges if ex.delivery.signed_validly}
    forged = [
        ex for ex in s.exchanges if ex.delivery.data_id and ex.delivery.data_id not in valid_ids
    ]
    acted = [ex for ex in forged if delta.get(ex.delivery.data_id or "", 0) > 0]
    details = {"forged_ids": len({ex.delivery.data_id for ex in forged})}
    if acted:
        return Verdict(
            "fail",
            f"acted on {len(acted)} badly signed deliveries (processes before verifying?): "
            + _listing(acted),
            acted,
            details,
        )
    return Verdict("pass", "no effect from any badly signed delivery", (), details)


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec("accepts-valid-signature", "A correctly signed delivery gets a 2xx",
              accepts_valid_signature, ("SIGN-HMAC", "DELIVERY-SUCCESS-2XX")),
    CheckSpec("rejects-invalid-signature", "A signature made with another secret gets a 4xx",
              rejects_invalid_signature, ("SIGN-HMAC",)),
    CheckSpec("rejects-missing-signature", "A delivery without a signature gets a 4xx",
              rejects_missing_signature, ("SIGN-HMAC",)),
    CheckSpec("rejects-tampered-body", "A body changed after signing gets a 4xx",
              rejects_tampered_body, ("SIGN-HMAC", "SIGN-RAW-BYTES")),
    CheckSpec("rejects-malformed-signature",
              "Empty, truncated, extended or non-hex signatures get a 4xx",
              rejects_malformed_signature, ("SIGN-HMAC", "SIGN-TIMING-SAFE")),
    CheckSpec("verifies-raw-bytes", "An unusually written, correctly signed body gets a 2xx",
              verifies_raw_bytes, ("SIGN-RAW-BYTES",)),
    CheckSpec("accepts-duplicate", "Copies of one data.id each get a 2xx, also at once",
              accepts_duplicate, ("AT-LEAST-ONCE",)),
    CheckSpec("accepts-method", "The subscription's method gets a 2xx",
              accepts_method, ("DELIVERY-METHOD",)),
    CheckSpec("tolerates-unknown-fields", "Extra fields and an unknown event type get a 2xx",
              tolerates_unknown_fields, ("EVENT-PAYLOAD", "DISABLE-THRESHOLD")),
    CheckSpec("tolerates-out-of-order", "card-completed before card-published: both 2xx",
              tolerates_out_of_order, ("AT-LEAST-ONCE",)),
    CheckSpec("survives-large-payload", "A 256 KiB properties.values gets a 2xx",
              survives_large_payload, ("EVENT-PAYLOAD",)),
    CheckSpec("accepts-all-event-types", "Every analytics event type gets a 2xx",
              accepts_all_event_types, ("EVENT-TYPES",)),
    CheckSpec("handles-batched", "A signed batch of several events gets a 2xx (opt-in)",
              handles_batched, ("BATCHING",), opt_in=True),
    CheckSpec("responds-in-time", "Every answer comes within the timeout",
              responds_in_time, ("DELIVERY-TIMEOUT",), "after"),
    CheckSpec("no-redirect", "No answer is a 3xx (redirects are never followed)",
              no_redirect, ("DELIVERY-SUCCESS-2XX",), "after"),
    CheckSpec("idempotent-effects", "Exactly one side effect per data.id, however many copies",
              idempotent_effects, ("AT-LEAST-ONCE",), "after"),
    CheckSpec("no-effects-when-rejected", "Badly signed deliveries cause no side effect",
              no_effects_when_rejected, ("SIGN-HMAC",), "after"),
)  # fmt: skip

#: The checks every run grades; OPT_IN_CHECK_IDS run only when asked for.
CHECK_IDS: tuple[str, ...] = tuple(spec.id for spec in CHECKS if not spec.opt_in)
OPT_IN_CHECK_IDS: tuple[str, ...] = tuple(spec.id for spec in CHECKS if spec.opt_in)
