"""Credentials and bearer tokens behind the management API (engine level: the Authority)."""

from __future__ import annotations

import pytest
from hooksim.simulator import (
    ROLES,
    TOKEN_LIFETIME,
    Forbidden,
    InvalidInput,
    NotFound,
    Platform,
    Unauthorized,
    VirtualClock,
)


def _platform() -> tuple[Platform, VirtualClock]:
    token_clock = VirtualClock(start=0.0)
    platform = Platform(token_clock=token_clock)
    platform.create_environment("dev")
    platform.create_environment("prod")
    return platform, token_clock


@pytest.mark.clause("API-AUTH-TOKEN")
def test_client_credentials_give_a_one_hour_token() -> None:
    platform, token_clock = _platform()
    client = platform.auth.create_client("dev", "workbench")
    token = platform.auth.issue_token(client.client_id, client.secret)
    assert (token.role, token.environment_id) == ("workbench", "dev")
    assert TOKEN_LIFETIME == 3600
    assert token.expires_at == 3600
    assert platform.auth.authenticate(token.value) == token
    with pytest.raises(Unauthorized, match="invalid client credentials"):
        platform.auth.issue_token(client.client_id, client.secret + "x")
    with pytest.raises(Unauthorized):
        platform.auth.issue_token("nobody", client.secret)


@pytest.mark.clause("API-AUTH-ROLES")
def test_no_invalid_or_expired_token_is_unauthorized() -> None:
    platform, token_clock = _platform()
    client = platform.auth.create_client("dev", "workbench")
    token = platform.auth.issue_token(client.client_id, client.secret)
    for value in (None, "", "not-a-token"):
        with pytest.raises(Unauthorized) as caught:
            platform.auth.authenticate(value)
        assert caught.value.status == 401
    token_clock.jump(TOKEN_LIFETIME - 0.001)
    platform.auth.authenticate(token.value)
    token_clock.jump(0.001)
    with pytest.raises(Unauthorized, match="expired"):
        platform.auth.authenticate(token.value)


@pytest.mark.clause("API-AUTH-ROLES", "API-NOT-FOUND", "ENV-ISOLATION")
def test_the_webhooks_api_needs_the_workbench_role_of_this_environment() -> None:
    platform, _ = _platform()
    assert ROLES == ("auth", "workbench", "events")
    tokens = {
        role: platform.auth.issue_token(client.client_id, client.secret)
        for role in ROLES
        for client in [platform.auth.create_client("dev", role)]
    }
    platform.auth.require(tokens["workbench"], "dev", "workbench")
    for role in ("auth", "events"):
        with pytest.raises(Forbidden, match="'workbench'") as caught:
            platform.auth.require(tokens[role], "dev", "workbench")
        assert caught.value.status == 403
    with pytest.raises(NotFound, match="'prod'"):
        platform.auth.require(tokens["workbench"], "prod", "workbench")


@pytest.mark.clause("API-TOKEN-CLOCK")
def test_advancing_simulated_time_never_expires_a_token() -> None:
    platform, _ = _platform()
    client = platform.auth.create_client("dev", "workbench")
    token = platform.auth.issue_token(client.client_id, client.secret)
    platform.advance(30 * 86400)
    assert platform.auth.authenticate(token.value) == token


@pytest.mark.clause("API-CREDENTIALS")
def test_credentials_are_created_with_a_role_and_deleted() -> None:
    platform, _ = _platform()
    with pytest.raises(InvalidInput, match="role must be one of auth, workbench, events"):
        platform.auth.create_client("dev", "admin")
    client = platform.auth.create_client("dev", "events")
    token = platform.auth.issue_token(client.client_id, client.secret)
    assert [c.client_id for c in platform.auth.clients("dev")] == [client.client_id]
    assert platform.auth.clients("prod") == []
    with pytest.raises(NotFound):
        platform.auth.delete_client("prod", client.client_id)
    platform.auth.delete_client("dev", client.client_id)
    with pytest.raises(Unauthorized):
        platform.auth.authenticate(token.value)  # its tokens die with it
    with pytest.raises(Unauthorized):
        platform.auth.issue_token(client.client_id, client.secret)
