"""``netra serve`` interrupted while a run is in flight, then started again on the same data dir.

SIGTERM or SIGINT drains: sockets close with 1012 at once, new connections are refused, a run
in flight that finishes within ``NETRA_SHUTDOWN_GRACE_SECONDS`` completes (its events wait in
the log for the client's resume), and one that does not ends ``failed`` with code
``server_shutdown``. The server's log holds neither the token nor the password. After SIGKILL
(or a power cut) the next start settles the run as ``failed`` with code ``interrupted``.
"""

from __future__ import annotations

import json
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import websockets

from test_framework.server import ServerProcess, start_server

pytestmark = pytest.mark.integration

LAUNCHER = Path(__file__).with_name("_stall_serve.py")
PASSWORD = "correct horse battery staple"
GRACE_SECONDS = 3


@contextmanager
def _netra_serve(data_dir: Path, log_level: str = "info") -> Iterator[ServerProcess]:
    """``netra serve`` with the ``stall`` agent on ``data_dir``; killed if the test did not
    stop it. The test reads its log with ``server.log_text()`` once it has exited."""
    env = {"NETRA_LOG_LEVEL": log_level, "NETRA_SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS)}
    server = start_server(data_dir=data_dir, launcher=LAUNCHER, env=env)
    try:
        yield server
    finally:
        if server.is_running():
            server.process.kill()
        server.stop(timeout=30)


async def _start_stalled_run(
    server: ServerProcess, agent: str = "stall", context: dict[str, object] | None = None
) -> tuple[str, str, websockets.ClientConnection]:
    """Register, start a run (by default one that never ends), wait until it is thinking;
    the token, run id and the still open socket."""
    async with httpx.AsyncClient(timeout=30.0) as client:
        response = await client.post(
            f"{server.base_url}/api/auth/register",
            json={"email": "ada@example.com", "password": PASSWORD, "subscription": "early"},
        )
    token = response.json()["token"]
    connection = await websockets.connect(
        server.ws_url, additional_headers={"Authorization": f"Bearer {token}"}
    )
    await connection.send(
        json.dumps(
            {"type": "agent_request", "agent": agent, "message": "wait", "context": context or {}}
        )
    )
    started = json.loads(await connection.recv())
    assert started["type"] == "agent_started"
    assert json.loads(await connection.recv())["type"] == "agent_thinking"
    return token, started["run_id"], connection


def _runs_after_restart(data_dir: Path, token: str) -> list[dict[str, object]]:
    with _netra_serve(data_dir) as server:
        response = httpx.get(
            f"{server.base_url}/api/runs", headers={"Authorization": f"Bearer {token}"}
        )
        server.process.send_signal(signal.SIGINT)
    assert response.status_code == 200, response.text
    return list(response.json()["runs"])


def _assert_no_secrets(data_dir: Path, token: str, log: str) -> None:
    secret = (data_dir / "jwt_secret").read_text().strip()
    for needle in (token, token.split(".")[2], PASSWORD, secret, "$argon2"):
        assert needle not in log, "a secret reached the server log"


async def test_sigint_mid_run_records_failed_and_logs_no_secrets() -> None:
    with tempfile.TemporaryDirectory(prefix="netra-adv-") as tmp:
        data_dir = Path(tmp)
        with _netra_serve(data_dir) as server:
            token, run_id, _socket = await _start_stalled_run(server)
            server.process.send_signal(signal.SIGINT)
            returncode = server.process.wait(timeout=60)
        log = server.log_text()
        assert returncode == 0, log[-2000:]
        [run] = _runs_after_restart(data_dir, token)
        assert run["run_id"] == run_id
        assert run["status"] == "failed"
        assert run["error"] == {
            "code": "server_shutdown",
            "message": "the server shut down before the run finished",
        }
        assert run["finished_at"] is not None
        _assert_no_secrets(data_dir, token, log)


async def test_debug_log_level_keeps_tokens_out_of_the_log() -> None:
    with tempfile.TemporaryDirectory(prefix="netra-adv-") as tmp:
        data_dir = Path(tmp)
        with _netra_serve(data_dir, log_level="debug") as server:
            token, _run_id, _socket = await _start_stalled_run(server)
            server.process.send_signal(signal.SIGINT)
            server.process.wait(timeout=60)
        _assert_no_secrets(data_dir, token, server.log_text())


async def test_sigkill_mid_run_does_not_leave_run_running() -> None:
    with tempfile.TemporaryDirectory(prefix="netra-adv-") as tmp:
        data_dir = Path(tmp)
        with _netra_serve(data_dir) as server:
            token, run_id, _socket = await _start_stalled_run(server)
            server.process.kill()
        [run] = _runs_after_restart(data_dir, token)
        assert run["run_id"] == run_id
        assert run["status"] == "failed"
        assert run["error"] == {
            "code": "interrupted",
            "message": "the server stopped before the run finished",
        }
        assert run["finished_at"] is not None


async def _resume_all(server: ServerProcess, token: str) -> list[dict[str, object]]:
    """Every retained event of the token's user (resume from 0), through ``resumed``."""
    async with websockets.connect(
        server.ws_url, additional_headers={"Authorization": f"Bearer {token}"}
    ) as connection:
        await connection.send(json.dumps({"type": "resume", "last_seq": 0}))
        frames = []
        while True:
            frame = json.loads(await connection.recv())
            frames.append(frame)
            if frame["type"] == "resumed":
                return frames


async def test_sigkill_mid_run_keeps_every_delivered_event_and_seq_continues() -> None:
    with tempfile.TemporaryDirectory(prefix="netra-adv-") as tmp:
        data_dir = Path(tmp)
        with _netra_serve(data_dir) as server:
            token, run_id, _socket = await _start_stalled_run(server)
            server.process.kill()  # the client saw agent_started (seq 1), agent_thinking (2)
        with _netra_serve(data_dir) as server:
            frames = await _resume_all(server, token)
            async with websockets.connect(
                server.ws_url, additional_headers={"Authorization": f"Bearer {token}"}
            ) as connection:
                await connection.send(
                    json.dumps({"type": "agent_request", "agent": "triage_agent", "message": "hi"})
                )
                next_run = json.loads(await connection.recv())
            server.process.send_signal(signal.SIGINT)
    *events, resumed = frames
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert [e["type"] for e in events] == ["agent_started", "agent_thinking", "agent_failed"]
    assert all(e["run_id"] == run_id for e in events)
    assert events[-1]["data"]["error"]["code"] == "interrupted"  # type: ignore[index]
    assert resumed["data"] == {"last_seq": 3, "replayed": 3}
    assert next_run["type"] == "agent_started" and next_run["seq"] == 4


async def test_sigterm_drains_a_run_that_ends_within_the_grace_and_closes_sockets_1012() -> None:
    with tempfile.TemporaryDirectory(prefix="netra-adv-") as tmp:
        data_dir = Path(tmp)
        with _netra_serve(data_dir) as server:
            token, run_id, socket = await _start_stalled_run(
                server, agent="slow", context={"seconds": GRACE_SECONDS / 2}
            )
            server.process.send_signal(signal.SIGTERM)
            # The socket closes at once with 1012 (reconnect elsewhere), the run goes on.
            seen = []
            try:
                while True:
                    seen.append(json.loads(await socket.recv())["type"])
            except websockets.ConnectionClosed:
                pass
            assert socket.close_code == 1012
            assert "agent_completed" not in seen, "the socket waited for the run"
            # uvicorn re-raises the signal once it has shut down cleanly.
            assert server.process.wait(timeout=60) in (0, -signal.SIGTERM)
        [run] = _runs_after_restart(data_dir, token)
        assert run["run_id"] == run_id
        assert run["status"] == "completed", run
        assert run["result"] == {"slept": True}
