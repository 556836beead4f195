"""API credentials and bearer tokens (OAuth2 client credentials), per environment.

Token lifetimes follow their own clock (a wall clock by default), separate from the clock that
drives deliveries, so that advancing simulated hours never expires a caller's token.
Clients are kept in the platform's store (they outlive a restart on a durable store); tokens
live in memory only: after a restart callers ask for a new one with their credentials.
"""

from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass
from typing import Protocol

from ._clock import Clock
from ._errors import Forbidden, InvalidInput, NotFound, Unauthorized
from ._ids import IdSource
from ._models import ApiClient

__all__ = ["ROLES", "TOKEN_LIFETIME", "Authority", "Token"]

ROLES = ("auth", "workbench", "events")
TOKEN_LIFETIME = 3600


@dataclass(frozen=True, slots=True)
class Token:
    value: str
    client_id: str
    role: str
    environment_id: str
    expires_at: float


class ClientStore(Protocol):
    """Where clients outlive the process (the platform's store)."""

    def api_clients(self) -> list[ApiClient]: ...
    def save_client(self, client: ApiClient) -> None: ...
    def delete_client(self, client_id: str) -> None: ...


class Authority:
    def __init__(self, ids: IdSource, clock: Clock, store: ClientStore | None = None) -> None:
        self._ids = ids
        self.clock = clock
        self._store = store
        self._clients: dict[str, ApiClient] = {
            client.client_id: client for client in (store.api_clients() if store else ())
        }
        self._tokens: dict[str, Token] = {}
        # Its own lock, not the platform's: a token is checked while an advance holds that.
        self._lock = threading.Lock()

    def create_client(
        self,
        environment_id: str,
        role: str,
        *,
        client_id: str | None = None,
        secret: str | None = None,
    ) -> ApiClient:
        if role not in ROLES:
            raise InvalidInput(f"role must be one of {', '.join(ROLES)}, not {role!r}", "role")
        client_id = client_id or self._ids.short_id(20)
        existing = self._clients.get(client_id)
        if existing is not None:
            if existing.environment_id != environment_id or existing.role != role:
                raise InvalidInput(f"client id {client_id!r} is already in use")
            return existing
        client = ApiClient(client_id, secret or self._ids.token(24), role, environment_id)
        self._clients[client_id] = client
        if self._store is not None:
            self._store.save_client(client)
        return client

    def delete_client(self, environment_id: str, client_id: str) -> None:
        client = self._clients.get(client_id)
        if client is None or client.environment_id != environment_id:
            raise NotFound(f"no credential {client_id!r} in environment {environment_id!r}")
        del self._clients[client_id]
        if self._store is not None:
            self._store.delete_client(client_id)
        with self._lock:
            for value in [v for v, t in self._tokens.items() if t.client_id == client_id]:
                del self._tokens[value]

    def carry_over(self, old: Authority, client_ids: set[str]) -> None:
        """Take these clients of `old`, with their live tokens (a platform reset keeps its
        caller logged in)."""
        for client_id in client_ids:
            client = old._clients.get(client_id)
            if client is None:
                continue
            self.create_client(
                client.environment_id, client.role, client_id=client_id, secret=client.secret
            )
            with old._lock:
                tokens = [t for t in old._tokens.values() if t.client_id == client_id]
            with self._lock:
                self._tokens.update((token.value, token) for token in tokens)

    def clients(self, environment_id: str) -> list[ApiClient]:
        return [c for c in self._clients.values() if c.environment_id == environment_id]

    def issue_token(self, client_id: str, secret: str) -> Token:
        client = self._clients.get(client_id)
        if client is None or not hmac.compare_digest(client.secret.encode(), secret.encode()):
            raise Unauthorized("invalid client credentials")
        with self._lock:
            return self._issue(client)

    def _issue(self, client: ApiClient) -> Token:
        token = Token(
            value=self._ids.token(32),
            client_id=client.client_id,
            role=client.role,
            environment_id=client.environment_id,
            expires_at=self.clock.now() + TOKEN_LIFETIME,
        )
        self._tokens[token.value] = token
        return token

    def authenticate(self, value: str | None) -> Token:
        """The live token behind a bearer value, or Unauthorized."""
        if not value:
            raise Unauthorized("a bearer token is required (Authorization: Bearer <token>)")
        with self._lock:
            token = self._tokens.get(value)
            if token is not None and self.clock.now() >= token.expires_at:
                del self._tokens[value]
                raise Unauthorized("the bearer token has expired; request a new one")
        if token is None:
            raise Unauthorized("the bearer token is not valid")
        return token

    @staticmethod
    def require(token: Token, environment_id: str, role: str) -> None:
        """Forbidden unless the token carries `role`; an environment the token does not
        belong to is NotFound, so that another environment's existence is never revealed."""
        if token.environment_id != environment_id:
            raise NotFound(f"environment {environment_id!r} does not exist")
        if token.role != role:
            raise Forbidden(
                f"this operation needs a credential with role {role!r}; "
                f"the token has {token.role!r}"
            )
