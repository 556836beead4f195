"""Hooks a project implements in its `conftest.py` to configure hooksim's scenario items."""

from __future__ import annotations

from typing import Any

import pytest

__all__ = ["pytest_hooksim_receivers"]


@pytest.hookspec
def pytest_hooksim_receivers(config: pytest.Config) -> dict[str, Any] | None:
    """Bind receivers the YAML scenarios declare to your own, by name: a WSGI app (called in
    process), a URL (a running server), or a `hooksim.scenarios.Binding` (with its effects
    probe and secret). Deliveries to that receiver then reach yours instead of its scripted
    behaviour, recorded and judged on the way::

        def pytest_hooksim_receivers(config):
            return {"orders": Binding(create_app(), effects_url="/test/effects", secret=SECRET)}

    Every conftest's answer is merged (a later one wins for the same name).
    """
