"""Tests of hooksim's pytest plugin, mostly through pytester runs of small test projects."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # `pytest_plugins = ["pytester"]` here would be refused when the whole suite runs (a
    # conftest below the rootdir may not define it), so pytester is registered this way.
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")
