"""scenarios/README.md: its examples are the real files under scenarios/examples/, they do
what the README says, and every YAML snippet in it is valid."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hooksim.scenarios import load_text, run_scenario

from hooksim.cli import main

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "scenarios" / "README.md"
EXAMPLES = ROOT / "scenarios" / "examples"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def run_cli(*args: str, tmp_path: Path) -> tuple[int, str]:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        main, ["run", *args, "--report", str(tmp_path / "report")]
    )
    output = "\n".join(line.rstrip() for line in result.output.splitlines())
    return result.exit_code, output


@pytest.mark.parametrize(
    "example", sorted(EXAMPLES.rglob("*.yaml")), ids=lambda p: p.relative_to(EXAMPLES).as_posix()
)
def test_every_example_file_is_shown_in_full(example: Path) -> None:
    assert example.read_text(encoding="utf-8") in blocks("yaml")


def test_the_scenario_written_from_scratch_passes() -> None:
    text = (EXAMPLES / "first-scenario.yaml").read_text(encoding="utf-8")
    result = run_scenario(load_text(text, "scenarios/examples/first-scenario.yaml"))
    assert result.error is None and result.status == "passed", result.expectations


def test_the_mistakes_do_what_the_readme_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    shown = [block for block in blocks("text") if block.startswith("$ hooksim run")]
    assert len(shown) == 2
    for block, status in zip(shown, (2, 1), strict=True):
        command, *lines = block.strip("\n").splitlines()
        code, output = run_cli(*command.split()[3:], tmp_path=tmp_path)
        assert code == status
        for line in lines:
            if line != "...":
                assert line in output


def test_every_yaml_snippet_is_valid_yaml_and_full_scenarios_load() -> None:
    for block in blocks("yaml"):
        value = yaml.safe_load(block)
        if isinstance(value, dict) and "name" in value and "broken" not in block:
            load_text(block, "README.md")
