"""WebSocketTestClient against a small real WebSocket server scripted per test."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from websockets.asyncio.server import ServerConnection, serve

from test_framework.websocket_helpers import EventTimeout, WebSocketTestClient

pytestmark = pytest.mark.unit

Handler = Callable[[ServerConnection], Awaitable[None]]


async def serving(handler: Handler) -> AsyncIterator[str]:
    async with serve(handler, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/api/ws"


async def two_events_then_silence(connection: ServerConnection) -> None:
    request = connection.request
    auth = request.headers.get("Authorization") if request is not None else None
    await connection.send(json.dumps({"type": "hello", "data": {"auth": auth}}))
    await connection.send(json.dumps({"type": "second", "data": {}}))
    async for message in connection:  # echo until the client leaves
        await connection.send(message)


async def close_with_4401(connection: ServerConnection) -> None:
    await connection.close(4401, "token expired")


@pytest.fixture
async def chatty_url() -> AsyncIterator[str]:
    async for url in serving(two_events_then_silence):
        yield url


@pytest.fixture
async def rejecting_url() -> AsyncIterator[str]:
    async for url in serving(close_with_4401):
        yield url


async def test_receive_events_ends_quietly_after_the_timeout(chatty_url: str) -> None:
    async with WebSocketTestClient(chatty_url, "tok") as client:
        events = [event async for event in client.receive_events(timeout=0.5)]
    assert [event["type"] for event in events] == ["hello", "second"]
    assert events[0]["data"]["auth"] == "Bearer tok"


async def test_send_json_and_receive_until(chatty_url: str) -> None:
    async with WebSocketTestClient(chatty_url, "tok") as client:
        await client.send_json({"type": "pong", "data": {"n": 1}})
        pong = await client.receive_until("pong", timeout=10)
    assert pong["data"] == {"n": 1}
    assert [event["type"] for event in client.received] == ["hello", "second", "pong"]


async def test_receive_until_raises_with_what_arrived(chatty_url: str) -> None:
    async with WebSocketTestClient(chatty_url, "tok") as client:
        with pytest.raises(EventTimeout, match="hello"):
            await client.receive_until("never", timeout=0.5)


async def test_close_code_and_reason_are_recorded(rejecting_url: str) -> None:
    async with WebSocketTestClient(rejecting_url, None) as client:
        events = [event async for event in client.receive_events(timeout=10)]
    assert events == []
    assert (client.close_code, client.close_reason) == (4401, "token expired")
