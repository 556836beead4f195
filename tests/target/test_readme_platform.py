"""README "Check your own platform": its command, as written, against `hooksim serve`
started the way the README starts it (on a free port instead of 8080)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from _docs import ROOT, marked_block

from .conftest import CLIENT_ID, CLIENT_SECRET, Target

pytestmark = [pytest.mark.served, pytest.mark.clause("SIM-CAPABILITIES", "SIM-RESET")]

BLOCK = marked_block(ROOT / "README.md", "check-your-own-platform")


def test_the_readme_commands_judge_a_served_platform(
    start_target: Callable[..., Target], tmp_path: Path
) -> None:
    script = BLOCK.code
    assert "http://127.0.0.1:8080" in script, BLOCK.where
    assert "--client-id ci " in script and "HOOKSIM_CLIENT_SECRET=ci-secret-value" in script
    target = start_target()
    # The README's client becomes the fixture's; its port the free one the target got.
    script = (
        script.replace("http://127.0.0.1:8080", target.url)
        .replace("--client-id ci ", f"--client-id {CLIENT_ID} ")
        .replace("ci-secret-value", CLIENT_SECRET)
        .replace("--report conformance/", "-k outage-then-recovery --report conformance/")
    )
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"], "NO_COLOR": "1"}
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    results = json.loads((tmp_path / "conformance" / "results.json").read_text())
    assert results["target"]["url"] == target.url
    assert results["summary"]["passed"] == results["summary"]["total"] >= 1
    assert (tmp_path / "conformance" / "junit.xml").exists()
