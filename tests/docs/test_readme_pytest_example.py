"""The README's pytest example, saved as `test_webhooks.py` in a project of its own and run
with pytest as the README says: it passes. Without `path=` its conformance test fails, and the
failure names the option; a receiver that skips verification fails too."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from _docs import ROOT, marked_block
from _shell import bash

BLOCK = marked_block(ROOT / "README.md", "pytest-example")
KIT_CALL = "app, secret=SECRET, path=ROUTE, count_effects=lambda: dict(app.effects)"
VERIFY = "        if not hmac.compare_digest(expected, "


def _run(tmp_path: Path, code: str) -> subprocess.CompletedProcess[str]:
    """`pytest test_webhooks.py` in a folder of its own, as a user runs it."""
    assert BLOCK.language == "python" and code.startswith("# test_webhooks.py\n")
    (tmp_path / "test_webhooks.py").write_text(code, encoding="utf-8")
    return bash("pytest -p no:cacheprovider test_webhooks.py", tmp_path)


def test_the_pytest_example_runs_as_written(tmp_path: Path) -> None:
    done = _run(tmp_path, BLOCK.code)
    assert done.returncode == 0, done.stdout[-4000:]
    assert "2 passed" in done.stdout


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (
            KIT_CALL,
            KIT_CALL.replace("path=ROUTE, ", ""),
            [
                "checks failed with 404 Not Found: the app was called at path '/'",
                "pass the path of its webhook route, path='/hooks/atomic'",
            ],
        ),
        (VERIFY, VERIFY.replace("if not", "if False and not"), ["rejects-invalid-signature: FAIL"]),
    ],
    ids=["without-path", "skipping-verification"],
)
def test_a_broken_variant_fails_saying_why(
    tmp_path: Path, old: str, new: str, words: list[str]
) -> None:
    """Without `path=` the kit's failure names the option; a receiver that skips
    verification fails the kit."""
    assert BLOCK.code.count(old) == 1, f"{BLOCK.where}: the line this changes changed"
    done = _run(tmp_path, BLOCK.code.replace(old, new))
    assert "1 failed, 1 passed" in done.stdout, done.stdout[-4000:]
    for text in words:
        assert text in done.stdout
