"""The markdown table of a benchmark run: each figure for every server, and as ratios."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

SERVERS = ("netra", "fastapi", "socketio")
TITLES = {"netra": "Netra", "fastapi": "bare FastAPI", "socketio": "python-socketio"}
BASELINES = ("fastapi", "socketio")

Row = tuple[str, Callable[[dict[str, Any]], dict[str, Any] | None], str, str]


def _number(value: float | None, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return format(value, fmt)


def _ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs is None or not theirs or math.isnan(ours) or math.isnan(theirs):
        return "–"
    return f"{ours / theirs:.2f}×"


def _rows(results: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for n, by_server in results.get("closed_loop", {}).items():
        pick = by_server.get
        rows += [
            (f"closed loop, {n} conns: runs/s", pick, "runs_per_s", ",.0f"),
            (f"closed loop, {n} conns: events/s", pick, "events_per_s", ",.0f"),
            (f"closed loop, {n} conns: p50 ms", pick, "p50_ms", ".2f"),
            (f"closed loop, {n} conns: p99 ms", pick, "p99_ms", ".2f"),
            (f"closed loop, {n} conns: failed runs", pick, "failures", "d"),
        ]
    for n, by_server in results.get("storm", {}).items():
        pick = by_server.get
        rows += [
            (f"connect storm, {n} conns: success %", pick, "success_percent", ".1f"),
            (f"connect storm, {n} conns: conn/s", pick, "conn_per_s", ",.0f"),
            (f"connect storm, {n} conns: RSS KiB per idle conn", pick, "rss_per_conn_kib", ".1f"),
        ]
    return rows


def _cell(figures: dict[str, Any] | None, key: str, fmt: str) -> tuple[str, float | None]:
    if figures is None:
        return "not run", None
    if "error" in figures:
        return "failed", None
    value = figures.get(key)
    return _number(value, fmt), value


def markdown(results: dict[str, Any]) -> str:
    """The table; ratios are Netra's figure divided by the baseline's."""
    head = ["figure", *(TITLES[s] for s in SERVERS)]
    head += [f"Netra ÷ {TITLES[b]}" for b in BASELINES]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, pick, key, fmt in _rows(results):
        cells = {s: _cell(pick(s), key, fmt) for s in SERVERS}
        row = [label, *(cells[s][0] for s in SERVERS)]
        row += [_ratio(cells["netra"][1], cells[b][1]) for b in BASELINES]
        lines.append("| " + " | ".join(row) + " |")
    replay = results.get("replay")
    if replay is not None:
        events = replay.get("events", "")
        if "error" in replay:
            text = f"failed ({replay['error']})"
        elif not replay.get("supported"):
            text = "n/a (server has no resume)"
        else:
            text = f"{replay['events_per_s']:,.0f} ({replay['replayed']} events)"
        row = [f"replay {events} events: events/s", text, "–", "–", "–", "–"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)
