"""The management API of delivery credentials (`/v1/{env}/webhook-credentials`) and the new
subscription fields, through the WSGI app."""

from __future__ import annotations

import json
from typing import Any

import pytest
from _bench import API_KEY, CLIENT_SECRET, IDENTITY_URL, PASSWORD, SECRETS
from hooksim.simulator import Platform, make_app
from werkzeug.test import Client, TestResponse

ENV = "dev"
UA = "hooksim-delivery-tests/1.0"
RECEIVER_URL = "https://receiver.test/hook"


class Api:
    def __init__(self) -> None:
        self.platform = Platform()
        self.platform.create_environment(ENV)
        self.platform.create_environment("other")
        client = self.platform.auth.create_client(ENV, "workbench")
        self.token = self.platform.auth.issue_token(client.client_id, client.secret).value
        self.client = Client(make_app(self.platform))

    def call(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        headers = {"User-Agent": UA, "Authorization": f"Bearer {self.token}"}
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def credential(self, **body: Any) -> dict[str, Any]:
        response = self.call("POST", f"/v1/{ENV}/webhook-credentials", json=body)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.json["data"]  # type: ignore[index, no-any-return]


@pytest.fixture
def api() -> Api:
    return Api()


def _no_secret(response: TestResponse) -> None:
    text = response.get_data(as_text=True)
    assert not [secret for secret in SECRETS if secret in text], text


@pytest.mark.clause("API-DELIVERY-CREDENTIALS", "CRED-IN-USE")
def test_create_list_get_and_delete_without_ever_showing_a_secret(api: Api) -> None:
    response = api.call(
        "POST",
        f"/v1/{ENV}/webhook-credentials",
        json={"type": "basic", "username": "hooks", "password": PASSWORD, "name": "staging"},
    )
    assert response.status_code == 201
    _no_secret(response)
    created = response.json["data"]  # type: ignore[index]
    assert response.headers["Location"] == f"/v1/{ENV}/webhook-credentials/{created['id']}"
    assert created == {
        "id": created["id"],
        "name": "staging",
        "type": "basic",
        "username": "hooks",
        "created": "2026-01-01T00:00:00.000Z",
    }
    api.credential(type="api-key", headerName="X-Hook-Key", value=API_KEY)
    api.credential(
        type="oauth2-client-credentials",
        tokenUrl=IDENTITY_URL,
        clientId="c",
        clientSecret=CLIENT_SECRET,
    )
    listed = api.call("GET", f"/v1/{ENV}/webhook-credentials")
    _no_secret(listed)
    assert [c["type"] for c in listed.json["data"]] == [
        "basic",
        "api-key",
        "oauth2-client-credentials",
    ]  # type: ignore[index]
    shown = api.call("GET", f"/v1/{ENV}/webhook-credentials/{created['id']}")
    assert shown.json == {"data": created}
    assert api.call("GET", f"/v1/other/webhook-credentials/{created['id']}").status_code == 404

    subscribed = api.call(
        "POST",
        f"/v1/{ENV}/webhook",
        json={"types": ["card-published"], "url": RECEIVER_URL, "credentialId": created["id"]},
    )
    assert subscribed.status_code == 201
    subscription = subscribed.json["data"]  # type: ignore[index]
    assert subscription["credentialId"] == created["id"]
    refused = api.call("DELETE", f"/v1/{ENV}/webhook-credentials/{created['id']}")
    assert refused.status_code == 409
    assert subscription["id"] in refused.json["error"]["message"]  # type: ignore[index]
    api.call("DELETE", f"/v1/{ENV}/webhook/{subscription['id']}")
    api.call("DELETE", f"/v1/{ENV}/webhook/{subscription['id']}?permanent=true")
    deleted = api.call("DELETE", f"/v1/{ENV}/webhook-credentials/{created['id']}")
    assert deleted.status_code == 204 and deleted.get_data() == b""
    assert api.call("GET", f"/v1/{ENV}/webhook-credentials/{created['id']}").status_code == 404


@pytest.mark.clause("API-DELIVERY-CREDENTIALS")
@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"type": "basic", "username": "u"}, "password"),
        ({"type": "basic", "username": "u", "password": "p", "value": "v"}, "value"),
        ({"type": "api-key", "headerName": "Authorization", "value": "v"}, "headerName"),
        ({"type": "ntlm"}, "type"),
    ],
)
def test_a_bad_credential_is_a_400_naming_the_field(
    api: Api, body: dict[str, Any], words: str
) -> None:
    response = api.call("POST", f"/v1/{ENV}/webhook-credentials", json=body)
    assert response.status_code == 400
    assert words in json.dumps(response.json)


@pytest.mark.clause("CRED-IN-USE", "MAPPING", "BATCHING", "API-SUBSCRIBE", "API-UPDATE")
@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"credentialId": "cred-missing"}, "credentialId", "'cred-missing'"),
        ({"mapping": '{"a": {{ data.id }'}, "mapping", "mapping line 1"),
        ({"mapping": "{{ x.__class__ }}"}, "mapping", "refused"),
        ({"batch": {"maxEvents": 0, "maxWaitSeconds": 1}}, "batch", "maxEvents"),
        ({"batch": {"maxEvents": 2}}, "batch", "maxWaitSeconds"),
    ],
)
def test_new_subscription_fields_are_checked_on_subscribe_and_update(
    api: Api, fields: dict[str, Any], field: str, words: str
) -> None:
    body = {"types": ["card-published"], "url": RECEIVER_URL, **fields}
    response = api.call("POST", f"/v1/{ENV}/webhook", json=body)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert words in response.json["error"]["message"]  # type: ignore[index]
    created = api.call(
        "POST", f"/v1/{ENV}/webhook", json={"types": ["card-published"], "url": RECEIVER_URL}
    )
    subscription_id = created.json["data"]["id"]  # type: ignore[index]
    updated = api.call("PATCH", f"/v1/{ENV}/webhook/{subscription_id}", json=fields)
    assert updated.status_code == 400
    assert words in updated.json["error"]["message"]  # type: ignore[index]


@pytest.mark.clause("MAPPING", "BATCHING", "API-UPDATE")
def test_mapping_and_batch_are_shown_only_when_set(api: Api) -> None:
    plain = api.call(
        "POST", f"/v1/{ENV}/webhook", json={"types": ["card-published"], "url": RECEIVER_URL}
    )
    assert not {"credentialId", "mapping", "batch"} & set(plain.json["data"])  # type: ignore[index]
    subscription_id = plain.json["data"]["id"]  # type: ignore[index]
    changed = api.call(
        "PATCH",
        f"/v1/{ENV}/webhook/{subscription_id}",
        json={
            "mapping": '{"id": {{ data.id | tojson }}}',
            "batch": {"maxEvents": 5, "maxWaitSeconds": 2.5},
        },
    )
    assert changed.status_code == 200
    data = changed.json["data"]  # type: ignore[index]
    assert data["mapping"] == '{"id": {{ data.id | tojson }}}'
    assert data["batch"] == {"maxEvents": 5, "maxWaitSeconds": 2.5}
    cleared = api.call(
        "PATCH", f"/v1/{ENV}/webhook/{subscription_id}", json={"mapping": None, "batch": None}
    )
    assert not {"mapping", "batch"} & set(cleared.json["data"])  # type: ignore[index]
