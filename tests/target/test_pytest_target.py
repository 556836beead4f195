"""`--hooksim-target URL` in pytest: a project's YAML scenario items run against another
implementation, as `hooksim run --target` runs them; not-applicable items are skipped with
their reason (`--hooksim-strict`: failed); the option refuses -n and bad credentials."""

from __future__ import annotations

import json
import shlex
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
        "--hooksim-target",
        served.base_url,
        "--hooksim-client-id",
        CLIENT[0],
        "--hooksim-report",
        "out",
        "-v",
    )
    result.assert_outcomes(passed=1)
    report = json.loads((project.path / "out" / "results.json").read_text())
    assert report["target"]["url"] == served.base_url  # the report names what it judged
    result.stdout.fnmatch_lines([f"hooksim: *target {served.base_url}"])
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


OWN_RECEIVER = """\
name: Our app gets the completed cards
receivers:
  shop: {}
subscriptions:
  orders: {receiver: shop, types: [card-completed]}
steps:
  - publish: {type: card-completed, count: 2, as: done}
  - inject_duplicate: done
expect:
  - receiver: {name: shop, received: 4, processed: 2, processed_once: true}
"""

CONFTEST = """
import hashlib, hmac, json
from collections import Counter

from hooksim.scenarios import Binding

SECRET = "the-apps-own-secret"
effects = Counter()


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/effects":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"effects": dict(effects)}).encode()]
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    if environ.get("HTTP_X_ATOMIC_SIGNATURE") != expected:
        start_response("401 Unauthorized", [])
        return [b""]
    data_id = json.loads(body)["data"]["id"]
    if data_id not in effects:
        effects[data_id] += 1
    start_response("204 No Content", [])
    return [b""]


def pytest_hooksim_receivers(config):
    return {"shop": Binding(app, effects_url="/effects", secret=SECRET)}
"""


def test_a_conftest_binds_a_scenario_receiver_to_the_projects_own_app(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".yaml", scenario_own=OWN_RECEIVER)
    pytester.makeconftest(CONFTEST)
    result = pytester.runpytest("-v")
    result.assert_outcomes(passed=1)
    # The same app without its dedupe fails the scenario, with the YAML line.
    pytester.makeconftest(CONFTEST.replace("if data_id not in effects:", "if True:"))
    careless = pytester.runpytest()
    careless.assert_outcomes(failed=1)
    careless.stdout.fnmatch_lines(["*processed_once: expected True, got False*"])
    # The app exists only in the test suite, so the failure reproduces under pytest, not with
    # `hooksim run` (which would play the scenario's scripted receiver instead, and pass).
    careless.stdout.fnmatch_lines(
        ["Reproduce: pytest 'scenario_own.yaml::*' --hooksim-seed *"]
    )
    # On a CI machine (CI set) pytest repeats the whole failure text in its short summary, so the
    # same command may be printed twice: it must be one command, however often it is shown.
    (line,) = {x for x in careless.outlines if x.startswith("Reproduce: ")}
    again = pytester.runpytest(*shlex.split(line.removeprefix("Reproduce: pytest ")))
    again.assert_outcomes(failed=1)
