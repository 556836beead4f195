"""`hooksim run`: run YAML scenarios against the embedded reference platform, or against
another implementation of it (`--target URL`, through its API and control contract).

Exit status: 0 nothing failed, 1 an expectation failed (or a scenario could not run to its
end; with `--strict`, also a scenario that was not applicable), 2 bad input (an unknown path,
an invalid scenario, a bad -k, a target that cannot be driven), with the problems printed as
`file:line:column: path: what was expected` and no traceback.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import click
from rich.console import Console

from hooksim.scenarios import (
    Binding,
    Consumer,
    Runner,
    Scenario,
    ScenarioFile,
    ScenarioInputError,
    Session,
    TargetError,
    TargetSession,
    did_you_mean,
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
    metavar="DIR",
    help="Folder for the HTML report (and results.json unless --json says otherwise). "
    f"Default: ./{DEFAULT_REPORT_DIR}, or, when the current folder holds the scenario files, "
    f"~/.cache/hooksim/{DEFAULT_REPORT_DIR} (its path is printed).",
)
@click.option("--junit", "junit_path", metavar="FILE", help="Also write JUnit XML here.")
@click.option("--json", "json_path", metavar="FILE", help="Write the JSON results here.")
@click.option("--fail-fast", is_flag=True, help="Stop after the first scenario that fails.")
@click.option(
    "--target",
    metavar="URL",
    help="Run against this implementation (its management API and control contract, "
    "contracts/CONTROL.md) instead of hooksim's own platform.",
)
@click.option(
    "--client-id",
    envvar="HOOKSIM_CLIENT_ID",
    metavar="ID",
    help="The target's workbench client (or HOOKSIM_CLIENT_ID).",
)
@click.option(
    "--client-secret",
    envvar="HOOKSIM_CLIENT_SECRET",
    metavar="SECRET",
    help="Its secret (or HOOKSIM_CLIENT_SECRET, which keeps it out of the process list).",
)
@click.option(
    "--environment",
    metavar="ENV",
    help="The target's environment to reset for each scenario (default: the client's).",
)
@click.option(
    "--receiver",
    "receiver_bindings",
    multiple=True,
    metavar="NAME=URL",
    help="Deliver what goes to the scenarios' receiver NAME to your own endpoint at URL "
    "(repeatable); it answers for itself instead of its scripted behaviour.",
)
@click.option(
    "--effects",
    "effects_bindings",
    multiple=True,
    metavar="NAME=URL",
    help="The effects probe of the real receiver NAME (what it acted on, by data.id).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="A scenario that is not applicable (the target lacks what it needs) fails the run.",
)
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
    report_dir: str | None,
    junit_path: str | None,
    json_path: str | None,
    fail_fast: bool,
    target: str | None,
    client_id: str | None,
    client_secret: str | None,
    environment: str | None,
    receiver_bindings: tuple[str, ...],
    effects_bindings: tuple[str, ...],
    strict: bool,
    profile: str | None,
) -> None:
    """Run scenario files or folders (none: the bundled library) and write a report."""
    from hooksim.reports import HtmlReportWriter, JsonResultsWriter, JUnitWriter, TerminalReporter

    console = Console()
    errors = Console(stderr=True)
    try:
        files = discover(paths)
        if report_dir is None:
            report_dir = str(default_report_dir(paths, files))
        if Path(report_dir).exists() and not Path(report_dir).is_dir():
            raise ScenarioInputError(f"--report {report_dir}: exists and is not a folder")
        if profile is not None:
            load_profile(profile)  # refused before anything runs
        scenarios = load_all(files)
        if keyword is not None:
            selected = keyword_filter(keyword)
            scenarios = [s for s in scenarios if selected(s)]
            if not scenarios:
                raise ScenarioInputError(f"-k {keyword!r}: no scenario matches")
        bindings = _bindings(receiver_bindings, effects_bindings, scenarios)
        session = _session(target, client_id, client_secret, environment)
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
        finished = Runner(consumers, session=session, receivers=bindings).run(
            scenarios, seed=seed, fail_fast=fail_fast, profile=profile
        )
    except OSError as exc:  # a report or results file that cannot be written
        errors.print(f"cannot write the results: {exc}", markup=False, highlight=False)
        raise SystemExit(2) from None
    finally:
        if session is not None:
            session.close()
    if html.path is not None:
        console.print(f"Report: {html.path}", markup=False, highlight=False)
    failed = not finished.passed or (strict and finished.not_applicable > 0)
    raise SystemExit(1 if failed else 0)


def _pairs(given: tuple[str, ...], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in given:
        name, sep, url = item.partition("=")
        if not sep or not name or not url:
            raise ScenarioInputError(f"{option} {item!r}: write NAME=URL")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ScenarioInputError(f"{option} {item!r}: give an http:// or https:// URL")
        if name in pairs:
            raise ScenarioInputError(f"{option} {name}: given twice")
        pairs[name] = url
    return pairs


def _bindings(
    receivers: tuple[str, ...], effects: tuple[str, ...], scenarios: list[Scenario]
) -> dict[str, Binding]:
    """`--receiver NAME=URL` and `--effects NAME=URL`: each NAME a receiver some scenario of
    the run declares (a typo would otherwise leave the scripted one in place, silently)."""
    urls, probes = _pairs(receivers, "--receiver"), _pairs(effects, "--effects")
    declared = {name for scenario in scenarios for name in scenario.receivers}
    for option, names in (("--receiver", urls), ("--effects", probes)):
        for name in names:
            if name not in declared:
                hint = did_you_mean(name, declared)
                raise ScenarioInputError(
                    f"{option} {name}: no scenario of this run declares receiver {name!r}{hint}"
                )
    for name in probes:
        if name not in urls and not any(
            s.receivers[name].url for s in scenarios if name in s.receivers
        ):
            raise ScenarioInputError(
                f"--effects {name}: goes with a real receiver (--receiver {name}=URL or url:)"
            )
    return {name: Binding(url, effects_url=probes.get(name)) for name, url in urls.items()} | {
        name: Binding(_declared_url(name, scenarios), effects_url=url)
        for name, url in probes.items()
        if name not in urls
    }


def _declared_url(name: str, scenarios: list[Scenario]) -> str:
    """The URL a scenario declares for receiver `name` (only its probe is given)."""
    urls = [s.receivers[name].url for s in scenarios if name in s.receivers]
    return next(str(url) for url in urls if url)


def _session(
    target: str | None, client_id: str | None, client_secret: str | None, environment: str | None
) -> Session | None:
    """The target's session (None: hooksim's own platform); usage problems exit 2."""
    if target is None:
        for given, name in ((client_id, "--client-id"), (environment, "--environment")):
            if given:
                raise ScenarioInputError(f"{name} goes with --target URL")
        return None
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ScenarioInputError(f"--target {target!r}: give an http:// or https:// URL")
    if not client_id or not client_secret:
        raise ScenarioInputError(
            "--target needs the target's workbench client: --client-id and --client-secret "
            "(or HOOKSIM_CLIENT_ID and HOOKSIM_CLIENT_SECRET)"
        )
    try:
        return TargetSession(
            target, client_id=client_id, client_secret=client_secret, environment=environment
        )
    except TargetError as exc:
        raise ScenarioInputError(exc.message) from None


def default_report_dir(
    paths: Sequence[str], files: Sequence[ScenarioFile], cwd: Path | None = None
) -> Path:
    """`hooksim-report/` in the current folder, unless that would put it among the scenario
    files being run (the current folder is, or is inside, a folder given or the folder of a
    file run): then the user's cache folder, `$XDG_CACHE_HOME/hooksim/hooksim-report`."""
    here = (cwd or Path.cwd()).resolve()
    folders = {Path(given).resolve() for given in paths if Path(given).is_dir()}
    folders |= {Path(str(f.source)).resolve().parent for f in files}
    if any(here == folder or folder in here.parents for folder in folders):
        cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return Path(cache) / "hooksim" / DEFAULT_REPORT_DIR
    return Path(DEFAULT_REPORT_DIR)
