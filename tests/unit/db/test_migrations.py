"""Alembic migrations on a fresh SQLite file, and on PostgreSQL when it is reachable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from netra_backend.app.auth.users import UserStore
from netra_backend.app.db import Base, Database, RunStore
from netra_backend.app.db.session import MIGRATION_LOCK, alembic_config
from netra_backend.app.errors import ConflictError
from netra_backend.app.plans import Subscription
from test_framework.databases import (
    PostgresUnavailable,
    create_postgres_database,
    drop_postgres_database,
)

pytestmark = pytest.mark.unit


def _schema(conn: Connection) -> dict[str, Any]:
    inspector = inspect(conn)
    return {
        "tables": sorted(inspector.get_table_names()),
        "users": {c["name"] for c in inspector.get_columns("users")},
        "runs": {c["name"] for c in inspector.get_columns("runs")},
        "events": {c["name"] for c in inspector.get_columns("events")},
        "run_indexes": {i["name"] for i in inspector.get_indexes("runs")},
        "user_uniques": [u["column_names"] for u in inspector.get_unique_constraints("users")],
        "run_fks": [
            (f["referred_table"], f["constrained_columns"])
            for f in inspector.get_foreign_keys("runs")
        ],
    }


def _schema_diff(conn: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))


async def _check_schema(db: Database) -> None:
    async with db.engine.connect() as conn:
        schema = await conn.run_sync(_schema)
        revision = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        diff = await conn.run_sync(_schema_diff)
    assert schema["tables"] == ["alembic_version", "event_cursors", "events", "runs", "users"]
    assert schema["users"] == {"id", "email", "password_hash", "subscription", "created_at"}
    assert schema["runs"] == {
        "id",
        "user_id",
        "agent",
        "request",
        "status",
        "result",
        "error",
        "started_at",
        "finished_at",
        "lease_expires_at",
        "conversation_id",
    }
    assert schema["events"] == {"user_id", "seq", "run_id", "type", "created_at", "body"}
    assert {
        "ix_runs_user_id",
        "ix_runs_user_id_started_at",
        "ix_runs_user_id_conversation_id",
    } <= schema["run_indexes"]
    assert schema["user_uniques"] == [["email"]]
    assert schema["run_fks"] == [("users", ["user_id"])]
    assert revision == "0003"
    assert diff == [], f"models and migrations disagree: {diff}"


async def test_migrate_creates_the_schema_in_a_fresh_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "netra.db"  # the directory exists: prepare_data_dir makes it, not Database
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await db.migrate()
        assert path.is_file()
        await _check_schema(db)
    finally:
        await db.dispose()


async def test_migrate_twice_is_a_no_op(database: Database) -> None:
    await database.migrate()
    await _check_schema(database)


async def test_sqlite_connections_use_wal_and_enforce_foreign_keys(database: Database) -> None:
    async with database.engine.connect() as conn:
        journal = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
        foreign_keys = (await conn.execute(text("PRAGMA foreign_keys"))).scalar()
    assert journal == "wal"
    assert foreign_keys == 1


async def test_downgrade_to_base_drops_the_tables_and_upgrade_restores_them(
    database: Database,
) -> None:
    def downgrade(conn: Connection) -> list[str]:
        command.downgrade(alembic_config(conn), "base")
        return sorted(inspect(conn).get_table_names())

    async with database.engine.begin() as conn:
        assert await conn.run_sync(downgrade) == ["alembic_version"]
    await database.migrate()
    await _check_schema(database)


@pytest.fixture
async def postgres_database() -> AsyncIterator[Database]:
    try:
        throwaway = await create_postgres_database()
    except PostgresUnavailable as unavailable:
        pytest.skip(f"PostgreSQL not reachable: {unavailable}")
    db = Database(throwaway.url)
    try:
        yield db
    finally:
        await db.dispose()
        await drop_postgres_database(throwaway)


@pytest.mark.real_services
async def test_migrate_creates_the_schema_on_postgresql(postgres_database: Database) -> None:
    await postgres_database.migrate()
    await postgres_database.migrate()
    await _check_schema(postgres_database)


@pytest.mark.real_services
async def test_stores_round_trip_on_postgresql(postgres_database: Database) -> None:
    await postgres_database.migrate()
    users, runs = UserStore(postgres_database), RunStore(postgres_database)
    alice = await users.register("Alice@Example.com", "alice-password", Subscription.ENTERPRISE)
    with pytest.raises(ConflictError):
        await users.register("ALICE@example.COM", "another-password", Subscription.FREE)
    assert (await users.authenticate("alice@EXAMPLE.com", "alice-password")) == alice
    await runs.create("run-pg", alice.user_id, "triage_agent", {"message": "hi"})
    with pytest.raises(ConflictError):
        await runs.create("run-pg", alice.user_id, "triage_agent", {"message": "again"})
    await runs.finish("run-pg", "completed", result={"intent": "general"})
    [run] = await runs.list_for_user(alice.user_id)
    assert run["status"] == "completed"
    assert run["result"] == {"intent": "general"}
    assert run["started_at"].endswith("+00:00")


@pytest.mark.real_services
async def test_migrate_waits_for_the_lock_longer_than_the_statement_timeout() -> None:
    # Another instance is migrating (it holds the lock) for longer than a statement may take.
    try:
        throwaway = await create_postgres_database()
    except PostgresUnavailable as unavailable:
        pytest.skip(f"PostgreSQL not reachable: {unavailable}")
    holder = Database(throwaway.url)
    waiter = Database(throwaway.url, statement_timeout=0.5)
    try:
        async with holder.engine.connect() as conn:
            await conn.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
            migrating = asyncio.create_task(waiter.migrate())
            await asyncio.sleep(1.5)  # three statement timeouts
            assert not migrating.done()
            await conn.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
        await migrating
        await _check_schema(waiter)
    finally:
        await holder.dispose()
        await waiter.dispose()
        await drop_postgres_database(throwaway)
