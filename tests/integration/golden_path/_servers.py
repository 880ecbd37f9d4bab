"""Real Netra servers with special settings, for the Golden Path integration tests.

``serving(backend, ...)`` starts ``create_app(Settings(...), registry=...)`` under uvicorn in a
background thread (``test_framework.inprocess_server``), on a port bound before uvicorn starts
(no race for a "free" port), with a throw-away database (a SQLite file, or a fresh PostgreSQL
database ``netra_t_<hex>`` dropped afterwards). It returns once ``/api/health`` answers 200,
and on exit sets ``server.should_exit`` and waits for the thread, so the app's shutdown runs.

The shared framework fixture (``real_services_all_backends``) covers default settings; this
module is for what it cannot do: tiny frame and rate limits, a short agent timeout, a known
JWT secret, scripted agents.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest

from netra_backend.app.agents.registry import AgentRegistry
from netra_backend.app.config import Settings
from netra_backend.app.main import create_app
from test_framework.databases import (
    PostgresUnavailable,
    ThrowawayDatabase,
    create_database,
    discard_database,
    run_sync,
)
from test_framework.inprocess_server import InProcessServer
from test_framework.server import wait_healthy
from test_framework.urls import ws_url_for
from test_framework.users import TestUser, register_or_login
from test_framework.websocket_helpers import WebSocketTestClient


@dataclass(eq=False)
class GoldenPathServer:
    """A running app as a test sees it: URLs, backend, settings and helpers."""

    base_url: str
    ws_url: str
    backend: str
    settings: Settings
    jwt_secret: str
    database: ThrowawayDatabase

    async def create_user(self, email: str | None = None, subscription: str = "free") -> TestUser:
        """Register a user through the HTTP API (a unique email unless given)."""
        return await register_or_login(self.base_url, email=email, subscription=subscription)

    def create_user_sync(self, email: str | None = None, subscription: str = "free") -> TestUser:
        """:meth:`create_user` for synchronous (module- or session-scoped) fixtures."""
        return run_sync(self.create_user(email, subscription))

    def websocket(self, token: str | None, **kwargs: Any) -> WebSocketTestClient:
        """A client of this server's ``/api/ws`` (use ``async with``)."""
        return WebSocketTestClient(self.ws_url, token, **kwargs)

    def sign_token(self, claims: dict[str, Any], secret: str | None = None) -> str:
        """An HS256 JWT with ``claims``, signed with the server's secret unless told otherwise."""
        return jwt.encode(claims, secret or self.jwt_secret, algorithm="HS256")


@contextmanager
def serving(
    backend: str,
    *,
    registry: AgentRegistry | None = None,
    ws_max_size: int | None = None,
    **settings: Any,
) -> Iterator[GoldenPathServer]:
    """A real server on ``backend`` with ``settings`` overrides; stopped and cleaned up after.

    ``ws_max_size`` is uvicorn's own frame limit (default: 16 MiB, so the app's
    ``ws_max_message_bytes`` check is what answers). Skips, naming PostgreSQL, when it is
    unreachable.
    """
    data_dir = Path(tempfile.mkdtemp(prefix=f"netra-gp-{backend}-"))
    database: ThrowawayDatabase | None = None
    thread: InProcessServer | None = None
    try:
        try:
            database = create_database(backend, data_dir)
        except PostgresUnavailable as error:
            pytest.skip(f"needs PostgreSQL: {error}")
        secret = settings.pop("jwt_secret", None) or secrets.token_urlsafe(48)
        config = Settings(
            data_dir=data_dir, database_url=database.url, jwt_secret=secret, **settings
        )
        thread = InProcessServer(create_app(config, registry=registry))
        if ws_max_size is not None:
            thread.ws_max_size = ws_max_size
        thread.start()
        base_url = thread.base_url
        wait_healthy(base_url, timeout=30.0)
        yield GoldenPathServer(
            base_url=base_url,
            ws_url=ws_url_for(base_url),
            backend=backend,
            settings=config,
            jwt_secret=secret,
            database=database,
        )
    finally:
        try:
            if thread is not None:
                thread.stop()
        finally:
            if database is not None:
                discard_database(database, data_dir)
            else:
                shutil.rmtree(data_dir, ignore_errors=True)


def backend_params() -> list[Any]:
    """``[sqlite, postgresql]`` as pytest params; PostgreSQL marked ``real_services``."""
    return [pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.real_services)]
