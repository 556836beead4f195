"""contracts/openapi.yaml: valid OpenAPI 3.1, complete, and in step with the engine's rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hooksim.contracts import (
    control_text,
    load_control,
    load_openapi,
    openapi_text,
    reserved_headers,
)
from hooksim.simulator import EVENT_TYPES, ROLES, Platform, make_app
from hooksim.simulator._validation import MAX_HEADERS, MAX_RETRIES_LIMIT
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from werkzeug.test import Client

pytestmark = pytest.mark.clause("API-OPENAPI")

DOC = load_openapi()
SCHEMAS = DOC["components"]["schemas"]
METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in DOC["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def node_ref(ref: str) -> list[str]:
    return ref.removeprefix("#/").split("/")


def _deref(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = DOC
        for part in node_ref(node["$ref"]):
            target = target[part]
        node = target
    return node


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object under `node` (following $refs into components)."""
    if isinstance(node, dict):
        node = _deref(node)
        yield path, node
        for key, value in node.items():
            if key in ("properties", "patternProperties"):
                for name, sub in value.items():
                    yield from _walk(sub, f"{path}.{name}")
            elif key in ("items", "additionalProperties", "propertyNames", "not"):
                yield from _walk(value, f"{path}.{key}")
            elif key in ("allOf", "anyOf", "oneOf"):
                for n, sub in enumerate(value):
                    yield from _walk(sub, f"{path}.{key}[{n}]")


def _request_schemas() -> Iterator[tuple[str, dict[str, Any]]]:
    for path, method, operation in _operations():
        body = operation.get("requestBody")
        if body:
            for media in body["content"].values():
                yield f"{method.upper()} {path} body", media["schema"]
        for parameter in operation.get("parameters", []):
            parameter = _deref(parameter)
            yield f"{method.upper()} {path} {parameter['name']}", parameter["schema"]


def test_the_document_is_valid_openapi_3_1() -> None:
    validate(load_openapi())
    assert DOC["openapi"] == "3.1.0"
    assert openapi_text().startswith("openapi: 3.1.0")


def test_every_operation_has_an_id_responses_and_error_schemas() -> None:
    ids = [operation["operationId"] for _, _, operation in _operations()]
    assert len(ids) == len(set(ids)) == 27
    for path, method, operation in _operations():
        responses = operation["responses"]
        assert any(code.startswith("2") for code in responses), (method, path)
        for code, response in responses.items():
            response = _deref(response)
            assert response["description"]
            for media in response.get("content", {}).values():
                assert "schema" in media, (method, path, code)
            if code.startswith("4") and path != "/oauth2/token":
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, code)


def test_every_protected_operation_documents_401_403_404() -> None:
    for path, method, operation in _operations():
        if operation.get("security", DOC["security"]) == DOC["security"]:
            assert {"400", "401", "403", "404"} <= set(operation["responses"]), (method, path)
            assert operation["x-hooksim-role"] in ROLES


def test_security_schemes_are_bearer_and_oauth2_client_credentials() -> None:
    schemes = DOC["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearerAuth"]["description"],
    }
    assert schemes["oauth2"]["flows"]["clientCredentials"]["tokenUrl"] == "/oauth2/token"
    assert DOC["security"] == [{"bearerAuth": []}, {"oauth2": []}]


def test_every_number_in_a_request_has_a_maximum() -> None:
    seen = 0
    for where, schema in _request_schemas():
        for path, node in _walk(schema):
            types = node.get("type")
            types = types if isinstance(types, list) else [types]
            if "integer" in types or "number" in types:
                seen += 1
                assert "maximum" in node and "minimum" in node, f"{where}{path}"
    assert seen >= 5


def test_request_objects_refuse_unknown_fields() -> None:
    for where, schema in _request_schemas():
        for path, node in _walk(schema):
            if node.get("type") == "object" and "properties" in node:
                allowed = node.get("additionalProperties")
                # RFC 6749 section 3.2: the token endpoint ignores unknown parameters.
                if where.startswith("POST /oauth2/token"):
                    assert allowed is None
                else:
                    assert allowed is False, f"{where}{path}"


def test_event_types_match_the_engine() -> None:
    assert SCHEMAS["EventType"]["enum"] == list(EVENT_TYPES)
    assert SCHEMAS["CredentialRequest"]["properties"]["role"]["enum"] == list(ROLES)


def test_header_rules_match_the_engine() -> None:
    headers = Draft202012Validator(SCHEMAS["CustomHeaders"])
    assert SCHEMAS["CustomHeaders"]["maxProperties"] == MAX_HEADERS
    reserved = sorted(reserved_headers())
    for name in reserved:
        for spelling in (name, name.upper(), name.title()):
            assert not headers.is_valid({spelling: "x"}), spelling
    assert headers.is_valid({"X-Custom": "x", "My-Custom-Header": "123"})
    assert SCHEMAS["MaxRetries"]["maximum"] == MAX_RETRIES_LIMIT


@pytest.mark.parametrize(
    ("url", "valid"),
    [
        ("https://example.com", True),
        ("http://127.0.0.1:65535/hook?x=1#f", True),
        ("HTTPS://Example.COM/a/b", True),
        ("http://a:65536/", False),
        ("ftp://example.com", False),
        ("https://user@example.com/", False),
        ("https://exa mple.com/", False),
        ("https://", False),
        ("https://[::1]/", False),
    ],
)
def test_webhook_url_pattern(url: str, valid: bool) -> None:
    pattern = re.compile(SCHEMAS["WebhookUrl"]["pattern"])
    assert bool(pattern.search(url)) is valid


def test_links_chain_subscribe_to_every_operation_on_a_subscription() -> None:
    links = DOC["paths"]["/v1/{environmentId}/webhook"]["post"]["responses"]["201"]["links"]
    targets = {link["operationId"] for link in links.values()}
    assert targets == {
        "getWebhook",
        "updateWebhook",
        "testWebhook",
        "deleteWebhook",
        "enableWebhook",
    }
    for link in links.values():
        assert link["parameters"] == {
            "environmentId": "$request.path.environmentId",
            "id": "$response.body#/data/id",
        }


def test_served_document_is_the_api_and_the_control_contract_merged() -> None:
    platform = Platform()
    served = yaml.safe_load(Client(make_app(platform)).get("/openapi.yaml").get_data())
    api, control = yaml.safe_load(openapi_text()), load_control()
    assert served == load_openapi()
    assert set(served["paths"]) == set(api["paths"]) | set(control["paths"])
    assert set(served["components"]["schemas"]) == set(api["components"]["schemas"]) | set(
        control["components"]["schemas"]
    )
    # Every reference resolves inside the one served document.
    refs = re.findall(r"\$ref': '([^']*)'", repr(served))
    assert refs and all(ref.startswith("#/components/") for ref in refs)


def test_the_control_contract_is_valid_openapi_on_its_own(tmp_path: Path) -> None:
    # As an implementer gets it: control.yaml beside openapi.yaml, which it refers to.
    for name, text in (("openapi.yaml", openapi_text()), ("control.yaml", control_text())):
        (tmp_path / name).write_text(text)
    spec = yaml.safe_load((tmp_path / "control.yaml").read_text())
    validate(spec, base_uri=(tmp_path / "control.yaml").as_uri())
    assert all(path.startswith("/_sim") for path in spec["paths"])
