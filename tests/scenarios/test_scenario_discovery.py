"""Which files a run takes, in which order, named how; and `-k`."""

from __future__ import annotations

from pathlib import Path

import pytest
from hooksim.scenarios import (
    Scenario,
    ScenarioInputError,
    discover,
    keyword_filter,
    library_files,
)

MINIMAL = "name: {name}\n"


def test_paths_in_the_order_given_folders_sorted_and_no_file_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("s/b.yaml", "s/a.yml", "s/sub/c.yaml", "z.yaml", "s/notes.txt"):
        write(name, MINIMAL.format(name=name))
    files = [item.file for item in discover(["z.yaml", "s", "s/b.yaml"])]
    assert files == ["z.yaml", "s/a.yml", "s/b.yaml", "s/sub/c.yaml"]
    absolute = [item.file for item in discover([str(tmp_path / "z.yaml")])]
    assert absolute == ["z.yaml"]


def test_an_absolute_path_outside_the_current_folder_stays_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write
) -> None:
    # A CI checkout under /tmp/x/main running against pytest's /tmp/pytest-of-... files
    # once named them `../../pytest-of-.../a.yaml`: what a user copies must open as printed.
    write("elsewhere/a.yaml", MINIMAL.format(name="a"))
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    outside = tmp_path / "elsewhere" / "a.yaml"
    assert [item.file for item in discover([str(outside)])] == [outside.as_posix()]


def test_no_path_is_the_library_and_library_names_resolve(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    library = library_files()
    assert [i.file for i in discover([])] == [i.file for i in library]
    assert all(i.file.startswith("library/") for i in library)
    assert [i.file for i in discover(["library"])] == [i.file for i in library]
    one = library[0].file
    assert [i.file for i in discover([one])] == [one]
    with pytest.raises(ScenarioInputError, match="no such file or folder"):
        discover(["library/nope.yaml"])


@pytest.mark.parametrize(
    ("expression", "selected"),
    [
        ("outage", ["Outage then recovery", "Outage of the API"]),
        ("OUTAGE and not api", ["Outage then recovery"]),
        ("flapping or recovery", ["Outage then recovery", "A flapping endpoint"]),
        ("not (outage or flapping)", ["Duplicates"]),
        ("dupes.yaml", ["Duplicates"]),
    ],
)
def test_k_expressions(expression: str, selected: list[str]) -> None:
    scenarios = [
        Scenario("Outage then recovery", "a.yaml"),
        Scenario("Outage of the API", "b.yaml"),
        Scenario("A flapping endpoint", "c.yaml"),
        Scenario("Duplicates", "lib/dupes.yaml"),
    ]
    chosen = keyword_filter(expression)
    assert [s.name for s in scenarios if chosen(s)] == selected
