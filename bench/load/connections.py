"""What the scenarios share: the request, frame classes, opening and closing many sockets."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from load.client import open_client
from load.client import ping as ping_pong

REQUEST = {
    "type": "agent_request",
    "agent": "triage_agent",
    "message": "How do I reduce my AWS bill?",
}
FAILURES = frozenset({b"agent_failed", b"error", b"disconnected"})
# Frames that are not events of a run (not counted in events/s).
CONTROL = frozenset({b"pong", b"error", b"disconnected", b"resumed", b"resume_failed"})


async def open_many(
    protocol: str, port: int, tokens: list[str], n: int, concurrency: int, confirm: bool
) -> tuple[list[Any], int, float]:
    """Open ``n`` connections (token ``k % len``), at most ``concurrency`` at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def one(k: int) -> Any:
        async with gate:
            client = await open_client(protocol, port, tokens[k % len(tokens)])
            if confirm:
                try:
                    await ping_pong(client)
                except BaseException:
                    client.close()
                    raise
            return client

    started = time.perf_counter()
    results = await asyncio.gather(*(one(k) for k in range(n)), return_exceptions=True)
    elapsed = time.perf_counter() - started
    clients = [r for r in results if not isinstance(r, BaseException)]
    return clients, n - len(clients), elapsed


async def close_all(clients: list[Any]) -> None:
    for client in clients:
        client.close()
    if clients:
        await asyncio.wait([asyncio.ensure_future(c.closed) for c in clients], timeout=10)


def settle(future: asyncio.Future[Any], value: Any) -> None:
    """Resolve ``future`` with ``value`` unless it already is."""
    if not future.done():
        future.set_result(value)
