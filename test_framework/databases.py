"""Throw-away databases: a fresh SQLite file, or a fresh PostgreSQL database dropped afterwards.

PostgreSQL is the local one (127.0.0.1:5432, trust auth). The admin connection tries user
``postgres`` then ``root``, database ``test`` then ``postgres``; when none answers,
:class:`PostgresUnavailable` says so and callers skip with that reason.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import tempfile
import uuid
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg  # type: ignore[import-untyped]

PG_HOST = os.environ.get("NETRA_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("NETRA_TEST_PG_PORT", "5432"))
ADMIN_USERS = ("postgres", "root")
ADMIN_DATABASES = ("test", "postgres")

T = TypeVar("T")


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server accepted an admin connection."""

    def __init__(self, attempts: list[str]) -> None:
        super().__init__(attempts)
        self.attempts = attempts

    def __str__(self) -> str:
        return f"PostgreSQL at {PG_HOST}:{PG_PORT} is unreachable ({'; '.join(self.attempts)})"


@dataclass(frozen=True, slots=True)
class ThrowawayDatabase:
    """A database made for one test session; ``url`` is a SQLAlchemy async URL."""

    backend: str  # "sqlite" or "postgresql"
    url: str
    name: str
    admin_user: str | None = None


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on a private event loop, even when one is running here."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _admin_connection() -> tuple[asyncpg.Connection, str]:
    attempts: list[str] = []
    for user in ADMIN_USERS:
        for database in ADMIN_DATABASES:
            try:
                conn = await asyncpg.connect(
                    host=PG_HOST, port=PG_PORT, user=user, database=database, timeout=5
                )
            except (TimeoutError, OSError, asyncpg.PostgresError) as error:
                attempts.append(f"{user}@{database}: {type(error).__name__}: {error}")
                continue
            return conn, user
    raise PostgresUnavailable(attempts)


async def create_postgres_database() -> ThrowawayDatabase:
    """Create ``netra_t_<hex>`` and return it; raises :class:`PostgresUnavailable`."""
    conn, user = await _admin_connection()
    name = f"netra_t_{uuid.uuid4().hex[:16]}"
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = f"postgresql+asyncpg://{user}@{PG_HOST}:{PG_PORT}/{name}"
    return ThrowawayDatabase("postgresql", url, name, user)


async def drop_postgres_database(database: ThrowawayDatabase) -> None:
    """Drop a database made by :func:`create_postgres_database`, closing its sessions."""
    if not database.name.startswith("netra_t_"):
        raise ValueError(f"refusing to drop {database.name!r}: not a throw-away test database")
    conn, _ = await _admin_connection()
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')
    finally:
        await conn.close()


def sqlite_database(data_dir: Path) -> ThrowawayDatabase:
    """A SQLite file inside ``data_dir`` (removed with the directory)."""
    path = (data_dir / "netra.db").resolve()
    return ThrowawayDatabase("sqlite", f"sqlite+aiosqlite:///{path}", path.name)


BACKENDS = ("sqlite", "postgresql")


def create_database(backend: str, data_dir: Path) -> ThrowawayDatabase:
    """A fresh database of ``backend`` (``sqlite`` or ``postgresql``) for one app.

    Raises :class:`PostgresUnavailable` when PostgreSQL cannot be reached (callers skip).
    """
    if backend == "postgresql":
        return run_sync(create_postgres_database())
    if backend != "sqlite":
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    return sqlite_database(data_dir)


def discard_database(database: ThrowawayDatabase, data_dir: Path) -> None:
    """Drop ``database`` (PostgreSQL) and remove ``data_dir``, whatever happens."""
    try:
        if database.backend == "postgresql":
            run_sync(drop_postgres_database(database))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@contextmanager
def fresh_postgres() -> Iterator[ThrowawayDatabase]:
    """A fresh PostgreSQL database for the ``with`` block, dropped afterwards; skips the test,
    naming PostgreSQL, when it is unreachable."""
    import pytest

    scratch = Path(tempfile.mkdtemp(prefix="netra-pg-"))
    try:
        database = create_database("postgresql", scratch)
    except PostgresUnavailable as error:
        shutil.rmtree(scratch, ignore_errors=True)
        pytest.skip(f"needs PostgreSQL: {error}")
    try:
        yield database
    finally:
        discard_database(database, scratch)
