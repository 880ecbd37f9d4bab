"""The data directory (``NETRA_DATA_DIR``): created in one place, private from the start.

It holds the SQLite database (password hashes, every run) and the generated JWT secret, so
only its owner may read it: the directory is ``0700`` and every file in it ``0600``.
:func:`prepare_data_dir` is the one function that creates it; ``Services.start`` calls it
before anything opens a file there. A directory or file found with group or other bits set
(made by an older version, or by hand) is tightened, with a warning in the log.

SQLite creates its ``-wal`` and ``-shm`` files with the mode of the database file, so the
database file is created here, ``0600``, before SQLite first opens it.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600
_GROUP_AND_OTHER = 0o077


def _tighten(path: Path, kind: str) -> None:
    mode = stat.S_IMODE(path.lstat().st_mode)
    if mode & _GROUP_AND_OTHER:
        tightened = mode & ~_GROUP_AND_OTHER
        path.chmod(tightened)
        logger.warning(
            "%s %s was mode %04o, readable by other users; tightened to %04o",
            kind,
            path,
            mode,
            tightened,
        )


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 if it is missing; tighten it if it is looser."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        _tighten(path, "file")
    else:
        os.close(fd)
    return path


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite URL; ``None`` for other databases and in-memory SQLite."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).expanduser()


def prepare_data_dir(data_dir: Path, database_url: str | None = None) -> Path:
    """Create ``data_dir`` (0700) or tighten it, tighten every file in it to 0600.

    When ``database_url`` names a SQLite file whose directory exists, that file is created
    0600 now (or tightened), so the database and its ``-wal``/``-shm`` are private too. Other
    directories are never created: the data directory is the only one Netra makes.
    Returns the directory (``~`` expanded).
    """
    directory = data_dir.expanduser()
    try:
        directory.mkdir(mode=DIR_MODE, parents=True)
    except FileExistsError:
        if not directory.is_dir():
            raise NotADirectoryError(
                f"NETRA_DATA_DIR {directory} exists and is not a directory"
            ) from None
        _tighten(directory, "data directory")
    else:
        directory.chmod(DIR_MODE)  # mkdir's mode is reduced by the umask; be exact
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.is_file(follow_symlinks=False):
                _tighten(Path(entry.path), "file")
    database = sqlite_file(database_url) if database_url else None
    if database is not None and database.parent.is_dir():
        private_file(database)
    return directory
