"""What the crash tests measured, summed over the session and printed at its end."""

from __future__ import annotations

from collections import Counter

import pytest

STATS: Counter[str] = Counter()


@pytest.fixture
def crash_stats() -> Counter[str]:
    return STATS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if STATS:
        measured = ", ".join(f"{name}: {count}" for name, count in sorted(STATS.items()))
        terminalreporter.write_line(f"crash tests measured: {measured}")
