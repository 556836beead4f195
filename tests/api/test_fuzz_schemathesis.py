"""schemathesis against the in-process app: every operation, positive and negative data, and
stateful runs over the OpenAPI links. Zero failures allowed.

Each generated case, and each state machine run, gets a fresh platform, so that the
100-subscription cap, published events and the moved clock never leak from one case into
the next. Credentials live in one `Authority` shared by every fresh platform, so that
schemathesis is told about them once, through auth providers, and knows they are explicit
(its auth checks then probe without them and expect 401s).

Besides the five checks the contract promises (not_a_server_error, status_code_conformance,
content_type_conformance, response_schema_conformance, negative_data_rejection), the checks
schemathesis' CLI runs with `--checks all` run too, so that a served instance holds up there,
and one of ours: no error answer quotes a value sent in a secret field (issue 10).
"""

from __future__ import annotations

import base64
import json
import tomllib
from importlib import resources
from types import SimpleNamespace
from typing import Any

import hypothesis
import pytest
import schemathesis
from hooksim.contracts import load_openapi
from hooksim.simulator import Authority, IdSource, Platform, VirtualClock, make_app
from hooksim.simulator._api_contract import Contract
from hooksim.simulator._secrets import is_secret
from schemathesis import Case
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

pytestmark = [pytest.mark.fuzz, pytest.mark.clause("API-OPENAPI", "API-ERRORS")]

ENV = "dev"
UA = "schemathesis-in-process"
PROMISED: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
_CONTRACT = Contract()
#: Shorter values are too likely to occur in any message by chance.
_ECHO_LENGTH = 12


def _body_values(
    document: Any, secrets: frozenset[tuple[str, ...]]
) -> tuple[list[Any], set[str]]:
    """The values a request body sent in its secret fields (`writeOnly`/`x-hooksim-secret`),
    and the text of every other value it sent (an error may quote those)."""
    found: list[Any] = []
    public: set[str] = set()
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(document, ())]
    while stack:
        node, path = stack.pop()
        if path and is_secret(path, secrets):
            found.append(node)
        elif isinstance(node, dict):
            stack.extend((value, (*path, key)) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, (*path, index)) for index, value in enumerate(node))
        else:
            public.add(str(node))
    return found, public


def _echoes(value: Any) -> set[str]:
    forms = {repr(value), json.dumps(value), json.dumps(value, ensure_ascii=False)}
    if isinstance(value, str):
        forms.add(value)
    return {form for form in forms if len(form) >= _ECHO_LENGTH}


def no_secret_in_error(ctx: Any, response: Any, case: Case) -> bool | None:
    """An error answer never holds a value the request sent in a secret field, in any of
    the forms an error could quote it (as sent, repr, JSON)."""
    if response.status_code < 400 or not isinstance(case.body, dict | list):
        return None
    operation = _CONTRACT.operations.get(case.operation.definition.raw.get("operationId", ""))
    if operation is None or not operation.body_secrets:
        return None
    text = response.text
    # A value also sent where it may be quoted (a path or query parameter, or a public field
    # of the body: "environment 'x' does not exist") is not the secret leaking, even when the
    # fuzzer drew both the same.
    secret_values, public = _body_values(case.body, operation.body_secrets)
    public |= {
        str(v) for v in (*(case.path_parameters or {}).values(), *(case.query or {}).values())
    }
    for value in secret_values:
        if str(value) in public:
            continue
        leaked = [form for form in _echoes(value) if form in text]
        assert not leaked, (
            f"{case.operation.label} answered {response.status_code} quoting a secret"
        )
    return None


CHECKS: list[CheckFunction] = [
    *PROMISED,
    no_secret_in_error,
    positive_data_acceptance,
    response_headers_conformance,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
    ignored_auth,
]
# DELETE disables rather than deletes (the seed), so use_after_free does not apply.
STATEFUL_CHECKS: list[CheckFunction] = [*CHECKS, ensure_resource_availability]

AUTHORITY = Authority(IdSource(1), VirtualClock())
_WORKBENCH = AUTHORITY.create_client(ENV, "workbench")
_ADMIN = AUTHORITY.create_client(ENV, "auth")
WORKBENCH_TOKEN = AUTHORITY.issue_token(_WORKBENCH.client_id, _WORKBENCH.secret).value
ADMIN_TOKEN = AUTHORITY.issue_token(_ADMIN.client_id, _ADMIN.secret).value
BASIC = base64.b64encode(f"{_WORKBENCH.client_id}:{_WORKBENCH.secret}".encode()).decode()


class FreshPlatformApp:
    """The WSGI app schemathesis calls; `reset()` swaps in a brand-new platform."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        platform = Platform()
        platform.auth = AUTHORITY
        platform.create_environment(ENV)
        self.platform = platform
        self.app = make_app(platform)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


def _config() -> schemathesis.Config:
    # The contract's own schemathesis settings (the analytics range rule), plus ours.
    shipped = resources.files("hooksim.contracts").joinpath("schemathesis.toml").read_text()
    settings = tomllib.loads(shipped)
    settings.update(
        {
            "headers": {"User-Agent": UA},
            "parameters": {"path.environmentId": ENV},
            "generation": {"mode": "all", "max-examples": 50},
        }
    )
    return schemathesis.Config.from_dict(settings)


APP = FreshPlatformApp()
schema = schemathesis.openapi.from_wsgi("/openapi.yaml", APP, config=_config())

CREDENTIALS_API = ["createCredential", "deleteCredential"]
PUBLIC = ["getOpenApiYaml", "getOpenApiJson", "getAnalyticsFile"]


def _provider(authorization: str) -> type:
    class FixedAuthorization:
        def get(self, case: Case, context: schemathesis.AuthContext) -> str:
            return authorization

        def set(self, case: Case, data: str, context: schemathesis.AuthContext) -> None:
            case.headers = {**(case.headers or {}), "Authorization": data}

    return FixedAuthorization


schema.auth(refresh_interval=None).apply_to(operation_id="issueToken")(_provider(f"Basic {BASIC}"))
schema.auth(refresh_interval=None).apply_to(operation_id=CREDENTIALS_API)(
    _provider(f"Bearer {ADMIN_TOKEN}")
)
schema.auth(refresh_interval=None).skip_for(operation_id=[*CREDENTIALS_API, *PUBLIC, "issueToken"])(
    _provider(f"Bearer {WORKBENCH_TOKEN}")
)


@schema.parametrize()
@hypothesis.settings(deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
def test_every_operation_conforms(case: Case) -> None:
    APP.reset()
    case.call_and_validate(checks=CHECKS)


class Workflow(schema.as_state_machine()):  # type: ignore[misc]
    """Chains operations over the links (subscribe -> get/patch/test/disable/enable/delete)."""

    def setup(self) -> None:
        APP.reset()

    def before_call(self, case: Case) -> None:
        # A chain starts from a drawn environment id, which is almost never ours: pin it so
        # that the links reach real subscriptions. Negative cases keep what they drew (the
        # drawn value may be the very thing that makes them invalid).
        if case.meta is not None and case.meta.generation.mode.is_negative:
            return
        if "environmentId" in (case.path_parameters or {}):
            case.path_parameters["environmentId"] = ENV
        if isinstance(case.body, dict) and "environmentId" in case.body:
            case.body["environmentId"] = ENV
        if "environmentId" in (case.query or {}):
            case.query["environmentId"] = ENV

    def validate_response(self, response: Any, case: Case, **kwargs: Any) -> None:
        case.validate_response(response, checks=STATEFUL_CHECKS)


TestStatefulWorkflows = Workflow.TestCase
TestStatefulWorkflows.settings = hypothesis.settings(
    max_examples=80,
    stateful_step_count=8,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)


def test_every_declared_operation_is_fuzzed() -> None:
    # A guard against fuzzing nothing. schemathesis leaves out the operation that serves the
    # schema it loaded (/openapi.yaml); the behaviour tests cover that one.
    declared = {
        operation["operationId"]
        for item in load_openapi()["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    fuzzed = {result.ok().definition.raw["operationId"] for result in schema.get_all_operations()}
    assert fuzzed == declared - {"getOpenApiYaml"}
    assert len(fuzzed) == 26


def _case(body: dict[str, Any], operation_id: str = "simSetSecret") -> Any:
    return SimpleNamespace(
        body=body,
        path_parameters={"subscriptionId": "sub-1"},
        query=None,
        operation=SimpleNamespace(
            label=f"operation {operation_id}",
            definition=SimpleNamespace(raw={"operationId": operation_id}),
        ),
    )


def _answer(status: int, message: str) -> Any:
    return SimpleNamespace(status_code=status, text=json.dumps({"error": {"message": message}}))


def test_the_secret_check_fails_an_error_that_quotes_a_secret() -> None:
    # The check must be able to fail: a planted echo of the sent secret is caught.
    body = {"secret": "hunter2-topsecret", "environmentId": "dev"}
    with pytest.raises(AssertionError, match="quoting a secret"):
        no_secret_in_error(None, _answer(400, "secret 'hunter2-topsecret' is invalid"), _case(body))
    leak = {"type": "basic", "username": "u", "password": "PW-x-long-enough"}
    with pytest.raises(AssertionError, match="quoting a secret"):
        no_secret_in_error(
            None,
            _answer(400, "password " + json.dumps("PW-x-long-enough")),
            _case(leak, "createWebhookCredential"),
        )


def test_the_secret_check_allows_a_value_also_sent_in_a_public_field() -> None:
    # The fuzzer may draw the same text for the secret and for the environment, which the
    # 404 names: that is the environment being quoted, not the secret leaking.
    body = {"secret": "API-ERRORS", "environmentId": "API-ERRORS"}
    answer = _answer(404, "environment 'API-ERRORS' does not exist")
    assert no_secret_in_error(None, answer, _case(body)) is None
