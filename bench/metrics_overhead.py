"""What the metrics cost on the hot path: events through the hub and the senders, with and
without the metric calls.

    .venv/bin/python bench/metrics_overhead.py --baseline /tmp/netra-base [--events 20000]
        [--sockets 1 10] [--socket drop frame] [--rounds 7]

``--baseline`` is a checkout of the code before the metrics (for example
``git archive <commit> netra_backend | tar -x -C /tmp/netra-base``). Each round runs one child
process per variant, alternating, so a busy machine slows both alike; the best round counts.
Times are the child's CPU time (``time.process_time``; it runs one thread), so waiting for a
core on a shared machine does not count.

A child publishes ``--events`` events of one user through the real ``UserEventHub.publish``,
hands them to ``UserEventHub.deliver`` in batches of 50 as the event-log writer does after a
commit, and on through each connection's manager, session and ``QueuedSender`` to sockets
that drop the frames (``--socket drop``) or first frame them with websockets' sans-I/O
protocol, the CPU work a real socket write does in uvicorn (``--socket frame``), on
``--sockets`` connections. The database is left out on purpose: it
would hide the cost measured here. Per event the metrics add one counter increment (events by
type); per frame written, one ``time.time()`` and one histogram observation (delivery latency).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BATCH = 50
DATA = {"agent": "triage_agent", "tool": "classify_intent", "result": {"intent": "cost", "n": 3}}


class _DroppingSocket:
    async def send_text(self, data: str) -> None:
        return None

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        return None


class _FramingSocket(_DroppingSocket):
    """Does a real socket's CPU work for a frame (websockets' sans-I/O framing, as uvicorn's
    ``websockets-sansio`` does) and drops the bytes instead of writing them."""

    def __init__(self) -> None:
        from websockets.protocol import State
        from websockets.server import ServerProtocol

        self._protocol = ServerProtocol()
        self._protocol.state = State.OPEN

    async def send_text(self, data: str) -> None:
        self._protocol.send_text(data.encode())
        self._protocol.data_to_send()


SOCKETS = {"drop": _DroppingSocket, "frame": _FramingSocket}


class _MemoryLog:
    """Stands in for the event-log writer: keeps appended events for ``deliver``."""

    def __init__(self) -> None:
        self.pending: list[Any] = []

    def append(self, event: Any, *, wait: bool = False) -> None:
        self.pending.append(event)

    async def wait_for_room(self) -> None:
        return None


async def _child(events: int, sockets: int, socket_kind: str) -> float:
    from netra_backend.app.websocket_core.context import create_websocket_manager
    from netra_backend.app.websocket_core.hub import UserEventHub
    from netra_backend.app.websocket_core.route import Connection
    from netra_backend.app.websocket_core.sender import QueuedSender
    from netra_backend.app.websocket_core.session import Session, SessionLimits

    hub = UserEventHub()
    log = _MemoryLog()
    hub.log = log  # type: ignore[assignment]
    user = "bench-user"
    await hub.load(user)
    limits = SessionLimits(
        max_message_bytes=65536,
        max_message_chars=16000,
        rate_per_second=20.0,
        burst=40,
        max_held_events=events,
    )
    senders = []
    async with contextlib.AsyncExitStack() as running:
        for index in range(sockets):
            context = await create_websocket_manager(
                user_id=user, websocket_client_id=f"c{index}", sequence=hub.sequence_for(user)
            )
            sender = QueuedSender(SOCKETS[socket_kind](), events + 1, max_chars=1 << 30)
            connection = Connection(Session(limits, time.monotonic()), sender)
            await context.websocket_manager.add_connection(context.websocket_client_id, connection)
            hub.attach(context)
            senders.append(sender)
            await running.enter_async_context(sender.running(flush_timeout=600))
        started = time.process_time()
        for _ in range(events):
            await hub.publish(user, "tool_completed", DATA, "run-1")
            if len(log.pending) >= BATCH:
                batch, log.pending = log.pending, []
                await hub.deliver(batch)
        await hub.deliver(log.pending)
        await running.aclose()  # each sender's exit waits until its frames are written
        elapsed = time.process_time() - started
    assert all(sender.queued == 0 for sender in senders)
    return elapsed


def _run_child(code: Path, events: int, sockets: int, socket_kind: str) -> float:
    out = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            f"--events={events}",
            f"--sockets={sockets}",
            f"--socket={socket_kind}",
        ],
        env={"PYTHONPATH": str(code), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        cwd=code,
    )
    result = json.loads(out.stdout)
    assert Path(result["code"]).is_relative_to(code), (result["code"], code)
    return float(result["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="checkout of the code without metrics")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--sockets", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--socket",
        choices=sorted(SOCKETS),
        nargs="+",
        default=["drop", "frame"],
        help="drop: frames cost nothing; frame: each costs websockets' framing",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        seconds = asyncio.run(_child(args.events, args.sockets[0], args.socket[0]))
        import netra_backend

        print(json.dumps({"seconds": seconds, "code": netra_backend.__file__}))
        return
    if args.baseline is None:
        parser.error("--baseline is required (a checkout of the code without metrics)")
    variants = {"without metrics": args.baseline.resolve(), "with metrics": REPO}
    print(f"{args.events} events, best of {args.rounds} rounds (median in brackets)")
    print(f"{'socket':<6} {'sockets':>7}  {'variant':<16} {'us/event':>9} {'ns/frame':>9}")
    for kind in args.socket:
        for sockets in args.sockets:
            times: dict[str, list[float]] = {name: [] for name in variants}
            for _ in range(args.rounds):
                for name, code in variants.items():
                    times[name].append(_run_child(code, args.events, sockets, kind))
            best = {name: min(values) for name, values in times.items()}
            for name, values in times.items():
                per_event = best[name] / args.events * 1e6
                per_frame = best[name] / (args.events * sockets) * 1e9
                median = statistics.median(values) / args.events * 1e6
                print(
                    f"{kind:<6} {sockets:>7}  {name:<16} {per_event:>9.2f} {per_frame:>9.0f}"
                    f"  ({median:.2f})"
                )
            extra = best["with metrics"] / best["without metrics"] - 1
            added = (best["with metrics"] - best["without metrics"]) / args.events * 1e6
            print(f"{kind:<6} {sockets:>7}  metrics cost     {extra:>+9.1%} {added:+.2f} us/event")


if __name__ == "__main__":
    main()
