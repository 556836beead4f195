"""hooksim.reports' public names (the runner wires these) and its place in the layers."""

from __future__ import annotations

import re
from pathlib import Path

import hooksim.reports

PUBLIC = [
    "HtmlReportWriter",
    "JUnitWriter",
    "JsonResultsWriter",
    "ResultsFileError",
    "TerminalReporter",
    "load_results",
    "render_html",
    "write_json_results",
    "write_junit",
]


def test_exported_names_are_pinned() -> None:
    assert sorted(hooksim.reports.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(hooksim.reports, name) is not None


def test_every_writer_is_an_event_handler() -> None:
    for writer in ("HtmlReportWriter", "JUnitWriter", "JsonResultsWriter", "TerminalReporter"):
        assert callable(getattr(getattr(hooksim.reports, writer), "handle", None))


def test_reports_import_only_scenarios_and_contracts() -> None:
    # ARCHITECTURE.md: reports consume scenario results; the simulator and the front door are
    # out of reach (the results are plain data, so a saved file renders without a platform).
    folder = Path(hooksim.reports.__file__).parent
    imports = re.compile(r"^\s*(?:from|import)\s+(hooksim(?:\.\w+)?)", re.M)
    used = {m for p in folder.glob("*.py") for m in imports.findall(p.read_text())}
    assert used <= {"hooksim.scenarios", "hooksim.contracts"}, used
