"""Code blocks of the documentation that the test suite runs, found by a marker.

A block is marked with an HTML comment on the line before its fence, which Markdown renders as
nothing: `<!-- test: NAME -->`. Tests take the block's exact text from the document, so what
a reader copies is what was tested.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class DocBlock:
    language: str
    code: str
    #: Where the block's first line of code is, as `README.md:123`, for failure messages.
    where: str


def marked_block(document: Path, name: str) -> DocBlock:
    """The fenced code block right after `<!-- test: NAME -->` in `document`."""
    text = document.read_text(encoding="utf-8")
    pattern = rf"<!-- test: {re.escape(name)} -->\n```(\w*)\n(.*?)^```"
    found = list(re.finditer(pattern, text, re.S | re.M))
    assert len(found) == 1, f"{document.name}: expected one block marked 'test: {name}'"
    match = found[0]
    line = text.count("\n", 0, match.start(2)) + 1
    return DocBlock(match.group(1), match.group(2), f"{document.name}:{line}")
