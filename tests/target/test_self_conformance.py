"""The whole bundled library in target mode against `hooksim serve` started as a separate
process: every scenario passes there as it does in process, and the report says which
implementation and version it judged. A planted-defect target fails exactly the scenarios
that cover the defect."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pytest
from hooksim.scenarios import library_files, load_all

from .conftest import CLIENT_ID, CLIENT_SECRET, ENTRY, Target

pytestmark = [
    pytest.mark.served,
    pytest.mark.clause(
        "SIM-CAPABILITIES", "SIM-RESET", "SIM-CLOCK", "SIM-LATENCY", "SIM-DELIVERY-STATES"
    ),
]

REPO = Path(__file__).resolve().parents[2]
LIBRARY = load_all(library_files())


def _results(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text())


def test_the_whole_library_passes_against_hooksim_serve(
    start_target: Callable[..., Target], tmp_path: Path
) -> None:
    target = start_target()
    done = target.run(
        "--report", str(tmp_path / "report"), "--junit", str(tmp_path / "junit.xml"), cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    document = _results(tmp_path / "report" / "results.json")
    statuses = {s["file"]: s["status"] for s in document["scenarios"]}
    assert len(statuses) == len(LIBRARY)
    # Every Atomic scenario passes; those of another sender's profile can only be
    # not-applicable: the control contract drives platforms of the Atomic Webhooks API.
    other_senders = {s.file for s in LIBRARY if s.profile not in (None, "atomic")}
    assert other_senders, "the library has profile scenarios: this test would prove less"
    assert {f for f, s in statuses.items() if s != "passed"} == other_senders, statuses
    reasons = {s["file"]: s["not_applicable"] for s in document["scenarios"]}
    for file in other_senders:
        assert statuses[file] == "not-applicable"
        assert "runs on hooksim's own platform only" in reasons[file]
    # The judged implementation and its version, in every report.
    version = metadata.version("hooksim")
    assert document["target"] == {
        "url": target.url,
        "implementation": f"hooksim {version}",
        "contract": "hooksim-control/1",
    }
    html = (tmp_path / "report" / "index.html").read_text()
    assert f"<strong>hooksim {version}</strong> at <code>{target.url}</code>" in html
    assert f"Judging hooksim {version} at {target.url}" in done.stdout
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    assert suite.get("tests") == str(len(LIBRARY))
    assert suite.get("skipped") == str(len(other_senders))
    # Every scenario was judged by the independent delivery judge and the record check too.
    for scenario in document["scenarios"]:
        if scenario["file"] in other_senders:
            continue
        described = {e["description"] for e in scenario["expectations"]}
        assert any(d.startswith("every delivery conforms") for d in described)
        assert "the target's delivery records agree with what its receivers saw" in described


def test_a_planted_defect_fails_exactly_the_scenarios_that_cover_it(
    start_target: Callable[..., Target], tmp_path: Path
) -> None:
    sys.path.insert(0, str(REPO))
    from mutants._catalogue import load_catalogue

    planted = {
        m.id: m
        for m in load_catalogue()
        if m.id in ("retry-after-added-to-backoff", "filter-action-flow-ignored")
    }
    assert len(planted) == 2
    target = start_target(list(planted.values()), tmp_path)
    done = target.run("--report", str(tmp_path / "report"), cwd=tmp_path)
    assert done.returncode == 1, done.stdout[-4000:]
    document = _results(tmp_path / "report" / "results.json")
    failed = sorted(s["file"] for s in document["scenarios"] if s["status"] == "failed")
    covering = sorted(
        s.file for s in LIBRARY if {"RETRY-AFTER", "FILTER-ACTION-FLOW"} & set(s.clauses)
    )
    assert failed == covering

    # The command printed to reproduce a failure runs it where it failed: against the same
    # target (its client's secret left to the environment, never printed), and fails again
    # there; without `--target` it would run on hooksim's own platform and pass.
    first = failed[0]
    (command,) = {
        line.split("Reproduce: ", 1)[1].strip()
        for line in done.stdout.splitlines()
        if "Reproduce: " in line and f"run {first} " in line
    }
    assert command.endswith(f"--target {target.url}"), command
    assert CLIENT_SECRET not in done.stdout + (tmp_path / "report" / "results.json").read_text()
    again = subprocess.run(
        [sys.executable, "-c", ENTRY, *shlex.split(command)[1:], "--report", str(tmp_path / "re")],
        cwd=tmp_path,
        env={
            **os.environ,
            "HOOKSIM_CLIENT_ID": CLIENT_ID,
            "HOOKSIM_CLIENT_SECRET": CLIENT_SECRET,
            "NO_COLOR": "1",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 1, again.stdout[-3000:] + again.stderr[-2000:]
    assert "1 scenario: 0 passed, 1 failed" in again.stdout, again.stdout[-3000:]
