"""Connect storm: open N sockets fast, each confirmed by ping -> pong; server RSS growth."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from load.connections import close_all, open_many


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` in KiB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def storm(spec: dict[str, Any]) -> dict[str, Any]:
    """The connect storm: success %, connections/s, server RSS growth per held connection."""
    pid, n = spec["server_pid"], spec["connections"]
    before = rss_kib(pid)
    clients, failed, elapsed = await open_many(
        spec["protocol"], spec["port"], spec["tokens"], n, spec["concurrency"], confirm=True
    )
    await asyncio.sleep(1.0)  # all pongs are in; let the server finish its bookkeeping
    after = rss_kib(pid)
    await close_all(clients)
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
