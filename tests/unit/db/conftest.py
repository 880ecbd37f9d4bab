"""A migrated throw-away SQLite database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from netra_backend.app.auth.users import UserRecord, UserStore
from netra_backend.app.db import Database
from netra_backend.app.plans import Subscription


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'netra.db'}")
    await db.migrate()
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
async def alice(database: Database) -> UserRecord:
    return await UserStore(database).register(
        "alice@example.com", "alice-password", Subscription.FREE
    )


@pytest.fixture
async def bob(database: Database) -> UserRecord:
    return await UserStore(database).register("bob@example.com", "bob-password", Subscription.MID)
