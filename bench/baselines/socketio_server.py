"""Baseline 2: python-socketio (ASGI) on uvicorn, the stack Chainlit applications run on.

Clients connect over the WebSocket transport (``/socket.io/?EIO=4&transport=websocket``) and
send their token in the Socket.IO connect packet (``40{"token": ...}``), checked with PyJWT;
a bad one is refused (``44``). Event ``ping`` is answered with ``pong``; each
``agent_request`` with the five events of a triage_agent run, one Socket.IO event each
(``42["agent_started", {envelope}]`` ...).

    python -m baselines.socketio_server --port P   # key in $BENCH_JWT_SECRET
"""

from __future__ import annotations

import argparse
from typing import Any

import jwt
import socketio

from baselines.events import run_envelopes, verify_bearer
from baselines.serve import secret, serve


def create_app(key: str) -> socketio.ASGIApp:
    """The baseline app, verifying tokens signed with ``key``."""
    sio = socketio.AsyncServer(async_mode="asgi", transports=["websocket"])
    # The event counter per session; a plain dict, cheaper than python-socketio's sessions.
    seqs: dict[str, int] = {}

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        token = auth.get("token", "") if isinstance(auth, dict) else ""
        try:
            verify_bearer(token, key)
        except jwt.PyJWTError as exc:
            raise socketio.exceptions.ConnectionRefusedError(str(exc)[:120]) from None
        seqs[sid] = 0

    @sio.event
    async def disconnect(sid: str, *_: Any) -> None:
        seqs.pop(sid, None)

    @sio.on("ping")
    async def ping(sid: str, *_: Any) -> None:
        await sio.emit("pong", {"type": "pong"}, to=sid)

    @sio.on("agent_request")
    async def agent_request(sid: str, frame: Any) -> None:
        frame = frame if isinstance(frame, dict) else {}
        seq = seqs.get(sid, 0)
        for envelope in run_envelopes(
            str(frame.get("message", "")), frame.get("request_id"), seq + 1
        ):
            await sio.emit(envelope["type"], envelope, to=sid)
        seqs[sid] = seq + 5

    return socketio.ASGIApp(sio)


def main() -> None:
    """Serve on 127.0.0.1:--port."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    serve(create_app(secret()), parser.parse_args().port)


if __name__ == "__main__":
    main()
