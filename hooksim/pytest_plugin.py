"""hooksim's pytest plugin, registered through the `pytest11` entry point: installing hooksim
is enough.

pytest imports this module at the start of every run of every project that has hooksim
installed, so it stays small and imports nothing heavy: the fixtures (`hooksim._plugin._fixtures`)
import the simulator only when a test uses one, and scenario files are loaded only when a file
matches `hooksim_scenario_patterns`.

Options: `--hooksim-report DIR`, `--hooksim-seed N`, `--hooksim-profile NAME`, and target mode
(`--hooksim-target URL` with `--hooksim-client-id`/`--hooksim-client-secret`,
`--hooksim-environment`, `--hooksim-strict`): scenario items then run against that
implementation, as `hooksim run --target` does. Ini: `hooksim_scenario_patterns`.
Markers: `hooksim` (scenario items), `hooksim_settings(**changes)`, `hooksim_profile(name)`.
Hook: `pytest_hooksim_receivers(config)` binds scenario receivers to the project's own app or URL.
"""

from __future__ import annotations

import argparse
import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from hooksim._plugin._items import ScenarioFile

pytest_plugins = ["hooksim._plugin._fixtures"]

#: Files collected as YAML scenarios unless the `hooksim_scenario_patterns` ini option says.
DEFAULT_SCENARIO_PATTERNS = ("scenario_*.yaml", "*.scenario.yaml")


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, not {text!r}")
    return value


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from hooksim._plugin import _hookspecs

    pluginmanager.add_hookspecs(_hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hooksim", "hooksim (Atomic webhooks simulation)")
    group.addoption(
        "--hooksim-report",
        dest="hooksim_report",
        metavar="DIR",
        default=None,
        help="write the HTML conformance report (index.html) and results.json of the "
        "session's YAML scenarios into DIR, as `hooksim run --report DIR` does",
    )
    group.addoption(
        "--hooksim-seed",
        dest="hooksim_seed",
        metavar="N",
        type=_seed,
        default=None,
        help="seed for hooksim platforms (the hooksim_seed fixture) and for scenarios that "
        "name none (default: 0)",
    )
    group.addoption(
        "--hooksim-target",
        dest="hooksim_target",
        metavar="URL",
        default=None,
        help="run the YAML scenario items against this implementation of the platform "
        "(its API and control contract) instead of hooksim's own, as `hooksim run --target`",
    )
    group.addoption(
        "--hooksim-client-id",
        dest="hooksim_client_id",
        metavar="ID",
        default=None,
        help="the target's workbench client (default: $HOOKSIM_CLIENT_ID)",
    )
    group.addoption(
        "--hooksim-client-secret",
        dest="hooksim_client_secret",
        metavar="SECRET",
        default=None,
        help="its secret (default: $HOOKSIM_CLIENT_SECRET)",
    )
    group.addoption(
        "--hooksim-environment",
        dest="hooksim_environment",
        metavar="ENV",
        default=None,
        help="the target's environment to reset for each scenario (default: the client's)",
    )
    group.addoption(
        "--hooksim-strict",
        dest="hooksim_strict",
        action="store_true",
        default=False,
        help="a scenario that is not applicable where it runs fails instead of being skipped",
    )
    group.addoption(
        "--hooksim-profile",
        dest="hooksim_profile",
        metavar="NAME",
        default=None,
        help="platform profile for hooksim platforms (the hooksim_profile fixture) and for "
        "scenarios that name none: atomic (default), standard-webhooks, svix, stripe, github, "
        "or a profile file",
    )
    parser.addini(
        "hooksim_scenario_patterns",
        type="args",
        default=list(DEFAULT_SCENARIO_PATTERNS),
        help="glob patterns of files collected as hooksim YAML scenarios "
        f"(default: {' '.join(DEFAULT_SCENARIO_PATTERNS)}; empty: none)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "hooksim: a hooksim YAML scenario (set on items collected from scenario files)"
    )
    config.addinivalue_line(
        "markers",
        "hooksim_settings(settings=None, **changes): delivery settings for this test's "
        "hooksim_platform, applied over the hooksim_settings fixture "
        "(e.g. retry_base=1, disable_threshold=3)",
    )
    if config.getoption("hooksim_target", None):
        from hooksim._plugin._target import open_target

        open_target(config)
    config.addinivalue_line(
        "markers",
        "hooksim_profile(name): the platform profile of this test's hooksim_platform "
        "(standard-webhooks, svix, stripe, github, or a profile file)",
    )
    profile = config.getoption("hooksim_profile", None)
    if profile:
        from hooksim.scenarios import ScenarioInputError, load_profile

        try:
            load_profile(profile)
        except ScenarioInputError as exc:
            raise pytest.UsageError(f"--hooksim-profile: {exc.message}") from None
    directory = config.getoption("hooksim_report", None)
    if directory:
        from hooksim._plugin._report import REPORT_KEY, SessionReport

        report = SessionReport(config, directory)
        config.stash[REPORT_KEY] = report
        config.pluginmanager.register(report, "hooksim-report")


def pytest_report_header(config: pytest.Config) -> str | None:
    parts = []
    seed = config.getoption("hooksim_seed", None)
    if seed is not None:
        parts.append(f"seed {seed}")
    directory = config.getoption("hooksim_report", None)
    if directory:
        parts.append(f"report {directory}")
    target = config.getoption("hooksim_target", None)
    if target:
        parts.append(f"target {target}")
    profile = config.getoption("hooksim_profile", None)
    if profile:
        parts.append(f"profile {profile}")
    return f"hooksim: {', '.join(parts)}" if parts else None


def _matches(path: Path, patterns: list[str]) -> bool:
    posix = path.as_posix()
    for pattern in patterns:
        if "/" in pattern:
            if fnmatch.fnmatch(posix, pattern if pattern.startswith("*") else "*/" + pattern):
                return True
        elif fnmatch.fnmatch(path.name, pattern):
            return True
    return False


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ScenarioFile | None:
    if not _matches(file_path, parent.config.getini("hooksim_scenario_patterns")):
        return None
    from hooksim._plugin._items import ScenarioFile

    return ScenarioFile.from_parent(parent, path=file_path)
