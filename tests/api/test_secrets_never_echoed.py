"""No error message, log line or report holds a secret (issue 10, item 7): an error about a
secret field names the field and the rule it broke, however the value was malformed, for
every secret-bearing field of every credential type, custom header values, and clients'
secrets and tokens. Each value carries a marker that must appear nowhere in the answer."""

from __future__ import annotations

import base64
import logging
import socket
from typing import Any

import pytest
from hooksim.simulator import InvalidInput
from hooksim.simulator._serve import ServedPlatform, ServeOptions

from .conftest import ENV, UA, Api, basic, error_of

MARKER = "S3CR3T-MARKER-7f3a9c"
NUMBER = 987_654_321_987_654

#: A valid body per credential type, and its secret-bearing fields.
CREDENTIALS: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "oauth2-client-credentials": (
        {"tokenUrl": "https://identity.test/token", "clientId": "c", "clientSecret": "s"},
        ("clientSecret",),
    ),
    "basic": ({"username": "u", "password": "p"}, ("password",)),
    "api-key": ({"headerName": "X-Api-Key", "value": "v"}, ("value",)),
    "aws-sigv4": (
        {
            "accessKeyId": "AKID",
            "secretAccessKey": "sk",
            "sessionToken": "st",
            "region": "us-east-1",
            "service": "execute-api",
        },
        ("secretAccessKey", "sessionToken"),
    ),
}

#: Ways to send a secret that the platform refuses (the issue's five, and their kin).
HOSTILE: dict[str, Any] = {
    "newline": f"{MARKER}\nx",
    "carriage-return-line-feed": f"{MARKER}\r\nx",
    "nul": f"{MARKER}\x00x",
    "over-4096": MARKER * 300,
    "list": [MARKER],
    "object": {MARKER: MARKER},
    "number": NUMBER,
    "true": True,
}
SECRET_FIELDS = [(kind, name) for kind, (_, names) in CREDENTIALS.items() for name in names]


def _assert_no_secret(text: str) -> None:
    assert MARKER not in text and str(NUMBER) not in text, text


def _shown(response: Any) -> str:
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return headers + "\n" + response.get_data(as_text=True)


@pytest.mark.clause("CRED-IN-USE", "API-ERRORS")
@pytest.mark.parametrize(
    ("kind", "name"), SECRET_FIELDS, ids=[f"{k}.{n}" for k, n in SECRET_FIELDS]
)
@pytest.mark.parametrize("how", list(HOSTILE))
def test_a_refused_secret_is_named_never_echoed(api: Api, kind: str, name: str, how: str) -> None:
    valid, _ = CREDENTIALS[kind]
    body = {"type": kind, **valid, name: HOSTILE[how]}
    response = api.post(f"/v1/{ENV}/webhook-credentials", json=body)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert error_of(response)["field"] == name
    _assert_no_secret(_shown(response))
    # The same body from Python (scenarios, the plugin) is refused the same way.
    with pytest.raises(InvalidInput) as refused:
        api.platform.create_credential(ENV, body)
    assert refused.value.field == name
    _assert_no_secret(str(refused.value))


@pytest.mark.clause("API-ERRORS")
@pytest.mark.parametrize("how", ["newline", "nul", "over-4096", "list", "number"])
def test_a_refused_custom_header_value_is_never_echoed(api: Api, how: str) -> None:
    body = {
        "types": ["card-published"],
        "url": "https://r.test/",
        "headers": {"X-Key": HOSTILE[how]},
    }
    response = api.post(f"/v1/{ENV}/webhook", json=body)
    assert response.status_code == 400
    assert error_of(response)["field"].startswith("headers")
    _assert_no_secret(_shown(response))
    with pytest.raises(InvalidInput) as refused:
        api.platform.subscribe(ENV, body)
    _assert_no_secret(str(refused.value))


@pytest.mark.clause("API-AUTH-TOKEN")
@pytest.mark.parametrize(
    "authorization",
    [
        basic("no-such-client", MARKER),
        basic(MARKER, MARKER),
        "Basic " + base64.b64encode(MARKER.encode()).decode(),  # no ':' at all
        f"Basic {MARKER}",  # not base64
        f"Bearer {MARKER}",
    ],
    ids=["wrong-secret", "unknown-client", "no-colon", "not-base64", "bearer-scheme"],
)
def test_a_client_secret_is_never_echoed_by_the_token_endpoint(
    api: Api, authorization: str
) -> None:
    response = api.client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={"User-Agent": UA, "Authorization": authorization},
    )
    assert response.status_code in (400, 401)
    _assert_no_secret(_shown(response))


@pytest.mark.clause("API-AUTH-TOKEN")
@pytest.mark.parametrize(
    "authorization", [f"Bearer {MARKER}", f"Token {MARKER}", f"Bearer {MARKER} extra"]
)
def test_a_token_is_never_echoed(api: Api, authorization: str) -> None:
    response = api.get(
        f"/v1/{ENV}/webhook", headers={"User-Agent": UA, "Authorization": authorization}
    )
    assert response.status_code == 401
    _assert_no_secret(_shown(response))


@pytest.mark.served
def test_no_log_line_of_the_server_holds_a_query_or_a_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    served = ServedPlatform(ServeOptions(port=0, clock="virtual", access_log=True)).start()
    try:
        lines = [
            f"GET /v1/dev/webhook?token={MARKER} HTTP/1.1 extra\r\n\r\n",  # bad request line
            f"GET /analytics/file?signature={MARKER} HTTP/1.1\r\nHost: x\r\n\r\n",
            f"BREW /?key={MARKER} HTCPCP/1.0\r\n\r\n",
        ]
        for line in lines:
            with socket.create_connection(("127.0.0.1", served.port), timeout=30) as connection:
                connection.sendall(line.encode())
                while connection.recv(65536):
                    pass
    finally:
        served.stop()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged  # something was logged: the test looks at real lines
    _assert_no_secret(logged)
