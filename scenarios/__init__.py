"""The scenario language and its runner.

One YAML file is one scenario (receivers, subscriptions, steps over virtual time,
expectations); `load_scenario` checks it against the shipped JSON Schema (`schema()`),
`Runner` runs scenarios and emits runner events to consumers (`hooksim.reports`).
The format is documented in `scenarios/README.md`.
"""

from hooksim.simulator import format_duration, format_offset, parse_duration

from ._backend import Backend, Session
from ._discovery import ScenarioFile, discover, keyword_filter, library_files, load_all
from ._effects import (
    EFFECTS_PROBE_CAP,
    EffectsProbeFailure,
    connect_error,
    fetch_effects,
    parse_effects,
    validate_url,
)
from ._errors import NotApplicable, Problem, ScenarioError, ScenarioInputError, StepFailed
from ._extras import EXTRAS, Extra, MissingExtra, missing_extras
from ._inprocess import InProcessSession
from ._judge import (
    DeliveryJudge,
    SeenRequest,
    SubscriptionFacts,
    Verdict,
    Violation,
    facts_from_answer,
    receiver_for_url,
)
from ._loader import RECEIVER_BASE_URL, ScenarioLimits, load_scenario, load_text
from ._matching import TIME_TOLERANCE, attempt_times, same_times
from ._model import Expectation, Phase, ReceiverSpec, Response, Scenario, Step, SubscriptionSpec
from ._profile_receivers import verifier as profile_verifier
from ._profiles import DEFAULT_PROFILE, load_profile, profile_names, resolve_profile
from ._real_receivers import Binding, RealReceiver
from ._receivers import Received, ScenarioReceiver
from ._results import (
    LIBRARY_PREFIX,
    AttemptRow,
    ExpectationResult,
    RunFinished,
    RunnerEvent,
    RunStarted,
    ScenarioFinished,
    ScenarioResult,
    ScenarioStarted,
    SourceSpan,
    StatusChange,
    TargetInfo,
)
from ._runner import DEFAULT_SEED, Consumer, Runner, run_scenario
from ._target import TargetError, TargetSession
from ._validation import did_you_mean, schema

__all__ = [
    "DEFAULT_PROFILE",
    "DEFAULT_SEED",
    "EFFECTS_PROBE_CAP",
    "EXTRAS",
    "LIBRARY_PREFIX",
    "RECEIVER_BASE_URL",
    "TIME_TOLERANCE",
    "AttemptRow",
    "Backend",
    "Binding",
    "Consumer",
    "DeliveryJudge",
    "EffectsProbeFailure",
    "Expectation",
    "ExpectationResult",
    "InProcessSession",
    "NotApplicable",
    "Extra",
    "MissingExtra",
    "Phase",
    "Problem",
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
