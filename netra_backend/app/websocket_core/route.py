"""The ``/api/ws`` endpoint: the thin async edge between a socket, the core and the runtime.

Per connection: authenticate from the handshake (close 4401 otherwise), make a context with
the canonical factory, attach it to the user's channel on the hub, then read frames until the
client leaves or its token expires (close 4401 then). Frame size, frame rate and concurrent runs are limited by settings.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from netra_backend.app.auth import VerifiedToken
from netra_backend.app.errors import AuthError, ProtocolError, StorageError
from netra_backend.app.websocket_core.context import UserWebSocketContext, create_websocket_manager
from netra_backend.app.websocket_core.events import encode, error_frame
from netra_backend.app.websocket_core.handshake import credentials_from_handshake, origin_allowed
from netra_backend.app.websocket_core.messages import PingFrame, parse_client_frame, request_id_of
from netra_backend.app.websocket_core.rate_limit import TokenBucket
from netra_backend.app.websocket_core.sender import QueuedSender

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_TRY_AGAIN = 1013


async def websocket_endpoint(websocket: WebSocket) -> None:
    """Serve one WebSocket connection of one authenticated user."""
    services = websocket.app.state.services
    token = await _authenticate(websocket, services)
    if token is None:
        return
    user_id = token.user_id
    limit = services.settings.ws_max_connections_per_user
    if services.hub.connection_count(user_id) >= limit:
        await websocket.close(CLOSE_POLICY, f"too many connections: the limit is {limit} per user")
        return
    context = await create_websocket_manager(
        user_id=user_id,
        websocket_client_id=uuid.uuid4().hex,
        sequence=services.hub.sequence_for(user_id),
    )
    sender = QueuedSender(websocket, services.settings.ws_send_queue_size)
    await context.websocket_manager.add_connection(context.websocket_client_id, sender)
    services.hub.attach(context)
    try:
        async with sender.running():
            await _receive_loop(websocket, context, sender, services, token.expires_at)
    finally:
        services.hub.detach(context)
        await context.websocket_manager.remove_connection(context.websocket_client_id)


async def _authenticate(websocket: WebSocket, services: Any) -> VerifiedToken | None:
    if not origin_allowed(websocket.headers, services.settings.allowed_origins):
        await websocket.close()  # before accept: HTTP 403, and the token is never looked at
        return None
    subprotocols = websocket.scope.get("subprotocols") or []
    credentials, error, subprotocol = credentials_from_handshake(
        websocket.headers.get("authorization"), subprotocols
    )
    try:
        if error is not None:
            raise error
        assert credentials is not None
        token: VerifiedToken = services.tokens.verify_claims(credentials.token)
        if await services.users.get(token.user_id) is None:
            raise AuthError("the token's user no longer exists")
    except AuthError as exc:
        # Accept, then close: a close code and reason reach every client, whereas refusing
        # the handshake only shows an HTTP 403 without saying why.
        await websocket.accept(subprotocol=subprotocol)
        await websocket.close(CLOSE_UNAUTHORIZED, str(exc)[:120])
        return None
    except StorageError:
        logger.exception("could not look up the user of a WebSocket handshake")
        await websocket.accept(subprotocol=subprotocol)
        await websocket.close(CLOSE_TRY_AGAIN, "service temporarily unavailable; try again")
        return None
    await websocket.accept(subprotocol=subprotocol)
    return token


async def _receive_loop(
    websocket: WebSocket,
    context: UserWebSocketContext,
    sender: QueuedSender,
    services: Any,
    expires_at: float,
) -> None:
    settings = services.settings
    bucket = TokenBucket(
        settings.ws_rate_limit_per_second, settings.ws_rate_limit_burst, time.monotonic()
    )
    while not sender.closed:
        try:
            # The token's identity holds only until it expires; then the client must
            # reconnect with a fresh one.
            async with asyncio.timeout(max(0.0, expires_at - time.time())):
                message = await websocket.receive()
        except TimeoutError:
            await websocket.close(CLOSE_UNAUTHORIZED, "token expired; reconnect with a fresh token")
            return
        except (WebSocketDisconnect, RuntimeError):
            return
        if message["type"] == "websocket.disconnect":
            return
        text: str | None = message.get("text")
        raw_size = (
            len(text.encode("utf-8")) if text is not None else len(message.get("bytes") or b"")
        )
        if raw_size > settings.ws_max_message_bytes:
            await websocket.close(
                CLOSE_TOO_BIG, f"frame of {raw_size} bytes exceeds {settings.ws_max_message_bytes}"
            )
            return
        if not bucket.allow(time.monotonic()):
            await _send_error(sender, ProtocolError("rate_limited", "too many frames; slow down"))
            continue
        if text is None:
            await _send_error(
                sender, ProtocolError("binary_not_supported", "send JSON text frames")
            )
            continue
        await _handle_text(text, context, sender, services)


async def _handle_text(
    text: str, context: UserWebSocketContext, sender: QueuedSender, services: Any
) -> None:
    try:
        frame = parse_client_frame(text, max_message_chars=services.settings.max_message_chars)
        if isinstance(frame, PingFrame):
            await sender.send_text(encode({"type": "pong"}))
            return
        await services.runtime.start(
            user_id=context.user_id,  # identity from the token, never from the payload
            agent=frame.agent,
            message=frame.message,
            context=frame.context,
            request_id=frame.request_id,
        )
    except ProtocolError as exc:
        await _send_error(sender, exc, request_id_of(text))


async def _send_error(
    sender: QueuedSender, exc: ProtocolError, request_id: str | None = None
) -> None:
    await sender.send_text(encode(error_frame(exc.code, exc.message, request_id=request_id)))
