"""``UserEventHub``: routes a user's events to every live connection of that user.

The hub keeps, per user, one :class:`EventSequence` and the set of that user's connection
contexts. Publishing for a user builds the envelope once and hands it to that user's managers
only; there is no path from one user's channel to another's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netra_backend.app.websocket_core.context import UserWebSocketContext
from netra_backend.app.websocket_core.events import Envelope, EventSequence, build_envelope


@dataclass
class _UserChannel:
    sequence: EventSequence = field(default_factory=EventSequence)
    contexts: dict[str, UserWebSocketContext] = field(default_factory=dict)


class UserEventHub:
    """In-process event routing keyed by user id."""

    def __init__(self) -> None:
        self._channels: dict[str, _UserChannel] = {}

    def sequence_for(self, user_id: str) -> EventSequence:
        """The user's shared event sequence (created on first use)."""
        return self._channel(user_id).sequence

    def attach(self, context: UserWebSocketContext) -> None:
        """Start delivering ``context.user_id``'s events to this context's connections."""
        self._channel(context.user_id).contexts[context.websocket_client_id] = context

    def detach(self, context: UserWebSocketContext) -> None:
        """Stop delivering to this context."""
        channel = self._channels.get(context.user_id)
        if channel is not None:
            channel.contexts.pop(context.websocket_client_id, None)

    def connection_count(self, user_id: str) -> int:
        """How many contexts of ``user_id`` are attached."""
        channel = self._channels.get(user_id)
        return len(channel.contexts) if channel else 0

    async def publish(
        self, user_id: str, event_type: str, data: Mapping[str, Any], run_id: str
    ) -> Envelope:
        """Number one event of ``user_id`` and send it to each of their live connections."""
        channel = self._channel(user_id)
        envelope = build_envelope(event_type, data, run_id=run_id, seq=channel.sequence.next())
        for context in list(channel.contexts.values()):
            await context.websocket_manager.send_envelope(envelope)
        return envelope

    def _channel(self, user_id: str) -> _UserChannel:
        channel = self._channels.get(user_id)
        if channel is None:
            channel = self._channels[user_id] = _UserChannel()
        return channel
