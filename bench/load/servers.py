"""Start and stop the servers under test, each pinned to the server core.

Netra is the real ``netra serve`` (via ``bench/_netra.py``) on a data directory that the
benchmark keeps for the whole run, so the users registered once survive a restart; the
baselines are ``python -m baselines.<name>``. Every process is started here and stopped
here, by its own pid.
"""

from __future__ import annotations

import os
import resource
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import _netra

BENCH_DIR = Path(__file__).resolve().parent.parent
SERVER_CPU = 0
CLIENT_CPU = 1
#: Netra limits that would otherwise refuse the load itself; none of them is measured.
NETRA_LIMITS = {
    "NETRA_WS_RATE_LIMIT_PER_SECOND": "100000",
    "NETRA_WS_RATE_LIMIT_BURST": "100000",
    "NETRA_WS_MAX_CONNECTIONS_PER_USER": "100000",
    "NETRA_MAX_RUNS_IN_FLIGHT": "100000",
    # A 10k-event replay must not overflow the per-client send queue (closed with 1013).
    "NETRA_WS_SEND_QUEUE_SIZE": "100000",
}
BASELINE_MODULES = {"fastapi": "baselines.fastapi_server", "socketio": "baselines.socketio_server"}
PROTOCOLS = {"netra": "netra", "fastapi": "netra", "socketio": "socketio"}


def can_pin() -> bool:
    """Pinning needs two cores (server on 0, load on 1)."""
    return hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2


def raise_fd_limit() -> None:
    """Thousands of sockets need more than the usual 1024 descriptors; children inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _pin_prefix() -> list[str]:
    taskset = shutil.which("taskset")
    return [taskset, "-c", str(SERVER_CPU)] if taskset and can_pin() else []


def child_env() -> dict[str, str]:
    """The environment of the bench's own subprocesses: ``bench/`` importable."""
    path = os.environ.get("PYTHONPATH")
    return {
        **os.environ,
        "PYTHONPATH": f"{BENCH_DIR}{os.pathsep}{path}" if path else str(BENCH_DIR),
    }


@dataclass
class Server:
    """One running server under test."""

    kind: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    log_offset: int = 0

    def tracebacks(self) -> int:
        """Tracebacks this process wrote to its log: a server in trouble skews its figures."""
        with self.log.open("rb") as log:
            log.seek(self.log_offset)
            return log.read().count(b"Traceback")

    @property
    def protocol(self) -> str:
        """Which client speaks to it."""
        return PROTOCOLS[self.kind]

    @property
    def pid(self) -> int:
        """The server's own pid (taskset execs it, so this is the Python process)."""
        return self.process.pid

    def widen(self) -> None:
        """Let the server use every core (set-up only: argon2 hashing on registration)."""
        if can_pin():
            os.sched_setaffinity(self.pid, os.sched_getaffinity(0))

    def pin(self) -> None:
        """Back onto the server core, before anything is measured."""
        if can_pin():
            os.sched_setaffinity(self.pid, {SERVER_CPU})


def _wait_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} during startup")
        try:
            with socket.create_connection((_netra.HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server not listening within {timeout:.0f}s")


def start(kind: str, work_dir: Path, secret: str) -> Server:
    """Start server ``kind`` (netra, fastapi, socketio) on a free port; wait until it serves."""
    raise_fd_limit()
    port = _netra.free_port()
    log = work_dir / f"{kind}.log"
    offset = log.stat().st_size if log.exists() else 0
    if kind == "netra":
        data_dir = work_dir / "netra-data"
        data_dir.mkdir(exist_ok=True)
        process = _netra.start_server(
            port,
            data_dir,
            log,
            extra_env=NETRA_LIMITS,
            command_prefix=_pin_prefix(),
        )
    else:
        with log.open("ab") as out:
            process = subprocess.Popen(
                [*_pin_prefix(), sys.executable, "-m", BASELINE_MODULES[kind], "--port", str(port)],
                cwd=BENCH_DIR,
                env={**child_env(), "BENCH_JWT_SECRET": secret},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
    server = Server(kind, port, process, log, offset)
    try:
        if kind == "netra":
            _netra.wait_healthy(f"http://{_netra.HOST}:{port}", exit_code=process.poll)
        else:
            _wait_port(port, process)
    except BaseException:
        stop(server)
        sys.stderr.write(log.read_text(errors="replace")[-3000:])
        raise
    return server


def stop(server: Server) -> None:
    """Terminate the server (by its pid), killing it if it does not stop within 15 s."""
    process = server.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
