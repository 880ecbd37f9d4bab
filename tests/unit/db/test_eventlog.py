"""EventLogWriter and EventStore on a real SQLite file, and on PostgreSQL when it is reachable;
RunStore.claim_orphans over runs the writer recorded."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from netra_backend.app.db import (
    Database,
    EventLogWriter,
    EventStore,
    LoggedEvent,
    RunStore,
    User,
)
from netra_backend.app.db.conversations import ConversationStore, Turn
from netra_backend.app.db.models import utcnow
from netra_backend.app.db.runs import INTERRUPTED
from netra_backend.app.errors import StorageError
from test_framework.databases import (
    PostgresUnavailable,
    create_postgres_database,
    drop_postgres_database,
)

pytestmark = pytest.mark.unit

USERS = ("alice", "bob", "carol", "dave", "erin")


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.real_services)],
)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database with the users of ``USERS``: a SQLite file, or PostgreSQL."""
    throwaway = None
    if request.param == "postgresql":
        try:
            throwaway = await create_postgres_database()
        except PostgresUnavailable as unavailable:
            pytest.skip(f"PostgreSQL not reachable: {unavailable}")
        database = Database(throwaway.url)
    else:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'netra.db'}")
    try:
        await database.migrate()
        async with database.session("add test users") as session:
            for name in USERS:
                session.add(
                    User(
                        id=name,
                        email=f"{name}@example.com",
                        password_hash="not-a-hash",
                        subscription="free",
                    )
                )
        yield database
    finally:
        await database.dispose()
        if throwaway is not None:
            await drop_postgres_database(throwaway)


class Delivered:
    """An ``on_commit`` that records what it is given (and can check each batch)."""

    def __init__(self, check: Callable[[list[LoggedEvent]], Any] | None = None) -> None:
        self.events: list[LoggedEvent] = []
        self.batches = 0
        self.check = check

    async def __call__(self, events: list[LoggedEvent]) -> None:
        if self.check is not None:
            await self.check(events)
        self.batches += 1
        self.events.extend(events)


@pytest.fixture
async def delivered() -> Delivered:
    return Delivered()


@pytest.fixture
async def writer(db: Database, delivered: Delivered) -> AsyncIterator[EventLogWriter]:
    log = EventLogWriter(db, on_commit=delivered)
    log.start()
    try:
        yield log
    finally:
        await log.close()


def _event(
    user_id: str, seq: int, *, run_id: str = "run-1", age: timedelta | None = None
) -> LoggedEvent:
    created = utcnow() - (age or timedelta(0))
    body = f'{{"type":"agent_thinking","seq":{seq},"user":"{user_id}"}}'
    return LoggedEvent(user_id, seq, run_id, "agent_thinking", created, body)


async def _seqs(store: EventStore, user_id: str) -> list[int]:
    return [seq for seq, _ in await store.page(user_id, 0, 10_000)]


# --- group commit and delivery -------------------------------------------------------------


async def test_writer_commits_a_burst_of_events_in_far_fewer_commits(
    db: Database, writer: EventLogWriter, delivered: Delivered
) -> None:
    events = [_event(USERS[n % 5], n // 5 + 1) for n in range(500)]
    for event in events:
        writer.append(event)
    assert writer.backlog == 500
    await writer.flush()
    assert 1 <= writer.commits <= 5
    assert writer.healthy and writer.failures == 0
    store = EventStore(db)
    for user in USERS:
        assert await _seqs(store, user) == list(range(1, 101))
        assert await store.last_seq(user) == 100
        assert await store.oldest_seq(user) == 1
    first = await store.page("alice", 0, 3)
    assert first == [(e.seq, e.body) for e in events if e.user_id == "alice"][:3]
    assert [(e.user_id, e.seq) for e in delivered.events] == [(e.user_id, e.seq) for e in events]


async def test_on_commit_gets_events_in_enqueue_order_once_they_are_readable(
    db: Database,
) -> None:
    store = EventStore(db)
    unreadable: list[tuple[str, int]] = []

    async def check(events: list[LoggedEvent]) -> None:
        for event in events:
            rows = dict(await store.page(event.user_id, event.seq - 1, 1))
            if rows.get(event.seq) != event.body:
                unreadable.append((event.user_id, event.seq))

    delivered = Delivered(check)
    # Small batches, so order must hold across several commits too.
    writer = EventLogWriter(db, on_commit=delivered, max_batch_events=40)
    writer.start()
    try:
        events = [_event(USERS[n % 3], n // 3 + 1) for n in range(300)]
        for event in events:
            writer.append(event)
        await writer.flush()
    finally:
        await writer.close()
    assert unreadable == []
    assert delivered.events == events
    assert delivered.batches >= 300 // 40


async def test_append_with_wait_resolves_once_the_event_is_committed(
    db: Database, writer: EventLogWriter
) -> None:
    future = writer.append(_event("alice", 1), wait=True)
    assert future is not None and not future.done()
    await future
    assert await EventStore(db).last_seq("alice") == 1
    assert writer.append(_event("alice", 2)) is None


async def test_flush_on_an_idle_writer_returns(writer: EventLogWriter) -> None:
    await writer.flush()
    await writer.flush()
    assert writer.backlog == 0


async def test_close_commits_what_is_pending(db: Database, delivered: Delivered) -> None:
    writer = EventLogWriter(db, on_commit=delivered)
    writer.start()
    for seq in range(1, 51):
        writer.append(_event("bob", seq))
    writer.create_run("run-b", "bob", "triage_agent", {"message": "hi"}, utcnow())
    await writer.close()
    assert await _seqs(EventStore(db), "bob") == list(range(1, 51))
    assert (await RunStore(db).get("bob", "run-b")) is not None
    assert len(delivered.events) == 50
    with pytest.raises(StorageError, match="closed"):
        writer.append(_event("bob", 51))


# --- run records ---------------------------------------------------------------------------


async def test_run_created_and_finished_in_one_batch_is_one_final_row(
    db: Database, writer: EventLogWriter
) -> None:
    request = {"message": "analyse", "request_id": "req-1"}
    writer.create_run("run-1", "alice", "cost_optimizer", request, utcnow() + timedelta(minutes=1))
    writer.append(_event("alice", 1))
    writer.finish_run("run-1", "completed", result={"savings": 42})
    await writer.flush()
    runs = RunStore(db)
    run = await runs.get("alice", "run-1")
    assert run is not None
    assert run["status"] == "completed"
    assert run["result"] == {"savings": 42}
    assert run["error"] is None
    assert run["request"] == request
    assert run["finished_at"] is not None
    assert [r["run_id"] for r in await runs.list_for_user("alice")] == ["run-1"]
    assert await runs.get("bob", "run-1") is None
    # Finished means no lease any more: never an orphan.
    assert await runs.claim_orphans(lease_lapsed=True) == []


async def test_run_finished_in_a_later_batch_updates_its_row(
    db: Database, writer: EventLogWriter
) -> None:
    writer.create_run("run-2", "bob", "triage_agent", {"message": "x"}, utcnow())
    await writer.flush()
    runs = RunStore(db)
    running = await runs.get("bob", "run-2")
    assert running is not None and running["status"] == "running"
    error = {"code": "boom", "message": "it broke"}
    writer.finish_run("run-2", "failed", error=error)
    await writer.flush()
    run = await runs.get("bob", "run-2")
    assert run is not None
    assert (run["status"], run["error"], run["result"]) == ("failed", error, None)
    assert run["finished_at"] is not None


async def test_a_refused_row_does_not_lose_the_rest_of_its_batch(
    db: Database, writer: EventLogWriter, delivered: Delivered
) -> None:
    writer.append(_event("alice", 1))
    writer.create_run("run-ok", "alice", "triage_agent", {"message": "a"}, utcnow())
    writer.create_run("run-ghost", "no-such-user", "triage_agent", {"message": "g"}, utcnow())
    writer.finish_run("run-ghost", "completed", result={})
    waited = writer.append(_event("alice", 2), wait=True)
    writer.finish_run("run-ok", "completed", result={"ok": True})
    writer.append(_event("bob", 1))
    await writer.flush()
    assert waited is not None and waited.done() and waited.exception() is None
    store, runs = EventStore(db), RunStore(db)
    assert await _seqs(store, "alice") == [1, 2]
    assert await _seqs(store, "bob") == [1]
    assert await store.last_seq("alice") == 2
    ok = await runs.get("alice", "run-ok")
    assert ok is not None and ok["status"] == "completed" and ok["result"] == {"ok": True}
    assert await runs.get("no-such-user", "run-ghost") is None
    assert [(e.user_id, e.seq) for e in delivered.events] == [
        ("alice", 1),
        ("alice", 2),
        ("bob", 1),
    ]
    assert writer.healthy
    assert writer.backlog == 0


async def test_a_refused_event_fails_its_waiter_and_spares_the_others(
    db: Database, writer: EventLogWriter, delivered: Delivered
) -> None:
    writer.append(_event("alice", 1))
    await writer.flush()
    duplicate = writer.append(_event("alice", 1), wait=True)  # (user, seq) exists already
    writer.append(_event("alice", 2))
    assert duplicate is not None
    with pytest.raises(StorageError):
        await duplicate
    await writer.flush()
    assert await _seqs(EventStore(db), "alice") == [1, 2]
    assert [(e.user_id, e.seq) for e in delivered.events] == [("alice", 1), ("alice", 2)]


# --- cursors and trimming ------------------------------------------------------------------


async def test_last_seq_is_zero_before_the_first_event_and_follows_commits(
    db: Database, writer: EventLogWriter
) -> None:
    store = EventStore(db)
    assert await store.last_seq("carol") == 0
    assert await store.oldest_seq("carol") is None
    for seq in range(1, 4):
        writer.append(_event("carol", seq))
    await writer.flush()
    assert await store.last_seq("carol") == 3
    writer.append(_event("carol", 4))
    await writer.flush()
    assert await store.last_seq("carol") == 4
    assert await store.last_seq("dave") == 0


async def test_trimming_every_event_of_a_user_keeps_the_cursor(
    db: Database, writer: EventLogWriter
) -> None:
    for seq in range(1, 11):
        writer.append(_event("alice", seq))
    writer.trim("alice", below_seq=11)
    await writer.flush()
    store = EventStore(db)
    assert await store.page("alice", 0, 100) == []
    assert await store.oldest_seq("alice") is None
    assert await store.last_seq("alice") == 10


async def test_trim_below_seq_removes_only_that_users_older_events(
    db: Database, writer: EventLogWriter
) -> None:
    for seq in range(1, 11):
        writer.append(_event("alice", seq))
        writer.append(_event("bob", seq))
    await writer.flush()
    writer.trim("alice", below_seq=6)
    await writer.flush()
    store = EventStore(db)
    assert await _seqs(store, "alice") == [6, 7, 8, 9, 10]
    assert await store.oldest_seq("alice") == 6
    assert await _seqs(store, "bob") == list(range(1, 11))


async def test_trim_before_removes_old_events_of_every_user(
    db: Database, writer: EventLogWriter
) -> None:
    old = timedelta(days=2)
    for user in ("alice", "bob"):
        writer.append(_event(user, 1, age=old))
        writer.append(_event(user, 2, age=old))
        writer.append(_event(user, 3))
    await writer.flush()
    writer.trim(None, before=utcnow() - timedelta(days=1))
    await writer.flush()
    store = EventStore(db)
    for user in ("alice", "bob"):
        assert await _seqs(store, user) == [3]
        assert await store.last_seq(user) == 3


async def test_run_events_and_users_over(db: Database, writer: EventLogWriter) -> None:
    for seq in range(1, 7):
        writer.append(_event("alice", seq, run_id="run-a" if seq % 2 else "run-b"))
    writer.append(_event("bob", 1, run_id="run-a"))
    await writer.flush()
    store = EventStore(db)
    bodies = await store.run_events("alice", "run-a")
    assert bodies == [_event("alice", seq).body for seq in (1, 3, 5)]
    assert await store.run_events("bob", "run-b") == []
    assert await store.users_over(4) == [("alice", 3)]


# --- orphaned runs -------------------------------------------------------------------------


async def test_claim_orphans_takes_lapsed_leases_and_returns_them(
    db: Database, writer: EventLogWriter
) -> None:
    now = utcnow()
    writer.create_run(
        "lapsed", "alice", "triage_agent", {"request_id": "r-l"}, now - timedelta(seconds=5)
    )
    writer.create_run(
        "alive", "alice", "triage_agent", {"request_id": "r-a"}, now + timedelta(hours=1)
    )
    writer.create_run("done", "bob", "triage_agent", {}, now - timedelta(seconds=5))
    writer.finish_run("done", "completed", result={})
    await writer.flush()
    runs = RunStore(db)
    await runs.create("unleased", "bob", "cost_optimizer", {"message": "old server"})

    # An unleased run counts only once it is older than started_before.
    claimed = await runs.claim_orphans(
        lease_lapsed=True, started_before=utcnow() - timedelta(hours=1)
    )
    assert claimed == [
        {"run_id": "lapsed", "user_id": "alice", "agent": "triage_agent", "request_id": "r-l"}
    ]
    claimed = await runs.claim_orphans(lease_lapsed=True)
    assert claimed == [
        {"run_id": "unleased", "user_id": "bob", "agent": "cost_optimizer", "request_id": None}
    ]
    assert await runs.claim_orphans(lease_lapsed=True) == []

    lapsed = await runs.get("alice", "lapsed")
    assert lapsed is not None
    assert (lapsed["status"], lapsed["error"]) == ("failed", INTERRUPTED)
    assert lapsed["finished_at"] is not None
    alive = await runs.get("alice", "alive")
    assert alive is not None and alive["status"] == "running"
    done = await runs.get("bob", "done")
    assert done is not None and done["status"] == "completed"


async def test_refreshed_leases_keep_a_run_from_being_claimed(
    db: Database, writer: EventLogWriter
) -> None:
    now = utcnow()
    writer.create_run("run-1", "alice", "triage_agent", {}, now - timedelta(seconds=5))
    writer.refresh_leases(["run-1"], now + timedelta(hours=1))
    await writer.flush()
    runs = RunStore(db)
    assert await runs.claim_orphans(lease_lapsed=True) == []
    # Without lease_lapsed every running run is claimed (a single server after a crash).
    [claimed] = await runs.claim_orphans()
    assert claimed["run_id"] == "run-1"


async def test_a_database_failure_during_the_one_by_one_retry_loses_no_delivery(
    db: Database, delivered: Delivered
) -> None:
    writer = EventLogWriter(db, on_commit=delivered, retry_seconds=0.01)
    # The SQLite path writes through the sqlite3 driver, PostgreSQL's through SQLAlchemy.
    name = "_write_sqlite" if db.dialect == "sqlite" else "_write"
    real_write = getattr(writer, name)
    calls = 0

    def flaky_write(conn: Any, batch: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 4:  # batch (refused), ev1 (ok), bad create (refused), ev2: disk hiccup
            raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        real_write(conn, batch)

    setattr(writer, name, flaky_write)
    writer.start()
    try:
        writer.append(_event("alice", 1))
        writer.create_run("run-ghost", "no-such-user", "triage_agent", {}, utcnow())
        writer.append(_event("alice", 2))
        await writer.flush()
    finally:
        await writer.close()
    assert calls > 4, "the fault was injected"
    assert await _seqs(EventStore(db), "alice") == [1, 2]
    assert [(e.user_id, e.seq) for e in delivered.events] == [("alice", 1), ("alice", 2)]


async def test_sqlite_log_is_checkpointed_by_the_database_not_by_the_writer(
    tmp_path: Path,
) -> None:
    path = tmp_path / "netra.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    await db.checkpoint()  # the schema into the main file

    def events_in_the_main_file() -> int:
        # immutable=1 reads the database file alone, ignoring the write-ahead log.
        with closing(sqlite3.connect(f"file:{path}?immutable=1", uri=True)) as conn:
            return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])

    async def nothing(_events: list[LoggedEvent]) -> None:
        return None

    writer = EventLogWriter(db, on_commit=nothing)
    writer.start()
    try:
        padding = "x" * 2048  # 3,000 x 2 KiB: past SQLite's 1,000-page autocheckpoint
        for seq in range(1, 3001):
            writer.append(LoggedEvent("alice", seq, "run-1", "agent_thinking", utcnow(), padding))
        await writer.flush()
        assert events_in_the_main_file() == 0, "the writer's commits ran a checkpoint"
        await db.checkpoint()
        assert events_in_the_main_file() == 3000
    finally:
        await writer.close()
        await db.dispose()


async def test_a_conversations_turns_are_its_users_completed_runs_oldest_first(
    db: Database, writer: EventLogWriter
) -> None:
    lease = utcnow() + timedelta(minutes=1)

    def turn(run_id: str, user: str, conversation: str | None, status: str, reply: str) -> None:
        request: dict[str, Any] = {"message": f"asked in {run_id}"}
        if conversation is not None:
            request["conversation_id"] = conversation
        writer.create_run(run_id, user, "assistant", request, lease)
        if status == "completed":
            writer.finish_run(run_id, status, result={"reply": reply})
        elif status != "running":
            writer.finish_run(run_id, status, error={"code": "x", "message": "y"})

    turn("r1", "alice", "c1", "completed", "one")
    turn("r2", "alice", "c1", "cancelled", "never")
    turn("r3", "bob", "c1", "completed", "bob's")  # same id, another user
    turn("r4", "alice", "c2", "completed", "other conversation")
    turn("r5", "alice", None, "completed", "no conversation")
    turn("r6", "alice", "c1", "failed", "never")
    # Only the last finish is left in the writer's queue: recent_turns flushes before reading.
    store = ConversationStore(db, before_read=writer.flush)
    await writer.flush()
    turn("r7", "alice", "c1", "completed", "two")
    turns = await store.recent_turns("alice", "c1")
    assert turns == [Turn("asked in r1", "one"), Turn("asked in r7", "two")]
    assert await store.recent_turns("alice", "c1", limit=1) == [Turn("asked in r7", "two")]
    assert await store.recent_turns("bob", "c1") == [Turn("asked in r3", "bob's")]
    assert await store.recent_turns("carol", "c1") == []
    run = await RunStore(db).get("alice", "r7")
    assert run is not None and run["request"]["conversation_id"] == "c1"
