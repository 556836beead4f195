"""Running scenarios: each on a fresh platform with a virtual clock, in the given order,
emitting runner events (`RunStarted`, `ScenarioStarted`, `ScenarioFinished`, `RunFinished`)
to its consumers. The runner prints nothing itself."""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import Iterable, Sequence
from importlib import metadata
from typing import Protocol

from hooksim.simulator import AttemptRecord, HooksimError

from ._context import RunContext
from ._delivery_check import DeliveryWatch
from ._errors import StepFailed
from ._expectations import check
from ._model import Scenario
from ._profiles import resolve_profile
from ._results import (
    AttemptRow,
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
    scenario: Scenario, *, seed: int | None = None, profile: str | None = None
) -> ScenarioResult:
    """Run one scenario to its end; its own seed wins over `seed`, its own platform profile
    over `profile` (a bundled name or a file's path)."""
    effective = (
        scenario.seed if scenario.seed is not None else (seed if seed is not None else DEFAULT_SEED)
    )
    started = time.perf_counter()
    ctx = RunContext(scenario, effective, resolve_profile(scenario.profile, profile))
    error: str | None = None
    try:
        # Every request the platform sends is judged against the contract too, by code
        # independent of the platform's (`_judge.py`): one more result per scenario.
        watch = DeliveryWatch(ctx)
        _setup(ctx)
        for step in scenario.steps:
            run_step(ctx, step, check)
            watch.after_step()
        for expectation in scenario.expectations:
            check(ctx, expectation)
        ctx.results.append(watch.verdict())
    except StepFailed as exc:
        error = str(exc)
    except HooksimError as exc:
        error = exc.message
    except Exception as exc:  # a bug in hooksim: report it on the scenario, keep the run going
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{os.path.basename(frame.filename)}:{frame.lineno}"
        error = f"internal error in hooksim ({where}): {type(exc).__name__}: {exc}"
    status: Status
    if error is not None:
        status = "error"
    elif all(result.passed for result in ctx.results):
        status = "passed"
    else:
        status = "failed"
    return ScenarioResult(
        name=scenario.name,
        file=scenario.file,
        description=scenario.description,
        clauses=list(scenario.clauses),
        seed=effective,
        settings=ctx.settings.to_dict(),
        status=status,
        virtual_seconds=round(ctx.now(), 6),
        wall_seconds=time.perf_counter() - started,
        expectations=list(ctx.results),
        attempts=_attempt_rows(ctx),
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
    )


def _setup(ctx: RunContext) -> None:
    """Create the declared subscriptions through the management API, in file order."""
    for spec in ctx.scenario.subscriptions:
        response = ctx.api.call("POST", "/v1/{env}/webhook", body=spec.body)
        if not 200 <= response.status < 300:
            raise StepFailed(f"{spec.span.label()}: subscription {spec.name}: {response.summary()}")
        ctx.register_subscription(spec.name, response.body["data"], spec.receiver)


def _attempt_rows(ctx: RunContext) -> list[AttemptRow]:
    records = ctx.platform.attempts(ctx.environment_id, kinds=("delivery", "duplicate", "test"))
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

    def __init__(self, consumers: Iterable[Consumer] = ()) -> None:
        self.consumers = list(consumers)

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
        self.emit(RunStarted(total=len(scenarios), seed=seed, version=_version()))
        results: list[ScenarioResult] = []
        for index, scenario in enumerate(scenarios):
            self.emit(ScenarioStarted(scenario.name, scenario.file, index))
            result = run_scenario(scenario, seed=seed, profile=profile)
            results.append(result)
            self.emit(ScenarioFinished(result, index))
            if fail_fast and not result.passed:
                break
        finished = RunFinished(results, time.perf_counter() - started)
        self.emit(finished)
        return finished


def _version() -> str:
    try:
        return metadata.version("hooksim")
    except metadata.PackageNotFoundError:
        return "0+unknown"
