"""Which scenario files a run takes: paths given in order (folders expanded in sorted
order), the bundled library when none is given, and `-k` selection by name."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from ._errors import ScenarioInputError
from ._loader import load_scenario
from ._model import Scenario
from ._results import LIBRARY_PREFIX

__all__ = [
    "ScenarioFile",
    "discover",
    "keyword_filter",
    "library_files",
    "load_all",
]

_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class ScenarioFile:
    source: Path | Traversable  # where to read it
    file: str  # how results name it: as given, relative, or library/<name>.yaml


def library_files() -> list[ScenarioFile]:
    """The bundled library, in name order."""
    folder = resources.files("hooksim.scenarios").joinpath("library")
    entries = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(_SUFFIXES)),
        key=lambda entry: entry.name,
    )
    return [ScenarioFile(entry, LIBRARY_PREFIX + entry.name) for entry in entries]


def discover(paths: Sequence[str]) -> list[ScenarioFile]:
    """Files for the given paths, in the order given; none: the bundled library."""
    if not paths:
        return library_files()
    found: list[ScenarioFile] = []
    seen: set[str] = set()
    for given in paths:
        for item in _expand(given):
            key = str(item.source)
            if key not in seen:
                seen.add(key)
                found.append(item)
    return found


def _expand(given: str) -> list[ScenarioFile]:
    path = Path(given)
    if path.is_file():
        return [ScenarioFile(path, _display(given))]
    if path.is_dir():
        files = sorted(
            (p for p in path.rglob("*") if p.is_file() and p.suffix in _SUFFIXES),
            key=lambda p: p.relative_to(path).as_posix(),
        )
        if not files:
            raise ScenarioInputError(f"{given}: no scenario files (*.yaml, *.yml) in this folder")
        return [ScenarioFile(p, _display(str(p))) for p in files]
    name = given.replace("\\", "/").rstrip("/")
    if name == LIBRARY_PREFIX.rstrip("/"):
        return library_files()
    if name.startswith(LIBRARY_PREFIX):
        for item in library_files():
            if item.file == name:
                return [item]
    raise ScenarioInputError(f"{given}: no such file or folder")


def _display(given: str) -> str:
    """Relative as given; an absolute path under the current folder is made relative to it,
    one elsewhere stays absolute (a `../../..` chain would say less than the path itself)."""
    path = Path(given)
    if path.is_absolute():
        try:
            relative = os.path.relpath(path)
        except ValueError:  # another drive on Windows
            relative = os.pardir
        if not relative.startswith(os.pardir):
            given = relative
    return Path(given).as_posix()


def load_all(files: Sequence[ScenarioFile]) -> list[Scenario]:
    """Load every file; all problems of all files are reported together."""
    scenarios: list[Scenario] = []
    problems = []
    for item in files:
        try:
            scenarios.append(load_scenario(item.source, item.file))
        except ScenarioInputError as exc:
            problems.extend(exc.problems or [])
            if not exc.problems:
                raise
    if problems:
        raise ScenarioInputError(problems)
    return scenarios


# -k -----------------------------------------------------------------------------------
_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


def keyword_filter(expression: str) -> Callable[[Scenario], bool]:
    """pytest-like `-k`: words matched case-insensitively in the scenario's name or file,
    combined with `and`, `or`, `not` and parentheses."""
    tokens = _TOKEN.findall(expression)
    if not tokens:
        raise ScenarioInputError("-k: the expression is empty")
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        token = peek()
        if token is None:
            raise ScenarioInputError(f"-k {expression!r}: the expression ends too early")
        position += 1
        return token

    Predicate = Callable[[str], bool]

    def parse_or() -> Predicate:
        left = parse_and()
        while peek() == "or":
            take()
            right = parse_and()
            left = (lambda a, b: lambda text: a(text) or b(text))(left, right)
        return left

    def parse_and() -> Predicate:
        left = parse_not()
        while peek() == "and":
            take()
            right = parse_not()
            left = (lambda a, b: lambda text: a(text) and b(text))(left, right)
        return left

    def parse_not() -> Predicate:
        if peek() == "not":
            take()
            inner = parse_not()
            return lambda text: not inner(text)
        token = take()
        if token == "(":
            inner = parse_or()
            if take() != ")":
                raise ScenarioInputError(f"-k {expression!r}: expected ')'")
            return inner
        if token in (")", "and", "or"):
            raise ScenarioInputError(f"-k {expression!r}: unexpected {token!r}")
        word = token.lower()
        return lambda text: word in text

    predicate = parse_or()
    if position != len(tokens):
        raise ScenarioInputError(f"-k {expression!r}: unexpected {tokens[position]!r}")
    return lambda scenario: predicate(f"{scenario.name}\n{scenario.file}".lower())
