"""`hooksim_client`: the management API of one test's platform, through werkzeug's test client.

Every call goes through the real WSGI app (routing, authentication with a workbench bearer
token, contract validation, JSON envelopes), in process. The helpers (`subscribe`, `list`,
`test`, `disable`, `enable`, `advance`, `deliveries`, `publish`) expect success and return the
envelope's `data`; the raw methods (`get`, `post`, ...) return every answer as it came.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from ._harness import HooksimPlatform
    from ._receiver import ScriptedReceiver

__all__ = ["ApiResponse", "HooksimClient", "UnexpectedResponse"]


def _user_agent() -> str:
    try:
        version = metadata.version("hooksim")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"hooksim-pytest/{version}"


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """One answer: `status`, `json` (parsed; the text when it is not JSON), `headers`."""

    method: str
    path: str
    status: int
    json: Any
    headers: dict[str, str]  # names in lower case

    @property
    def data(self) -> Any:
        """The envelope's `data` (None when there is none)."""
        return self.json.get("data") if isinstance(self.json, dict) else None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def summary(self) -> str:
        message: Any = self.json
        if isinstance(message, dict) and isinstance(message.get("error"), dict):
            message = message["error"].get("message", message)
        return f"{self.method} {self.path} answered {self.status}: {message}"


class UnexpectedResponse(AssertionError):
    """A helper's request was answered with an error; the message has the API's reason."""

    __module__ = "hooksim.testing"  # what pytest prints: the public name

    def __init__(self, response: ApiResponse) -> None:
        super().__init__(response.summary())
        self.response = response


class HooksimClient:
    """An authenticated client (role `workbench`) for the test platform's management API.

    `path`s may hold `{env}`, replaced by the test's environment id.

    Example::

        sub = hooksim_client.subscribe(url, ["card-published"])
        hooksim_client.publish("card-published")
        hooksim_client.advance(60)
        rows = hooksim_client.deliveries(subscription=sub["id"])
        assert hooksim_client.get("/v1/{env}/webhook/nope").status == 404
    """

    def __init__(self, harness: HooksimPlatform, *, user_agent: str | None = None) -> None:
        from werkzeug.test import Client

        from hooksim.simulator import make_app

        self.harness = harness
        self.environment_id = harness.environment_id
        self.app = make_app(harness.platform)
        self._client = Client(self.app)
        auth = harness.platform.auth
        credential = auth.create_client(self.environment_id, "workbench")
        self.token = auth.issue_token(credential.client_id, credential.secret).value
        self.headers = {
            "User-Agent": user_agent or _user_agent(),
            "Authorization": f"Bearer {self.token}",
        }

    def __repr__(self) -> str:
        return f"<HooksimClient environment={self.environment_id}>"

    # raw requests ----------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        data: bytes | str | None = None,
    ) -> ApiResponse:
        """Send one request; `json` is sent as the JSON body, `data` as raw bytes."""
        path = path.replace("{env}", self.environment_id)
        sent = {**self.headers, **(headers or {})}
        sent = {name: value for name, value in sent.items() if value is not None}
        kwargs: dict[str, Any] = {"headers": sent}
        if query:
            kwargs["query_string"] = {k: _query_value(v) for k, v in query.items() if v is not None}
        if json is not None:
            kwargs["data"] = _dumps(json)
            kwargs["content_type"] = "application/json"
        elif data is not None:
            kwargs["data"] = data
        response = self._client.open(path, method=method.upper(), **kwargs)
        raw = response.get_data()
        try:
            parsed: Any = _loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        return ApiResponse(
            method.upper(),
            path,
            response.status_code,
            parsed,
            {name.lower(): value for name, value in response.headers.items()},
        )

    def get(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("DELETE", path, **kwargs)

    def _expect(self, response: ApiResponse) -> Any:
        if not response.ok:
            raise UnexpectedResponse(response)
        return response.data

    # the Webhooks API ------------------------------------------------------------------
    def subscribe(
        self, url: str | ScriptedReceiver, types: Sequence[str] | str, **fields: Any
    ) -> dict[str, Any]:
        """POST /v1/{env}/webhook; `fields` as the API names them (`headers`,
        `cardTemplateId`, `maxRetries`...). Returns the subscription, `secret` included."""
        target = getattr(url, "url", url)
        body = {"url": str(target), "types": [types] if isinstance(types, str) else list(types)}
        body.update(fields)
        return self._expect(self.post("/v1/{env}/webhook", json=body))  # type: ignore[no-any-return]

    def list(self) -> list[dict[str, Any]]:
        return self._expect(self.get("/v1/{env}/webhook"))  # type: ignore[no-any-return]

    def subscription(self, subscription_id: str) -> dict[str, Any]:
        return self._expect(self.get(f"/v1/{{env}}/webhook/{_id(subscription_id)}"))  # type: ignore[no-any-return]

    def test(self, subscription_id: str | Mapping[str, Any]) -> dict[str, Any]:
        """Send a test delivery; the answer says whether it succeeded (`success`)."""
        path = f"/v1/{{env}}/webhook/{_id(subscription_id)}/test"
        return self._expect(self.post(path))  # type: ignore[no-any-return]

    def disable(self, subscription_id: str | Mapping[str, Any]) -> dict[str, Any]:
        """DELETE /v1/{env}/webhook/{id}: what the seed's DELETE does (disable)."""
        return self._expect(self.delete(f"/v1/{{env}}/webhook/{_id(subscription_id)}"))  # type: ignore[no-any-return]

    def enable(self, subscription_id: str | Mapping[str, Any]) -> dict[str, Any]:
        path = f"/v1/{{env}}/webhook/{_id(subscription_id)}/enable"
        return self._expect(self.post(path))  # type: ignore[no-any-return]

    # simulation control ----------------------------------------------------------------
    def publish(
        self, event_type: str, *, count: int = 1, overrides: Mapping[str, Any] | None = None
    ) -> builtins.list[str]:
        """POST /_sim/events; returns the published events' ids."""
        body: dict[str, Any] = {"environmentId": self.environment_id, "type": event_type}
        if count != 1:
            body["count"] = count
        if overrides:
            body["overrides"] = dict(overrides)
        data = self._expect(self.post("/_sim/events", json=body))
        return list(data["eventIds"])

    def advance(self, seconds: float) -> dict[str, Any]:
        """POST /_sim/clock/advance; returns the clock (`now`, `virtual`)."""
        body = {"seconds": seconds, "environmentId": self.environment_id}
        return self._expect(self.post("/_sim/clock/advance", json=body))  # type: ignore[no-any-return]

    def clock(self) -> dict[str, Any]:
        return self._expect(self.get("/_sim/clock"))  # type: ignore[no-any-return]

    def deliveries(
        self, *, subscription: str | Mapping[str, Any] | None = None, event: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        """GET /_sim/deliveries: the delivery log, oldest first."""
        query = {
            "environmentId": self.environment_id,
            "subscription": None if subscription is None else _raw_id(subscription),
            "event": event,
        }
        return self._expect(self.get("/_sim/deliveries", query=query))  # type: ignore[no-any-return]


def _raw_id(value: str | Mapping[str, Any]) -> str:
    """A subscription id, given as an id, an API dict or a Subscription."""
    if isinstance(value, Mapping):
        return str(value["id"])
    return str(getattr(value, "id", value))


def _id(value: str | Mapping[str, Any]) -> str:
    """A subscription id quoted for a path."""
    return quote(_raw_id(value), safe="")


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _dumps(value: Any) -> str:
    return json.dumps(value)


def _loads(raw: bytes) -> Any:
    return json.loads(raw)
