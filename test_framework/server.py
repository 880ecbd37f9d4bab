"""The one scaffold for real Netra servers, shared by the tests and ``bench/``.

Two forms of one handle (:class:`ServerHandle`: ``base_url``, ``ws_url``, ``stop()``):

- :class:`ServerProcess`, ``netra serve`` in a subprocess (``start_server()`` /
  ``running_server()``), for what needs a real process: signals, restarts, the CLI, logs;
- ``test_framework.inprocess_server.InProcessServer``, the app under uvicorn in a thread of
  the test process (coverage sees it; any ``Settings`` and agent registry).

Both are waited for with :func:`wait_healthy`; ports come from :func:`free_port` (the
in-process form binds port 0 itself, so it has no race at all). ``launch()`` is the bare
``Popen`` the benchmarks use (their own CPU pinning and settings). An ``atexit`` hook stops
any subprocess server a crashed session left behind. A subprocess server's stdout and stderr
go to ``log_path`` so tests can read what it printed.
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
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

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


class ServerHandle(Protocol):
    """What a test or benchmark holds of a running server, whichever form it has."""

    @property
    def base_url(self) -> str: ...

    @property
    def ws_url(self) -> str: ...

    def stop(self, timeout: float = ...) -> object: ...


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
        if self.owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        return self.process.returncode


def server_env(
    data_dir: Path,
    database_url: str | None = None,
    extra: Mapping[str, str] | None = None,
    *,
    inherit_netra: bool = False,
) -> dict[str, str]:
    """The environment of a subprocess server: this one's, with its own data dir and database.

    Inherited ``NETRA_*`` settings are dropped unless ``inherit_netra`` (a developer's
    database URL would make a "throw-away" server share a real database).
    """
    env = {k: v for k, v in os.environ.items() if inherit_netra or not k.startswith("NETRA_")}
    env["NETRA_DATA_DIR"] = str(data_dir)
    if database_url:
        env["NETRA_DATABASE_URL"] = database_url
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def launch(
    port: int,
    log_path: Path,
    env: Mapping[str, str],
    *,
    host: str = HOST,
    command_prefix: Sequence[str] = (),
    launcher: Path | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """``netra serve --host H --port P`` as a subprocess writing to ``log_path``; no waiting.

    ``launcher`` is a script to run instead of ``-m netra_backend.cli`` (one that adds test
    agents and then calls the real CLI); ``command_prefix`` goes in front (``taskset -c 0``).
    """
    entry = [str(launcher)] if launcher is not None else ["-m", "netra_backend.cli"]
    with log_path.open("ab") as log_file:
        return subprocess.Popen(
            [*command_prefix, sys.executable, *entry, "serve", "--host", host, "--port", str(port)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env),
            # Its own working directory, so a developer's .env in the repo cannot leak in.
            cwd=cwd if cwd is not None else REPO_ROOT,
            # Its own session: a terminal Ctrl-C reaches the caller, whose finalizers stop it.
            start_new_session=True,
        )


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "<no log>"


def wait_healthy(
    base_url: str,
    *,
    timeout: float = 60.0,
    exit_code: Callable[[], int | None] | None = None,
    log_path: Path | None = None,
) -> None:
    """Return once ``GET /api/health`` answers 200 ``{"status": "ok"}``.

    ``exit_code`` (a ``Popen.poll``) stops the wait early when the server process has died;
    the :class:`ServerStartError` carries the tail of ``log_path``.
    """
    deadline = time.monotonic() + timeout
    url = base_url + HEALTH_PATH
    last = "no answer"

    def tail() -> str:
        return _tail(log_path) if log_path is not None else "<no log>"

    with httpx.Client(timeout=5.0) as client:
        while time.monotonic() < deadline:
            code = exit_code() if exit_code is not None else None
            if code is not None:
                raise ServerStartError(
                    f"server exited with code {code} before it was healthy", tail()
                )
            try:
                response = client.get(url)
                if response.status_code == 200 and response.json().get("status") == "ok":
                    return
                last = f"HTTP {response.status_code}: {response.text[:200]}"
            except (httpx.HTTPError, ValueError) as error:
                last = repr(error)
            time.sleep(0.05)
    raise ServerStartError(f"GET {url} did not answer 200 within {timeout:.0f}s ({last})", tail())


def start_server(
    *,
    data_dir: Path | None = None,
    database_url: str | None = None,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    launcher: Path | None = None,
    startup_timeout: float = 60.0,
    attempts: int = 3,
) -> ServerProcess:
    """Start ``netra serve`` (or ``launcher``) on a free port and wait until it is healthy.

    Without ``data_dir`` a temporary directory is created and removed on ``stop()``. A port
    taken between choosing and binding it is retried on another port (``attempts`` times);
    a given ``port`` is tried once.
    """
    owns = data_dir is None
    directory = Path(tempfile.mkdtemp(prefix="netra-test-")) if data_dir is None else data_dir
    directory.mkdir(parents=True, exist_ok=True)
    last_error: ServerStartError | None = None
    for attempt in range(attempts if port is None else 1):
        chosen = port if port is not None else free_port()
        log_path = directory / f"server-{chosen}.log"
        process = launch(
            chosen,
            log_path,
            server_env(directory, database_url, env),
            launcher=launcher,
            cwd=directory,
        )
        server = ServerProcess(HOST, chosen, directory, log_path, process, owns)
        _LIVE.add(server)
        try:
            wait_healthy(
                server.base_url,
                timeout=startup_timeout,
                exit_code=process.poll,
                log_path=log_path,
            )
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
