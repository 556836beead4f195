"""`hooksim report RESULTS.json [--out DIR]`: render the HTML report again from saved results."""

from __future__ import annotations

from pathlib import Path

import click

from hooksim.reports import ResultsFileError, load_results, render_html

__all__ = ["report"]


class BadResults(click.ClickException):
    """A results file that cannot be read: bad input, so exit status 2 (not a traceback)."""

    exit_code = 2


@click.command("report")
@click.argument("results", metavar="RESULTS.json", type=click.Path(dir_okay=True, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("hooksim-report"),
    show_default=True,
    help="Folder to write index.html into.",
)
def report(results: Path, out_dir: Path) -> None:
    """Re-render the HTML report from RESULTS.json (as written by `hooksim run --json`)."""
    try:
        meta, scenario_results = load_results(results)
    except ResultsFileError as error:
        raise BadResults(str(error)) from None
    try:
        path = render_html(scenario_results, out_dir, meta=meta)
    except OSError as error:
        raise BadResults(f"cannot write the report into {out_dir}: {error.strerror}") from None
    click.echo(str(path))
