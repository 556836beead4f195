"""Consumers of runner events: JSON results, JUnit XML, the HTML report and the terminal.

Each writer is a small handler: `handle(event)` receives every `RunnerEvent` the runner emits
and acts on those it cares about (at least `RunFinished`). The functions underneath let a saved
results file be rendered again (`hooksim report`).
"""

from ._html import HtmlReportWriter, render_html
from ._json import JsonResultsWriter, ResultsFileError, load_results, write_json_results
from ._junit import JUnitWriter, write_junit
from ._terminal import TerminalReporter

__all__ = [
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
