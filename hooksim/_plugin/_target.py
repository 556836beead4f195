"""Target mode in pytest: `--hooksim-target URL` runs the session's YAML scenario items
against that implementation, one target session (one login, one receiver listener) for the
whole pytest session."""

from __future__ import annotations

import os

import pytest

from hooksim.scenarios import Session, TargetError, TargetSession

__all__ = ["open_target", "target_session"]

_SESSION = pytest.StashKey["Session | None"]()


def target_session(config: pytest.Config) -> Session | None:
    """The session's target (None: hooksim's own platform)."""
    return config.stash.get(_SESSION, None)


def open_target(config: pytest.Config) -> None:
    """Log in to `--hooksim-target` when pytest starts: a target that cannot be driven ends
    the session at once with its reason, as a usage error."""
    if getattr(config.option, "numprocesses", None) not in (None, 0) or hasattr(
        config, "workerinput"
    ):
        raise pytest.UsageError(
            "--hooksim-target runs scenarios one at a time (each resets the target, whose "
            "clock is shared): run it without -n"
        )
    url = config.getoption("hooksim_target", None)
    session: Session | None = None
    if url:
        client_id = config.getoption("hooksim_client_id") or os.environ.get("HOOKSIM_CLIENT_ID")
        secret = config.getoption("hooksim_client_secret") or os.environ.get(
            "HOOKSIM_CLIENT_SECRET"
        )
        if not client_id or not secret:
            raise pytest.UsageError(
                "--hooksim-target needs --hooksim-client-id and --hooksim-client-secret "
                "(or HOOKSIM_CLIENT_ID and HOOKSIM_CLIENT_SECRET)"
            )
        try:
            session = TargetSession(
                url,
                client_id=client_id,
                client_secret=secret,
                environment=config.getoption("hooksim_environment", None),
            )
        except TargetError as exc:
            raise pytest.UsageError(exc.message) from None
        config.add_cleanup(session.close)
    config.stash[_SESSION] = session
