"""``netra serve --workers 2`` in Redis mode: one port, two worker processes, every event of a
user's run reaches both of their sockets whichever worker each landed on."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

import pytest
import websockets

from test_framework.databases import fresh_postgres
from test_framework.server import ServerProcess, running_server
from test_framework.users import register_or_login
from tests.integration.redis_mode._cluster import REDIS_URL, delete_prefix, redis_or_skip

pytestmark = [pytest.mark.integration, pytest.mark.real_services]


async def _wait_for_workers(server: ServerProcess, count: int, timeout: float) -> set[str]:
    """The pids of the workers that finished start-up, once ``count`` have (or at the timeout)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        log = server.log_text()
        pids = set(re.findall(r"Started server process \[(\d+)\]", log))
        ready = log.count("Application startup complete")
        if (ready >= count and len(pids) >= count) or loop.time() > deadline:
            return pids
        await asyncio.sleep(0.1)


async def test_two_workers_serve_one_user_on_several_sockets() -> None:
    redis_or_skip(REDIS_URL)
    prefix = f"netra-test-{uuid.uuid4().hex[:10]}"
    env = {"NETRA_WORKERS": "2", "NETRA_REDIS_URL": REDIS_URL, "NETRA_REDIS_PREFIX": prefix}
    try:
        with (
            fresh_postgres() as database,
            running_server(database_url=database.url, env=env) as server,
        ):
            # The first worker to answer makes the server healthy; the second may still be
            # importing on a loaded machine, and then every socket lands on the first.
            workers = await _wait_for_workers(server, count=2, timeout=60)
            user = await register_or_login(server.base_url)
            headers = {"Authorization": f"Bearer {user.token}"}
            sockets = [
                await websockets.connect(server.ws_url, additional_headers=headers)
                for _ in range(6)
            ]
            await sockets[0].send(
                json.dumps({"type": "agent_request", "agent": "triage_agent", "message": "hi"})
            )
            seen = []
            for socket in sockets:
                frames: list[dict[str, Any]] = []
                async with asyncio.timeout(30):
                    while not frames or frames[-1]["type"] != "agent_completed":
                        frames.append(json.loads(await socket.recv()))
                seen.append([frame["seq"] for frame in frames])
                await socket.close()
            assert all(seqs == seen[0] for seqs in seen), seen
            assert len(workers) == 2, server.log_text()[-2000:]
    finally:
        delete_prefix(REDIS_URL, prefix)
