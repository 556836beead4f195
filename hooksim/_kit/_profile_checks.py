"""The checks a platform profile's signing scheme makes necessary, beyond the kit's own (which
run in the profile's terms too): timestamps outside the sender's tolerance refused in both
directions (in seconds: milliseconds sent as seconds are far in the future), a timestamp
well inside it accepted, the id and timestamp bound by the signature, a signature list with
one valid entry among others accepted, secret rotation (old and new signatures) accepted, and
a replayed message handled once.

Each check applies to the schemes that have what it tests (`applies`): GitHub's signs no
timestamp and lists one signature; Atomic's none of this.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from ._checks import _expect_2xx, _expect_4xx
from ._grade import CheckSpec, Session, Verdict
from ._schemes import KitScheme

__all__ = ["PROFILE_CHECKS", "applies"]

#: Seconds beyond the tolerance a refused timestamp lies, and within it an accepted one.
MARGIN = 60.0


def _tolerance(s: Session) -> float:
    tolerance = s.scheme.profile.tolerance
    assert tolerance is not None
    return tolerance


def rejects_stale_timestamp(s: Session) -> Verdict:
    tolerance = _tolerance(s)
    old = s.payloads.now() - tolerance - MARGIN
    delivery = s.delivery(
        f"correctly signed, timestamp {tolerance + MARGIN:g} s old (tolerance {tolerance:g} s)",
        s.envelope(s.payloads.data("card-completed")),
        timestamp=old,
        valid=False,
    )
    return _expect_4xx(
        [s.send(delivery)],
        "a timestamp older than the tolerance got a 4xx",
        "accepted a stale timestamp: replays of captured requests work (no tolerance check?)",
    )


def rejects_future_timestamp(s: Session) -> Verdict:
    tolerance = _tolerance(s)
    now = s.payloads.now()
    deliveries = [
        s.delivery(
            f"correctly signed, timestamp {tolerance + MARGIN:g} s ahead",
            s.envelope(s.payloads.data("card-completed")),
            timestamp=now + tolerance + MARGIN,
            valid=False,
        ),
        s.delivery(
            "correctly signed, timestamp in milliseconds (13 digits) instead of seconds",
            s.envelope(s.payloads.data("card-completed")),
            timestamp=now * 1000,
            valid=False,
        ),
    ]
    return _expect_4xx(
        s.send_all(deliveries),
        "timestamps ahead of the tolerance (and milliseconds, far ahead in seconds) got a 4xx",
        "accepted a timestamp in the future: the tolerance is checked one way only",
    )


def accepts_recent_timestamp(s: Session) -> Verdict:
    tolerance = _tolerance(s)
    inside = tolerance - MARGIN / 2
    now = s.payloads.now()
    deliveries = [
        s.delivery(
            f"correctly signed, timestamp {inside:g} s old (inside the tolerance)",
            s.envelope(s.payloads.data("card-completed")),
            timestamp=now - inside,
        )
    ]
    if s.scheme.profile.tolerance_future:
        deliveries.append(
            s.delivery(
                f"correctly signed, timestamp {inside:g} s ahead (inside the tolerance)",
                s.envelope(s.payloads.data("card-completed")),
                timestamp=now + inside,
            )
        )
    verdict = _expect_2xx(
        s.send_all(deliveries), "timestamps inside the tolerance got a 2xx (clock skew)"
    )
    if verdict.status == "fail":
        verdict.reason += " (a tolerance narrower than the sender's, or seconds read as ms?)"
    return verdict


def rejects_unsigned_id_or_timestamp(s: Session) -> Verdict:
    """The id and timestamp are signed: changing either after signing must fail."""
    now = float(int(s.payloads.now()))
    deliveries = []
    envelope = s.envelope(s.payloads.data("card-completed"))
    signature = s.signature_for(envelope, timestamp=now)
    if s.scheme.name == "stripe":
        moved = signature.replace(f"t={int(now)},", f"t={int(now) - 1},", 1)
        deliveries.append(
            s.delivery(
                "t= changed by one second after signing", envelope, signature=moved, valid=False
            )
        )
    else:
        deliveries.append(
            s.delivery(
                "timestamp header changed by one second after signing",
                envelope,
                signature=signature,
                timestamp=now - 1,
                valid=False,
            )
        )
        envelope = s.envelope(s.payloads.data("card-completed"))
        signature = s.signature_for(envelope, timestamp=now)
        deliveries.append(
            s.delivery(
                "id header replaced after signing",
                envelope,
                signature=signature,
                timestamp=now,
                message_id="msg_" + s.payloads.ids.short_id(24),
                valid=False,
            )
        )
    return _expect_4xx(
        s.send_all(deliveries),
        "an id or timestamp changed after signing got a 4xx",
        "accepted an id or timestamp the signature does not cover (verifies the body alone?)",
    )


def _junk(s: Session, size: int) -> str:
    return base64.b64encode(s.payloads.ids.rng.getrandbits(size * 8).to_bytes(size, "big")).decode()


def accepts_one_valid_among_many(s: Session) -> Verdict:
    envelope = s.envelope(s.payloads.data("card-completed"))
    now = float(int(s.payloads.now()))
    valid = s.signature_for(envelope, timestamp=now)
    foreign = s.signature_for(envelope, timestamp=now, secret=s.other_secret())
    if s.scheme.name == "stripe":
        others = ["v0=" + _junk(s, 32).encode().hex()[:64], foreign.split(",", 1)[1]]
        what = "a v0= entry and a v1= of another secret before the valid v1="
    else:
        others = ["v1a," + _junk(s, 64), "v2," + _junk(s, 32), foreign]
        what = "v1a, v2 and another secret's v1 entries before the valid one"
    listing = s.scheme.listing(valid, others)
    delivery = s.delivery(what, envelope, signature=listing, timestamp=now, valid=True)
    verdict = _expect_2xx([s.send(delivery)], "a list with one valid signature got a 2xx")
    if verdict.status == "fail":
        verdict.reason += " (only the first entry checked, or an unknown version refused?)"
    return verdict


def accepts_rotated_secrets(s: Session) -> Verdict:
    other = s.other_secret()
    deliveries = []
    for label, secrets in (
        ("signed with a new secret and the receiver's (old) one, in that order", [other, None]),
        ("signed with the receiver's (new) secret and an old one, in that order", [None, other]),
    ):
        envelope = s.envelope(s.payloads.data("card-completed"))
        deliveries.append(s.delivery(label, envelope, secrets=secrets))
    return _expect_2xx(
        s.send_all(deliveries), "both signatures of a secret rotation were accepted, either order"
    )


def handles_replay_once(s: Session) -> Verdict:
    """The very same request twice (a captured request replayed within the tolerance, or a
    sender's resend): the receiver may answer either way, but must act once."""
    if s.count_effects is None:
        return Verdict(
            "skip",
            "needs the receiver's effect counts (--effects-url, or count_effects in Python) to "
            "see whether a replayed message was acted on twice",
        )
    before = s.read_effects()
    envelope = s.envelope(s.payloads.data("card-completed"))
    delivery = s.delivery("a message, then the very same request again (a replay)", envelope)
    exchanges = [s.send(delivery), s.send(delivery)]
    after = s.read_effects()
    if before is None or after is None:
        return Verdict("fail", s.effects_error or "count_effects() gave no counts", exchanges)
    data_id = delivery.data_id or ""
    count = after.get(data_id, 0) - before.get(data_id, 0)
    details = {"data_id": data_id, "effects": count}
    if exchanges[0].status_class() != "2xx":
        return Verdict("fail", "the first copy was not accepted", exchanges, details)
    if count != 1:
        return Verdict(
            "fail",
            f"a replayed message (same id, same signature) caused {count} effects, not 1: "
            "dedupe by the message id",
            exchanges,
            details,
        )
    return Verdict("pass", "a replayed message was acted on once", exchanges, details)


PROFILE_CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec("rejects-stale-timestamp", "A timestamp older than the tolerance gets a 4xx",
              rejects_stale_timestamp, ("SIGN-HMAC",)),
    CheckSpec("rejects-future-timestamp",
              "A timestamp ahead of the tolerance, or in milliseconds, gets a 4xx",
              rejects_future_timestamp, ("SIGN-HMAC",)),
    CheckSpec("accepts-recent-timestamp", "A timestamp inside the tolerance gets a 2xx",
              accepts_recent_timestamp, ("SIGN-HMAC",)),
    CheckSpec("rejects-unsigned-id-or-timestamp",
              "An id or timestamp changed after signing gets a 4xx",
              rejects_unsigned_id_or_timestamp, ("SIGN-HMAC",)),
    CheckSpec("accepts-one-valid-among-many",
              "A signature list with one valid entry among others gets a 2xx",
              accepts_one_valid_among_many, ("SIGN-HMAC",)),
    CheckSpec("accepts-rotated-secrets", "Old and new signatures of a rotation get a 2xx",
              accepts_rotated_secrets, ("SIGN-HMAC",)),
    CheckSpec("handles-replay-once",
              "A replayed message (same id and signature) causes one side effect",
              handles_replay_once, ("AT-LEAST-ONCE",), "after"),
)  # fmt: skip


def _checks_age(scheme: KitScheme) -> bool:
    return scheme.timestamped and scheme.profile.tolerance is not None


_APPLIES: dict[str, Callable[[KitScheme], bool]] = {
    "rejects-stale-timestamp": _checks_age,
    "rejects-future-timestamp": lambda k: _checks_age(k) and k.profile.tolerance_future,
    "accepts-recent-timestamp": _checks_age,
    "rejects-unsigned-id-or-timestamp": lambda k: k.timestamped,
    "accepts-one-valid-among-many": lambda k: k.several_signatures,
    "accepts-rotated-secrets": lambda k: k.several_signatures,
    "handles-replay-once": lambda k: k.name != "atomic",
}


def applies(spec: CheckSpec, scheme: KitScheme) -> bool:
    """Whether the profile check `spec` tests something `scheme` has."""
    return _APPLIES[spec.id](scheme)
