"""RunStore: recording runs and reading them back, per user."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from netra_backend.app.auth.users import UserRecord
from netra_backend.app.db import Database, RunStore
from netra_backend.app.errors import ConflictError, NotFoundError, StorageError

pytestmark = pytest.mark.unit

REQUEST = {"message": "analyse my bill", "context": {"monthly_spend": 10000}, "request_id": "r1"}


async def test_create_records_a_running_run(database: Database, alice: UserRecord) -> None:
    runs = RunStore(database)
    await runs.create("run-1", alice.user_id, "cost_optimizer", REQUEST)
    run = await runs.get(alice.user_id, "run-1")
    assert run is not None
    assert run["run_id"] == "run-1"
    assert run["agent"] == "cost_optimizer"
    assert run["status"] == "running"
    assert run["request"] == REQUEST
    assert run["result"] is None and run["error"] is None
    assert run["finished_at"] is None
    assert datetime.fromisoformat(run["started_at"]).utcoffset() is not None


async def test_finish_completed_stores_the_result_and_end_time(
    database: Database, alice: UserRecord
) -> None:
    runs = RunStore(database)
    await runs.create("run-1", alice.user_id, "triage_agent", REQUEST)
    await runs.finish("run-1", "completed", result={"intent": "cost", "confidence": 0.9})
    run = await runs.get(alice.user_id, "run-1")
    assert run is not None
    assert run["status"] == "completed"
    assert run["result"] == {"intent": "cost", "confidence": 0.9}
    assert run["finished_at"] is not None
    assert datetime.fromisoformat(run["finished_at"]) >= datetime.fromisoformat(run["started_at"])


async def test_finish_failed_stores_the_error(database: Database, alice: UserRecord) -> None:
    runs = RunStore(database)
    await runs.create("run-1", alice.user_id, "cost_optimizer", REQUEST)
    error = {"code": "invalid_context", "message": "context.monthly_spend: must be >= 0"}
    await runs.finish("run-1", "failed", error=error)
    run = await runs.get(alice.user_id, "run-1")
    assert run is not None
    assert (run["status"], run["error"], run["result"]) == ("failed", error, None)


async def test_finish_refuses_a_non_terminal_status(database: Database, alice: UserRecord) -> None:
    runs = RunStore(database)
    await runs.create("run-1", alice.user_id, "triage_agent", REQUEST)
    with pytest.raises(ValueError, match="running"):
        await runs.finish("run-1", "running")


async def test_finish_of_an_unknown_run_is_not_found_not_a_storage_error(
    database: Database,
) -> None:
    with pytest.raises(NotFoundError, match="no such run"):
        await RunStore(database).finish("nope", "completed", result={})


async def test_list_for_user_is_newest_first_and_limited(
    database: Database, alice: UserRecord
) -> None:
    runs = RunStore(database)
    for index in range(5):
        await runs.create(f"run-{index}", alice.user_id, "triage_agent", {"message": str(index)})
    listed = await runs.list_for_user(alice.user_id)
    assert [run["run_id"] for run in listed] == ["run-4", "run-3", "run-2", "run-1", "run-0"]
    limited = await runs.list_for_user(alice.user_id, limit=2)
    assert [run["run_id"] for run in limited] == ["run-4", "run-3"]
    with pytest.raises(ValueError, match="limit must be at least 1"):
        await runs.list_for_user(alice.user_id, limit=0)


async def test_users_see_only_their_own_runs(
    database: Database, alice: UserRecord, bob: UserRecord
) -> None:
    runs = RunStore(database)
    await runs.create("alice-run", alice.user_id, "triage_agent", REQUEST)
    await runs.create("bob-run", bob.user_id, "cost_optimizer", REQUEST)
    assert [r["run_id"] for r in await runs.list_for_user(alice.user_id)] == ["alice-run"]
    assert [r["run_id"] for r in await runs.list_for_user(bob.user_id)] == ["bob-run"]
    assert await runs.get(bob.user_id, "alice-run") is None
    assert await runs.get(alice.user_id, "bob-run") is None
    assert await runs.list_for_user("no-such-user") == []


async def test_create_with_a_taken_run_id_is_a_conflict(
    database: Database, alice: UserRecord
) -> None:
    runs = RunStore(database)
    await runs.create("run-1", alice.user_id, "triage_agent", REQUEST)
    with pytest.raises(ConflictError, match="run-1"):
        await runs.create("run-1", alice.user_id, "triage_agent", REQUEST)


async def test_create_for_an_unknown_user_is_refused_by_the_foreign_key(
    database: Database,
) -> None:
    with pytest.raises(StorageError) as caught:
        await RunStore(database).create("run-1", "ghost", "triage_agent", REQUEST)
    assert "FOREIGN KEY" in str(caught.value.__cause__)


async def test_settle_interrupted_fails_only_running_runs_started_before_the_cutoff(
    database: Database, alice: UserRecord
) -> None:
    store = RunStore(database)
    await store.create("old", alice.user_id, "triage_agent", {"message": "a"})
    await store.create("done", alice.user_id, "triage_agent", {"message": "b"})
    await store.finish("done", "completed", result={"ok": True})
    assert await store.settle_interrupted(datetime.now(UTC) - timedelta(hours=1)) == 0
    assert await store.settle_interrupted(datetime.now(UTC) + timedelta(seconds=1)) == 1
    runs = {run["run_id"]: run for run in await store.list_for_user(alice.user_id)}
    assert runs["old"]["status"] == "failed" and runs["old"]["error"]["code"] == "interrupted"
    assert runs["done"]["status"] == "completed"
