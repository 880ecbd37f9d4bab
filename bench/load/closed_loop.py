"""Closed loop: N connections each send a request, await its end, send the next."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from typing import Any

from load.connections import CONTROL, FAILURES, REQUEST, close_all, open_many
from load.stats import latency_summary


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
    clients, refused, _ = await open_many(
        protocol, port, spec["tokens"], n, spec.get("concurrency", 200), confirm=True
    )
    if not clients:
        raise RuntimeError(f"no connection opened ({refused} refused)")
    window = _Window(len(clients), spec["warmup"], spec["duration"])
    latencies: list[float] = []
    counts = {"ok": 0, "failed": 0, "events": 0, "in_flight": 0}
    drained = asyncio.Event()  # set while no run is in flight

    def attach(client: Any) -> None:
        sent_at = 0.0
        finished_one = False

        def send() -> None:
            nonlocal sent_at
            sent_at = time.perf_counter()
            counts["in_flight"] += 1
            drained.clear()
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
            if counts["in_flight"] == 0:
                drained.set()
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
    if counts["in_flight"] > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(drained.wait(), 5)
    await close_all(clients)
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
