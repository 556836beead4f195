"""`--hooksim-report DIR`: the session's scenario results as the HTML conformance report and
JSON results (the same files `hooksim run --report DIR` writes).

Each scenario item records its result here as it runs. Under pytest-xdist every worker sends
its results to the controller in `workeroutput` (with the item's position in the collection,
which is the same on every worker); the controller gathers them in `pytest_testnodedown` and
is the only process that writes, once, at the end of the session.
"""

from __future__ import annotations

import dataclasses
import json
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from hooksim.scenarios import ScenarioResult

__all__ = ["REPORT_KEY", "WORKER_OUTPUT_KEY", "SessionReport"]

WORKER_OUTPUT_KEY = "hooksim_results"

#: (position in the collection, node id, the result as JSON text)
Entry = tuple[int, str, str]


class SessionReport:
    """Gathers scenario results and writes `index.html` + `results.json` into `directory`."""

    def __init__(self, config: pytest.Config, directory: str) -> None:
        self.config = config
        self.directory = Path(config.invocation_params.dir, directory)
        self.entries: dict[str, Entry] = {}
        self.positions: dict[str, int] = {}
        self.path: Path | None = None
        self.count = 0

    # gathering -------------------------------------------------------------------------
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.positions = {item.nodeid: index for index, item in enumerate(session.items)}

    def record(self, item: pytest.Item, result: ScenarioResult) -> None:
        position = self.positions.get(item.nodeid, len(self.positions) + len(self.entries))
        text = json.dumps(result.to_dict(), ensure_ascii=False, default=repr)
        self.entries[item.nodeid] = (position, item.nodeid, text)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """pytest-xdist: a worker finished; take the results it sent."""
        output = getattr(node, "workeroutput", None) or {}
        for position, nodeid, text in output.get(WORKER_OUTPUT_KEY, []):
            self.entries[nodeid] = (int(position), str(nodeid), str(text))

    # writing ---------------------------------------------------------------------------
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:  # an xdist worker: the controller writes
            workeroutput[WORKER_OUTPUT_KEY] = [list(entry) for entry in self.entries.values()]
            return
        if self.config.option.collectonly:
            return
        self.path = self.write()

    def results(self) -> list[ScenarioResult]:
        from hooksim.scenarios import ScenarioResult

        ordered = sorted(self.entries.values(), key=lambda entry: (entry[0], entry[1]))
        return [ScenarioResult.from_dict(json.loads(text)) for _, _, text in ordered]

    def write(self) -> Path:
        from hooksim.reports import render_html, write_json_results

        results = self.results()
        self.count = len(results)
        seed = self.config.getoption("hooksim_seed", None)
        version = _version()
        wall = sum(result.wall_seconds for result in results)
        from ._target import target_session

        session = target_session(self.config)
        target = session.info if session is not None else None
        write_json_results(
            results,
            self.directory / "results.json",
            seed=seed,
            version=version,
            wall_seconds=wall,
            target=target,
        )
        meta = {
            "hooksim": version,
            "seed": seed,
            "target": dataclasses.asdict(target) if target is not None else None,
            "wall_clock": {"total_seconds": wall},
        }
        return render_html(results, self.directory, meta=meta)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.path is not None:
            scenarios = f"{self.count} scenario{'s' * (self.count != 1)}"
            terminalreporter.write_sep("-", f"hooksim report ({scenarios}): {self.path}")


REPORT_KEY = pytest.StashKey[SessionReport]()


def _version() -> str:
    try:
        return metadata.version("hooksim")
    except metadata.PackageNotFoundError:
        return "0+unknown"
