"""The package as users get it: the wheel is built from a copy of the sources without a
setuptools warning, ships every data file, and installed WITHOUT extras into a fresh venv
(`pip install hooksim`) its commands work and `hooksim run` runs the bundled library; a
scenario that needs an extra names the extra and the command that installs it.

One build and install for the whole run (about 15 s); pip resolves the runtime dependencies
from the configured package index, like any user's `pip install`.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hooksim.scenarios import discover, load_all, missing_extras

from hooksim.cli import _COMMANDS

pytestmark = pytest.mark.install

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (
    "pyproject.toml",
    "README.md",
    "hooksim",
    "simulator",
    "contracts",
    "scenarios",
    "reports",
)
#: What the extras bring: none of it may come with a plain install.
EXTRA_MODULES = ("pytest", "hypothesis", "botocore", "schemathesis")


@dataclass(frozen=True, slots=True)
class Installed:
    wheel: Path
    build_output: str
    venv: Path
    work: Path

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
        env.update(COLUMNS="200", PATH=f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
        return subprocess.run(
            args, cwd=self.work, env=env, capture_output=True, text=True, timeout=timeout
        )


def _copy_sources(into: Path) -> None:
    into.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=ignore)
        else:
            shutil.copy2(source, into / name)


def _build_and_install(base: Path) -> Installed:
    _copy_sources(base / "src")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(base / "dist"),
         str(base / "src")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = built.stdout + built.stderr
    assert built.returncode == 0, output[-4000:]
    (wheel,) = (base / "dist").glob("hooksim-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert pip.returncode == 0, (pip.stdout + pip.stderr)[-4000:]
    (base / "build-output.txt").write_text(output, encoding="utf-8")
    (base / "work").mkdir()
    return Installed(wheel, output, venv, base / "work")


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Installed:
    """One build and install for the whole run: under pytest-xdist the workers share it (the
    first one builds it while the others wait on a lock)."""
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent
    base = root / "packaging"
    with open(root / "packaging.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (base / "work").is_dir():
            shutil.rmtree(base, ignore_errors=True)
            base.mkdir()
            return _build_and_install(base)
    (wheel,) = (base / "dist").glob("hooksim-*.whl")
    output = (base / "build-output.txt").read_text(encoding="utf-8")
    return Installed(wheel, output, base / "venv", base / "work")


def test_the_wheel_builds_without_setuptools_warnings(installed: Installed) -> None:
    """ "Package would be ignored" is setuptools saying a data folder is shipped by accident
    (and will not be, some day); the same configuration is read by `pip install -e .`."""
    assert "would be ignored" not in installed.build_output
    assert "SetuptoolsDeprecationWarning" not in installed.build_output


def test_the_wheel_ships_every_data_file(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    expected = {
        f"hooksim/{folder}/{path.relative_to(ROOT / folder).as_posix()}"
        for folder, pattern in (
            ("contracts", "*.yaml"),
            ("contracts", "*.json"),
            ("contracts", "*.toml"),
            ("contracts", "*.md"),
            ("scenarios", "library/*.yaml"),
            ("scenarios", "*.json"),
            ("reports", "templates/*"),
        )
        for path in (ROOT / folder).glob(pattern)
    } | {f"hooksim/_kit/templates/{p.name}" for p in (ROOT / "hooksim/_kit/templates").iterdir()}
    assert "hooksim/contracts/schemathesis.toml" in expected
    assert expected - names == set()


def test_a_plain_install_brings_no_extra(installed: Installed) -> None:
    found = installed.run(
        "python", "-c",
        "import importlib.util as u, sys; "
        f"print(','.join(m for m in {EXTRA_MODULES!r} if u.find_spec(m)))",
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == ""


@pytest.mark.parametrize("command", sorted(_COMMANDS))
def test_every_command_starts(installed: Installed, command: str) -> None:
    shown = installed.run("hooksim", command, "--help")
    assert shown.returncode == 0, shown.stderr
    assert "Usage: hooksim" in shown.stdout


def test_fuzz_names_the_extra_it_needs(installed: Installed) -> None:
    done = installed.run("hooksim", "fuzz", "http://127.0.0.1:9")
    assert done.returncode == 2
    assert "schemathesis, which is not installed: pip install 'hooksim[fuzz]'" in done.stderr


def test_hooksim_run_runs_the_library_and_names_the_extras_it_lacks(installed: Installed) -> None:
    # A plain install runs the library: a scenario that needs a missing extra is reported
    # not applicable, with the extra and its install command, and nothing fails.
    done = installed.run("hooksim", "run", "--report", "report")
    needing = {
        scenario.file: missing_extras(scenario, installed=lambda extra: False)
        for scenario in load_all(discover([]))
    }
    needing = {file: missing for file, missing in needing.items() if missing}
    assert needing, "no bundled scenario needs an extra: this test would prove little"
    results = json.loads((installed.work / "report" / "results.json").read_text())
    statuses = {s["file"]: s["status"] for s in results["scenarios"]}
    assert len(statuses) == len(load_all(discover([])))
    assert {file for file, status in statuses.items() if status != "passed"} == set(needing)
    assert {statuses[file] for file in needing} == {"not-applicable"}
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    reasons = {s["file"]: s["not_applicable"] for s in results["scenarios"]}
    for file, missing in needing.items():
        for extra in missing:
            assert reasons[file] == extra.describe()
            assert extra.install_command in done.stdout
            assert extra.span.file == file
    assert "Traceback" not in done.stdout + done.stderr


def test_the_python_api_without_extras(installed: Installed) -> None:
    testing = installed.run("python", "-c", "import hooksim.testing, hooksim.scenarios")
    assert testing.returncode == 0, testing.stderr
    strategies = installed.run("python", "-c", "import hooksim.strategies")
    assert strategies.returncode == 1
    assert "hooksim.strategies needs Hypothesis: pip install 'hooksim[hypothesis]'" in (
        strategies.stderr
    )
