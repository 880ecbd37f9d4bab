"""The load process: runs one scenario against one server and writes its figures as JSON.

Started by ``bench/run.py`` as ``python -m load.generator SPEC.json OUT.json`` and pinned to
its own core, so the load never competes with the server for a CPU. Scenarios:

* ``closed_loop`` - N connections, one token each; every connection sends a triage_agent
  request, waits for its ``agent_completed`` (``agent_failed``/``error``/a close count as
  failures), sends the next, for warm-up + duration seconds. Runs and events are counted
  when they arrive inside the window; only runs also sent inside it are timed.
* ``storm`` - open N connections with at most C handshakes in flight, each confirmed by
  ping -> pong, and hold them to read the server's RSS growth.
* ``replay`` - fill one user's log, then time ``resume`` from ``last_seq`` 0 to ``resumed``.

Every wait is bounded; it only talks to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from load.client import open_client
from load.client import ping as ping_pong
from load.servers import raise_fd_limit
from load.stats import latency_summary

REQUEST = {
    "type": "agent_request",
    "agent": "triage_agent",
    "message": "How do I reduce my AWS bill?",
}
FAILURES = frozenset({b"agent_failed", b"error", b"disconnected"})
# Frames that are not events of a run (not counted in events/s).
CONTROL = frozenset({b"pong", b"error", b"disconnected", b"resumed", b"resume_failed"})


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` in KiB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def _open_many(
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


async def _close_all(clients: list[Any]) -> None:
    for client in clients:
        client.close()
    if clients:
        await asyncio.wait([asyncio.ensure_future(c.closed) for c in clients], timeout=10)


class _Window:
    """The measured window of a closed loop.

    It opens once the warm-up has passed *and* every connection has finished a first run:
    with 1000 connections one round can take longer than the warm-up, and counting from
    the first burst would mix start-up with the steady state. Bounded by ``MAX_WARMUP``.
    """

    MAX_WARMUP = 30.0

    def __init__(self, connections: int, warmup: float, duration: float) -> None:
        self.start = self.end = float("inf")
        self.duration = duration
        self.opened = asyncio.get_running_loop().create_future()
        self._waiting = connections
        self._warmed = False
        loop = asyncio.get_running_loop()
        loop.call_later(warmup, self._warm_up_over)
        loop.call_later(self.MAX_WARMUP, self._open)

    def first_run_done(self) -> None:
        """One more connection has finished its first run."""
        self._waiting -= 1
        self._maybe_open()

    def _warm_up_over(self) -> None:
        # A flag, not a clock comparison: the loop's timer may fire a hair before
        # perf_counter says the warm-up is over, and the window would never open.
        self._warmed = True
        self._maybe_open()

    def _maybe_open(self) -> None:
        if self._waiting <= 0 and self._warmed:
            self._open()

    def _open(self) -> None:
        if not self.opened.done():
            self.start = time.perf_counter()
            self.end = self.start + self.duration
            self.opened.set_result(None)


async def closed_loop(spec: dict[str, Any]) -> dict[str, Any]:
    """The closed-loop run: runs/s, events/s and request -> agent_completed latency."""
    protocol, port, n = spec["protocol"], spec["port"], spec["connections"]
    clients, refused, _ = await _open_many(
        protocol, port, spec["tokens"], n, spec.get("concurrency", 200), confirm=True
    )
    if not clients:
        raise RuntimeError(f"no connection opened ({refused} refused)")
    loop = asyncio.get_running_loop()
    window = _Window(len(clients), spec["warmup"], spec["duration"])
    latencies: list[float] = []
    counts = {"ok": 0, "failed": 0, "events": 0, "in_flight": 0}

    def attach(client: Any) -> None:
        sent_at = 0.0
        finished_one = False

        def send() -> None:
            nonlocal sent_at
            sent_at = time.perf_counter()
            counts["in_flight"] += 1
            client.send_json(REQUEST)

        def on_event(kind: bytes) -> None:
            nonlocal finished_one
            now = time.perf_counter()
            inside = window.start <= now <= window.end
            if kind not in CONTROL and inside:
                counts["events"] += 1
            if kind != b"agent_completed" and kind not in FAILURES:
                return
            counts["in_flight"] -= 1
            if not finished_one:
                finished_one = True
                window.first_run_done()
            if inside:
                if kind == b"agent_completed":
                    counts["ok"] += 1
                    if sent_at >= window.start:
                        latencies.append((now - sent_at) * 1000)
                else:
                    counts["failed"] += 1
            if now < window.end and kind != b"disconnected":
                send()

        client.on_event = on_event
        send()

    started = time.perf_counter()
    for client in clients:
        attach(client)
    await window.opened
    cpu0 = os.times()
    await asyncio.sleep(window.end - time.perf_counter())
    cpu1 = os.times()
    # Let the last runs drain (bounded) so closing does not race their events.
    drain_until = loop.time() + 5
    while counts["in_flight"] > 0 and loop.time() < drain_until:
        await asyncio.sleep(0.02)
    await _close_all(clients)
    duration = spec["duration"]
    return {
        "connections": len(clients),
        "connections_refused": refused,
        "warmup_s": window.start - started,
        "duration_s": duration,
        "runs": counts["ok"],
        "failures": counts["failed"],
        "runs_per_s": counts["ok"] / duration,
        "events_per_s": counts["events"] / duration,
        # Shows the client was not the bottleneck (100 = its whole core).
        "client_cpu_percent": 100
        * ((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system))
        / duration,
        **latency_summary(latencies),
        "latencies_ms": latencies,
    }


async def storm(spec: dict[str, Any]) -> dict[str, Any]:
    """The connect storm: success %, connections/s, server RSS growth per held connection."""
    pid, n = spec["server_pid"], spec["connections"]
    before = rss_kib(pid)
    clients, failed, elapsed = await _open_many(
        spec["protocol"], spec["port"], spec["tokens"], n, spec["concurrency"], confirm=True
    )
    await asyncio.sleep(1.0)  # all pongs are in; let the server finish its bookkeeping
    after = rss_kib(pid)
    await _close_all(clients)
    ok = len(clients)
    return {
        "connections": n,
        "concurrency": spec["concurrency"],
        "ok": ok,
        "failed": failed,
        "success_percent": 100 * ok / n,
        "seconds": elapsed,
        "conn_per_s": ok / elapsed if elapsed else 0.0,
        "rss_before_kib": before,
        "rss_after_kib": after,
        "rss_per_conn_kib": (after - before) / ok if ok else float("nan"),
    }


def _settle(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


async def _first_event(client: Any, frame: dict[str, Any], timeout: float) -> bytes:
    got: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
    client.on_event = lambda kind: _settle(got, kind)
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
        # A refused run (too_many_runs, ...) is sent again, within a bound.
        wanted = runs - state["completed"] - state["in_flight"]
        if wanted > 0 and state["attempts"] < 2 * runs:
            send()
        elif state["in_flight"] == 0:
            _settle(done, None)

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
        await _close_all([client])

    client = await open_client(protocol, port, token)
    try:
        loop = asyncio.get_running_loop()
        finished: asyncio.Future[bytes] = loop.create_future()
        counted = {"events": 0}

        def on_event(kind: bytes) -> None:
            if kind in (b"resumed", b"resume_failed", b"error", b"disconnected"):
                _settle(finished, kind)
            else:
                counted["events"] += 1

        client.on_event = on_event
        started = time.perf_counter()
        client.send_json(resume)
        end = await asyncio.wait_for(finished, spec.get("timeout", 120))
        elapsed = time.perf_counter() - started
    finally:
        await _close_all([client])
    return {
        "supported": end == b"resumed",
        "answer": end.decode(),
        "seeded_events": seeded,
        "replayed": counted["events"],
        "seconds": elapsed,
        "events_per_s": counted["events"] / elapsed if elapsed else 0.0,
    }


SCENARIOS = {"closed_loop": closed_loop, "storm": storm, "replay": replay}


def main(argv: list[str]) -> int:
    """``python -m load.generator SPEC.json OUT.json``."""
    spec = json.loads(Path(argv[0]).read_text())
    if spec.get("cpu") is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {spec["cpu"]})
    raise_fd_limit()
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # picows works on the default loop too, only slower
        runner = asyncio.run
    result = runner(asyncio.wait_for(SCENARIOS[spec["scenario"]](spec), spec["time_limit"]))
    Path(argv[1]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
