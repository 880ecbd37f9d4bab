"""Redis mode when Redis misbehaves, on a redis-server of the test's own (never the machine's):
a subscription dropped mid-run loses nothing (the gap is read back from the stream), and a
Redis that restarted without its data is detected (epoch) and every socket is told to resync
(``resume_failed`` code ``log_reset``, then close 1012), never left silently behind."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis

from test_framework.databases import fresh_postgres
from test_framework.inprocess_server import InProcessServer
from test_framework.users import register_or_login
from test_framework.websocket_helpers import frames_until_closed
from tests.integration.redis_mode._cluster import (
    PrivateRedis,
    frames_until,
    open_socket,
    start_instances,
)

pytestmark = [pytest.mark.integration, pytest.mark.real_services]

TERMINAL = {"agent_completed", "agent_failed", "agent_cancelled"}


@pytest.fixture
def private_cluster() -> Iterator[tuple[PrivateRedis, list[InProcessServer]]]:
    private = PrivateRedis()
    private.start()
    try:
        with fresh_postgres() as database:
            servers = start_instances(
                2, database.url, private.url, f"netra-test-{uuid.uuid4().hex[:8]}"
            )
            try:
                yield private, servers
            finally:
                for server in servers:
                    server.stop()
    finally:
        private.remove()


async def test_a_dropped_subscription_loses_no_event(
    private_cluster: tuple[PrivateRedis, list[InProcessServer]],
) -> None:
    private, (one, two) = private_cluster
    user = await register_or_login(one.base_url)
    runner, watcher = await open_socket(one, user.token), await open_socket(two, user.token)
    try:
        # Every instance's subscription is cut; the run's events go on being appended.
        killed = redis.Redis.from_url(private.url).client_kill_filter(_type="pubsub")
        assert killed >= 2
        await runner.send(
            json.dumps({"type": "agent_request", "agent": "triage_agent", "message": "hi"})
        )
        on_runner = await frames_until(runner, TERMINAL)
        on_watcher = await frames_until(watcher, TERMINAL)
    finally:
        await runner.close()
        await watcher.close()
    assert on_watcher == on_runner
    assert on_runner[-1]["type"] == "agent_completed"
    for server in (one, two):  # each counted its reconnect (it may still be backing off)
        assert await _reconnects(server, at_least=1) >= 1


async def _reconnects(server: InProcessServer, at_least: int) -> float:
    async with httpx.AsyncClient() as client, asyncio.timeout(30):
        while True:
            metrics = (await client.get(server.base_url + "/metrics")).text
            found = re.search(r"^netra_redis_reconnects_total (\S+)$", metrics, re.M)
            assert found is not None, metrics[:500]
            count = float(found[1])
            if count >= at_least:
                return count
            await asyncio.sleep(0.1)


async def test_a_redis_that_lost_its_data_makes_every_socket_resync(
    private_cluster: tuple[PrivateRedis, list[InProcessServer]],
) -> None:
    private, (one, two) = private_cluster
    user = await register_or_login(one.base_url)
    runner, watcher = await open_socket(one, user.token), await open_socket(two, user.token)
    await runner.send(json.dumps({"type": "agent_request", "agent": "stall", "message": "."}))
    await frames_until(runner, {"agent_thinking"})
    await frames_until(watcher, {"agent_thinking"})
    private.stop()
    private.start()  # empty: no persistence
    for connection in (runner, watcher):
        frames = await frames_until_closed(connection)
        assert connection.close_code == 1012
        assert frames[-1]["type"] == "resume_failed", frames
        assert frames[-1]["data"]["code"] == "log_reset"
    # A new socket on either instance works, on the new log.
    fresh = await open_socket(two, user.token)
    await fresh.send(json.dumps({"type": "ping"}))
    assert json.loads(await fresh.recv()) == {"type": "pong"}
    await fresh.close()


@pytest.fixture
def paused_cluster() -> Iterator[tuple[PrivateRedis, list[InProcessServer]]]:
    """Two instances on a private Redis whose commands time out after 1 s (the test pauses it)."""
    private = PrivateRedis()
    private.start()
    try:
        with fresh_postgres() as database:
            prefix = f"netra-test-{uuid.uuid4().hex[:8]}"
            servers = start_instances(
                2, database.url, private.url, prefix, db_statement_timeout_seconds=1.0
            )
            try:
                yield private, servers
            finally:
                if private.process is not None:
                    os.kill(private.process.pid, signal.SIGCONT)
                for server in servers:
                    server.stop()
    finally:
        private.remove()


async def test_a_redis_unreachable_for_a_while_holds_the_events_and_loses_none(
    paused_cluster: tuple[PrivateRedis, list[InProcessServer]],
) -> None:
    private, (one, two) = paused_cluster
    assert private.process is not None
    user = await register_or_login(one.base_url)
    runner, watcher = await open_socket(one, user.token), await open_socket(two, user.token)
    request = {"type": "agent_request", "agent": "chatty", "message": "."}
    await runner.send(json.dumps({**request, "context": {"count": 30, "pause": 0.1}}))
    seen_runner = await frames_until(runner, {"agent_thinking"})
    seen_watcher = await frames_until(watcher, {"agent_thinking"})
    run_id = seen_runner[0]["run_id"]
    os.kill(private.process.pid, signal.SIGSTOP)  # hung, not refused: every command times out
    try:
        # New runs are refused while the log cannot be written: none starts unrecorded.
        async with asyncio.timeout(30):
            while True:
                await runner.send(json.dumps({**request, "agent": "silent"}))
                frame = json.loads(await runner.recv())
                seen_runner.append(frame)
                if frame["type"] == "error":
                    assert frame["data"]["code"] == "storage_unavailable", frame
                    assert frame["data"]["retry_after"] > 0
                    break
                await asyncio.sleep(0.2)
    finally:
        os.kill(private.process.pid, signal.SIGCONT)
    for connection, seen in ((runner, seen_runner), (watcher, seen_watcher)):
        async with asyncio.timeout(60):
            while not any(f.get("run_id") == run_id and f["type"] in TERMINAL for f in seen):
                seen.append(json.loads(await connection.recv()))
    await runner.close()
    await watcher.close()

    def of_run(frames: list[dict[str, Any]]) -> list[tuple[int, str]]:
        return [(f["seq"], f["type"]) for f in frames if f.get("run_id") == run_id]

    assert of_run(seen_runner) == of_run(seen_watcher)
    events = of_run(seen_runner)
    assert [kind for _, kind in events].count("agent_thinking") == 30
    assert events[-1][1] == "agent_completed"
    seqs = [seq for seq, _ in events]
    assert seqs == sorted(set(seqs)), "an event came twice or out of order"
    assert not [f for f in seen_runner + seen_watcher if f["type"] == "resume_failed"]
