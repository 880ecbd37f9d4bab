"""A user removed from the database loses their open sockets (4401) within seconds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.integration.golden_path._agents import scripted_registry
from tests.integration.golden_path._protocol import ping_barrier
from tests.integration.golden_path._servers import GoldenPathServer, backend_params, serving

pytestmark = pytest.mark.integration

CLOSE_UNAUTHORIZED = 4401


@pytest.fixture(scope="module", params=backend_params())
def recheck_server(request: pytest.FixtureRequest) -> Iterator[GoldenPathServer]:
    """Connected users are checked against the database every 0.2 s."""
    with serving(
        str(request.param), registry=scripted_registry(), user_recheck_seconds=0.2
    ) as server:
        yield server


async def _delete_user(server: GoldenPathServer, user_id: str) -> None:
    # Removed behind the server's back, as an operator's SQL would.
    engine = create_async_engine(server.database.url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": user_id})
    finally:
        await engine.dispose()


async def test_open_sockets_of_a_removed_user_close_4401_and_others_stay(
    recheck_server: GoldenPathServer,
) -> None:
    gone, kept = await recheck_server.create_user(), await recheck_server.create_user()
    async with (
        recheck_server.websocket(gone.token) as tab1,
        recheck_server.websocket(gone.token) as tab2,
        recheck_server.websocket(kept.token) as other,
    ):
        for client in (tab1, tab2, other):
            assert await ping_barrier(client) == []
        await _delete_user(recheck_server, gone.user_id)
        assert await tab1.wait_closed(timeout=30) == CLOSE_UNAUTHORIZED
        assert await tab2.wait_closed(timeout=30) == CLOSE_UNAUTHORIZED
        assert "no longer exists" in (tab1.close_reason or "")
        assert await ping_barrier(other) == []
    async with recheck_server.websocket(gone.token) as again:
        assert await again.wait_closed(timeout=30) == CLOSE_UNAUTHORIZED
