"""Several Netra instances on one Redis and one fresh PostgreSQL database, for Redis mode.

Each instance is a real uvicorn server (the in-process form of the server handle, so coverage
sees the Redis code) with its own data directory, the built-in agents plus the scripted ones
(``stall`` holds a run open).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
import websockets
from pydantic import SecretStr
from websockets.asyncio.client import ClientConnection

from netra_backend.app.agents.builtin import BUILTIN_AGENTS
from netra_backend.app.agents.registry import AgentRegistry
from netra_backend.app.config import Settings
from netra_backend.app.main import create_app
from test_framework.databases import fresh_postgres
from test_framework.inprocess_server import InProcessServer
from test_framework.server import free_port
from tests.integration.golden_path._agents import scripted_registry

REDIS_URL = os.environ.get("NETRA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_or_skip(url: str) -> None:
    """Skip, naming Redis, when it does not answer at ``url``."""
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"needs Redis at {url}: {error}")


def delete_prefix(url: str, prefix: str) -> None:
    """Delete every key under ``prefix``."""
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])


def start_instances(
    count: int, database_url: str, redis_url: str, prefix: str, **extra: Any
) -> list[InProcessServer]:
    """``count`` instances on one database and one Redis; all started or none."""
    servers: list[InProcessServer] = []
    try:
        for _ in range(count):
            settings = Settings(
                data_dir=Path(tempfile.mkdtemp(prefix="netra-instance-")),
                database_url=database_url,
                redis_url=SecretStr(redis_url),
                redis_prefix=prefix,
                jwt_secret="redis-mode-test-secret-" + "x" * 32,
                ws_rate_limit_per_second=1000,
                ws_rate_limit_burst=1000,
                shutdown_grace_seconds=2,
                **extra,
            )
            scripted = scripted_registry()
            extra_agents = [scripted.get(name) for name in scripted.names()]
            registry = AgentRegistry(
                [*BUILTIN_AGENTS, *(agent for agent in extra_agents if agent is not None)]
            )
            server = InProcessServer(create_app(settings, registry=registry))
            server.start()
            servers.append(server)
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


class PrivateRedis:
    """A redis-server of our own on a free port, without persistence (it can be restarted)."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("needs redis-server on PATH")
        self.binary = binary
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="netra-private-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def cluster(
    count: int, redis_url: str = REDIS_URL, **extra: Any
) -> Iterator[list[InProcessServer]]:
    """``count`` instances on a fresh database and ``redis_url`` under a prefix of their own,
    stopped and their keys deleted afterwards."""
    redis_or_skip(redis_url)
    prefix = f"netra-test-{uuid.uuid4().hex[:10]}"
    with fresh_postgres() as database:
        servers = start_instances(count, database.url, redis_url, prefix, **extra)
        try:
            yield servers
        finally:
            for server in servers:
                server.stop()
            delete_prefix(redis_url, prefix)


async def open_socket(server: InProcessServer, token: str) -> ClientConnection:
    """A WebSocket of ``token``'s user to ``server``."""
    return await websockets.connect(
        server.ws_url, additional_headers={"Authorization": f"Bearer {token}"}
    )


async def frames_until(
    connection: ClientConnection, wanted: set[str], timeout: float = 30.0
) -> list[dict[str, Any]]:
    """Frames received up to and including the first whose type is in ``wanted``."""
    frames: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await connection.recv())
            frames.append(frame)
            if frame.get("type") in wanted:
                return frames
