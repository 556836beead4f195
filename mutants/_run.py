"""Running mutants: each in an isolated copy of the package, judged by `hooksim run`.

The working tree is never edited. The installed package is assembled from its five source
folders (the mapping of `pyproject.toml`) into a temporary directory, the mutation is made
in that copy, and `hooksim run` runs in a subprocess with the copy first on PYTHONPATH.
The subprocess checks, before anything runs, that the module under mutation was imported
from the copy (not from the editable install); a run that imports the wrong code stops
everything, since its verdicts would mean nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ._catalogue import Mutant

__all__ = ["Outcome", "RunSettings", "assemble", "mutated_hooksim", "run_mutants"]

ROOT = Path(__file__).resolve().parent.parent
#: Source folder -> its place in the installed package (pyproject's package-dir).
PACKAGE_DIRS = {
    "hooksim": "hooksim",
    "simulator": "hooksim/simulator",
    "contracts": "hooksim/contracts",
    "scenarios": "hooksim/scenarios",
    "reports": "hooksim/reports",
}
#: Exit status of the bootstrap when the mutated module came from somewhere else.
NOT_ISOLATED = 97

# Runs in the subprocess: prove the copy is what gets imported, then be `hooksim run`.
_BOOTSTRAP = """
import importlib, os, sys
copy, module, marker = sys.argv[1], sys.argv[2], sys.argv[3]
loaded = importlib.import_module(module)
where = os.path.realpath(loaded.__file__)
source = open(where, encoding="utf-8").read()
if not where.startswith(os.path.realpath(copy) + os.sep) or marker not in source:
    print(f"not isolated: {module} was imported from {where}", file=sys.stderr)
    sys.exit(97)
from hooksim.cli import main
main(args=sys.argv[4:], prog_name="hooksim")
"""

Status = Literal["killed", "survived", "timeout", "crashed"]


@dataclass(frozen=True, slots=True)
class RunSettings:
    keyword: str | None = None  # -k for hooksim run
    timeout: float = 120.0
    jobs: int = 2
    python: str = sys.executable


@dataclass(slots=True)
class Outcome:
    mutant: Mutant | None  # None: the unmutated baseline
    status: Status
    exit_code: int | None
    seconds: float
    failed_scenarios: list[str] = field(default_factory=list)
    detail: str = ""

    @property
    def killed(self) -> bool:
        return self.status != "survived"

    def to_dict(self) -> dict[str, Any]:
        mutant = self.mutant
        return {
            "id": mutant.id if mutant else "(baseline)",
            "file": mutant.file if mutant else None,
            "clause": mutant.clause if mutant else None,
            "description": mutant.description if mutant else "the unmutated package",
            "equivalent": mutant.equivalent if mutant else None,
            "survives": mutant.survives if mutant else None,
            "status": self.status,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 3),
            "failed_scenarios": self.failed_scenarios,
            "detail": self.detail,
        }


class IsolationError(RuntimeError):
    """A run imported code from outside its copy: no verdict can be trusted."""


def assemble(destination: Path, root: Path = ROOT) -> Path:
    """The package as installed (`hooksim/...`), copied from the source folders into
    `destination`; answers the directory to put on PYTHONPATH."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder, target in PACKAGE_DIRS.items():
        shutil.copytree(root / folder, destination / target, ignore=ignore)
    return destination


def _module_of(file: str) -> str:
    folder, _, rest = file.partition("/")
    package = PACKAGE_DIRS[folder].replace("/", ".")
    name = rest.removesuffix(".py").replace("/", ".")
    if name.endswith("__init__"):
        name = name.removesuffix("__init__").rstrip(".")
    return f"{package}.{name}" if name else package


def mutated_hooksim(
    mutants: Sequence[Mutant], copy: Path, args: Sequence[str], python: str = sys.executable
) -> tuple[list[str], dict[str, str]]:
    """A `hooksim ARGS` command (and its environment) that runs from a fresh copy of the
    package at `copy` with these mutants planted, and checks first that the mutated code is
    what gets imported (exit NOT_ISOLATED otherwise); run it with `copy` as the working
    folder. A planted-defect platform to serve."""
    assemble(copy)
    module, marker = "hooksim.simulator", ""
    for mutant in mutants:
        folder, rest = mutant.file.split("/", 1)
        target = copy / PACKAGE_DIRS[folder] / rest
        target.write_text(mutant.apply(target.read_text(encoding="utf-8")), encoding="utf-8")
        module, marker = _module_of(mutant.file), mutant.new
    env = {
        **os.environ,
        "PYTHONPATH": str(copy) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return [python, "-c", _BOOTSTRAP, str(copy), module, marker, *args], env


def _run_one(mutant: Mutant | None, base: Path, work: Path, settings: RunSettings) -> Outcome:
    name = mutant.id if mutant else "baseline"
    copy = work / name
    shutil.copytree(base, copy)
    if mutant is not None:
        target = copy / PACKAGE_DIRS[mutant.file.split("/", 1)[0]] / mutant.file.split("/", 1)[1]
        target.write_text(mutant.apply(target.read_text(encoding="utf-8")), encoding="utf-8")
        module, marker = _module_of(mutant.file), mutant.new
    else:
        module, marker = "hooksim.simulator", ""
    results = copy / "results.json"
    args = ["run", "--report", str(copy / "report"), "--json", str(results)]
    if settings.keyword:
        args += ["-k", settings.keyword]
    env = {
        **os.environ,
        "PYTHONPATH": str(copy) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "PYTHONDONTWRITEBYTECODE": "1",
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    started = time.perf_counter()
    command = [settings.python, "-c", _BOOTSTRAP, str(copy), module, marker, *args]
    try:
        done = subprocess.run(
            command,
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=settings.timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        shutil.rmtree(copy, ignore_errors=True)
        detail = f"no verdict within {settings.timeout:g} s"
        return Outcome(mutant, "timeout", None, time.perf_counter() - started, detail=detail)
    seconds = time.perf_counter() - started
    if done.returncode == NOT_ISOLATED:
        raise IsolationError(done.stderr.strip())
    failed, detail = _read_results(results, done)
    shutil.rmtree(copy, ignore_errors=True)
    if done.returncode == 0:
        return Outcome(mutant, "survived", 0, seconds, failed, detail)
    # Non-zero either way; "crashed" when no scenario result says why (a traceback, exit 2).
    status: Status = "killed" if failed else "crashed"
    return Outcome(mutant, status, done.returncode, seconds, failed, detail)


def _read_results(path: Path, done: subprocess.CompletedProcess[str]) -> tuple[list[str], str]:
    """The scenarios that did not pass, and a line saying why when there are none."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        lines = (done.stderr or done.stdout).strip().splitlines()
        return [], lines[-1] if lines else f"exit status {done.returncode}, no results"
    failed = [s["file"] for s in saved.get("scenarios", []) if s.get("status") != "passed"]
    return failed, ""


def run_mutants(
    mutants: Sequence[Mutant],
    settings: RunSettings,
    *,
    progress: Callable[[Outcome], None] = lambda outcome: None,
) -> tuple[Outcome, list[Outcome]]:
    """The baseline's outcome, then one outcome per mutant (in catalogue order). Raises
    IsolationError when a copy was not what ran, RuntimeError when the baseline fails."""
    with tempfile.TemporaryDirectory(prefix="hooksim-mutants-") as temp:
        work = Path(temp)
        base = assemble(work / "package")
        baseline = _run_one(None, base, work, settings)
        if baseline.status != "survived":
            raise RuntimeError(
                "the unmutated package does not pass `hooksim run` "
                f"({baseline.status}, exit {baseline.exit_code}; failing: "
                f"{', '.join(baseline.failed_scenarios) or baseline.detail}): "
                "no mutant can be judged until it does"
            )
        progress(baseline)

        def one(mutant: Mutant) -> Outcome:
            outcome = _run_one(mutant, base, work, settings)
            progress(outcome)
            return outcome

        with ThreadPoolExecutor(max_workers=max(1, settings.jobs)) as pool:
            outcomes = list(pool.map(one, mutants))
    return baseline, outcomes
