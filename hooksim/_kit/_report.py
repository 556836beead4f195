"""The HTML report of a kit run: one self-contained page (inline CSS, no script, no network)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from ._output import result_document
from ._results import KitResult

__all__ = ["render_report", "write_report"]


@cache
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("hooksim._kit", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(result: KitResult) -> str:
    document = result_document(result)
    return str(_environment().get_template("kit.html.j2").render(doc=document))


def write_report(result: KitResult, directory: str | Path) -> Path:
    """Write `directory/index.html` (creating the directory) and return its path."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "index.html"
    target.write_text(render_report(result), encoding="utf-8")
    return target
