"""`check_receiver`: the one entry point, for the CLI and for tests (URL or WSGI app)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from hooksim.contracts import DEFAULT_SIGNATURE_HEADER, SENDER_HEADERS
from hooksim.simulator import InvalidInput, Profile

from ._checks import CHECKS
from ._client import HttpSender, Sender, WsgiSender, validate_url
from ._effects import EffectsProbeError, fetch_effects
from ._grade import CountEffects, Session, grade
from ._payloads import Payloads
from ._profile_checks import PROFILE_CHECKS, applies
from ._redact import redact
from ._results import KitResult
from ._schemes import KitScheme

__all__ = ["METHODS", "RESERVED_HEADERS", "check_receiver", "validate_url"]

METHODS = ("POST", "PUT")
#: Headers the kit (like the platform) sets itself; custom headers may not replace them
#: (unlike a subscription, a kit run may send its own Authorization to a protected receiver).
RESERVED_HEADERS = SENDER_HEADERS
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _validate_headers(
    headers: Mapping[str, str] | None, scheme_headers: frozenset[str]
) -> dict[str, str]:
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise InvalidInput("headers must be a mapping of names to values", field="headers")
    reserved = SENDER_HEADERS | scheme_headers
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise InvalidInput(f"bad header name {name!r}", field="headers")
        if name.lower() in reserved:
            raise InvalidInput(
                f"header {name!r} cannot be set: the platform sets it itself", field="headers"
            )
        if not isinstance(value, str) or "\r" in value or "\n" in value:
            raise InvalidInput(f"bad value for header {name!r}", field="headers")
        checked[name] = value
    return checked


def _sender(target: Any, timeout: float, path: str) -> Sender:
    if isinstance(target, str):
        return HttpSender(validate_url(target), timeout)
    if callable(target):
        return WsgiSender(target, timeout, path)
    raise InvalidInput(
        f"target must be a URL or a WSGI app, not {type(target).__name__}", field="target"
    )


def _profile(name: str | None) -> Profile:
    from hooksim.scenarios import ScenarioInputError, resolve_profile

    try:
        return resolve_profile(name)
    except ScenarioInputError as exc:
        raise InvalidInput(exc.message, field="profile") from None


def _probe_reader(url: str, timeout: float) -> CountEffects:
    def read() -> dict[str, int]:
        return fetch_effects(url, timeout=timeout)

    return read


def check_receiver(
    target: str | Callable[..., Any],
    *,
    secret: str,
    method: str = "POST",
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    count_effects: CountEffects | None = None,
    path: str = "/",
    signature_header: str = DEFAULT_SIGNATURE_HEADER,
    environment_id: str | None = None,
    webhook_id: str | None = None,
    batched: bool = False,
    effects_url: str | None = None,
    profile: str | Profile | None = None,
) -> KitResult:
    """Grade a webhook receiver: send it signed deliveries and judge every answer.

    `target` is the receiver's URL (real HTTP) or a WSGI app (in-process, no network; `path`
    is the path it is called at). `secret` is the subscription secret the receiver verifies
    with; `method`, `headers` (custom subscription headers) and `timeout` are the
    subscription's. `count_effects`, when given, returns how many side effects the receiver
    has performed per `data.id` (for example `lambda: dict(db_counts)`); it enables the
    `idempotent-effects` and `no-effects-when-rejected` checks. `effects_url` does the same
    for a receiver over HTTP: the URL of its effects probe (`fetch_effects`). `batched=True`
    (the subscription batches events) enables `handles-batched`. `profile` grades the
    receiver of another sender (a bundled profile's name such as `standard-webhooks`, `svix`,
    `stripe`, `github`, a profile file's path, or a `Profile`): deliveries are written and
    signed as that sender's, and the checks its signing scheme makes necessary run too
    (timestamps outside the tolerance, signature lists, secret rotation, replays).

    Raises `ReceiverUnreachable` when the first request never reaches the receiver,
    `EffectsProbeError` when the effects probe cannot be used before anything is sent, and
    `InvalidInput` for bad arguments. Call `.assert_passed()` on the result in a test.

    Example::

        result = check_receiver(app, secret="s3cret", count_effects=lambda: dict(seen))
        result.assert_passed()
    """
    if not isinstance(secret, str) or not secret:
        raise InvalidInput("secret must be a non-empty string", field="secret")
    chosen = profile if isinstance(profile, Profile) else _profile(profile)
    if timeout is None:  # the sender's own answer window (Atomic: 10 s)
        timeout = chosen.default_settings().timeout
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise InvalidInput(f"method must be POST or PUT, not {method!r}", field="method")
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise InvalidInput(f"timeout must be a positive number of seconds, not {timeout!r}")
    if count_effects is not None and not callable(count_effects):
        raise InvalidInput("count_effects must be a callable or None", field="count_effects")
    if effects_url is not None:
        if count_effects is not None:
            raise InvalidInput("give count_effects or effects_url, not both", field="effects_url")
        if not isinstance(effects_url, str):
            raise InvalidInput("effects_url must be a URL", field="effects_url")
        validate_url(effects_url, what="effects probe URL")
        count_effects = _probe_reader(effects_url, float(timeout))
    if not isinstance(signature_header, str) or not _TOKEN.match(signature_header):
        raise InvalidInput(f"bad signature header name {signature_header!r}")
    scheme = KitScheme.of(chosen, signature_header)
    scheme.check_secret(secret)
    custom = _validate_headers(headers, scheme.reserved())
    sender = _sender(target, float(timeout), path)
    try:
        payloads = Payloads(secret=secret, environment_id=environment_id, webhook_id=webhook_id)
        session = Session(
            sender,
            payloads,
            secret=secret,
            method=method.upper(),
            headers=custom,
            signature_header=signature_header,
            count_effects=count_effects,
            batched=bool(batched),
            scheme=scheme,
        )
        wanted = {"handles-batched"} if batched else set()
        checks = [c for c in CHECKS if not c.opt_in or c.id in wanted]
        checks += [c for c in PROFILE_CHECKS if applies(c, scheme)]
        return replace(grade(session, checks), profile=chosen.name)
    except EffectsProbeError as exc:
        message = redact(exc.message, secret)
        if message == exc.message:
            raise
        raise EffectsProbeError(message, exc.kind) from None
    finally:
        sender.close()
