"""The event log: every envelope of a user, durable before any socket gets it.

One writer task owns all writes of the log and of run records. Callers enqueue operations
(an event, a run created, a run finished, leases refreshed, a trim) without waiting; the
writer commits whatever has arrived while its last commit ran as ONE transaction (group
commit, capped by count and bytes), then tells ``on_commit`` which events are now durable, in
the order they were enqueued. A burst of runs therefore costs a few commits, not two per run.

When the database fails, the batch is kept and retried with back-off (nothing enqueued is
lost while the process lives) and :attr:`EventLogWriter.healthy` turns False, so the runtime
refuses new runs until a commit succeeds again. A batch refused for its content (a constraint)
is retried one operation at a time, so one bad row costs only itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import PoolProxiedConnection

from netra_backend.app.db.errors import translate_db_errors
from netra_backend.app.db.models import Event, EventCursor, Run, RunStatus, utcnow
from netra_backend.app.db.session import Database, json_dumps
from netra_backend.app.db.sqlite_batch import write_batch
from netra_backend.app.errors import StorageError
from netra_backend.app.metrics import Metrics, unserved

logger = logging.getLogger(__name__)

EVENTS: Table = Event.__table__  # type: ignore[assignment]
CURSORS: Table = EventCursor.__table__  # type: ignore[assignment]
RUNS: Table = Run.__table__  # type: ignore[assignment]


@dataclass(slots=True)
class LoggedEvent:
    """One envelope as stored: ``body`` is the exact text every socket is sent."""

    user_id: str
    seq: int
    run_id: str
    type: str
    created_at: datetime
    body: str


@dataclass(slots=True)
class _Op:
    kind: str  # "event", "create", "finish", "lease", "trim"
    payload: Any
    size: int = 0
    done: asyncio.Future[None] | None = None


@dataclass
class _Batch:
    events: list[LoggedEvent] = field(default_factory=list)
    creates: dict[str, dict[str, Any]] = field(default_factory=dict)
    finishes: list[dict[str, Any]] = field(default_factory=list)
    leases: list[dict[str, Any]] = field(default_factory=list)
    trims: list[dict[str, Any] | None] = field(default_factory=list)


def _batch_of(ops: Sequence[_Op]) -> _Batch:
    batch = _Batch()
    for op in ops:
        if op.kind == "event":
            batch.events.append(op.payload)
        elif op.kind == "create":
            # A copy: a finish merged into it must not change the operation, which a failed
            # batch retries.
            batch.creates[op.payload["id"]] = dict(op.payload)
        elif op.kind == "finish":
            created = batch.creates.get(op.payload["b_id"])
            if created is not None:  # created and finished in one batch: one row, no update
                created.update({k[2:]: v for k, v in op.payload.items() if k != "b_id"})
            else:
                batch.finishes.append(op.payload)
        elif op.kind == "lease":
            batch.leases.extend(op.payload)
        else:
            batch.trims.append(op.payload)
    return batch


def _upsert_cursor_statement(dialect_name: str) -> Any:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement = dialect.insert(CURSORS)
    return statement.on_conflict_do_update(
        index_elements=[CURSORS.c.user_id], set_={"last_seq": statement.excluded.last_seq}
    )


def _refused(exc: StorageError) -> bool:
    """Whether the database refused the batch's content (a constraint), not failed itself."""
    return isinstance(exc.__cause__, IntegrityError | sqlite3.IntegrityError)


class EventLogWriter:
    """The single writer of the log and the run records (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        *,
        on_commit: Callable[[list[LoggedEvent]], Awaitable[None]],
        max_batch_events: int = 2000,
        max_batch_bytes: int = 4 * 1024 * 1024,
        high_water: int = 20_000,
        retry_seconds: float = 0.1,
        max_retry_seconds: float = 2.0,
    ) -> None:
        self._db = db
        self._on_commit = on_commit
        self._max_events = max_batch_events
        self._max_bytes = max_batch_bytes
        self._high_water = high_water
        self._retry = retry_seconds
        self._max_retry = max_retry_seconds
        self._pending: list[_Op] = []
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._task: asyncio.Task[None] | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._raw: PoolProxiedConnection | None = None
        self._closing = False
        self.healthy = True
        self.commits = 0
        self.failures = 0
        """Commits that failed for the database's sake (not refused content)."""
        self.metrics: Metrics = unserved()
        self._upsert_cursor = _upsert_cursor_statement(db.dialect)

    # --- enqueueing (never waits on the database) ---------------------------------------

    def append(self, event: LoggedEvent, *, wait: bool = False) -> asyncio.Future[None] | None:
        """Enqueue one event; with ``wait`` return a future set once it is committed."""
        return self._put(_Op("event", event, len(event.body), self._future() if wait else None))

    def create_run(
        self, run_id: str, user_id: str, agent: str, request: dict[str, Any], lease_until: datetime
    ) -> None:
        """Enqueue the record of a new ``running`` run."""
        now = utcnow()
        row = {
            "id": run_id,
            "user_id": user_id,
            "agent": agent,
            "request": request,
            "status": RunStatus.RUNNING.value,
            "result": None,
            "error": None,
            "started_at": now,
            "finished_at": None,
            "lease_expires_at": lease_until,
            "conversation_id": request.get("conversation_id"),
        }
        self._put(_Op("create", row, 256))

    def finish_run(
        self,
        run_id: str,
        status: str,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        """Enqueue how a run ended (ahead of its terminal event, in the same order)."""
        payload = {
            "b_id": run_id,
            "b_status": status,
            "b_result": result,
            "b_error": error,
            "b_finished_at": utcnow(),
            "b_lease_expires_at": None,
        }
        self._put(_Op("finish", payload, 256))

    def refresh_leases(self, run_ids: Sequence[str], until: datetime) -> None:
        """Enqueue a lease extension for runs still in flight on this instance."""
        if run_ids:
            rows = [{"b_id": run_id, "b_lease": until} for run_id in run_ids]
            self._put(_Op("lease", rows, 64 * len(rows)))

    def trim(
        self, user_id: str | None, *, below_seq: int = 0, before: datetime | None = None
    ) -> None:
        """Enqueue a retention trim: a user's events with ``seq < below_seq``, or all events
        older than ``before``."""
        self._put(_Op("trim", {"user_id": user_id, "below_seq": below_seq, "before": before}, 64))

    async def wait_for_room(self) -> None:
        """Back-pressure: wait while the backlog is over its high-water mark."""
        if not self._room.is_set():
            await self._room.wait()

    @property
    def backlog(self) -> int:
        """Operations enqueued and not yet committed."""
        return len(self._pending)

    async def flush(self) -> None:
        """Wait until everything enqueued so far is committed."""
        future = self._future()
        self._put(_Op("trim", None, 0, future))
        await future

    def _future(self) -> asyncio.Future[None]:
        return asyncio.get_running_loop().create_future()

    def _put(self, op: _Op) -> asyncio.Future[None] | None:
        if self._closing and self._task is None:
            raise StorageError("append to the event log: the writer is closed")
        self._pending.append(op)
        if len(self._pending) >= self._high_water:
            self._room.clear()
        self._wake.set()
        return op.done

    # --- the writer task ------------------------------------------------------------------

    def start(self) -> None:
        """Start the writer task."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="event-log-writer")

    async def close(self, grace: float = 10.0) -> None:
        """Commit what is pending (for at most ``grace`` seconds), then stop."""
        self._closing = True
        self._wake.set()
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        error = StorageError("commit the event log: the server stopped first")
        for op in self._pending:
            if op.done is not None and not op.done.done():
                op.done.set_exception(error)
                op.done.exception()  # retrieved: nobody may be waiting any more
        if self._pending:
            logger.error("event log closed with %d operations not committed", len(self._pending))
        if self._thread is not None:
            if self._raw is not None:
                raw, self._raw = self._raw, None
                self._thread.submit(raw.close).result()  # sqlite3: close on its own thread
            self._thread.shutdown(wait=True)
            self._thread = None

    async def _run(self) -> None:
        delay = self._retry
        while True:
            if not self._pending:
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            ops = self._take()
            started = time.perf_counter()
            committed, rest = await self._commit_all(ops)
            if committed:
                self.metrics.log_committed(len(committed), time.perf_counter() - started)
                delay = self._retry
                if not self.healthy:
                    logger.warning("event log commits again")
                self.healthy = True
                self.commits += 1
                if len(self._pending) < self._high_water // 2:
                    self._room.set()
                await self._committed(committed)
            if rest:
                # Not committed (the database failed): keep them first in line, in order.
                self.failures += 1
                if self.healthy:
                    logger.error("event log commit failed; retrying until the database answers")
                self.healthy = False
                self._pending[:0] = rest
                if self._closing:
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_retry)

    async def _commit_all(self, ops: list[_Op]) -> tuple[list[_Op], list[_Op]]:
        """Commit ``ops``; return (those committed, those still to commit)."""
        try:
            await self._commit(ops)
            return ops, []
        except StorageError as exc:
            if not _refused(exc):
                return [], ops
            if len(ops) == 1:
                self._drop(ops[0], exc)
                return [], []
        # The batch's content was refused: one at a time, to find the bad operation and keep
        # the others. A failure of the database itself half-way stops there: what committed
        # so far is delivered, the rest is retried (never written twice).
        committed: list[_Op] = []
        for index, op in enumerate(ops):
            try:
                await self._commit([op])
            except StorageError as exc:
                if not _refused(exc):
                    return committed, ops[index:]
                self._drop(op, exc)
                continue
            committed.append(op)
        return committed, []

    def _take(self) -> list[_Op]:
        size = 0
        for count, op in enumerate(self._pending, start=1):
            size += op.size
            if count >= self._max_events or size >= self._max_bytes:
                cut = count
                break
        else:
            cut = len(self._pending)
        ops, self._pending = self._pending[:cut], self._pending[cut:]
        return ops

    async def _committed(self, ops: Sequence[_Op]) -> None:
        # Futures first: the runtime frees a run's slot before its client can see the end.
        for op in ops:
            if op.done is not None and not op.done.done():
                op.done.set_result(None)
        events = [op.payload for op in ops if op.kind == "event"]
        if events:
            try:
                await self._on_commit(events)
            except Exception:
                logger.exception("delivering committed events failed")

    async def _commit(self, ops: Sequence[_Op]) -> None:
        batch = _batch_of(ops)
        with translate_db_errors("commit the event log"):
            if self._db.log_sync_engine is not None:
                if self._thread is None:
                    self._thread = ThreadPoolExecutor(1, thread_name_prefix="event-log")
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(self._thread, self._commit_sync, batch)
            else:
                assert self._db.log_engine is not None
                async with self._db.log_engine.begin() as conn:
                    await conn.run_sync(self._write, batch)

    def _drop(self, op: _Op, exc: StorageError) -> None:
        logger.error("event log dropped a %s operation the database refused: %s", op.kind, exc)
        if op.done is not None and not op.done.done():
            op.done.set_exception(exc)

    def _commit_sync(self, batch: _Batch) -> None:
        # Runs on the writer's own thread, which alone uses this connection.
        if self._raw is None:
            assert self._db.log_sync_engine is not None
            self._raw = self._db.log_sync_engine.raw_connection()
        driver = self._raw.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        self._write_sqlite(driver, batch)

    def _write_sqlite(self, connection: sqlite3.Connection, batch: _Batch) -> None:
        write_batch(connection, batch, json_dumps)

    def _write(self, conn: Connection, batch: _Batch) -> None:
        if batch.creates:
            conn.execute(insert(RUNS), list(batch.creates.values()))
        if batch.events:
            conn.execute(
                insert(EVENTS),
                [
                    {
                        "user_id": e.user_id,
                        "seq": e.seq,
                        "run_id": e.run_id,
                        "type": e.type,
                        "created_at": e.created_at,
                        "body": e.body,
                    }
                    for e in batch.events
                ],
            )
            last: dict[str, int] = {}
            for e in batch.events:
                last[e.user_id] = max(e.seq, last.get(e.user_id, 0))
            conn.execute(
                self._upsert_cursor, [{"user_id": u, "last_seq": s} for u, s in last.items()]
            )
        if batch.finishes:
            conn.execute(
                update(RUNS)
                .where(RUNS.c.id == bindparam("b_id"))
                .values(
                    status=bindparam("b_status"),
                    result=bindparam("b_result"),
                    error=bindparam("b_error"),
                    finished_at=bindparam("b_finished_at"),
                    lease_expires_at=bindparam("b_lease_expires_at"),
                ),
                batch.finishes,
            )
        if batch.leases:
            conn.execute(
                update(RUNS)
                .where(RUNS.c.id == bindparam("b_id"), RUNS.c.status == RunStatus.RUNNING.value)
                .values(lease_expires_at=bindparam("b_lease")),
                batch.leases,
            )
        for trim in batch.trims:
            if trim is None:
                continue
            if trim["before"] is not None:
                conn.execute(delete(EVENTS).where(EVENTS.c.created_at < trim["before"]))
            if trim["user_id"] is not None:
                conn.execute(
                    delete(EVENTS).where(
                        EVENTS.c.user_id == trim["user_id"], EVENTS.c.seq < trim["below_seq"]
                    )
                )


class EventStore:
    """Reads of the log: a user's last and oldest ``seq``, replay pages, a run's events."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def last_seq(self, user_id: str) -> int:
        """The last ``seq`` committed for the user (0 before their first event)."""
        with translate_db_errors(f"read the event cursor of user {user_id!r}"):
            async with self._db.engine.connect() as conn:
                value = await conn.scalar(
                    select(CURSORS.c.last_seq).where(CURSORS.c.user_id == user_id)
                )
        return int(value or 0)

    async def last_seqs(self, user_ids: list[str]) -> dict[str, int]:
        """``{user_id: last seq}`` of those of ``user_ids`` that have a cursor."""
        with translate_db_errors("read event cursors"):
            async with self._db.engine.connect() as conn:
                rows = await conn.execute(
                    select(CURSORS.c.user_id, CURSORS.c.last_seq).where(
                        CURSORS.c.user_id.in_(user_ids)
                    )
                )
                return {str(user): int(seq) for user, seq in rows}

    async def oldest_seq(self, user_id: str) -> int | None:
        """The smallest retained ``seq`` of the user, or None when nothing is retained."""
        with translate_db_errors(f"read the event log of user {user_id!r}"):
            async with self._db.engine.connect() as conn:
                value = await conn.scalar(
                    select(func.min(EVENTS.c.seq)).where(EVENTS.c.user_id == user_id)
                )
        return None if value is None else int(value)

    async def page(self, user_id: str, after: int, limit: int) -> list[tuple[int, str]]:
        """Up to ``limit`` events of the user with ``seq > after``, as ``(seq, body)``, in order."""
        with translate_db_errors(f"replay the event log of user {user_id!r}"):
            async with self._db.engine.connect() as conn:
                rows = await conn.execute(
                    select(EVENTS.c.seq, EVENTS.c.body)
                    .where(EVENTS.c.user_id == user_id, EVENTS.c.seq > after)
                    .order_by(EVENTS.c.seq)
                    .limit(limit)
                )
                return [(int(seq), str(body)) for seq, body in rows]

    async def run_events(self, user_id: str, run_id: str) -> list[str]:
        """The retained event bodies of one run of the user, in order."""
        with translate_db_errors(f"read the events of run {run_id!r}"):
            async with self._db.engine.connect() as conn:
                rows = await conn.scalars(
                    select(EVENTS.c.body)
                    .where(EVENTS.c.run_id == run_id, EVENTS.c.user_id == user_id)
                    .order_by(EVENTS.c.seq)
                )
                return [str(body) for body in rows]

    async def users_over(self, max_events: int) -> list[tuple[str, int]]:
        """Users holding more than ``max_events`` events, with the ``seq`` to keep from."""
        with translate_db_errors("find users over the history limit"):
            async with self._db.engine.connect() as conn:
                rows = await conn.execute(
                    select(EVENTS.c.user_id, func.max(EVENTS.c.seq), func.min(EVENTS.c.seq))
                    .group_by(EVENTS.c.user_id)
                    .having(func.max(EVENTS.c.seq) - func.min(EVENTS.c.seq) >= max_events)
                )
                return [(str(user), int(last) - max_events + 1) for user, last, _ in rows]


class RunRecords:
    """The runtime's run recorder, written through the log's batches (never awaits a commit)."""

    def __init__(self, writer: EventLogWriter, lease_seconds: float) -> None:
        self._writer = writer
        self._lease_seconds = lease_seconds

    async def create(self, run_id: str, user_id: str, agent: str, request: dict[str, Any]) -> None:
        """Record a new ``running`` run holding a lease."""
        self._writer.create_run(
            run_id, user_id, agent, request, lease_deadline(self._lease_seconds)
        )

    async def finish(
        self,
        run_id: str,
        status: str,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        """Record how the run ended."""
        self._writer.finish_run(run_id, status, result, error)


def lease_deadline(seconds: float) -> datetime:
    """Now plus ``seconds``: when a lease taken now lapses."""
    return utcnow() + timedelta(seconds=seconds)
