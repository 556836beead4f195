"""OAuth2 client credentials, bearer tokens, roles, User-Agent, and the credentials API."""

from __future__ import annotations

import pytest
from hooksim.simulator import Platform, VirtualClock

from .conftest import ENV, OTHER_ENV, UA, Api, basic, error_of


@pytest.fixture
def client(platform: Platform) -> tuple[str, str]:
    created = platform.auth.create_client(ENV, "workbench")
    return created.client_id, created.secret


@pytest.mark.clause("API-AUTH-TOKEN")
@pytest.mark.parametrize("where", ["form", "query"])
def test_token_endpoint_answers_plain_rfc6749_json(
    api: Api, client: tuple[str, str], where: str
) -> None:
    kwargs: dict[str, object] = (
        {"data": {"grant_type": "client_credentials"}}
        if where == "form"
        else {"query_string": "grant_type=client_credentials"}
    )
    response = api.client.post(
        "/oauth2/token", headers={"User-Agent": UA, "Authorization": basic(*client)}, **kwargs
    )
    assert response.status_code == 200
    body = response.json
    assert set(body) == {"access_token", "token_type", "expires_in"}  # not wrapped in data
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    assert response.headers["Cache-Control"] == "no-store"
    listed = api.get(f"/v1/{ENV}/webhook", token=body["access_token"])
    assert listed.status_code == 200


@pytest.mark.clause("API-AUTH-TOKEN")
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer abc", "Basic !!!", "wrong-secret", "unknown-client"],
)
def test_bad_client_authentication_is_401_with_basic_challenge(
    api: Api, client: tuple[str, str], authorization: str | None
) -> None:
    headers = {"User-Agent": UA}
    if authorization == "wrong-secret":
        headers["Authorization"] = basic(client[0], "nope")
    elif authorization == "unknown-client":
        headers["Authorization"] = basic("nobody", client[1])
    elif authorization is not None:
        headers["Authorization"] = authorization
    response = api.client.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, headers=headers
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.json["error"] == "invalid_client"
    assert response.json["error_description"]


@pytest.mark.clause("API-AUTH-TOKEN")
@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"data": {"grant_type": "password"}}, "unsupported_grant_type"),
        ({"query_string": "grant_type=authorization_code"}, "unsupported_grant_type"),
        ({}, "invalid_request"),
        (
            {
                "data": {"grant_type": "client_credentials"},
                "query_string": "grant_type=client_credentials",
            },
            "invalid_request",
        ),
        (
            {"data": '{"grant_type": "client_credentials"}', "content_type": "application/json"},
            "invalid_request",
        ),
        ({"data": {"grant_type": "client_credentials", "scope": "x" * 1025}}, "invalid_request"),
    ],
)
def test_other_oauth_errors_follow_rfc6749(
    api: Api, client: tuple[str, str], kwargs: dict[str, object], error: str
) -> None:
    response = api.client.post(
        "/oauth2/token", headers={"User-Agent": UA, "Authorization": basic(*client)}, **kwargs
    )
    assert response.status_code == 400
    assert response.json["error"] == error
    assert isinstance(response.json["error_description"], str)


@pytest.mark.clause("API-AUTH-TOKEN")
def test_unknown_form_parameters_are_ignored(api: Api, client: tuple[str, str]) -> None:
    response = api.client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials", "audience": "x"},
        headers={"User-Agent": UA, "Authorization": basic(*client)},
    )
    assert response.status_code == 200


@pytest.mark.clause("API-USER-AGENT")
def test_token_endpoint_needs_a_user_agent(api: Api, client: tuple[str, str]) -> None:
    response = api.client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic(*client)},
    )
    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"
    assert "User-Agent" in response.json["error_description"]


@pytest.mark.clause("API-AUTH-ROLES")
@pytest.mark.parametrize(
    ("authorization", "words"),
    [
        (None, "bearer token is required"),
        ("Bearer", "must be 'Bearer <token>'"),
        ("Basic abc", "must be 'Bearer <token>'"),
        ("Bearer not-a-token", "not valid"),
    ],
)
def test_missing_or_invalid_token_is_401(api: Api, authorization: str | None, words: str) -> None:
    headers = {"User-Agent": UA}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = api.get(f"/v1/{ENV}/webhook", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    error = error_of(response)
    assert error["code"] == "unauthorized" and words in error["message"]


@pytest.mark.clause("API-AUTH-ROLES", "API-TOKEN-CLOCK")
def test_tokens_expire_on_their_own_clock(api: Api, token_clock: VirtualClock) -> None:
    # Simulated hours do not log anyone out...
    api.platform.advance(5 * 3600)
    assert api.get(f"/v1/{ENV}/webhook").status_code == 200
    # ...the token clock does, after an hour.
    token_clock.jump(3599)
    assert api.get(f"/v1/{ENV}/webhook").status_code == 200
    token_clock.jump(1)
    response = api.get(f"/v1/{ENV}/webhook")
    assert response.status_code == 401
    assert "expired" in error_of(response)["message"]


@pytest.mark.clause("API-AUTH-ROLES")
@pytest.mark.parametrize("role", ["auth", "events"])
def test_webhooks_need_the_workbench_role(api: Api, role: str) -> None:
    token = api.mint(role)
    for method, path in [("GET", f"/v1/{ENV}/webhook"), ("GET", "/_sim/clock")]:
        response = api.call(method, path, token=token)
        assert response.status_code == 403
        error = error_of(response)
        assert error["code"] == "forbidden" and "'workbench'" in error["message"]


@pytest.mark.clause("API-AUTH-ROLES", "API-NOT-FOUND")
def test_a_token_of_another_environment_is_404(api: Api) -> None:
    token = api.mint("workbench", OTHER_ENV)
    response = api.get(f"/v1/{ENV}/webhook", token=token)
    assert response.status_code == 404
    assert api.get("/v1/missing-env/webhook").status_code == 404


@pytest.mark.clause("API-USER-AGENT")
@pytest.mark.parametrize("user_agent", [None, "", "   "])
def test_management_requests_need_a_user_agent(api: Api, user_agent: str | None) -> None:
    headers = {"Authorization": f"Bearer {api.token}"}
    if user_agent is not None:
        headers["User-Agent"] = user_agent
    response = api.get(f"/v1/{ENV}/webhook", headers=headers)
    assert response.status_code == 400
    error = error_of(response)
    assert error["field"] == "User-Agent" and "User-Agent" in error["message"]


@pytest.mark.clause("API-CREDENTIALS")
def test_credentials_api_creates_and_deletes_clients(api: Api) -> None:
    admin = api.mint("auth")
    response = api.post(f"/v1/{ENV}/credentials", json={"role": "events"}, token=admin)
    assert response.status_code == 201
    data = response.json["data"]
    assert set(data) == {"clientId", "clientSecret", "role"} and data["role"] == "events"
    assert response.headers["Location"] == f"/v1/{ENV}/credentials/{data['clientId']}"
    # The new credentials work at the token endpoint...
    token = api.client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={"User-Agent": UA, "Authorization": basic(data["clientId"], data["clientSecret"])},
    ).json["access_token"]
    assert api.get(f"/v1/{ENV}/webhook", token=token).status_code == 403  # events role
    # ...until they are deleted, which also ends their tokens.
    deleted = api.delete(f"/v1/{ENV}/credentials/{data['clientId']}", token=admin)
    assert deleted.status_code == 204 and deleted.get_data() == b""
    assert "Content-Type" not in deleted.headers
    assert api.get(f"/v1/{ENV}/webhook", token=token).status_code == 401
    again = api.delete(f"/v1/{ENV}/credentials/{data['clientId']}", token=admin)
    assert again.status_code == 404


@pytest.mark.clause("API-CREDENTIALS", "API-AUTH-ROLES")
def test_credentials_api_needs_the_auth_role(api: Api) -> None:
    response = api.post(f"/v1/{ENV}/credentials", json={"role": "auth"})
    assert response.status_code == 403
    assert "'auth'" in error_of(response)["message"]
    admin = api.mint("auth")
    bad = api.post(f"/v1/{ENV}/credentials", json={"role": "root"}, token=admin)
    assert bad.status_code == 400 and error_of(bad)["field"] == "role"
    other = api.post(f"/v1/{OTHER_ENV}/credentials", json={"role": "auth"}, token=admin)
    assert other.status_code == 404
