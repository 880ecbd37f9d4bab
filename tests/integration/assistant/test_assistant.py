"""The ``assistant`` end to end: a real Netra server whose model is the loopback stand-in.

Real parts only: the in-process uvicorn server (SQLite), real WebSocket clients, and
``test_framework.openai_standin`` as the provider, speaking the chat-completions stream over
real HTTP. Each test scripts the provider's answers and checks what the client saw and what the
provider was sent. Order and counts are asserted, never durations; waits are generous bounds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from netra_backend.app.agents.assistant import SYSTEM_PROMPT
from netra_backend.app.agents.base import Tool
from netra_backend.app.agents.builtin import BUILTIN_AGENTS, BUILTIN_TOOLS
from netra_backend.app.agents.registry import AgentRegistry
from netra_backend.app.plans import PlanTable
from test_framework.openai_standin import OpenAIStandIn, Status, Stream, content, finish
from test_framework.real_services_test_fixtures import RealServices
from test_framework.websocket_helpers import WebSocketTestClient
from tests.integration.golden_path._protocol import (
    FRAME_TIMEOUT,
    assert_error_frame,
    collect_runs,
    next_frame,
)
from tests.integration.golden_path._servers import GoldenPathServer, serving

pytestmark = pytest.mark.integration

Event = dict[str, Any]
KEY = "sk-standin-secret-4f1c9a0b7e"
MODEL = "standin-model"
MAX_ROUNDS = 2
WAIT = 30.0
"""Seconds a test waits for the stand-in or a frame (a bound, never an assertion)."""
GATE = threading.Event()
"""Opens the ``gate`` tool; tests that hold a tool call clear it, teardown sets it."""
TEXT = "The quick brown fox jumps over the lazy dog, twice: quick brown fox, lazy dog."

OBJECT: dict[str, Any] = {"type": "object", "additionalProperties": False}


async def _gate() -> dict[str, bool]:
    # Awaiting the thread lets a cancel stop the call at once; the thread ends when GATE opens.
    return {"opened": await asyncio.to_thread(GATE.wait, WAIT)}


def _picky(unit: str) -> dict[str, str]:
    raise ValueError(f"unknown unit {unit!r}; use hours or days")


def _broken() -> None:
    raise RuntimeError("internal detail that stays in the log")


TEST_TOOLS = (
    Tool(
        "echo",
        "returns its text",
        lambda text: {"echo": text},
        parameters={**OBJECT, "properties": {"text": {"type": "string"}}, "required": ["text"]},
    ),
    Tool("gate", "waits until the test opens it", _gate, parameters={**OBJECT, "properties": {}}),
    Tool(
        "picky",
        "refuses every unit",
        _picky,
        parameters={**OBJECT, "properties": {"unit": {"type": "string"}}, "required": ["unit"]},
    ),
    Tool("broken", "always crashes", _broken, parameters={**OBJECT, "properties": {}}),
)


@pytest.fixture(scope="module")
def provider() -> Iterator[OpenAIStandIn]:
    """The stand-in model provider, for the whole module."""
    with OpenAIStandIn() as standin:
        yield standin


@pytest.fixture(scope="module")
def server(provider: OpenAIStandIn) -> Iterator[GoldenPathServer]:
    """A real server with the assistant pointed at the stand-in, and the test tools."""
    registry = AgentRegistry(BUILTIN_AGENTS, (*BUILTIN_TOOLS, *TEST_TOOLS))
    with serving(
        "sqlite",
        registry=registry,
        llm_base_url=provider.base_url,
        llm_model=MODEL,
        llm_api_key=KEY,
        llm_max_tool_rounds=MAX_ROUNDS,
        plan_limits=PlanTable.uniform(20, 10_000),
    ) as running:
        yield running
    GATE.set()


@pytest.fixture(autouse=True)
def _open_gate_after() -> Iterator[None]:
    GATE.clear()
    yield
    GATE.set()


def _address(provider: OpenAIStandIn) -> str:
    return f"{provider.host}:{provider.port}"


async def _ask(
    client: WebSocketTestClient, message: str, *, conversation_id: str | None = None
) -> None:
    frame: dict[str, Any] = {"type": "agent_request", "agent": "assistant", "message": message}
    if conversation_id is not None:
        frame["conversation_id"] = conversation_id
    await client.send_json(frame)


async def _run(
    client: WebSocketTestClient, message: str, *, conversation_id: str | None = None
) -> list[Event]:
    """Ask and return the run's events through its terminal event."""
    await _ask(client, message, conversation_id=conversation_id)
    runs, other = await collect_runs(client, 1, WAIT)
    assert not other, f"frames outside the run: {other}"
    (events,) = runs.values()
    return events


async def _until(client: WebSocketTestClient, event_type: str) -> list[Event]:
    """Frames up to and including the first of ``event_type``."""
    frames: list[Event] = []
    while True:
        frame = await next_frame(client, WAIT)
        frames.append(frame)
        if frame.get("type") == event_type:
            return frames


def _deltas(events: list[Event]) -> list[Event]:
    return [e for e in events if e["type"] == "agent_message_delta"]


def _check_run(events: list[Event], ending: str = "agent_completed") -> dict[str, Any]:
    """One whole run: started first, one terminal last, seq by one, deltas adding up."""
    types = [e["type"] for e in events]
    assert types[0] == "agent_started" and types[-1] == ending, types
    assert sum(t in ("agent_completed", "agent_failed", "agent_cancelled") for t in types) == 1
    assert "agent_thinking" in types
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
    data: dict[str, Any] = events[-1]["data"]
    if ending == "agent_completed":
        result = data["result"]
        deltas = _deltas(events)
        assert {d["data"]["message_id"] for d in deltas} <= {result["message_id"]}
        assert "".join(d["data"]["delta"] for d in deltas) == result["reply"]
        assert result["model"] == MODEL
    return data


async def _wait(event: threading.Event) -> None:
    assert await asyncio.to_thread(event.wait, WAIT), "the stand-in did not get there"


# --- streaming ------------------------------------------------------------------------------


async def test_deltas_stream_in_order_before_the_end_and_add_up_to_the_reply(
    server: GoldenPathServer, provider: OpenAIStandIn
) -> None:
    stream = Stream.reply(TEXT, pieces=12, hold_after=6)
    provider.script(stream)
    user = await server.create_user()
    async with server.websocket(user.token) as client:
        await _ask(client, "tell me about foxes")
        before = await _until(client, "agent_message_delta")  # arrives while the stand-in holds
        assert stream.held.is_set()
        stream.release()
        runs, _ = await collect_runs(client, 1, WAIT)
    events = before + next(iter(runs.values()))
    result = _check_run(events)["result"]
    assert result["reply"] == TEXT and result["finish_reason"] == "stop"
    assert result["conversation_id"] is None and result["tool_calls"] == []

    (body,) = provider.bodies()
    assert body["stream"] is True and body["model"] == MODEL and body["tool_choice"] == "auto"
    assert body["messages"] == [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": "tell me about foxes"},
    ]
    offered = {spec["function"]["name"]: spec["function"]["parameters"] for spec in body["tools"]}
    registry = {tool.name: tool.parameters for tool in (*BUILTIN_TOOLS, *TEST_TOOLS)}
    assert offered == registry
    assert provider.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert provider.requests[0].path == "/v1/chat/completions"


async def test_a_fast_300_token_stream_costs_fewer_than_100_delta_events(
    server: GoldenPathServer, provider: OpenAIStandIn
) -> None:
    tokens = [f"tok{i} " for i in range(300)]
    provider.script(Stream([*(content(token) for token in tokens), finish()]))
    user = await server.create_user()
    async with server.websocket(user.token) as client:
        events = await _run(client, "count")
    result = _check_run(events)["result"]
    assert result["reply"] == "".join(tokens)
    assert 1 <= len(_deltas(events)) < 100


# --- tools ----------------------------------------------------------------------------------


async def test_a_tool_round_trip_is_a_pair_of_events_and_its_result_goes_back(
    server: GoldenPathServer, provider: OpenAIStandIn
) -> None:
    provider.script(
        Stream.calls(("echo", '{"text": "ping"}'), text="Let me check."),
        Stream.reply("It said ping."),
    )
    user = await server.create_user()
    async with server.websocket(user.token) as client:
        events = await _run(client, "echo ping")
    result = _check_run(events)["result"]
    assert result["reply"] == "Let me check.\n\nIt said ping."
    types = [e["type"] for e in events]
    executing, completed = types.index("tool_executing"), types.index("tool_completed")
    assert executing < completed and types.count("tool_executing") == 1
    # The first response's text went out before the tool events.
    first_text = "".join(d["data"]["delta"] for d in _deltas(events[:executing]))
    assert first_text == "Let me check."
    assert events[executing]["data"]["arguments"] == {"text": "ping"}
    assert events[completed]["data"]["result"] == {"echo": "ping"}
    assert result["tool_calls"] == [{"id": "call_0", "name": "echo", "arguments": {"text": "ping"}}]

    first, second = provider.bodies()
    assert second["messages"][: len(first["messages"])] == first["messages"]
    assistant, tool = second["messages"][len(first["messages"]) :]
    assert assistant["role"] == "assistant" and assistant["content"] == "Let me check."
    assert assistant["tool_calls"] == [
        {
            "id": "call_0",
            "type": "function",
            "function": {"name": "echo", "arguments": '{"text": "ping"}'},
        }
    ]
    assert tool == {"role": "tool", "tool_call_id": "call_0", "content": '{"echo": "ping"}'}


async def test_bad_arguments_and_unknown_tools_go_back_to_the_model_without_tool_events(
    server: GoldenPathServer, provider: OpenAIStandIn
) -> None:
    provider.script(
        Stream.calls(("echo", '{"txt": "x"}'), ("teleport", "{}"), ("echo", "{not json")),
        Stream.reply("Sorry about that."),
    )
    user = await server.create_user()
    async with server.websocket(user.token) as client:
        events = await _run(client, "break things")
    result = _check_run(events)["result"]
    assert result["reply"] == "Sorry about that."
    assert not [e for e in events if e["type"].startswith("tool_")]
    answers = [m for m in provider.bodies()[1]["messages"] if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in answers] == ["call_0", "call_1", "call_2"]
    bad_keys, unknown, bad_json = (m["content"] for m in answers)
    assert "missing required argument(s) text" in bad_keys and "unknown argument(s) txt" in bad_keys
    assert "no tool named 'teleport'" in unknown and "echo" in unknown
    assert "not valid JSON" in bad_json
    assert [call["error"] for call in result["tool_calls"]] == [bad_keys, unknown, bad_json]


async def test_a_tools_value_error_goes_back_and_a_crash_is_the_tool_failed(
    server: GoldenPathServer, provider: OpenAIStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    provider.script(
        Stream.calls(("picky", '{"unit": "parsecs"}'), ("broken", "{}")),
        Stream.reply("Neither worked."),
    )
    user = await server.create_user()
    async with server.websocket(user.token) as client:
        events = await _run(client, "convert")
    _check_run(events)
    completed = [e["data"] for e in events if e["type"] == "tool_completed"]
    assert [c["tool"] for c in completed] == ["picky", "broken"]
    assert all("error" in c for c in completed)
    answers = [m["content"] for m in provider.bodies()[1]["messages"] if m["role"] == "tool"]
    assert answers == ["error: unknown unit 'parsecs'; use hours or days", "error: the tool failed"]
    assert any("tool broken failed" in r.getMessage() for r in caplog.records)
    assert not any("internal detail" in json.dumps(e) for e in events)


async def test_tool_rounds_are_bounded_then_the_model_must_answer_in_text(
    server: GoldenPathServer, provider: OpenAIStandIn
) -> None:
    provider.script(
        *(Stream.calls(("echo", f'{{"text": "round {n}"}}')) for n in range(MAX_ROUNDS + 1))
    )
    user = await server.create_user()
    async with server.websocket(user.token) as client:
        events = await _run(client, "loop forever")
    result = _check_run(events)["result"]
    assert [e["type"] for e in events].count("tool_executing") == MAX_ROUNDS
    bodies = provider.bodies()
    assert [body["tool_choice"] for body in bodies] == ["auto"] * MAX_ROUNDS + ["none"]
    assert len(result["tool_calls"]) == MAX_ROUNDS  # the last response's call was not run
    assert result["finish_reason"] == "tool_calls" and provider.unscripted == 0


# --- provider failures ----------------------------------------------------------------------


async def test_a_stream_cut_midway_fails_the_run_provider_unavailable(
    server: GoldenPathServer, provider: OpenAIStandIn
) -> None:
    provider.script(Stream.reply(TEXT, pieces=8, cut_after=4))
    user = await server.create_user()
    async with server.websocket(user.token) as client:
        events = await _run(client, "hello")
    error = _check_run(events, "agent_failed")["error"]
    assert error["code"] == "provider_unavailable" and "status" not in error
    assert _address(provider) in error["message"] and "cut the stream" in error["message"]
    text = "".join(d["data"]["delta"] for d in _deltas(events))
    assert TEXT.startswith(text)  # what arrived before the cut, and nothing else


@pytest.mark.parametrize(
    ("chunks", "code", "says"),
    [
        ([content("half an ans")], "provider_unavailable", "without finishing the answer"),
        (
            [content("so far "), {"error": {"message": f"BODY-MARKER overloaded {KEY}"}}],
            "provider_error",
            "reported an error in its stream",
        ),
    ],
    ids=["no-finish-reason", "error-event"],
)
async def test_a_stream_that_ends_badly_fails_the_run_without_the_providers_words(
    server: GoldenPathServer,
    provider: OpenAIStandIn,
    chunks: list[dict[str, Any]],
    code: str,
    says: str,
) -> None:
    provider.script(Stream(chunks))
    user = await server.create_user()
    async with server.websocket(user.token) as client:
        events = await _run(client, "hello")
    error = _check_run(events, "agent_failed")["error"]
    assert error["code"] == code and says in error["message"] and "status" not in error
    assert "BODY-MARKER" not in json.dumps(events) and KEY not in json.dumps(events)


@pytest.mark.parametrize(
    ("status", "headers", "code", "retry_after"),
    [
        (401, {}, "provider_auth", None),
        (429, {"Retry-After": "7"}, "provider_rate_limited", 7.0),
        (500, {}, "provider_unavailable", None),
        (404, {}, "provider_error", None),
    ],
)
async def test_provider_refusals_fail_the_run_with_the_status_and_never_the_key(
    server: GoldenPathServer,
    provider: OpenAIStandIn,
    caplog: pytest.LogCaptureFixture,
    status: int,
    headers: dict[str, str],
    code: str,
    retry_after: float | None,
) -> None:
    caplog.set_level(logging.DEBUG)
    body = {"error": {"message": f"BODY-MARKER: key {KEY} refused", "type": "x"}}
    provider.script(Status(status, body, headers))
    user = await server.create_user()
    async with server.websocket(user.token) as client:
        events = await _run(client, "hello")
    error = _check_run(events, "agent_failed")["error"]
    assert error["code"] == code and error["status"] == status
    assert error.get("retry_after") == retry_after
    assert _address(provider) in error["message"] and f"HTTP {status}" in error["message"]
    assert "BODY-MARKER" not in error["message"]
    assert provider.requests[0].headers["authorization"] == f"Bearer {KEY}"  # it was sent
    assert KEY not in json.dumps(events)
    leaks = [r.getMessage() for r in caplog.records if KEY in r.getMessage() or KEY in str(r.args)]
    assert leaks == []
    assert caplog.records, "DEBUG logging captured nothing: the check would prove nothing"


# --- cancel and resume ----------------------------------------------------------------------


async def test_cancel_mid_stream_closes_the_upstream_connection(
    server: GoldenPathServer, provider: OpenAIStandIn
) -> None:
    stream = Stream.reply(TEXT, pieces=10, hold_after=3)
    provider.script(stream)
    user = await server.create_user()
    async with server.websocket(user.token) as client:
        await _ask(client, "hello")
        frames = await _until(client, "agent_message_delta")
        await client.send_json({"type": "cancel_run", "run_id": frames[0]["run_id"]})
        frames += await _until(client, "agent_cancelled")
    _check_run(frames, "agent_cancelled")
    await _wait(provider.disconnected)  # the stand-in, still holding, saw the hang-up
    stream.release()


async def test_resume_mid_stream_replays_each_delta_exactly_once(
    server: GoldenPathServer, provider: OpenAIStandIn
) -> None:
    stream = Stream.reply(TEXT, pieces=10, hold_after=5)
    held_text = "".join(
        chunk["choices"][0]["delta"].get("content", "") for chunk in stream.chunks[:5]
    )
    provider.script(stream)
    user = await server.create_user()
    async with server.websocket(user.token) as first:
        await _ask(first, "hello")
        seen = await _until(first, "agent_message_delta")
        # Wait until all the text before the hold has gone out: nothing is pending at the seam.
        while "".join(d["data"]["delta"] for d in _deltas(seen)) != held_text:
            seen.append(await next_frame(first, WAIT))
        started = seen[0]
        async with server.websocket(user.token) as second:
            await second.send_json({"type": "resume", "last_seq": started["seq"]})
            replayed = await _until(second, "resumed")
            resumed = replayed.pop()
            assert replayed == seen[1:]  # the same envelopes, in order, once
            assert resumed["data"] == {"last_seq": seen[-1]["seq"], "replayed": len(seen) - 1}
            stream.release()
            runs, _ = await collect_runs(second, 1, WAIT)
            live = next(iter(runs.values()))
        runs, _ = await collect_runs(first, 1, WAIT)
        rest = next(iter(runs.values()))
    assert replayed + live == seen[1:] + rest  # both tabs saw the same, byte for byte
    events = seen + rest
    _check_run(events)
    deltas = _deltas(replayed + live)
    assert len({d["seq"] for d in deltas}) == len(deltas)
    assert "".join(d["data"]["delta"] for d in deltas) == TEXT


# --- conversations --------------------------------------------------------------------------


def _conversation(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in body["messages"] if m["role"] != "system"]


async def test_two_users_on_one_conversation_id_never_see_each_others_turns(
    server: GoldenPathServer, provider: OpenAIStandIn
) -> None:
    provider.script(*(Stream.reply(f"reply {n}") for n in range(5)))
    alice, bob = await server.create_user(), await server.create_user()
    async with server.websocket(alice.token) as a, server.websocket(bob.token) as b:
        _check_run(await _run(a, "alice one", conversation_id="shared"))
        _check_run(await _run(b, "bob one", conversation_id="shared"))
        _check_run(await _run(a, "alice two", conversation_id="shared"))
        _check_run(await _run(b, "bob two", conversation_id="shared"))
        result = _check_run(await _run(a, "no conversation"))["result"]
    bodies = provider.bodies()
    assert _conversation(bodies[2]) == [
        ("user", "alice one"),
        ("assistant", "reply 0"),
        ("user", "alice two"),
    ]
    assert _conversation(bodies[3]) == [
        ("user", "bob one"),
        ("assistant", "reply 1"),
        ("user", "bob two"),
    ]
    assert _conversation(bodies[1]) == [("user", "bob one")]
    assert _conversation(bodies[4]) == [("user", "no conversation")]
    assert result["conversation_id"] is None


async def test_a_second_request_on_a_conversation_is_refused_while_a_tool_runs(
    server: GoldenPathServer, provider: OpenAIStandIn
) -> None:
    provider.script(Stream.calls(("gate", "{}")), Stream.reply("opened"))
    user = await server.create_user()
    async with server.websocket(user.token) as client:
        await _ask(client, "open it", conversation_id="busy")
        events = await _until(client, "tool_executing")
        await _ask(client, "me too", conversation_id="busy")
        refused = await next_frame(client, WAIT)
        assert_error_frame(refused, "conversation_busy", mentions=["busy"])
        GATE.set()
        runs, other = await collect_runs(client, 1, WAIT)
    assert not other
    result = _check_run(events + next(iter(runs.values())))["result"]
    assert result["reply"] == "opened" and result["conversation_id"] == "busy"
    assert len(provider.requests) == 2  # the refused request never reached the model


async def test_a_cancel_mid_tool_call_leaves_the_conversation_usable(
    server: GoldenPathServer, provider: OpenAIStandIn
) -> None:
    provider.script(
        Stream.reply("first answer"), Stream.calls(("gate", "{}")), Stream.reply("third answer")
    )
    user = await server.create_user()
    async with server.websocket(user.token) as client:
        _check_run(await _run(client, "first", conversation_id="c"))
        await _ask(client, "second", conversation_id="c")
        frames = await _until(client, "tool_executing")
        await client.send_json({"type": "cancel_run", "run_id": frames[0]["run_id"]})
        frames += await _until(client, "agent_cancelled")
        _check_run(frames, "agent_cancelled")
        stopped = [e["data"] for e in frames if e["type"] == "tool_completed"]
        assert [s["error"]["code"] for s in stopped] == ["cancelled"]
        result = _check_run(await _run(client, "third", conversation_id="c"))["result"]
    assert result["reply"] == "third answer"
    last = provider.bodies()[-1]
    assert _conversation(last) == [
        ("user", "first"),
        ("assistant", "first answer"),
        ("user", "third"),
    ]
    assert not [m for m in last["messages"] if m["role"] == "tool" or m.get("tool_calls")]


# --- not enabled ----------------------------------------------------------------------------


async def test_without_a_base_url_the_assistant_is_unknown_and_the_error_says_how(
    real_services_fixture: RealServices,
) -> None:
    user = await real_services_fixture.create_user()
    async with real_services_fixture.websocket(user.token) as client:
        await _ask(client, "hello")
        frame = await next_frame(client, FRAME_TIMEOUT)
    assert_error_frame(
        frame, "unknown_agent", mentions=["not enabled", "NETRA_LLM_BASE_URL", "NETRA_LLM_MODEL"]
    )
