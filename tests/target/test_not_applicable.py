"""Nothing passes by default: a scenario, or one expectation, that needs what a target does
not offer is not-applicable with the reason, in every report, and never counts as passed;
`--strict` makes it a failure. The target here is `hooksim serve` (in a thread) behind a
proxy whose `GET /_sim` withholds features, operations or settings, as a platform whose test
build offers less would."""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hooksim.scenarios import Runner, TargetSession, load_text
from hooksim.simulator import ServedPlatform, ServeOptions

from hooksim.cli import main

pytestmark = [pytest.mark.served, pytest.mark.clause("SIM-CAPABILITIES")]

CLIENT = ("na-tests", "na-tests-secret-value")


class Withholding:
    """A WSGI middleware that removes names from the capabilities the target announces."""

    def __init__(self, app: Callable[..., Any], withheld: Iterable[str]) -> None:
        self.app = app
        self.withheld = set(withheld)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") != "/_sim":
            return self.app(environ, start_response)
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers]
            return lambda data: None

        body = json.loads(b"".join(self.app(environ, capture)))
        if "data" in body:
            for key in ("features", "operations", "settings"):
                body["data"][key] = [n for n in body["data"][key] if n not in self.withheld]
        data = json.dumps(body).encode()
        headers = [(k, v) for k, v in captured[1] if k.lower() != "content-length"]
        start_response(captured[0], [*headers, ("Content-Length", str(len(data)))])
        return [data]


@pytest.fixture
def target() -> Iterator[Callable[..., ServedPlatform]]:
    started: list[ServedPlatform] = []

    def start(withheld: Iterable[str] = ()) -> ServedPlatform:
        names = list(withheld)

        def factory(platform: Any) -> Any:
            from hooksim.simulator import make_app

            return Withholding(make_app(platform), names)

        served = ServedPlatform(
            ServeOptions(port=0, clock="virtual", client_id=CLIENT[0], client_secret=CLIENT[1]),
            app_factory=factory,
        )
        # The proxy forwards the control hooks to the app it wraps.
        served.app.app.control = served.control  # type: ignore[attr-defined]
        started.append(served.start())
        return served

    yield start
    for served in started:
        served.stop()


def scenario(text: str) -> Any:
    return load_text(textwrap.dedent(text), "inline.yaml")


DUPLICATES = scenario(
    """
    name: Duplicates on purpose
    receivers: {rx: {dedupe: true}}
    subscriptions: {main: {receiver: rx, types: [card-completed]}}
    steps:
      - publish: {type: card-completed, id: one}
      - inject_duplicate: one
    expect:
      - receiver: {name: rx, received: 2, processed: 1}
    """
)
UNDELIVERED = scenario(
    """
    name: Refused, then given up
    receivers: {rx: {behaviour: refuse}}
    subscriptions: {main: {receiver: rx, types: [card-completed], maxRetries: 1}}
    steps:
      - publish: {type: card-completed, id: one}
      - advance: 1m
    expect:
      - attempts: {event: one, count: 2, outcomes: [refused, refused]}
      - undelivered: {events: [one], reason: retries-exhausted}
    """
)
PLAIN = scenario(
    """
    name: Delivered
    receivers: {rx: {}}
    subscriptions: {main: {receiver: rx, types: [card-completed]}}
    steps:
      - publish: {type: card-completed, id: one}
    expect:
      - delivered: {events: [one]}
    """
)


def session(served: ServedPlatform) -> TargetSession:
    return TargetSession(served.base_url, client_id=CLIENT[0], client_secret=CLIENT[1])


def test_a_missing_feature_makes_the_scenario_not_applicable(
    target: Callable[..., ServedPlatform],
) -> None:
    with_all, without = session(target()), session(target(withheld=["duplicates"]))
    try:
        assert Runner(session=with_all).run([DUPLICATES]).results[0].status == "passed"
        result = Runner(session=without).run([DUPLICATES]).results[0]
    finally:
        with_all.close()
        without.close()
    assert result.status == "not-applicable" and not result.passed
    assert result.not_applicable == (
        "the target does not offer control feature 'duplicates' (it injects duplicates "
        "(inject_duplicate))"
    )
    assert result.expectations == []  # it did not run at all


def test_a_missing_feature_makes_one_expectation_not_applicable(
    target: Callable[..., ServedPlatform],
) -> None:
    target_session = session(target(withheld=["delivery-states"]))
    try:
        result = Runner(session=target_session).run([UNDELIVERED]).results[0]
    finally:
        target_session.close()
    statuses = [e.status for e in result.expectations]
    # The receiver-judged attempts still pass; "recorded undelivered" cannot be asked.
    assert statuses[:2] == ["passed", "not-applicable"]
    assert "delivery-states" in (result.expectations[1].not_applicable or "")
    assert result.status == "not-applicable"


@pytest.mark.parametrize(
    ("withheld", "reason"),
    [
        (["createWebhook"], "does not serve createWebhook (it declares subscriptions)"),
        (["jitter"], "does not accept setting 'jitter' (it sets jitter)"),
    ],
)
def test_operations_and_settings_a_target_lacks(
    target: Callable[..., ServedPlatform], withheld: list[str], reason: str
) -> None:
    jittery = scenario(
        """
        name: Jittery
        settings: {jitter: 0.1}
        receivers: {rx: {}}
        subscriptions: {main: {receiver: rx, types: [card-completed]}}
        steps: [{publish: {type: card-completed}}]
        expect: [{delivered: {count: 1}}]
        """
    )
    target_session = session(target(withheld=withheld))
    try:
        result = Runner(session=target_session).run([jittery]).results[0]
    finally:
        target_session.close()
    assert result.status == "not-applicable"
    assert reason in (result.not_applicable or "")


def _cli(served: ServedPlatform, folder: Path, *extra: str) -> Any:
    return CliRunner().invoke(
        main,
        [
            "run",
            str(folder),
            "--target",
            served.base_url,
            "--client-id",
            CLIENT[0],
            "--report",
            str(folder / "report"),
            "--junit",
            str(folder / "junit.xml"),
            *extra,
        ],
        env={"HOOKSIM_CLIENT_SECRET": CLIENT[1], "NO_COLOR": "1", "COLUMNS": "200"},
    )


def test_the_cli_shows_not_applicable_everywhere_and_strict_fails_on_it(
    target: Callable[..., ServedPlatform], tmp_path: Path
) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "a_plain.yaml").write_text(PLAIN_TEXT)
    (folder / "b_duplicates.yaml").write_text(DUPLICATES_TEXT)
    served = target(withheld=["duplicates"])
    done = _cli(served, folder)
    assert done.exit_code == 0, done.output
    assert "2 scenarios: 1 passed, 1 not applicable" in done.output
    assert "not applicable: the target does not offer control feature 'duplicates'" in done.output
    document = json.loads((folder / "report" / "results.json").read_text())
    assert document["summary"] == {
        "errors": 0,
        "failed": 0,
        "not_applicable": 1,
        "passed": 1,
        "total": 2,
    }
    suite = ET.parse(folder / "junit.xml").getroot()
    assert suite.get("skipped") == "1"
    skipped = suite.find(".//skipped")
    assert skipped is not None and "duplicates" in (skipped.get("message") or "")
    html = (folder / "report" / "index.html").read_text()
    assert "1 was not applicable" in html and "badge-not-applicable" in html
    strict = _cli(served, folder, "--strict")
    assert strict.exit_code == 1


PLAIN_TEXT = """\
name: Delivered
receivers: {rx: {}}
subscriptions: {main: {receiver: rx, types: [card-completed]}}
steps:
  - publish: {type: card-completed, id: one}
expect:
  - delivered: {events: [one]}
"""
DUPLICATES_TEXT = """\
name: Duplicates on purpose
receivers: {rx: {dedupe: true}}
subscriptions: {main: {receiver: rx, types: [card-completed]}}
steps:
  - publish: {type: card-completed, id: one}
  - inject_duplicate: one
expect:
  - receiver: {name: rx, received: 2, processed: 1}
"""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "ftp://x"], "give an http:// or https:// URL"),
        (["--target", "http://127.0.0.1:9"], "cannot reach it"),
        (["--client-id", "x"], "--client-id goes with --target URL"),
        (["--target", "http://127.0.0.1:9", "--client-id", ""], "--client-id and --client-secret"),
    ],
)
def test_usage_problems_exit_2_without_a_traceback(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "s.yaml").write_text(PLAIN_TEXT)
    done = CliRunner().invoke(
        main,
        ["run", str(tmp_path / "s.yaml"), *args],
        env={"HOOKSIM_CLIENT_ID": "x", "HOOKSIM_CLIENT_SECRET": "y", "COLUMNS": "200"},
    )
    assert done.exit_code == 2, done.output
    assert message in done.output
    assert "Traceback" not in done.output


def _run_plain(tmp_path: Path, url: str, secret: str) -> Any:
    """`hooksim run --target URL` on one plain scenario, the client from the environment."""
    (tmp_path / "s.yaml").write_text(PLAIN_TEXT)
    return CliRunner().invoke(
        main,
        ["run", str(tmp_path / "s.yaml"), "--target", url],
        env={"HOOKSIM_CLIENT_ID": CLIENT[0], "HOOKSIM_CLIENT_SECRET": secret},
    )


def test_wrong_credentials_exit_2_and_never_show_the_secret(
    target: Callable[..., ServedPlatform], tmp_path: Path
) -> None:
    done = _run_plain(tmp_path, target().base_url, "not-the-right-one-xyz")
    assert done.exit_code == 2
    assert "check --client-id and --client-secret" in done.output
    assert "not-the-right-one-xyz" not in done.output


def test_a_url_that_is_not_the_api_root_is_named_as_such(
    target: Callable[..., ServedPlatform], tmp_path: Path
) -> None:
    # A 404 from the token endpoint is no refusal of the client: the URL is the mistake.
    done = _run_plain(tmp_path, target().base_url + "/v1", CLIENT[1])
    assert done.exit_code == 2, done.output
    assert "POST /oauth2/token answered 404: is this the root of the platform's API" in done.output
    assert "--client-id" not in done.output
