"""A client for a platform served over HTTP (`hooksim serve`, or another implementation of the
API): its own workbench token from client credentials, JSON in and out, errors for people.

The commands `hooksim sim` and `hooksim fuzz` use it. Credentials come from the command line
or the environment (`HOOKSIM_CLIENT_ID`, `HOOKSIM_CLIENT_SECRET`: `hooksim serve` prints the
lines that set them); the secret and the token never appear in a message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit

import click
import requests

__all__ = [
    "CLIENT_ID_ENV",
    "CLIENT_SECRET_ENV",
    "DEFAULT_ENVIRONMENT",
    "DEFAULT_URL",
    "ENVIRONMENT_ENV",
    "URL_ENV",
    "Answer",
    "CannotAsk",
    "Refused",
    "RemotePlatform",
    "base_url",
    "connection_options",
    "remote",
]

URL_ENV = "HOOKSIM_URL"
CLIENT_ID_ENV = "HOOKSIM_CLIENT_ID"
CLIENT_SECRET_ENV = "HOOKSIM_CLIENT_SECRET"
ENVIRONMENT_ENV = "HOOKSIM_ENVIRONMENT"
#: `hooksim serve`'s own defaults.
DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_ENVIRONMENT = "dev"
_TIMEOUT = 60.0


class CannotAsk(click.ClickException):
    """The platform could not be asked: usage, unreachable, credentials refused (exit 2)."""

    exit_code = 2


class Refused(click.ClickException):
    """The platform answered the request with an error (exit 1)."""

    exit_code = 1


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: Any

    @property
    def data(self) -> Any:
        return self.body.get("data") if isinstance(self.body, dict) else None

    def error(self) -> str:
        """The API's `{"error": {code, message}}` for people, or the body as it came."""
        error = self.body.get("error") if isinstance(self.body, dict) else None
        if isinstance(error, dict):
            return f"{error.get('code', 'error')}: {error.get('message', '')}"
        if isinstance(error, str):  # the token endpoint's RFC 6749 error
            return f"{error}: {self.body.get('error_description', '')}".rstrip(": ")
        return str(self.body)[:500]


def base_url(url: str) -> str:
    """The platform's base URL without a trailing slash, or `CannotAsk`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CannotAsk(f"{url!r}: give the platform's http:// or https:// URL")
    return url.rstrip("/")


def _user_agent() -> str:
    try:
        return f"hooksim-cli/{metadata.version('hooksim')}"
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "hooksim-cli/0"


@dataclass(slots=True)
class RemotePlatform:
    """One served platform, asked as one workbench client."""

    url: str
    client_id: str
    client_secret: str = field(repr=False)
    environment: str = DEFAULT_ENVIRONMENT
    _token: str | None = field(default=None, repr=False)
    _session: requests.Session = field(default_factory=requests.Session, repr=False)

    def __post_init__(self) -> None:
        self.url = base_url(self.url)
        self._session.headers["User-Agent"] = _user_agent()
        self._session.trust_env = False  # no proxy or netrc between a test and its platform

    def token(self) -> str:
        """A workbench bearer token (asked once): `POST /oauth2/token`, client credentials."""
        if self._token is None:
            response = self._send(
                "POST",
                "/oauth2/token",
                auth=(self.client_id, self.client_secret),
                data={"grant_type": "client_credentials"},
            )
            answer = _answer(response)
            token = answer.body.get("access_token") if isinstance(answer.body, dict) else None
            if answer.status != 200 or not isinstance(token, str):
                raise CannotAsk(
                    f"{self.url}/oauth2/token refused client {self.client_id!r} "
                    f"({answer.status} {answer.error()}): check --client-id and "
                    f"--client-secret (or {CLIENT_ID_ENV} and {CLIENT_SECRET_ENV})"
                )
            self._token = token
        return self._token

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: dict[str, str] | None = None,
    ) -> Answer:
        """One authenticated request; any answer comes back (see `expect_ok`)."""
        headers = {"Authorization": f"Bearer {self.token()}"}
        response = self._send(method, path, json=body, params=query, headers=headers)
        return _answer(response)

    def expect_ok(self, answer: Answer, what: str) -> Any:
        """The answer's `data`, or `Refused` naming what was asked and the API's own words."""
        if 200 <= answer.status < 300:
            return answer.data
        hint = ""
        if answer.status == 404 and "environment" in answer.error().lower():
            hint = (
                f" (the client's environment is not {self.environment!r}? give --environment, "
                f"or {ENVIRONMENT_ENV}, as hooksim serve prints it)"
            )
        raise Refused(f"{what}: the platform answered {answer.status} {answer.error()}{hint}")

    def _send(self, method: str, path: str, **arguments: Any) -> requests.Response:
        try:
            return self._session.request(method, self.url + path, timeout=_TIMEOUT, **arguments)
        except requests.RequestException as exc:
            reason = type(exc).__name__
            if isinstance(exc, requests.ConnectionError):
                reason = "connection refused or host unreachable"
            elif isinstance(exc, requests.Timeout):
                reason = f"no answer within {_TIMEOUT:g} s"
            raise CannotAsk(
                f"cannot reach the platform at {self.url} ({reason}); is hooksim serve "
                f"running there? (--url, or {URL_ENV})"
            ) from None


def _answer(response: requests.Response) -> Answer:
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    return Answer(response.status_code, body)


def connection_options(function: Any) -> Any:
    """`--url`, `--client-id`, `--client-secret`, `--environment`, each with its variable."""
    options = [
        click.option(
            "--url",
            envvar=URL_ENV,
            default=DEFAULT_URL,
            show_default=True,
            metavar="URL",
            help=f"The served platform's base URL (or {URL_ENV}).",
        ),
        click.option(
            "--client-id",
            envvar=CLIENT_ID_ENV,
            metavar="ID",
            help=f"A workbench client of the platform (or {CLIENT_ID_ENV}; hooksim serve "
            "prints it).",
        ),
        click.option(
            "--client-secret",
            envvar=CLIENT_SECRET_ENV,
            metavar="SECRET",
            help=f"Its secret (or {CLIENT_SECRET_ENV}, which keeps it out of the process list).",
        ),
        click.option(
            "--environment",
            envvar=ENVIRONMENT_ENV,
            default=DEFAULT_ENVIRONMENT,
            show_default=True,
            metavar="ENV",
            help=f"The client's environment (or {ENVIRONMENT_ENV}).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def remote(
    url: str, client_id: str | None, client_secret: str | None, environment: str
) -> RemotePlatform:
    """The platform to ask, or `CannotAsk` naming the credentials that are missing."""
    missing = [
        f"{flag} (or {variable})"
        for value, flag, variable in (
            (client_id, "--client-id", CLIENT_ID_ENV),
            (client_secret, "--client-secret", CLIENT_SECRET_ENV),
        )
        if not value
    ]
    if missing:
        raise CannotAsk(
            f"give the platform's workbench client: {' and '.join(missing)}; hooksim serve "
            "prints the export lines that set them"
        )
    assert client_id is not None and client_secret is not None
    return RemotePlatform(url, client_id, client_secret, environment)
