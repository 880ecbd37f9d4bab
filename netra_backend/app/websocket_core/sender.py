"""``QueuedSender``: the one writer of a WebSocket, behind a queue bounded in frames and bytes.

Events are handed over from the user's stream; putting a frame on the queue never waits on a
slow client, so one slow tab cannot stall a run or the user's other tabs. The client is "too
slow", and the socket is closed with 1013, when the queue holds more than ``max_frames``
frames or ``max_chars`` characters (about bytes: frames are mostly ASCII JSON), or when one
write to the socket has not completed within ``write_timeout`` seconds (noticed within 1.5 x
that; a client that stopped reading entirely: the kernel buffers fill and the write blocks).
:attr:`dead` is set then, so the endpoint stops at once and frees the connection's slot.

A replay uses :meth:`send_wait`, which waits for room instead of overflowing: history is
sent as fast as the client reads it.

Metrics: a live event queued with its ``made`` time (the event's timestamp, ``time.time()``)
is observed in ``netra_event_delivery_seconds`` once its write returns; each 1013 close counts
in ``netra_slow_consumer_closes_total``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Protocol

from netra_backend.app.metrics import Metrics, unserved
from netra_backend.app.websocket_core.codes import CloseCode

CLOSE_TOO_SLOW = CloseCode.TRY_AGAIN_LATER
CLOSE_TIMEOUT = 1.0
"""Seconds a close frame may take to go out to a client that does not read."""


class _Socket(Protocol):
    async def send_text(self, data: str) -> None: ...
    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


class SenderClosedError(ConnectionError):
    """The connection can take no more frames (client gone or too slow)."""


class QueuedSender:
    """Queue frames for one socket and write them in order from a single task."""

    def __init__(
        self,
        websocket: _Socket,
        max_frames: int,
        *,
        max_chars: int = 8 * 1024 * 1024,
        write_timeout: float = 10.0,
        metrics: Metrics | None = None,
    ) -> None:
        self._websocket = websocket
        self._max_frames = max_frames
        self._max_chars = max_chars
        self._write_timeout = write_timeout
        self._queue: deque[tuple[str, float]] = deque()
        """Frames to write, each with its event's ``made`` time (0.0: not an event)."""
        metrics = metrics if metrics is not None else unserved()
        self._observe_delivery = metrics.observe_delivery
        self._slow_consumer_closed = metrics.slow_consumer_closed
        self._chars = 0
        self._closed = False
        self._close_with: tuple[int, str] | None = None
        self._last_words: str | None = None
        self._ready = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._write_since: float | None = None
        self._stuck = False
        self._timer: asyncio.TimerHandle | None = None
        self._writer: asyncio.Task[None] | None = None
        self.dead = asyncio.Event()
        """Set once the connection can take no more frames (overflow, timeout, send failure)."""
        self.on_dead: Callable[[], object] | None = None
        """Called once when :attr:`dead` is set (the endpoint stops reading then)."""

    @property
    def closed(self) -> bool:
        """True once the sender takes no more frames."""
        return self._closed

    @property
    def queued(self) -> int:
        """Frames waiting to be written."""
        return len(self._queue)

    async def send_text(self, data: str) -> None:
        """Queue one frame; raises :class:`SenderClosedError` if the connection is done."""
        self.put(data)

    def put(self, data: str, made: float = 0.0) -> None:
        """Queue one frame without waiting (see :meth:`send_text`); ``made`` is a live
        event's timestamp (``time.time()``), observed as its delivery latency once written."""
        if self._closed:
            raise SenderClosedError("connection closed")
        if len(self._queue) >= self._max_frames or self._chars + len(data) > self._max_chars:
            self._fail(too_slow=True)
            raise SenderClosedError("client too slow: send queue full")
        self._queue.append((data, made))
        self._chars += len(data)
        self._idle.clear()
        self._ready.set()
        if len(self._queue) >= self._max_frames // 2 or self._chars > self._max_chars // 2:
            self._room.clear()

    async def send_wait(self, data: str) -> None:
        """Queue one frame, first waiting while the queue is half full (for replays)."""
        while not self._room.is_set():
            if self._closed:
                raise SenderClosedError("connection closed")
            await self._room.wait()
        self.put(data)

    @contextlib.asynccontextmanager
    async def running(self, flush_timeout: float = 2.0) -> AsyncIterator[QueuedSender]:
        """Run the writer for the duration of the block; flush what is queued on the way out."""
        writer = self._writer = asyncio.create_task(self._write_loop())
        self._arm()
        try:
            yield self
        finally:
            if self._timer is not None:
                self._timer.cancel()
            self._closed = True
            self._room.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), flush_timeout)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer

    def _arm(self) -> None:
        # One timer per write_timeout/2 instead of an asyncio.timeout around every write
        # (that cost ~10% of the server's time under load): a stuck write is noticed within
        # 1.5 x write_timeout.
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._write_timeout / 2, self._check_stuck)

    def _check_stuck(self) -> None:
        since = self._write_since
        if since is not None and asyncio.get_running_loop().time() - since >= self._write_timeout:
            self._stuck = True
            self._fail(too_slow=True)
            if self._writer is not None:
                self._writer.cancel()
        elif not self._closed or self._writer is not None and not self._writer.done():
            self._arm()

    def abort_too_slow(self) -> None:
        """Give up on the client as too slow: drop what is queued and close with 1013."""
        self._fail(too_slow=True)

    def abort(self, code: int, reason: str, *, last: str | None = None) -> None:
        """End the connection now: drop what is queued, send ``last`` (a frame telling the
        client why, if given), close with ``code`` and ``reason``."""
        if self._close_with is None:
            self._last_words = last
        self._fail(close=(code, reason))

    def _fail(self, *, too_slow: bool = False, close: tuple[int, str] | None = None) -> None:
        self._closed = True
        if too_slow:
            close = (CLOSE_TOO_SLOW, "client too slow")
        if close is not None and self._close_with is None:
            self._close_with = close
            if too_slow:
                self._slow_consumer_closed()
            self._idle.clear()  # set again once the writer has sent the close
        self._room.set()
        self._ready.set()
        if not self.dead.is_set():
            self.dead.set()
            if self.on_dead is not None:
                self.on_dead()

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if self._close_with is not None:
                # Queue dropped, but "idle" only once the close went out (or gave up): the
                # endpoint's exit waits for it, so the close is not cancelled half-way.
                self._queue.clear()
                self._chars = 0
                code, reason = self._close_with
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(CLOSE_TIMEOUT):
                        if self._last_words is not None:
                            await self._websocket.send_text(self._last_words)
                        await self._websocket.close(code, reason)
                self._idle.set()
                return
            if not self._queue:
                self._room.set()
                self._idle.set()
                self._ready.clear()
                await self._ready.wait()
                continue
            text, made = self._queue[0]
            self._write_since = loop.time()
            try:
                await self._websocket.send_text(text)
            except asyncio.CancelledError:
                if not self._stuck:
                    raise
                task = asyncio.current_task()
                if task is not None:
                    task.uncancel()
                continue  # closes with 1013 at the top of the loop
            except Exception:
                self._fail(too_slow=False)
                self._drain()
                return
            self._write_since = None
            if made:
                self._observe_delivery(time.time() - made)
            self._queue.popleft()
            self._chars -= len(text)
            if not self._room.is_set() and (
                len(self._queue) < self._max_frames // 4 and self._chars < self._max_chars // 4
            ):
                self._room.set()

    def _drain(self) -> None:
        self._queue.clear()
        self._chars = 0
        self._idle.set()
