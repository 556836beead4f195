"""Terminal output (rich) and the `--json` writer for a `KitResult`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ._results import KitResult

__all__ = ["print_result", "result_document", "write_json"]

_STYLE = {"pass": "bold green", "fail": "bold red", "skip": "yellow"}


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f} ms"


def print_result(result: KitResult, file: IO[str] | None = None) -> None:
    """A table of checks, a reason for each failure or skip, latency and the verdict."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=file, highlight=False, soft_wrap=False)
    console.print(
        f"Receiver [bold]{result.receiver}[/bold] ({result.method}, timeout {result.timeout:g} s"
        + (f", profile {result.profile})" if result.profile != "atomic" else ")"),
        markup=True,
    )
    table = Table(show_lines=False, header_style="bold")
    table.add_column("check", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("why")
    for check in result.checks:
        reason = "" if check.status == "pass" else check.reason
        table.add_row(
            check.id,
            Text(check.status.upper(), style=_STYLE[check.status]),
            Text(reason, style="dim" if check.status == "skip" else ""),
        )
    console.print(table)
    for hint in result.hints:
        console.print(Text("hint: ", style="bold yellow") + Text(hint), soft_wrap=True)
    latency = result.latency
    console.print(
        f"latency over {latency.count} answers: p50 {_ms(latency.p50)}, "
        f"p95 {_ms(latency.p95)}, max {_ms(latency.max)}",
        markup=False,
    )
    summary = result.summary()
    verdict = Text(
        "PASS" if result.passed else "FAIL", style=_STYLE["pass" if result.passed else "fail"]
    )
    line = Text(
        f"{summary['passed']} passed, {summary['failed']} failed, {summary['skipped']} skipped: "
    )
    console.print(line + verdict)


def result_document(result: KitResult) -> dict[str, Any]:
    """The JSON document: the result, and when and by what it was produced."""
    from importlib.metadata import PackageNotFoundError, version

    document = result.to_dict()
    try:
        kit_version = version("hooksim")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        kit_version = "unknown"
    document["generated"] = {
        "by": f"hooksim {kit_version} check-receiver",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return document


def write_json(result: KitResult, path: str | Path) -> Path:
    target = Path(path)
    text = json.dumps(result_document(result), indent=2, ensure_ascii=False)
    target.write_text(text + "\n", encoding="utf-8")
    return target
