"""README "Check your own receiver": its Flask receiver, taken from the README as it is, is
served for real on 127.0.0.1 and graded by `hooksim check-receiver --effects-url` run as a
command. It passes every check; two mutants of that same code (no de-duplication, acting
before verifying) fail the check that guards against each, from the command line."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from _docs import ROOT, marked_block
from kit_receivers import Serve

from hooksim._kit import CHECK_IDS

pytestmark = [pytest.mark.served, pytest.mark.clause("AT-LEAST-ONCE", "SIGN-HMAC")]

BLOCK = marked_block(ROOT / "README.md", "check-your-own-receiver")
PATH = "/hooks/atomic"
PROBE = "/test/effects"
DEDUPE = "if data_id not in effects:"


def without_dedupe(code: str) -> str:
    """The README receiver acting on every copy."""
    assert code.count(DEDUPE) == 1, f"{BLOCK.where}: the dedupe line changed"
    return code.replace(DEDUPE, "if True:")


def acting_before_verifying(code: str) -> str:
    """The README receiver with its action moved above the signature check."""
    lines = code.splitlines()
    start = next(i for i, line in enumerate(lines) if "data_id = json.loads(body)" in line)
    end = next(i for i, line in enumerate(lines) if "effects[data_id] += 1" in line) + 1
    read = next(i for i, line in enumerate(lines) if "body = request.get_data()" in line)
    assert read < start < end, f"{BLOCK.where}: the receiver's steps changed order"
    action = lines[start:end]
    moved = lines[: read + 1] + action + lines[read + 1 : start] + lines[end:]
    return "\n".join(moved) + "\n"


def load(code: str, tmp_path: Path, name: str) -> ModuleType:
    """The code as a module from a real file (Flask finds its root from it)."""
    source = tmp_path / f"{name}.py"
    source.write_text(code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def grade(serve: Serve, module: ModuleType, tmp_path: Path) -> tuple[int, str, dict[str, Any]]:
    """`hooksim check-receiver URL --effects-url PROBE --json FILE` in a subprocess."""
    results = tmp_path / "results.json"
    with serve(module.app, PATH) as url:
        probe = url.removesuffix(PATH) + PROBE
        done = subprocess.run(
            [sys.executable, "-c", "from hooksim.cli import main; main()", "check-receiver",
             url, "--effects-url", probe, "--json", str(results), "--timeout", "5"],
            env={**os.environ, "HOOKSIM_RECEIVER_SECRET": module.SECRET.decode(),
                 "COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode in (0, 1), output
    document = json.loads(results.read_text(encoding="utf-8"))
    return done.returncode, output, {c["id"]: c for c in document["checks"]}


def test_the_readme_receiver_passes_every_check(serve: Serve, tmp_path: Path) -> None:
    assert BLOCK.language == "python"
    code, output, checks = grade(serve, load(BLOCK.code, tmp_path, "readme_receiver"), tmp_path)
    assert code == 0, output
    assert {check_id: checks[check_id]["status"] for check_id in CHECK_IDS} == dict.fromkeys(
        CHECK_IDS, "pass"
    )
    # The probe was read: the duplicated ids (in sequence, and both copies at once) count 1.
    effects = checks["idempotent-effects"]["evidence"]["details"]["effects_per_duplicated_id"]
    assert len(effects) >= 2 and set(effects.values()) == {1}, effects
    assert "0217309e-3c74-41b5-82e9-bd60e5db9bdb" not in output


@pytest.mark.parametrize(
    ("mutate", "failing", "words"),
    [
        (without_dedupe, "idempotent-effects", "2 copies, 2 effects"),
        (acting_before_verifying, "no-effects-when-rejected", "acted on"),
    ],
    ids=["without-dedupe", "acting-before-verifying"],
)
def test_a_mutant_of_the_readme_receiver_fails_its_check(
    serve: Serve, tmp_path: Path, mutate: Callable[[str], str], failing: str, words: str
) -> None:
    module = load(mutate(BLOCK.code), tmp_path, f"readme_receiver_{mutate.__name__}")
    code, output, checks = grade(serve, module, tmp_path)
    assert code == 1, output
    assert {check_id for check_id, c in checks.items() if c["status"] == "fail"} == {failing}
    assert words in checks[failing]["reason"]
    assert failing in output and "FAIL" in output
