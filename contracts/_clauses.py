"""The contract's clauses: every behaviour the platform promises, each with a stable id.

`contracts/clauses.yaml` holds them (tests and YAML scenarios reference the ids);
`contracts/README.md` explains each one, where it comes from and how to configure it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

__all__ = ["CLAUSES", "SOURCES", "Clause", "load_clauses"]

#: Where a clause comes from: the Atomic Webhooks API documentation, Atomic's other public
#: documentation and client libraries, or hooksim's own decision where both are silent.
SOURCES = ("webhooks-docs", "atomic-docs", "hooksim")
_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Clause:
    id: str
    title: str
    source: str


def _clause(entry: Any, position: int) -> Clause:
    if not isinstance(entry, dict) or set(entry) != {"id", "title", "source"}:
        raise ValueError(f"clauses.yaml entry {position}: expected keys id, title, source")
    clause_id, title, source = entry["id"], entry["title"], entry["source"]
    if not isinstance(clause_id, str) or not _ID.match(clause_id):
        raise ValueError(f"clauses.yaml entry {position}: bad id {clause_id!r}")
    if not isinstance(title, str) or not title.strip():
        raise ValueError(f"clauses.yaml entry {position} ({clause_id}): empty title")
    if source not in SOURCES:
        raise ValueError(
            f"clauses.yaml entry {position} ({clause_id}): source must be one of "
            f"{', '.join(SOURCES)}, not {source!r}"
        )
    return Clause(clause_id, title, source)


@cache
def load_clauses() -> tuple[Clause, ...]:
    """Every clause, in the order of `clauses.yaml`; ids are checked to be unique."""
    text = resources.files("hooksim.contracts").joinpath("clauses.yaml").read_text("utf-8")
    entries = yaml.safe_load(text)
    if not isinstance(entries, list):
        raise ValueError("clauses.yaml must hold a list of clauses")
    clauses = tuple(_clause(entry, n) for n, entry in enumerate(entries, 1))
    seen: set[str] = set()
    for clause in clauses:
        if clause.id in seen:
            raise ValueError(f"clauses.yaml: duplicate clause id {clause.id!r}")
        seen.add(clause.id)
    return clauses


#: Clauses by id (read-only), in the order of `clauses.yaml`.
CLAUSES: Mapping[str, Clause] = MappingProxyType({c.id: c for c in load_clauses()})
