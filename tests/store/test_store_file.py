"""The SQLite file holds secrets, and it is the platform's memory (issue 10, items 10 and
11): created readable by its owner only (its WAL too), and a file that is damaged or empty
is refused with a clear message (`hooksim serve` exits 2, no traceback) and left exactly as
it was, never replaced by a new platform."""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hooksim.simulator import Platform, SqliteStore, StoreError
from hypothesis import given, settings
from hypothesis import strategies as st

ENV = "dev"


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask: the store alone must keep its file private."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _filled(path: Path) -> None:
    """A file with clients, a credential and a subscription in it (secrets, all of them)."""
    store = SqliteStore(path)
    try:
        platform = Platform(store=store)
        platform.create_environment(ENV)
        platform.auth.create_client(ENV, "workbench")
        platform.create_credential(ENV, {"type": "basic", "username": "u", "password": "pw"})
        platform.subscribe(ENV, {"types": ["card-completed"], "url": "https://r.test/"})
        platform.publish(ENV, "card-completed", count=50)
    finally:
        store.close()


@pytest.mark.clause("DURABLE-STORE")
def test_a_new_file_and_its_wal_are_for_their_owner_only(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "hooksim.db"
    store = SqliteStore(path)
    try:
        Platform(store=store).create_environment(ENV)
        companions = [p for p in (Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
        assert companions, "the WAL file exists while the store is open"
        for file in (path, *companions):
            assert _mode(file) == 0o600, (file, oct(_mode(file)))
    finally:
        store.close()
    assert _mode(path) == 0o600


@pytest.mark.clause("DURABLE-STORE")
def test_an_empty_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(StoreError, match="is an empty file, not one hooksim wrote"):
        SqliteStore(path)
    assert path.read_bytes() == b""
    assert not Path(f"{path}-wal").exists()


def _damage(path: Path) -> bytes:
    """Overwrite the middle of the file with bytes that mean nothing; answer its new bytes."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[4096 : middle + 4096] = os.urandom(middle)
    path.write_bytes(bytes(data))
    return bytes(data)


@pytest.mark.clause("DURABLE-STORE")
def test_a_damaged_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    _filled(path)
    damaged = _damage(path)
    with pytest.raises(StoreError, match="is damaged .*left as it is"):
        SqliteStore(path)
    assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(damaged).digest()


def _serve(db: Path) -> subprocess.CompletedProcess[str]:
    code = "from hooksim.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, "serve", "--port", "0", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.served
@pytest.mark.parametrize("kind", ["empty", "damaged", "junk"])
def test_hooksim_serve_exits_2_with_a_message(kind: str, tmp_path: Path) -> None:
    path = tmp_path / f"{kind}.db"
    if kind == "empty":
        path.touch()
    elif kind == "damaged":
        _filled(path)
        _damage(path)
    else:
        path.write_bytes(os.urandom(10_000))
    before = path.read_bytes()
    result = _serve(path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert str(path) in result.stderr
    assert "Traceback" not in result.stderr and "serving at" not in result.stdout
    assert path.read_bytes() == before


@pytest.mark.clause("DURABLE-STORE")
def test_a_file_others_can_read_is_served_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "shared.db"
    _filled(path)
    path.chmod(0o644)
    caplog.set_level(logging.WARNING, logger="hooksim.serve")
    SqliteStore(path).close()
    assert any("can be read by others" in r.getMessage() for r in caplog.records)
    assert _mode(path) == 0o644  # the owner's choice, not changed behind their back


# The class, generated: damage anywhere in a real file. The only outcomes are a store that
# opens (the damage fell where nothing is read) or a StoreError; the file is never changed.

_TEMPLATE: list[bytes] = []


def _template_bytes() -> bytes:
    if not _TEMPLATE:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "template.db"
            _filled(path)
            _TEMPLATE.append(path.read_bytes())
    return _TEMPLATE[0]


@pytest.mark.fuzz
@settings.get_profile("hooksim-fuzz")
@given(data=st.data())
def test_any_damage_opens_or_is_a_store_error_and_the_file_is_kept(data: st.DataObject) -> None:
    original = bytearray(_template_bytes())
    for _ in range(data.draw(st.integers(1, 4), label="damages")):
        at = data.draw(st.integers(0, len(original) - 1), label="offset")
        length = data.draw(st.sampled_from([1, 4, 100, 4096]), label="length")
        original[at : at + length] = data.draw(st.binary(min_size=length, max_size=length))
    damaged = bytes(original)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "damaged.db"
        path.write_bytes(damaged)
        path.chmod(0o600)
        try:
            SqliteStore(path).close()
        except StoreError as refused:
            assert str(path) in refused.message
            assert path.read_bytes() == damaged
