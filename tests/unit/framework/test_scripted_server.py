"""``test_framework.scripted_server``: the slow agent the browser tests cancel and watch."""

from __future__ import annotations

import pytest

from netra_backend.app.agents.base import AgentRequest
from netra_backend.app.agents.builtin import BUILTIN_AGENTS
from test_framework.recording_run import RecordingRun
from test_framework.scripted_server import scripted_registry, slow_steps

pytestmark = pytest.mark.unit


def request(**context: object) -> AgentRequest:
    return AgentRequest(run_id="r", user_id="u", agent="slow_steps", message="m", context=context)


async def test_slow_steps_thinks_each_step_then_replies() -> None:
    run = RecordingRun()
    result = await slow_steps(request(steps=3, delay=0), run)
    assert run.calls == [("think", f"Step {k} of 3") for k in (1, 2, 3)]
    assert result == {"reply": "Finished all 3 steps.", "steps": 3}


async def test_slow_steps_streams_its_reply() -> None:
    run = RecordingRun()
    result = await slow_steps(request(steps=1, delay=0), run)
    assert "".join(delta for _, delta in run.deltas) == result["reply"]
    assert {message_id for message_id, _ in run.deltas} == {"reply"}


async def test_slow_steps_bounds_what_the_context_asks_for() -> None:
    run = RecordingRun()
    result = await slow_steps(request(steps=10**9, delay=0), run)
    assert result["steps"] == 200 and len(run.calls) == 200


def test_scripted_registry_adds_slow_steps_to_the_built_in_agents() -> None:
    names = scripted_registry().names()
    assert names == sorted({agent.name for agent in BUILTIN_AGENTS} | {"slow_steps"})
