"""The ``/api/ws`` endpoint: the thin async edge between a socket, the session and the runtime.

Per connection: authenticate from the handshake (close 4401 otherwise), make a context with
the canonical factory, attach it to the user's stream on the hub, then move data: client
frames into the :class:`~.session.Session`, its actions out (send, close, start or cancel a
run, replay history), and the stream's committed events through the session to the socket.
The connection ends when the client leaves, its token expires (4401), or its writer gives up
on a client that does not read (1013).
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
from netra_backend.app.metrics import ConnectionOutcome
from netra_backend.app.websocket_core.codes import CloseCode, ErrorCode, ResumeFailure
from netra_backend.app.websocket_core.context import UserWebSocketContext, create_websocket_manager
from netra_backend.app.websocket_core.handshake import credentials_from_handshake, origin_allowed
from netra_backend.app.websocket_core.sender import QueuedSender, SenderClosedError
from netra_backend.app.websocket_core.session import (
    CancelRun,
    Close,
    HeldEventsOverflow,
    Resume,
    Send,
    Session,
    SessionLimits,
    StartRun,
)

logger = logging.getLogger(__name__)

REPLAY_PAGE = 1000


class Connection:
    """What the user's stream delivers to: the session decides, the sender writes."""

    __slots__ = ("sender", "session")

    def __init__(self, session: Session, sender: QueuedSender) -> None:
        self.session = session
        self.sender = sender

    async def send_text(self, data: str) -> None:
        """Send a frame that is not an event of the stream (for the manager protocol)."""
        self.sender.put(data)

    def abort(self, code: int, reason: str, *, last: str | None = None) -> None:
        """Close this connection now with ``code`` (the endpoint stops at once), after
        sending ``last`` if given."""
        self.sender.abort(code, reason, last=last)

    def deliver_event(self, seq: int, text: str, made: float = 0.0) -> None:
        """A committed event of the user: sent now, held during a replay, or skipped
        (``made``: its timestamp, for the delivery-latency metric)."""
        try:
            out = self.session.live(seq, text)
        except HeldEventsOverflow:
            self.sender.abort_too_slow()
            raise
        if out is not None:
            self.sender.put(out, made)


async def websocket_endpoint(websocket: WebSocket) -> None:
    """Serve one WebSocket connection of one authenticated user."""
    services = websocket.app.state.services
    token = await _authenticate(websocket, services)
    if token is None:
        return
    user_id = token.user_id
    settings = services.settings
    limit = settings.ws_max_connections_per_user
    client_id = uuid.uuid4().hex
    if not await _admit_socket(user_id, client_id, limit, services):
        services.metrics.connection_attempt(ConnectionOutcome.OVER_LIMIT)
        reason = f"too many connections: the limit is {limit} per user"
        await websocket.close(CloseCode.POLICY, reason)
        return
    try:
        await _serve(websocket, services, token, client_id)
    finally:
        redis = getattr(services, "redis", None)
        if redis is not None:
            await redis.directory.release_socket(user_id, client_id)


async def _admit_socket(user_id: str, client_id: str, limit: int, services: Any) -> bool:
    """The per-user socket limit: on this instance, and (Redis mode) on all of them."""
    if services.hub.connection_count(user_id) >= limit:
        return False
    redis = getattr(services, "redis", None)
    if redis is None:
        return True
    try:
        return bool(await redis.directory.admit_socket(user_id, client_id, limit))
    except StorageError:
        logger.warning("could not count user %s's sockets in Redis; admitted", user_id)
        return True


async def _serve(websocket: WebSocket, services: Any, token: VerifiedToken, client_id: str) -> None:
    user_id = token.user_id
    settings = services.settings
    context = await create_websocket_manager(
        user_id=user_id,
        websocket_client_id=client_id,
        sequence=services.hub.sequence_for(user_id),
    )
    sender = QueuedSender(
        websocket,
        settings.ws_send_queue_size,
        max_chars=settings.ws_send_queue_bytes,
        write_timeout=settings.ws_send_timeout_seconds,
        metrics=services.metrics,
    )
    session = Session(
        SessionLimits(
            max_message_bytes=settings.ws_max_message_bytes,
            max_message_chars=settings.max_message_chars,
            rate_per_second=settings.ws_rate_limit_per_second,
            burst=settings.ws_rate_limit_burst,
            max_held_events=settings.ws_send_queue_size,
        ),
        time.monotonic(),
    )
    connection = Connection(session, sender)
    await context.websocket_manager.add_connection(context.websocket_client_id, connection)
    services.hub.attach(context)
    services.metrics.connection_attempt(ConnectionOutcome.ACCEPTED)
    try:
        await services.hub.watch(user_id)
        async with sender.running():
            # A dead writer (client too slow or gone) interrupts the read at once, so the
            # connection's slot is freed without a second task per connection to watch it.
            endpoint = asyncio.current_task()
            assert endpoint is not None
            sender.on_dead = endpoint.cancel
            try:
                await _receive_loop(websocket, context, connection, services, token.expires_at)
            except asyncio.CancelledError:
                if not sender.dead.is_set() or endpoint.cancelling() > 1:
                    raise
                endpoint.uncancel()
            finally:
                sender.on_dead = None
    finally:
        services.metrics.connection_closed()
        services.hub.detach(context)
        await context.websocket_manager.remove_connection(context.websocket_client_id)


async def _authenticate(websocket: WebSocket, services: Any) -> VerifiedToken | None:
    if not origin_allowed(websocket.headers, services.settings.allowed_origins):
        services.metrics.connection_attempt(ConnectionOutcome.ORIGIN_REFUSED)
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
        if not await services.known_users.exists(token.user_id):
            raise AuthError("the token's user no longer exists")
        await services.hub.load(token.user_id)
    except AuthError as exc:
        services.metrics.connection_attempt(ConnectionOutcome.AUTH_FAILED)
        # Accept, then close: a close code and reason reach every client, whereas refusing
        # the handshake only shows an HTTP 403 without saying why.
        await websocket.accept(subprotocol=subprotocol)
        await websocket.close(CloseCode.UNAUTHORIZED, str(exc)[:120])
        return None
    except StorageError:
        services.metrics.connection_attempt(ConnectionOutcome.UNAVAILABLE)
        logger.exception("could not look up the user of a WebSocket handshake")
        await websocket.accept(subprotocol=subprotocol)
        await websocket.close(
            CloseCode.TRY_AGAIN_LATER, "service temporarily unavailable; try again"
        )
        return None
    await websocket.accept(subprotocol=subprotocol)
    return token


async def _receive_loop(
    websocket: WebSocket,
    context: UserWebSocketContext,
    connection: Connection,
    services: Any,
    expires_at: float,
) -> None:
    sender = connection.sender
    while not sender.closed:
        try:
            # The token's identity holds only until it expires; then the client must
            # reconnect with a fresh one.
            async with asyncio.timeout(max(0.0, expires_at - time.time())):
                message = await websocket.receive()
        except TimeoutError:
            reason = "token expired; reconnect with a fresh token"
            await websocket.close(CloseCode.UNAUTHORIZED, reason)
            return
        except (WebSocketDisconnect, RuntimeError):
            return
        if message["type"] == "websocket.disconnect":
            return
        actions = connection.session.receive(
            message.get("text"), message.get("bytes"), time.monotonic()
        )
        try:
            for action in actions:
                if isinstance(action, Send):
                    sender.put(action.text)
                elif isinstance(action, Close):
                    await websocket.close(action.code, action.reason)
                    return
                elif isinstance(action, StartRun):
                    await _start_run(action, context, connection, services)
                elif isinstance(action, CancelRun):
                    if not await _cancel(context.user_id, action.run_id, services):
                        error = ProtocolError(
                            ErrorCode.RUN_NOT_ACTIVE,
                            f"run {action.run_id[:64]!r} is not running (finished, unknown, "
                            "or not yours)",
                        )
                        sender.put(connection.session.error(error).text)
                elif isinstance(action, Resume):
                    await _resume(action.last_seq, context.user_id, connection, services)
        except SenderClosedError:
            return


async def _cancel(user_id: str, run_id: str, services: Any) -> bool:
    """Cancel the user's run here, or (Redis mode) ask the instance running it."""
    if await services.runtime.cancel(user_id, run_id):
        return True
    redis = getattr(services, "redis", None)
    return redis is not None and bool(await redis.directory.cancel_elsewhere(user_id, run_id))


async def _start_run(
    action: StartRun, context: UserWebSocketContext, connection: Connection, services: Any
) -> None:
    frame = action.frame
    try:
        # Identity (and so the plan) from the token, never from the payload.
        subscription = await services.known_users.subscription(context.user_id)
        if subscription is None:
            connection.abort(CloseCode.UNAUTHORIZED, "the account no longer exists")
            return
        await services.runtime.start(
            user_id=context.user_id,
            agent=frame.agent,
            message=frame.message,
            context=frame.context,
            request_id=frame.request_id,
            conversation_id=frame.conversation_id,
            subscription=subscription,
        )
    except StorageError:
        error = ProtocolError(
            ErrorCode.STORAGE_UNAVAILABLE,
            "the account could not be read; try again",
            retry_after=1.0,
        )
        connection.sender.put(connection.session.error(error, action.request_id).text)
    except ProtocolError as exc:
        connection.sender.put(connection.session.error(exc, action.request_id).text)


async def _resume(last_seq: int, user_id: str, connection: Connection, services: Any) -> None:
    """Replay the user's retained events after ``last_seq``, then go live (see session)."""
    session, sender = connection.session, connection.sender
    head = services.hub.last_committed(user_id)
    if last_seq > head:
        message = f"last_seq {last_seq} is beyond the last event ({head}); resync over HTTP"
        sender.put(session.resume_failed(ResumeFailure.UNKNOWN_POSITION, message, head))
        return
    session.begin_replay(last_seq)
    try:
        oldest = await services.events.oldest_seq(user_id)
        expired = last_seq < head if oldest is None else last_seq < oldest - 1
        if expired:
            for text in session.abort_replay():
                sender.put(text)
            message = (
                f"events after {last_seq} are no longer retained (history keeps "
                f"{services.settings.history_max_events} events, "
                f"{services.settings.history_ttl_seconds:g} s); resync over HTTP"
            )
            sender.put(session.resume_failed(ResumeFailure.HISTORY_EXPIRED, message, head))
            return
        after = last_seq
        while True:
            rows = await services.events.page(user_id, after, REPLAY_PAGE)
            for text in session.replay(rows):
                await sender.send_wait(text)
            if len(rows) < REPLAY_PAGE:
                break
            after = rows[-1][0]
    except StorageError:
        logger.exception(
            "could not replay the event log of user %s", user_id, extra={"user_id": user_id}
        )
        for text in session.abort_replay():
            sender.put(text)
        error = ProtocolError(
            ErrorCode.STORAGE_UNAVAILABLE, "history could not be read; try again", retry_after=1.0
        )
        sender.put(session.error(error).text)
        return
    for text in session.end_replay():
        sender.put(text)
