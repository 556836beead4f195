"""Platform profiles as files: the bundled ones load and say where every rule comes from; a
user's profile file is read like a scenario file (file:line:column, "did you mean"); scenarios
and `hooksim run --profile` pick one; `hooksim profiles` shows them; the report names it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from hooksim.scenarios import (
    ScenarioInputError,
    load_profile,
    load_scenario,
    profile_names,
    run_scenario,
)
from hooksim.scenarios._profiles import load_profile_text
from hooksim.simulator import ATOMIC_PROFILE, Platform, profile_schedule

from hooksim.cli import main

BUNDLED = ("atomic", "github", "standard-webhooks", "stripe", "svix")

MY_SENDER = """\
name: my-sender
title: Our own sender
signing: standard-webhooks
envelope: standard-webhooks
secret: whsec-base64
timeout: 20s
retry:
  delays: [1m, 10m]
  from: answer
disable:
  kind: consecutive
  failures: 5
tolerance: {seconds: 60}
sources:
  signing: "our wiki, page Webhooks/Signing"
  envelope: "our wiki, page Webhooks/Payloads"
  retry: "our wiki, page Webhooks/Retries"
  disable: "our wiki, page Webhooks/Disabling"
  timeout: "our wiki, page Webhooks/Timeouts"
  tolerance: "our wiki, page Webhooks/Signing"
not_simulated: []
"""


def test_the_bundled_profiles_load_with_a_source_for_every_rule() -> None:
    assert set(profile_names()) == set(BUNDLED) and profile_names()[0] == "atomic"
    for name in BUNDLED:
        profile = load_profile(name)
        assert profile.name == name and profile.file == f"profiles/{name}.yaml"
        for rule in ("signing", "envelope", "retry", "disable", "timeout"):
            assert len(profile.sources[rule]) > 20, (name, rule)
        if name != "atomic":
            assert profile.not_simulated, f"{name} lists nothing it does not simulate"


def test_the_atomic_file_is_the_atomic_platform_exactly() -> None:
    atomic = load_profile("atomic")
    assert atomic.default_settings() == ATOMIC_PROFILE.default_settings()
    platform = Platform(profile=atomic)
    default = Platform()
    assert platform._executor.rules is default._executor.rules  # ATOMIC_RULES itself
    assert profile_schedule(atomic, atomic.default_settings())[-1] == 10230


@pytest.mark.parametrize(
    ("name", "attempts", "last"),
    [
        ("standard-webhooks", 10, 75 * 3600 + 35 * 60 + 5),
        ("svix", 8, 27 * 3600 + 35 * 60 + 5),
        ("stripe", 13, 4095 * 60),
        ("github", 1, 0),
    ],
)
def test_each_senders_schedule(name: str, attempts: int, last: float) -> None:
    profile = load_profile(name)
    schedule = profile_schedule(profile, profile.default_settings())
    assert (len(schedule), schedule[-1]) == (attempts, last)


def test_a_users_profile_file_by_path(tmp_path: Path) -> None:
    path = tmp_path / "my-sender.yaml"
    path.write_text(MY_SENDER)
    profile = load_profile(str(path))
    assert profile.retry_delays == (60.0, 600.0) and profile.tolerance == 60.0
    assert profile.default_settings().disable_threshold == 5
    assert profile.default_settings().timeout == 20


BAD_FILES = [
    (
        ("  from: answer\n", "  form: answer\n"),
        "my-sender.yaml:9:3: retry.form: unknown key 'form' (did you mean 'from'?)",
    ),
    (
        ("signing: standard-webhooks", "signing: standard-webhook"),
        "3:10: signing: expected a signing scheme",
    ),
    (
        ('  retry: "our wiki, page Webhooks/Retries"\n', ""),
        "sources: missing the source of rule 'retry'",
    ),
    (("  failures: 5\n", "  after: 5d\n"), "`after` does not go with kind consecutive"),
    (
        ('  signing: "our', '  signin: "our'),
        "sources.signin: no rule 'signin' to source (did you mean 'signing'?)",
    ),
]


@pytest.mark.parametrize(("change", "message"), BAD_FILES)
def test_a_bad_profile_file_says_where_and_what(change: tuple[str, str], message: str) -> None:
    text = MY_SENDER.replace(*change)
    assert text != MY_SENDER
    with pytest.raises(ScenarioInputError) as caught:
        load_profile_text(text, "my-sender.yaml")
    assert message in caught.value.message, caught.value.message


def test_an_unknown_profile_name_suggests_one() -> None:
    with pytest.raises(
        ScenarioInputError, match=r"unknown profile 'stripee' \(did you mean 'stripe'\?\)"
    ):
        load_profile("stripee")


def test_a_scenario_names_a_profile_file_relative_to_itself(tmp_path: Path) -> None:
    (tmp_path / "senders").mkdir()
    (tmp_path / "senders" / "mine.yaml").write_text(MY_SENDER)
    scenario = tmp_path / "outage.yaml"
    scenario.write_text(
        textwrap.dedent(
            """\
            name: our sender's schedule
            profile: senders/mine.yaml
            receivers:
              down: {behaviour: 503}
            subscriptions:
              main: {receiver: down, types: [card-completed]}
            steps:
              - publish: {type: card-completed, as: e}
              - advance: 1h
            expect:
              - attempts: {event: e, at: [0, 1m, 11m]}
              - receiver: {name: down, signatures_valid: true}
            """
        )
    )
    result = run_scenario(load_scenario(scenario, str(scenario)))
    assert result.passed, [e.message for e in result.expectations if not e.passed]
    assert result.profile == "my-sender"


def test_a_scenario_naming_an_unknown_profile_is_refused_with_its_line() -> None:
    from hooksim.scenarios import load_text

    with pytest.raises(ScenarioInputError) as caught:
        load_text("name: x\nseed: 1\nprofile: svixx\n", "s.yaml")
    assert "s.yaml:3:10: profile: unknown profile 'svixx' (did you mean 'svix'?)" in str(
        caught.value
    )


# the command line and the report ---------------------------------------------------------------
GITHUB_EXPECTED = """\
name: a single attempt under github
receivers:
  down: {behaviour: 503}
subscriptions:
  main: {receiver: down, types: [card-completed]}
steps:
  - publish: {type: card-completed, as: e}
  - advance: 1h
expect:
  - attempts: {event: e, at: [0]}
"""


def test_run_profile_applies_to_scenarios_that_name_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("s.yaml").write_text(GITHUB_EXPECTED)
    runner = CliRunner()
    atomic = runner.invoke(main, ["run", "s.yaml", "--json", "a.json"])
    assert atomic.exit_code == 1  # Atomic retries: attempts at 0, 10 s, 30 s, ...
    github = runner.invoke(
        main, ["run", "s.yaml", "--profile", "github", "--json", "g.json", "--report", "out"]
    )
    assert github.exit_code == 0, github.output
    saved = json.loads(Path("g.json").read_text())
    assert saved["scenarios"][0]["profile"] == "github"
    html = Path("out/index.html").read_text()
    assert "platform profiles: github" in html and '<code class="profile">github</code>' in html
    bad = runner.invoke(main, ["run", "s.yaml", "--profile", "gihub"])
    assert bad.exit_code == 2 and "did you mean 'github'" in bad.output


def test_the_profiles_command_lists_and_shows() -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["profiles"])
    assert listed.exit_code == 0
    assert all(name in listed.output for name in BUNDLED)
    shown = runner.invoke(main, ["profiles", "standard-webhooks"])
    assert shown.exit_code == 0
    assert "10, at 0s, 5s, 5m5s, 35m5s" in shown.output and "3d3h35m5s" in shown.output
    assert "disabling statuses   410" in shown.output
    assert "Not simulated:" in shown.output and "jitter" in shown.output
    unknown = runner.invoke(main, ["profiles", "stripey"])
    assert unknown.exit_code == 2
