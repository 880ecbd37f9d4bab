"""The database seam: no foreign exception gets out untranslated."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from netra_backend.app.auth.users import UserStore
from netra_backend.app.db import Database, RunStore
from netra_backend.app.db.errors import FOREIGN_DB_ERRORS, translate_db_errors
from netra_backend.app.errors import ConflictError, StorageError

pytestmark = pytest.mark.unit


async def test_querying_an_unmigrated_database_is_a_storage_error(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    try:
        with pytest.raises(StorageError, match="list runs") as caught:
            await RunStore(db).list_for_user("someone")
        assert isinstance(caught.value.__cause__, OperationalError)
        assert "no such table" in str(caught.value.__cause__)
        with pytest.raises(StorageError):
            await UserStore(db).get("someone")
    finally:
        await db.dispose()


async def test_an_unreachable_postgresql_is_a_storage_error() -> None:
    # Port 1 on loopback: nothing listens, so the connection is refused at once.
    db = Database("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    try:
        with pytest.raises(StorageError, match="migrate"):
            await db.migrate()
    finally:
        await db.dispose()


async def test_an_unopenable_sqlite_file_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "netra.db").mkdir()  # a directory where the file should be
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'netra.db'}")
    try:
        with pytest.raises(StorageError):
            await db.migrate()
    finally:
        await db.dispose()


@pytest.mark.parametrize(
    "foreign",
    [
        OperationalError("SELECT 1", {}, sqlite3.OperationalError("disk I/O error")),
        sqlite3.DatabaseError("file is not a database"),
        asyncpg.PostgresError("server closed the connection"),
        asyncpg.InterfaceError("connection is closed"),
        ConnectionRefusedError(111, "Connection refused"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_translate_maps_every_foreign_error_to_storage_error(foreign: Exception) -> None:
    assert isinstance(foreign, FOREIGN_DB_ERRORS)
    with (
        pytest.raises(StorageError, match="doing things") as caught,
        translate_db_errors("doing things"),
    ):
        raise foreign
    assert caught.value.__cause__ is foreign


def test_translate_maps_a_unique_violation_to_conflict_only_when_asked() -> None:
    unique = IntegrityError(
        "INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed: users.email")
    )
    with (
        pytest.raises(ConflictError, match="taken"),
        translate_db_errors("insert", on_conflict="taken"),
    ):
        raise unique
    with pytest.raises(StorageError), translate_db_errors("insert"):
        raise unique


def test_translate_maps_other_integrity_errors_to_storage_error() -> None:
    not_null = IntegrityError("INSERT", {}, sqlite3.IntegrityError("NOT NULL constraint failed"))
    with pytest.raises(StorageError), translate_db_errors("insert", on_conflict="taken"):
        raise not_null


def test_translate_leaves_our_own_and_programming_errors_alone() -> None:
    with pytest.raises(KeyError), translate_db_errors("x"):
        raise KeyError("not a database problem")
