"""pytest fixtures giving tests a real Netra app on a free port with a throw-away database.

* ``real_services_fixture`` (session): the app on PostgreSQL when pytest runs with
  ``--real-services`` (skipped, naming PostgreSQL, when it is unreachable), else on SQLite.
* ``real_services_all_backends`` (session, parametrised): the same app once on SQLite and once
  on PostgreSQL, for suites that must hold on both.

Each backend's app is started at most once per session and shared; tests keep apart by
registering their own users (unique emails). Everything is torn down at session end: the
server thread stops, the PostgreSQL database is dropped, the data directory is removed.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from test_framework.databases import (
    BACKENDS,
    PostgresUnavailable,
    ThrowawayDatabase,
    create_database,
    discard_database,
)
from test_framework.inprocess_server import InProcessServer, create_netra_app
from test_framework.users import TestUser, register_or_login
from test_framework.websocket_helpers import WebSocketTestClient


@dataclass(eq=False)
class RealServices:
    """A running app and its database, as handed to a test."""

    base_url: str
    ws_url: str
    database_url: str
    backend: str
    data_dir: Path
    redis_url: str | None = None

    async def create_user(self, email: str | None = None, subscription: str = "free") -> TestUser:
        """Register a user (a unique email unless given; logs in when it exists)."""
        return await register_or_login(self.base_url, email=email, subscription=subscription)

    def websocket(self, token: str | None) -> WebSocketTestClient:
        """A client for this app's ``/api/ws`` with ``token`` (use ``async with``)."""
        return WebSocketTestClient(self.ws_url, token)


@dataclass(eq=False)
class _Started:
    services: RealServices
    server: InProcessServer
    database: ThrowawayDatabase


@dataclass(eq=False)
class AppPool:
    """Starts each backend's app on first use and stops them all at ``close()``."""

    started: dict[str, _Started] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)

    def get(self, backend: str) -> RealServices:
        """The running app for ``backend``; ``pytest.skip`` when its database is unreachable."""
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        if backend in self.unavailable:
            pytest.skip(self.unavailable[backend])
        if backend not in self.started:
            self.started[backend] = self._start(backend)
        return self.started[backend].services

    def _start(self, backend: str) -> _Started:
        data_dir = Path(tempfile.mkdtemp(prefix=f"netra-{backend}-"))
        try:
            database = create_database(backend, data_dir)
        except PostgresUnavailable as error:
            shutil.rmtree(data_dir, ignore_errors=True)
            self.unavailable[backend] = f"needs PostgreSQL: {error}"
            pytest.skip(self.unavailable[backend])
        try:
            server = InProcessServer(create_netra_app(data_dir, database.url))
            server.start()
        except BaseException:
            discard_database(database, data_dir)
            raise
        services = RealServices(
            base_url=server.base_url,
            ws_url=server.ws_url,
            database_url=database.url,
            backend=backend,
            data_dir=data_dir,
        )
        return _Started(services, server, database)

    def close(self) -> None:
        """Stop every app and drop every database, even when one of them fails."""
        errors: list[BaseException] = []
        for started in self.started.values():
            try:
                started.server.stop()
            except BaseException as error:  # re-raised after cleanup
                errors.append(error)
            finally:
                discard_database(started.database, started.services.data_dir)
        self.started.clear()
        if errors:
            raise errors[0]


@pytest.fixture(scope="session")
def netra_app_pool() -> Iterator[AppPool]:
    """The session's apps, one per database backend, started lazily."""
    pool = AppPool()
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="session")
def real_services_fixture(request: pytest.FixtureRequest, netra_app_pool: AppPool) -> RealServices:
    """A real app on a free port: PostgreSQL with ``--real-services``, SQLite otherwise."""
    backend = "postgresql" if request.config.getoption("--real-services") else "sqlite"
    return netra_app_pool.get(backend)


@pytest.fixture(
    scope="session",
    params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.real_services)],
)
def real_services_all_backends(
    request: pytest.FixtureRequest, netra_app_pool: AppPool
) -> RealServices:
    """The real app once per backend (SQLite, PostgreSQL); PostgreSQL skips when unreachable."""
    return netra_app_pool.get(str(request.param))
