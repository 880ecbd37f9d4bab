"""Limits a client can push against: frame size (close 1009), frame rate (``rate_limited``),
concurrent runs by plan (``rate_limited``), message length, agent timeout; and runs that go wrong
(agent or tool raising, bad result) still end with exactly one ``agent_failed``."""

from __future__ import annotations

import asyncio
import json

import pytest

from test_framework.websocket_helpers import WebSocketTestClient
from tests.integration.golden_path._agents import SECRET_DETAIL
from tests.integration.golden_path._protocol import (
    assert_error_frame,
    assert_golden_order,
    collect_runs,
    list_runs,
    next_frame,
    ping_barrier,
    run_agent,
    types_of,
)
from tests.integration.golden_path._servers import GoldenPathServer
from tests.integration.golden_path.conftest import (
    FRAME_LIMIT,
    MAX_CONNECTIONS,
    MAX_MESSAGE_CHARS,
    MAX_RUNS,
    RATE_BURST,
    RATE_PER_SECOND,
)

pytestmark = pytest.mark.integration

CLOSE_TOO_BIG = 1009


def _ping_of_size(size: int) -> str:
    """A ping frame of exactly ``size`` UTF-8 bytes (extra fields are ignored by the server)."""
    frame = json.dumps({"type": "ping", "pad": ""})
    text = json.dumps({"type": "ping", "pad": "x" * (size - len(frame))})
    assert len(text.encode()) == size
    return text


# --- frame size --------------------------------------------------------------------------


async def test_frame_at_the_byte_limit_is_accepted(frame_limit_server: GoldenPathServer) -> None:
    user = await frame_limit_server.create_user()
    async with frame_limit_server.websocket(user.token) as client:
        await client.send_text(_ping_of_size(FRAME_LIMIT))
        assert await next_frame(client) == {"type": "pong"}


@pytest.mark.parametrize("size", [FRAME_LIMIT + 1, 4 * FRAME_LIMIT])
async def test_text_frame_over_the_byte_limit_closes_1009(
    frame_limit_server: GoldenPathServer, size: int
) -> None:
    user = await frame_limit_server.create_user()
    async with frame_limit_server.websocket(user.token) as client:
        assert await ping_barrier(client) == []
        await client.send_text(_ping_of_size(size))
        code = await client.wait_closed(timeout=30.0)
    assert code == CLOSE_TOO_BIG, f"closed with {code} {client.close_reason!r}"
    assert [f for f in client.received if f.get("type") != "pong"] == []


async def test_binary_frame_over_the_byte_limit_closes_1009(
    frame_limit_server: GoldenPathServer,
) -> None:
    user = await frame_limit_server.create_user()
    async with frame_limit_server.websocket(user.token) as client:
        await client.send_bytes(b"\x00" * (FRAME_LIMIT + 1))
        code = await client.wait_closed(timeout=30.0)
    assert code == CLOSE_TOO_BIG, f"closed with {code} {client.close_reason!r}"


async def test_multibyte_text_is_measured_in_bytes_not_characters(
    frame_limit_server: GoldenPathServer,
) -> None:
    # 400 euro signs are 400 characters but 1200 UTF-8 bytes: over a 1024-byte limit.
    user = await frame_limit_server.create_user()
    text = json.dumps({"type": "ping", "pad": "\u20ac" * 400}, ensure_ascii=False)
    assert len(text) < FRAME_LIMIT < len(text.encode())
    async with frame_limit_server.websocket(user.token) as client:
        await client.send_text(text)
        code = await client.wait_closed(timeout=30.0)
    assert code == CLOSE_TOO_BIG


async def test_oversized_frame_closes_only_that_connection(
    frame_limit_server: GoldenPathServer,
) -> None:
    user = await frame_limit_server.create_user()
    async with (
        frame_limit_server.websocket(user.token) as offender,
        frame_limit_server.websocket(user.token) as other_tab,
    ):
        await offender.send_text(_ping_of_size(FRAME_LIMIT + 1))
        assert await offender.wait_closed(timeout=30.0) == CLOSE_TOO_BIG
        assert await ping_barrier(other_tab) == []


# --- frame rate --------------------------------------------------------------------------


async def _ping_until_pong(client: WebSocketTestClient, attempts: int = 40) -> None:
    # The bucket refills at RATE_PER_SECOND; wait for it rather than assert on timing.
    for _ in range(attempts):
        await client.send_json({"type": "ping"})
        frame = await next_frame(client)
        if frame == {"type": "pong"}:
            return
        assert_error_frame(frame, "rate_limited")
        await asyncio.sleep(1.0 / RATE_PER_SECOND)
    raise AssertionError(f"no pong after {attempts} paced pings")


async def test_frames_over_the_rate_limit_get_rate_limited_and_connection_recovers(
    rate_limited_server: GoldenPathServer,
) -> None:
    user = await rate_limited_server.create_user()
    burst = 10 * RATE_BURST
    async with rate_limited_server.websocket(user.token) as client:
        for _ in range(burst):
            await client.send_json({"type": "ping"})
        answers = [await next_frame(client) for _ in range(burst)]
        limited = [frame for frame in answers if frame.get("type") == "error"]
        pongs = [frame for frame in answers if frame == {"type": "pong"}]
        assert len(limited) + len(pongs) == burst, answers
        assert len(pongs) >= RATE_BURST, "the burst allowance was not honoured"
        assert limited, "no rate_limited error for 30 frames sent at once"
        for frame in limited:
            assert_error_frame(frame, "rate_limited")
        await _ping_until_pong(client)
        assert client.close_code is None


async def test_rate_limited_agent_request_starts_no_run(
    rate_limited_server: GoldenPathServer,
) -> None:
    user = await rate_limited_server.create_user()
    async with rate_limited_server.websocket(user.token) as client:
        for _ in range(RATE_BURST):
            await client.send_json({"type": "ping"})
        await client.request_agent("echo", "dropped?", request_id="over-limit")
        answers = [await next_frame(client) for _ in range(RATE_BURST + 1)]
    if answers[-1].get("type") == "error":  # refilled in between on a slow machine: no claim
        assert_error_frame(answers[-1], "rate_limited")
        assert await list_runs(rate_limited_server.base_url, user.token) == []


# --- concurrent runs, timeouts, failures ----------------------------------------------------


async def test_runs_over_the_plans_concurrent_limit_get_rate_limited(
    scripted_server: GoldenPathServer,
) -> None:
    alice = await scripted_server.create_user()
    bob = await scripted_server.create_user()
    async with (
        scripted_server.websocket(alice.token) as client,
        scripted_server.websocket(bob.token) as bob_client,
    ):
        for k in range(MAX_RUNS + 1):
            await client.request_agent("stall", f"stall {k}", request_id=f"stall-{k}")
        # The limit is per user: bob is not blocked by alice's runs in flight.
        assert_golden_order(await run_agent(bob_client, "echo", "hello from bob"))

        # The stalled runs time out (agent_failed, code timeout), freeing the slots.
        runs, other = await collect_runs(client, MAX_RUNS)
        assert len(other) == 1, other
        assert_error_frame(other[0], "rate_limited", mentions=(str(MAX_RUNS), "at once"))
        assert other[0]["data"]["retry_after"] > 0
        assert other[0]["data"]["request_id"] == f"stall-{MAX_RUNS}"
        started = sorted(events[0]["data"]["request_id"] for events in runs.values())
        assert started == [f"stall-{k}" for k in range(MAX_RUNS)]
        for events in runs.values():
            assert_golden_order(events, completed=False, contiguous=False)
            assert events[-1]["data"]["error"]["code"] == "timeout"
        # Slots free up once the runs end (polled: see the next test for the exact moment).
        await _start_when_slot_frees(client)

    recorded = await list_runs(scripted_server.base_url, alice.token)
    statuses = {
        run["run_id"]: (run["status"], (run["error"] or {}).get("code")) for run in recorded
    }
    assert len(recorded) == MAX_RUNS + 1, "the refused request must not be recorded"
    for run_id in runs:
        assert statuses[run_id] == ("failed", "timeout")


async def _start_when_slot_frees(client: WebSocketTestClient, attempts: int = 50) -> None:
    for _ in range(attempts):
        await client.request_agent("echo", "slots are free again")
        frame = await next_frame(client)
        if frame.get("type") == "agent_started":
            runs, _ = await collect_runs(client, 1)
            assert_golden_order([frame, *runs[frame["run_id"]]])
            return
        assert_error_frame(frame, "rate_limited")
        await asyncio.sleep(0.05)
    raise AssertionError("the run slots never freed up after the runs ended")


async def test_run_slots_are_free_once_the_terminal_events_arrive(
    scripted_server: GoldenPathServer,
) -> None:
    """A run whose terminal event the client has seen is no longer "in flight".

    A client at the limit that waits for ``agent_completed`` and then asks again must not
    be told ``rate_limited``.
    """
    user = await scripted_server.create_user()
    async with scripted_server.websocket(user.token) as client:
        for round_ in range(3):
            for k in range(MAX_RUNS):
                await client.request_agent("echo", f"round {round_} run {k}")
            ended = 0
            while ended < MAX_RUNS:
                frame = await next_frame(client)
                assert frame.get("type") != "error", (
                    f"round {round_}: refused although every earlier run had ended: {frame}"
                )
                ended += frame.get("type") in ("agent_completed", "agent_failed")


async def test_message_length_limit_is_exact(scripted_server: GoldenPathServer) -> None:
    user = await scripted_server.create_user()
    async with scripted_server.websocket(user.token) as client:
        events = await run_agent(client, "echo", "m" * MAX_MESSAGE_CHARS)
        assert events[-1]["data"]["result"]["echo"] == "m" * MAX_MESSAGE_CHARS
        await client.request_agent("echo", "m" * (MAX_MESSAGE_CHARS + 1), request_id="long")
        error = await next_frame(client)
        assert_error_frame(error, "message_too_long", mentions=(str(MAX_MESSAGE_CHARS),))
        assert error["data"]["request_id"] == "long"
        assert await ping_barrier(client) == []


@pytest.mark.parametrize("agent", ["crash", "tool_crash", "not_a_dict"])
async def test_misbehaving_agent_fails_with_agent_error_and_no_internal_detail(
    scripted_server: GoldenPathServer, agent: str
) -> None:
    user = await scripted_server.create_user()
    async with scripted_server.websocket(user.token) as client:
        events = await run_agent(client, agent, "go", request_id=f"bad-{agent}")
        assert await ping_barrier(client) == []
    assert_golden_order(events, completed=False)
    failure = events[-1]["data"]
    assert failure["request_id"] == f"bad-{agent}"
    assert failure["error"]["code"] == "agent_error"
    assert SECRET_DETAIL not in json.dumps(events), "an internal exception text reached the client"
    if agent == "tool_crash":
        assert types_of(events)[1:4] == ["agent_thinking", "tool_executing", "tool_completed"]
        assert events[3]["data"]["tool"] == "explode"
    (recorded,) = await list_runs(scripted_server.base_url, user.token)
    assert recorded["status"] == "failed" and recorded["error"]["code"] == "agent_error"


async def test_agent_that_neither_thinks_nor_uses_tools_still_gets_thinking(
    scripted_server: GoldenPathServer,
) -> None:
    user = await scripted_server.create_user()
    async with scripted_server.websocket(user.token) as client:
        events = await run_agent(client, "silent", "quick")
    assert types_of(events) == ["agent_started", "agent_thinking", "agent_completed"]
    assert events[-1]["data"]["result"] == {"silent": True}


async def test_sockets_over_the_per_user_limit_close_1008_others_unaffected(
    rate_limited_server: GoldenPathServer,
) -> None:
    user = await rate_limited_server.create_user()
    other = await rate_limited_server.create_user()
    clients = [rate_limited_server.websocket(user.token) for _ in range(MAX_CONNECTIONS)]
    for client in clients:
        await client.connect()
        assert await ping_barrier(client) == []
    try:
        async with rate_limited_server.websocket(user.token) as extra:
            assert await extra.wait_closed() == 1008
            assert "too many connections" in (extra.close_reason or "")
        async with rate_limited_server.websocket(other.token) as someone_else:
            assert await ping_barrier(someone_else) == []
        await clients[0].close()
        # The server frees the slot once it has processed that close; a client retrying
        # for a moment gets in (bounded: 100 tries).
        for _ in range(100):
            async with rate_limited_server.websocket(user.token) as replacement:
                if await replacement.receive_one(0.05) is None and replacement.close_code is None:
                    assert await ping_barrier(replacement) == []
                    break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("a socket was refused after another of the user's closed")
    finally:
        for client in clients:
            await client.close()
