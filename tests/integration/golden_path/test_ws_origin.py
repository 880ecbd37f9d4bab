"""Origins on the WebSocket handshake of a real server: foreign pages get HTTP 403.

Refused before the token is looked at (a bad token from a foreign origin still gets 403,
not the 4401 close a bad token gets otherwise); clients that send no Origin are unaffected.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import websockets
from websockets.asyncio.client import connect
from websockets.typing import Origin

from tests.integration.golden_path._servers import GoldenPathServer, serving

pytestmark = pytest.mark.integration

LISTED = "https://app.example.com"


@pytest.fixture(scope="module")
def default_server() -> Iterator[GoldenPathServer]:
    with serving("sqlite") as server:
        yield server


@pytest.fixture(scope="module")
def listed_server() -> Iterator[GoldenPathServer]:
    with serving("sqlite", allowed_origins=(LISTED,)) as server:
        yield server


async def _handshake_status(server: GoldenPathServer, origin: str, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with connect(server.ws_url, additional_headers=headers, origin=Origin(origin)) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await ws.recv())["type"] == "pong"
            return 101
    except websockets.InvalidStatus as refused:
        return refused.response.status_code


async def test_ws_origin_foreign_page_is_refused_with_403(default_server: GoldenPathServer) -> None:
    user = await default_server.create_user()
    assert await _handshake_status(default_server, "https://evil.example", user.token) == 403


async def test_ws_origin_refused_before_the_token_is_looked_at(
    default_server: GoldenPathServer,
) -> None:
    assert await _handshake_status(default_server, "https://evil.example", "not-a-jwt") == 403


async def test_ws_origin_own_origin_is_accepted_by_default(
    default_server: GoldenPathServer,
) -> None:
    user = await default_server.create_user()
    assert await _handshake_status(default_server, default_server.base_url, user.token) == 101


async def test_ws_origin_absent_origin_is_unaffected(default_server: GoldenPathServer) -> None:
    user = await default_server.create_user()
    async with default_server.websocket(user.token) as client:
        await client.send_json({"type": "ping"})
        async for event in client.receive_events(timeout=30):
            assert event["type"] == "pong"
            break
        else:
            pytest.fail("no pong")


async def test_ws_origin_listed_origin_is_accepted_and_others_refused(
    listed_server: GoldenPathServer,
) -> None:
    user = await listed_server.create_user()
    assert await _handshake_status(listed_server, LISTED, user.token) == 101
    assert await _handshake_status(listed_server, "https://evil.example", user.token) == 403
    # The list replaces the default, so the server's own origin must be listed to pass.
    assert await _handshake_status(listed_server, listed_server.base_url, user.token) == 403
