"""Replay: fill one user's log, then time ``resume`` from ``last_seq`` 0 to ``resumed``."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from load.client import open_client
from load.connections import CONTROL, FAILURES, REQUEST, close_all, settle


async def _first_event(client: Any, frame: dict[str, Any], timeout: float) -> bytes:
    got: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
    client.on_event = lambda kind: settle(got, kind)
    client.send_json(frame)
    return await asyncio.wait_for(got, timeout)


async def _seed(client: Any, runs: int, window: int, timeout: float) -> int:
    """Complete ``runs`` runs, ``window`` in flight; returns the events received."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    state = {"attempts": 0, "in_flight": 0, "completed": 0, "events": 0}

    def send() -> None:
        state["attempts"] += 1
        state["in_flight"] += 1
        client.send_json(REQUEST)

    def on_event(kind: bytes) -> None:
        if kind not in CONTROL:
            state["events"] += 1
        if kind == b"disconnected":
            if not done.done():
                done.set_exception(ConnectionError("closed while seeding"))
            return
        if kind != b"agent_completed" and kind not in FAILURES:
            return
        state["in_flight"] -= 1
        state["completed"] += kind == b"agent_completed"
        # A refused run (rate_limited, ...) is sent again, within a bound.
        wanted = runs - state["completed"] - state["in_flight"]
        if wanted > 0 and state["attempts"] < 2 * runs:
            send()
        elif state["in_flight"] == 0:
            settle(done, None)

    client.on_event = on_event
    for _ in range(min(window, runs)):
        send()
    await asyncio.wait_for(done, timeout)
    return state["events"]


async def replay(spec: dict[str, Any]) -> dict[str, Any]:
    """Replay rate of ``resume``; ``supported: False`` when the server does not know it."""
    protocol, port, token = spec["protocol"], spec["port"], spec["tokens"][0]
    resume = {"type": "resume", "last_seq": 0}
    client = await open_client(protocol, port, token)
    try:
        answer = await _first_event(client, resume, 15)
        if answer not in (b"resumed", b"resume_failed"):
            return {"supported": False, "answer": answer.decode(errors="replace")}
        runs = -(-spec["events"] // 5)
        seeded = await _seed(client, runs, spec.get("window", 16), spec.get("timeout", 120))
    finally:
        await close_all([client])

    client = await open_client(protocol, port, token)
    try:
        loop = asyncio.get_running_loop()
        finished: asyncio.Future[bytes] = loop.create_future()
        counted = {"events": 0}

        def on_event(kind: bytes) -> None:
            if kind in (b"resumed", b"resume_failed", b"error", b"disconnected"):
                settle(finished, kind)
            else:
                counted["events"] += 1

        client.on_event = on_event
        started = time.perf_counter()
        client.send_json(resume)
        end = await asyncio.wait_for(finished, spec.get("timeout", 120))
        elapsed = time.perf_counter() - started
    finally:
        await close_all([client])
    return {
        "supported": end == b"resumed",
        "answer": end.decode(),
        "seeded_events": seeded,
        "replayed": counted["events"],
        "seconds": elapsed,
        "events_per_s": counted["events"] / elapsed if elapsed else 0.0,
    }
