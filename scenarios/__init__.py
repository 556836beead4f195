"""The scenario language and its runner.

One YAML file is one scenario (receivers, subscriptions, steps over virtual time,
expectations); `load_scenario` checks it against the shipped JSON Schema (`schema()`),
`Runner` runs scenarios and emits runner events to consumers (`hooksim.reports`).
The format is documented in `scenarios/README.md`.
"""

from ._discovery import ScenarioFile, discover, keyword_filter, library_files, load_all
from ._durations import format_duration, format_offset, parse_duration
from ._errors import Problem, ScenarioError, ScenarioInputError, StepFailed
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
)
from ._runner import DEFAULT_SEED, Consumer, Runner, run_scenario
from ._validation import schema

__all__ = [
    "DEFAULT_SEED",
    "LIBRARY_PREFIX",
    "RECEIVER_BASE_URL",
    "AttemptRow",
    "Consumer",
    "DeliveryJudge",
    "Expectation",
    "ExpectationResult",
    "Phase",
    "Problem",
    "ReceiverSpec",
    "Received",
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
    "SourceSpan",
    "StatusChange",
    "Step",
    "StepFailed",
    "SubscriptionFacts",
    "SubscriptionSpec",
    "Verdict",
    "Violation",
    "TIME_TOLERANCE",
    "attempt_times",
    "discover",
    "facts_from_answer",
    "format_duration",
    "format_offset",
    "keyword_filter",
    "library_files",
    "load_all",
    "load_scenario",
    "load_text",
    "parse_duration",
    "receiver_for_url",
    "run_scenario",
    "same_times",
    "schema",
]
