"""The Golden Path end to end after the factory clean-up, through the public API only.

The server is ``NETRA_BASE_URL`` when set (``--staging-gcp`` requires it), otherwise the one the
framework starts for the session.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from test_framework.base_e2e_test import BaseE2ETest
from test_framework.envelopes import CRITICAL_EVENTS, assert_run_contract, event_types

pytestmark = pytest.mark.e2e

COST_CONTEXT = {"monthly_spend": 10000, "primary_services": ["EC2", "RDS", "S3"]}


def first_occurrence_order(types: list[str]) -> list[str]:
    """The critical event types in the order each first appears."""
    seen: list[str] = []
    for name in types:
        if name in CRITICAL_EVENTS and name not in seen:
            seen.append(name)
    return seen


class TestGoldenPathAfterCleanup(BaseE2ETest):
    async def test_early_user_gets_cost_analysis_with_all_five_events(self) -> None:
        user = await self.create_test_user(subscription="early")
        events = await self.run_agent(
            user,
            "cost_optimizer",
            "Please analyse my AWS costs and find savings.",
            context=COST_CONTEXT,
            timeout=60,
        )
        assert_run_contract(events)
        assert first_occurrence_order(event_types(events)) == list(CRITICAL_EVENTS)
        result = events[-1]["data"]["result"]
        assert isinstance(result["recommendations"], list) and result["recommendations"]
        assert result["cost_savings"], f"empty cost_savings: {result['cost_savings']!r}"

    async def test_three_users_at_once_each_get_their_own_triage_run(self) -> None:
        users = await asyncio.gather(*(self.create_test_user() for _ in range(3)))
        messages = [
            f"Question {n} from {user.email}: why is my bill high?" for n, user in enumerate(users)
        ]
        request_ids = [f"req-{uuid.uuid4().hex[:8]}" for _ in users]
        runs = await asyncio.gather(
            *(
                self.run_agent(user, "triage_agent", message, request_id=request_id)
                for user, message, request_id in zip(users, messages, request_ids, strict=True)
            )
        )
        for events, message, request_id in zip(runs, messages, request_ids, strict=True):
            assert_run_contract(events)
            assert events[0]["data"]["message"] == message
            assert events[0]["data"]["request_id"] == request_id
            assert events[-1]["data"]["request_id"] == request_id
        assert len({events[0]["run_id"] for events in runs}) == 3

    async def test_user_sees_agent_started_again_after_reconnecting(self) -> None:
        user = await self.create_test_user()
        async with self.websocket(user) as first:
            await first.request_agent("triage_agent", "first connection")
            started = await first.receive_until("agent_started", timeout=30)
            assert started["data"]["message"] == "first connection"
        async with self.websocket(user) as second:
            await second.request_agent("triage_agent", "after reconnecting")
            again = await second.receive_until("agent_started", timeout=30)
            assert again["data"]["message"] == "after reconnecting"
            assert again["run_id"] != started["run_id"]
            rest = await second.receive_run(timeout=60, run_id=again["run_id"])
        assert rest[-1]["type"] == "agent_completed"
