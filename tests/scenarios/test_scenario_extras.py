"""Which extras a scenario needs (`hooksim.scenarios.missing_extras`): the bundled library
without botocore fails exactly the scenarios it names, with the extra and its install
command; the extras it knows are `pyproject.toml`'s."""

from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from hooksim.scenarios import (
    EXTRAS,
    Extra,
    discover,
    load_all,
    load_text,
    missing_extras,
    run_scenario,
)
from hooksim.scenarios._extras import extras_needed

from hooksim.cli import main

ROOT = Path(__file__).resolve().parents[2]

AWS_STEP = """\
name: one aws credential
steps:
  - api:
      method: POST
      path: /v1/{env}/webhook-credentials
      body:
        {type: aws-sigv4, accessKeyId: AK, secretAccessKey: s, region: us-east-1, service: api}
      as: aws
"""


def _library() -> list:
    return load_all(discover([]))


def test_a_scenario_storing_an_aws_credential_needs_the_aws_extra() -> None:
    scenario = load_text(AWS_STEP, "aws.yaml")
    (missing,) = missing_extras(scenario, installed=lambda extra: False)
    assert (missing.extra, missing.install_command) == ("aws", "pip install 'hooksim[aws]'")
    assert missing.span.label() == "aws.yaml:3"
    assert missing.describe() == (
        "aws.yaml:3: needs the 'aws' extra, which is not installed (it stores an aws-sigv4 "
        "delivery credential, which botocore signs): pip install 'hooksim[aws]'"
    )
    assert missing_extras(scenario, installed=lambda extra: True) == ()


@pytest.mark.parametrize(
    "change",
    [
        ("type: aws-sigv4", "type: basic, username: u, password: p"),
        ("method: POST", "method: GET"),
        ("/webhook-credentials", "/webhook"),
    ],
    ids=["another-credential-type", "not-a-post", "another-path"],
)
def test_other_requests_need_no_extra(change: tuple[str, str]) -> None:
    scenario = load_text(AWS_STEP.replace(*change), "other.yaml")
    assert extras_needed(scenario) == []


def test_an_extra_counts_installed_when_its_modules_import(monkeypatch: pytest.MonkeyPatch) -> None:
    aws = EXTRAS["aws"]
    assert aws.installed()  # botocore is a test dependency
    monkeypatch.setitem(sys.modules, "botocore", None)  # what a plain install looks like
    assert not aws.installed()
    assert not Extra("x", ("json", "no_such_module_here"), "two modules").installed()


def test_without_botocore_the_library_fails_exactly_the_scenarios_said_to_need_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The detection against the truth: every scenario run with botocore unimportable. One
    that needs the extra and is not named (a new feature behind an extra, a new way to
    store a SigV4 credential) fails this; so does one named needlessly."""
    scenarios = _library()
    named = {s.file for s in scenarios if missing_extras(s, installed=lambda extra: False)}
    assert named, "no bundled scenario needs an extra: this test would prove nothing"
    monkeypatch.setitem(sys.modules, "botocore", None)
    monkeypatch.setitem(sys.modules, "hooksim.simulator._sigv4", None)
    assert {s.file for s in scenarios if missing_extras(s)} == named
    failing = {s.file for s in scenarios if run_scenario(s).status != "passed"}
    assert failing == named


def test_with_the_extras_installed_the_named_scenarios_pass() -> None:
    for scenario in _library():
        if extras_needed(scenario):
            assert missing_extras(scenario) == ()
            assert run_scenario(scenario).status == "passed", scenario.file


def test_the_extras_are_the_packages_and_the_simulator_names_the_same_command() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    optional = project["optional-dependencies"]
    for extra in EXTRAS.values():
        assert extra.name in optional, f"{extra.name}: not an extra of pyproject.toml"
        requirements = {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0] for r in optional[extra.name]}
        assert set(extra.modules) == requirements, extra.name
        assert extra.name in optional["all"][0], f"hooksim[all] leaves out {extra.name}"
    source = (ROOT / "simulator" / "_credentials.py").read_text(encoding="utf-8")
    assert source.count(EXTRAS["aws"].install_command) == 2


def test_hooksim_run_names_the_extra_a_scenario_lacks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "botocore", None)
    monkeypatch.setitem(sys.modules, "hooksim.simulator._sigv4", None)
    result = CliRunner().invoke(
        main, ["run", "-k", "delivery-credentials", "--report", str(tmp_path / "report")]
    )
    (scenario,) = [s for s in _library() if s.file == "library/delivery-credentials.yaml"]
    (missing,) = missing_extras(scenario)
    assert result.exit_code == 0, result.output  # not applicable is not a failure
    assert "1 scenario: 0 passed, 1 not applicable" in result.stdout
    assert "not applicable: library/delivery-credentials.yaml:" in result.stdout
    saved = json.loads((tmp_path / "report" / "results.json").read_text())
    assert saved["scenarios"][0]["not_applicable"] == missing.describe()
    assert "pip install 'hooksim[aws]'" in missing.describe()
