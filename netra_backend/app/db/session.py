"""The database handle: engine, sessions, migrations.

``Database(url)`` works for ``sqlite+aiosqlite:///path`` (the directory must exist: the data
directory is made, private, by :func:`netra_backend.app.data_dir.prepare_data_dir`; WAL
and foreign keys are switched on for every connection) and ``postgresql+asyncpg://...``.
Database-library exceptions never leave this package: :meth:`Database.session` and
:meth:`Database.migrate` translate them (see :mod:`.errors`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from netra_backend.app.db.errors import translate_db_errors

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
"""Alembic's ``script_location``: shipped inside the package, no ``alembic.ini`` needed."""


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic ``Config`` for this package's migrations, built in code."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if url is not None:
        # ConfigParser treats '%' as interpolation; escape it for URLs with encoded passwords.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets readers proceed while a writer commits; SQLite leaves FKs off by default.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        # In WAL mode NORMAL loses no committed transaction on a process crash (only, possibly,
        # the last ones on a power cut or OS crash), and saves an fsync per commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    # The log writer's commits would otherwise run SQLite's checkpoints (and their fsyncs)
    # every 1,000 pages, stalling every run in flight; :meth:`Database.checkpoint` does it
    # off that path instead.
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


def json_dumps(value: Any) -> str:
    """JSON columns' serializer: orjson (its refusals, such as ints over 64 bits, via json)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value)


MIGRATION_LOCK = 0x6E65747261  # "netra": the advisory lock key every instance migrates under
MIGRATION_SECONDS = 600.0
"""Longest one migration statement may take (beyond the wait for the lock)."""


def _upgrade_head(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


class Database:
    """An async engine plus session factory for one database URL.

    ``log_engine`` (PostgreSQL) or ``log_sync_engine`` (SQLite) is a second engine with one
    connection, for the event log's single writer: its batches never wait behind HTTP
    requests in the pool, nor they behind it. On
    PostgreSQL every connection has a connect timeout and a statement timeout, so a database
    that hangs answers with ``StorageError`` quickly instead of hanging every caller.
    """

    def __init__(
        self, url: str, *, connect_timeout: float = 5.0, statement_timeout: float = 10.0
    ) -> None:
        self.url = make_url(url)
        self._connect_timeout = connect_timeout
        is_sqlite = self.url.get_backend_name() == "sqlite"
        # SQLite has one writer at a time; with several pooled connections, concurrent
        # transactions fight over the file lock and, under load, fail with "database is
        # locked". One connection makes them queue in the pool instead, in order.
        pool: dict[str, Any] = (
            {"pool_size": 1, "max_overflow": 0, "pool_timeout": 30.0}
            if is_sqlite
            else {
                "pool_pre_ping": True,
                "pool_timeout": connect_timeout,
                "connect_args": {"timeout": connect_timeout, "command_timeout": statement_timeout},
            }
        )
        # hide_parameters: a failed statement's error (which gets logged) must not carry its
        # bound values, such as a new user's password hash or a run's request.
        pool["json_serializer"] = json_dumps
        self.engine: AsyncEngine = create_async_engine(self.url, hide_parameters=True, **pool)
        # The log writer's own connection. On SQLite a plain (synchronous) engine, driven from
        # one worker thread a whole batch at a time: aiosqlite would hop threads per statement.
        self.log_engine: AsyncEngine | None = None
        self.log_sync_engine: Engine | None = None
        if is_sqlite:
            self.log_sync_engine = create_engine(
                self.url.set(drivername="sqlite"),
                hide_parameters=True,
                pool_size=1,
                max_overflow=0,
                pool_timeout=30.0,
                json_serializer=json_dumps,
            )
            event.listen(self.engine.sync_engine, "connect", _sqlite_on_connect)
            event.listen(self.log_sync_engine, "connect", _sqlite_on_connect)
            event.listen(self.log_sync_engine, "connect", _no_autocheckpoint)
        else:
            self.log_engine = create_async_engine(
                self.url, hide_parameters=True, **{**pool, "pool_size": 1, "max_overflow": 0}
            )
        self.sessionmaker: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        """The backend's name: ``sqlite`` or ``postgresql``."""
        return self.url.get_backend_name()

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"

    async def migrate(self, *, lock_timeout: float = 300.0) -> None:
        """Bring the schema to the newest revision (``alembic upgrade head``).

        On PostgreSQL the upgrade runs under a transaction-scoped advisory lock, so instances
        started together migrate once: the first runs the migrations, the others wait (up to
        ``lock_timeout`` seconds, not the statement timeout) and then find nothing to do.
        """
        if self.dialect != "postgresql":
            with translate_db_errors("migrate the schema"):
                async with self.engine.begin() as conn:
                    await conn.run_sync(_upgrade_head)
            return
        # A connection of its own: the pool's connections carry asyncpg's client-side
        # command_timeout (the statement timeout), which would cut the wait for the lock, or
        # a long migration, short and stop this instance from starting.
        engine = create_async_engine(
            self.url,
            hide_parameters=True,
            poolclass=NullPool,
            connect_args={
                "timeout": self._connect_timeout,
                "command_timeout": lock_timeout + MIGRATION_SECONDS,
            },
        )
        try:
            with translate_db_errors("migrate the schema"):
                async with engine.begin() as conn:
                    await conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
                    await conn.exec_driver_sql(
                        f"SET LOCAL lock_timeout = '{int(lock_timeout * 1000)}ms'"
                    )
                    await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                    await conn.run_sync(_upgrade_head)
        finally:
            await engine.dispose()

    @asynccontextmanager
    async def session(
        self, operation: str, *, on_conflict: str | None = None
    ) -> AsyncIterator[AsyncSession]:
        """A session in a transaction, committed on success; database errors translated.

        ``operation`` names the work for ``StorageError``; ``on_conflict`` is the
        ``ConflictError`` message for a unique-constraint violation.
        """
        with translate_db_errors(operation, on_conflict=on_conflict):
            async with self.sessionmaker() as session, session.begin():
                yield session

    async def checkpoint(self) -> None:
        """SQLite: copy the write-ahead log back into the database file (a no-op elsewhere).

        PASSIVE: never waits for, nor blocks, the log writer.
        """
        if self.dialect != "sqlite":
            return
        with translate_db_errors("checkpoint the write-ahead log"):
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    async def dispose(self) -> None:
        """Close every pooled connection."""
        with translate_db_errors("close the connection pool"):
            if self.log_engine is not None:
                await self.log_engine.dispose()
            if self.log_sync_engine is not None:
                self.log_sync_engine.dispose()
            await self.engine.dispose()
