"""A real Netra server in a subprocess, on a free port, with a throw-away data directory.

``running_server()`` is the context manager tests use; ``start_server()`` returns a
:class:`ServerProcess` whose ``stop()`` must be called (an ``atexit`` hook stops any server a
crashed session left behind). The server's stdout and stderr go to ``log_path`` so tests can
read what it printed.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from test_framework.urls import HEALTH_PATH, ws_url_for

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
_LIVE: set[ServerProcess] = set()


class ServerStartError(RuntimeError):
    """The server did not become healthy; carries the tail of its log."""

    def __init__(self, reason: str, log_tail: str) -> None:
        super().__init__(reason, log_tail)
        self.reason = reason
        self.log_tail = log_tail

    def __str__(self) -> str:
        return f"{self.reason}\n--- server log (tail) ---\n{self.log_tail}"


def free_port(host: str = HOST) -> int:
    """A TCP port the OS reports free right now (bind to port 0, read it, release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass(eq=False)
class ServerProcess:
    """A running ``netra serve`` subprocess."""

    host: str
    port: int
    data_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]
    owns_data_dir: bool = False
    _log_file: IO[bytes] | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """``ws://HOST:PORT/api/ws``."""
        return ws_url_for(self.base_url)

    def log_text(self) -> str:
        """Everything the server printed so far (stdout and stderr interleaved)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def is_running(self) -> bool:
        """Whether the process is still alive."""
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> int | None:
        """Stop the server: SIGINT, then SIGTERM, then SIGKILL, each after ``timeout`` seconds."""
        _LIVE.discard(self)
        for sig in (signal.SIGINT, signal.SIGTERM):
            if self.process.poll() is not None:
                break
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                continue
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=timeout)
        if self._log_file is not None:
            self._log_file.close()
        if self.owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        return self.process.returncode


def _server_env(
    data_dir: Path, database_url: str | None, extra: Mapping[str, str]
) -> dict[str, str]:
    env = dict(os.environ)
    # An inherited database URL would make the "throw-away" server share a real database.
    env.pop("NETRA_DATABASE_URL", None)
    env["NETRA_DATA_DIR"] = str(data_dir)
    if database_url:
        env["NETRA_DATABASE_URL"] = database_url
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "<no log>"


def _wait_healthy(server: ServerProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    url = server.base_url + HEALTH_PATH
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if not server.is_running():
                raise ServerStartError(
                    f"server exited with code {server.process.returncode} before it was healthy",
                    _tail(server.log_path),
                )
            try:
                response = client.get(url)
            except httpx.TransportError:
                response = None
            if (
                response is not None
                and response.status_code == 200
                and response.json().get("status") == "ok"
            ):
                return
            time.sleep(0.1)
    raise ServerStartError(
        f"GET {url} did not answer 200 within {timeout:.0f}s", _tail(server.log_path)
    )


def start_server(
    *,
    data_dir: Path | None = None,
    database_url: str | None = None,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = 60.0,
    attempts: int = 3,
) -> ServerProcess:
    """Start ``python -m netra_backend.cli serve`` on a free port and wait until it is healthy.

    Without ``data_dir`` a temporary directory is created and removed on ``stop()``. A port
    taken between choosing and binding it is retried on another port (``attempts`` times).
    """
    owns = data_dir is None
    directory = Path(tempfile.mkdtemp(prefix="netra-test-")) if data_dir is None else data_dir
    directory.mkdir(parents=True, exist_ok=True)
    last_error: ServerStartError | None = None
    for attempt in range(attempts):
        port = free_port()
        log_path = directory / f"server-{port}.log"
        log_file = open(log_path, "wb")  # noqa: SIM115 - closed by ServerProcess.stop
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "netra_backend.cli",
                "serve",
                "--host",
                HOST,
                "--port",
                str(port),
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=_server_env(directory, database_url, env or {}),
            # Its own working directory, so a developer's .env in the repo cannot leak in.
            cwd=directory,
            # Its own session: a terminal Ctrl-C reaches pytest, whose finalizers stop it.
            start_new_session=True,
        )
        server = ServerProcess(HOST, port, directory, log_path, process, owns, log_file)
        _LIVE.add(server)
        try:
            _wait_healthy(server, startup_timeout)
            return server
        except ServerStartError as error:
            last_error = error
            server.owns_data_dir = False
            server.stop(timeout=5.0)
            if "address already in use" not in error.log_tail.lower() or attempt == attempts - 1:
                break
    if owns:
        shutil.rmtree(directory, ignore_errors=True)
    assert last_error is not None
    raise last_error


@contextmanager
def running_server(
    *,
    data_dir: Path | None = None,
    database_url: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[ServerProcess]:
    """Start a server for the ``with`` block and always stop it afterwards."""
    server = start_server(data_dir=data_dir, database_url=database_url, env=env)
    try:
        yield server
    finally:
        server.stop()


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_LIVE):
        server.stop(timeout=3.0)
