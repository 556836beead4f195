from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hooksim.reports import write_json_results
from hooksim.scenarios import ScenarioResult

from hooksim.cli import main


def test_renders_saved_results(tmp_path: Path, results: list[ScenarioResult]) -> None:
    saved = write_json_results(results, tmp_path / "results.json", seed=5, version="0.0.1")
    out = tmp_path / "html"
    outcome = CliRunner().invoke(main, ["report", str(saved), "--out", str(out)])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.strip() == str(out / "index.html")
    html = (out / "index.html").read_text()
    assert "hooksim 0.0.1" in html and "seed <code>5</code>" in html


def test_default_folder_is_hooksim_report(
    tmp_path: Path, results: list[ScenarioResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_json_results(results, "results.json", seed=None, version="1")
    outcome = CliRunner().invoke(main, ["report", "results.json"])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.strip() == str(Path("hooksim-report") / "index.html")
    assert (tmp_path / "hooksim-report" / "index.html").is_file()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{oops", "is not valid JSON (Expecting property name enclosed in double quotes"),
        ('{"hello": 1}', "is not hooksim JSON results"),
    ],
)
def test_bad_input_exits_2_without_traceback(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content)
    outcome = CliRunner().invoke(main, ["report", str(path), "--out", str(tmp_path / "o")])
    assert outcome.exit_code == 2
    assert f"Error: {path}: {message}" in outcome.output
    assert "Traceback" not in outcome.output
    assert not isinstance(outcome.exception, Exception) or isinstance(outcome.exception, SystemExit)
    assert not (tmp_path / "o").exists()
