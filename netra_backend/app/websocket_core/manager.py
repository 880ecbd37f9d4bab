"""``UnifiedWebSocketManager``: one user's connections and the frames sent to them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from netra_backend.app.errors import CrossUserEmitError, ManagerMisuseError
from netra_backend.app.websocket_core.events import (
    Envelope,
    EventSequence,
    build_envelope,
    encode,
)
from netra_backend.app.websocket_core.protocol import TextSender

logger = logging.getLogger(__name__)


Publisher = Callable[..., Awaitable[Envelope]]
"""``publish(user_id, event_type, data, run_id, wait=True)``: the user's stream (``hub``)."""


class UnifiedWebSocketManager:
    """Sends a user's events to every live connection of that user, and to no one else.

    A manager belongs to exactly one user (``user_id``). It holds that user's connections
    (client id -> anything with ``async send_text``). Every frame it sends passes
    :meth:`deliver`, which refuses another user's event: the check production relies on, since
    the server's event streams (``hub``) deliver through it.

    Standalone (``create_websocket_manager`` without a hub), :meth:`emit_event` numbers events
    with the manager's :class:`EventSequence` and sends them at once. Attached to a hub
    (:meth:`bind`), :meth:`emit_event` goes through the user's stream instead: numbered with
    the user's other events, written to the event log, and delivered to every tab of the user.

    A connection whose ``send_text`` raises is dropped: one dead tab must not stop delivery to
    the others.
    """

    def __init__(self, user_id: str, sequence: EventSequence | None = None) -> None:
        if not isinstance(user_id, str) or not user_id:
            raise ManagerMisuseError(f"user_id must be a non-empty string, got {user_id!r}")
        self.user_id = user_id
        self.sequence = sequence if sequence is not None else EventSequence()
        self._connections: dict[str, TextSender] = {}
        self._publish: Publisher | None = None

    def __repr__(self) -> str:
        return (
            f"<UnifiedWebSocketManager user_id={self.user_id!r} "
            f"connections={len(self._connections)}>"
        )

    def bind(self, publish: Publisher | None) -> None:
        """Route :meth:`emit_event` through ``publish`` (the user's stream); None unbinds."""
        self._publish = publish

    @property
    def connection_count(self) -> int:
        """How many connections are registered."""
        return len(self._connections)

    def has_connection(self, client_id: str) -> bool:
        """Whether ``client_id`` is registered."""
        return client_id in self._connections

    async def add_connection(self, client_id: str, websocket: TextSender) -> None:
        """Register ``websocket`` under ``client_id``; sends nothing."""
        if not callable(getattr(websocket, "send_text", None)):
            raise ManagerMisuseError(f"connection {client_id!r} has no send_text method")
        self._connections[client_id] = websocket

    async def remove_connection(self, client_id: str) -> bool:
        """Forget ``client_id``; True if it was registered."""
        return self._connections.pop(client_id, None) is not None

    def close_connections(self, code: int, reason: str, *, last: str | None = None) -> int:
        """End every connection that can be ended (the server's), after sending ``last``
        (one frame saying why) when given; return how many."""
        closed = 0
        for connection in list(self._connections.values()):
            abort = getattr(connection, "abort", None)
            if abort is not None:
                if last is None:
                    abort(code, reason)
                else:
                    abort(code, reason, last=last)
                closed += 1
        return closed

    async def emit_event(
        self,
        event_type: str,
        data: Mapping[str, Any],
        user_id: str,
        run_id: str = "",
    ) -> Envelope:
        """Build the next envelope and send it as one frame to each live connection.

        Raises :class:`CrossUserEmitError` (nothing is sent) when ``user_id`` is not this
        manager's user. Returns the envelope once it is sent (when bound: once it is committed
        to the log and handed to every connection).
        """
        if user_id != self.user_id:
            raise CrossUserEmitError(self.user_id, user_id)
        if self._publish is not None:
            return await self._publish(user_id, event_type, data, run_id, wait=True)
        envelope = build_envelope(event_type, data, run_id=run_id, seq=self.sequence.next())
        await self.deliver(user_id, envelope["seq"], encode(envelope))
        return envelope

    async def send_envelope(self, envelope: Mapping[str, Any]) -> int:
        """Send an already-numbered envelope of this manager's user to every connection."""
        return await self.deliver(self.user_id, int(envelope.get("seq", 0)), encode(envelope))

    async def deliver(self, user_id: str, seq: int, text: str, made: float = 0.0) -> int:
        """Send one encoded event of ``user_id`` to every connection; return how many got it.

        Raises :class:`CrossUserEmitError` (nothing is sent) for another user's event. A
        connection that has ``deliver_event(seq, text, made)`` (the server's, which may hold
        events back while it replays history) gets that call; others get ``send_text``.
        ``made`` is the event's timestamp (``time.time()``; 0.0 unknown), for the
        delivery-latency metric.
        """
        if user_id != self.user_id:
            raise CrossUserEmitError(self.user_id, user_id)
        delivered = 0
        for client_id, websocket in list(self._connections.items()):
            try:
                deliver_event = getattr(websocket, "deliver_event", None)
                if deliver_event is not None:
                    deliver_event(seq, text, made)
                else:
                    await websocket.send_text(text)
            except Exception:
                logger.info(
                    "dropping connection %s of user %s: send failed",
                    client_id,
                    self.user_id,
                    extra={"user_id": self.user_id},
                )
                self._connections.pop(client_id, None)
            else:
                delivered += 1
        return delivered
