"""Redis mode with two real servers (uvicorn, the full app) on one Redis and one PostgreSQL
database.

Users with a tab on each instance receive every event of their own runs exactly once, in
order, on both tabs, and nothing of anyone else's; a resume works on the other instance;
``cancel_run`` sent to the other instance stops the run. Each test run uses its own key
prefix and deletes its keys afterwards.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
import redis
import websockets

from netra_backend.app.plans import PlanTable
from test_framework.inprocess_server import InProcessServer
from test_framework.users import TestUser, register_or_login
from test_framework.websocket_helpers import frames_until_closed
from tests.integration.redis_mode._cluster import (
    REDIS_URL,
    cluster,
    frames_until,
    open_socket,
)

pytestmark = [pytest.mark.integration, pytest.mark.real_services]

USERS = 50
TIMEOUT = 30.0


@pytest.fixture(scope="module")
def pair() -> Iterator[list[InProcessServer]]:
    with cluster(2) as servers:
        yield servers


@pytest.fixture
async def users(pair: list[InProcessServer]) -> list[TestUser]:
    return [await register_or_login(pair[0].base_url) for _ in range(USERS)]


TERMINAL = {"agent_completed", "agent_failed", "agent_cancelled"}


async def test_a_tab_on_each_instance_gets_every_event_once_in_order(
    pair: list[InProcessServer], users: list[TestUser]
) -> None:
    one, two = pair
    tabs = [(await open_socket(one, u.token), await open_socket(two, u.token)) for u in users]
    try:
        for k, (tab_a, _tab_b) in enumerate(tabs):
            await tab_a.send(
                json.dumps({"type": "agent_request", "agent": "triage_agent", "message": f"{k}"})
            )
        seen = await asyncio.gather(
            *(
                asyncio.gather(frames_until(tab_a, TERMINAL), frames_until(tab_b, TERMINAL))
                for tab_a, tab_b in tabs
            )
        )
    finally:
        for tab_a, tab_b in tabs:
            await tab_a.close()
            await tab_b.close()
    run_ids = set()
    for frames_a, frames_b in seen:
        assert frames_a == frames_b, "the two tabs of one user saw different events"
        seqs = [frame["seq"] for frame in frames_a]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
        assert [f["type"] for f in frames_a][0] == "agent_started"
        assert frames_a[-1]["type"] == "agent_completed"
        assert len({f["run_id"] for f in frames_a}) == 1
        run_ids.add(frames_a[0]["run_id"])
    assert len(run_ids) == USERS, "a user saw another user's run"


async def test_resume_on_the_other_instance_replays_what_the_first_one_sent(
    pair: list[InProcessServer],
) -> None:
    one, two = pair
    user = await register_or_login(one.base_url)
    tab = await open_socket(one, user.token)
    await tab.send(json.dumps({"type": "agent_request", "agent": "triage_agent", "message": "hi"}))
    live = await frames_until(tab, TERMINAL)
    await tab.close()
    other = await open_socket(two, user.token)
    await other.send(json.dumps({"type": "resume", "last_seq": 0}))
    replayed = await frames_until(other, {"resumed"})
    await other.close()
    assert replayed[:-1] == live
    assert replayed[-1]["data"] == {"last_seq": live[-1]["seq"], "replayed": len(live)}


async def test_cancel_sent_to_the_other_instance_stops_the_run(
    pair: list[InProcessServer],
) -> None:
    one, two = pair
    user = await register_or_login(one.base_url)
    runner, other = (
        await open_socket(one, user.token),
        await open_socket(two, user.token),
    )
    try:
        await runner.send(json.dumps({"type": "agent_request", "agent": "stall", "message": "."}))
        started = (await frames_until(runner, {"agent_thinking"}))[0]
        await other.send(json.dumps({"type": "cancel_run", "run_id": started["run_id"]}))
        on_runner = await frames_until(runner, TERMINAL)
        on_other = await frames_until(other, TERMINAL)
    finally:
        await runner.close()
        await other.close()
    assert on_runner[-1]["type"] == "agent_cancelled"
    assert on_other[-1] == on_runner[-1]
    assert not [f for f in on_other if f.get("type") == "error"], on_other


def test_keys_live_under_the_prefix_only(pair: list[InProcessServer]) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    prefixes = {
        key.decode().split(":", 1)[0] for key in client.scan_iter(match="netra-test-*", count=1000)
    }
    assert prefixes, "no keys under the test prefix"


@pytest.fixture(scope="module")
def limited_cluster() -> Iterator[list[InProcessServer]]:
    plans = PlanTable.model_validate({"free": {"concurrent_runs": 1, "runs_per_minute": 2}})
    with cluster(2, ws_max_connections_per_user=2, plan_limits=plans) as servers:
        yield servers


async def test_the_socket_limit_holds_across_instances(
    limited_cluster: list[InProcessServer],
) -> None:
    one, two = limited_cluster
    user = await register_or_login(one.base_url)
    first, second = (
        await open_socket(one, user.token),
        await open_socket(two, user.token),
    )
    try:
        third = await open_socket(one, user.token)
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(third.recv(), TIMEOUT)
        assert third.close_code == 1008
        await second.close()
        await asyncio.sleep(0.2)
        fourth = await open_socket(one, user.token)  # a slot freed on the other instance
        await fourth.send(json.dumps({"type": "ping"}))
        assert json.loads(await fourth.recv()) == {"type": "pong"}
        await fourth.close()
    finally:
        await first.close()


async def test_the_plans_run_limits_hold_across_instances(
    limited_cluster: list[InProcessServer],
) -> None:
    one, two = limited_cluster
    user = await register_or_login(one.base_url)
    here, there = await open_socket(one, user.token), await open_socket(two, user.token)
    try:
        await here.send(json.dumps({"type": "agent_request", "agent": "stall", "message": "."}))
        started = (await frames_until(here, {"agent_started"}))[-1]
        await there.send(json.dumps({"type": "agent_request", "agent": "echo", "message": "."}))
        refused = (await frames_until(there, {"error"}))[-1]
        assert refused["data"]["code"] == "rate_limited"
        assert "1 at once" in refused["data"]["message"]
        await here.send(json.dumps({"type": "cancel_run", "run_id": started["run_id"]}))
        await frames_until(here, TERMINAL)
        await frames_until(there, TERMINAL)  # the same user's tab sees the cancel too
        # Two starts this minute (the plan's allowance): the next is refused with retry_after.
        await there.send(json.dumps({"type": "agent_request", "agent": "echo", "message": "."}))
        await frames_until(there, TERMINAL)
        await there.send(json.dumps({"type": "agent_request", "agent": "echo", "message": "."}))
        over = (await frames_until(there, {"error"}))[-1]
        assert over["data"]["code"] == "rate_limited"
        assert "2 per minute" in over["data"]["message"]
        assert 0 < over["data"]["retry_after"] <= 60
    finally:
        await here.close()
        await there.close()


async def test_a_run_drains_on_a_stopping_instance_and_its_user_resumes_on_another() -> None:
    # SIGTERM's path (uvicorn's should_exit): sockets close 1012 at once, the run in flight
    # finishes within the grace, and a client that reconnects elsewhere resumes every event.
    with cluster(2) as (one, two):
        user = await register_or_login(one.base_url)
        runner = await open_socket(one, user.token)
        await runner.send(
            json.dumps(
                {
                    "type": "agent_request",
                    "agent": "chatty",
                    "message": ".",
                    "context": {"count": 10, "pause": 0.1},
                }
            )
        )
        seen = await frames_until(runner, {"agent_thinking"})
        run_id = seen[0]["run_id"]
        stopping = asyncio.create_task(asyncio.to_thread(one.stop))
        seen += await frames_until_closed(runner)
        assert runner.close_code == 1012
        await stopping  # returns once the run ended: it had 2 s of grace, it needed about 1 s
        last_seq = max(frame["seq"] for frame in seen if "seq" in frame)
        again = await open_socket(two, user.token)
        await again.send(json.dumps({"type": "resume", "last_seq": last_seq}))
        rest = await frames_until(again, {"resumed"})
        await again.close()
    events = [f for f in seen + rest if f.get("run_id") == run_id]
    assert rest[-1]["type"] == "resumed"
    assert any(f.get("run_id") == run_id for f in rest), "nothing was left to resume"
    seqs = [f["seq"] for f in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "a gap or a repeat"
    assert [f["type"] for f in events].count("agent_thinking") == 10
    assert events[-1]["type"] == "agent_completed", events[-1]
