"""Fixtures for the management API: a fresh platform, its WSGI app, and callers with tokens."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from hooksim.simulator import Platform, RecordingReceiver, VirtualClock, make_app
from werkzeug.test import Client, TestResponse

ENV = "dev"
OTHER_ENV = "other"
UA = "hooksim-tests/1.0"
RECEIVER_URL = "https://receiver.test/hook"
DEAD_URL = "https://dead.test/hook"


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


class Api:
    """A werkzeug test client that sends a User-Agent and a workbench bearer token."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.app = make_app(platform)
        self.client = Client(self.app)
        self.token = self.mint("workbench")

    def mint(self, role: str, environment_id: str = ENV) -> str:
        """A bearer token for a fresh client with `role`, through POST /oauth2/token."""
        client = self.platform.auth.create_client(environment_id, role)
        response = self.client.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials"},
            headers={"User-Agent": UA, "Authorization": basic(client.client_id, client.secret)},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        token: str = response.json["access_token"]  # type: ignore[index]
        return token

    def headers(self, token: str | None = None, **extra: str) -> dict[str, str]:
        headers = {"User-Agent": UA, "Authorization": f"Bearer {token or self.token}"}
        headers.update(extra)
        return headers

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        sent = self.headers(token) if headers is None else headers
        return self.client.open(path, method=method, headers=sent, **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("DELETE", path, **kwargs)

    def subscribe(self, url: str = RECEIVER_URL, **fields: Any) -> dict[str, Any]:
        body = {"types": ["card-published"], "url": url, **fields}
        response = self.post(f"/v1/{ENV}/webhook", json=body)
        assert response.status_code == 201, response.get_data(as_text=True)
        data: dict[str, Any] = response.json["data"]  # type: ignore[index]
        return data


@pytest.fixture
def token_clock() -> VirtualClock:
    """Tokens follow this clock (separate from the platform's), so tests can expire them."""
    return VirtualClock()


@pytest.fixture
def platform(token_clock: VirtualClock) -> Platform:
    platform = Platform(token_clock=token_clock)
    platform.create_environment(ENV)
    platform.create_environment(OTHER_ENV)
    return platform


@pytest.fixture
def receiver(platform: Platform) -> Iterator[RecordingReceiver]:
    """A receiver mounted in-process at RECEIVER_URL that answers 200."""
    receiver = RecordingReceiver(now=platform.clock.now)
    platform.transport.mount(RECEIVER_URL, receiver)  # type: ignore[attr-defined]
    yield receiver


@pytest.fixture
def api(platform: Platform) -> Api:
    return Api(platform)


def error_of(response: TestResponse) -> dict[str, Any]:
    """The `error` object of an error answer, after checking the shape every error shares."""
    assert response.mimetype == "application/json", response.mimetype
    body = response.json
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    return error
