"""Programs some tests run besides Python, found on the PATH or failing the test loudly."""

from __future__ import annotations

import shutil

import pytest


def node() -> str:
    """node.js, which `make test` installs: tests that need it fail without it, never skip."""
    found = shutil.which("node") or shutil.which("nodejs")
    if found is None:
        pytest.fail(
            "node is not installed: the signing vectors and the README's node.js verification "
            "are checked by running them. `make test` installs it (Debian: apt-get install -y "
            "nodejs)."
        )
    return found
