"""The user-facing documents speak to users: no project jargon (the source document is "the
Atomic Webhooks API documentation", never "the seed"), and every relative link points at a
file of this repository that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _docs import CHECKED, ROOT

#: What users read: the READMEs, the clauses, and the bundled scenarios (their names and
#: descriptions are in every report).
DOCUMENTS = (
    *CHECKED,
    ROOT / "scenarios" / "README.md",
    ROOT / "contracts" / "clauses.yaml",
    *sorted((ROOT / "scenarios" / "library").glob("*.yaml")),
)
#: Words of the project's own making (the random seed, `--seed`, is a word of everyone's).
JARGON = {
    r"\bthe seed\b(?!\s+of\b)(?![\s.,;:)]*(?:gives the same|give|\d))": "the seed (the document)",
    r"\bseed's\b": "the seed's",
    r"\bseed text\b": "seed text",
    r"\(seed[):;]|source: seed\b": "the source 'seed'",
    r"atomic-facts": "atomic-facts",
}
_LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_project_jargon(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    found = [
        f"{document.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}: {name}"
        for pattern, name in JARGON.items()
        for match in re.finditer(pattern, text, re.IGNORECASE)
    ]
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_links_point_inside_the_repository(document: Path) -> None:
    problems = []
    for target in _LINK.findall(document.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+://|#|mailto:", target):
            continue
        path = (document.parent / target.split("#", 1)[0]).resolve()
        if not path.is_relative_to(ROOT):
            problems.append(f"{target}: outside the repository")
        elif not path.exists():
            problems.append(f"{target}: no such file")
    assert problems == [], f"{document.relative_to(ROOT)}: " + "; ".join(problems)


def test_the_jargon_check_catches_the_seed() -> None:
    caught = "By the seed, DELETE. The seed's example. (seed). The seed text. atomic-facts.md"
    kept = "for a given seed; the same seed gives the same run; --seed 7; the seeded source"
    assert all(re.search(p, caught, re.IGNORECASE) for p in JARGON)
    assert not any(re.search(p, kept, re.IGNORECASE) for p in JARGON)
