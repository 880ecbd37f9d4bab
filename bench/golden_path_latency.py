"""Golden Path latency over the loopback: request -> ``agent_completed``, and connect + auth.

Starts a real ``netra serve`` subprocess on a free port with a temporary ``NETRA_DATA_DIR``,
registers a user, then:

* runs ``cost_optimizer`` (a $10,000/month bill on EC2, RDS and S3) N times, one after
  another over one socket, timing from sending the ``agent_request`` to receiving its
  ``agent_completed``;
* opens N authenticated sockets one after another, timing from the start of the WebSocket
  handshake to the ``pong`` answering a first ``ping`` (so the server has verified the token,
  looked the user up and attached the connection).

The per-connection frame rate limit is raised for the server (back-to-back requests would
otherwise be ``rate_limited`` after the burst). Prints median / p95 / max in milliseconds.
Not part of the test run::

    .venv/bin/python bench/golden_path_latency.py [--runs 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from _netra import CONTEXT, describe, netra_server, register, summary, until, ws_url_of
from websockets.asyncio.client import connect


async def _measure(base_url: str, runs: int) -> tuple[list[float], list[float]]:
    token = await register(base_url)
    ws_url = ws_url_of(base_url)
    headers = {"Authorization": f"Bearer {token}"}

    request_ms: list[float] = []
    async with connect(ws_url, additional_headers=headers) as connection:
        for k in range(runs + 1):  # the first run warms caches and is not counted
            frame = {
                "type": "agent_request",
                "agent": "cost_optimizer",
                "message": "analyse my bill",
                "context": CONTEXT,
                "request_id": f"bench-{k}",
            }
            started = time.perf_counter()
            await connection.send(json.dumps(frame))
            await until(connection, "agent_completed")
            if k:
                request_ms.append((time.perf_counter() - started) * 1000)

    connect_ms: list[float] = []
    for k in range(runs + 1):
        started = time.perf_counter()
        async with connect(ws_url, additional_headers=headers) as connection:
            await connection.send(json.dumps({"type": "ping"}))
            await until(connection, "pong")
            if k:
                connect_ms.append((time.perf_counter() - started) * 1000)
    return request_ms, connect_ms


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="samples per measurement (default 50)")
    args = parser.parse_args(argv)
    with netra_server() as base_url:
        request_ms, connect_ms = asyncio.run(_measure(base_url, args.runs))
    print(describe(base_url))
    print(summary("cost_optimizer request->completed", request_ms))
    print(summary("connect + auth (to first pong)", connect_ms))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
