"""Runs per minute and concurrent runs by plan, through a real server: over the user's plan an
``agent_request`` gets ``error`` code ``rate_limited`` with ``retry_after``, and starts nothing;
another plan on the same server has its own numbers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from netra_backend.app.plans import PlanTable
from tests.integration.golden_path._agents import scripted_registry
from tests.integration.golden_path._protocol import (
    assert_error_frame,
    assert_golden_order,
    list_runs,
    next_frame,
    run_agent,
)
from tests.integration.golden_path._servers import GoldenPathServer, serving

pytestmark = pytest.mark.integration

FREE_PER_MINUTE = 3
MID_PER_MINUTE = 6


@pytest.fixture(scope="module")
def plan_server() -> Iterator[GoldenPathServer]:
    plans = PlanTable.model_validate(
        {
            "free": {"concurrent_runs": 1, "runs_per_minute": FREE_PER_MINUTE},
            "mid": {"concurrent_runs": 5, "runs_per_minute": MID_PER_MINUTE},
        }
    )
    with serving("sqlite", registry=scripted_registry(), plan_limits=plans) as server:
        yield server


async def test_runs_over_the_plans_per_minute_limit_get_rate_limited_with_retry_after(
    plan_server: GoldenPathServer,
) -> None:
    free = await plan_server.create_user(subscription="free")
    mid = await plan_server.create_user(subscription="mid")
    async with plan_server.websocket(free.token) as client:
        for k in range(FREE_PER_MINUTE):
            assert_golden_order(await run_agent(client, "echo", f"run {k}"))
        await client.request_agent("echo", "one too many", request_id="over")
        refused = await next_frame(client)
        assert_error_frame(refused, "rate_limited", mentions=("free", str(FREE_PER_MINUTE)))
        assert refused["data"]["request_id"] == "over"
        assert 0 < refused["data"]["retry_after"] <= 60
    assert len(await list_runs(plan_server.base_url, free.token)) == FREE_PER_MINUTE

    # The mid plan on the same server gets its own, higher allowance.
    async with plan_server.websocket(mid.token) as client:
        for k in range(MID_PER_MINUTE):
            assert_golden_order(await run_agent(client, "echo", f"mid run {k}"))
        await client.request_agent("echo", "one too many")
        assert_error_frame(await next_frame(client), "rate_limited", mentions=("mid",))


async def test_a_second_run_in_flight_over_the_free_plan_is_refused(
    plan_server: GoldenPathServer,
) -> None:
    user = await plan_server.create_user(subscription="free")
    async with plan_server.websocket(user.token) as client:
        await client.request_agent("stall", "hold the only slot", request_id="first")
        started = await next_frame(client)
        assert started["type"] == "agent_started"
        await client.request_agent("echo", "second", request_id="second")
        while True:  # the first run's own events may come first
            frame = await next_frame(client)
            if frame.get("type") == "error":
                break
            assert frame.get("run_id") == started["run_id"], frame
        assert_error_frame(frame, "rate_limited", mentions=("free plan allows 1 at once",))
        assert frame["data"]["request_id"] == "second"
        await client.send_json({"type": "cancel_run", "run_id": started["run_id"]})
