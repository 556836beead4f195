"""`--hooksim-target URL` in pytest: a project's YAML scenario items run against another
implementation, as `hooksim run --target` runs them; not-applicable items are skipped with
their reason (`--hooksim-strict`: failed); the option refuses -n and bad credentials."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hooksim.simulator import ServedPlatform, ServeOptions

pytestmark = [pytest.mark.served, pytest.mark.clause("SIM-RESET")]

CLIENT = ("pytest-target", "pytest-target-secret")

RETRIES = """\
name: Retries until delivered
receivers:
  shop:
    behaviour:
      - {requests: 1-2, status: 500}
      - 200
subscriptions:
  orders: {receiver: shop, types: [card-published]}
steps:
  - publish: {type: card-published, id: evt-1}
  - advance: 1m
expect:
  - attempts: {event: evt-1, at: [0, 10s, 30s]}
  - delivered: {events: [evt-1]}
"""
SLOW = """\
name: Slow answers
receivers:
  shop: {behaviour: {latency: 2s}}
subscriptions:
  orders: {receiver: shop, types: [card-published]}
steps:
  - publish: {type: card-published, id: evt-1}
  - advance: 1m
expect:
  - attempts: {event: evt-1, count: 1, outcomes: [success]}
"""


@pytest.fixture
def served() -> Iterator[ServedPlatform]:
    platform = ServedPlatform(
        ServeOptions(port=0, clock="virtual", client_id=CLIENT[0], client_secret=CLIENT[1])
    ).start()
    yield platform
    platform.stop()


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makefile(".yaml", scenario_retries=RETRIES)
    monkeypatch.setenv("HOOKSIM_CLIENT_SECRET", CLIENT[1])
    return pytester


def test_scenario_items_run_against_the_target(
    project: pytest.Pytester, served: ServedPlatform
) -> None:
    result = project.runpytest(
        "--hooksim-target", served.base_url, "--hooksim-client-id", CLIENT[0], "-v"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"hooksim: target {served.base_url}"])
    # The target really ran it: its delivery log holds the three attempts.
    attempts = served.platform.attempts(served.environment_id)
    assert [a.attempt for a in attempts] == [1, 2, 3]


def test_a_not_applicable_item_is_skipped_with_its_reason_or_fails_when_strict(
    project: pytest.Pytester, served: ServedPlatform
) -> None:
    project.makefile(".yaml", scenario_slow=SLOW)
    served.control.simulated_latency = False  # a test build that cannot simulate latency
    args = ("--hooksim-target", served.base_url, "--hooksim-client-id", CLIENT[0], "-rs")
    result = project.runpytest(*args)
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*not applicable: *'simulated-latency'*latency*"])
    strict = project.runpytest(*args, "--hooksim-strict")
    strict.assert_outcomes(passed=1, failed=1)


def test_target_mode_refuses_parallel_workers_and_bad_credentials(
    project: pytest.Pytester, served: ServedPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    parallel = project.runpytest(
        "--hooksim-target", served.base_url, "--hooksim-client-id", CLIENT[0], "-n", "2"
    )
    assert parallel.ret == pytest.ExitCode.USAGE_ERROR
    parallel.stderr.fnmatch_lines(["*one at a time*without -n*"])
    monkeypatch.setenv("HOOKSIM_CLIENT_SECRET", "wrong-secret-value")
    wrong = project.runpytest("--hooksim-target", served.base_url, "--hooksim-client-id", "nope")
    assert wrong.ret == pytest.ExitCode.USAGE_ERROR
    wrong.stderr.fnmatch_lines(["*check --client-id and --client-secret*"])
    assert "wrong-secret-value" not in wrong.stderr.str() + wrong.stdout.str()
