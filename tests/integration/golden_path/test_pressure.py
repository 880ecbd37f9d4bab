"""Under pressure the server refuses, it does not lie: a burst over the in-flight cap is
answered ``server_busy`` and every run a client saw end is recorded exactly so; a client that
stops reading is closed with 1013, frees its slot, and does not hold up shutdown."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from netra_backend.app.plans import PlanTable
from test_framework.server import start_server
from test_framework.users import register_or_login
from test_framework.websocket_helpers import WebSocketTestClient
from tests.integration.golden_path._agents import scripted_registry
from tests.integration.golden_path._protocol import assert_error_frame, next_frame
from tests.integration.golden_path._servers import GoldenPathServer, backend_params, serving

pytestmark = pytest.mark.integration

IN_FLIGHT = 150
USERS = 40
PER_USER = 100  # 4,000 requests at once


@pytest.fixture(scope="module", params=backend_params())
def capped_server(request: pytest.FixtureRequest) -> Iterator[GoldenPathServer]:
    with serving(
        str(request.param),
        registry=scripted_registry(),
        max_runs_in_flight=IN_FLIGHT,
        plan_limits=PlanTable.uniform(PER_USER, 100_000),
        ws_rate_limit_per_second=10_000,
        ws_rate_limit_burst=10_000,
    ) as server:
        yield server


async def _burst(client: WebSocketTestClient) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Send PER_USER requests at once; return {run_id: terminal type} and the error frames."""
    await asyncio.gather(
        *(
            client.request_agent("chatty", "go", context={"count": 2, "pause": 0.01})
            for _ in range(PER_USER)
        )
    )
    ended: dict[str, str] = {}
    started: set[str] = set()
    errors: list[dict[str, Any]] = []
    while len(errors) + len(ended) < PER_USER or len(ended) < len(started):
        frame = await next_frame(client, timeout=120)
        if frame["type"] == "error":
            errors.append(frame)
        elif frame["type"] == "agent_started":
            started.add(frame["run_id"])
        elif frame["type"] in ("agent_completed", "agent_failed", "agent_cancelled"):
            ended[frame["run_id"]] = frame["type"]
    return ended, errors


async def test_burst_over_the_cap_is_refused_and_every_seen_run_is_recorded(
    capped_server: GoldenPathServer,
) -> None:
    users = [await capped_server.create_user() for _ in range(USERS)]
    clients = [capped_server.websocket(u.token) for u in users]
    for client in clients:
        await client.connect()
    try:
        results = await asyncio.gather(*(_burst(c) for c in clients))
    finally:
        for client in clients:
            await client.close()
    refused = [e for _, errors in results for e in errors]
    codes = Counter(e["data"]["code"] for e in refused)
    assert set(codes) <= {"server_busy"}, codes
    assert codes["server_busy"] > 0, "4,000 requests never hit a cap of 150"
    assert all(e["data"]["retry_after"] > 0 for e in refused)
    assert_error_frame(refused[0], "server_busy")
    seen = sum(len(ended) for ended, _ in results)
    assert seen + len(refused) == USERS * PER_USER
    for user, (ended, _) in zip(users, results, strict=True):
        records = {r["run_id"]: r["status"] for r in await list_runs_all(capped_server, user.token)}
        assert records == {run_id: "completed" for run_id in ended}, "record and event disagree"
        assert set(ended.values()) == {"agent_completed"} or not ended


async def list_runs_all(server: GoldenPathServer, token: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=30.0) as http:
        response = await http.get(
            f"{server.base_url}/api/runs",
            params={"limit": 200},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    return list(response.json()["runs"])


@pytest.fixture
def impatient_server() -> Iterator[GoldenPathServer]:
    """One socket per user; writes time out after 0.5 s; short shutdown grace."""
    with serving(
        "sqlite",
        registry=scripted_registry(),
        ws_max_connections_per_user=1,
        ws_send_timeout_seconds=0.5,
        ws_send_queue_bytes=256 * 1024,
        plan_limits=PlanTable.uniform(200, 100_000),
        ws_rate_limit_per_second=10_000,
        ws_rate_limit_burst=10_000,
        shutdown_grace_seconds=3,
    ) as server:
        yield server


async def test_a_client_that_never_reads_is_closed_and_frees_its_slot(
    impatient_server: GoldenPathServer,
) -> None:
    server = impatient_server
    user = await server.create_user()
    big = "x" * 15_000
    # max_queue=1: this client stops reading from its socket almost at once, so the
    # server's writes block once the kernel buffers are full.
    stalled = await websockets.connect(
        server.ws_url,
        additional_headers={"Authorization": f"Bearer {user.token}"},
        max_queue=1,
    )
    try:
        for _ in range(150):  # ~9 MB of events for a client that reads nothing
            await stalled.send(
                '{"type": "agent_request", "agent": "echo", "message": "' + big + '"}'
            )
        # The slot frees once the server gives up on the stalled socket; bounded retries.
        frame: dict[str, Any] | None = None
        for _ in range(200):
            closed: websockets.ConnectionClosed | None = None
            try:
                async with WebSocketTestClient(server.ws_url, user.token) as fresh:
                    await fresh.send_json({"type": "ping"})
                    frame = await fresh.receive_one(5.0)
            except websockets.ConnectionClosed as error:
                closed = error
                frame = None  # the stalled socket still holds the user's only slot
            if closed is not None:
                assert closed.rcvd is not None and closed.rcvd.code == 1008, closed
            if frame == {"type": "pong"}:
                break
            await asyncio.sleep(0.1)
        assert frame == {"type": "pong"}, "the stalled client's slot was never freed"
    finally:
        stalled.transport.abort()


async def test_shutdown_completes_within_its_grace_with_a_client_that_never_reads() -> None:
    env = {
        "NETRA_SHUTDOWN_GRACE_SECONDS": "2",
        # Long, so the write timeout cannot rescue shutdown: the grace period must.
        "NETRA_WS_SEND_TIMEOUT_SECONDS": "120",
        "NETRA_WS_SEND_QUEUE_BYTES": str(64 * 1024 * 1024),
        "NETRA_WS_SEND_QUEUE_SIZE": "100000",
        "NETRA_MAX_CONCURRENT_RUNS_PER_USER": "200",
        "NETRA_WS_RATE_LIMIT_PER_SECOND": "10000",
        "NETRA_WS_RATE_LIMIT_BURST": "10000",
        "NETRA_MAX_MESSAGE_CHARS": "16000",
    }
    server = start_server(env=env)
    try:
        user = await register_or_login(server.base_url)
        stalled = await websockets.connect(
            server.ws_url,
            additional_headers={"Authorization": f"Bearer {user.token}"},
            max_queue=1,
        )
        big = "x" * 15_000
        for _ in range(150):
            await stalled.send(
                '{"type": "agent_request", "agent": "triage_agent", "message": "' + big + '"}'
            )
        await asyncio.sleep(1.0)  # let the server's writes pile up against the full buffers
        server.process.send_signal(signal.SIGINT)
        # Bounded: a shutdown that waited for this client would never end.
        code = await asyncio.to_thread(server.process.wait, 60)
        assert code == 0, server.log_text()[-2000:]
        stalled.transport.abort()
    finally:
        server.stop()
