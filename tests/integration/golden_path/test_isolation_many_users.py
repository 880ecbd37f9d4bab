"""50 users at once, each on their own socket, each receiving only their own runs' events.

"Their own runs" is what the server recorded for them (``GET /api/runs``), an independent
source of truth; a ping barrier at the end proves nothing else was on its way to a socket.
Bounded by frame timeouts; this checks correctness, not speed.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import pytest

from test_framework.real_services_test_fixtures import RealServices
from test_framework.users import TestUser
from test_framework.websocket_helpers import WebSocketTestClient
from tests.integration.golden_path._protocol import (
    assert_golden_order,
    collect_runs,
    list_runs,
    ping_barrier,
)

pytestmark = pytest.mark.integration

USERS = 50
RUNS_PER_USER = 2
FRAME_TIMEOUT = 60.0  # generous: 100 runs share two CPU cores with the rest of the machine


async def _user_session(
    client: WebSocketTestClient, index: int, start: asyncio.Event
) -> dict[str, list[dict[str, Any]]]:
    await start.wait()
    for k in range(RUNS_PER_USER):
        await client.request_agent(
            "triage_agent",
            f"user {index} run {k}: my AWS bill is too expensive",
            request_id=f"u{index}-r{k}",
            # A forged identity in the payload: must be ignored.
            context={"user_id": "someone-else"},
        )
    runs, other = await collect_runs(client, RUNS_PER_USER, FRAME_TIMEOUT)
    assert not other, f"user {index} got frames outside any run: {other}"
    return runs


async def test_fifty_concurrent_users_each_receive_only_their_own_events(
    real_services_all_backends: RealServices,
) -> None:
    services = real_services_all_backends
    users: list[TestUser] = await asyncio.gather(*(services.create_user() for _ in range(USERS)))
    assert len({user.user_id for user in users}) == USERS

    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(services.websocket(u.token)) for u in users]
        # Every socket attached and answering before anyone starts a run.
        for client in clients:
            assert await ping_barrier(client) == []
        start = asyncio.Event()
        sessions = [
            asyncio.create_task(_user_session(client, i, start)) for i, client in enumerate(clients)
        ]
        start.set()
        seen = await asyncio.gather(*sessions)
        # All runs of everyone have ended: anything misrouted is already queued ahead of a pong.
        leftovers = await asyncio.gather(*(ping_barrier(client) for client in clients))

    assert leftovers == [[] for _ in users], "frames arrived after every run had ended"
    seen_by_user = [set(runs) for runs in seen]
    all_run_ids = [run_id for run_ids in seen_by_user for run_id in run_ids]
    assert len(all_run_ids) == len(set(all_run_ids)) == USERS * RUNS_PER_USER, (
        "a run reached two users"
    )

    recorded = await asyncio.gather(*(list_runs(services.base_url, u.token) for u in users))
    for index, (user, runs, own) in enumerate(zip(users, seen, recorded, strict=True)):
        own_ids = {run["run_id"] for run in own}
        assert seen_by_user[index] == own_ids, f"user {index} saw {set(runs)} but owns {own_ids}"
        request_ids = set()
        for events in runs.values():
            # Two runs of one user interleave, so seq only increases within a run.
            assert_golden_order(events, contiguous=False)
            request_ids.add(events[0]["data"]["request_id"])
            assert events[-1]["data"]["result"]["intent"] == "cost"
        assert request_ids == {f"u{index}-r{k}" for k in range(RUNS_PER_USER)}, user.email
        # One sequence per user, shared by their runs, with no gaps: nobody else's events in it.
        seqs = sorted(event["seq"] for events in runs.values() for event in events)
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), f"user {index} seq gaps: {seqs}"
