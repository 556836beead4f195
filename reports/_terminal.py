"""Terminal output: a progress bar while scenarios run, then a summary and every failure.

Scenario names, YAML and messages are user text: they go into rich `Text` objects (never rich
markup), so brackets in them are printed as written.
"""

from __future__ import annotations

from hooksim.scenarios import (
    ExpectationResult,
    RunFinished,
    RunnerEvent,
    RunStarted,
    ScenarioFinished,
    ScenarioResult,
    ScenarioStarted,
    format_offset,
)
from rich.console import Console, Group
from rich.padding import Padding
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from ._format import format_duration, format_value, format_wall
from ._summary import summarize

__all__ = ["TerminalReporter"]

_STYLE = {
    "passed": "green",
    "failed": "bold red",
    "error": "bold yellow",
    "not-applicable": "magenta",
}


class TerminalReporter:
    """Shows a rich progress bar during the run and a summary table when it finishes.

    The bar is drawn only on an interactive terminal and when `progress` is true; the summary,
    failed expectations (with their YAML lines, expected, actual) and reproduce commands are
    always printed.
    """

    def __init__(self, console: Console | None = None, progress: bool = True) -> None:
        self.console = console if console is not None else Console()
        self.show_progress = progress
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def handle(self, event: RunnerEvent) -> None:
        if isinstance(event, RunStarted):
            if event.target is not None and event.target.url is not None:
                self.console.print(
                    Text.assemble(("Judging ", "bold"), event.target.label),
                    highlight=False,
                )
            self._start(event.total)
        elif isinstance(event, ScenarioStarted):
            if self._progress is not None and self._task is not None:
                self._progress.update(self._task, description=event.name)
        elif isinstance(event, ScenarioFinished):
            if self._progress is not None and self._task is not None:
                self._progress.advance(self._task)
        elif isinstance(event, RunFinished):
            self._stop()
            self.print_summary(event.results, event.wall_seconds)

    def _start(self, total: int) -> None:
        if not (self.show_progress and self.console.is_terminal) or self._progress is not None:
            return
        self._progress = Progress(
            TextColumn("[bold]scenarios"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}", style="dim"),
            console=self.console,
            transient=True,
        )
        self._task = self._progress.add_task("", total=total)
        self._progress.start()

    def _stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = self._task = None

    # the end of the run ------------------------------------------------------------------
    def print_summary(self, results: list[ScenarioResult], wall_seconds: float) -> None:
        console = self.console
        if results:
            console.print(self._table(results))
        for result in results:
            if result.status != "passed":
                console.print(self._failure(result))
        counts = summarize(results)
        line = Text(f"\n{counts['total']} scenario{'s' * (counts['total'] != 1)}: ")
        line.append(f"{counts['passed']} passed", style="green")
        if counts["failed"]:
            line.append(f", {counts['failed']} failed", style="bold red")
        if counts["errors"]:
            errors = counts["errors"]
            line.append(f", {errors} error{'s' * (errors != 1)}", style="bold yellow")
        if counts["not_applicable"]:
            line.append(f", {counts['not_applicable']} not applicable", style="magenta")
        virtual = sum(r.virtual_seconds for r in results)
        covered = f"{format_duration(virtual)} of virtual time" if virtual else "no virtual time"
        line.append(f" · {covered} in {format_wall(wall_seconds)}")
        console.print(line)

    @staticmethod
    def _table(results: list[ScenarioResult]) -> Table:
        table = Table(title=None, header_style="bold", expand=False)
        table.add_column("#", justify="right", style="dim")
        table.add_column("Scenario", overflow="fold")
        table.add_column("Result")
        table.add_column("Virtual time", justify="right")
        table.add_column("Wall time", justify="right")
        for number, result in enumerate(results, 1):
            table.add_row(
                str(number),
                Text(result.name),
                Text(result.status, style=_STYLE.get(result.status, "")),
                format_duration(result.virtual_seconds),
                format_wall(result.wall_seconds),
            )
        return table

    @staticmethod
    def _failure(result: ScenarioResult) -> Group:
        title = Text("\n")
        title.append(f"{result.status.upper()} ", style=_STYLE.get(result.status, ""))
        title.append(result.name, style="bold")
        title.append(f"  ({result.file})", style="dim")
        parts: list[object] = [title]
        if result.error:
            parts.append(Padding(Text(result.error), (0, 0, 0, 2)))
        if result.not_applicable:
            parts.append(Padding(Text(f"not applicable: {result.not_applicable}"), (0, 0, 0, 2)))
        for expectation in result.expectations:
            if expectation.status == "not-applicable":
                parts.append(Padding(_not_applicable(expectation), (0, 0, 0, 2)))
            elif not expectation.passed:
                parts.append(Padding(_expectation(expectation), (0, 0, 0, 2)))
        parts.append(Padding(Text.assemble(("Reproduce: ", "dim"), result.reproduce), (0, 0, 0, 2)))
        return Group(*parts)  # type: ignore[arg-type]


def _not_applicable(e: ExpectationResult) -> Text:
    text = Text.assemble(("– ", "magenta"), (e.description, "bold"), ": not applicable, ")
    text.append(e.not_applicable or "")
    if e.source is not None:
        text.append(f"  ({e.source.label()})", style="cyan")
    return text


def _expectation(e: ExpectationResult) -> Group:
    head = Text.assemble(("✗ ", "bold red"), (e.description, "bold"))
    head.append(f"  at {format_offset(e.t)}", style="dim")
    parts: list[object] = [head]
    if e.source is not None:
        parts.append(Text(e.source.label(), style="cyan"))
        parts.append(
            Syntax(
                e.source.text,
                "yaml",
                line_numbers=True,
                start_line=e.source.line,
                theme="ansi_dark",
                background_color="default",
                word_wrap=True,
            )
        )
    parts.append(Text.assemble(("expected: ", "dim"), format_value(e.expected)))
    parts.append(Text.assemble(("actual:   ", "dim"), format_value(e.actual)))
    if e.message:
        parts.append(Text(e.message))
    return Group(*parts)  # type: ignore[arg-type]
