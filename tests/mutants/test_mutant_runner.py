"""The mutant runner cannot rot: a known-killed and a known-equivalent mutant, run on one
library scenario, come out killed and surviving; the working tree is never touched; a stale
or malformed catalogue stops everything with the entry named. The full run is
`make mutants`, never part of the tests.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from mutants._catalogue import (  # noqa: E402
    CatalogueError,
    Mutant,
    check_targets,
    load_catalogue,
)
from mutants._run import assemble  # noqa: E402

pytestmark = pytest.mark.clause("SIGN-HMAC", "FILTER-TYPES")


def _mutants(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mutants", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_killed_and_an_equivalent_mutant_on_one_scenario(tmp_path: Path) -> None:
    mutated = REPO / "simulator" / "_writer.py"  # where sign-upper-case is planted
    before = _digest(mutated)
    out = tmp_path / "mutants.json"
    done = _mutants(
        "sign-upper-case",
        "routes-prefilter-widened",
        "-k",
        "custom-headers",
        "--json",
        str(out),
        "--min-kill-rate",
        "100",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(out.read_text())
    fates = {o["id"]: (o["status"], o["failed_scenarios"]) for o in summary["outcomes"]}
    assert fates == {
        "sign-upper-case": ("killed", ["library/custom-headers.yaml"]),
        "routes-prefilter-widened": ("survived", []),
    }
    assert (summary["judged"], summary["killed"], summary["kill_rate"]) == (1, 1, 100.0)
    assert [e["id"] for e in summary["equivalent"]] == ["routes-prefilter-widened"]
    assert "Kill rate: 1/1 = 100.0%" in done.stdout
    assert _digest(mutated) == before  # the working tree was never edited


def test_a_stale_mutant_fails_loudly_before_anything_runs(tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(
        "- id: gone\n"
        "  file: simulator/_rules.py\n"
        "  old: 'delay = settings.retry_base * 3'\n"
        "  new: 'delay = 0'\n"
        "  description: a line that was refactored away\n"
        "  clause: RETRY-SCHEDULE\n"
    )
    done = _mutants("--catalogue", str(catalogue), "--json", str(tmp_path / "out.json"))
    assert done.returncode == 2
    assert "STALE mutant 'gone': simulator/_rules.py no longer contains" in done.stderr
    assert "no mutant was run" in done.stderr
    assert not (tmp_path / "out.json").exists()


def test_the_bundled_catalogue_is_on_target_and_big_enough() -> None:
    mutants = load_catalogue()
    check_targets(mutants, REPO)
    assert len([m for m in mutants if m.equivalent is None]) >= 60
    assert len({m.clause for m in mutants}) >= 25


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("- {id: x, file: simulator/a.py, old: a, new: b, clause: C}\n", "missing description"),
        ("- {id: x, file: ../x.py, old: a, new: b, description: d, clause: C}\n", "file must be"),
        ("- {id: x, file: simulator/a.py, old: a, new: a, description: d, clause: C}\n", "same"),
        ("- id: [unclosed\n", "not valid YAML"),
    ],
)
def test_a_malformed_catalogue_is_refused_clearly(tmp_path: Path, text: str, words: str) -> None:
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(text)
    with pytest.raises(CatalogueError, match=words):
        load_catalogue(catalogue)


def test_an_ambiguous_target_is_refused(tmp_path: Path) -> None:
    (tmp_path / "simulator").mkdir()
    (tmp_path / "simulator" / "_x.py").write_text("a = 1\na = 1\n")
    mutant = Mutant("twice", "simulator/_x.py", "a = 1", "a = 2", "d", "C")
    with pytest.raises(CatalogueError, match="AMBIGUOUS mutant 'twice'.*2 times"):
        check_targets([mutant], tmp_path)


def test_the_copy_is_laid_out_as_the_installed_package(tmp_path: Path) -> None:
    copy = assemble(tmp_path / "package")
    assert (copy / "hooksim" / "cli.py").is_file()
    assert (copy / "hooksim" / "simulator" / "_platform.py").is_file()
    assert (copy / "hooksim" / "scenarios" / "library" / "custom-headers.yaml").is_file()
    assert not list(copy.rglob("__pycache__"))
