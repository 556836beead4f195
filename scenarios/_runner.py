"""Running scenarios: each on a fresh platform with a virtual clock, in the given order,
emitting runner events (`RunStarted`, `ScenarioStarted`, `ScenarioFinished`, `RunFinished`)
to its consumers. The runner prints nothing itself."""

from __future__ import annotations

import json
import os
import secrets
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from typing import Protocol

from hooksim.simulator import AttemptRecord, HooksimError

from ._backend import Session
from ._context import RunContext
from ._delivery_check import DeliveryWatch
from ._errors import NotApplicable, StepFailed
from ._expectations import check
from ._inprocess import InProcessSession
from ._model import Scenario
from ._profiles import resolve_profile
from ._real_receivers import Binding, ReceiverTarget
from ._requirements import needs_of
from ._results import (
    AttemptRow,
    ExpectationResult,
    RunFinished,
    RunnerEvent,
    RunStarted,
    ScenarioFinished,
    ScenarioResult,
    ScenarioStarted,
    Status,
    StatusChange,
)
from ._steps import run_step

__all__ = ["DEFAULT_SEED", "Consumer", "Runner", "run_scenario"]

#: The seed of a scenario that names none, when `--seed` is not given either.
DEFAULT_SEED = 0


class Consumer(Protocol):
    def handle(self, event: RunnerEvent) -> None: ...


def run_scenario(
    scenario: Scenario,
    *,
    seed: int | None = None,
    session: Session | None = None,
    receivers: Mapping[str, ReceiverTarget | Binding] | None = None,
    profile: str | None = None,
) -> ScenarioResult:
    """Run one scenario to its end; its own seed wins over `seed`, its own platform profile
    over `profile` (a bundled name or a file's path). Without a `session`, on hooksim's own
    platform in process. `receivers` binds declared receivers to the user's own (a URL or a
    WSGI app) instead of their scripted behaviour."""
    effective = (
        scenario.seed if scenario.seed is not None else (seed if seed is not None else DEFAULT_SEED)
    )
    if scenario.seed is None and seed is None and _has_real_receivers(scenario, receivers):
        # A real receiver remembers the events of earlier runs: the same seed would publish
        # the same ids, which it rightly takes for duplicates. A fresh seed each run (shown
        # in the results and the reproduce command) unless one is given.
        effective = secrets.randbelow(2**31)
    started = time.perf_counter()
    platform: Session = session if session is not None else InProcessSession()
    run_options = [*platform.options, *_receiver_options(scenario, receivers)]
    missing = platform.requirements_missing(needs_of(scenario))
    if missing is not None:
        wall = time.perf_counter() - started
        return _not_run(scenario, effective, missing, wall, run_options, profile=profile)
    try:
        chosen = resolve_profile(scenario.profile, profile)
        ctx = RunContext(scenario, effective, platform, receivers, chosen)
    except NotApplicable as exc:
        return _not_run(scenario, effective, exc.reason, time.perf_counter() - started, run_options)
    except (StepFailed, HooksimError) as exc:  # a real receiver's probe, a target's reset
        why = str(exc) if isinstance(exc, StepFailed) else exc.message
        wall = time.perf_counter() - started
        return _not_run(scenario, effective, why, wall, run_options, "error")
    error: str | None = None
    not_applicable: str | None = None
    try:
        # Every request the platform sends is judged against the contract too, by code
        # independent of the platform's (`_judge.py`): one more result per scenario.
        watch = DeliveryWatch(ctx)
        _setup(ctx)
        ctx.backend.after_step()
        for step in scenario.steps:
            run_step(ctx, step, check)
            ctx.backend.after_step()
            watch.after_step()
        for expectation in scenario.expectations:
            check(ctx, expectation)
        ctx.results.append(watch.verdict())
        ctx.results.extend(ctx.backend.extra_results())
    except NotApplicable as exc:
        not_applicable = exc.reason
    except StepFailed as exc:
        error = str(exc)
    except HooksimError as exc:
        error = exc.message
    except Exception as exc:  # a bug in hooksim: report it on the scenario, keep the run going
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{os.path.basename(frame.filename)}:{frame.lineno}"
        error = f"internal error in hooksim ({where}): {type(exc).__name__}: {exc}"
    try:
        rows = _attempt_rows(ctx)
    except (NotApplicable, StepFailed, HooksimError):
        rows = []
    finally:
        ctx.close()
    return ScenarioResult(
        name=scenario.name,
        file=scenario.file,
        description=scenario.description,
        clauses=list(scenario.clauses),
        seed=effective,
        settings=ctx.settings.to_dict(),
        status=_status(error, not_applicable, ctx.results),
        virtual_seconds=round(ctx.now(), 6),
        wall_seconds=time.perf_counter() - started,
        expectations=list(ctx.results),
        attempts=rows,
        status_changes=[
            StatusChange(
                round(entry.t, 6),
                ctx.subscription_names.get(entry.subscription_id, entry.subscription_id),
                entry.status,
                entry.reason,
            )
            for entry in ctx.history
        ],
        clock_advances=[(round(a, 6), round(b, 6)) for a, b in ctx.clock_advances],
        error=error,
        profile=ctx.profile.name,
        not_applicable=not_applicable,
        run_options=run_options,
    )


def _receiver_options(
    scenario: Scenario, receivers: Mapping[str, ReceiverTarget | Binding] | None
) -> list[str]:
    """`--receiver NAME=URL` and `--effects NAME=URL` for this scenario's receivers bound to
    the user's own by URL (one bound to a WSGI app has no command-line spelling)."""
    options: list[str] = []
    for name, bound in (receivers or {}).items():
        declared = scenario.receivers.get(name)
        if declared is None:
            continue
        binding = Binding.of(bound)
        if isinstance(binding.target, str) and binding.target != declared.url:
            options += ["--receiver", f"{name}={binding.target}"]
        if binding.effects_url and binding.effects_url != declared.effects_url:
            options += ["--effects", f"{name}={binding.effects_url}"]
    return options


def _has_real_receivers(
    scenario: Scenario, receivers: Mapping[str, ReceiverTarget | Binding] | None
) -> bool:
    bound = set(receivers or {}) & set(scenario.receivers)
    return bool(bound) or any(spec.url for spec in scenario.receivers.values())


def _status(
    error: str | None, not_applicable: str | None, results: list[ExpectationResult]
) -> Status:
    """A failure wins; then what could not be checked: a scenario passes only when every
    one of its expectations was checked and held."""
    if error is not None:
        return "error"
    if any(result.status == "failed" for result in results):
        return "failed"
    if not_applicable is not None or any(r.status == "not-applicable" for r in results):
        return "not-applicable"
    return "passed"


def _not_run(
    scenario: Scenario,
    seed: int,
    reason: str,
    wall: float,
    where: list[str],
    status: Status = "not-applicable",
    profile: str | None = None,
) -> ScenarioResult:
    return ScenarioResult(
        name=scenario.name,
        file=scenario.file,
        description=scenario.description,
        clauses=list(scenario.clauses),
        seed=seed,
        settings=dict(scenario.settings),
        status=status,
        virtual_seconds=0.0,
        wall_seconds=wall,
        not_applicable=reason if status == "not-applicable" else None,
        error=reason if status == "error" else None,
        profile=scenario.profile or profile or "atomic",
        run_options=where,
    )


def _setup(ctx: RunContext) -> None:
    """Create the declared subscriptions through the management API, in file order."""
    for spec in ctx.scenario.subscriptions:
        response = ctx.api.call("POST", "/v1/{env}/webhook", body=ctx.rewrite_urls(spec.body))
        if not 200 <= response.status < 300:
            raise StepFailed(f"{spec.span.label()}: subscription {spec.name}: {response.summary()}")
        ctx.register_subscription(spec.name, response.body["data"], spec.receiver)


def _attempt_rows(ctx: RunContext) -> list[AttemptRow]:
    records = ctx.backend.attempts(kinds=("delivery", "duplicate", "test"))
    return [_row(ctx, record) for record in records]


def _row(ctx: RunContext, record: AttemptRecord) -> AttemptRow:
    event_type = ctx.event_types.get(record.event_id)
    if event_type is None:  # a test delivery: its event was never published
        try:
            event_type = json.loads(record.body)["data"]["analyticsEvent"]
        except (ValueError, KeyError, TypeError):
            event_type = "unknown"
    sub = record.subscription_id
    return AttemptRow(
        t=round(record.started_at - ctx.start, 6),
        duration=round(record.duration, 6),
        event_id=record.event_id,
        event_type=str(event_type),
        subscription=ctx.subscription_names.get(sub, sub),
        receiver=ctx.subscription_receivers.get(sub),
        attempt=record.attempt,
        kind=record.kind,
        outcome=str(record.outcome),
        status_code=record.status_code,
    )


class Runner:
    """Runs scenarios in order and tells every consumer what happens."""

    def __init__(
        self,
        consumers: Iterable[Consumer] = (),
        *,
        session: Session | None = None,
        receivers: Mapping[str, ReceiverTarget | Binding] | None = None,
    ) -> None:
        self.consumers = list(consumers)
        #: Declared receivers bound to the user's own (by name), in every scenario.
        self.receivers = dict(receivers or {})
        #: The platform under test (None: hooksim's own, in process).
        default: Session = InProcessSession()
        self.session = session if session is not None else default

    def emit(self, event: RunnerEvent) -> None:
        for consumer in self.consumers:
            consumer.handle(event)

    def run(
        self,
        scenarios: Sequence[Scenario],
        *,
        seed: int | None = None,
        fail_fast: bool = False,
        profile: str | None = None,
    ) -> RunFinished:
        started = time.perf_counter()
        target = self.session.info
        self.emit(RunStarted(total=len(scenarios), seed=seed, version=_version(), target=target))
        results: list[ScenarioResult] = []
        for index, scenario in enumerate(scenarios):
            self.emit(ScenarioStarted(scenario.name, scenario.file, index))
            bound = {n: r for n, r in self.receivers.items() if n in scenario.receivers}
            result = run_scenario(
                scenario, seed=seed, session=self.session, receivers=bound, profile=profile
            )
            results.append(result)
            self.emit(ScenarioFinished(result, index))
            if fail_fast and result.status in ("failed", "error"):
                break
        finished = RunFinished(results, time.perf_counter() - started, target)
        self.emit(finished)
        return finished


def _version() -> str:
    try:
        return metadata.version("hooksim")
    except metadata.PackageNotFoundError:
        return "0+unknown"
