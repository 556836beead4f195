"""Delivery credentials: how the platform proves itself to a protected receiver.

A credential is stored once per environment and referenced by subscriptions (`credentialId`).
Four kinds (atomic-facts.md, "Delivery credentials"):

- `oauth2-client-credentials`: a token from an identity URL (`grant_type=client_credentials`,
  sent as a form body or as query parameters merged with the URL's own query), cached 45 s
  of platform time, sent as `Authorization: Bearer`;
- `basic`: `Authorization: Basic`;
- `api-key`: one static header (its name becomes reserved for the subscriptions using it);
- `aws-sigv4`: AWS Signature Version 4, headers or query signing, by botocore's signer (the
  optional extra `hooksim[aws]`), at the platform clock's time.

Credentials are applied when a request goes out (`authenticate`), after it was built, signed
and logged: the delivery log only ever sees placeholders. A credential that cannot be applied
(the identity endpoint failed) raises `CredentialFailure`, whose reason never holds a secret.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from hooksim.contracts import reserved_headers

from ._errors import InvalidInput
from ._exchange import OutgoingRequest, Transport
from ._models import CREDENTIAL_FIELDS, CREDENTIAL_TYPES, DeliveryCredential, Outcome

__all__ = [
    "REDACTED",
    "TOKEN_CACHE_SECONDS",
    "CredentialFailure",
    "TokenCache",
    "authenticate",
    "check_credential_fields",
    "check_headers_free",
    "headers_set_by",
    "placeholder_headers",
    "redact",
    "safe_url",
]

#: How long a token from an identity endpoint is reused (platform clock), at most.
TOKEN_CACHE_SECONDS = 45.0
#: What logs show in place of a credential header.
REDACTED = "[redacted]"
MAX_VALUE = 4096

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_AWS_NAME = re.compile(r"^[a-z0-9-]{1,64}$")
_SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
_AWS_HEADERS = frozenset(
    {"authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"}
)

_DEFAULTS = {"tokenRequest": "body", "signing": "headers"}


class CredentialFailure(Exception):
    """A credential could not be applied to a request; `reason` is safe to log."""

    def __init__(self, reason: str, latency: float = 0.0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.latency = latency


def headers_set_by(credential: DeliveryCredential) -> frozenset[str]:
    """Header names (lowercase) the credential writes: a subscription using it may not."""
    if credential.type == "api-key":
        return frozenset({"authorization", credential.fields["headerName"].lower()})
    if credential.type == "aws-sigv4":
        return _AWS_HEADERS
    return frozenset({"authorization"})


def check_headers_free(credential: DeliveryCredential, headers: Mapping[str, str]) -> None:
    """InvalidInput unless a subscription's custom `headers` leave alone those the
    credential writes."""
    reserved = headers_set_by(credential)
    for name in headers:
        if name.lower() in reserved:
            raise InvalidInput(
                f"header {name!r} is set by delivery credential {credential.id!r} and "
                "cannot be overridden",
                "headers",
            )


class TokenCache:
    """Identity tokens of OAuth2 credentials, each reused until it expires on the platform
    clock (at most `TOKEN_CACHE_SECONDS`). Memory only: a restart asks again. One lock per
    credential makes concurrent deliveries share one token request."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: tuple[str, str]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def token(
        self,
        credential: DeliveryCredential,
        transport: Transport,
        now: float,
        timeout: float,
        user_agent: str,
    ) -> tuple[str, float]:
        """A live token for `credential` and the seconds spent asking for it (0 when cached)."""
        key = (credential.environment_id, credential.id)
        with self._lock(key):
            cached = self._tokens.get(key)
            if cached is not None and now < cached[1]:
                return cached[0], 0.0
            token, lifetime, latency = _request_token(
                credential.fields, transport, timeout, user_agent
            )
            self._tokens[key] = (token, now + min(TOKEN_CACHE_SECONDS, lifetime))
            return token, latency

    def forget(self, credential: DeliveryCredential) -> None:
        key = (credential.environment_id, credential.id)
        with self._guard:
            self._tokens.pop(key, None)
            self._locks.pop(key, None)


def check_credential_fields(body: Mapping[str, Any], *, signature_header: str) -> dict[str, Any]:
    """Validate a create-credential body; answer `{"type", "name", "fields"}`."""
    if not isinstance(body, Mapping):
        raise InvalidInput("the request body must be a JSON object")
    kind = body.get("type")
    if kind not in CREDENTIAL_TYPES:
        raise InvalidInput(
            f"type must be one of {', '.join(CREDENTIAL_TYPES)}, not {kind!r}", "type"
        )
    specs = CREDENTIAL_FIELDS[kind]
    for name in body:
        if name not in specs and name not in ("type", "name"):
            allowed = ", ".join(["type", "name", *specs])
            raise InvalidInput(
                f"unknown field {name!r} for a {kind} credential (allowed: {allowed})", name
            )
    credential_name = body.get("name")
    if credential_name is not None and (
        not isinstance(credential_name, str) or len(credential_name) > 256
    ):
        raise InvalidInput("name must be a string of at most 256 characters, or null", "name")
    fields: dict[str, str] = {}
    for name, (required, _, kind_of_value) in specs.items():
        value = body.get(name)
        if value is None:
            if required:
                raise InvalidInput(f"{name!r} is required for a {kind} credential", name)
            if name in _DEFAULTS:
                fields[name] = _DEFAULTS[name]
            continue
        fields[name] = _check_value(name, value, kind_of_value, signature_header)
    if kind == "aws-sigv4":
        _require_botocore()
    return {"type": kind, "name": credential_name, "fields": fields}


def _check_value(name: str, value: Any, kind: str, signature_header: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{name} must be a non-empty string", name)
    if len(value) > MAX_VALUE or any(ch in value for ch in "\r\n\x00"):
        raise InvalidInput(
            f"{name} must be at most {MAX_VALUE} characters, without CR, LF or NUL", name
        )
    if "|" in kind:
        choices = kind.split("|")
        if value not in choices:
            raise InvalidInput(f"{name} must be one of {', '.join(choices)}, not {value!r}", name)
    elif kind == "url":
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
            raise InvalidInput(f"{name} must be an absolute http or https URL", name)
        if parts.username or parts.password:
            raise InvalidInput(f"{name} must not hold credentials (user:password@)", name)
    elif kind == "username":
        if ":" in value:
            raise InvalidInput(f"{name} must not contain ':' (HTTP Basic, RFC 7617)", name)
    elif kind == "header":
        if not _TOKEN.match(value) or len(value) > 256:
            raise InvalidInput(f"{name} {value!r} is not a valid HTTP header name", name)
        # A delivery already carries these, or HTTP owns them: no API key is sent in them.
        if value.lower() in reserved_headers(signature_header):
            raise InvalidInput(
                f"{name} {value!r} is a header the platform sets itself; choose another", name
            )
    elif kind == "aws-name" and not _AWS_NAME.match(value):
        raise InvalidInput(
            f"{name} must be lowercase letters, digits and '-', like us-east-1", name
        )
    return value


def placeholder_headers(credential: DeliveryCredential) -> dict[str, str]:
    """What the delivery log shows for the headers a credential adds."""
    if credential.type == "api-key":
        return {credential.fields["headerName"]: REDACTED}
    if credential.type == "aws-sigv4" and credential.fields["signing"] == "query":
        return {}
    return {"Authorization": REDACTED}


#: Headers that carry a credential whoever set them: the log never shows their values.
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "cookie"})


def redact(headers: dict[str, str], signature_header: str) -> dict[str, str]:
    """Headers as they may appear in logs: credentials never do (LOG-REDACT). Usually none
    is a credential, and the log then shares the request's dict (nothing changes a request's
    headers once it is built) rather than copying it for every attempt."""
    if _SECRET_HEADERS.isdisjoint(map(str.lower, headers)):
        return headers
    return {
        name: REDACTED if name.lower() in _SECRET_HEADERS else value
        for name, value in headers.items()
    }


def safe_url(url: str) -> str:
    """A URL as it may appear in a log: no user info, no query (it may hold a secret)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path or "/", "", ""))


# applying ---------------------------------------------------------------------------------
def authenticate(
    credential: DeliveryCredential,
    request: OutgoingRequest,
    *,
    transport: Transport,
    tokens: TokenCache,
    now: float,
    user_agent: str,
) -> tuple[OutgoingRequest, float]:
    """The request with its credential applied, and the seconds spent getting it (an identity
    request). Raises CredentialFailure."""
    headers = dict(request.headers)
    for name in placeholder_headers(credential):
        headers.pop(name, None)
    fields = credential.fields
    if credential.type == "basic":
        pair = f"{fields['username']}:{fields['password']}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        return replace(request, headers=headers), 0.0
    if credential.type == "api-key":
        headers[fields["headerName"]] = fields["value"]
        return replace(request, headers=headers), 0.0
    if credential.type == "oauth2-client-credentials":
        token, latency = tokens.token(credential, transport, now, request.timeout, user_agent)
        headers["Authorization"] = f"Bearer {token}"
        return replace(request, headers=headers), latency
    return _sign_aws(credential, replace(request, headers=headers), now), 0.0


def _request_token(
    fields: Mapping[str, str], transport: Transport, timeout: float, user_agent: str
) -> tuple[str, float, float]:
    url = fields["tokenUrl"]
    params = [
        ("grant_type", "client_credentials"),
        ("client_id", fields["clientId"]),
        ("client_secret", fields["clientSecret"]),
    ]
    if "scope" in fields:
        params.append(("scope", fields["scope"]))
    headers = {"Accept": "application/json", "User-Agent": user_agent}
    if fields["tokenRequest"] == "query":
        parts = urlsplit(url)
        query = urlencode(parse_qsl(parts.query, keep_blank_values=True) + params)
        url = urlunsplit(parts._replace(query=query))
        body = b""
    else:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = urlencode(params).encode("ascii")
    where = f"identity endpoint {safe_url(fields['tokenUrl'])}"
    try:
        result = transport.send(OutgoingRequest("POST", url, headers, body, timeout))
    except Exception as exc:  # a transport that raises still fails only this attempt
        raise CredentialFailure(f"{where} failed: {type(exc).__name__}") from None
    latency = result.latency
    if result.latency > timeout:
        raise CredentialFailure(f"{where} gave no answer within {timeout:g} s", timeout)
    if result.outcome is not Outcome.SUCCESS:
        if result.status_code is not None:
            raise CredentialFailure(f"{where} answered {result.status_code}", latency)
        raise CredentialFailure(f"{where} failed: {result.error or result.outcome}", latency)
    try:
        answer = json.loads(result.body)
    except ValueError:
        raise CredentialFailure(f"{where} answered something that is not JSON", latency) from None
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token or any(ch in token for ch in "\r\n\x00"):
        raise CredentialFailure(f"{where} answered JSON without a usable access_token", latency)
    lifetime = answer.get("expires_in")
    if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or lifetime <= 0:
        lifetime = TOKEN_CACHE_SECONDS
    return token, float(lifetime), latency


# AWS Signature Version 4 -----------------------------------------------------------------
def _require_botocore() -> None:
    try:
        import botocore.auth  # noqa: F401
    except ImportError:
        raise InvalidInput(
            "aws-sigv4 credentials need botocore: pip install 'hooksim[aws]'", "type"
        ) from None


def sigv4_timestamp(now: float) -> str:
    """The platform time as SigV4 writes it (20150830T123600Z)."""
    return datetime.fromtimestamp(now, UTC).strftime(_SIGV4_TIMESTAMP)


def _sign_aws(
    credential: DeliveryCredential, request: OutgoingRequest, now: float
) -> OutgoingRequest:
    try:
        from ._sigv4 import sign_request
    except ImportError:
        raise CredentialFailure(
            "aws-sigv4 signing needs botocore: pip install 'hooksim[aws]'"
        ) from None
    fields = credential.fields
    url, headers = sign_request(
        method=request.method,
        url=request.url,
        headers=request.headers,
        body=request.body,
        access_key=fields["accessKeyId"],
        secret_key=fields["secretAccessKey"],
        token=fields.get("sessionToken"),
        region=fields["region"],
        service=fields["service"],
        timestamp=sigv4_timestamp(now),
        query=fields["signing"] == "query",
    )
    return replace(request, url=url, headers=headers)
