"""Client-side helpers for the Golden Path tests: barriers, run collection, order checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from test_framework.envelopes import TERMINAL_EVENTS, assert_run_contract
from test_framework.websocket_helpers import WebSocketTestClient

Event = dict[str, Any]
FRAME_TIMEOUT = 30.0
"""Seconds without any frame before a helper gives up (a bound, never an assertion)."""


async def ping_barrier(client: WebSocketTestClient, timeout: float = FRAME_TIMEOUT) -> list[Event]:
    """Send a ping and return every frame that arrived before its pong.

    A connection's frames leave through one FIFO queue, so anything routed to this socket
    before the ping was answered shows up here: a deterministic way to say "nothing else came".
    The pong also proves the connection is attached and its receive loop is running.
    """
    await client.send_json({"type": "ping"})
    before: list[Event] = []
    while True:
        frame = await client.receive_one(timeout)
        if frame is None:
            raise AssertionError(
                f"no pong within {timeout}s (close {client.close_code} {client.close_reason!r}); "
                f"frames before: {[f.get('type') for f in before]}"
            )
        if frame.get("type") == "pong":
            assert frame == {"type": "pong"}, f"pong has extra fields: {frame!r}"
            return before
        before.append(frame)


async def next_frame(client: WebSocketTestClient, timeout: float = FRAME_TIMEOUT) -> Event:
    """The next frame; fails when none arrives within ``timeout`` or the socket closes."""
    frame = await client.receive_one(timeout)
    assert frame is not None, (
        f"no frame within {timeout}s (close {client.close_code} {client.close_reason!r})"
    )
    return frame


async def collect_runs(
    client: WebSocketTestClient, count: int, timeout: float = FRAME_TIMEOUT
) -> tuple[dict[str, list[Event]], list[Event]]:
    """Read until ``count`` runs have ended; returns (events by run_id, frames of no run)."""
    runs: dict[str, list[Event]] = {}
    other: list[Event] = []
    ended = 0
    while ended < count:
        frame = await client.receive_one(timeout)
        if frame is None:
            raise AssertionError(
                f"{ended}/{count} runs ended before {timeout}s passed without a frame "
                f"(close {client.close_code}); runs so far: "
                f"{ {rid: [e['type'] for e in evs] for rid, evs in runs.items()} }; other: {other}"
            )
        run_id = frame.get("run_id")
        if not run_id:
            other.append(frame)
            continue
        runs.setdefault(run_id, []).append(frame)
        if frame.get("type") in TERMINAL_EVENTS:
            ended += 1
    return runs, other


async def run_agent(
    client: WebSocketTestClient,
    agent: str,
    message: str,
    *,
    context: dict[str, Any] | None = None,
    request_id: str | None = None,
    timeout: float = FRAME_TIMEOUT,
) -> list[Event]:
    """Send one ``agent_request`` and return that run's events through its terminal event."""
    await client.request_agent(agent, message, context=context, request_id=request_id)
    runs, other = await collect_runs(client, 1, timeout)
    assert not other, f"unexpected frames outside the run: {other}"
    (events,) = runs.values()
    return events


def types_of(events: Sequence[Event]) -> list[str]:
    """The ``type`` of each event."""
    return [str(event.get("type")) for event in events]


def assert_golden_order(
    events: Sequence[Event], *, completed: bool = True, contiguous: bool = True
) -> None:
    """One whole run as docs/protocol.md describes it (the framework's run contract)."""
    assert_run_contract(events, completed=completed, sole_run=contiguous)


def assert_error_frame(frame: Event, code: str, *, mentions: Sequence[str] = ()) -> None:
    """``frame`` is an unsequenced ``error`` frame with ``code`` whose message names
    ``mentions``."""
    assert frame.get("type") == "error", f"expected an error frame, got {frame!r}"
    assert "run_id" not in frame and "seq" not in frame, (
        f"error frames are not sequenced: {frame!r}"
    )
    data = frame.get("data")
    assert isinstance(data, dict), f"error frame without data: {frame!r}"
    assert data.get("code") == code, f"expected code {code!r}, got {data!r}"
    message = data.get("message")
    assert isinstance(message, str) and message, f"error frame without a message: {frame!r}"
    for word in mentions:
        assert word in message, f"error message {message!r} does not mention {word!r}"


async def list_runs(base_url: str, token: str) -> list[dict[str, Any]]:
    """``GET /api/runs`` for the token's user (200 expected)."""
    async with httpx.AsyncClient(timeout=30.0) as http:
        response = await http.get(
            f"{base_url}/api/runs", headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.text
    runs = response.json()["runs"]
    assert isinstance(runs, list)
    return runs
