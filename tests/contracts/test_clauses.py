"""The contract's clauses: the YAML file is well-formed, the README explains every clause, and
every clause is exercised by at least one test."""

from __future__ import annotations

import re
from pathlib import Path

import hooksim.contracts as contracts
import pytest
import yaml
from hooksim.contracts import CLAUSES, Clause, load_clauses
from hooksim.contracts._clauses import SOURCES, _clause

CONTRACTS = Path(contracts.__file__).parent
TESTS = Path(__file__).resolve().parents[1]
_ID = r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*"


def test_the_clauses_file_is_well_formed() -> None:
    entries = yaml.safe_load((CONTRACTS / "clauses.yaml").read_text())
    assert isinstance(entries, list)
    for entry in entries:
        assert set(entry) == {"id", "title", "source"}
        assert re.fullmatch(_ID, entry["id"])
        assert entry["source"] in SOURCES
        assert entry["title"].strip() == entry["title"] and entry["title"]
    ids = [entry["id"] for entry in entries]
    assert len(ids) == len(set(ids))
    assert [c.id for c in load_clauses()] == ids
    assert list(CLAUSES) == ids
    assert all(isinstance(c, Clause) for c in CLAUSES.values())


def test_the_clauses_the_brief_names_exist() -> None:
    assert {
        "RETRY-SCHEDULE", "RETRY-WINDOW", "DISABLE-THRESHOLD", "DISABLE-RESET", "SIGN-HMAC",
        "SIGN-RAW-BYTES", "DELIVERY-ENVELOPE", "DELIVERY-SUCCESS-2XX", "DELIVERY-TIMEOUT",
        "DELIVERY-METHOD", "DELIVERY-HEADERS", "FILTER-CARD-TEMPLATE", "FILTER-ACTION-FLOW",
        "AT-LEAST-ONCE", "NOTHING-LOST", "API-SUBSCRIBE", "API-LIST", "API-TEST", "API-DISABLE",
        "API-ENABLE", "API-DELETE", "API-LIMIT-100", "API-AUTH-ROLES", "API-ERRORS",
        "ANALYTICS-BATCHED",
    } <= set(CLAUSES)  # fmt: skip


def test_clauses_are_read_only() -> None:
    with pytest.raises(TypeError):
        CLAUSES["NEW"] = Clause("NEW", "t", "hooksim")  # type: ignore[index]


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"id": "X", "title": "t"}, "expected keys"),
        ({"id": "lower-case", "title": "t", "source": "hooksim"}, "bad id"),
        ({"id": "X", "title": " ", "source": "hooksim"}, "empty title"),
        ({"id": "X", "title": "t", "source": "rumour"}, "source must be one of"),
        ("X", "expected keys"),
    ],
)
def test_a_malformed_entry_is_refused_clearly(entry: object, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        _clause(entry, 3)


def _readme_clauses() -> dict[str, str]:
    text = (CONTRACTS / "README.md").read_text()
    found = re.findall(rf"^\*\*({_ID})\*\* \(([a-z-]+)", text, re.MULTILINE)
    ids = [clause_id for clause_id, _ in found]
    assert len(ids) == len(set(ids)), "a clause is explained twice in contracts/README.md"
    return dict(found)


def test_the_readme_explains_every_clause_with_its_source() -> None:
    readme = _readme_clauses()
    assert list(readme) == list(CLAUSES)
    assert {i: s for i, s in readme.items()} == {i: c.source for i, c in CLAUSES.items()}


def test_the_readme_records_the_delete_deviation() -> None:
    text = (CONTRACTS / "README.md").read_text()
    deviations = text.split("## Deviations", 1)[1]
    assert "use_after_free" in deviations
    assert "--exclude-checks use_after_free" in deviations


def _referenced() -> dict[str, set[Path]]:
    """Clause ids quoted in test modules (markers, parametrize, docstrings) or named in YAML
    files under tests/, mapped to the files that reference them."""
    found: dict[str, set[Path]] = {}
    quoted = re.compile(rf"""["']({_ID})["']""")
    word = re.compile(rf"(?<![\w-])({_ID})(?![\w-])")
    for path in sorted(TESTS.rglob("*")):
        if path == Path(__file__).resolve() or not path.is_file():
            continue
        if path.suffix == ".py":
            hits = quoted.findall(path.read_text())
        elif path.suffix in (".yaml", ".yml"):
            hits = word.findall(path.read_text())
        else:
            continue
        for hit in hits:
            if hit in CLAUSES:
                found.setdefault(hit, set()).add(path)
    return found


def test_every_clause_marker_names_a_known_clause() -> None:
    marker = re.compile(r"mark\.clause\(([^)]*)\)")
    unknown = set()
    for path in sorted(TESTS.rglob("test_*.py")):
        for arguments in marker.findall(path.read_text()):
            for clause_id in re.findall(r"""["']([^"']+)["']""", arguments):
                if clause_id not in CLAUSES:
                    unknown.add((path.name, clause_id))
    assert unknown == set()


def test_every_clause_is_exercised_by_a_test() -> None:
    # A clause is covered when a test module quotes its id (a clause marker, usually) or a
    # YAML file under tests/ names it.
    assert sorted(set(CLAUSES) - set(_referenced())) == []
