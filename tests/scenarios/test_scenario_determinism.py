"""Same seed, same result: two runs' JSON results are identical apart from wall-clock
timings (kept under keys that say `wall`), and hold no output paths or command lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hooksim.cli import main


def without_wall_clock(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_wall_clock(v) for k, v in value.items() if "wall" not in k}
    if isinstance(value, list):
        return [without_wall_clock(v) for v in value]
    return value


def run(tmp_path: Path, name: str, *args: str) -> dict[str, Any]:
    out = tmp_path / name
    result = CliRunner().invoke(
        main, ["run", *args, "--json", str(out), "--report", str(tmp_path / f"{name}-report")]
    )
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def test_two_runs_of_the_library_give_the_same_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first, second = run(tmp_path, "a.json"), run(tmp_path, "b.json")
    assert first != second  # the wall-clock timings differ...
    assert without_wall_clock(first) == without_wall_clock(second)  # ...and nothing else
    text = json.dumps(first)
    assert str(tmp_path) not in text
    assert "hooksim run" not in text


def test_another_seed_changes_seeded_scenarios_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write
) -> None:
    monkeypatch.chdir(tmp_path)
    write(
        "coin.yaml",
        """
        name: coin
        receivers:
          r: {behaviour: [{probability: 0.5, status: 503}, 200]}
        subscriptions:
          s: {receiver: r, types: [card-published]}
        steps:
          - publish: {type: card-published, count: 20}
          - advance: 1h
        """,
    )
    one = run(tmp_path, "1.json", "coin.yaml", "library/jitter-is-seeded.yaml", "--seed", "1")
    two = run(tmp_path, "2.json", "coin.yaml", "library/jitter-is-seeded.yaml", "--seed", "2")
    coin_one, jitter_one = one["scenarios"]
    coin_two, jitter_two = two["scenarios"]
    assert (coin_one["seed"], coin_two["seed"]) == (1, 2)
    assert coin_one["attempts"] != coin_two["attempts"]
    # a scenario's own seed wins over --seed
    assert jitter_one["seed"] == jitter_two["seed"] == 31
    assert without_wall_clock(jitter_one) == without_wall_clock(jitter_two)
