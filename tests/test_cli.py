"""The `hooksim` command group: a mistyped command gets "did you mean", as options do."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hooksim.cli import main


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("serv", "'serve'"), ("rn", "'run'"), ("check-reciever", "'check-receiver'")],
)
def test_a_mistyped_command_gets_did_you_mean(typed: str, suggested: str) -> None:
    result = CliRunner().invoke(main, [typed])
    assert result.exit_code == 2
    assert f"No such command '{typed}'. (Did you mean {suggested}?)" in result.output
    assert "Traceback" not in result.output


def test_a_command_like_no_other_gets_no_suggestion() -> None:
    result = CliRunner().invoke(main, ["xyzzy"])
    assert result.exit_code == 2
    assert "No such command 'xyzzy'." in result.output
    assert "Did you mean" not in result.output


def test_options_and_help_still_reach_the_group() -> None:
    assert CliRunner().invoke(main, ["--help"]).exit_code == 0
    assert "No such option" in CliRunner().invoke(main, ["--hepl"]).output
