"""No run stalls the server: CPU-heavy tool work runs off the event loop, within a budget.

Proved by order, not by time: while one user's run spins a CPU-bound tool, another user's
``ping`` is answered and their own run completes first. If the tool ran on the event loop,
neither could happen until it returned (and it returns only when the test lets it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from netra_backend.app.agents.base import AgentRequest, FunctionAgent, JSONDict, RunHandle, Tool
from netra_backend.app.agents.registry import AgentRegistry
from test_framework.envelopes import TERMINAL_EVENTS
from tests.integration.golden_path._agents import scripted_registry
from tests.integration.golden_path._protocol import (
    assert_golden_order,
    collect_runs,
    next_frame,
    ping_barrier,
    run_agent,
    types_of,
)
from tests.integration.golden_path._servers import GoldenPathServer, serving

pytestmark = pytest.mark.integration

TOOL_TIMEOUT = 1.0
SPIN_LIMIT = 20.0
"""A spinning tool gives up after this long whatever happens, so a failing test still ends."""


class Spinner:
    """A CPU-bound tool: pure-Python busy work until released (or ``SPIN_LIMIT`` passes)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()

    def spin(self, **_arguments: Any) -> dict[str, int]:
        self.started.set()
        deadline = time.monotonic() + SPIN_LIMIT
        loops = 0
        while not self.release.is_set() and time.monotonic() < deadline:
            loops += sum(range(1000)) and 1
        return {"loops": loops}


def _registry(spinner: Spinner) -> AgentRegistry:
    tool = Tool("spin", "burns CPU until released", spinner.spin)

    async def hog(request: AgentRequest, run: RunHandle) -> JSONDict:
        return {"spun": await run.use_tool(tool, {})}

    registry = scripted_registry()
    registry.register(FunctionAgent("hog", hog, "calls a CPU-bound tool"))
    return registry


@pytest.fixture(scope="module")
def spinner() -> Spinner:
    return Spinner()


@pytest.fixture(scope="module")
def hog_server(spinner: Spinner) -> Iterator[GoldenPathServer]:
    """Default tool budget (30 s): the spinning tool ends only when the test releases it."""
    with serving("sqlite", registry=_registry(spinner)) as server:
        yield server


@pytest.fixture(scope="module")
def budget_server(spinner: Spinner) -> Iterator[GoldenPathServer]:
    """A 1 s tool budget."""
    with serving(
        "sqlite", registry=_registry(spinner), tool_timeout_seconds=TOOL_TIMEOUT
    ) as server:
        yield server


async def test_cpu_bound_tool_leaves_other_users_served_first(
    hog_server: GoldenPathServer, spinner: Spinner
) -> None:
    spinner.release.clear()
    hogger, other = await hog_server.create_user(), await hog_server.create_user()
    async with (
        hog_server.websocket(hogger.token) as hog_client,
        hog_server.websocket(other.token) as other_client,
    ):
        try:
            await hog_client.request_agent("hog", "spin")
            hog_events = [await next_frame(hog_client)]
            assert hog_events[0]["type"] == "agent_started"
            # The tool is spinning now: on a worker thread, or (if broken) on the event loop,
            # in which case nothing below is answered until SPIN_LIMIT.
            await other_client.send_json({"type": "ping"})
            assert await next_frame(other_client) == {"type": "pong"}
            assert_golden_order(await run_agent(other_client, "echo", "still served"))
            hog_events += await ping_barrier(hog_client)
            assert spinner.started.is_set()
            assert all(e["type"] not in TERMINAL_EVENTS for e in hog_events), types_of(hog_events)
        finally:
            spinner.release.set()
        runs, _ = await collect_runs(hog_client, 1)
    (rest,) = runs.values()
    hog_events += rest
    assert_golden_order(hog_events)
    assert hog_events[-1]["data"]["result"]["spun"]["loops"] > 0


async def test_tool_over_its_budget_fails_the_run_with_timeout(
    budget_server: GoldenPathServer, spinner: Spinner
) -> None:
    spinner.release.clear()
    user = await budget_server.create_user()
    try:
        async with budget_server.websocket(user.token) as client:
            events = await run_agent(client, "hog", "spin")
    finally:
        spinner.release.set()
    assert types_of(events)[-1] == "agent_failed"
    assert events[-1]["data"]["error"]["code"] == "timeout"
    (completed,) = [e for e in events if e["type"] == "tool_completed"]
    assert completed["data"]["error"]["code"] == "timeout"
    assert "spin" in completed["data"]["error"]["message"]
