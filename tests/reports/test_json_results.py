from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from _report_samples import burst, error, failing, passing, sample_results
from hooksim.reports import JsonResultsWriter, ResultsFileError, load_results, write_json_results
from hooksim.scenarios import (
    ExpectationResult,
    RunFinished,
    RunStarted,
    ScenarioFinished,
    ScenarioResult,
    ScenarioStarted,
)


def _without_wall_clock(value: object) -> object:
    if isinstance(value, dict):
        return {
            key: _without_wall_clock(item)
            for key, item in value.items()
            if key not in ("wall_seconds", "wall_clock")
        }
    if isinstance(value, list):
        return [_without_wall_clock(item) for item in value]
    return value


def test_round_trip(tmp_path: Path, results: list[ScenarioResult]) -> None:
    path = write_json_results(results, tmp_path / "out" / "results.json", seed=42, version="9.9")
    meta, loaded = load_results(path)
    assert loaded == results
    assert meta == {
        "hooksim": "9.9",
        "seed": 42,
        "target": None,
        "summary": {"total": 6, "passed": 4, "failed": 1, "errors": 1, "not_applicable": 0},
        "wall_clock": {"total_seconds": pytest.approx(sum(r.wall_seconds for r in results))},
    }


def test_document_shape_and_sorted_keys(tmp_path: Path, results: list[ScenarioResult]) -> None:
    path = write_json_results(results, tmp_path / "r.json", seed=None, version="1.0")
    text = path.read_text()
    document = json.loads(text)
    assert set(document) == {"hooksim", "target", "seed", "summary", "scenarios", "wall_clock"}
    assert document["seed"] is None
    assert document["scenarios"] == json.loads(json.dumps([r.to_dict() for r in results]))
    assert text == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_same_input_gives_identical_bytes(tmp_path: Path) -> None:
    first = write_json_results(sample_results(), tmp_path / "a.json", seed=3, version="1")
    second = write_json_results(sample_results(), tmp_path / "b.json", seed=3, version="1")
    assert first.read_bytes() == second.read_bytes()


def test_runs_differ_only_under_wall_clock_keys(tmp_path: Path) -> None:
    slow = [passing(), failing()]
    for result in slow:
        result.wall_seconds *= 7.3
    a = write_json_results([passing(), failing()], tmp_path / "a.json", seed=1, version="1")
    b = write_json_results(slow, tmp_path / "b.json", seed=1, version="1", wall_seconds=99.0)
    assert a.read_text() != b.read_text()
    first, second = json.loads(a.read_text()), json.loads(b.read_text())
    assert _without_wall_clock(first) == _without_wall_clock(second)


def test_holds_no_paths_or_command_lines(tmp_path: Path, results: list[ScenarioResult]) -> None:
    text = write_json_results(results, tmp_path / "r.json", seed=1, version="1").read_text()
    assert str(tmp_path) not in text
    assert "hooksim run" not in text  # the reproduce command is derived, never stored


def test_values_json_cannot_hold_are_written_deterministically(tmp_path: Path) -> None:
    result = passing()
    result.expectations = [
        ExpectationResult("set", False, {"b", "a", "c"}, (1, 2), 0.0),
        ExpectationResult("inf", False, math.inf, {3: "x"}, 0.0),
    ]
    path = write_json_results([result], tmp_path / "r.json", seed=1, version="1")
    expectations = json.loads(path.read_text())["scenarios"][0]["expectations"]
    assert expectations[0]["expected"] == ["a", "b", "c"]
    assert expectations[0]["actual"] == [1, 2]
    assert expectations[1]["expected"] == "inf"
    assert expectations[1]["actual"] == {"3": "x"}


def test_writer_acts_on_run_finished(tmp_path: Path) -> None:
    results = [passing(), error(), burst(300)]
    writer = JsonResultsWriter(tmp_path / "deep" / "results.json")
    writer.handle(RunStarted(total=3, seed=11, version="2.0"))
    for index, result in enumerate(results):
        writer.handle(ScenarioStarted(result.name, result.file, index))
        writer.handle(ScenarioFinished(result, index))
    assert not writer.path.exists()
    writer.handle(RunFinished(results, wall_seconds=1.5))
    meta, loaded = load_results(writer.path)
    assert loaded == results
    assert (meta["hooksim"], meta["seed"]) == ("2.0", 11)
    assert meta["wall_clock"] == {"total_seconds": 1.5}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "is not hooksim JSON results"),
        ('{"scenarios": {}}', "is not hooksim JSON results"),
        ('{"scenarios": [1]}', "scenario 0 is not a scenario result"),
        ('{"scenarios": [{"name": "x"}]}', "scenario 0 is not a scenario result"),
    ],
)
def test_load_refuses_what_is_not_results(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ResultsFileError, match=problem):
        load_results(path)


def test_load_refuses_values_reports_cannot_draw(tmp_path: Path) -> None:
    document = json.loads(
        write_json_results([passing()], tmp_path / "r.json", seed=1, version="1").read_text()
    )
    document["scenarios"][0]["attempts"][0]["t"] = "soon"
    (tmp_path / "r.json").write_text(json.dumps(document))
    with pytest.raises(ResultsFileError, match="attempt t and duration"):
        load_results(tmp_path / "r.json")


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ResultsFileError, match="no such file"):
        load_results(tmp_path / "nope.json")
    with pytest.raises(ResultsFileError, match="is a folder"):
        load_results(tmp_path)
