"""The delivery judge under a platform profile: each request checked against the sender's own
rules, by code of its own.

Like `_judge_signature.py` for Atomic, the signatures are computed here from the senders'
documentation with `hmac`, `hashlib` and `base64` alone, never with `hooksim.contracts` (the
code the platform signs with): a profile that signs with the wrong key, the wrong content or
the wrong encoding fails its library scenarios even if the shared code were changed the same
way. What each sender's documentation says a request holds:

- Standard Webhooks / Svix: `{prefix}-id`, `{prefix}-timestamp` (whole Unix seconds, the
  attempt's time) and `{prefix}-signature` (space-separated `v1,<base64>` entries, one the
  HMAC-SHA256 of `{id}.{timestamp}.{body}` keyed with the base64-decoded `whsec_` secret);
  the id is the same on every copy of an event and differs between events; the body is
  `{"type", "timestamp", "data"}`.
- Stripe: `Stripe-Signature: t=<seconds>,v1=<hex HMAC-SHA256 of "{t}.{body}">` keyed with the
  whole secret; the body is an Event (`id` "evt_...", the same on every copy; `object`
  "event"; `type`; `data.object` the event).
- GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, `X-GitHub-Event` (the
  event's type), `X-GitHub-Delivery` (a GUID, the same on a redelivery), `X-GitHub-Hook-ID`
  (the subscription); the body is `{"action", "data"}`.

Which scheme a bundled profile uses is written here too (`SCHEMES`), not read from its file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from typing import Any

from ._judge import (
    DeliveryJudge,
    SeenRequest,
    Verdict,
    Violation,
    _Checks,
    _Copy,
    _Request,
    _Run,
)

__all__ = ["SCHEMES", "ProfileDeliveryJudge", "expected_scheme"]

#: Bundled profile -> (signing scheme, envelope), as the senders document them.
SCHEMES = {
    "standard-webhooks": ("standard-webhooks", "standard-webhooks"),
    "svix": ("svix", "standard-webhooks"),
    "stripe": ("stripe", "stripe"),
    "github": ("github", "github"),
}
_PREFIX = {"standard-webhooks": "webhook", "svix": "svix"}
_SECONDS = re.compile(r"[0-9]{1,11}")
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: A timestamp may be this far from the request's arrival (the attempt's start, on the same
#: virtual clock): rounding down to whole seconds.
_SLACK = 1.0
_ENVELOPE_KEYS = {
    "standard-webhooks": ["type", "timestamp", "data"],
    "github": ["action", "data"],
    "stripe": [
        "id",
        "object",
        "api_version",
        "created",
        "data",
        "livemode",
        "pending_webhooks",
        "request",
        "type",
    ],
}


def expected_scheme(profile: str, signing: str, envelope: str) -> tuple[str, str]:
    """What the judge holds a profile's requests to: a bundled profile's documented scheme,
    whatever its file says; a user's profile, the scheme it declares."""
    return SCHEMES.get(profile, (signing, envelope))


def _hmac(key: bytes, content: bytes) -> bytes:
    return hmac.new(key, content, hashlib.sha256).digest()


def _whsec_key(secret: str) -> bytes | None:
    text = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except binascii.Error:
        return None


class ProfileDeliveryJudge(DeliveryJudge):
    """A delivery judge holding requests to a sender's scheme and envelope.

    `start` is the absolute platform time of the scenario's start: a request's arrival
    (`SeenRequest.t`, relative) plus `start` is the instant its timestamp must name."""

    def __init__(self, *, scheme: str, envelope: str, start: float, **options: Any) -> None:
        super().__init__(**options)
        self.scheme = scheme
        self.envelope = envelope
        self.start = start

    def judge(self, requests: Iterable[SeenRequest]) -> Verdict:
        ordered = sorted(requests, key=lambda r: (r.t, r.receiver, r.number))
        run = _ProfileRun(self)
        for seen in ordered:
            run.judge(seen)
        return Verdict(len(ordered), run.violations)

    # the signature, computed here ---------------------------------------------------------
    def signature_problems(self, request: _Request, secret: str) -> list[tuple[str, str, str]]:
        """What is wrong with the request's signing: (check, expected, got) each."""
        if self.scheme in _PREFIX:
            return self._standard(request, secret, _PREFIX[self.scheme])
        if self.scheme == "stripe":
            return self._stripe(request, secret)
        if self.scheme == "github":
            return self._github(request, secret)
        return [("scheme", "a signing scheme the judge knows", repr(self.scheme))]

    def _one(self, request: _Request, name: str) -> tuple[str | None, list[tuple[str, str, str]]]:
        values = request.headers.get(name, [])
        if len(values) != 1:
            got = "nothing" if not values else f"{len(values)} values"
            return None, [(f"header {name}", "exactly one value", got)]
        return values[0], []

    def _timestamp(self, request: _Request, stamp: str, name: str) -> list[tuple[str, str, str]]:
        arrival = self.start + request.seen.t
        if not _SECONDS.fullmatch(stamp):
            if stamp.isdigit() and len(stamp) >= 13:
                return [(name, "whole Unix seconds", f"{stamp!r}, milliseconds sent as seconds")]
            return [(name, "whole Unix seconds", repr(stamp[:30]))]
        if abs(int(stamp) - arrival) > _SLACK:
            return [
                (
                    name,
                    f"the attempt's time, {int(arrival)}",
                    f"{stamp}, {int(stamp) - arrival:+.0f} s away from it",
                )
            ]
        return []

    def _standard(self, request: _Request, secret: str, prefix: str) -> list[tuple[str, str, str]]:
        problems: list[tuple[str, str, str]] = []
        message_id, found = self._one(request, f"{prefix}-id")
        problems += found
        stamp, found = self._one(request, f"{prefix}-timestamp")
        problems += found
        signatures, found = self._one(request, f"{prefix}-signature")
        problems += found
        if stamp is not None:
            problems += self._timestamp(request, stamp, f"header {prefix}-timestamp")
        if message_id is None or stamp is None or signatures is None:
            return problems
        key = _whsec_key(secret)
        if key is None:
            return [*problems, ("secret", "whsec_ and base64", "a secret that is not")]
        content = f"{message_id}.{stamp}.".encode() + request.seen.body
        wanted = "v1," + base64.b64encode(_hmac(key, content)).decode()
        entries = signatures.split(" ")
        if wanted not in entries:
            got = f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}, none of them it"
            if base64.b64encode(_hmac(key, request.seen.body)).decode() in signatures:
                got += " (one is the HMAC of the body alone)"
            elif base64.b64encode(_hmac(secret.encode(), content)).decode() in signatures:
                got += " (one is keyed with the secret's text, not its base64-decoded bytes)"
            problems.append(
                (
                    f"header {prefix}-signature",
                    f"a v1 entry, base64 HMAC-SHA256 of '{{id}}.{{timestamp}}.{{body}}' "
                    f"({wanted[:14]}...)",
                    got,
                )
            )
        return problems

    def _stripe(self, request: _Request, secret: str) -> list[tuple[str, str, str]]:
        header, problems = self._one(request, "stripe-signature")
        if header is None:
            return problems
        items = [item.partition("=") for item in header.split(",")]
        stamps = [value for key, _, value in items if key == "t"]
        signatures = [value for key, _, value in items if key == "v1"]
        if len(stamps) != 1:
            return [("header Stripe-Signature", "one t= timestamp", f"{len(stamps)}")]
        problems += self._timestamp(request, stamps[0], "Stripe-Signature t=")
        content = f"{stamps[0]}.".encode() + request.seen.body
        wanted = _hmac(secret.encode(), content).hex()
        if wanted not in signatures:
            problems.append(
                (
                    "header Stripe-Signature",
                    f"a v1= entry, hex HMAC-SHA256 of '{{t}}.{{body}}' ({wanted[:12]}...)",
                    f"{len(signatures)} v1 entries, none of them it",
                )
            )
        return problems

    def _github(self, request: _Request, secret: str) -> list[tuple[str, str, str]]:
        header, problems = self._one(request, "x-hub-signature-256")
        if header is None:
            return problems
        wanted = "sha256=" + _hmac(secret.encode(), request.seen.body).hex()
        if header != wanted:
            problems.append(
                (
                    "header X-Hub-Signature-256",
                    f"sha256= and the hex HMAC-SHA256 of the raw body ({wanted[:19]}...)",
                    repr(header[:24] + ("..." if len(header) > 24 else "")),
                )
            )
        return problems

    def message_id(self, request: _Request) -> str | None:
        """The id the sender keeps for every copy of one event."""
        if self.scheme in _PREFIX:
            values = request.headers.get(f"{_PREFIX[self.scheme]}-id", [])
            return values[0] if values else None
        if self.scheme == "github":
            values = request.headers.get("x-github-delivery", [])
            return values[0] if values else None
        payload = request.payload
        value = payload.get("id") if isinstance(payload, dict) else None
        return value if isinstance(value, str) else None

    def carried(self, payload: Any) -> Any:
        if not isinstance(payload, dict):
            return None
        data = payload.get("data")
        if self.envelope == "stripe":
            return data.get("object") if isinstance(data, dict) else None
        return data


class _ProfileChecks(_Checks):
    j: ProfileDeliveryJudge

    def _signature(self) -> None:
        for check, expected, got in self.j.signature_problems(self.request, self.facts.secret):
            self._add("SIGN-HMAC", check, expected, got)

    def _carried(self, payload: dict[str, Any]) -> Any:
        return self.j.carried(payload)

    def _envelope(self) -> None:
        payload = self.request.payload
        if not isinstance(payload, dict):
            self._add("DELIVERY-ENVELOPE", "body", "a JSON object", type(payload).__name__)
            return
        wanted = _ENVELOPE_KEYS.get(self.j.envelope)
        if wanted is not None and list(payload) != wanted:
            self._add("DELIVERY-ENVELOPE", "fields", ", ".join(wanted), ", ".join(payload))
        data = self.j.carried(payload)
        items = data if isinstance(data, list) else [data]
        if not items or not all(
            isinstance(i, dict) and isinstance(i.get("id"), str) for i in items
        ):
            self._add("DELIVERY-ENVELOPE", "event", "the analytics event's data", repr(data)[:60])
            return
        kind = items[0].get("analyticsEvent")
        named = {
            "standard-webhooks": ("type", payload.get("type")),
            "stripe": ("type", payload.get("type")),
            "github": ("action", payload.get("action")),
        }.get(self.j.envelope)
        if named is not None and named[1] != kind:
            self._add("DELIVERY-ENVELOPE", named[0], repr(kind), repr(named[1]))
        if self.j.envelope == "stripe":
            if payload.get("object") != "event":
                self._add("DELIVERY-ENVELOPE", "object", "'event'", repr(payload.get("object")))
            if not str(payload.get("id", "")).startswith("evt_"):
                self._add("DELIVERY-ENVELOPE", "id", "an event id evt_...", repr(payload.get("id")))
        if self.j.scheme == "github":
            self._github_headers(kind)
        self._event_rules(payload)

    def _github_headers(self, kind: Any) -> None:
        headers = self.request.headers
        event = headers.get("x-github-event", [])
        if event != [kind]:
            self._add("DELIVERY-HEADERS", "header X-GitHub-Event", repr(kind), repr(event))
        delivery = headers.get("x-github-delivery", [])
        if len(delivery) != 1 or not _GUID.fullmatch(delivery[0]):
            self._add("DELIVERY-HEADERS", "header X-GitHub-Delivery", "a GUID", repr(delivery))
        hook = headers.get("x-github-hook-id", [])
        if hook != [self.facts.id]:
            self._add(
                "DELIVERY-HEADERS", "header X-GitHub-Hook-ID", repr(self.facts.id), repr(hook)
            )


class _ProfileRun(_Run):
    j: ProfileDeliveryJudge
    checks = _ProfileChecks

    def __init__(self, judge: ProfileDeliveryJudge) -> None:
        super().__init__(judge)
        self.ids_of: dict[str, tuple[str, int, str]] = {}  # data.id -> message id, first seen
        self.events_of: dict[str, str] = {}  # message id -> data.id

    def _attribute(self, request: _Request) -> str | None:
        seen = request.seen
        candidates = self.j.candidates(seen.receiver, seen.t)
        for sub_id in candidates:
            secret = self.j.versions_at(sub_id, seen.t)[0].secret
            if not self.j.signature_problems(request, secret):
                return sub_id
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            return None
        self._add(
            request,
            "SIGN-HMAC",
            "signature",
            f"a signature one of the secrets of {', '.join(candidates)} verifies",
            "none verifies",
            None,
        )
        return None

    def _across_requests(self, request: _Request, sub_id: str) -> None:
        """Every copy of an event carries the same message id and the same data; two events
        never share a message id."""
        data = self.j.carried(request.payload)
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            return
        data_id, seen = data["id"], request.seen
        if self.j.published_at(data_id) is None and not data_id.startswith("test-"):
            self._add(
                request,
                "DELIVERY-ENVELOPE",
                "data.id",
                "the id of an event the scenario published",
                repr(data_id),
                sub_id,
            )
            return
        message = self.j.message_id(request)
        raw = json.dumps(data, sort_keys=True).encode()
        first = self.ids_of.get(data_id)
        if first is None:
            self.ids_of[data_id] = (message or "", seen.number, seen.receiver)
            self.copies_seen(data_id, raw, seen)
            other = self.events_of.setdefault(message or "", data_id) if message else data_id
            if other != data_id:
                self._add(
                    request,
                    "AT-LEAST-ONCE",
                    "message id",
                    "a message id of its own for each event",
                    f"{message!r}, already the id of event {other}",
                    sub_id,
                )
            return
        if message != first[0]:
            self._add(
                request,
                "AT-LEAST-ONCE",
                f"message id of {data_id}",
                f"{first[0]!r}, as on its first copy (request {first[1]} at {first[2]})",
                repr(message),
                sub_id,
            )
        self.copies_seen(data_id, raw, seen)

    def copies_seen(self, data_id: str, raw: bytes, seen: SeenRequest) -> None:
        first = self.copies.get(data_id)
        if first is None:
            self.copies[data_id] = _Copy(raw, seen.receiver, seen.number)
        elif first.data != raw:
            self.violations.append(
                Violation(
                    "AT-LEAST-ONCE",
                    seen.receiver,
                    seen.number,
                    seen.t,
                    f"data of {data_id}",
                    f"the same data as its first copy (request {first.request} at "
                    f"{first.receiver})",
                    "data that differs",
                )
            )
