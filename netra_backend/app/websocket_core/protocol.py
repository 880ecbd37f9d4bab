"""Typing protocols of the WebSocket core."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from netra_backend.app.websocket_core.events import Envelope


@runtime_checkable
class TextSender(Protocol):
    """Anything frames can be sent to: a Starlette WebSocket, a queue, a test double."""

    async def send_text(self, data: str) -> None:
        """Send one text frame."""
        ...


@runtime_checkable
class WebSocketManagerProtocol(Protocol):
    """The per-user WebSocket manager every caller codes against."""

    user_id: str

    async def add_connection(self, client_id: str, websocket: TextSender) -> None:
        """Register a live connection of this manager's user; sends nothing."""
        ...

    async def remove_connection(self, client_id: str) -> bool:
        """Forget a connection; True if it was registered."""
        ...

    async def emit_event(
        self,
        event_type: str,
        data: Mapping[str, Any],
        user_id: str,
        run_id: str = "",
    ) -> Envelope:
        """Send one envelope to each live connection of ``user_id`` (must be our own user)."""
        ...

    @property
    def connection_count(self) -> int:
        """How many connections are registered."""
        ...
