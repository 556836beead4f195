"""What a scenario needs from the platform under test, read from the file before it runs:
the management API operations its steps call, the optional control features (`control.yaml`)
its receivers and steps rely on, and the settings it changes. A target that lacks any of them
gets the scenario reported not-applicable, with the reason, instead of a false failure."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from hooksim.contracts import load_openapi

from ._extras import Extra, extras_needed
from ._model import Scenario
from ._results import SourceSpan

__all__ = ["Needs", "needs_of", "operation_of"]

#: The operation each step calls (the `api` step's comes from its method and path).
_STEP_OPERATIONS = {
    "subscribe": "createWebhook",
    "update": "updateWebhook",
    "disable": "deleteWebhook",
    "enable": "enableWebhook",
    "delete": "deleteWebhook",
    "test": "testWebhook",
    "get": "getWebhook",
    "list": "listWebhooks",
    "fetch_analytics": "getBatchedAnalytics",
    "credential": "createCredential",
    "token": "issueToken",
}
_STEP_FEATURES = {
    "inject_duplicate": ("duplicates", "it injects duplicates (inject_duplicate)"),
    "delete": ("permanent-delete", "it deletes a subscription for good (delete)"),
}
#: Settings whose outcomes are draws from hooksim's seeded random source.
_RANDOM_SETTINGS = ("jitter", "duplicate_probability")


@dataclass(slots=True)
class Needs:
    operations: dict[str, str] = field(default_factory=dict)  # operationId -> why
    features: dict[str, str] = field(default_factory=dict)  # feature -> why
    settings: dict[str, str] = field(default_factory=dict)  # setting name -> why
    #: Optional extras of the hooksim package its own platform needs for it (in process).
    extras: list[tuple[Extra, str, SourceSpan]] = field(default_factory=list)


def needs_of(scenario: Scenario) -> Needs:
    needs = Needs(extras=extras_needed(scenario))
    if scenario.subscriptions:
        needs.operations["createWebhook"] = "it declares subscriptions"
    for name in scenario.settings:
        needs.settings[name] = f"it sets {name}"
    for name in _RANDOM_SETTINGS:
        if scenario.settings.get(name):
            needs.features["seeded-randomness"] = (
                f"its expected values follow hooksim's seeded draws ({name})"
            )
    for receiver in scenario.receivers.values():
        for phase in receiver.phases:
            if phase.response.hang or phase.response.latency > 0:
                needs.features["simulated-latency"] = (
                    f"receiver {receiver.name} answers late or never (latency, hang)"
                )
    for step in scenario.steps:
        if step.kind == "set_behaviour":
            for phase in step.args["phases"]:
                if phase.response.hang or phase.response.latency > 0:
                    needs.features["simulated-latency"] = "a behaviour answers late or never"
        if step.kind in _STEP_OPERATIONS:
            needs.operations.setdefault(_STEP_OPERATIONS[step.kind], f"its {step.kind} steps")
        if step.kind in _STEP_FEATURES:
            feature, why = _STEP_FEATURES[step.kind]
            needs.features.setdefault(feature, why)
        if step.kind == "advance" and step.args.get("idle"):
            needs.features.setdefault("advance-idle", "it advances until idle (advance: idle)")
        if step.kind == "api":
            operation = operation_of(step.args["method"], step.args["path"])
            if operation is not None:
                needs.operations.setdefault(
                    operation, f"its api step {step.args['method']} {step.args['path']}"
                )
    return needs


def operation_of(method: str, path: str) -> str | None:
    """The operationId a request goes to (placeholders such as `{env}` match any segment),
    or None when no declared operation has that method and path."""
    segments = path.split("?", 1)[0].strip("/").split("/")
    for template, operations in _routes():
        if len(template) == len(segments) and all(
            part is None or part == given or given.startswith("{")
            for part, given in zip(template, segments, strict=True)
        ):
            return operations.get(method.upper())
    return None


@functools.cache
def _routes() -> list[tuple[tuple[str | None, ...], dict[str, str]]]:
    routes = []
    for template, item in load_openapi()["paths"].items():
        parts = tuple(
            None if part.startswith("{") else part for part in template.strip("/").split("/")
        )
        methods = {
            method.upper(): operation["operationId"]
            for method, operation in item.items()
            if isinstance(operation, dict) and "operationId" in operation
        }
        routes.append((parts, methods))
    # A literal segment wins over a parameter where two templates could both match.
    routes.sort(key=lambda route: [part is None for part in route[0]])
    return routes
