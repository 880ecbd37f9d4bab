"""Redis mode against memory mode, in one run: closed-loop throughput of one instance in each
mode and of two Redis-mode instances sharing the load, and fan-out of one user's events to
1000 of their sockets spread over two instances.

Every configuration runs on a fresh PostgreSQL database (run records), so the only difference
between "memory" and "redis-1" is where the event log lives. The load comes from this
process (websockets' asyncio client, uvloop when installed), so on a 2-core machine client and
servers share the cores: the ratios are what matters, not the absolute figures. 127.0.0.1
only; bounded; stops what it started; deletes its Redis keys and databases::

    .venv/bin/python bench/redis_mode.py [--quick]     # part of: make bench
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _netra
import redis
from websockets.asyncio.client import ClientConnection, connect

from test_framework.databases import create_database, discard_database

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "bench-Passw0rd!"


@dataclass(frozen=True)
class Plan:
    users: int = 100
    warmup: float = 2.0
    duration: float = 10.0
    fanout_sockets: int = 1000
    fanout_runs: int = 5


QUICK = Plan(users=30, warmup=0.5, duration=3.0, fanout_sockets=200, fanout_runs=2)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def _instances(count: int, redis_prefix: str | None, **extra: str) -> Iterator[list[str]]:
    """``count`` ``netra serve`` processes on one fresh PostgreSQL database; their URLs."""
    work = Path(tempfile.mkdtemp(prefix="netra-bench-redis-"))
    database = create_database("postgresql", work)
    processes = []
    try:
        env = {"NETRA_DATABASE_URL": database.url, "NETRA_JWT_SECRET": "b" * 48, **extra}
        if redis_prefix is not None:
            env |= {"NETRA_REDIS_URL": REDIS_URL, "NETRA_REDIS_PREFIX": redis_prefix}
        urls = []
        for k in range(count):
            port = _netra.free_port()
            data_dir = work / f"data-{k}"
            data_dir.mkdir()
            processes.append(
                _netra.start_server(port, data_dir, work / f"server-{k}.log", extra_env=env)
            )
            urls.append(f"http://{_netra.HOST}:{port}")
        for url, process in zip(urls, processes, strict=True):
            _netra.wait_healthy(url, exit_code=process.poll)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(20)
            except Exception:
                process.kill()
        discard_database(database, work)
        shutil.rmtree(work, ignore_errors=True)
        if redis_prefix is not None:
            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(match=f"{redis_prefix}:*", count=1000))
            for start in range(0, len(keys), 500):
                client.delete(*keys[start : start + 500])


async def _socket(url: str, token: str) -> ClientConnection:
    return await connect(
        _netra.ws_url_of(url),
        additional_headers={"Authorization": f"Bearer {token}"},
        max_queue=None,
    )


async def _closed_loop(urls: list[str], plan: Plan) -> dict[str, Any]:
    tokens = await _netra.register_many(urls[0], plan.users, "redis-bench")
    sockets = [await _socket(urls[k % len(urls)], t) for k, t in enumerate(tokens)]
    latencies: list[float] = []
    counted = False
    runs = 0
    stop = False

    async def loop(socket: ClientConnection) -> None:
        nonlocal runs
        request = json.dumps(
            {"type": "agent_request", "agent": "triage_agent", "message": "reduce my EC2 cost"}
        )
        while not stop:
            started = time.perf_counter()
            await socket.send(request)
            await _netra.until(socket, "agent_completed")
            if counted:
                runs += 1
                latencies.append((time.perf_counter() - started) * 1000)

    tasks = [asyncio.create_task(loop(s)) for s in sockets]
    await asyncio.sleep(plan.warmup)
    counted = True
    began = time.perf_counter()
    await asyncio.sleep(plan.duration)
    counted, stop = False, True
    elapsed = time.perf_counter() - began
    await asyncio.wait(tasks, timeout=30)
    for socket in sockets:
        await socket.close()
    ordered = sorted(latencies)
    return {
        "runs_per_s": round(runs / elapsed, 1),
        "p50_ms": round(statistics.median(ordered), 2) if ordered else None,
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 2) if ordered else None,
    }


async def _fanout(urls: list[str], plan: Plan) -> dict[str, Any]:
    """One user, ``fanout_sockets`` sockets over the instances; each run's agent_completed
    timed from the request to its arrival on every socket."""
    [token] = await _netra.register_many(urls[0], 1, "redis-bench-fan")
    sockets = []
    for k in range(plan.fanout_sockets):
        sockets.append(await _socket(urls[k % len(urls)], token))
    arrivals: list[float] = []
    request = json.dumps({"type": "agent_request", "agent": "triage_agent", "message": "hi"})
    for _ in range(plan.fanout_runs):
        started = time.perf_counter()
        await sockets[0].send(request)

        async def wait(socket: ClientConnection, t0: float = started) -> float:
            await _netra.until(socket, "agent_completed")
            return (time.perf_counter() - t0) * 1000

        arrivals += await asyncio.gather(*(wait(s) for s in sockets))
    for socket in sockets:
        await socket.close()
    ordered = sorted(arrivals)
    return {
        "sockets": plan.fanout_sockets,
        "runs": plan.fanout_runs,
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 2),
        "max_ms": round(ordered[-1], 2),
    }


def measure(plan: Plan) -> dict[str, Any]:
    results: dict[str, Any] = {}
    configs = [("memory", 1, False), ("redis-1", 1, True), ("redis-2", 2, True)]
    for name, count, use_redis in configs:
        prefix = f"netra-bench-{uuid.uuid4().hex[:8]}" if use_redis else None
        with _instances(count, prefix) as urls:
            results[name] = asyncio.run(_closed_loop(urls, plan))
        _log(f"[{name}] {results[name]}")
    prefix = f"netra-bench-{uuid.uuid4().hex[:8]}"
    limit = str(plan.fanout_sockets + 10)
    with _instances(2, prefix, NETRA_WS_MAX_CONNECTIONS_PER_USER=limit) as urls:
        results["fanout-redis-2"] = asyncio.run(_fanout(urls, plan))
    _log(f"[fanout] {results['fanout-redis-2']}")
    return results


def table(results: dict[str, Any]) -> str:
    memory = results["memory"]["runs_per_s"]
    one = results["redis-1"]["runs_per_s"]
    lines = [
        "| configuration | runs/s | × memory | × redis-1 | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|",
    ]
    for name in ("memory", "redis-1", "redis-2"):
        row = results[name]
        lines.append(
            f"| {name} | {row['runs_per_s']} | {row['runs_per_s'] / memory:.2f} | "
            f"{row['runs_per_s'] / one:.2f} | {row['p50_ms']} | {row['p99_ms']} |"
        )
    fan = results["fanout-redis-2"]
    lines.append("")
    lines.append(
        f"Fan-out: one user's run to {fan['sockets']} sockets over two instances "
        f"({fan['runs']} runs): agent_completed on every socket p50 {fan['p50_ms']} ms, "
        f"p99 {fan['p99_ms']} ms, max {fan['max_ms']} ms after the request."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    args = parser.parse_args(argv)
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        _log(f"skipped: needs Redis at {REDIS_URL} ({error})")
        return 0
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    results = measure(QUICK if args.quick else Plan())
    print(table(results))
    out = Path(__file__).resolve().parent / "results" / "redis_mode.json"
    out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
