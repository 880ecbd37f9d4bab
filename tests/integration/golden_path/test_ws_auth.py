"""``/api/ws`` authentication: bad tokens close with 4401 before any event; good ones work.

Tokens come from a Bearer header, or (browsers) the subprotocols ``netra.v1`` +
``bearer.<jwt>``; never from the URL.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from test_framework.websocket_helpers import WebSocketTestClient
from tests.integration.golden_path._protocol import next_frame, ping_barrier, types_of
from tests.integration.golden_path._servers import GoldenPathServer

pytestmark = pytest.mark.integration

CLOSE_UNAUTHORIZED = 4401
OTHER_SECRET = "another-secret-that-is-long-enough-for-hs256-0123456789"


async def _assert_rejected(client: WebSocketTestClient, *, reason_mentions: str = "") -> None:
    """The server closes with 4401 and a reason, and sends no frame first."""
    async with client:
        code = await client.wait_closed(timeout=30.0)
    assert code == CLOSE_UNAUTHORIZED, (
        f"expected close 4401, got {code} {client.close_reason!r}; "
        f"frames {types_of(client.received)}"
    )
    assert client.received == [], f"frames before the 4401 close: {client.received}"
    assert client.close_reason, "4401 close without a reason"
    assert reason_mentions.lower() in client.close_reason.lower(), client.close_reason


def _claims(sub: str, *, exp_in: int = 600, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": sub, "iat": now, "exp": now + exp_in, **extra}


async def test_ws_without_token_is_closed_4401(scripted_server: GoldenPathServer) -> None:
    await _assert_rejected(scripted_server.websocket(None), reason_mentions="token")


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "Bearer", "x" * 300])
async def test_ws_with_garbage_token_is_closed_4401(
    scripted_server: GoldenPathServer, token: str
) -> None:
    await _assert_rejected(scripted_server.websocket(token))


async def test_ws_with_token_signed_by_another_secret_is_closed_4401(
    scripted_server: GoldenPathServer,
) -> None:
    user = await scripted_server.create_user()
    forged = scripted_server.sign_token(_claims(user.user_id), secret=OTHER_SECRET)
    await _assert_rejected(scripted_server.websocket(forged), reason_mentions="signature")


async def test_ws_with_expired_token_is_closed_4401(scripted_server: GoldenPathServer) -> None:
    user = await scripted_server.create_user()
    expired = scripted_server.sign_token(_claims(user.user_id, exp_in=-3600))
    await _assert_rejected(scripted_server.websocket(expired), reason_mentions="expired")


async def test_ws_with_token_without_expiry_is_closed_4401(
    scripted_server: GoldenPathServer,
) -> None:
    user = await scripted_server.create_user()
    token = scripted_server.sign_token({"sub": user.user_id, "iat": int(time.time())})
    await _assert_rejected(scripted_server.websocket(token))


async def test_ws_with_token_of_unknown_user_is_closed_4401(
    scripted_server: GoldenPathServer,
) -> None:
    token = scripted_server.sign_token(_claims(uuid.uuid4().hex))
    await _assert_rejected(scripted_server.websocket(token))


async def test_ws_with_non_bearer_authorization_is_closed_4401(
    scripted_server: GoldenPathServer,
) -> None:
    user = await scripted_server.create_user()
    async with connect(
        scripted_server.ws_url, additional_headers={"Authorization": f"Basic {user.token}"}
    ) as raw:
        with pytest.raises(ConnectionClosed) as closed:
            await raw.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_UNAUTHORIZED
    assert closed.value.rcvd.reason


@pytest.mark.parametrize("parameter", ["token", "access_token", "jwt"])
async def test_ws_token_in_url_query_is_not_accepted(
    scripted_server: GoldenPathServer, parameter: str
) -> None:
    user = await scripted_server.create_user()
    url = f"{scripted_server.ws_url}?{parameter}={user.token}"
    await _assert_rejected(WebSocketTestClient(url, None))


async def test_ws_with_bearer_header_is_accepted(scripted_server: GoldenPathServer) -> None:
    user = await scripted_server.create_user()
    async with scripted_server.websocket(user.token) as client:
        assert await ping_barrier(client) == []
        assert client.subprotocol is None


async def test_ws_browser_subprotocol_auth_selects_netra_v1(
    scripted_server: GoldenPathServer,
) -> None:
    user = await scripted_server.create_user()
    client = scripted_server.websocket(None, subprotocols=["netra.v1", f"bearer.{user.token}"])
    async with client:
        assert client.subprotocol == "netra.v1"
        assert await ping_barrier(client) == []
        await client.request_agent("echo", "via subprotocol", request_id="sp-1")
        started = await next_frame(client)
        assert started["type"] == "agent_started"
        assert started["data"]["request_id"] == "sp-1"


async def test_ws_browser_subprotocol_with_bad_token_is_closed_4401(
    scripted_server: GoldenPathServer,
) -> None:
    client = scripted_server.websocket(None, subprotocols=["netra.v1", "bearer.not-a-jwt"])
    await _assert_rejected(client)
    assert client.connection.subprotocol == "netra.v1"


async def test_ws_bearer_subprotocol_without_netra_v1_is_closed_4401(
    scripted_server: GoldenPathServer,
) -> None:
    user = await scripted_server.create_user()
    client = scripted_server.websocket(None, subprotocols=[f"bearer.{user.token}"])
    await _assert_rejected(client, reason_mentions="netra.v1")


async def test_ws_is_closed_4401_when_its_token_expires_while_connected(
    scripted_server: GoldenPathServer,
) -> None:
    user = await scripted_server.create_user()
    short_lived = scripted_server.sign_token(_claims(user.user_id, exp_in=3))
    async with scripted_server.websocket(short_lived) as client:
        assert await ping_barrier(client) == []  # accepted while the token is valid
        assert await client.wait_closed(timeout=15) == CLOSE_UNAUTHORIZED
        assert "expired" in (client.close_reason or "")
