"""The management API as scenarios use it, the same way in process and against a target.

Every subscription and management step goes through the real API (auth, validation, JSON
envelope). In process the requests go to the platform's own WSGI app through werkzeug's test
client, with no network; in target mode they go over HTTP to the implementation under test.
Tokens come from `POST /oauth2/token` with the environment's clients in both, so that a seed
draws the same ids and secrets wherever a scenario runs.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from hooksim.simulator import ApiClient
from urllib3.util import SKIP_HEADER
from werkzeug.test import Client

from ._errors import StepFailed

__all__ = ["USER_AGENT", "ApiGateway", "ApiResponse", "HttpGateway", "InProcessGateway"]

USER_AGENT = "hooksim-scenarios/0.1"
#: How long one API call to a target may take (an advance may run hours of virtual retries).
HTTP_TIMEOUT = 600.0


@dataclass(frozen=True, slots=True)
class ApiResponse:
    method: str
    path: str
    status: int
    headers: dict[str, str]  # names in lower case
    body: Any  # parsed JSON, or the text when it is not JSON

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "headers": self.headers, "body": self.body}

    def summary(self) -> str:
        message = self.body
        if isinstance(message, dict) and isinstance(message.get("error"), dict):
            message = message["error"].get("message", message)
        return f"{self.method} {self.path} answered {self.status}: {message}"


@dataclass(frozen=True, slots=True)
class _Sent:
    status: int
    headers: dict[str, str]
    body: bytes


class ApiGateway:
    """Calls one environment's management API with a token per role, asked for once."""

    def __init__(self, environment_id: str, clients: Mapping[str, ApiClient]) -> None:
        self.environment_id = environment_id
        self.clients = dict(clients)
        self._tokens: dict[str, str] = {}
        #: Told every answer, in order (the delivery judge learns subscriptions from them).
        self.observers: list[Callable[[ApiResponse], None]] = []

    # how a request travels: in process or over HTTP --------------------------------------
    def _send(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        query: dict[str, str] | None,
        body: bytes | None,
        content_type: str | None,
    ) -> _Sent:
        raise NotImplementedError

    def download(self, url: str) -> tuple[int, str]:
        """GET a URL the API handed out (batched analytics files)."""
        raise NotImplementedError

    # what scenarios call -------------------------------------------------------------------
    def token_for(self, role: str) -> str:
        """A bearer token of `role` for this environment, from its client of that role."""
        if role not in self._tokens:
            client = self.clients.get(role)
            if client is None:
                raise StepFailed(f"no client of role {role!r} in environment {self.environment_id}")
            answer = self.call(
                "POST",
                "/oauth2/token",
                role="none",
                headers={"Authorization": basic_auth(client.client_id, client.secret)},
                form={"grant_type": "client_credentials"},
                observe=False,
            )
            if answer.status != 200 or not isinstance(answer.body, dict):
                raise StepFailed(f"a token for role {role!r}: {answer.summary()}")
            self._tokens[role] = str(answer.body["access_token"])
        return self._tokens[role]

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        role: str | None = "workbench",
        body: Any = None,
        has_body: bool | None = None,
        query: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        observe: bool = True,
    ) -> ApiResponse:
        """One request; `path` may hold `{env}`; a `role` gets a token, `none` sends none."""
        path = path.replace("{env}", self.environment_id)
        sent: dict[str, str] = {"User-Agent": USER_AGENT}
        if token is None and role not in (None, "none"):
            token = self.token_for(str(role))
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        sent = {k: v for k, v in sent.items() if v != ""}  # "" removes a default header
        send_body = body is not None if has_body is None else has_body
        payload: bytes | None = None
        content_type: str | None = None
        if form is not None:
            payload = urlencode(form).encode()
            content_type = "application/x-www-form-urlencoded"
        elif send_body:
            payload = json.dumps(body).encode()
            content_type = "application/json"
        params = {k: _query_value(v) for k, v in query.items()} if query else None
        answer = self._send(method, path, sent, params, payload, content_type)
        try:
            parsed: Any = json.loads(answer.body) if answer.body else None
        except ValueError:
            parsed = answer.body.decode("utf-8", "replace")
        response = ApiResponse(method, path, answer.status, answer.headers, parsed)
        if observe:
            for observer in self.observers:
                observer(response)
        return response


class InProcessGateway(ApiGateway):
    """The platform's own WSGI app through werkzeug's test client: no network."""

    def __init__(
        self, app: Callable[..., Any], environment_id: str, clients: Mapping[str, ApiClient]
    ) -> None:
        super().__init__(environment_id, clients)
        self.client = Client(app)

    def _send(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        query: dict[str, str] | None,
        body: bytes | None,
        content_type: str | None,
    ) -> _Sent:
        kwargs: dict[str, Any] = {"headers": headers}
        if query:
            kwargs["query_string"] = query
        if body is not None:
            kwargs["data"] = body
            kwargs["content_type"] = content_type
        response = self.client.open(path, method=method, **kwargs)
        return _Sent(
            response.status_code,
            {k.lower(): v for k, v in response.headers.items()},
            response.get_data(),
        )

    def download(self, url: str) -> tuple[int, str]:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = self.client.get(path, headers={"User-Agent": USER_AGENT})
        return response.status_code, response.get_data(as_text=True)


class HttpGateway(ApiGateway):
    """An implementation under test, over HTTP (`hooksim run --target URL`)."""

    def __init__(
        self,
        base_url: str,
        environment_id: str,
        clients: Mapping[str, ApiClient],
        session: requests.Session | None = None,
    ) -> None:
        super().__init__(environment_id, clients)
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()

    def _send(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        query: dict[str, str] | None,
        body: bytes | None,
        content_type: str | None,
    ) -> _Sent:
        if content_type is not None:
            headers = {**headers, "Content-Type": content_type}
        if not any(name.lower() == "user-agent" for name in headers):
            # A scenario left it out on purpose: urllib3 would add its own otherwise.
            headers = {**headers, "User-Agent": SKIP_HEADER}
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                headers=headers,
                params=query,
                data=body,
                timeout=HTTP_TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise StepFailed(
                f"{method} {path}: the target did not answer ({_reason(exc)})"
            ) from None
        return _Sent(
            response.status_code,
            {k.lower(): v for k, v in response.headers.items()},
            response.content,
        )

    def download(self, url: str) -> tuple[int, str]:
        try:
            response = self.session.get(
                url, headers={"User-Agent": USER_AGENT}, timeout=HTTP_TIMEOUT
            )
        except requests.RequestException as exc:
            raise StepFailed(f"downloading {urlsplit(url).path}: {_reason(exc)}") from None
        return response.status_code, response.text


def basic_auth(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def _reason(exc: Exception) -> str:
    # A connection error's text can be long and nested; its class and first line say enough.
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:200]}"


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
