"""A WebSocket client for tests, speaking Netra's JSON protocol over a real connection.

::

    async with WebSocketTestClient(ws_url, token) as client:
        await client.send_json({"type": "agent_request", "agent": "triage_agent", "message": "hi"})
        async for event in client.receive_events(timeout=10):
            ...

``receive_events`` ends quietly after ``timeout`` seconds without a frame, or when the server
closes the connection; ``close_code``/``close_reason`` then say how it closed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Self

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from test_framework.envelopes import TERMINAL_EVENTS

Event = dict[str, Any]


class EventTimeout(AssertionError):
    """The awaited event did not arrive; carries everything that did."""

    def __init__(self, wanted: str, timeout: float, received: list[Event]) -> None:
        super().__init__(wanted, timeout, received)
        self.wanted = wanted
        self.timeout = timeout
        self.received = received

    def __str__(self) -> str:
        types = [event.get("type") for event in self.received]
        return f"no {self.wanted!r} within {self.timeout}s without a frame; received {types}"


class WebSocketTestClient:
    """An authenticated client of ``/api/ws``; an async context manager."""

    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        subprotocols: list[str] | None = None,
        open_timeout: float = 30.0,
        max_size: int | None = 16 * 1024 * 1024,
    ) -> None:
        self.url = url
        self.token = token
        self.subprotocols = subprotocols
        self.open_timeout = open_timeout
        self.max_size = max_size
        self.received: list[Event] = []
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self._connection: ClientConnection | None = None

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def connection(self) -> ClientConnection:
        """The underlying ``websockets`` connection (raises before ``connect()``)."""
        if self._connection is None:
            raise RuntimeError("WebSocketTestClient is not connected; use 'async with'")
        return self._connection

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the server selected, if any."""
        return self.connection.subprotocol

    async def connect(self) -> None:
        """Open the connection, sending ``Authorization: Bearer <token>`` when a token is set."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
        self._connection = await connect(
            self.url,
            additional_headers=headers,
            subprotocols=self.subprotocols,  # type: ignore[arg-type]
            open_timeout=self.open_timeout,
            max_size=self.max_size,
        )

    async def send_json(self, obj: Any) -> None:
        """Send ``obj`` as one JSON text frame."""
        await self.connection.send(json.dumps(obj))

    async def send_text(self, text: str) -> None:
        """Send a raw text frame (for malformed-input tests)."""
        await self.connection.send(text)

    async def send_bytes(self, data: bytes) -> None:
        """Send a binary frame."""
        await self.connection.send(data)

    async def request_agent(
        self,
        agent: str,
        message: str,
        *,
        context: dict[str, Any] | None = None,
        request_id: str | None = None,
    ) -> None:
        """Send an ``agent_request`` frame."""
        frame: dict[str, Any] = {"type": "agent_request", "agent": agent, "message": message}
        if context is not None:
            frame["context"] = context
        if request_id is not None:
            frame["request_id"] = request_id
        await self.send_json(frame)

    async def receive_one(self, timeout: float) -> Event | None:
        """The next decoded frame, or ``None`` after ``timeout`` seconds or once closed."""
        try:
            raw = await asyncio.wait_for(self.connection.recv(), timeout)
        except TimeoutError:
            return None
        except ConnectionClosed as closed:
            self._record_close(closed)
            return None
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        event = json.loads(text)
        if not isinstance(event, dict):
            raise AssertionError(f"server sent a frame that is not a JSON object: {text[:200]}")
        self.received.append(event)
        return event

    async def receive_events(self, timeout: float) -> AsyncIterator[Event]:
        """Yield decoded frames until ``timeout`` seconds pass without one, or the socket closes."""
        while True:
            event = await self.receive_one(timeout)
            if event is None:
                return
            yield event

    async def receive_until(self, event_type: str, timeout: float = 30.0) -> Event:
        """Read frames until one of ``event_type`` arrives and return it.

        Raises :class:`EventTimeout` (an ``AssertionError``) when ``timeout`` seconds pass
        without any frame or the connection closes first.
        """
        start = len(self.received)
        async for event in self.receive_events(timeout):
            if event.get("type") == event_type:
                return event
        raise EventTimeout(event_type, timeout, self.received[start:])

    async def receive_run(self, timeout: float = 60.0, run_id: str | None = None) -> list[Event]:
        """Collect one run's events, up to and including its terminal event.

        Frames of other runs (and pongs/errors) are skipped; ``run_id`` defaults to the run
        of the first ``agent_started`` seen.
        """
        start = len(self.received)
        run: list[Event] = []
        async for event in self.receive_events(timeout):
            if run_id is None and event.get("type") == "agent_started":
                run_id = event.get("run_id")
            if run_id is None or event.get("run_id") != run_id:
                continue
            run.append(event)
            if event.get("type") in TERMINAL_EVENTS:
                return run
        raise EventTimeout("terminal event", timeout, self.received[start:])

    async def wait_closed(self, timeout: float = 10.0) -> int | None:
        """Read until the server closes the connection; return the close code (None if open)."""
        async for _ in self.receive_events(timeout):
            pass
        return self.close_code

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection (idempotent) and record how it closed."""
        if self._connection is None:
            return
        await self._connection.close(code, reason)
        if self.close_code is None:
            self.close_code = self._connection.close_code
            self.close_reason = self._connection.close_reason

    def _record_close(self, closed: ConnectionClosed) -> None:
        frame = closed.rcvd
        self.close_code = frame.code if frame is not None else self.connection.close_code
        self.close_reason = frame.reason if frame is not None else self.connection.close_reason


async def frames_until_closed(connection: ClientConnection, timeout: float = 30.0) -> list[Any]:
    """Every frame (parsed JSON) ``connection`` receives until the server closes it."""
    frames: list[Any] = []
    async with asyncio.timeout(timeout):
        try:
            while True:
                frames.append(json.loads(await connection.recv()))
        except ConnectionClosed:
            return frames
