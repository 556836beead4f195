"""What clients get wrong at the HTTP level: every mistake is a 4xx JSON error, never a 500."""

from __future__ import annotations

import pytest

from .conftest import ENV, RECEIVER_URL, UA, Api, error_of

SUBSCRIBE = f"/v1/{ENV}/webhook"


def _post_raw(api: Api, data: bytes | str, content_type: str = "application/json") -> object:
    return api.post(SUBSCRIBE, data=data, headers=api.headers(**{"Content-Type": content_type}))


@pytest.mark.clause("API-ERRORS")
@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", "empty"),
        (b"   ", "empty"),
        (b'{"types": [', "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b'{"types": ["card-published"], "url": NaN}', "not acceptable JSON"),
        (b'{"maxRetries": 1e999}', "out of range"),
        (b'{"maxRetries": ' + b"9" * 5000 + b"}", "not acceptable JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "nests deeper"),
        (b'{"name": "\\ud800"}', "surrogate"),
    ],
)
def test_malformed_json_is_a_400(api: Api, raw: bytes, words: str) -> None:
    response = _post_raw(api, raw)
    assert response.status_code == 400  # type: ignore[attr-defined]
    error = error_of(response)  # type: ignore[arg-type]
    assert error["field"] == "body" and words in error["message"]


@pytest.mark.clause("API-ERRORS")
@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ([1, 2], "body", "is not of type 'object'"),
        ("text", "body", "is not of type 'object'"),
        ({"types": "card-published", "url": RECEIVER_URL}, "types", "is not of type 'array'"),
        ({"types": [], "url": RECEIVER_URL}, "types", "should be non-empty"),
        ({"types": ["card-published"], "url": 5}, "url", "not an http or https URL"),
        ({"types": ["card-published"], "url": RECEIVER_URL, "colour": "red"}, "colour", "unknown"),
        ({"types": ["card-published"], "url": RECEIVER_URL, "headers": []}, "headers", "type"),
    ],
)
def test_wrong_types_and_unknown_fields_are_400s_naming_the_field(
    api: Api, body: object, field: str, words: str
) -> None:
    response = api.post(SUBSCRIBE, json=body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["field"] == field and words in error["message"]


@pytest.mark.clause("API-ERRORS")
def test_bodies_over_one_mib_are_413(api: Api) -> None:
    huge = '{"types": ["card-published"], "url": "' + "x" * (1024 * 1024) + '"}'
    response = _post_raw(api, huge)
    assert response.status_code == 413  # type: ignore[attr-defined]
    assert error_of(response)["code"] == "payload_too_large"  # type: ignore[arg-type]


@pytest.mark.clause("API-ERRORS")
def test_a_body_of_exactly_one_mib_is_read(api: Api) -> None:
    body = '{"types": ["card-published"], "url": "' + RECEIVER_URL + '", "name": "'
    body += "x" * (1024 * 1024 - len(body) - 2) + '"}'
    assert len(body) == 1024 * 1024
    response = _post_raw(api, body)
    # Read and judged on its merits (the name is too long), not refused for its size.
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert error_of(response)["field"] == "name"  # type: ignore[arg-type]


@pytest.mark.clause("API-ERRORS")
def test_a_body_that_is_not_json_is_415(api: Api) -> None:
    response = _post_raw(api, "types=card-published", "application/x-www-form-urlencoded")
    assert response.status_code == 415  # type: ignore[attr-defined]
    assert error_of(response)["code"] == "unsupported_media_type"  # type: ignore[arg-type]


@pytest.mark.clause("API-ERRORS")
def test_json_without_content_type_and_with_parameters_is_read(api: Api) -> None:
    body = '{"types": ["card-published"], "url": "https://example.com/"}'
    assert _post_raw(api, body, "application/json; charset=utf-8").status_code == 201  # type: ignore[attr-defined]
    response = api.post(SUBSCRIBE, data=body, headers=api.headers())
    assert response.status_code == 201


@pytest.mark.clause("API-METHOD-NOT-ALLOWED")
@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", f"/v1/{ENV}/webhook", "GET, POST"),
        ("HEAD", f"/v1/{ENV}/webhook", "GET, POST"),
        ("OPTIONS", f"/v1/{ENV}/webhook/abc", "DELETE, GET, PATCH"),
        ("GET", f"/v1/{ENV}/webhook/abc/test", "POST"),
        ("TRACE", "/_sim/clock", "GET"),
        ("GET", "/oauth2/token", "POST"),
        ("POST", "/openapi.yaml", "GET"),
    ],
)
def test_methods_not_in_the_spec_are_405_with_allow(
    api: Api, method: str, path: str, allow: str
) -> None:
    response = api.call(method, path)
    assert response.status_code == 405
    assert response.headers["Allow"] == allow
    if method != "HEAD":
        assert error_of(response)["code"] == "method_not_allowed"


@pytest.mark.clause("API-ERRORS")
@pytest.mark.parametrize(
    "path", ["/", "/v1", f"/v1/{ENV}/webhook/", f"/v1/{ENV}/webhooks", "/v1//webhook", "/x/y/z"]
)
def test_unknown_paths_are_404_json(api: Api, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.clause("API-NOT-FOUND")
def test_an_encoded_slash_stays_inside_the_id(api: Api) -> None:
    # /webhook/abc%2Ftest is the subscription "abc/test", not the test operation of "abc".
    response = api.get(f"/v1/{ENV}/webhook/abc%2Ftest")
    assert response.status_code == 404
    assert "'abc/test'" in error_of(response)["message"]


@pytest.mark.clause("API-NO-BODY")
@pytest.mark.parametrize(
    "content",
    [
        {"headers": {"Content-Type": "application/json"}},
        {"headers": {"Content-Type": "text/plain"}, "data": "not json at all"},
        {"headers": {"Content-Type": "application/json"}, "data": "{broken"},
    ],
)
def test_operations_without_a_body_ignore_content_type_and_body(
    api: Api, content: dict[str, object]
) -> None:
    created = api.subscribe()
    extra = content.get("headers", {})
    data = content.get("data")
    path = f"/v1/{ENV}/webhook/{created['id']}"
    for method, suffix in [("POST", "/test"), ("DELETE", ""), ("POST", "/enable"), ("GET", "")]:
        response = api.call(method, path + suffix, headers=api.headers(**extra), data=data)
        assert response.status_code == 200, (method, suffix, response.get_data(as_text=True))


@pytest.mark.clause("API-ERRORS")
def test_duplicate_query_parameters_are_400(api: Api) -> None:
    created = api.subscribe()
    response = api.delete(f"/v1/{ENV}/webhook/{created['id']}?permanent=true&permanent=false")
    assert response.status_code == 400
    assert error_of(response)["field"] == "permanent"


@pytest.mark.clause("API-ERRORS")
def test_unknown_query_parameters_are_ignored(api: Api) -> None:
    assert api.get(f"/v1/{ENV}/webhook?page=2").status_code == 200


def test_openapi_documents_are_served_without_auth(api: Api) -> None:
    yaml_doc = api.client.get("/openapi.yaml")
    assert yaml_doc.status_code == 200 and yaml_doc.mimetype == "application/yaml"
    assert yaml_doc.get_data(as_text=True).startswith("openapi: 3.1.0")
    json_doc = api.client.get("/openapi.json")
    assert json_doc.status_code == 200 and json_doc.json["openapi"] == "3.1.0"


def test_a_bug_is_a_json_500_without_details(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(api.platform, "subscriptions", explode)
    errors: list[str] = []

    class Sink:
        def write(self, text: str) -> None:
            errors.append(text)

        def flush(self) -> None:
            pass

    response = api.client.get(
        f"/v1/{ENV}/webhook",
        headers={"User-Agent": UA, "Authorization": f"Bearer {api.token}"},
        environ_overrides={"wsgi.errors": Sink()},
    )
    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "internal_error" and "secret internals" not in error["message"]
    assert "RuntimeError: secret internals" in "".join(errors)
