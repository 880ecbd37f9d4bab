"""``UserEventHub``: one stream per user, the single path every event takes to its user.

Per user, a :class:`UserStream` numbers (``seq``), stamps and encodes each event ONCE, hands
the text to the event log, and after the log has committed it, fans the same text out to each
live connection of that user (through their managers, whose ``deliver`` refuses another
user's event). There is no path from one user's stream to another's connections.

``seq`` continues from the user's last committed number (read once per user from the log's
cursor), so it is gap-free and survives restarts. Without a log (unit tests) events are
delivered at once and numbering starts at 1.

In Redis mode (:attr:`UserEventHub.redis` set) Redis numbers the events (one sequence per user
across instances) and every instance, this one included, receives them back through its
subscription (``redis_fanout``) before fanning out: one path for local and remote events.
:meth:`UserEventHub.reconcile` fills what a subscription missed from the user's stream, and
when Redis has lost the log (its epoch changed) each affected socket gets ``resume_failed``
code ``log_reset`` and is closed 1012, so the client resyncs instead of missing events.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from netra_backend.app.db import BatchLoader, EventLogWriter, EventStore, LoggedEvent
from netra_backend.app.db.redis_log import RedisEventLog
from netra_backend.app.errors import ManagerMisuseError, StorageError
from netra_backend.app.metrics import Metrics, unserved
from netra_backend.app.websocket_core.codes import CloseCode, ResumeFailure
from netra_backend.app.websocket_core.context import UserWebSocketContext
from netra_backend.app.websocket_core.events import (
    TERMINAL_EVENTS,
    Envelope,
    EventSequence,
    build_envelope,
    encode,
    stamped_at,
)
from netra_backend.app.websocket_core.session import Session

if TYPE_CHECKING:
    from netra_backend.app.websocket_core.redis_fanout import RedisFanout

logger = logging.getLogger(__name__)


class _SeqCursors(Protocol):
    async def last_seqs(self, user_ids: list[str]) -> dict[str, int]: ...


class UserStream:
    """One user's events on this instance: numbering, and the connections they go to."""

    __slots__ = ("committed", "contexts", "sequence", "user_id")

    def __init__(self, user_id: str, last_seq: int = 0) -> None:
        self.user_id = user_id
        self.sequence = EventSequence(last_seq)
        self.committed = last_seq
        """The last ``seq`` that is durable and has been handed to the connections."""
        self.contexts: dict[str, UserWebSocketContext] = {}

    async def fan_out(self, seq: int, text: str, made: float | None = None) -> None:
        """Hand one committed event to every connection of the user (``made``: its
        timestamp as ``time.time()``, read from ``text`` when not given)."""
        self.committed = max(self.committed, seq)
        made = stamped_at(text) if made is None else made  # for the delivery-latency metric
        for context in list(self.contexts.values()):
            await context.websocket_manager.deliver(self.user_id, seq, text, made)


class UserEventHub:
    """Event routing keyed by user id, on top of the event log."""

    def __init__(
        self, log: EventLogWriter | None = None, store: EventStore | _SeqCursors | None = None
    ) -> None:
        self._streams: dict[str, UserStream] = {}
        self.log = log
        self._cursors = BatchLoader(store.last_seqs) if store is not None else None
        self.redis: RedisEventLog | None = None
        self.fanout: RedisFanout | None = None
        self._delivering = asyncio.Lock()
        self._leaving: set[asyncio.Task[None]] = set()
        self.resets = 0
        self.metrics: Metrics = unserved()

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
        """Stop delivering to this context (Redis mode: the user's last one lets go)."""
        context.websocket_manager.bind(None)
        stream = self._streams.get(context.user_id)
        if stream is not None:
            stream.contexts.pop(context.websocket_client_id, None)
            if not stream.contexts and self.fanout is not None:
                # Numbering lives in Redis: the next connection starts from its head again.
                del self._streams[context.user_id]
                task = asyncio.get_running_loop().create_task(self._let_go(context.user_id))
                self._leaving.add(task)
                task.add_done_callback(self._leaving.discard)

    async def _let_go(self, user_id: str) -> None:
        stream = self._streams.get(user_id)
        if self.fanout is not None and (stream is None or not stream.contexts):
            await self.fanout.unsubscribe(user_id)  # unless the user came back meanwhile

    async def watch(self, user_id: str) -> None:
        """Redis mode: subscribe to ``user_id``'s events here (after :meth:`attach`)."""
        if self.fanout is None:
            return
        await self.fanout.subscribe(user_id)
        async with self._delivering:
            try:
                await self._catch_up(user_id)
            except StorageError:  # Redis is down: reconcile() catches up once it is back
                logger.warning("could not catch user %s up from Redis yet", user_id)

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
        now = datetime.now(UTC)
        self.metrics.event_sent(event_type)
        if self.redis is not None:
            return await self._publish_redis(user_id, event_type, data, run_id, now, wait)
        stream = await self.load(user_id)
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
                await stream.fan_out(event.seq, event.body, event.created_at.timestamp())

    # --- Redis mode ------------------------------------------------------------------------

    async def _publish_redis(
        self,
        user_id: str,
        event_type: str,
        data: Mapping[str, Any],
        run_id: str,
        now: datetime,
        wait: bool | None,
    ) -> Envelope:
        assert self.redis is not None
        envelope = build_envelope(event_type, data, run_id=run_id, seq=0, now=now)
        # Redis splices the seq in front: '{"seq":' + seq + ',' + the rest of the object.
        text = encode({key: value for key, value in envelope.items() if key != "seq"})
        terminal = envelope["type"] in TERMINAL_EVENTS
        if terminal and self.log is not None:
            await self.log.flush()  # the run's record is committed before its terminal event
        appended = self.redis.append(user_id, '{"seq":', "," + text[1:])
        if wait or (wait is None and terminal):
            envelope["seq"] = await appended
        else:
            # As with the SQL log: queued in order, numbered by Redis (``seq`` is not known
            # here yet, 0 in the returned envelope); a full queue makes the caller wait.
            await self.redis.wait_for_room()
        return envelope

    async def deliver_from_redis(self, user_id: str, seq: int, text: str) -> None:
        """One event from the user's channel: fan out in order, filling any gap first."""
        async with self._delivering:
            stream = self._streams.get(user_id)
            if stream is None or not stream.contexts or seq <= stream.committed:
                return
            if seq > stream.committed + 1:
                await self._catch_up(user_id, seq - 1)
            if seq > stream.committed:
                await stream.fan_out(seq, text)

    async def reconcile(self) -> None:
        """Redis mode: deliver what subscriptions missed; detect a Redis that lost the log."""
        if self.redis is None:
            return
        epoch = await self.redis.read_epoch()
        if epoch != self.redis.epoch:
            logger.error("Redis lost the event log (epoch changed); connected clients resync")
            for user_id in self.connected_users():
                self._reset(user_id)
            self.redis.epoch = await self.redis.read_epoch(adopt=True)
            return
        async with self._delivering:
            # Read the heads under the lock: a delivery in between would make a head read
            # before it look older than what was delivered (a false "seq went back").
            users = self.connected_users()
            heads = await self.redis.last_seqs(users)
            for user_id in users:
                stream = self._streams.get(user_id)
                head = heads.get(user_id, 0)
                if stream is None:
                    continue
                if head < stream.committed:
                    logger.error("the seq of user %s went back in Redis; they resync", user_id)
                    self._reset(user_id)
                elif head > stream.committed:
                    await self._catch_up(user_id, head)

    async def _catch_up(self, user_id: str, head: int | None = None) -> None:
        # Called with _delivering held.
        assert self.redis is not None
        stream = self._streams.get(user_id)
        if stream is None or not stream.contexts:
            return
        target = head if head is not None else await self.redis.last_seq(user_id)
        while stream.committed < target:
            rows = await self.redis.page(user_id, stream.committed, 500)
            if not rows:
                return
            if rows[0][0] > stream.committed + 1:
                logger.warning(
                    "user %s: events %d..%d were trimmed before delivery here",
                    user_id,
                    stream.committed + 1,
                    rows[0][0] - 1,
                )
            for seq, text in rows:
                if seq > stream.committed:
                    await stream.fan_out(seq, text)

    def _reset(self, user_id: str) -> None:
        """Tell each socket of ``user_id`` here to resync, and close it (1012)."""
        stream = self._streams.pop(user_id, None)
        if stream is None:
            return
        self.resets += 1
        frame = Session.resume_failed(
            ResumeFailure.LOG_RESET,
            "the event log was lost; reconnect and resync over HTTP",
            0,
        )
        for context in stream.contexts.values():
            context.websocket_manager.close_connections(
                CloseCode.SERVICE_RESTART, "event log reset; reconnect", last=frame
            )

    def _stream_now(self, user_id: str) -> UserStream:
        stream = self._streams.get(user_id)
        if stream is None:
            if self._cursors is not None:
                # Numbering must continue from the stored cursor: load() reads it.
                raise ManagerMisuseError(f"stream of user {user_id!r} used before load()")
            stream = self._streams[user_id] = UserStream(user_id)
        return stream
