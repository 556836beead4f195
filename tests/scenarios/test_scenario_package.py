"""The scenarios part's public names, its layer, and its schema's agreement with the platform."""

from __future__ import annotations

import re
from pathlib import Path

import hooksim.scenarios
from hooksim.scenarios import schema
from hooksim.simulator import EVENT_TYPES, Outcome, Settings

PUBLIC = [
    "AttemptRow",
    "Backend",
    "Binding",
    "Consumer",
    "DEFAULT_PROFILE",
    "DEFAULT_SEED",
    "DeliveryJudge",
    "EFFECTS_PROBE_CAP",
    "EXTRAS",
    "EffectsProbeFailure",
    "Expectation",
    "ExpectationResult",
    "Extra",
    "InProcessSession",
    "LIBRARY_PREFIX",
    "MissingExtra",
    "NotApplicable",
    "Phase",
    "Problem",
    "RECEIVER_BASE_URL",
    "RealReceiver",
    "Received",
    "ReceiverSpec",
    "Response",
    "RunFinished",
    "RunStarted",
    "Runner",
    "RunnerEvent",
    "Scenario",
    "ScenarioError",
    "ScenarioFile",
    "ScenarioFinished",
    "ScenarioInputError",
    "ScenarioLimits",
    "ScenarioReceiver",
    "ScenarioResult",
    "ScenarioStarted",
    "SeenRequest",
    "Session",
    "SourceSpan",
    "StatusChange",
    "Step",
    "StepFailed",
    "SubscriptionFacts",
    "SubscriptionSpec",
    "TIME_TOLERANCE",
    "TargetError",
    "TargetInfo",
    "TargetSession",
    "Verdict",
    "Violation",
    "attempt_times",
    "connect_error",
    "did_you_mean",
    "discover",
    "facts_from_answer",
    "fetch_effects",
    "format_duration",
    "format_offset",
    "keyword_filter",
    "library_files",
    "load_all",
    "load_profile",
    "load_scenario",
    "load_text",
    "missing_extras",
    "parse_duration",
    "parse_effects",
    "profile_names",
    "profile_verifier",
    "receiver_for_url",
    "resolve_profile",
    "run_scenario",
    "same_times",
    "schema",
    "validate_url",
]


def test_public_names_are_pinned() -> None:
    assert sorted(hooksim.scenarios.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(hooksim.scenarios, name, None) is not None, name


def test_scenarios_import_nothing_above_them() -> None:
    folder = Path(hooksim.scenarios.__file__).parent
    above = re.compile(r"^\s*(from|import)\s+hooksim\.(reports|cli|_cli)", re.M)
    assert [p.name for p in sorted(folder.glob("*.py")) if above.search(p.read_text())] == []


def test_the_schema_knows_the_platforms_event_types_outcomes_and_settings() -> None:
    definitions = schema()["$defs"]
    assert definitions["eventType"]["enum"] == list(EVENT_TYPES)
    outcomes = definitions["expectation"]["properties"]["attempts"]["properties"]["outcomes"]
    written_out = outcomes["anyOf"][0]  # (the other: a list matcher)
    assert written_out["items"]["enum"] == [str(o) for o in Outcome]
    assert set(definitions["settings"]["properties"]) == set(Settings.__dataclass_fields__)
