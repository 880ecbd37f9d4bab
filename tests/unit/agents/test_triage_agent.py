"""Unit tests of TriageAgent, run against a RunHandle double that records every call."""

from __future__ import annotations

import json
from typing import Any

import pytest

from netra_backend.app.agents.base import Agent, AgentRequest
from netra_backend.app.agents.builtin import BUILTIN_AGENTS
from netra_backend.app.agents.triage import TriageAgent
from test_framework.recording_run import RecordingRun

pytestmark = pytest.mark.unit


async def _triage(message: str) -> tuple[dict[str, Any], RecordingRun]:
    run = RecordingRun()
    request = AgentRequest(run_id="run-1", user_id="u1", agent="triage_agent", message=message)
    return await TriageAgent().run(request, run), run


def test_builtin_agents_are_triage_then_cost_optimizer() -> None:
    assert [agent.name for agent in BUILTIN_AGENTS] == [
        "triage_agent",
        "cost_optimizer",
    ]
    assert all(isinstance(agent, Agent) and agent.description for agent in BUILTIN_AGENTS)


async def test_cost_message_routes_to_cost_optimizer_after_one_think_and_one_tool_call() -> None:
    message = "Please analyse my $10,000/month AWS bill on EC2, RDS and S3"
    result, run = await _triage(message)
    assert [c[0] for c in run.calls] == ["think", "tool"]
    assert run.calls[1][1:] == ("intent_classifier", {"message": message})
    assert set(result) == {"intent", "confidence", "suggested_agent", "reply"}
    assert result["intent"] == "cost" and result["suggested_agent"] == "cost_optimizer"
    assert 0.5 < result["confidence"] <= 1
    assert "cost_optimizer" in result["reply"] and "monthly_spend" in result["reply"]
    json.dumps(result)


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("our p99 latency is too slow", "performance"),
        ("the model hallucinates and gives wrong answers", "quality"),
        ("hello, what can you do?", "general"),
    ],
)
async def test_other_intents_stay_with_triage_and_say_why(message: str, intent: str) -> None:
    result, _ = await _triage(message)
    assert result["intent"] == intent
    assert result["suggested_agent"] == "triage_agent"
    assert result["reply"]


async def test_uncertain_reading_is_said_in_the_reply() -> None:
    result, _ = await _triage("blorp zxqv")
    assert result["confidence"] < 0.5
    assert result["reply"].startswith("I am not sure")
