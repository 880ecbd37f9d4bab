"""Which runs a starting server settles as interrupted: all on a lone SQLite server, only
lapsed leases where other processes may be running runs (Redis mode's workers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from netra_backend.app.config import Settings
from netra_backend.app.db import Database, EventLogWriter, EventStore, RunStore, User
from netra_backend.app.db.models import utcnow
from netra_backend.app.services import settle_orphaned_runs
from netra_backend.app.websocket_core.hub import UserEventHub

pytestmark = pytest.mark.unit


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'netra.db'}")
    await database.migrate()
    async with database.session("add a user") as session:
        session.add(User(id="alice", email="a@example.com", password_hash="x", subscription="free"))
    try:
        yield database
    finally:
        await database.dispose()


async def _settle(db: Database, settings: Settings) -> dict[str, str]:
    hub = UserEventHub(store=EventStore(db))
    log = EventLogWriter(db, on_commit=hub.deliver)
    hub.log = log
    log.start()
    try:
        live = utcnow() + timedelta(minutes=5)
        log.create_run("leased", "alice", "triage_agent", {"message": "m"}, live)
        log.create_run("lapsed", "alice", "triage_agent", {"message": "m"}, utcnow())
        await log.flush()
        await settle_orphaned_runs(RunStore(db), hub, db, settings, at_start=True)
        await log.flush()
    finally:
        await log.close()
    runs = await RunStore(db).list_for_user("alice")
    return {run["run_id"]: run["status"] for run in runs}


async def test_a_lone_sqlite_server_settles_every_running_run_at_start(db: Database) -> None:
    assert await _settle(db, Settings()) == {"leased": "failed", "lapsed": "failed"}


async def test_a_worker_in_redis_mode_leaves_runs_whose_lease_is_live(db: Database) -> None:
    redis = SecretStr("redis://127.0.0.1:6379/0")
    settings = Settings(redis_url=redis, agent_timeout_seconds=0.001)
    assert await _settle(db, settings) == {"leased": "running", "lapsed": "failed"}
