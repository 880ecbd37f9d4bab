"""Many users at once: per-run latency and throughput with every user running in parallel.

Starts a real ``netra serve`` subprocess, registers ``--users`` users, connects each once,
then for ``--rounds`` rounds every user sends one ``cost_optimizer`` request at the same
moment. Reports the latency from each send to its ``agent_completed`` (median / p95 / max),
runs completed per second, and how many events reached a user they did not belong to (must
be 0). Bounded: each wait has a timeout; talks to 127.0.0.1 only. Not part of the test run::

    .venv/bin/python bench/concurrent_users.py [--users 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from _netra import CONTEXT, describe, netra_server, register, summary, ws_url_of
from websockets.asyncio.client import ClientConnection, connect

TIMEOUT = 60.0


async def _one_run(
    connection: ClientConnection, request_id: str, own_runs: set[str]
) -> tuple[float, int]:
    """Send one request; return (latency ms, foreign events seen)."""
    frame = {
        "type": "agent_request",
        "agent": "cost_optimizer",
        "message": "analyse my bill",
        "context": CONTEXT,
        "request_id": request_id,
    }
    started = time.perf_counter()
    await connection.send(json.dumps(frame))
    foreign = 0
    async with asyncio.timeout(TIMEOUT):
        while True:
            event = json.loads(await connection.recv())
            if event["type"] == "agent_started" and event["data"].get("request_id") == request_id:
                own_runs.add(event["run_id"])
            elif event.get("run_id") not in own_runs:
                foreign += 1
            if event["type"] == "agent_completed" and event["data"].get("request_id") == request_id:
                return (time.perf_counter() - started) * 1000, foreign
            if event["type"] in ("agent_failed", "error"):
                raise RuntimeError(f"unexpected frame: {event}")


async def _measure(base_url: str, users: int, rounds: int) -> tuple[list[float], float, int]:
    tokens = await asyncio.gather(*(register(base_url, f"bench-u{k}") for k in range(users)))
    connections = [
        await connect(ws_url_of(base_url), additional_headers={"Authorization": f"Bearer {t}"})
        for t in tokens
    ]
    own: list[set[str]] = [set() for _ in connections]
    latencies: list[float] = []
    foreign = 0
    started = time.perf_counter()
    try:
        for r in range(rounds):
            results = await asyncio.gather(
                *(_one_run(c, f"r{r}-u{k}", own[k]) for k, c in enumerate(connections))
            )
            latencies += [ms for ms, _ in results]
            foreign += sum(f for _, f in results)
    finally:
        elapsed = time.perf_counter() - started
        await asyncio.gather(*(c.close() for c in connections))
    return latencies, len(latencies) / elapsed, foreign


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100, help="concurrent users (default 100)")
    parser.add_argument("--rounds", type=int, default=5, help="requests per user (default 5)")
    args = parser.parse_args(argv)
    with netra_server() as base_url:
        latencies, per_second, foreign = asyncio.run(_measure(base_url, args.users, args.rounds))
    print(describe(base_url))
    print(summary(f"{args.users} users at once, send->completed", latencies))
    print(f"throughput: {per_second:.0f} runs/s; events delivered to the wrong user: {foreign}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
