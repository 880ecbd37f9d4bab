"""The data directory of a real ``netra serve``: 0700, every file in it 0600.

Checked on the real files, after a real start and a sign-up (so SQLite has written its
``-wal`` and ``-shm`` files), with the process's usual umask of 022.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from test_framework.server import running_server
from test_framework.users import register_or_login

pytestmark = pytest.mark.integration

SQLITE_FILES = ("netra.db", "netra.db-wal", "netra.db-shm")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _modes(directory: Path) -> dict[str, int]:
    return {entry.name: _mode(entry) for entry in directory.iterdir()}


async def test_serve_creates_a_private_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    previous = os.umask(0o022)
    try:
        with running_server(data_dir=tmp_path, env={"NETRA_DATA_DIR": str(data_dir)}) as server:
            await register_or_login(server.base_url)
            assert _mode(data_dir) == 0o700
            modes = _modes(data_dir)
            log = server.log_text()
    finally:
        os.umask(previous)
    assert set(modes) >= {*SQLITE_FILES, "jwt_secret"}, modes
    assert {name: mode for name, mode in modes.items() if mode != 0o600} == {}
    assert "readable by other users" not in log


async def test_serve_tightens_a_loose_data_dir_with_a_warning(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    data_dir.chmod(0o755)
    secret = data_dir / "jwt_secret"
    secret.write_text("s" * 64)
    secret.chmod(0o644)
    with running_server(data_dir=tmp_path, env={"NETRA_DATA_DIR": str(data_dir)}) as server:
        await register_or_login(server.base_url)
        assert _mode(data_dir) == 0o700
        modes = _modes(data_dir)
        log = server.log_text()
    assert {name: mode for name, mode in modes.items() if mode != 0o600} == {}
    assert f"data directory {data_dir} was mode 0755" in log
    assert f"file {secret} was mode 0644" in log
