"""Mission critical: the five-event contract of every agent run, over the real WebSocket.

Run with pytest, or directly: ``python tests/mission_critical/test_websocket_agent_events_suite.py``
(the exit status is the result).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

from test_framework.base_e2e_test import BaseE2ETest
from test_framework.envelopes import CRITICAL_EVENTS, assert_run_contract, event_types

pytestmark = pytest.mark.mission_critical

REQUESTS: dict[str, dict[str, Any]] = {
    "triage_agent": {"message": "My EC2 bill doubled this month, what should I look at?"},
    "cost_optimizer": {
        "message": "Find savings in my AWS spend.",
        "context": {"monthly_spend": 10000, "primary_services": ["EC2", "RDS", "S3"]},
    },
}


def by_type(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [event for event in events if event["type"] == name]


class TestWebSocketAgentEvents(BaseE2ETest):
    @pytest.mark.parametrize("agent", sorted(REQUESTS))
    async def test_run_emits_the_five_critical_events_in_order(self, agent: str) -> None:
        user = await self.create_test_user()
        events = await self.run_agent(user, agent, request_id=f"req-{agent}", **REQUESTS[agent])
        assert_run_contract(events)
        types = event_types(events)
        firsts = [types.index(name) for name in CRITICAL_EVENTS]
        assert firsts == sorted(firsts), f"critical events out of order: {types}"
        assert types.count("agent_started") == 1 and types.count("agent_completed") == 1

    @pytest.mark.parametrize("agent", sorted(REQUESTS))
    async def test_event_data_carries_the_documented_fields(self, agent: str) -> None:
        user = await self.create_test_user()
        request = REQUESTS[agent]
        events = await self.run_agent(user, agent, request_id="req-fields", **request)
        started, completed = events[0]["data"], events[-1]["data"]
        assert (started["agent"], started["request_id"], started["message"]) == (
            agent,
            "req-fields",
            request["message"],
        )
        assert completed["agent"] == agent and completed["request_id"] == "req-fields"
        assert isinstance(completed["result"], dict) and completed["result"]
        assert isinstance(completed["duration_ms"], int | float) and completed["duration_ms"] >= 0
        assert all(isinstance(e["data"]["text"], str) for e in by_type(events, "agent_thinking"))
        for done in by_type(events, "tool_completed"):
            assert {"agent", "tool", "call_id", "arguments", "result", "duration_ms"} <= set(
                done["data"]
            )

    async def test_seq_keeps_growing_across_runs_of_one_user(self) -> None:
        user = await self.create_test_user()
        async with self.websocket(user) as client:
            await client.request_agent("triage_agent", "first")
            first = await client.receive_run(timeout=60)
            await client.request_agent("triage_agent", "second")
            second = await client.receive_run(timeout=60)
        seqs = [event["seq"] for event in first + second]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        assert first[0]["run_id"] != second[0]["run_id"]

    async def test_concurrent_users_never_see_each_others_events(self) -> None:
        users = await asyncio.gather(*(self.create_test_user() for _ in range(4)))

        async def everything_until_done(index: int) -> list[dict[str, Any]]:
            async with self.websocket(users[index]) as client:
                await client.request_agent("triage_agent", f"user {index} asks")
                await client.receive_run(timeout=60)
                return list(client.received)

        streams = await asyncio.gather(*(everything_until_done(i) for i in range(len(users))))
        for index, frames in enumerate(streams):
            run_ids = {frame.get("run_id") for frame in frames}
            assert len(run_ids) == 1, f"user {index} saw frames of several runs: {run_ids}"
            assert by_type(frames, "agent_started")[0]["data"]["message"] == f"user {index} asks"
        assert len({streams[i][0]["run_id"] for i in range(len(users))}) == len(users)

    async def test_bad_context_ends_the_run_with_agent_failed(self) -> None:
        user = await self.create_test_user()
        events = await self.run_agent(
            user,
            "cost_optimizer",
            "analyse",
            context={"monthly_spend": "a lot", "primary_services": ["EC2"]},
        )
        assert_run_contract(events, completed=False)
        assert events[-1]["type"] == "agent_failed"
        error = events[-1]["data"]["error"]
        assert error["code"] == "invalid_context"
        assert "monthly_spend" in error["message"]

    async def test_invalid_token_is_closed_with_4401_before_any_event(self) -> None:
        async with self.websocket("not-a-valid-token") as client:
            code = await client.wait_closed(timeout=30)
        assert code == 4401
        assert client.close_reason
        assert client.received == []


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__, "-v", *sys.argv[1:]]))
