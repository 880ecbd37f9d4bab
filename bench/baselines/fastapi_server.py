"""Baseline 1: a bare FastAPI WebSocket endpoint on uvicorn, the limit of Netra's own stack.

``/api/ws`` checks ``Authorization: Bearer <jwt>`` with PyJWT (close 4401 otherwise), then
answers ``{"type": "ping"}`` with ``pong`` and each ``agent_request`` with the five envelopes
of a triage_agent run. No database, no agents, no queue: just parsing, auth and sending.

    python -m baselines.fastapi_server --port P   # key in $BENCH_JWT_SECRET
"""

from __future__ import annotations

import argparse
import json

import jwt
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from baselines.events import encode, run_envelopes, verify_bearer
from baselines.serve import secret, serve


def create_app(key: str) -> FastAPI:
    """The baseline app, verifying tokens signed with ``key``."""
    app = FastAPI()

    @app.websocket("/api/ws")
    async def websocket_endpoint(websocket: WebSocket) -> None:
        token = websocket.headers.get("authorization", "").removeprefix("Bearer ")
        try:
            verify_bearer(token, key)
        except jwt.PyJWTError as exc:
            await websocket.accept()
            await websocket.close(4401, str(exc)[:120])
            return
        await websocket.accept()
        seq = 0
        try:
            while True:
                text = await websocket.receive_text()
                try:
                    frame = json.loads(text)
                except ValueError:
                    frame = {}
                kind = frame.get("type") if isinstance(frame, dict) else None
                if kind == "ping":
                    await websocket.send_text(encode({"type": "pong"}))
                elif kind == "agent_request":
                    for envelope in run_envelopes(
                        str(frame.get("message", "")), frame.get("request_id"), seq + 1
                    ):
                        await websocket.send_text(encode(envelope))
                    seq += 5
                else:
                    error = {"code": "unknown_type", "message": f"unknown frame type {kind!r}"}
                    await websocket.send_text(encode({"type": "error", "data": error}))
        except WebSocketDisconnect:
            return

    return app


def main() -> None:
    """Serve on 127.0.0.1:--port."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    serve(create_app(secret()), parser.parse_args().port)


if __name__ == "__main__":
    main()
