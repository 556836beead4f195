"""`hooksim run`: exit 0 when everything passed, 1 when an expectation failed, 2 for bad
input, never a traceback for a user's mistake."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from hooksim.cli import main

PASSING = """
name: passes
receivers:
  r: {}
subscriptions:
  s: {receiver: r, types: [card-published]}
steps:
  - publish: {type: card-published, id: e}
expect:
  - receiver: {name: r, processed_ids: [e]}
"""

FAILING = """
name: fails on purpose
receivers:
  r: {behaviour: 500}
subscriptions:
  s: {receiver: r, types: [card-published]}
steps:
  - publish: {type: card-published, id: e}
  - advance: 1m
expect:
  - attempts:
      event: e
      at: [0, 10s, 20s]
"""

BROKEN = """
name: broken
steps:
  - publish: {type: card-published, cont: 3}
"""


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., object]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")

    def invoke(*args: str) -> object:
        return CliRunner().invoke(main, ["run", *args], catch_exceptions=False)

    return invoke


def test_passing_scenarios_exit_0_and_write_the_report(cli, write) -> None:
    write("scenarios/a.yaml", PASSING)
    result = cli("scenarios", "--junit", "out/junit.xml", "--json", "out/results.json")
    assert result.exit_code == 0, result.output
    assert "passes" in result.stdout
    assert "Report: hooksim-report/index.html" in result.stdout
    assert Path("hooksim-report/index.html").is_file()
    assert Path("out/junit.xml").is_file()
    saved = json.loads(Path("out/results.json").read_text())
    assert [s["file"] for s in saved["scenarios"]] == ["scenarios/a.yaml"]


def test_a_wrong_expectation_exits_1_with_its_lines_and_the_reproduce_command(cli, write) -> None:
    write("wrong.yaml", FAILING)
    result = cli("wrong.yaml", "--seed", "5", "--report", "report")
    assert result.exit_code == 1
    out = result.stdout
    assert "at: expected [0s, 10s, 20s], got [0s, 10s, 30s]" in out
    assert "at: [0, 10s, 20s]" in out  # the expectation's own YAML
    assert "hooksim run wrong.yaml --seed 5" in out
    assert "Report: report/index.html" in out


def test_an_invalid_scenario_exits_2_with_file_line_column(cli, write) -> None:
    write("ok.yaml", PASSING)
    write("broken.yaml", BROKEN)
    result = cli("ok.yaml", "broken.yaml")
    assert result.exit_code == 2
    assert "broken.yaml:3:37: steps[0].publish.cont: unknown key 'cont' (did you mean" in (
        result.stderr
    )
    assert "nothing was run" in result.stderr
    assert not Path("hooksim-report").exists()
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("missing.yaml",), "missing.yaml: no such file or folder"),
        (("library/no-such-scenario.yaml",), "no such file or folder"),
        (("-k", "nothing-matches-this"), "no scenario matches"),
        (("-k", "and or"), "unexpected 'and'"),
        (("-k", "(outage"), "the expression ends too early"),
        (("-k", "(outage))"), "unexpected ')'"),
        ((".",), ".: no scenario files (*.yaml, *.yml) in this folder"),
    ],
)
def test_bad_input_exits_2(cli, args: tuple[str, ...], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_output_that_cannot_be_written_exits_2(cli, write) -> None:
    write("ok.yaml", PASSING)
    result = cli("ok.yaml", "--report", "ok.yaml")
    assert result.exit_code == 2
    assert "--report ok.yaml: exists and is not a folder" in result.stderr
    result = cli("ok.yaml", "--json", "ok.yaml/results.json")
    assert result.exit_code == 2
    assert "cannot write the results" in result.stderr
    assert "Traceback" not in result.output


def test_k_selects_and_fail_fast_stops(cli, write) -> None:
    write("s/1-fails.yaml", FAILING)
    write("s/2-passes.yaml", PASSING)
    result = cli("s", "-k", "passes and not fails", "--json", "r.json")
    assert result.exit_code == 0
    assert [s["name"] for s in json.loads(Path("r.json").read_text())["scenarios"]] == ["passes"]
    result = cli("s", "--fail-fast", "--json", "r.json")
    assert result.exit_code == 1
    names = [s["name"] for s in json.loads(Path("r.json").read_text())["scenarios"]]
    assert names == ["fails on purpose"]


def test_a_library_scenario_by_its_name(cli) -> None:
    result = cli("library/outage-then-recovery.yaml", "--json", "r.json")
    assert result.exit_code == 0, result.output
    saved = json.loads(Path("r.json").read_text())
    assert [s["file"] for s in saved["scenarios"]] == ["library/outage-then-recovery.yaml"]
