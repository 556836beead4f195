"""README "Receiving webhooks from another platform": its Flask receiver on the official
`standardwebhooks` library, taken from the README as it is, served for real on 127.0.0.1 and
graded by `hooksim check-receiver --profile standard-webhooks` run as a command. It passes every
check; without its de-duplication line it fails the two checks that guard against that."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from _docs import ROOT, marked_block
from kit_receivers import Serve
from test_readme_receiver import load

pytestmark = [pytest.mark.served, pytest.mark.clause("AT-LEAST-ONCE", "SIGN-HMAC")]

BLOCK = marked_block(ROOT / "README.md", "receive-standard-webhooks")
PATH = "/hooks/orders"
PROBE = "/test/effects"
DEDUPE = "if message_id not in seen:"


def grade(serve: Serve, module: ModuleType, tmp_path: Path) -> tuple[int, str, dict[str, Any]]:
    results = tmp_path / "results.json"
    with serve(module.app, PATH) as url:
        probe = url.removesuffix(PATH) + PROBE
        done = subprocess.run(
            [sys.executable, "-c", "from hooksim.cli import main; main()", "check-receiver",
             url, "--profile", "standard-webhooks", "--effects-url", probe,
             "--json", str(results), "--timeout", "5"],
            env={**os.environ, "HOOKSIM_RECEIVER_SECRET": module.SECRET, "COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode in (0, 1), output
    document = json.loads(results.read_text(encoding="utf-8"))
    assert document["profile"] == "standard-webhooks"
    return done.returncode, output, {c["id"]: c for c in document["checks"]}


def test_the_readme_profile_receiver_passes_every_check(serve: Serve, tmp_path: Path) -> None:
    assert BLOCK.language == "python"
    code, output, checks = grade(serve, load(BLOCK.code, tmp_path, "readme_sw"), tmp_path)
    assert code == 0, output
    assert {c["status"] for c in checks.values()} == {"pass"}
    assert {"rejects-future-timestamp", "accepts-rotated-secrets", "handles-replay-once"} <= set(
        checks
    )
    assert "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" not in output


def test_without_its_dedupe_line_it_fails_the_replay_checks(serve: Serve, tmp_path: Path) -> None:
    assert BLOCK.code.count(DEDUPE) == 1, f"{BLOCK.where}: the dedupe line changed"
    mutant = BLOCK.code.replace(DEDUPE, "if True:")
    code, output, checks = grade(serve, load(mutant, tmp_path, "readme_sw_mutant"), tmp_path)
    assert code == 1, output
    failed = {check_id for check_id, c in checks.items() if c["status"] == "fail"}
    assert failed == {"handles-replay-once", "idempotent-effects"}
