"""Checks of the wire contract: the event envelope and the five critical events of a run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

CRITICAL_EVENTS = (
    "agent_started",
    "agent_thinking",
    "tool_executing",
    "tool_completed",
    "agent_completed",
)
TERMINAL_EVENTS = ("agent_completed", "agent_failed", "agent_cancelled")
ENVELOPE_FIELDS = {
    "type": str,
    "data": dict,
    "run_id": str,
    "seq": int,
    "event_id": str,
    "timestamp": str,
}


def assert_valid_envelope(event: Any) -> None:
    """Fail unless ``event`` is a server envelope: typed fields, ISO 8601 UTC timestamp."""
    assert isinstance(event, dict), f"event is not a JSON object: {event!r}"
    missing = sorted(set(ENVELOPE_FIELDS) - set(event))
    assert not missing, f"envelope lacks {missing}: {event!r}"
    for name, kind in ENVELOPE_FIELDS.items():
        value = event[name]
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        assert ok, f"envelope field {name!r} should be {kind.__name__}, got {value!r}"
    assert event["type"], "envelope 'type' is empty"
    assert event["run_id"], f"empty run_id: {event!r}"
    assert event["event_id"], f"empty event_id: {event!r}"
    stamp = datetime.fromisoformat(event["timestamp"])
    assert stamp.utcoffset() == timedelta(0), f"timestamp is not UTC: {event['timestamp']!r}"


def event_types(events: Sequence[dict[str, Any]]) -> list[str]:
    """The ``type`` of each event, in order."""
    return [str(event.get("type")) for event in events]


def assert_run_contract(
    events: Sequence[dict[str, Any]], *, completed: bool = True, sole_run: bool = True
) -> None:
    """Fail unless ``events`` is one whole run as docs/protocol.md describes it.

    Every envelope valid; one ``run_id``; unique ``event_id``s; ``agent_started`` first; at
    least one ``agent_thinking``; tool calls as matched ``tool_executing``/``tool_completed``
    pairs (same ``call_id`` and tool, executing first); exactly one terminal event, last:
    ``agent_completed`` when ``completed`` (and then the five critical events, first seen in
    their order), else ``agent_failed``; timestamps never going back. ``seq`` strictly
    increases, and grows by exactly one when the user had no other run in flight
    (``sole_run``: ``seq`` counts all of a user's events, so parallel runs interleave).
    """
    types = event_types(events)
    assert events, "no events"
    for event in events:
        assert_valid_envelope(event)
    assert types[0] == "agent_started", f"first event is not agent_started: {types}"
    terminals = [t for t in types if t in TERMINAL_EVENTS]
    assert len(terminals) == 1, f"not exactly one terminal event: {types}"
    assert types[-1] in TERMINAL_EVENTS, f"the terminal event is not last: {types}"
    assert types[-1] == ("agent_completed" if completed else "agent_failed"), (
        f"wrong ending: {events[-1]!r}"
    )
    assert "agent_thinking" in types, f"no agent_thinking: {types}"
    if completed:
        missing = [name for name in CRITICAL_EVENTS if name not in types]
        assert not missing, f"critical events {missing} missing: {types}"
        firsts = [types.index(name) for name in CRITICAL_EVENTS]
        assert firsts == sorted(firsts), f"critical events out of order: {types}"
    run_ids = {event["run_id"] for event in events}
    assert len(run_ids) == 1, f"events of several runs mixed: {sorted(run_ids)}"
    seqs = [event["seq"] for event in events]
    assert seqs == sorted(set(seqs)), f"seq does not strictly increase: {seqs}"
    if sole_run:
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), (
            f"seq does not grow by one: {seqs}"
        )
    assert len({event["event_id"] for event in events}) == len(events), "event_id repeated"
    open_calls: dict[str, str] = {}
    for event in events:
        data = event["data"]
        if event["type"] == "tool_executing":
            assert data.get("call_id") not in open_calls, f"call_id reused while open: {data!r}"
            open_calls[data.get("call_id")] = data.get("tool")
        elif event["type"] == "tool_completed":
            call_id = data.get("call_id")
            assert call_id in open_calls, f"tool_completed without tool_executing: {data!r}"
            assert open_calls.pop(call_id) == data.get("tool"), f"tool name changed: {data!r}"
    assert not open_calls, f"tool calls never completed: {open_calls}"
    stamps = [datetime.fromisoformat(event["timestamp"]) for event in events]
    assert stamps == sorted(stamps), f"timestamps go back: {[e['timestamp'] for e in events]}"
