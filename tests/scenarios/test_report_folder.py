"""Where `hooksim run` writes its report: where `--report` says; by default `hooksim-report/`
in the current folder, never among the scenario files being run (then the user's cache
folder); the path is printed either way."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hooksim.cli import main

PASSING = """\
name: passes
receivers: {shop: {}}
subscriptions: {main: {receiver: shop, types: [card-published]}}
steps:
  - publish: {type: card-published}
  - advance: 1m
expect:
  - delivered: {count: 1}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "scenarios" / "nested").mkdir(parents=True)
    (tmp_path / "scenarios" / "nested" / "a.yaml").write_text(PASSING)
    (tmp_path / "b.yaml").write_text(PASSING)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


def run(cwd: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(main, ["run", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def reports_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("index.html"))


CACHED = "cache/hooksim/hooksim-report/index.html"


@pytest.mark.parametrize(
    ("cwd", "args", "written"),
    [
        (".", ("scenarios",), "hooksim-report/index.html"),
        (".", ("scenarios/nested/a.yaml",), "hooksim-report/index.html"),
        ("scenarios", (".",), CACHED),  # the folder given
        ("scenarios/nested", ("../../b.yaml", "."), CACHED),
        ("scenarios/nested", ("..",), CACHED),  # inside the folder given
        (".", ("b.yaml",), CACHED),  # the folder of a file run
        ("scenarios", ("nested/a.yaml",), "scenarios/hooksim-report/index.html"),
    ],
    ids=["folder-below", "file-below", "cwd-given", "cwd-given-with-a-file", "cwd-inside-given",
         "cwd-holds-a-file", "file-in-a-subfolder"],
)  # fmt: skip
def test_the_default_report_is_never_among_the_scenario_files(
    project: Path, monkeypatch: pytest.MonkeyPatch, cwd: str, args: tuple[str, ...], written: str
) -> None:
    out = run(project / cwd, monkeypatch, *args)
    assert reports_under(project) == [written]
    shown = out.split("Report: ", 1)[1].strip()
    assert (project / cwd / shown).resolve() == (project / written).resolve()


def test_the_report_goes_where_report_says(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = run(project / "scenarios", monkeypatch, ".", "--report", "../out")
    assert reports_under(project) == ["out/index.html"]
    assert (project / "out" / "results.json").is_file()
    assert "Report: ../out/index.html" in out


def test_the_bundled_library_reports_into_the_current_folder(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = run(project, monkeypatch, "-k", "put-method")
    assert reports_under(project) == ["hooksim-report/index.html"]
    assert "Report: hooksim-report/index.html" in out
