"""Login throttling over real HTTP: 429 with Retry-After after the limit, per email and per
address, the same for unknown emails, reset by a success."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from test_framework.users import TEST_PASSWORD, unique_email
from tests.integration.golden_path._servers import GoldenPathServer, serving

pytestmark = pytest.mark.integration

PER_EMAIL = 3
PER_ADDRESS = 6
WRONG = "not-the-password"


@pytest.fixture(scope="module")
def email_server() -> Iterator[GoldenPathServer]:
    # A high address limit, so these tests (all from 127.0.0.1) only meet the email limit.
    with serving(
        "sqlite", login_max_failures_per_email=PER_EMAIL, login_max_failures_per_address=1000
    ) as server:
        yield server


@pytest.fixture
def address_server() -> Iterator[GoldenPathServer]:
    with serving(
        "sqlite",
        login_max_failures_per_email=PER_EMAIL,
        login_max_failures_per_address=PER_ADDRESS,
    ) as server:
        yield server


async def _login(server: GoldenPathServer, email: str, password: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30.0) as http:
        return await http.post("/api/auth/login", json={"email": email, "password": password})


async def test_login_throttle_429_after_the_email_limit(email_server: GoldenPathServer) -> None:
    user = await email_server.create_user()
    statuses = [(await _login(email_server, user.email, WRONG)).status_code for _ in range(4)]
    assert statuses == [401] * PER_EMAIL + [429]
    refused = await _login(email_server, user.email.upper(), TEST_PASSWORD)  # even the right one
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 300
    error = refused.json()["error"]
    assert error["code"] == "too_many_attempts"
    assert (
        error["message"]
        == f"too many failed logins; try again in {refused.headers['Retry-After']} s"
    )


async def test_login_throttle_same_answers_for_an_unknown_email(
    email_server: GoldenPathServer,
) -> None:
    user = await email_server.create_user()
    known = [await _login(email_server, user.email, WRONG) for _ in range(4)]
    unknown_email = unique_email("nobody")
    unknown = [await _login(email_server, unknown_email, WRONG) for _ in range(4)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown]
    assert [r.json()["error"]["code"] for r in known] == [
        r.json()["error"]["code"] for r in unknown
    ]
    assert known[0].json() == unknown[0].json()
    assert set(known[-1].headers) >= {"retry-after"} and set(unknown[-1].headers) >= {"retry-after"}


async def test_login_throttle_success_resets_the_email(email_server: GoldenPathServer) -> None:
    user = await email_server.create_user()
    for _ in range(PER_EMAIL - 1):
        assert (await _login(email_server, user.email, WRONG)).status_code == 401
    assert (await _login(email_server, user.email, TEST_PASSWORD)).status_code == 200
    statuses = [
        (await _login(email_server, user.email, WRONG)).status_code for _ in range(PER_EMAIL)
    ]
    assert statuses == [401] * PER_EMAIL


async def test_login_throttle_parallel_guesses_get_no_more_than_the_limit(
    email_server: GoldenPathServer,
) -> None:
    user = await email_server.create_user()
    responses = await asyncio.gather(*(_login(email_server, user.email, WRONG) for _ in range(10)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [401] * PER_EMAIL + [429] * (10 - PER_EMAIL)


async def test_login_throttle_429_after_the_address_limit(
    address_server: GoldenPathServer,
) -> None:
    for _ in range(PER_ADDRESS):
        assert (await _login(address_server, unique_email("spray"), WRONG)).status_code == 401
    refused = await _login(address_server, unique_email("spray"), WRONG)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_attempts"
