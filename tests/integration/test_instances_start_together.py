"""Three ``netra serve`` processes started at the same moment on one fresh PostgreSQL database
all come up: the migrations run once, under an advisory lock, while the others wait."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from test_framework.databases import ThrowawayDatabase, fresh_postgres
from test_framework.server import ServerProcess, start_server

pytestmark = [pytest.mark.integration, pytest.mark.real_services]

INSTANCES = 3


@pytest.fixture
def fresh_database() -> Iterator[ThrowawayDatabase]:
    with fresh_postgres() as database:
        yield database


def test_instances_started_together_on_a_fresh_database_all_come_up(
    fresh_database: ThrowawayDatabase,
) -> None:
    with ThreadPoolExecutor(INSTANCES) as pool:
        starts = [
            pool.submit(start_server, database_url=fresh_database.url) for _ in range(INSTANCES)
        ]
        servers: list[ServerProcess] = []
        errors: list[BaseException] = []
        for start in starts:
            try:
                servers.append(start.result())
            except BaseException as error:  # every instance is stopped below either way
                errors.append(error)
    try:
        assert not errors, errors
        # One schema for all: an account made through one instance logs in through another.
        email = "together@example.com"
        made = httpx.post(
            f"{servers[0].base_url}/api/auth/register",
            json={"email": email, "password": "correct horse battery", "subscription": "free"},
        )
        assert made.status_code == 201, made.text
        for server in servers[1:]:
            login = httpx.post(
                f"{server.base_url}/api/auth/login",
                json={"email": email, "password": "correct horse battery"},
            )
            assert login.status_code == 200, login.text
        for server in servers:
            assert "migrate the schema" not in server.log_text()
    finally:
        for server in servers:
            server.stop()
