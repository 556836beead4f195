"""JSON results: the run's record, from which every other report can be rendered again.

The document is deterministic: the same scenarios with the same seed give byte-identical files
apart from the values under keys that say wall clock (`wall_seconds`, `wall_clock`). Keys are
sorted, floats are written in Python's shortest round-trip form, and nothing depends on where
the file goes or how hooksim was called.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hooksim.scenarios import RunFinished, RunnerEvent, RunStarted, ScenarioResult, TargetInfo

from ._summary import hooksim_version, summarize

__all__ = [
    "JsonResultsWriter",
    "ResultsFileError",
    "dump_results",
    "load_results",
    "write_json_results",
]


class ResultsFileError(ValueError):
    """A results file that is missing or is not a hooksim JSON results document."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


def _plain(value: Any) -> Any:
    """`value` as JSON-native data with a deterministic form (sets sorted, tuples as lists)."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # "inf", "nan": valid JSON, unlike Infinity/NaN
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        items = [_plain(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [_plain(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    return repr(value)


def dump_results(
    results: Sequence[ScenarioResult],
    *,
    seed: int | None,
    version: str,
    wall_seconds: float | None = None,
    target: TargetInfo | None = None,
) -> str:
    """The results document as text (what `write_json_results` writes). `target` names the
    implementation judged (null: hooksim's own, in process)."""
    total = sum(r.wall_seconds for r in results) if wall_seconds is None else wall_seconds
    document = {
        "hooksim": version,
        "target": dataclasses.asdict(target) if target is not None else None,
        "seed": seed,
        "summary": summarize(results),
        "scenarios": [_plain(result.to_dict()) for result in results],
        "wall_clock": {"total_seconds": total},
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_json_results(
    results: Sequence[ScenarioResult],
    path: str | Path,
    *,
    seed: int | None,
    version: str,
    wall_seconds: float | None = None,
    target: TargetInfo | None = None,
) -> Path:
    """Write the JSON results document to `path` (folders created) and return the path."""
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(
        dump_results(
            results, seed=seed, version=version, wall_seconds=wall_seconds, target=target
        )
    )
    return file


def load_results(path: str | Path) -> tuple[dict[str, Any], list[ScenarioResult]]:
    """Read a results document: `(meta, results)`, meta being everything but the scenarios.

    Raises `ResultsFileError`, saying what is wrong, for a missing, unreadable or foreign file.
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultsFileError(path, "no such file") from None
    except IsADirectoryError:
        raise ResultsFileError(path, "is a folder, not a JSON results file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ResultsFileError(path, f"cannot be read ({error})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise ResultsFileError(path, f"is not valid JSON ({error.msg} at {where})") from None
    if not isinstance(document, dict) or not isinstance(document.get("scenarios"), list):
        raise ResultsFileError(
            path, 'is not hooksim JSON results (expected an object with a "scenarios" list)'
        )
    results = []
    for position, entry in enumerate(document["scenarios"]):
        try:
            if not isinstance(entry, dict):
                raise TypeError("not an object")
            result = ScenarioResult.from_dict(entry)
            _check(result)
            results.append(result)
        except (TypeError, KeyError, ValueError) as error:
            raise ResultsFileError(
                path, f"scenario {position} is not a scenario result ({error})"
            ) from None
    meta = {key: value for key, value in document.items() if key != "scenarios"}
    return meta, results


def _check(result: ScenarioResult) -> None:
    """Refuse values the reports cannot draw (a hand-edited file), naming the first one."""

    def need(ok: bool, what: str) -> None:
        if not ok:
            raise ValueError(what)

    def number(value: object) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool)

    need(
        result.status in ("passed", "failed", "error", "not-applicable"),
        f"status {result.status!r}",
    )
    need(isinstance(result.name, str) and isinstance(result.file, str), "name and file: text")
    need(isinstance(result.description, str), "description: text")
    need(isinstance(result.seed, int), "seed: a whole number")
    need(number(result.virtual_seconds) and number(result.wall_seconds), "times: numbers")
    need(isinstance(result.clauses, list), "clauses: a list")
    need(all(isinstance(c, str) for c in result.clauses), "clauses: a list of ids")
    need(isinstance(result.settings, dict), "settings: an object")
    need(result.error is None or isinstance(result.error, str), "error: text or null")
    for a in result.attempts:
        need(number(a.t) and number(a.duration), "attempt t and duration: numbers")
        need(isinstance(a.attempt, int), "attempt number: a whole number")
        need(a.status_code is None or isinstance(a.status_code, int), "status_code")
        texts = (a.event_id, a.event_type, a.subscription, a.kind, a.outcome)
        need(all(isinstance(text, str) for text in texts), "attempt fields: text")
    for c in result.status_changes:
        need(number(c.t) and isinstance(c.subscription, str), "status change t, subscription")
        need(isinstance(c.status, str), "status change status: text")
    for e in result.expectations:
        need(number(e.t) and isinstance(e.description, str), "expectation t, description")
        if e.source is not None:
            need(isinstance(e.source.line, int) and isinstance(e.source.text, str), "source")
    for pair in result.clock_advances:
        need(len(pair) == 2 and all(number(v) for v in pair), "clock_advances: number pairs")


class JsonResultsWriter:
    """Writes the JSON results document when the run finishes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._seed: int | None = None
        self._version = hooksim_version()

    def handle(self, event: RunnerEvent) -> None:
        if isinstance(event, RunStarted):
            self._seed, self._version = event.seed, event.version
        elif isinstance(event, RunFinished):
            write_json_results(
                event.results,
                self.path,
                seed=self._seed,
                version=self._version,
                wall_seconds=event.wall_seconds,
                target=event.target,
            )
