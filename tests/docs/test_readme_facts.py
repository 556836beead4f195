"""The numbers the README states match the code they describe: the size of the bundled
library, the virtual time it covers, its biggest burst, the contract's numbers and the
defaults of `hooksim serve`. Each is read from the README by a pattern and compared with the
value the code has, so a README that drifts, or a claim that is reworded away, fails here."""

from __future__ import annotations

import re

import pytest
from _docs import ROOT
from hooksim.scenarios import discover, library_files, load_all, run_scenario
from hooksim.simulator import DEFAULT_PER_ENDPOINT, DEFAULT_WORKERS, Settings
from hooksim.simulator._credentials import TOKEN_CACHE_SECONDS

README = (ROOT / "README.md").read_text(encoding="utf-8")


def stated(pattern: str) -> str:
    """The one value the README states where `pattern` (with one group) matches."""
    found = re.findall(pattern, README)
    assert len(found) == 1, f"README.md: expected the claim {pattern!r} once, found {found}"
    value: str = found[0]
    return value


def number(text: str) -> float:
    return float(text.replace(",", ""))


def test_the_number_of_bundled_scenarios() -> None:
    assert int(stated(r"the bundled library \((\d+) scenarios\)")) == len(library_files())


@pytest.mark.clause("DETERMINISM")
def test_the_virtual_time_the_library_covers() -> None:
    days = sum(run_scenario(s).virtual_seconds for s in load_all(discover([]))) / 86400
    assert int(stated(r"about (\d+) days of virtual time")) == round(days)


def test_the_biggest_burst_is_in_the_library() -> None:
    burst = number(stated(r"a burst of ([\d,]+) events"))
    counts = [
        step.args.get("count", 1)
        for scenario in load_all(discover([]))
        for step in scenario.steps
        if step.kind == "publish"
    ]
    assert burst == max(counts)


def test_the_contracts_numbers() -> None:
    settings = Settings()
    assert number(stated(r"auto-disabled after (\d+)\s+consecutive failures")) == (
        settings.disable_threshold
    )
    assert number(stated(r"the (\d+)rd\s+failure disabling a subscription")) == (
        settings.disable_threshold
    )
    assert settings.retry_window is not None
    assert number(stated(r"exponential backoff for up to (\d+) hours")) * 3600 == (
        settings.retry_window
    )


def test_the_defaults_of_hooksim_serve() -> None:
    assert number(stated(r"\(`--workers`,\s+default (\d+)\)")) == DEFAULT_WORKERS
    assert number(stated(r"at most `--per-endpoint` requests \(default (\d+)\)")) == (
        DEFAULT_PER_ENDPOINT
    )
    assert number(stated(r"fetched from `tokenUrl` and\s+reused (\d+) s\)")) == (
        TOKEN_CACHE_SECONDS
    )
