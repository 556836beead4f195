"""Synthetic scenario results for report tests: built with the dataclasses, no runner needed.

Shared with tests/browser (its conftest puts this folder on sys.path).
"""

from __future__ import annotations

import random

from hooksim.scenarios import (
    AttemptRow,
    ExpectationResult,
    ScenarioResult,
    SourceSpan,
    StatusChange,
)

SCHEDULE = [0, 10, 30, 70, 150, 310, 630, 1270, 2550, 5110, 10230]  # the default retries


def _attempt(t: float, n: int, outcome: str, code: int | None, **overrides: object) -> AttemptRow:
    values: dict[str, object] = {
        "t": float(t),
        "duration": 0.05 if outcome != "timeout" else 10.0,
        "event_id": "evt-0001",
        "event_type": "card-published",
        "subscription": "orders-hook",
        "receiver": "orders",
        "attempt": n,
        "kind": "delivery",
        "outcome": outcome,
        "status_code": code,
    }
    values.update(overrides)
    return AttemptRow(**values)  # type: ignore[arg-type]


def passing() -> ScenarioResult:
    """Receiver down for 45 minutes, then the 10th attempt gets through."""
    attempts = [_attempt(t, n, "http-error", 503) for n, t in enumerate(SCHEDULE[:9], 1)]
    attempts.append(_attempt(5110, 10, "success", 200))
    return ScenarioResult(
        name="Outage then recovery",
        file="library/outage-then-recovery.yaml",
        description="The receiver answers 503 for 45 minutes, then 200.\nThe event arrives once.",
        clauses=["RETRY-SCHEDULE", "DELIVERY-SUCCESS-2XX"],
        seed=7,
        settings={"retry_base": 10.0, "retry_window": 14400.0, "disable_threshold": 23},
        status="passed",
        virtual_seconds=4 * 3600.0,
        wall_seconds=0.0123,
        expectations=[
            ExpectationResult("event evt-0001 delivered once", True, 1, 1, 14400.0),
            ExpectationResult("10 attempts at the default schedule", True, 10, 10, 14400.0),
        ],
        attempts=attempts,
        clock_advances=[(0.0, 2700.0), (2700.0, 14400.0)],
    )


def exhausted() -> ScenarioResult:
    """11 failed attempts over about 3 hours, then the delivery gives up."""
    outcomes = [("timeout", None), ("http-error", 500), ("refused", None), ("reset", None)]
    attempts = [_attempt(t, n, *outcomes[n % 4]) for n, t in enumerate(SCHEDULE, 1)]
    return ScenarioResult(
        name="Exhaustion after 4 hours",
        file="library/exhaustion.yaml",
        description="A receiver that never answers: 11 attempts, then the event is undelivered.",
        clauses=["RETRY-WINDOW"],
        seed=7,
        settings={"retry_window": 14400.0},
        status="passed",
        virtual_seconds=4 * 3600.0 + 600,
        wall_seconds=0.0081,
        expectations=[ExpectationResult("11 attempts", True, 11, 11, 15000.0)],
        attempts=attempts,
        clock_advances=[(0.0, 15000.0)],
    )


def failing() -> ScenarioResult:
    """A wrong expectation, with the YAML lines it was written on."""
    attempts = [
        _attempt(i * 60.0, 1, "http-error", 500, event_id=f"evt-{i:04d}") for i in range(23)
    ]
    span = SourceSpan(
        file="scenarios/my disable.yaml",
        line=31,
        end_line=34,
        text=(
            "  - at: 30m\n"
            "    subscription: orders-hook\n"
            "    status: active  # <script>alert(1)</script>\n"
            "    reason: null"
        ),
    )
    return ScenarioResult(
        name="The 23rd failure disables <b>not bold</b>",
        file="scenarios/my disable.yaml",
        description="Twenty-three failures in a row, across several events, disable the hook.",
        clauses=["DISABLE-THRESHOLD", "NOT-A-CLAUSE"],
        seed=42,
        settings={"disable_threshold": 23, "retry_window": None},
        status="failed",
        virtual_seconds=1800.0,
        wall_seconds=0.0044,
        expectations=[
            ExpectationResult("22 failures do not disable", True, "active", "active", 1260.0),
            ExpectationResult(
                "subscription orders-hook is active at 30m",
                False,
                {"status": "active", "reason": None},
                {"status": "disabled", "reason": "auto"},
                1800.0,
                source=span,
                message="orders-hook was disabled at +0:22:00 (23 consecutive failures).",
            ),
        ],
        attempts=attempts,
        status_changes=[StatusChange(1320.0, "orders-hook", "disabled", "auto")],
        clock_advances=[(0.0, 1800.0)],
    )


def error() -> ScenarioResult:
    return ScenarioResult(
        name="Receiver that does not exist",
        file="scenarios/broken.yaml",
        description="",
        clauses=[],
        seed=1,
        settings={},
        status="error",
        virtual_seconds=0.0,
        wall_seconds=0.0007,
        error="step 2 names receiver 'flaky', which is not defined",
    )


def burst(count: int = 5000) -> ScenarioResult:
    """Thousands of events within two minutes, to three subscriptions, a few failing."""
    rng = random.Random(3)
    attempts = []
    for i in range(count):
        roll = rng.random()
        outcome, code = ("success", 200) if roll > 0.04 else ("timeout", None)
        if 0.02 < roll < 0.03:
            outcome, code = "http-error", 429
        attempts.append(
            _attempt(
                round(i * 120 / count, 3),
                1,
                outcome,
                code,
                event_id=f"evt-{i:05d}",
                subscription=("alpha", "beta", "gamma")[i % 3],
                kind="duplicate" if i % 97 == 0 else "delivery",
            )
        )
    return ScenarioResult(
        name="A burst of thousands of events",
        file="library/burst.yaml",
        description=f"{count} events published in two minutes.",
        clauses=["DELIVERY-SUCCESS-2XX"],
        seed=7,
        settings={},
        status="passed",
        virtual_seconds=180.0,
        wall_seconds=1.234,
        expectations=[ExpectationResult("all delivered", True, count, count, 180.0)],
        attempts=attempts,
        clock_advances=[(i * 1.0, i + 1.0) for i in range(180)],
    )


def many_subscriptions() -> ScenarioResult:
    attempts = [
        _attempt(i * 3.0, 1, "success", 200, subscription=f"hook-{i:03d}") for i in range(30)
    ]
    changes = [StatusChange(100.0, f"hook-{i:03d}", "deleted", "api") for i in range(0, 30, 5)]
    return ScenarioResult(
        name="Thirty subscriptions",
        file="library/thirty.yaml",
        description="",
        clauses=[],
        seed=7,
        settings={},
        status="passed",
        virtual_seconds=120.0,
        wall_seconds=0.02,
        attempts=attempts,
        status_changes=changes,
    )


def sample_results() -> list[ScenarioResult]:
    return [passing(), exhausted(), failing(), error(), burst(), many_subscriptions()]
