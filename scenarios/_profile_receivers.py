"""How a scenario receiver reads a request under a platform profile other than Atomic: where
the event is in the body, and whether the signature verifies, the way a well-written receiver
of that sender checks it (with the sender's tolerance, on the platform's virtual clock).

A receiver knows the secret of every subscription pointing at it; the one whose secret
verifies the request is the subscription it came from (the profiles' bodies do not name it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from hooksim.contracts import (
    SignatureError,
    github_verify,
    standard_webhooks_verify,
    stripe_verify,
)
from hooksim.simulator import Profile

from ._model import ReceiverSpec

__all__ = ["Reading", "RequestReader", "event_of", "profile_reader", "verifier"]

#: `(secret, headers with lower-case names, body, now) -> verifies?`
Verifier = Callable[[str, Mapping[str, str], bytes, float], bool]


class Reading(NamedTuple):
    webhook_id: str | None  # the subscription it came from, when known
    data_id: str | None
    event_type: str | None
    signature_valid: bool | None


#: `(body, WSGI environ, subscription id -> secret, the receiver's spec) -> Reading`
RequestReader = Callable[[bytes, dict[str, Any], Mapping[str, str], ReceiverSpec], Reading]


def event_of(envelope: str, payload: Any) -> Any:
    """The event `data` inside a body of `envelope` (a list when batched), or None."""
    if not isinstance(payload, dict):
        return None
    data = payload.get("data")
    if envelope == "stripe":
        return data.get("object") if isinstance(data, dict) else None
    return data


def verifier(profile: Profile) -> Verifier:
    """The check a receiver of `profile`'s sender makes (its tolerance, both directions
    unless the sender's library checks only the past)."""
    tolerance, future = profile.tolerance, profile.tolerance_future
    scheme = profile.signing

    def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> bool:
        try:
            if scheme == "standard-webhooks":
                standard_webhooks_verify(secret, headers, body, now=now, tolerance=tolerance)
            elif scheme == "svix":
                standard_webhooks_verify(
                    secret,
                    headers,
                    body,
                    now=now,
                    tolerance=tolerance,
                    prefixes=("svix", "webhook"),
                )
            elif scheme == "stripe":
                stripe_verify(
                    secret,
                    headers.get("stripe-signature"),
                    body,
                    now=now,
                    tolerance=tolerance,
                    future=future,
                )
            elif scheme == "github":
                github_verify(secret, headers.get("x-hub-signature-256"), body)
            else:  # pragma: no cover - atomic receivers do not use a reader
                raise SignatureError(f"no reader for {scheme}")
        except SignatureError:
            return False
        return True

    return verify


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    return {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }


def profile_reader(profile: Profile, now: Callable[[], float]) -> RequestReader | None:
    """A reader for receivers under `profile`; None under Atomic signing (the receivers' own
    code reads those). `now` is the platform clock's absolute time."""
    if profile.signing == "atomic":
        return None
    verify = verifier(profile)
    envelope = profile.envelope

    def read(
        body: bytes, environ: dict[str, Any], secrets: Mapping[str, str], spec: ReceiverSpec
    ) -> Reading:
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        data = event_of(envelope, payload)
        data_id = event_type = None
        if isinstance(data, dict):
            data_id = str(data["id"]) if data.get("id") is not None else None
            event_type = data.get("analyticsEvent")
        headers = _headers(environ)
        candidates = [(sub, spec.secret or secret) for sub, secret in secrets.items()]
        if spec.secret is not None and not candidates:
            candidates = [("", spec.secret)]
        only = candidates[0][0] or None if len(candidates) == 1 else None
        if not spec.verify_signatures or not candidates:
            return Reading(only, data_id, event_type, None)
        instant = now()
        for sub, secret in candidates:
            if verify(secret, headers, body, instant):
                return Reading(sub or None, data_id, event_type, True)
        return Reading(only, data_id, event_type, False)

    return read
