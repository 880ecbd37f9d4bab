"""The runtime's ordering guarantees, exercised with scripted agents built from functions."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from netra_backend.app.agents.base import AgentRequest, FunctionAgent, JSONDict, RunHandle, Tool
from netra_backend.app.agents.registry import AgentRegistry
from netra_backend.app.agents.runtime import AgentRuntime
from netra_backend.app.errors import InvalidContextError, ProtocolError
from netra_backend.app.plans import PlanTable
from netra_backend.app.websocket_core.canonical_imports import TERMINAL_EVENTS

pytestmark = pytest.mark.unit

ECHO = Tool("echo", "returns its input", lambda text: {"echo": text})


class Recorder:
    """Collects published events per run, and the run records."""

    def __init__(self, fail: bool = False) -> None:
        self.events: list[tuple[str, str, dict[str, Any], str]] = []
        self.records: dict[str, dict[str, Any]] = {}
        self.fail = fail

    async def publish(
        self, user_id: str, event_type: str, data: Mapping[str, Any], run_id: str
    ) -> None:
        self.events.append((user_id, str(event_type), dict(data), run_id))

    async def create(self, run_id: str, user_id: str, agent: str, request: dict[str, Any]) -> None:
        if self.fail:
            raise RuntimeError("database down")
        self.records[run_id] = {"status": "running", "user_id": user_id}

    async def finish(self, run_id: str, status: str, result: Any = None, error: Any = None) -> None:
        self.records[run_id].update(status=status, result=result, error=error)

    def types(self, run_id: str) -> list[str]:
        return [event_type for _, event_type, _, rid in self.events if rid == run_id]


def runtime_with(*agents: FunctionAgent, recorder: Recorder, **kwargs: Any) -> AgentRuntime:
    return AgentRuntime(AgentRegistry(agents), recorder.publish, recorder=recorder, **kwargs)


async def run_once(runtime: AgentRuntime, agent: str, **kwargs: Any) -> str:
    run_id = await runtime.start(user_id="u1", agent=agent, message="hello", **kwargs)
    await runtime.wait(run_id)
    return run_id


async def good(request: AgentRequest, run: RunHandle) -> JSONDict:
    await run.think("looking")
    result = await run.use_tool(ECHO, {"text": request.message})
    return {"answer": result["echo"]}


async def test_successful_run_emits_the_five_events_in_order() -> None:
    recorder = Recorder()
    runtime = runtime_with(FunctionAgent("good", good), recorder=recorder)
    run_id = await run_once(runtime, "good", request_id="r-1")
    assert recorder.types(run_id) == [
        "agent_started",
        "agent_thinking",
        "tool_executing",
        "tool_completed",
        "agent_completed",
    ]
    completed = recorder.events[-1][2]
    assert completed["result"] == {"answer": "hello"} and completed["request_id"] == "r-1"
    tool_done = recorder.events[3][2]
    assert tool_done["tool"] == "echo" and tool_done["arguments"] == {"text": "hello"}
    assert tool_done["result"] == {"echo": "hello"}
    assert recorder.records[run_id]["status"] == "completed"


async def test_agent_that_never_thinks_still_gets_one_thinking_event() -> None:
    async def silent(request: AgentRequest, run: RunHandle) -> JSONDict:
        return {"ok": True}

    recorder = Recorder()
    run_id = await run_once(
        runtime_with(FunctionAgent("silent", silent), recorder=recorder), "silent"
    )
    assert recorder.types(run_id) == ["agent_started", "agent_thinking", "agent_completed"]


async def test_invalid_context_fails_the_run_with_its_code() -> None:
    async def picky(request: AgentRequest, run: RunHandle) -> JSONDict:
        raise InvalidContextError("monthly_spend", "must be a number")

    recorder = Recorder()
    run_id = await run_once(runtime_with(FunctionAgent("picky", picky), recorder=recorder), "picky")
    assert recorder.types(run_id)[-1] == "agent_failed"
    error = recorder.events[-1][2]["error"]
    assert error["code"] == "invalid_context" and "monthly_spend" in error["message"]
    assert recorder.records[run_id]["status"] == "failed"


async def test_crashing_agent_fails_without_leaking_the_exception_text() -> None:
    async def crash(request: AgentRequest, run: RunHandle) -> JSONDict:
        raise KeyError("secret-internal-detail")

    recorder = Recorder()
    await run_once(runtime_with(FunctionAgent("crash", crash), recorder=recorder), "crash")
    error = recorder.events[-1][2]["error"]
    assert error["code"] == "agent_error" and "secret-internal-detail" not in error["message"]


async def test_failing_tool_still_completes_its_pair_then_fails_the_run() -> None:
    def explode() -> None:
        raise ValueError("boom")

    async def uses_bad_tool(request: AgentRequest, run: RunHandle) -> JSONDict:
        await run.use_tool(Tool("bad", "explodes", explode), {})
        return {}

    recorder = Recorder()
    run_id = await run_once(runtime_with(FunctionAgent("t", uses_bad_tool), recorder=recorder), "t")
    assert recorder.types(run_id) == [
        "agent_started",
        "agent_thinking",
        "tool_executing",
        "tool_completed",
        "agent_failed",
    ]
    assert recorder.events[3][2]["error"]["code"] == "agent_error"


async def test_slow_agent_times_out_with_a_terminal_event() -> None:
    async def slow(request: AgentRequest, run: RunHandle) -> JSONDict:
        await asyncio.sleep(30)
        return {}

    recorder = Recorder()
    runtime = runtime_with(FunctionAgent("slow", slow), recorder=recorder, timeout_seconds=0.05)
    run_id = await run_once(runtime, "slow")
    assert recorder.types(run_id)[-1] == "agent_failed"
    assert recorder.events[-1][2]["error"]["code"] == "timeout"


async def test_non_dict_result_fails_the_run() -> None:
    async def wrong(request: AgentRequest, run: RunHandle) -> JSONDict:
        return [1, 2]  # type: ignore[return-value]

    recorder = Recorder()
    run_id = await run_once(runtime_with(FunctionAgent("wrong", wrong), recorder=recorder), "wrong")
    assert recorder.types(run_id)[-1] == "agent_failed"


async def test_shutdown_stops_runs_past_the_grace_and_each_still_ends_once() -> None:
    started = asyncio.Event()

    async def forever(request: AgentRequest, run: RunHandle) -> JSONDict:
        started.set()
        await asyncio.sleep(3600)
        return {}

    recorder = Recorder()
    runtime = runtime_with(FunctionAgent("forever", forever), recorder=recorder)
    run_id = await runtime.start(user_id="u1", agent="forever", message="hi")
    await started.wait()
    await runtime.shutdown(grace_seconds=0.05)
    terminal = [t for t in recorder.types(run_id) if t in TERMINAL_EVENTS]
    assert terminal == ["agent_failed"]
    assert recorder.events[-1][2]["error"]["code"] == "server_shutdown"
    assert recorder.records[run_id]["status"] == "failed"


async def test_shutdown_lets_runs_in_flight_finish_within_the_grace() -> None:
    release = asyncio.Event()

    async def slow(request: AgentRequest, run: RunHandle) -> JSONDict:
        await run.think("working")
        await release.wait()
        return {"done": True}

    recorder = Recorder()
    runtime = runtime_with(FunctionAgent("slow", slow), recorder=recorder)
    run_id = await runtime.start(user_id="u1", agent="slow", message="hi")
    stopping = asyncio.create_task(runtime.shutdown(grace_seconds=30))
    await asyncio.sleep(0.05)
    with pytest.raises(ProtocolError) as refused:  # draining: no new run starts
        await runtime.start(user_id="u2", agent="slow", message="late")
    assert refused.value.code == "shutting_down"
    assert not stopping.done()
    release.set()
    await stopping
    assert recorder.types(run_id)[-1] == "agent_completed"
    assert recorder.records[run_id]["status"] == "completed"


async def test_unknown_agent_is_refused_before_anything_is_emitted() -> None:
    recorder = Recorder()
    runtime = runtime_with(FunctionAgent("good", good), recorder=recorder)
    with pytest.raises(ProtocolError) as caught:
        await runtime.start(user_id="u1", agent="nope", message="hi")
    assert caught.value.code == "unknown_agent" and "good" in caught.value.message
    assert recorder.events == []


async def test_concurrent_run_limit_per_user() -> None:
    gate = asyncio.Event()

    async def waits(request: AgentRequest, run: RunHandle) -> JSONDict:
        await gate.wait()
        return {}

    recorder = Recorder()
    runtime = runtime_with(
        FunctionAgent("w", waits), recorder=recorder, plans=PlanTable.uniform(2, 1000)
    )
    ids = [await runtime.start(user_id="u1", agent="w", message="m") for _ in range(2)]
    with pytest.raises(ProtocolError) as caught:
        await runtime.start(user_id="u1", agent="w", message="m")
    assert caught.value.code == "rate_limited"
    assert caught.value.retry_after is not None and caught.value.retry_after > 0
    other = await runtime.start(user_id="u2", agent="w", message="m")  # another user is unaffected
    gate.set()
    for run_id in [*ids, other]:
        await runtime.wait(run_id)
    assert runtime.active_runs("u1") == 0


async def test_recorder_failure_does_not_cost_the_live_events() -> None:
    recorder = Recorder(fail=True)
    run_id = await run_once(runtime_with(FunctionAgent("good", good), recorder=recorder), "good")
    assert recorder.types(run_id)[-1] == "agent_completed"


async def test_events_of_a_run_all_go_to_the_requesting_user() -> None:
    recorder = Recorder()
    await run_once(runtime_with(FunctionAgent("good", good), recorder=recorder), "good")
    assert {user for user, *_ in recorder.events} == {"u1"}


async def test_terminal_event_arrives_after_the_slot_is_free_and_the_run_recorded() -> None:
    recorder = Recorder()
    seen: list[tuple[int, str]] = []
    runtime = runtime_with(
        FunctionAgent("good", good), recorder=recorder, plans=PlanTable.uniform(1, 1000)
    )

    async def publish(user_id: str, event_type: str, data: Mapping[str, Any], run_id: str) -> None:
        if event_type in TERMINAL_EVENTS:
            seen.append((runtime.active_runs(user_id), recorder.records[run_id]["status"]))

    runtime._publish = publish  # observe the runtime's state at the moment it emits
    run_id = await runtime.start(user_id="u1", agent="good", message="hi")
    await runtime.wait(run_id)
    assert seen == [(0, "completed")]


async def test_shutdown_never_cancels_the_runtimes_own_bookkeeping() -> None:
    """A run caught mid-way through recording still records and ends: only agent work stops."""
    gate = asyncio.Event()

    class SlowRecorder(Recorder):
        async def create(
            self, run_id: str, user_id: str, agent: str, request: dict[str, Any]
        ) -> None:
            await gate.wait()  # a database write still in flight when shutdown begins
            await super().create(run_id, user_id, agent, request)

    recorder = SlowRecorder()
    runtime = runtime_with(FunctionAgent("good", good), recorder=recorder)
    run_id = await runtime.start(user_id="u1", agent="good", message="hi")
    await asyncio.sleep(0)
    stopping = asyncio.create_task(runtime.shutdown(grace_seconds=0))
    await asyncio.sleep(0)
    gate.set()
    await stopping
    assert recorder.types(run_id) == ["agent_started", "agent_thinking", "agent_failed"]
    assert recorder.records[run_id]["status"] == "failed"
    assert recorder.records[run_id]["error"]["code"] == "server_shutdown"
    with pytest.raises(ProtocolError) as caught:
        await runtime.start(user_id="u1", agent="good", message="again")
    assert caught.value.code == "shutting_down"


async def test_message_deltas_are_events_of_the_run_between_start_and_end() -> None:
    async def streams(request: AgentRequest, run: RunHandle) -> JSONDict:
        await run.message_delta("m1", "Hel")
        await run.message_delta("m1", "")  # nothing to say: no event
        await run.message_delta("m1", "lo")
        return {"reply": "Hello"}

    recorder = Recorder()
    run_id = await run_once(
        runtime_with(FunctionAgent("streams", streams), recorder=recorder), "streams"
    )
    assert recorder.types(run_id) == [
        "agent_started",
        "agent_message_delta",
        "agent_message_delta",
        "agent_thinking",
        "agent_completed",
    ]
    deltas = [data for _, kind, data, _ in recorder.events if kind == "agent_message_delta"]
    assert deltas == [
        {"agent": "streams", "message_id": "m1", "delta": "Hel"},
        {"agent": "streams", "message_id": "m1", "delta": "lo"},
    ]


async def test_a_busy_conversation_refuses_a_second_run_of_that_user_only() -> None:
    release = asyncio.Event()
    seen: list[str | None] = []

    async def waits(request: AgentRequest, run: RunHandle) -> JSONDict:
        seen.append(request.conversation_id)
        await release.wait()
        return {"reply": "done"}

    recorder = Recorder()
    plans = PlanTable.uniform(10, 1000)
    runtime = runtime_with(FunctionAgent("waits", waits), recorder=recorder, plans=plans)
    first = await runtime.start(user_id="u1", agent="waits", message="a", conversation_id="c")
    with pytest.raises(ProtocolError) as refused:
        await runtime.start(user_id="u1", agent="waits", message="b", conversation_id="c")
    assert refused.value.code == "conversation_busy"
    # Another user's conversation of the same id, another conversation, and none at all run.
    others = [
        await runtime.start(user_id="u2", agent="waits", message="c", conversation_id="c"),
        await runtime.start(user_id="u1", agent="waits", message="d", conversation_id="c2"),
        await runtime.start(user_id="u1", agent="waits", message="e"),
    ]
    release.set()
    for run_id in [first, *others]:
        await runtime.wait(run_id)
    assert sorted(seen, key=str) == sorted(["c", "c", "c2", None], key=str)
    assert runtime.conversations.busy() == 0
    again = await runtime.start(user_id="u1", agent="waits", message="f", conversation_id="c")
    await runtime.wait(again)
    assert recorder.records[again]["status"] == "completed"


async def test_a_refused_busy_conversation_does_not_use_up_the_plans_quota() -> None:
    release = asyncio.Event()

    async def waits(request: AgentRequest, run: RunHandle) -> JSONDict:
        await release.wait()
        return {}

    plans = PlanTable.uniform(5, 2)
    runtime = runtime_with(FunctionAgent("waits", waits), recorder=Recorder(), plans=plans)
    first = await runtime.start(user_id="u1", agent="waits", message="a", conversation_id="c")
    for _ in range(3):
        with pytest.raises(ProtocolError, match="conversation_busy"):
            await runtime.start(user_id="u1", agent="waits", message="b", conversation_id="c")
    second = await runtime.start(user_id="u1", agent="waits", message="c")  # 2 of 2 a minute
    release.set()
    await runtime.wait(first)
    await runtime.wait(second)


async def test_cancel_mid_tool_call_frees_the_conversation() -> None:
    started = asyncio.Event()

    async def slow_tool() -> dict[str, str]:
        started.set()
        await asyncio.sleep(60)
        return {}

    async def uses_slow_tool(request: AgentRequest, run: RunHandle) -> JSONDict:
        await run.use_tool(Tool("slow", "sleeps", slow_tool), {})
        return {"reply": "never"}

    recorder = Recorder()
    runtime = runtime_with(FunctionAgent("slow", uses_slow_tool), recorder=recorder)
    run_id = await runtime.start(user_id="u1", agent="slow", message="a", conversation_id="c")
    await started.wait()
    assert await runtime.cancel("u1", run_id)
    await runtime.wait(run_id)
    assert recorder.types(run_id)[-2:] == ["tool_completed", "agent_cancelled"]
    assert runtime.conversations.busy() == 0
    started.clear()
    next_run = await runtime.start(user_id="u1", agent="slow", message="b", conversation_id="c")
    await started.wait()
    assert await runtime.cancel("u1", next_run)
    await runtime.wait(next_run)


async def test_unknown_agent_names_how_to_enable_a_hinted_one() -> None:
    registry = AgentRegistry([FunctionAgent("good", good)])
    registry.hint("assistant", "set NETRA_LLM_BASE_URL and NETRA_LLM_MODEL")
    runtime = AgentRuntime(registry, Recorder().publish)
    with pytest.raises(ProtocolError) as hinted:
        await runtime.start(user_id="u1", agent="assistant", message="hi")
    assert hinted.value.code == "unknown_agent"
    assert "not enabled" in hinted.value.message and "NETRA_LLM_BASE_URL" in hinted.value.message
    with pytest.raises(ProtocolError, match=r"available: \['good'\]"):
        await runtime.start(user_id="u1", agent="nope", message="hi")
