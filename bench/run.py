"""Load benchmark: Netra against a bare FastAPI WebSocket server and python-socketio.

Each scenario runs on a fresh server process pinned to core 0 (``taskset -c 0``), driven by
a picows load process pinned to core 1 (``load/generator.py``); this process only plans,
registers users, waits and reports. Scenarios, for every server:

* closed loop - N connections (one user each) send triage_agent requests back to back:
  runs/s, events/s, p50/p99 request -> ``agent_completed``;
* connect storm - open N connections (200 handshakes in flight), each confirmed by
  ping -> pong: success %, connections/s, server RSS growth per idle connection;
* replay (Netra only) - ``resume`` from ``last_seq`` 0 over a user's 10,000 events.

Prints a markdown table (every figure also as a ratio to each baseline), writes JSON and a
latency-CDF PNG to ``bench/results/``. 127.0.0.1 only; bounded; stops what it started (by
pid) and removes its temporary directory. Not part of ``make test``::

    .venv/bin/python bench/run.py [--quick]     # or: make bench
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import _netra
import jwt
from load import servers
from load.plot import draw
from load.report import SERVERS, markdown
from load.stats import cdf_points

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Plan:
    """What one benchmark run measures."""

    connections: tuple[int, ...] = (100, 1000)
    storms: tuple[int, ...] = (1000, 5000)
    warmup: float = 2.0
    duration: float = 10.0
    replay_events: int = 10_000
    storm_concurrency: int = 200
    servers: tuple[str, ...] = SERVERS


QUICK = Plan(connections=(50,), storms=(200,), warmup=0.5, duration=2.0, replay_events=500)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def netra_users(work: Path, secret: str, count: int) -> tuple[list[str], str]:
    """Register ``count`` load users and one replay user over HTTP; their tokens."""
    server = servers.start("netra", work, secret)
    try:
        server.widen()  # set-up only; every measurement runs on a freshly pinned server
        started = time.perf_counter()
        base_url = f"http://{_netra.HOST}:{server.port}"
        tokens = asyncio.run(_netra.register_many(base_url, count, "load"))
        replay_token = asyncio.run(_netra.register_many(base_url, 1, "replay"))[0]
        _log(f"registered {count + 1} Netra users in {time.perf_counter() - started:.1f}s")
    finally:
        servers.stop(server)
    return tokens, replay_token


def baseline_tokens(secret: str, count: int) -> list[str]:
    """HS256 tokens the baselines accept: one user each, valid for an hour."""
    expires = int(time.time()) + 3600
    return [
        jwt.encode({"sub": f"user-{k}", "exp": expires}, secret, algorithm="HS256")
        for k in range(count)
    ]


def generate(server: servers.Server, work: Path, spec: dict[str, Any]) -> dict[str, Any]:
    """Run one scenario in the load process; its figures, or ``{"error": ...}``."""
    spec = {
        **spec,
        "protocol": server.protocol,
        "port": server.port,
        "server_pid": server.pid,
        "cpu": servers.CLIENT_CPU if servers.can_pin() else None,
    }
    spec_path, out_path = work / "spec.json", work / "out.json"
    spec_path.write_text(json.dumps(spec))
    out_path.unlink(missing_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "load.generator", str(spec_path), str(out_path)],
        cwd=servers.BENCH_DIR,
        env=servers.child_env(),
    )
    profiler = _profile(server, spec)
    try:
        code = process.wait(spec["time_limit"] + 30)
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)  # py-spy writes what it has on SIGINT
            profiler.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
        return {"error": "load process timed out"}
    if code != 0 or not out_path.exists():
        return {"error": f"load process exited with {code}"}
    result: dict[str, Any] = json.loads(out_path.read_text())
    return result


PROFILE_DIR: Path | None = None
"""``--profile DIR``: py-spy records the Netra server during each closed-loop scenario."""


def _profile(server: servers.Server, spec: dict[str, Any]) -> subprocess.Popen[bytes] | None:
    if PROFILE_DIR is None or server.kind != "netra" or spec["scenario"] == "replay":
        return None
    py_spy = Path(sys.executable).with_name("py-spy")
    out = PROFILE_DIR / f"netra-{spec['scenario']}-{spec['connections']}.txt"
    # Collapsed stacks (one line per stack, a count at the end): grep- and flamegraph-ready.
    return subprocess.Popen(
        [str(py_spy), "record", "--pid", str(server.pid), "--format", "raw", "--rate", "250",
         "--duration", str(int(spec.get("warmup", 0) + spec.get("duration", 60))),
         "--nonblocking",
         "-o", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def scenario(kind: str, work: Path, secret: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Start a fresh server, run one scenario against it, stop it."""
    server = servers.start(kind, work, secret)
    try:
        result = generate(server, work, spec)
    finally:
        servers.stop(server)
    if server.process.returncode not in (0, -15):
        result["server_exit"] = server.process.returncode
    if tracebacks := server.tracebacks():
        result["server_tracebacks"] = tracebacks
    return result


def _brief(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"FAILED: {result['error']}"
    keys = ("runs_per_s", "p50_ms", "p99_ms", "failures", "success_percent", "conn_per_s")
    keys += ("rss_per_conn_kib", "client_cpu_percent", "events_per_s", "supported")
    keys += ("warmup_s", "server_exit", "server_tracebacks")
    return ", ".join(
        f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
        for k in keys
        if (v := result.get(k)) is not None
    )


def measure(plan: Plan, work: Path) -> tuple[dict[str, Any], dict[str, dict[str, list[float]]]]:
    """Every scenario of ``plan``; returns (results, latency samples for the plot)."""
    secret = secrets.token_hex(32)
    most = max(plan.connections + (1,))
    tokens = {kind: baseline_tokens(secret, most) for kind in plan.servers if kind != "netra"}
    replay_token = ""
    if "netra" in plan.servers:
        tokens["netra"], replay_token = netra_users(work, secret, most)
    results: dict[str, Any] = {"closed_loop": {}, "storm": {}}
    latencies: dict[str, dict[str, list[float]]] = {}
    # Servers take turns within each scenario, so background noise spreads over all three.
    for n in plan.connections:
        for kind in plan.servers:
            spec = {
                "scenario": "closed_loop",
                "tokens": tokens[kind][:n],
                "connections": n,
                "warmup": plan.warmup,
                "duration": plan.duration,
                "time_limit": plan.warmup + plan.duration + 60 + n / 20,
            }
            result = scenario(kind, work, secret, spec)
            latencies.setdefault(str(n), {})[kind] = result.pop("latencies_ms", [])
            result["cdf_ms"] = cdf_points(latencies[str(n)][kind])
            results["closed_loop"].setdefault(str(n), {})[kind] = result
            _log(f"[{kind}] closed loop {n}: {_brief(result)}")
    for n in plan.storms:
        for kind in plan.servers:
            spec = {
                "scenario": "storm",
                "tokens": tokens[kind],
                "connections": n,
                "concurrency": plan.storm_concurrency,
                "time_limit": 120,
            }
            result = scenario(kind, work, secret, spec)
            results["storm"].setdefault(str(n), {})[kind] = result
            _log(f"[{kind}] connect storm {n}: {_brief(result)}")
    if "netra" in plan.servers:
        spec = {
            "scenario": "replay",
            "tokens": [replay_token],
            "events": plan.replay_events,
            "time_limit": 300,
            "timeout": 240,
        }
        results["replay"] = {"events": plan.replay_events, **scenario("netra", work, secret, spec)}
        _log(f"[netra] replay {plan.replay_events}: {_brief(results['replay'])}")
    return results, latencies


def describe(plan: Plan) -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "plan": asdict(plan),
        "cpus": os.cpu_count(),
        "pinned": servers.can_pin(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": os.getloadavg(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the plan, print the table, write JSON and PNG."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run (~30 s)")
    parser.add_argument(
        "--profile", metavar="DIR", help="py-spy the Netra server under closed-loop load into DIR"
    )
    parser.add_argument(
        "--servers",
        default=",".join(SERVERS),
        help=f"comma-separated subset of {','.join(SERVERS)}",
    )
    args = parser.parse_args(argv)
    if args.profile is not None:
        global PROFILE_DIR
        PROFILE_DIR = Path(args.profile).resolve()
        PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    plan = QUICK if args.quick else Plan()
    chosen = tuple(s for s in SERVERS if s in args.servers.split(","))
    plan = Plan(**{**asdict(plan), "servers": chosen})
    servers.raise_fd_limit()
    meta = describe(plan)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="netra-load-bench-") as tmp:
        results, latencies = measure(plan, Path(tmp))
    meta["seconds"] = round(time.perf_counter() - started, 1)
    results = {"meta": meta, **results}
    name = "load-quick" if args.quick else "load"
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(results, indent=1))
    caption = (
        f"{meta['started']}, {meta['cpus']} CPUs, server on core 0 and load on core 1"
        if meta["pinned"]
        else f"{meta['started']}, {meta['cpus']} CPU(s), not pinned"
    )
    draw(latencies, RESULTS_DIR / f"{name}.png", caption)
    print(markdown(results))
    print(
        f"\nRatios are Netra's figure divided by the baseline's (below 1: less throughput; "
        f"above 1: more latency or memory). {caption}; {meta['seconds']}s in all. "
        f"JSON and latency CDFs: bench/results/{name}.json, bench/results/{name}.png"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
