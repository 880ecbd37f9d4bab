"""The data directory: created 0700, every file in it 0600, looser modes tightened."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from netra_backend.app.data_dir import prepare_data_dir, private_file, sqlite_file

pytestmark = pytest.mark.unit


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_prepare_data_dir_creates_0700_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        directory = prepare_data_dir(tmp_path / "nested" / "data")
    finally:
        os.umask(old)
    assert directory == tmp_path / "nested" / "data"
    assert _mode(directory) == 0o700


def test_prepare_data_dir_creates_the_sqlite_file_0600(tmp_path: Path) -> None:
    database = tmp_path / "data" / "netra.db"
    prepare_data_dir(tmp_path / "data", f"sqlite+aiosqlite:///{database}")
    assert database.is_file() and database.stat().st_size == 0
    assert _mode(database) == 0o600


def test_prepare_data_dir_tightens_a_loose_directory_and_files_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "data"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    for name in ("netra.db", "netra.db-wal", "jwt_secret"):
        (directory / name).write_text("x")
        (directory / name).chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="netra_backend.app.data_dir"):
        prepare_data_dir(directory)
    assert _mode(directory) == 0o700
    for name in ("netra.db", "netra.db-wal", "jwt_secret"):
        assert _mode(directory / name) == 0o600, name
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 4
    assert any(f"data directory {directory} was mode 0755" in w for w in warnings)


def test_prepare_data_dir_leaves_private_modes_alone_without_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = prepare_data_dir(tmp_path / "data")
    (directory / "jwt_secret").write_text("x")
    (directory / "jwt_secret").chmod(0o400)
    with caplog.at_level(logging.WARNING, logger="netra_backend.app.data_dir"):
        prepare_data_dir(directory)
    assert _mode(directory / "jwt_secret") == 0o400  # stricter than 0600 stays as it is
    assert not caplog.records


def test_prepare_data_dir_does_not_follow_symlinks(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("x")
    outside.chmod(0o644)
    directory = prepare_data_dir(tmp_path / "data")
    (directory / "link").symlink_to(outside)
    prepare_data_dir(directory)
    assert _mode(outside) == 0o644


def test_prepare_data_dir_refuses_a_file_in_its_place(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a directory")
    with pytest.raises(NotADirectoryError, match="NETRA_DATA_DIR"):
        prepare_data_dir(tmp_path / "data")


def test_prepare_data_dir_creates_no_other_directory(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "x.db"
    prepare_data_dir(tmp_path / "data", f"sqlite+aiosqlite:///{elsewhere}")
    assert not elsewhere.parent.exists()


def test_private_file_keeps_existing_content(tmp_path: Path) -> None:
    path = tmp_path / "netra.db"
    path.write_bytes(b"SQLite format 3\x00")
    path.chmod(0o664)
    private_file(path)
    assert path.read_bytes() == b"SQLite format 3\x00"
    assert _mode(path) == 0o600


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite+aiosqlite:////srv/netra/netra.db", Path("/srv/netra/netra.db")),
        ("sqlite+aiosqlite:///:memory:", None),
        ("sqlite+aiosqlite://", None),
        ("postgresql+asyncpg://u@127.0.0.1:5432/netra", None),
    ],
)
def test_sqlite_file_names_only_sqlite_files(url: str, expected: Path | None) -> None:
    assert sqlite_file(url) == expected
