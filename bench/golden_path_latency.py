"""Golden Path latency over the loopback: request -> ``agent_completed``, and connect + auth.

Starts a real ``netra serve`` subprocess on a free port with a temporary ``NETRA_DATA_DIR``,
registers a user, then:

* runs ``cost_optimizer`` (a $10,000/month bill on EC2, RDS and S3) N times, one after
  another over one socket, timing from sending the ``agent_request`` to receiving its
  ``agent_completed``;
* opens N authenticated sockets one after another, timing from the start of the WebSocket
  handshake to the ``pong`` answering a first ``ping`` (so the server has verified the token,
  looked the user up and attached the connection).

The per-connection frame rate limit is raised for the server (back-to-back requests would
otherwise be ``rate_limited`` after the burst). Prints median / p95 / max in milliseconds.
Not part of the test run::

    .venv/bin/python bench/golden_path_latency.py [--runs 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect

HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parent.parent
CONTEXT = {"monthly_spend": 10_000, "primary_services": ["EC2", "RDS", "S3"]}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _summary(name: str, samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"{name:<34} n={len(ordered):<4} median={statistics.median(ordered):8.2f} ms  "
        f"p95={p95:8.2f} ms  max={ordered[-1]:8.2f} ms"
    )


def _start_server(port: int, data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "NETRA_DATA_DIR": str(data_dir),
        "NETRA_LOG_LEVEL": "warning",
        # Back-to-back requests exceed the default 20 frames/s per connection; the rate
        # limiter is not what is measured here.
        "NETRA_WS_RATE_LIMIT_PER_SECOND": "10000",
        "NETRA_WS_RATE_LIMIT_BURST": "10000",
    }
    with log.open("wb") as out:
        return subprocess.Popen(
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
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def _wait_healthy(
    base_url: str, process: subprocess.Popen[bytes], timeout: float = 60.0
) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode} during startup")
            try:
                if (await http.get(f"{base_url}/api/health")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"server not healthy within {timeout:.0f}s")


async def _until(connection: ClientConnection, wanted: str) -> dict[str, object]:
    while True:
        frame = json.loads(await connection.recv())
        if frame.get("type") == wanted:
            return dict(frame)
        if frame.get("type") in ("agent_failed", "error"):
            raise RuntimeError(f"unexpected frame: {frame}")


async def _measure(base_url: str, runs: int) -> tuple[list[float], list[float]]:
    async with httpx.AsyncClient(timeout=30.0) as http:
        response = await http.post(
            f"{base_url}/api/auth/register",
            json={
                "email": f"bench-{time.time_ns()}@example.com",
                "password": "bench-Passw0rd!",
                "subscription": "enterprise",
            },
        )
        response.raise_for_status()
        token = response.json()["token"]
    ws_url = base_url.replace("http://", "ws://") + "/api/ws"
    headers = {"Authorization": f"Bearer {token}"}

    request_ms: list[float] = []
    async with connect(ws_url, additional_headers=headers) as connection:
        for k in range(runs + 1):  # the first run warms caches and is not counted
            frame = {
                "type": "agent_request",
                "agent": "cost_optimizer",
                "message": "analyse my bill",
                "context": CONTEXT,
                "request_id": f"bench-{k}",
            }
            started = time.perf_counter()
            await connection.send(json.dumps(frame))
            await _until(connection, "agent_completed")
            if k:
                request_ms.append((time.perf_counter() - started) * 1000)

    connect_ms: list[float] = []
    for k in range(runs + 1):
        started = time.perf_counter()
        async with connect(ws_url, additional_headers=headers) as connection:
            await connection.send(json.dumps({"type": "ping"}))
            await _until(connection, "pong")
            if k:
                connect_ms.append((time.perf_counter() - started) * 1000)
    return request_ms, connect_ms


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="samples per measurement (default 50)")
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="netra-bench-"))
    port = _free_port()
    base_url = f"http://{HOST}:{port}"
    process = _start_server(port, data_dir, data_dir / "server.log")
    try:
        asyncio.run(_wait_healthy(base_url, process))
        request_ms, connect_ms = asyncio.run(_measure(base_url, args.runs))
    except BaseException:
        print((data_dir / "server.log").read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        shutil.rmtree(data_dir, ignore_errors=True)
    print(
        f"netra serve on {base_url} (SQLite, loopback), {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    print(_summary("cost_optimizer request->completed", request_ms))
    print(_summary("connect + auth (to first pong)", connect_ms))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
