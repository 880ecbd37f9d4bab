"""picows WebSocket clients that speak Netra's frames or Socket.IO v5 over Engine.IO v4.

Both kinds reduce every server frame to its event name (``b"agent_completed"``, ``b"pong"``,
...) and hand it to ``on_event``; the load scenarios react in that callback, without a task
or queue per frame, so the client stays far cheaper than the servers it drives.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

EventHandler = Callable[[bytes], None]
HANDSHAKE_TIMEOUT = 15.0


def _ignore(_: bytes) -> None:
    pass


class _Client(WSListener):
    """One connection. ``ready`` resolves once events can flow; ``closed`` when it ends."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.transport: WSTransport | None = None
        loop = asyncio.get_running_loop()
        self.ready: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.on_event: EventHandler = _ignore
        self._parts: list[bytes] = []

    # picows callbacks -------------------------------------------------------------------
    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()
            return
        if frame.msg_type not in (WSMsgType.TEXT, WSMsgType.CONTINUATION):
            return
        # Fragmented messages are rare (servers send one frame per event) but legal.
        if not frame.fin or self._parts:
            self._parts.append(frame.get_payload_as_bytes())
            if not frame.fin:
                return
            payload = b"".join(self._parts)
            self._parts.clear()
        else:
            payload = frame.get_payload_as_bytes()
        self.on_message(payload)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("closed before it was ready"))
        if not self.closed.done():
            self.closed.set_result(None)
        self.on_event(b"disconnected")

    # protocol -----------------------------------------------------------------------------
    def on_message(self, payload: bytes) -> None:
        raise NotImplementedError

    def send_json(self, frame: dict[str, Any]) -> None:
        """Send one Netra client frame (``type`` names it)."""
        raise NotImplementedError

    def close(self) -> None:
        """Start a normal close; ``closed`` resolves when the socket is gone."""
        if self.transport is not None and not self.transport.is_disconnected:
            self.transport.send_close(WSCloseCode.OK)
            self.transport.disconnect()


class NetraClient(_Client):
    """Netra's protocol (and the FastAPI baseline's): Bearer header, JSON text frames."""

    def on_ws_connected(self, transport: WSTransport) -> None:
        super().on_ws_connected(transport)
        self.ready.set_result(None)

    def on_message(self, payload: bytes) -> None:
        # Envelopes start with their type; slicing it out avoids a full parse per event.
        if payload.startswith(b'{"type":"'):
            end = payload.find(b'"', 9)
            self.on_event(payload[9:end])
            return
        try:
            kind = json.loads(payload).get("type", "")
        except (ValueError, AttributeError):
            kind = "unparsable"
        self.on_event(str(kind).encode())

    def send_json(self, frame: dict[str, Any]) -> None:
        assert self.transport is not None
        self.transport.send(WSMsgType.TEXT, json.dumps(frame).encode())


class SocketIOClient(_Client):
    """Socket.IO v5 over Engine.IO v4 on the raw WebSocket transport.

    Server ``0{...}`` (open) -> client ``40{"token": ...}`` (connect with auth) -> server
    ``40{"sid": ...}`` (ready) or ``44{...}`` (refused). Events are ``42["name", data]``; an
    Engine.IO ping ``2`` is answered ``3``. A Netra frame ``{"type": T, ...}`` is sent as
    event ``T`` with the frame as its data.
    """

    def on_message(self, payload: bytes) -> None:
        head = payload[:2]
        if head == b"42":
            end = payload.find(b'"', 4)
            self.on_event(payload[4:end])
        elif payload == b"2":
            self._send(b"3")
        elif head[:1] == b"0":
            self._send(b"40" + json.dumps({"token": self.token}).encode())
        elif head == b"40":
            self.ready.set_result(None)
        elif head == b"44":
            if not self.ready.done():
                self.ready.set_exception(PermissionError(payload[2:].decode(errors="replace")))
            self.on_event(b"error")
        elif head[:1] == b"1":  # Engine.IO close
            self.close()

    def _send(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.send(WSMsgType.TEXT, data)

    def send_json(self, frame: dict[str, Any]) -> None:
        self._send(b"42" + json.dumps([frame["type"], frame]).encode())


CLIENTS: dict[str, type[_Client]] = {"netra": NetraClient, "socketio": SocketIOClient}


def ws_url(protocol: str, port: int) -> str:
    """Where a client of ``protocol`` connects on 127.0.0.1."""
    if protocol == "socketio":
        return f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
    return f"ws://127.0.0.1:{port}/api/ws"


async def open_client(protocol: str, port: int, token: str) -> _Client:
    """Connect and wait until events can flow; raises on refusal or after a timeout."""
    cls = CLIENTS[protocol]
    headers = {"Authorization": f"Bearer {token}"} if protocol == "netra" else None
    _, client = await ws_connect(
        lambda: cls(token),
        ws_url(protocol, port),
        extra_headers=headers,
        websocket_handshake_timeout=HANDSHAKE_TIMEOUT,
    )
    assert isinstance(client, _Client)
    try:
        await asyncio.wait_for(asyncio.shield(client.ready), HANDSHAKE_TIMEOUT)
    except BaseException:
        client.close()
        raise
    return client


async def ping(client: _Client, timeout: float = HANDSHAKE_TIMEOUT) -> None:
    """An application-level ping answered by ``pong``: the server has the socket attached."""
    answered: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def on_event(kind: bytes) -> None:
        if not answered.done():
            answered.set_result(kind)

    client.on_event = on_event
    client.send_json({"type": "ping"})
    try:
        kind = await asyncio.wait_for(answered, timeout)
    finally:
        client.on_event = _ignore
    if kind != b"pong":
        raise ConnectionError(f"expected pong, got {kind.decode(errors='replace')}")
