"""The `hooksim` command. Each subcommand lives in its own module and is imported only when
it runs, so `hooksim --help` stays fast and one command's dependencies never slow another.

Exit statuses: 0 success, 1 a check or expectation failed, 2 bad input (usage, files).
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
from typing import Any

import click

__all__ = ["main"]

# name -> (module, attribute, one-line help)
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "serve": ("hooksim._cli_serve", "serve", "Run the platform as a real HTTP server."),
    "run": ("hooksim._cli_run", "run", "Run YAML scenarios and write a conformance report."),
    "report": ("hooksim._cli_report", "report", "Re-render a report from saved JSON results."),
    "profiles": (
        "hooksim._cli_profiles",
        "profiles",
        "List the platform profiles (other senders' rules), or show one.",
    ),
    "check-receiver": (
        "hooksim._cli_check",
        "check_receiver",
        "Grade a running webhook receiver over real HTTP.",
    ),
    "sim": (
        "hooksim._cli_sim",
        "sim",
        "Drive a served platform: publish, advance, deliveries, subscribe.",
    ),
    "fuzz": (
        "hooksim._cli_fuzz",
        "fuzz",
        "Fuzz a platform's management API against the contract (schemathesis).",
    ),
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in _COMMANDS if self._available(name))

    @staticmethod
    def _available(name: str) -> bool:
        return importlib.util.find_spec(_COMMANDS[name][0]) is not None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _COMMANDS or not self._available(cmd_name):
            return None
        module_name, attribute, _ = _COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        # click suggests close option names but (for a lazy group) not command names.
        name = args[0] if args else ""
        if (
            not ctx.resilient_parsing
            and not name.startswith("-")
            and self.get_command(ctx, name) is None
        ):
            close = difflib.get_close_matches(name, self.list_commands(ctx))
            if close:
                shown = ", ".join(repr(match) for match in close)
                hint = f"one of: {shown}" if len(close) > 1 else shown
                ctx.fail(f"No such command {name!r}. (Did you mean {hint}?)")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hooksim")
def main(**_: Any) -> None:
    """hooksim: contract testing and deterministic simulation of the Atomic Webhooks API."""
