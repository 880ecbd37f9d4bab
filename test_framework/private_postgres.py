"""A PostgreSQL server of the test's own, which it may pause (SIGSTOP) and resume.

The shared server at 127.0.0.1:5432 must never be stopped by a test; this one lives in a
temporary directory on a free port, made with Debian's ``initdb``/``pg_ctl`` and run as the
``postgres`` system user (PostgreSQL refuses to run as root). :class:`PrivatePostgresUnavailable`
says what is missing, and callers skip with that reason.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from test_framework.server import free_port

PG_BIN_ROOT = Path("/usr/lib/postgresql")


class PrivatePostgresUnavailable(RuntimeError):
    """A private PostgreSQL server cannot be started here; the message says why."""


@dataclass(frozen=True, slots=True)
class PrivatePostgres:
    """A running private cluster: its SQLAlchemy URL and the way to freeze it."""

    port: int
    data_dir: Path

    @property
    def url(self) -> str:
        """The async SQLAlchemy URL of its ``postgres`` database."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def pids(self) -> list[int]:
        """The postmaster and every process it started."""
        postmaster = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(entry.name))
        found, todo = [], [postmaster]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def pause(self) -> None:
        """Freeze every process of the server (a database that hangs, not one that is gone)."""
        for pid in self.pids():
            os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Let the server run again."""
        for pid in self.pids():
            os.kill(pid, signal.SIGCONT)


def _bin_dir() -> Path:
    versions = sorted(PG_BIN_ROOT.glob("*/bin/initdb"))
    if not versions:
        raise PrivatePostgresUnavailable(f"no initdb under {PG_BIN_ROOT}/*/bin")
    return versions[-1].parent


def _as_postgres(*command: str) -> list[str]:
    if os.geteuid() != 0:
        return list(command)
    if shutil.which("runuser") is None:
        raise PrivatePostgresUnavailable("runuser is missing (needed to run PostgreSQL as root)")
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """Start a throw-away cluster; always stop it (resumed first) and delete it."""
    bin_dir = _bin_dir()
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError as missing:
            raise PrivatePostgresUnavailable("there is no 'postgres' system user") from missing
    root = Path(tempfile.mkdtemp(prefix="netra-pg-"))
    if os.geteuid() == 0:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    data_dir, port = root / "data", free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    ctl = str(bin_dir / "pg_ctl")
    server: PrivatePostgres | None = None
    try:
        init = subprocess.run(
            _as_postgres(str(bin_dir / "initdb"), "-D", str(data_dir), "-A", "trust",
                         "-U", "postgres", "--no-sync", "-E", "UTF8"),
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if init.returncode != 0:
            raise PrivatePostgresUnavailable(f"initdb failed: {init.stderr[-500:]}")
        start = subprocess.run(
            _as_postgres(ctl, "-D", str(data_dir), "-o", options, "-l", str(root / "log"),
                         "-w", "-t", "60", "start"),
            capture_output=True, text=True, timeout=90, check=False,
        )  # fmt: skip
        if start.returncode != 0:
            raise PrivatePostgresUnavailable(f"pg_ctl start failed: {start.stderr[-500:]}")
        server = PrivatePostgres(port, data_dir)
        yield server
    finally:
        if server is not None:
            with contextlib.suppress(OSError):
                server.resume()
            subprocess.run(
                _as_postgres(ctl, "-D", str(data_dir), "-m", "immediate", "-w", "stop"),
                capture_output=True, timeout=60, check=False,
            )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)
