"""Code blocks of the documentation that the test suite runs, found by a marker.

A block is marked with an HTML comment on the line before its fence, which Markdown renders as
nothing: `<!-- test: NAME -->` names the block for the test that runs it (the test takes the
block's exact text from the document, so what a reader copies is what was tested), and
`<!-- test: not run: REASON -->` says why no test can. `tests/docs/test_doc_blocks.py` holds
every block of the documents in `CHECKED` to one or the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Documents whose every code block is run by a test or says why not.
CHECKED = (ROOT / "README.md", ROOT / "contracts" / "README.md")
NOT_RUN = "not run: "
_FENCE = re.compile(
    r"^(?:<!-- test: (?P<marker>.*?) -->\n)?```(?P<language>\w*)\n(?P<code>.*?)^```", re.S | re.M
)


@dataclass(frozen=True, slots=True)
class DocBlock:
    language: str
    code: str
    #: Where the block's first line of code is, as `README.md:123`, for failure messages.
    where: str
    #: The marker's text (`NAME`, or `not run: REASON`), None when unmarked.
    marker: str | None = None

    @property
    def name(self) -> str | None:
        """The name a test knows the block by (None: unmarked, or not run)."""
        if self.marker is None or self.marker.startswith(NOT_RUN):
            return None
        return self.marker


def fenced_blocks(document: Path) -> list[DocBlock]:
    """Every fenced code block of `document`, in order, with its marker."""
    text = document.read_text(encoding="utf-8")
    return [
        DocBlock(
            match.group("language"),
            match.group("code"),
            f"{_shown(document)}:{text.count(chr(10), 0, match.start('code')) + 1}",
            match.group("marker"),
        )
        for match in _FENCE.finditer(text)
    ]


def _shown(document: Path) -> str:
    """The document as failure messages name it: from the checkout's root when inside it."""
    try:
        return document.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return document.name


def marked_block(document: Path, name: str) -> DocBlock:
    """The fenced code block right after `<!-- test: NAME -->` in `document`."""
    found = [block for block in fenced_blocks(document) if block.name == name]
    assert len(found) == 1, f"{_shown(document)}: expected one block marked 'test: {name}'"
    return found[0]
