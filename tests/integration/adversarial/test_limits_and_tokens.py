"""Limits a client may try to slip past, and tokens it may forge. All of these held."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable

import httpx
import jwt
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from tests.integration.adversarial.conftest import CONNECTION_LIMIT, FRAME_LIMIT
from tests.integration.golden_path._servers import GoldenPathServer

pytestmark = pytest.mark.integration

TIMEOUT = 10.0


async def _close_code(connection: ClientConnection) -> int | None:
    """Read until the server closes; the close code it sent (None if it stayed open)."""
    try:
        while True:
            await asyncio.wait_for(connection.recv(), TIMEOUT)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    except TimeoutError:
        return None


async def _fragments(count: int) -> AsyncIterator[str]:
    yield '{"type":"ping","pad":"'
    for _ in range(count):
        yield "0" * 512
        await asyncio.sleep(0.01)  # let the server read (and refuse) as we go
    # Pause before the last fragment: bytes sent after the server's close frame could reset
    # the connection before the client has read that frame (a client-side race, not the
    # server's behaviour under test).
    await asyncio.sleep(0.5)
    yield '"}'


async def test_compressed_zip_bomb_closes_1009(small_frame_server: GoldenPathServer) -> None:
    """8 MiB of zeros deflates to a few KiB on the wire; the decompressed size is what counts."""
    user = await small_frame_server.create_user()
    headers = user.auth_headers
    async with websockets.connect(
        small_frame_server.ws_url, additional_headers=headers, compression="deflate"
    ) as connection:
        assert connection.response is not None
        assert connection.response.headers.get("Sec-WebSocket-Extensions", "").startswith(
            "permessage-deflate"
        ), "the server should negotiate permessage-deflate for this test to mean anything"
        await connection.send(json.dumps({"type": "ping", "pad": "0" * (8 * 1024 * 1024)}))
        assert await _close_code(connection) == 1009


async def test_fragmented_message_over_limit_closes_1009(
    small_frame_server: GoldenPathServer,
) -> None:
    """Fragments of 512 bytes, 5 KiB in total: the message size is what counts, not a frame's."""
    user = await small_frame_server.create_user()
    async with websockets.connect(
        small_frame_server.ws_url, additional_headers=user.auth_headers
    ) as connection:
        # The server may close before the last fragment is out.
        with contextlib.suppress(websockets.ConnectionClosed):
            await connection.send(_fragments(FRAME_LIMIT // 512 + 2))
        assert await _close_code(connection) == 1009


async def test_fragmented_message_under_limit_is_answered(
    small_frame_server: GoldenPathServer,
) -> None:
    """Fragmentation itself is fine: a fragmented ping under the limit gets its pong."""
    user = await small_frame_server.create_user()
    async with websockets.connect(
        small_frame_server.ws_url, additional_headers=user.auth_headers
    ) as connection:
        await connection.send(_fragments((FRAME_LIMIT - 100) // 512))
        assert json.loads(await asyncio.wait_for(connection.recv(), TIMEOUT)) == {"type": "pong"}


async def test_connection_storm_respects_per_user_limit(
    small_frame_server: GoldenPathServer,
) -> None:
    """Ten sockets of one user opened at once: exactly the limit stay open, the rest get 1008."""
    user = await small_frame_server.create_user()

    async def attempt() -> ClientConnection | int | None:
        connection = await websockets.connect(
            small_frame_server.ws_url, additional_headers=user.auth_headers
        )
        try:
            await connection.send('{"type":"ping"}')
            await asyncio.wait_for(connection.recv(), TIMEOUT)
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
        return connection

    outcomes = await asyncio.gather(*(attempt() for _ in range(10)))
    opened = [o for o in outcomes if isinstance(o, ClientConnection)]
    codes = [o for o in outcomes if not isinstance(o, ClientConnection)]
    try:
        assert len(opened) == CONNECTION_LIMIT
        assert codes == [1008] * (10 - CONNECTION_LIMIT)
    finally:
        await asyncio.gather(*(connection.close() for connection in opened))
    # Reconnect storm: once they are closed, the user can connect again.
    async with small_frame_server.websocket(user.token) as client:
        await client.send_json({"type": "ping"})
        assert await client.receive_until("pong", timeout=TIMEOUT) == {"type": "pong"}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _hs256_empty_secret(claims: dict[str, object]) -> str:
    signing_input = _b64(b'{"alg":"HS256","typ":"JWT"}') + "." + _b64(json.dumps(claims).encode())
    signature = hmac.new(b"", signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(signature)


# Each forgery: (server, user id, now in seconds) -> the token to present.
FORGERIES: dict[str, Callable[[GoldenPathServer, str, int], str]] = {
    "alg none": lambda s, uid, now: jwt.encode(
        {"sub": uid, "exp": now + 600}, None, algorithm="none"
    ),
    "HS256 empty secret": lambda s, uid, now: _hs256_empty_secret({"sub": uid, "exp": now + 600}),
    "HS512 real secret": lambda s, uid, now: jwt.encode(
        {"sub": uid, "exp": now + 600}, s.jwt_secret, algorithm="HS512"
    ),
    "sub int": lambda s, uid, now: s.sign_token({"sub": 12345, "exp": now + 600}),
    "sub list": lambda s, uid, now: s.sign_token({"sub": [uid], "exp": now + 600}),
    "sub empty": lambda s, uid, now: s.sign_token({"sub": "", "exp": now + 600}),
    "sub of no user": lambda s, uid, now: s.sign_token({"sub": "0" * 32, "exp": now + 600}),
    "no exp": lambda s, uid, now: s.sign_token({"sub": uid}),
    "expired": lambda s, uid, now: s.sign_token({"sub": uid, "exp": now - 10}),
    "nbf in future": lambda s, uid, now: s.sign_token(
        {"sub": uid, "exp": now + 600, "nbf": now + 300}
    ),
    "foreign secret": lambda s, uid, now: s.sign_token(
        {"sub": uid, "exp": now + 600}, secret="x" * 48
    ),
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
async def test_forged_tokens_refused_on_ws_and_http(
    hostile_server: GoldenPathServer, forgery: str
) -> None:
    """Every forged or unusable token: close 4401 with a reason, and HTTP 401 in JSON."""
    user = await hostile_server.create_user()
    token = FORGERIES[forgery](hostile_server, user.user_id, int(time.time()))
    async with hostile_server.websocket(token) as client:
        assert await client.wait_closed(TIMEOUT) == 4401, forgery
        assert client.close_reason
        assert client.received == []
    async with httpx.AsyncClient(base_url=hostile_server.base_url, timeout=30.0) as http:
        for path in ("/api/me", "/api/runs"):
            response = await http.get(path, headers={"Authorization": f"Bearer {token}"})
            if forgery == "sub of no user" and path == "/api/runs":
                # A well-signed token for no account lists nothing (there is nothing of its own).
                assert response.status_code in (200, 401)
                if response.status_code == 200:
                    assert response.json() == {"runs": []}
                continue
            assert response.status_code == 401, (forgery, path, response.text)
            assert response.json()["error"]["code"] in ("invalid_token", "unauthorized")
