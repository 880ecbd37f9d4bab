"""``UserEventHub``: one stream per user, the single path every event takes to its user.

Per user, a :class:`UserStream` numbers (``seq``), stamps and encodes each event ONCE, hands
the text to the event log, and after the log has committed it, fans the same text out to each
live connection of that user (through their managers, whose ``deliver`` refuses another
user's event). There is no path from one user's stream to another's connections.

``seq`` continues from the user's last committed number (read once per user from the log's
cursor), so it is gap-free and survives restarts. Without a log (unit tests) events are
delivered at once and numbering starts at 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from netra_backend.app.db import BatchLoader, EventLogWriter, EventStore, LoggedEvent
from netra_backend.app.errors import ManagerMisuseError
from netra_backend.app.websocket_core.context import UserWebSocketContext
from netra_backend.app.websocket_core.events import (
    TERMINAL_EVENTS,
    Envelope,
    EventSequence,
    build_envelope,
    encode,
)


class UserStream:
    """One user's events on this instance: numbering, and the connections they go to."""

    __slots__ = ("committed", "contexts", "sequence", "user_id")

    def __init__(self, user_id: str, last_seq: int = 0) -> None:
        self.user_id = user_id
        self.sequence = EventSequence(last_seq)
        self.committed = last_seq
        """The last ``seq`` that is durable and has been handed to the connections."""
        self.contexts: dict[str, UserWebSocketContext] = {}

    async def fan_out(self, seq: int, text: str) -> None:
        """Hand one committed event to every connection of the user."""
        self.committed = max(self.committed, seq)
        for context in list(self.contexts.values()):
            await context.websocket_manager.deliver(self.user_id, seq, text)


class UserEventHub:
    """Event routing keyed by user id, on top of the event log."""

    def __init__(self, log: EventLogWriter | None = None, store: EventStore | None = None) -> None:
        self._streams: dict[str, UserStream] = {}
        self.log = log
        self._cursors = BatchLoader(store.last_seqs) if store is not None else None

    async def load(self, user_id: str) -> UserStream:
        """The user's stream, its numbering read from the log the first time.

        Concurrent first loads share one batched cursor read (``BatchLoader``); the first
        stream stored wins, so numbering never restarts.
        """
        stream = self._streams.get(user_id)
        if stream is not None:
            return stream
        last = 0 if self._cursors is None else await self._cursors.load(user_id) or 0
        return self._streams.setdefault(user_id, UserStream(user_id, last))

    def stream(self, user_id: str) -> UserStream | None:
        """The user's stream if it is loaded."""
        return self._streams.get(user_id)

    def sequence_for(self, user_id: str) -> EventSequence:
        """The user's event sequence (the stream is created unloaded when there is none)."""
        return self._stream_now(user_id).sequence

    def attach(self, context: UserWebSocketContext) -> None:
        """Start delivering ``context.user_id``'s events to this context's connections."""
        self._stream_now(context.user_id).contexts[context.websocket_client_id] = context
        context.websocket_manager.bind(self.publish)

    def detach(self, context: UserWebSocketContext) -> None:
        """Stop delivering to this context."""
        context.websocket_manager.bind(None)
        stream = self._streams.get(context.user_id)
        if stream is not None:
            stream.contexts.pop(context.websocket_client_id, None)

    def connection_count(self, user_id: str) -> int:
        """How many contexts of ``user_id`` are attached."""
        stream = self._streams.get(user_id)
        return len(stream.contexts) if stream else 0

    def connected_users(self) -> list[str]:
        """Users with at least one connection attached here."""
        return [user for user, stream in self._streams.items() if stream.contexts]

    def disconnect_user(self, user_id: str, code: int, reason: str) -> int:
        """Close every connection of ``user_id`` here with ``code``; return how many."""
        stream = self._streams.get(user_id)
        if stream is None:
            return 0
        return sum(
            context.websocket_manager.close_connections(code, reason)
            for context in list(stream.contexts.values())
        )

    def last_committed(self, user_id: str) -> int:
        """The user's last durable ``seq`` known here (load the stream first)."""
        stream = self._streams.get(user_id)
        return stream.committed if stream else 0

    async def publish(
        self,
        user_id: str,
        event_type: str,
        data: Mapping[str, Any],
        run_id: str,
        *,
        wait: bool | None = None,
    ) -> Envelope:
        """Number one event of ``user_id``, log it, and deliver it once it is committed.

        Returns when the event is queued for the log, or (``wait``; by default for terminal
        events) once it is committed; its hand-over to the connections follows in the same
        step of the writer. Waits first while the
        log's backlog is over its high-water mark.
        """
        stream = await self.load(user_id)
        now = datetime.now(UTC)
        envelope = build_envelope(
            event_type, data, run_id=run_id, seq=stream.sequence.next(), now=now
        )
        text = encode(envelope)
        if self.log is None:
            await stream.fan_out(envelope["seq"], text)
            return envelope
        if wait is None:
            wait = envelope["type"] in TERMINAL_EVENTS
        event = LoggedEvent(user_id, envelope["seq"], run_id, envelope["type"], now, text)
        committed = self.log.append(event, wait=wait)
        if committed is not None:
            await committed
        else:
            await self.log.wait_for_room()
        return envelope

    async def deliver(self, events: list[LoggedEvent]) -> None:
        """The log's commit callback: fan committed events out, in order."""
        for event in events:
            stream = self._streams.get(event.user_id)
            if stream is not None:
                await stream.fan_out(event.seq, event.body)

    def _stream_now(self, user_id: str) -> UserStream:
        stream = self._streams.get(user_id)
        if stream is None:
            if self._cursors is not None:
                # Numbering must continue from the stored cursor: load() reads it.
                raise ManagerMisuseError(f"stream of user {user_id!r} used before load()")
            stream = self._streams[user_id] = UserStream(user_id)
        return stream
