"""A failing property leaves a YAML scenario behind that fails the same way.

Each case injects one bug into a copy of the platform, lets the model test find and shrink
it, then loads the scenario it wrote with the scenario loader and runs it with the scenario
runner: against the buggy platform the expectation the model wrote fails, against the real
platform the same file passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hooksim.simulator._reset as fresh_platforms
import hooksim.simulator._rules as rules
import pytest
from hooksim.scenarios import ScenarioResult, load_scenario, run_scenario
from hooksim.simulator import Platform, Settings
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from hooksim._model import Fault, FaultSchedule, PlatformMachine, Violation
from hooksim._model._harness import receiver_url
from hooksim._model._machine import TYPES

FIND = settings(
    max_examples=200,
    stateful_step_count=4,
    deadline=None,
    database=None,
    derandomize=True,
    report_multiple_bugs=False,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.generate, Phase.shrink],  # no explain phase: it replays under a tracer
)


class NarrowMachine(PlatformMachine):
    """The model test on a small search space: a bug is found and shrunk in seconds."""

    def settings_strategy(self) -> st.SearchStrategy[Settings]:
        return st.just(
            Settings(retry_base=1.0, retry_window=30.0, disable_threshold=3, timeout=1.0)
        )

    def schedule_strategy(self, timeout: float) -> st.SearchStrategy[FaultSchedule]:
        return st.sampled_from([FaultSchedule((Fault(status=503),)), FaultSchedule()])

    def subscription_strategy(self, receiver: str) -> st.SearchStrategy[dict[str, Any]]:
        return st.just({"types": list(TYPES), "url": receiver_url(receiver)})

    # Plain methods in place of these rules take them out of the search: left are publish,
    # advance, settle, and manage (disable, enable, delete, test).
    def subscribe(self) -> None: ...

    def update(self) -> None: ...

    def inject_duplicate(self) -> None: ...

    def set_behaviour(self) -> None: ...


class FailedTestsCount(Platform):
    """A failed test delivery adds to the consecutive failure count (API-TEST says never)."""

    def test_subscription(self, env_id: str, sub_id: str) -> Any:
        record = super().test_subscription(env_id, sub_id)
        if not record.succeeded:
            self.store.subscription(env_id, sub_id).consecutive_failures += 1
        return record


def _disable_one_failure_early(monkeypatch: pytest.MonkeyPatch) -> None:
    """Off by one: the (threshold - 1)th consecutive failure already disables."""

    def early(subscription: Any, failures: int, settings: Settings) -> bool:
        return bool(subscription.disable_after_failures) and (
            failures >= settings.disable_threshold - 1
        )

    monkeypatch.setattr(rules, "disables", early)


def _first_retry_one_second_late(monkeypatch: pytest.MonkeyPatch) -> None:
    schedule = rules.next_retry_at

    def late(settings: Settings, **known: Any) -> float | None:
        when = schedule(settings, **known)
        return when + 1 if when is not None and known["attempts_made"] == 1 else when

    monkeypatch.setattr(rules, "next_retry_at", late)


@dataclass(frozen=True)
class Bug:
    name: str
    platform: type[Platform]
    invariant: str
    expectation: str  # what the failing scenario expectation is about
    install: Callable[[pytest.MonkeyPatch], None] = lambda monkeypatch: None


BUGS = [
    Bug(
        "early-disable",
        Platform,
        "disable-at-threshold",
        "subscription s",
        _disable_one_failure_early,
    ),
    Bug(
        "late-retry",
        Platform,
        "retry-schedule",
        "attempts of event e",
        _first_retry_one_second_late,
    ),
    Bug("tests-count", FailedTestsCount, "disable-at-threshold", "consecutive_failures"),
]


def _run(path: Path, platform: type[Platform], monkeypatch: pytest.MonkeyPatch) -> ScenarioResult:
    scenario = load_scenario(path, path.name)
    with monkeypatch.context() as patch:
        patch.setattr(fresh_platforms, "Platform", platform)
        return run_scenario(scenario)


@pytest.mark.parametrize("bug", BUGS, ids=[bug.name for bug in BUGS])
def test_a_failing_property_is_written_as_a_scenario_that_fails_the_same_way(
    bug: Bug, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOKSIM_FAILURES_DIR", str(tmp_path))
    machine = type(
        "Machine", (NarrowMachine,), {"platform_factory": bug.platform, "title": bug.name}
    )
    with monkeypatch.context() as patch:
        bug.install(patch)
        with pytest.raises(Violation) as caught:
            run_state_machine_as_test(machine, settings=FIND)
        assert caught.value.invariant == bug.invariant
        path = tmp_path / f"{bug.name}.yaml"
        buggy = _run(path, bug.platform, monkeypatch)

    assert buggy.status == "failed", buggy.error
    failed = [e for e in buggy.expectations if not e.passed]
    assert failed and bug.expectation in failed[0].description + (failed[0].message or "")
    real = _run(path, Platform, monkeypatch)
    assert real.status == "passed", [(e.description, e.message) for e in real.expectations]


def test_the_scenario_of_an_unexpected_error_reproduces_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not only invariants: an exception out of the platform is written as a scenario too."""

    class Crashes(Platform):
        def publish(self, env_id: str, event_type: str, **options: Any) -> Any:
            raise RuntimeError("publishing is broken")

    monkeypatch.setenv("HOOKSIM_FAILURES_DIR", str(tmp_path))
    machine = type("Machine", (NarrowMachine,), {"platform_factory": Crashes, "title": "crash"})
    with pytest.raises(Violation, match="publish answered 500"):
        run_state_machine_as_test(machine, settings=FIND)
    buggy = _run(tmp_path / "crash.yaml", Crashes, monkeypatch)
    assert buggy.status != "passed"
