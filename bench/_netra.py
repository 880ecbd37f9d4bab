"""Shared pieces of the service benchmarks: a real ``netra serve`` subprocess and frame helpers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection

from netra_backend.app.plans import PlanTable

# The scaffold is the tests' (test_framework is not installed with the package).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from test_framework.server import free_port, launch, server_env, wait_healthy

HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parent.parent
CONTEXT = {"monthly_spend": 10_000, "primary_services": ["EC2", "RDS", "S3"]}


def summary(name: str, samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"{name:<34} n={len(ordered):<4} median={statistics.median(ordered):8.2f} ms  "
        f"p95={p95:8.2f} ms  max={ordered[-1]:8.2f} ms"
    )


def start_server(
    port: int,
    data_dir: Path,
    log: Path,
    *,
    extra_env: Mapping[str, str] | None = None,
    command_prefix: Sequence[str] = (),
) -> subprocess.Popen[bytes]:
    """Start ``netra serve``; ``extra_env`` adds settings, ``command_prefix`` e.g. taskset.

    The bench's server inherits ``NETRA_*`` from the caller (``NETRA_DATABASE_URL`` picks
    the database measured on).
    """
    env = {
        "NETRA_LOG_LEVEL": "warning",
        # Back-to-back requests exceed the default 20 frames/s per connection; the rate
        # limiter is not what is measured here.
        "NETRA_WS_RATE_LIMIT_PER_SECOND": "10000",
        "NETRA_WS_RATE_LIMIT_BURST": "10000",
        # Nor are the plans' run limits: every tier gets the same, out-of-reach ones.
        "NETRA_PLAN_LIMITS": PlanTable.uniform(1000, 1_000_000_000).model_dump_json(),
        **(extra_env or {}),
    }
    return launch(
        port,
        log,
        server_env(data_dir, os.environ.get("NETRA_DATABASE_URL"), env, inherit_netra=True),
        command_prefix=command_prefix,
    )


async def until(connection: ClientConnection, wanted: str) -> dict[str, object]:
    while True:
        frame = json.loads(await connection.recv())
        if frame.get("type") == wanted:
            return dict(frame)
        if frame.get("type") in ("agent_failed", "error"):
            raise RuntimeError(f"unexpected frame: {frame}")


async def register(
    base_url: str, prefix: str = "bench", http: httpx.AsyncClient | None = None
) -> str:
    """Register a fresh user and return their token (over ``http`` when given)."""
    async with contextlib.AsyncExitStack() as stack:
        if http is None:
            http = await stack.enter_async_context(httpx.AsyncClient(timeout=30.0))
        response = await http.post(
            f"{base_url}/api/auth/register",
            json={
                "email": f"{prefix}-{time.time_ns()}@example.com",
                "password": "bench-Passw0rd!",
                "subscription": "enterprise",
            },
        )
        response.raise_for_status()
        return str(response.json()["token"])


async def register_many(base_url: str, count: int, prefix: str) -> list[str]:
    """Register ``count`` fresh users (``prefix-k``); their tokens."""
    # Registration hashes each password with argon2id (~0.1 s of CPU each); a few at a time
    # keep both cores busy without queueing hundreds of requests on the server.
    gate = asyncio.Semaphore(8)
    async with httpx.AsyncClient(timeout=60.0) as http:

        async def one(k: int) -> str:
            async with gate:
                return await register(base_url, f"{prefix}-{k}", http)

        return list(await asyncio.gather(*(one(k) for k in range(count))))


def ws_url_of(base_url: str) -> str:
    """The ``/api/ws`` URL of a server."""
    return base_url.replace("http://", "ws://") + "/api/ws"


@contextlib.contextmanager
def netra_server() -> Iterator[str]:
    """Run ``netra serve`` on a free port with a temporary data dir; yield its base URL."""
    data_dir = Path(tempfile.mkdtemp(prefix="netra-bench-"))
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    process = start_server(port, data_dir, data_dir / "server.log")
    try:
        wait_healthy(base_url, exit_code=process.poll)
        yield base_url
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


def describe(base_url: str) -> str:
    """One line naming what was measured on."""
    url = os.environ.get("NETRA_DATABASE_URL", "")
    database = url.split(":", 1)[0].split("+", 1)[0] if url else "sqlite"
    return (
        f"netra serve on {base_url} ({database}, loopback), {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}"
    )
