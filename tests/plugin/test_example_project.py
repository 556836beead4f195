"""The example project (`tests/example_project/`) runs green as a pytest project of its own,
and a broken variant of its receiver (one that skips signature verification) fails with
messages that say what is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parent.parent / "example_project"
VERIFY = "    def signature_ok(self, body: bytes, signature: str | None) -> bool:\n"


def _copy_example(pytester: pytest.Pytester) -> Path:
    shutil.copytree(EXAMPLE, pytester.path, dirs_exist_ok=True, ignore=_ignored)
    return pytester.path


def _ignored(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name in ("__pycache__", ".pytest_cache")]


def test_the_example_project_runs_green_with_a_report(pytester):
    _copy_example(pytester)
    # A subprocess: a run of its own, importing its own `receiver_app` and `conftest`.
    result = pytester.runpytest_subprocess("--hooksim-report", "report", "-v")
    result.assert_outcomes(passed=7)
    result.stdout.fnmatch_lines(
        ["scenario_five_retries.yaml::Five retries, then undelivered PASSED*"]
    )
    assert "Five retries, then undelivered" in (pytester.path / "report/index.html").read_text()


def test_a_receiver_that_skips_verification_fails_with_useful_messages(pytester):
    project = _copy_example(pytester)
    source = (project / "receiver_app.py").read_text()
    assert VERIFY in source
    broken = source.replace(VERIFY, VERIFY + "        return True  # verification skipped\n")
    (project / "receiver_app.py").write_text(broken)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=5, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: acted on a forged delivery:",
            "*+0:00:00  attempt 1     event *  -> 200 success",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*rejects-invalid-signature: FAIL: accepted a forged signature*",
            "*signed with another secret: POST * -> 200*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "FAILED test_card_receiver.py::test_a_delivery_signed_with_another_secret_is_refused*",
            "FAILED test_card_receiver.py::test_the_receiver_passes_the_conformance_kit*",
        ]
    )
