"""Browser tests run only when asked for: `make test-browser` (`pytest -m browser`).

Without a `-m` expression that names `browser`, or a path inside this folder on the command
line, they are deselected (not skipped), so `make test` stays fast and needs no Chromium.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "reports"))  # the synthetic results in _report_samples

from _chromium import Chromium, find_chromium  # noqa: E402


def _asked_for(config: pytest.Config) -> bool:
    if "browser" in (config.option.markexpr or ""):
        return True  # `-m browser` (or `-m "not browser"`, which pytest then applies)
    for arg in config.args:
        path = Path(arg.split("::", 1)[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _asked_for(config):
        return
    browser = [item for item in items if item.get_closest_marker("browser")]
    if browser:
        config.hook.pytest_deselected(items=browser)
        items[:] = [item for item in items if not item.get_closest_marker("browser")]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:  # a failure, not a skip: these tests only run when asked for
        pytest.fail("Chromium not found: `make test-browser` installs Debian's chromium package")
    return path


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Chromium]:
    with Chromium(chromium_path, width=1280, height=1000) as chromium:
        yield chromium
