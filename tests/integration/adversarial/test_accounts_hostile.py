"""The accounts API under careless and hostile input: races, case tricks, fuzzed bodies, logs.

Found by this suite (fixed in ``db/session.py``): when a statement failed (database outage,
broken schema), the logged SQLAlchemy error carried the bound parameters, so the server log
held the new user's argon2 password hash and email.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import sqlite3
import uuid
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.golden_path._servers import GoldenPathServer, serving

pytestmark = pytest.mark.integration

PASSWORD = "Sup3r-Secret-pw!-7c1e"


async def test_concurrent_registration_of_case_variants(hostile_server: GoldenPathServer) -> None:
    """Twelve sign-ups of one address in different case/whitespace at once: one 201, eleven 409."""
    tag = uuid.uuid4().hex[:8]
    variants = [f"Race{tag}@Example.com", f"race{tag}@example.com", f"RACE{tag}@EXAMPLE.COM"] * 4
    async with httpx.AsyncClient(base_url=hostile_server.base_url, timeout=60.0) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    "/api/auth/register",
                    json={"email": e, "password": PASSWORD, "subscription": "free"},
                )
                for e in variants
            )
        )
        statuses = collections.Counter(r.status_code for r in responses)
        assert statuses == {201: 1, 409: 11}, [r.text for r in responses]
        assert all(PASSWORD not in r.text for r in responses)
        login = await client.post(
            "/api/auth/login", json={"email": f"  rAcE{tag}@EXAMPLE.com ", "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        [created] = [r for r in responses if r.status_code == 201]
        assert login.json()["user_id"] == created.json()["user_id"]
        assert created.json()["email"] == f"race{tag}@example.com"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/api/auth/register",
            '{"email":"s1@example.com","password":"abcdefgh\\ud800","subscription":"free"}',
        ),
        ("/api/auth/login", '{"email":"s1@example.com","password":"abcdefgh\\ud800"}'),
        (
            "/api/auth/register",
            '{"email":"s\\ud800@example.com","password":"abcdefghij","subscription":"free"}',
        ),
        ("/api/auth/login", '{"email":"s\\udfff@example.com","password":"abcdefghij"}'),
        ("/api/auth/register", '{"email":"a@example.com","password":' + "1" * 5000 + "}"),
        ("/api/auth/register", '{"email":"a@example.com","password":NaN,"subscription":"free"}'),
        ("/api/auth/register", "[" * 5000 + "]" * 5000),
    ],
)
async def test_odd_bodies_get_json_4xx(
    hostile_server: GoldenPathServer, path: str, body: str
) -> None:
    """Lone surrogates, huge numbers and deep arrays: a JSON 4xx, never a 500 or plain text."""
    async with httpx.AsyncClient(base_url=hostile_server.base_url, timeout=30.0) as client:
        response = await client.post(
            path, content=body, headers={"content-type": "application/json"}
        )
    assert 400 <= response.status_code < 500, response.text
    assert set(response.json()["error"]) >= {"code", "message"}


BODY_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
BODIES = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "email": st.one_of(st.emails(), BODY_VALUES),
            "password": st.one_of(
                st.just(PASSWORD), st.text(min_size=8, max_size=300), BODY_VALUES
            ),
            "subscription": st.one_of(
                st.sampled_from(["free", "early", "mid", "enterprise", "FREE", " "]), BODY_VALUES
            ),
            "user_id": BODY_VALUES,
        },
    ),
    BODY_VALUES,
)


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[GoldenPathServer]:
    """One SQLite server shared by every fuzzed example."""
    with serving("sqlite") as server:
        yield server


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.sampled_from(["/api/auth/register", "/api/auth/login"]), body=BODIES)
def test_fuzzed_auth_bodies(fuzz_server: GoldenPathServer, path: str, body: object) -> None:
    """Any JSON body: a documented status, a JSON error shape, and no password echoed back."""
    response = httpx.post(f"{fuzz_server.base_url}{path}", json=body, timeout=30.0)
    allowed = {201, 409, 422} if path.endswith("register") else {200, 401, 422, 429}
    assert response.status_code in allowed, (body, response.status_code, response.text)
    payload = response.json()
    if response.status_code >= 400:
        assert set(payload["error"]) >= {"code", "message"}
        password = body.get("password") if isinstance(body, dict) else None
        if isinstance(password, str) and len(password) >= 8:
            assert password not in response.text, "the submitted password came back"
    else:
        assert payload["token"] and payload["user_id"]


async def test_database_error_logs_no_password_hash(caplog: pytest.LogCaptureFixture) -> None:
    """A failing INSERT is logged with its SQL but without the bound password hash and email."""
    with serving("sqlite") as server:
        database = server.settings.resolved_database_url.split("///", 1)[1]
        connection = sqlite3.connect(database)
        connection.execute("ALTER TABLE users RENAME TO users_gone")  # the next INSERT fails
        connection.commit()
        connection.close()
        email = f"leak-{uuid.uuid4().hex[:8]}@example.com"
        with caplog.at_level(logging.INFO):
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30.0) as client:
                response = await client.post(
                    "/api/auth/register",
                    json={"email": email, "password": PASSWORD, "subscription": "free"},
                )
    assert response.status_code == 503, response.text
    assert PASSWORD not in response.text and "users" not in response.text
    logged = "\n".join(
        record.getMessage()
        + "\n"
        + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        for record in caplog.records
    )
    assert "register a user" in logged, "the failure should be logged"
    assert "$argon2" not in logged, "the password hash reached the log"
    assert PASSWORD not in logged
    assert email not in logged
    assert json.dumps(email) not in logged
