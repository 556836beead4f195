"""The management API as scenarios use it: werkzeug's test client on the platform's own WSGI
app, so every subscription and management step goes through the real API (auth, validation,
JSON envelope), in process and without a network."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hooksim.simulator import Platform, make_app
from werkzeug.test import Client

__all__ = ["ApiGateway", "ApiResponse", "USER_AGENT"]

USER_AGENT = "hooksim-scenarios/0.1"


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


class ApiGateway:
    """Calls one environment's management API with minted tokens, one per role."""

    def __init__(self, platform: Platform, environment_id: str) -> None:
        self.platform = platform
        self.environment_id = environment_id
        self.client = Client(make_app(platform))
        self._tokens: dict[str, str] = {}
        #: Told every answer, in order (the delivery judge learns subscriptions from them).
        self.observers: list[Callable[[ApiResponse], None]] = []

    def token_for(self, role: str) -> str:
        """A bearer token of `role` for this environment, minted once."""
        if role not in self._tokens:
            auth = self.platform.auth
            client = auth.create_client(self.environment_id, role)
            self._tokens[role] = auth.issue_token(client.client_id, client.secret).value
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
    ) -> ApiResponse:
        """One request; `path` may hold `{env}`; a `role` mints a token, `none` sends none."""
        path = path.replace("{env}", self.environment_id)
        sent: dict[str, str] = {"User-Agent": USER_AGENT}
        if token is None and role not in (None, "none"):
            token = self.token_for(str(role))
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        sent = {k: v for k, v in sent.items() if v != ""}  # "" removes a default header
        send_body = body is not None if has_body is None else has_body
        kwargs: dict[str, Any] = {"headers": sent}
        if query:
            kwargs["query_string"] = {k: _query_value(v) for k, v in query.items()}
        if form is not None:
            kwargs["data"] = form
        elif send_body:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        response = self.client.open(path, method=method, **kwargs)
        data = response.get_data()
        try:
            parsed: Any = json.loads(data) if data else None
        except ValueError:
            parsed = data.decode("utf-8", "replace")
        answer = ApiResponse(
            method,
            path,
            response.status_code,
            {k.lower(): v for k, v in response.headers.items()},
            parsed,
        )
        for observer in self.observers:
            observer(answer)
        return answer

    def download(self, url: str) -> tuple[int, str]:
        """GET a URL the API handed out (batched analytics files are served by the app)."""
        response = self.client.get(url, headers={"User-Agent": USER_AGENT})
        return response.status_code, response.get_data(as_text=True)


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
