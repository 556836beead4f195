"""`hooksim run`: run YAML scenarios against the embedded reference platform.

Exit status: 0 every scenario passed, 1 an expectation failed (or a scenario could not run
to its end), 2 bad input (an unknown path, an invalid scenario, a bad -k), with the problems
printed as `file:line:column: path: what was expected` and no traceback.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from hooksim.scenarios import (
    Consumer,
    Runner,
    ScenarioInputError,
    discover,
    keyword_filter,
    load_all,
    load_profile,
)

__all__ = ["run"]

DEFAULT_REPORT_DIR = "hooksim-report"


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, metavar="[PATH ...]")
@click.option("-k", "keyword", metavar="EXPR", help="Only scenarios whose name or file match.")
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    help="Seed for scenarios that do not name their own.",
)
@click.option(
    "--report",
    "report_dir",
    default=DEFAULT_REPORT_DIR,
    show_default=True,
    metavar="DIR",
    help="Folder for the HTML report (and results.json unless --json says otherwise).",
)
@click.option("--junit", "junit_path", metavar="FILE", help="Also write JUnit XML here.")
@click.option("--json", "json_path", metavar="FILE", help="Write the JSON results here.")
@click.option("--fail-fast", is_flag=True, help="Stop after the first scenario that fails.")
@click.option(
    "--profile",
    metavar="NAME|FILE",
    help="Platform profile for scenarios that name none: atomic (the default), "
    "standard-webhooks, svix, stripe, github, or a profile file.",
)
def run(
    paths: tuple[str, ...],
    keyword: str | None,
    seed: int | None,
    report_dir: str,
    junit_path: str | None,
    json_path: str | None,
    fail_fast: bool,
    profile: str | None,
) -> None:
    """Run scenario files or folders (none: the bundled library) and write a report."""
    from hooksim.reports import HtmlReportWriter, JsonResultsWriter, JUnitWriter, TerminalReporter

    console = Console()
    errors = Console(stderr=True)
    try:
        if Path(report_dir).exists() and not Path(report_dir).is_dir():
            raise ScenarioInputError(f"--report {report_dir}: exists and is not a folder")
        if profile is not None:
            load_profile(profile)  # refused before anything runs
        scenarios = load_all(discover(paths))
        if keyword is not None:
            selected = keyword_filter(keyword)
            scenarios = [s for s in scenarios if selected(s)]
            if not scenarios:
                raise ScenarioInputError(f"-k {keyword!r}: no scenario matches")
    except ScenarioInputError as exc:
        for line in exc.message.splitlines():
            errors.print(line, markup=False, highlight=False, soft_wrap=True)
        count = max(1, len(exc.problems))
        errors.print(f"{count} problem{'s' * (count != 1)}; nothing was run.", markup=False)
        raise SystemExit(2) from None

    html = HtmlReportWriter(report_dir)
    consumers: list[Consumer] = [
        TerminalReporter(console),
        JsonResultsWriter(json_path or Path(report_dir) / "results.json"),
        html,
    ]
    if junit_path:
        consumers.append(JUnitWriter(junit_path))
    try:
        finished = Runner(consumers).run(scenarios, seed=seed, fail_fast=fail_fast, profile=profile)
    except OSError as exc:  # a report or results file that cannot be written
        errors.print(f"cannot write the results: {exc}", markup=False, highlight=False)
        raise SystemExit(2) from None
    if html.path is not None:
        console.print(f"Report: {html.path}", markup=False, highlight=False)
    raise SystemExit(0 if finished.passed else 1)
