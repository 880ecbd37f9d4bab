"""``QueuedSender``: the one writer of a WebSocket, behind a bounded queue.

Runs emit events from their own tasks; putting a frame on a queue never waits on a slow
client, so one slow tab cannot stall a run or the user's other tabs. When the queue is full
the client is not keeping up: the sender refuses further frames (the manager then drops the
connection) and closes the socket with 1013.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Protocol

CLOSE_TOO_SLOW = 1013


class _Socket(Protocol):
    async def send_text(self, data: str) -> None: ...
    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


class SenderClosedError(ConnectionError):
    """The connection can take no more frames (client gone or too slow)."""


class QueuedSender:
    """Queue frames for one socket and write them in order from a single task."""

    def __init__(self, websocket: _Socket, max_queue: int) -> None:
        self._websocket = websocket
        self._queue: asyncio.Queue[str] = asyncio.Queue(max_queue)
        self._closed = False
        self._overflowed = asyncio.Event()

    @property
    def closed(self) -> bool:
        """True once the sender takes no more frames."""
        return self._closed

    async def send_text(self, data: str) -> None:
        """Queue one frame; raises :class:`SenderClosedError` if the connection is done."""
        if self._closed:
            raise SenderClosedError("connection closed")
        try:
            self._queue.put_nowait(data)
        except asyncio.QueueFull:
            self._closed = True
            self._overflowed.set()
            raise SenderClosedError("client too slow: send queue full") from None

    @contextlib.asynccontextmanager
    async def running(self, flush_timeout: float = 1.0) -> AsyncIterator[QueuedSender]:
        """Run the writer for the duration of the block; flush what is queued on the way out."""
        writer = asyncio.create_task(self._write_loop())
        try:
            yield self
        finally:
            self._closed = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), flush_timeout)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer

    async def _write_loop(self) -> None:
        while True:
            if self._overflowed.is_set() and self._queue.empty():
                await self._websocket.close(CLOSE_TOO_SLOW, "client too slow: send queue full")
                return
            text = await self._queue.get()
            try:
                await self._websocket.send_text(text)
            except Exception:  # noqa: BLE001 - any send failure means the client is gone
                self._closed = True
                self._drain()
                return
            finally:
                self._queue.task_done()

    def _drain(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
            self._queue.task_done()
