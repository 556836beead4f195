"""YAML scenarios collected as pytest items: pass, fail with the YAML lines and the reproduce
command (no Python traceback), invalid files as collection errors with file:line:column."""

from __future__ import annotations

import textwrap

import pytest

PASSING = """\
name: Retries until delivered
description: Two 500s, then a 200.
clauses: [RETRY-SCHEDULE]
receivers:
  shop:
    behaviour:
      - {requests: 1-2, status: 500}
      - 200
subscriptions:
  orders:
    receiver: shop
    types: [card-published]
steps:
  - publish: {type: card-published, id: evt-1}
  - advance: 1m
expect:
  - attempts: {event: evt-1, at: [0, 10s, 30s]}
  - delivered: {subscription: orders, events: [evt-1]}
"""

FAILING = """\
name: Expects too few attempts
receivers:
  shop:
    behaviour: [500]
subscriptions:
  orders:
    receiver: shop
    types: [card-published]
steps:
  - publish: {type: card-published, id: evt-1}
  - advance: 1m
expect:
  - delivered: {subscription: orders, events: []}
  - attempts:
      event: evt-1
      count: 2
"""

INVALID = """\
name: Typos
receivers:
  shop:
    behavior: [500]
steps:
  - publsh: {type: card-published}
"""


def test_a_passing_scenario_is_a_passing_item(pytester):
    pytester.makefile(".yaml", scenario_retries=PASSING)
    result = pytester.runpytest_inprocess("-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["scenario_retries.yaml::Retries until delivered PASSED*"])


def test_a_failing_scenario_shows_the_yaml_lines_and_the_reproduce_command(pytester):
    pytester.makefile(".yaml", scenario_too_few=FAILING)
    result = pytester.runpytest_inprocess("--hooksim-seed", "7")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ hooksim scenario: Expects too few attempts _*",
            "hooksim scenario 'Expects too few attempts' failed (scenario_too_few.yaml)",
            "",
            "x attempts of event evt-1: count 2  (checked at +0:01:00)",
            "  scenario_too_few.yaml:14:",
            "  14 |   - attempts:",
            "  15 |       event: evt-1",
            "  16 |       count: 2",
            '  expected: {"count": 2}',
            '  actual:   {"count": 3}',
            "*count: expected 2, got 3",
            "",
            "Delivery log (3 attempts):",
            "      +0:00:00  attempt 1     evt-1 -> orders: 500 http-error",
            "      +0:00:10  attempt 2     evt-1 -> orders: 500 http-error",
            "      +0:00:30  attempt 3     evt-1 -> orders: 500 http-error",
            "",
            "Reproduce: hooksim run scenario_too_few.yaml --seed 7",
            "*short test summary info*",
            "FAILED scenario_too_few.yaml::Expects too few attempts - hooksim scenario *",
        ]
    )
    output = result.stdout.str()
    assert "Traceback" not in output and "_items.py" not in output and "raise " not in output


def test_a_failure_after_a_day_shows_its_time_as_every_report_does(pytester):
    # One offset format everywhere (`hooksim.scenarios.format_offset`): days, then hh:mm:ss.
    late = FAILING.replace("advance: 1m", "advance: 26h")
    pytester.makefile(".yaml", scenario_late=late)
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["x attempts of event evt-1: count 2  (checked at +1d 02:00:00)"])


def test_a_scenario_that_cannot_run_shows_its_error(pytester):
    # How far `advance: idle` goes only the run knows: going back after it fails there.
    broken_step = FAILING.replace("advance: 1m", "advance: idle\n  - at: 10s")
    pytester.makefile(".yaml", scenario_error=broken_step)
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*scenario 'Expects too few attempts' error*", "error: *"])


def test_an_invalid_scenario_is_a_collection_error_with_file_line_and_column(pytester):
    pytester.makefile(".yaml", scenario_typos=INVALID)
    result = pytester.runpytest_inprocess()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR collecting scenario_typos.yaml*",
            "invalid hooksim scenario (2 problems):",
            "scenario_typos.yaml:4:5: receivers.shop.behavior: unknown key 'behavior' "
            "(did you mean 'behaviour'?)*",
            "scenario_typos.yaml:6:5: steps?0?.publsh: unknown key 'publsh' "
            "(did you mean 'publish'?); expected one of: at, every, until, publish, *",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_broken_yaml_is_a_collection_error_too(pytester):
    pytester.makefile(".yaml", scenario_broken="name: [unclosed\n")
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["scenario_broken.yaml:*:*: *"])


def test_both_default_patterns_are_collected_and_other_yaml_is_not(pytester):
    pytester.makefile(".yaml", scenario_a=PASSING)
    pytester.makefile(".scenario.yaml", b=PASSING.replace("Retries", "B retries"))
    pytester.makefile(".yaml", config="not: [a scenario\n")
    (pytester.path / "scenario_c.scenario.yaml").write_text(PASSING.replace("Retries", "C"))
    result = pytester.runpytest_inprocess("--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "b.scenario.yaml::B retries until delivered",
            "scenario_a.yaml::Retries until delivered",
            "scenario_c.scenario.yaml::C until delivered",
            "3 tests collected*",
        ]
    )


def test_the_patterns_are_an_ini_option(pytester):
    pytester.makeini("[pytest]\nhooksim_scenario_patterns = flows/*.yml\n")
    pytester.makefile(".yaml", scenario_ignored=PASSING)
    flows = pytester.mkdir("flows")
    (flows / "retries.yml").write_text(PASSING)
    result = pytester.runpytest_inprocess("--collect-only", "-q")
    result.stdout.fnmatch_lines(["flows/retries.yml::Retries until delivered", "1 test collected*"])


def test_an_empty_pattern_list_collects_no_scenario(pytester):
    pytester.makeini("[pytest]\nhooksim_scenario_patterns =\n")
    pytester.makefile(".yaml", scenario_a=PASSING)
    result = pytester.runpytest_inprocess("--collect-only", "-q")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_scenarios_carry_the_hooksim_marker_and_their_clauses_as_keywords(pytester):
    pytester.makefile(".yaml", scenario_a=PASSING)
    pytester.makefile(".yaml", scenario_b=FAILING)
    pytester.makepyfile("def test_python(): pass")
    result = pytester.runpytest_inprocess("-m", "hooksim", "--strict-markers", "-q")
    result.assert_outcomes(passed=1, failed=1, deselected=1)
    result = pytester.runpytest_inprocess("-k", "RETRY-SCHEDULE", "-q")
    result.assert_outcomes(passed=1, deselected=2)


def test_reportinfo_points_at_the_yaml_file(pytester):
    pytester.makefile(".yaml", scenario_a=PASSING)
    [item], _ = pytester.inline_genitems()
    path, line, description = item.reportinfo()
    assert (path.name, line, description) == (
        "scenario_a.yaml",
        0,
        "hooksim scenario: Retries until delivered",
    )
    assert item.location == ("scenario_a.yaml", 0, "hooksim scenario: Retries until delivered")


def test_the_reproduce_command_names_the_file_from_where_pytest_ran(pytester):
    sub = pytester.mkdir("flows")
    (sub / "scenario_x.yaml").write_text(FAILING)
    result = pytester.runpytest_inprocess("flows")
    result.stdout.fnmatch_lines(["Reproduce: hooksim run flows/scenario_x.yaml --seed 0"])


def test_a_scenario_seed_wins_over_the_command_line(pytester):
    pytester.makefile(".yaml", scenario_seeded=textwrap.dedent(FAILING) + "seed: 3\n")
    result = pytester.runpytest_inprocess("--hooksim-seed", "9")
    result.stdout.fnmatch_lines(["Reproduce: hooksim run scenario_seeded.yaml --seed 3"])
