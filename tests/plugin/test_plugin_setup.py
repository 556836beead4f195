"""How the plugin is installed and configured: the pytest11 entry point, options and ini in
`pytest --help`, registered markers, and an import that stays light."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib import metadata

import pytest

#: Modules the plugin must not import until a fixture or a scenario file needs them.
HEAVY = ("werkzeug", "jinja2", "schemathesis", "yaml", "urllib3", "rich", "jsonschema")
HEAVY_HOOKSIM = ("hooksim.simulator", "hooksim.scenarios", "hooksim.reports", "hooksim._kit")


def test_registered_through_the_pytest11_entry_point():
    [entry] = [e for e in metadata.entry_points(group="pytest11") if e.name == "hooksim"]
    assert entry.value == "hooksim.pytest_plugin"


def test_help_lists_the_options_and_the_ini_setting(pytester):
    result = pytester.runpytest_inprocess("--help")
    result.stdout.fnmatch_lines(
        [
            "hooksim (Atomic webhooks simulation):",
            "  --hooksim-report=DIR*",
            "  --hooksim-seed=N*",
        ]
    )
    result.stdout.fnmatch_lines(["  hooksim_scenario_patterns (args):*"])


def test_markers_are_registered_and_clean_under_strict_markers(pytester):
    result = pytester.runpytest_inprocess("--markers")
    result.stdout.fnmatch_lines(
        ["@pytest.mark.hooksim: a hooksim YAML scenario*", "@pytest.mark.hooksim_settings(*"]
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hooksim_settings(disable_threshold=1)
        def test_marked(hooksim_platform):
            assert hooksim_platform.settings.disable_threshold == 1

        @pytest.mark.hooksim
        def test_hooksim_marker(): pass
        """
    )
    pytester.makefile(".yaml", scenario_x="name: X\nsteps:\n  - advance: 1s\n")
    result = pytester.runpytest_inprocess("--strict-markers", "-W", "error")
    result.assert_outcomes(passed=3)


def test_the_report_header_shows_the_seed_and_report(pytester):
    pytester.makepyfile("def test_a(): pass")
    result = pytester.runpytest_inprocess("--hooksim-seed", "3", "--hooksim-report", "r")
    result.stdout.fnmatch_lines(["hooksim: seed 3, report r"])
    assert "hooksim:" not in pytester.runpytest_inprocess().stdout.str()


def test_disabling_the_plugin_removes_its_fixtures(pytester):
    pytester.makepyfile("def test_a(hooksim_platform): pass")
    result = pytester.runpytest_inprocess("-p", "no:hooksim")
    result.stdout.fnmatch_lines(["*fixture 'hooksim_platform' not found*"])


def _run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.strip()


def test_importing_the_plugin_imports_nothing_heavy():
    output = _run_python(
        f"""
        import sys
        import hooksim.pytest_plugin
        for name in hooksim.pytest_plugin.pytest_plugins:
            __import__(name)
        print(sorted(m for m in {HEAVY + HEAVY_HOOKSIM!r} if m in sys.modules))
        """
    )
    assert output == "[]"


def test_a_session_that_uses_no_fixture_imports_nothing_heavy(pytester, monkeypatch):
    """Only hooksim's plugin loaded (no other plugin imports werkzeug first): a session with a
    plain test and the plugin's options set up imports none of the heavy modules."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeconftest(
        f"""
        import sys

        def pytest_sessionfinish(session):
            loaded = sorted(m for m in {HEAVY + HEAVY_HOOKSIM!r} if m in sys.modules)
            print("HEAVY:", loaded)
        """
    )
    pytester.makepyfile("def test_plain(): pass")
    result = pytester.runpytest_subprocess("-p", "hooksim.pytest_plugin", "-s", "--hooksim-seed=1")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*HEAVY: []"])


@pytest.mark.parametrize("pattern", ["scenario_*.yaml", "*.scenario.yaml"])
def test_the_default_patterns(pattern):
    from hooksim.pytest_plugin import DEFAULT_SCENARIO_PATTERNS

    assert pattern in DEFAULT_SCENARIO_PATTERNS
