"""One event-log batch written to SQLite through the sqlite3 driver directly.

The log writer's hot path on SQLite: the same statements as the SQLAlchemy path that
PostgreSQL takes (``eventlog.EventLogWriter._write``), as plain ``executemany`` calls on
tuples. Under the load benchmark SQLAlchemy's per-row work (parameter dicts, bind processors,
compiled-statement bookkeeping) cost more than SQLite's own inserts; here a row is a tuple.
Values are stored exactly as SQLAlchemy stores them (UTC ``YYYY-MM-DD HH:MM:SS.ffffff``
timestamps, JSON text), so every read through SQLAlchemy sees the same rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

INSERT_RUN = (
    "INSERT INTO runs (id, user_id, agent, request, status, result, error, started_at, "
    "finished_at, lease_expires_at, conversation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_EVENT = (
    "INSERT INTO events (user_id, seq, run_id, type, created_at, body) VALUES (?, ?, ?, ?, ?, ?)"
)
UPSERT_CURSOR = (
    "INSERT INTO event_cursors (user_id, last_seq) VALUES (?, ?) "
    "ON CONFLICT (user_id) DO UPDATE SET last_seq = excluded.last_seq"
)
FINISH_RUN = (
    "UPDATE runs SET status = ?, result = ?, error = ?, finished_at = ?, lease_expires_at = ? "
    "WHERE id = ?"
)
REFRESH_LEASE = "UPDATE runs SET lease_expires_at = ? WHERE id = ? AND status = 'running'"
TRIM_BEFORE = "DELETE FROM events WHERE created_at < ?"
TRIM_USER = "DELETE FROM events WHERE user_id = ? AND seq < ?"


class Batch(Protocol):
    """What a batch holds (``eventlog._Batch``)."""

    events: list[Any]
    creates: dict[str, dict[str, Any]]
    finishes: list[dict[str, Any]]
    leases: list[dict[str, Any]]
    trims: list[dict[str, Any] | None]


def stamp(value: datetime | None) -> str | None:
    """A timestamp as SQLAlchemy's SQLite dialect stores a UTC ``DateTime``."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def write_batch(
    connection: sqlite3.Connection, batch: Batch, json_dumps: Callable[[Any], str]
) -> None:
    """Write ``batch`` in one transaction and commit it (rolled back on any error)."""

    def dumps(value: Any) -> str | None:
        return None if value is None else json_dumps(value)

    try:
        if batch.creates:
            connection.executemany(
                INSERT_RUN,
                [
                    (
                        r["id"], r["user_id"], r["agent"], dumps(r["request"]), r["status"],
                        dumps(r["result"]), dumps(r["error"]), stamp(r["started_at"]),
                        stamp(r["finished_at"]), stamp(r["lease_expires_at"]),
                        r["conversation_id"],
                    )
                    for r in batch.creates.values()
                ],
            )  # fmt: skip
        if batch.events:
            connection.executemany(
                INSERT_EVENT,
                [
                    (e.user_id, e.seq, e.run_id, e.type, stamp(e.created_at), e.body)
                    for e in batch.events
                ],
            )
            last: dict[str, int] = {}
            for e in batch.events:
                if e.seq > last.get(e.user_id, 0):
                    last[e.user_id] = e.seq
            connection.executemany(UPSERT_CURSOR, list(last.items()))
        if batch.finishes:
            connection.executemany(
                FINISH_RUN,
                [
                    (
                        f["b_status"], dumps(f["b_result"]), dumps(f["b_error"]),
                        stamp(f["b_finished_at"]), stamp(f["b_lease_expires_at"]), f["b_id"],
                    )
                    for f in batch.finishes
                ],
            )  # fmt: skip
        if batch.leases:
            connection.executemany(
                REFRESH_LEASE, [(stamp(lease["b_lease"]), lease["b_id"]) for lease in batch.leases]
            )
        for trim in batch.trims:
            if trim is None:
                continue
            if trim["before"] is not None:
                connection.execute(TRIM_BEFORE, (stamp(trim["before"]),))
            if trim["user_id"] is not None:
                connection.execute(TRIM_USER, (trim["user_id"], trim["below_seq"]))
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
