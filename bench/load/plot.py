"""Latency CDFs of the closed-loop runs: one panel per connection count, one line per server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from load.report import SERVERS, TITLES


def draw(latencies: dict[str, dict[str, list[float]]], path: Path, caption: str) -> None:
    """``latencies[connections][server]`` in ms -> a PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")  # no display; the figure only goes to a file
    import matplotlib.pyplot as plt

    panels = list(latencies)
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.2), squeeze=False)
    for ax, n in zip(axes[0], panels, strict=True):
        for server in SERVERS:
            samples = sorted(latencies[n].get(server) or [])
            if not samples:
                continue
            fractions: Any = [(k + 1) / len(samples) for k in range(len(samples))]
            ax.plot(samples, fractions, label=f"{TITLES[server]} (n={len(samples):,})")
        ax.set_xscale("log")
        ax.set_xlabel("request → agent_completed (ms, log scale)")
        ax.set_ylabel("fraction of runs ≤ x")
        ax.set_title(f"closed loop, {n} connections")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="lower right")
    fig.suptitle(caption, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
