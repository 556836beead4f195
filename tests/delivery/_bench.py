"""Helpers for delivery tests: a platform on a virtual clock, receivers that demand a
credential, an in-process identity server, and a SigV4 check that recomputes the signature
with botocore (never with hooksim's own code)."""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hooksim.simulator import (
    AttemptRecord,
    Behaviour,
    Platform,
    ReceivedRequest,
    RecordingReceiver,
    Settings,
    Subscription,
)

ENV = "dev"
RECEIVER_URL = "http://receiver.test/hook"
IDENTITY_URL = "http://identity.test/oauth/token"

CLIENT_ID = "hooksim-client"
CLIENT_SECRET = "cs-0f1e2d3c-client-secret"
PASSWORD = "pw-9a8b7c-basic-password"
API_KEY = "key-5d4c3b-static-api-key"
ACCESS_KEY = "AKIDHOOKSIMTEST"
SECRET_KEY = "sk-1a2b3c4d-aws-secret-access-key"
SESSION_TOKEN = "st-7e6f5a-aws-session-token"
SECRETS = (CLIENT_SECRET, PASSWORD, API_KEY, SECRET_KEY, SESSION_TOKEN)

WSGIStart = Callable[..., Any]


@dataclass
class Identity:
    """An OAuth2 token endpoint: `client_credentials` from the form or the query."""

    status: int = 200
    body: bytes | None = None  # answered as it is, instead of a token
    hits: list[dict[str, Any]] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: WSGIStart) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = dict(parse_qsl(environ["wsgi.input"].read(length).decode())) if length else {}
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        self.hits.append({"method": environ["REQUEST_METHOD"], "form": form, "query": query})
        params = {**query, **form}
        if self.status != 200 or self.body is not None:
            start_response(f"{self.status} X", [("Content-Type", "application/json")])
            return [self.body if self.body is not None else b'{"error":"server_error"}']
        if (
            params.get("grant_type") != "client_credentials"
            or params.get("client_id") != CLIENT_ID
            or params.get("client_secret") != CLIENT_SECRET
        ):
            start_response("401 Unauthorized", [("Content-Type", "application/json")])
            return [b'{"error":"invalid_client"}']
        token = f"token-{len(self.issued) + 1}"
        self.issued.append(token)
        start_response("200 OK", [("Content-Type", "application/json")])
        answer = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        return [json.dumps(answer).encode()]


def demand(check: Callable[[ReceivedRequest], bool]) -> Callable[[int, ReceivedRequest], Behaviour]:
    """A receiver behaviour: 200 when `check(request)`, else 401."""

    def respond(number: int, request: ReceivedRequest) -> Behaviour:
        return Behaviour(200 if check(request) else 401)

    return respond


@dataclass
class Bench:
    platform: Platform
    env: str = ENV

    @property
    def start(self) -> float:
        return self.platform.clock.start  # type: ignore[attr-defined, no-any-return]

    def mount(self, url: str, app: Any) -> Any:
        self.platform.transport.mount(url, app)  # type: ignore[attr-defined]
        return app

    def receiver(
        self,
        url: str = RECEIVER_URL,
        respond: Callable[[int, ReceivedRequest], Behaviour] | None = None,
        status: int = 200,
    ) -> RecordingReceiver:
        receiver = RecordingReceiver(status=status, respond=respond, now=self.platform.clock.now)
        return self.mount(url, receiver)  # type: ignore[no-any-return]

    def credential(self, **body: Any) -> str:
        return self.platform.create_credential(self.env, body).id

    def oauth(self, url: str = IDENTITY_URL, **extra: Any) -> str:
        return self.credential(
            type="oauth2-client-credentials",
            tokenUrl=url,
            clientId=CLIENT_ID,
            clientSecret=CLIENT_SECRET,
            **extra,
        )

    def subscribe(
        self, url: str = RECEIVER_URL, types: list[str] | None = None, **fields: Any
    ) -> Subscription:
        body = {"types": types or ["card-completed"], "url": url, **fields}
        return self.platform.subscribe(self.env, body)

    def publish(self, count: int = 1, event_type: str = "card-completed") -> list[Any]:
        return self.platform.publish(self.env, event_type, count=count)

    def log(self, subscription: Subscription | None = None) -> list[AttemptRecord]:
        return self.platform.attempts(
            self.env, subscription_id=None if subscription is None else subscription.id
        )

    def offsets(self, subscription: Subscription) -> list[float]:
        return [r.started_at - self.start for r in self.log(subscription)]

    def advance(self, seconds: float) -> None:
        self.platform.advance(seconds)


def make_bench(seed: int = 0, settings: Settings | None = None) -> Bench:
    platform = Platform(seed=seed, settings=settings)
    platform.create_environment(ENV)
    return Bench(platform)


# SigV4, checked as a receiver would: botocore's signer recomputes the signature --------------
_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<scope>\d{8}/[^/]+/[^/]+/aws4_request), "
    r"SignedHeaders=(?P<signed>[^,]+), Signature=(?P<signature>[0-9a-f]{64})"
)


@dataclass
class SigV4Receiver:
    """Accepts a request only when its SigV4 signature (headers or query) recomputes."""

    secret_key: str = SECRET_KEY
    region: str = "us-east-1"
    service: str = "execute-api"
    seen: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: WSGIStart) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if "CONTENT_TYPE" in environ:
            headers["content-type"] = environ["CONTENT_TYPE"]
        query = environ.get("QUERY_STRING", "")
        valid = sigv4_valid(
            environ["REQUEST_METHOD"],
            environ.get("PATH_INFO", "/"),
            query,
            headers,
            body,
            secret_key=self.secret_key,
            region=self.region,
            service=self.service,
        )
        self.seen.append({"headers": headers, "query": query, "body": body, "valid": valid})
        start_response("200 OK" if valid else "403 Forbidden", [("Content-Type", "text/plain")])
        return [b"ok" if valid else b"bad signature"]


def sigv4_valid(
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    *,
    secret_key: str,
    region: str,
    service: str,
) -> bool:
    """Recompute a received request's SigV4 signature with botocore and compare."""
    params = parse_qsl(query, keep_blank_values=True)
    if "authorization" in headers:
        match = _AUTHORIZATION.fullmatch(headers["authorization"])
        if match is None:
            return False
        access_key, scope = match["key"], match["scope"]
        signed, signature = match["signed"].split(";"), match["signature"]
        timestamp = headers["x-amz-date"]
        rest = query
    else:
        values = dict(params)
        if "X-Amz-Signature" not in values:
            return False
        access_key, _, scope = values["X-Amz-Credential"].partition("/")
        signed, signature = values["X-Amz-SignedHeaders"].split(";"), values["X-Amz-Signature"]
        timestamp = values["X-Amz-Date"]
        rest = "&".join(p for p in query.split("&") if not p.startswith("X-Amz-Signature="))
    if scope != f"{timestamp[:8]}/{region}/{service}/aws4_request":
        return False
    url = f"http://{headers['host']}{path}" + (f"?{rest}" if rest else "")
    request = AWSRequest(
        method=method, url=url, headers={name: headers[name] for name in signed}, data=body
    )
    request.context["timestamp"] = timestamp
    signer = SigV4Auth(Credentials(access_key, secret_key), service, region)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    return hmac.compare_digest(expected, signature)


def secrets_in(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def record_text(record: AttemptRecord) -> str:
    return json.dumps(
        {**record.to_api(), "headers": record.headers, "url": record.url, "error": record.error}
    )
