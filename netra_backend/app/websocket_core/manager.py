"""``UnifiedWebSocketManager``: one user's connections and the frames sent to them."""

from __future__ import annotations

import logging
from collections.abc import Mapping
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


class UnifiedWebSocketManager:
    """Sends a user's events to every live connection of that user, and to no one else.

    A manager belongs to exactly one user (``user_id``). It holds that user's connections
    (client id -> anything with ``async send_text``) and numbers events with an
    :class:`EventSequence`, which managers of the *same* user may share so that all their tabs
    see one sequence. Managers of different users never share anything mutable.

    A connection whose ``send_text`` raises is dropped: one dead tab must not stop delivery to
    the others.
    """

    def __init__(self, user_id: str, sequence: EventSequence | None = None) -> None:
        if not isinstance(user_id, str) or not user_id:
            raise ManagerMisuseError(f"user_id must be a non-empty string, got {user_id!r}")
        self.user_id = user_id
        self.sequence = sequence if sequence is not None else EventSequence()
        self._connections: dict[str, TextSender] = {}

    def __repr__(self) -> str:
        return f"<UnifiedWebSocketManager user_id={self.user_id!r} connections={len(self._connections)}>"

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

    async def emit_event(
        self,
        event_type: str,
        data: Mapping[str, Any],
        user_id: str,
        run_id: str = "",
    ) -> Envelope:
        """Build the next envelope and send it as one frame to each live connection.

        Raises :class:`CrossUserEmitError` (nothing is sent) when ``user_id`` is not this
        manager's user. Returns the envelope sent.
        """
        if user_id != self.user_id:
            raise CrossUserEmitError(self.user_id, user_id)
        envelope = build_envelope(event_type, data, run_id=run_id, seq=self.sequence.next())
        await self.send_envelope(envelope)
        return envelope

    async def send_envelope(self, envelope: Mapping[str, Any]) -> int:
        """Send an already-numbered envelope to every connection; return how many got it."""
        text = encode(envelope)
        delivered = 0
        for client_id, websocket in list(self._connections.items()):
            try:
                await websocket.send_text(text)
            except Exception:  # noqa: BLE001 - whatever the failure, this connection is gone for us
                logger.info(
                    "dropping connection %s of user %s: send failed", client_id, self.user_id
                )
                self._connections.pop(client_id, None)
            else:
                delivered += 1
        return delivered
