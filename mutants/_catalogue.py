"""The mutant catalogue: targeted bugs planted in the reference platform, as data.

Each entry names a source file (relative to the repository, e.g. `simulator/_rules.py`), the
exact text to replace (it must occur exactly once), the text that replaces it, what the bug
is, and the contract clause it breaks. Optional: `equivalent` (why the change cannot alter
behaviour: such a mutant must survive, and is left out of the kill rate) or `survives` (why
the library cannot catch it, for a real bug it misses).

When the source moves on (a refactoring), an entry whose text is no longer found is stale:
the catalogue refuses to run and names each stale entry, so re-targeting is a matter of
editing `old` (and `file`) in this one file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["CATALOGUE", "CatalogueError", "Mutant", "check_targets", "load_catalogue"]

CATALOGUE = Path(__file__).with_name("catalogue.yaml")
_REQUIRED = {"id", "file", "old", "new", "description", "clause"}
_OPTIONAL = {"equivalent", "survives"}
#: Source folders a mutant may touch: the five that make up the installed package.
SOURCE_FOLDERS = ("hooksim", "simulator", "contracts", "scenarios", "reports")


class CatalogueError(Exception):
    """The catalogue cannot be used as it is (malformed, or stale against the source)."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, slots=True)
class Mutant:
    id: str
    file: str  # relative to the repository root
    old: str
    new: str
    description: str
    clause: str
    equivalent: str | None = None
    survives: str | None = None

    def apply(self, text: str) -> str:
        """`text` with the mutation made; `old` must occur exactly once."""
        count = text.count(self.old)
        if count != 1:
            raise CatalogueError([self._stale(count)])
        return text.replace(self.old, self.new, 1)

    def _stale(self, count: int) -> str:
        if count == 0:
            first = self.old.strip().splitlines()[0] if self.old.strip() else self.old
            return (
                f"STALE mutant {self.id!r}: {self.file} no longer contains its `old` text "
                f"(first line: {first!r}); re-target it in mutants/catalogue.yaml"
            )
        return (
            f"AMBIGUOUS mutant {self.id!r}: its `old` text occurs {count} times in {self.file}; "
            "give more context so that it names one place"
        )


def load_catalogue(path: Path = CATALOGUE) -> list[Mutant]:
    """The catalogue's entries, checked for shape (not yet against the source)."""
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogueError([f"{path}: not valid YAML: {exc}"]) from None
    except OSError as exc:
        raise CatalogueError([f"{path}: cannot be read: {exc.strerror}"]) from None
    if not isinstance(entries, list):
        raise CatalogueError([f"{path}: expected a list of mutants"])
    problems: list[str] = []
    mutants: list[Mutant] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, 1):
        problem = _shape_problem(entry)
        if problem is not None:
            problems.append(f"{path.name} entry {number}: {problem}")
            continue
        if entry["id"] in seen:
            problems.append(f"{path.name} entry {number}: duplicate id {entry['id']!r}")
            continue
        seen.add(entry["id"])
        mutants.append(Mutant(**entry))
    if problems:
        raise CatalogueError(problems)
    return mutants


def _shape_problem(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return "expected a mapping"
    keys = set(entry)
    if not keys >= _REQUIRED:
        return f"missing {', '.join(sorted(_REQUIRED - keys))}"
    if keys - _REQUIRED - _OPTIONAL:
        return f"unknown keys {', '.join(sorted(keys - _REQUIRED - _OPTIONAL))}"
    if not all(isinstance(entry[key], str) for key in keys):
        return "every value must be a string"
    if entry["old"] == entry["new"]:
        return f"{entry['id']}: old and new are the same text"
    if entry["file"].split("/", 1)[0] not in SOURCE_FOLDERS or ".." in entry["file"]:
        return f"{entry['id']}: file must be under one of {', '.join(SOURCE_FOLDERS)}"
    if "equivalent" in entry and "survives" in entry:
        return f"{entry['id']}: a mutant is equivalent or survives, not both"
    return None


def check_targets(mutants: Iterable[Mutant], root: Path) -> None:
    """Raise CatalogueError naming every mutant whose `old` text is not found exactly once
    in its file (stale after a refactoring, or ambiguous)."""
    problems = []
    texts: dict[str, str] = {}
    for mutant in mutants:
        path = root / mutant.file
        if mutant.file not in texts:
            if not path.is_file():
                problems.append(f"STALE mutant {mutant.id!r}: {mutant.file} does not exist")
                continue
            texts[mutant.file] = path.read_text(encoding="utf-8")
        count = texts[mutant.file].count(mutant.old)
        if count != 1:
            problems.append(mutant._stale(count))
    if problems:
        raise CatalogueError(problems)
