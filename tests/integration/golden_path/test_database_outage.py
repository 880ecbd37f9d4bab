"""When the database goes away, clients get clear answers, not hangs or silent drops."""

from __future__ import annotations

import httpx
import pytest

from test_framework.databases import drop_postgres_database
from tests.integration.golden_path._agents import scripted_registry
from tests.integration.golden_path._servers import serving

pytestmark = [pytest.mark.integration, pytest.mark.real_services]

CLOSE_TRY_AGAIN = 1013


async def test_handshake_during_a_database_outage_closes_1013_and_http_answers_503() -> None:
    with serving("postgresql", registry=scripted_registry()) as server:
        user = await server.create_user()
        await drop_postgres_database(server.database)  # a real outage: the database is gone
        async with server.websocket(user.token) as client:
            assert await client.wait_closed(timeout=30) == CLOSE_TRY_AGAIN
            assert "try again" in (client.close_reason or "")
            assert client.received == []
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            response = await http.get("/api/me", headers=user.auth_headers)
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "storage_error"
