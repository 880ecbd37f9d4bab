"""Accounts over real HTTP: register, login and ``/api/me``, their errors and their JSON bodies."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest

from test_framework.real_services_test_fixtures import RealServices
from tests.integration.golden_path._servers import GoldenPathServer

pytestmark = pytest.mark.integration

PASSWORD = "Correct-Horse-9-battery"


@pytest.fixture
async def http(real_services_all_backends: RealServices) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the framework's app (SQLite, then PostgreSQL)."""
    async with httpx.AsyncClient(
        base_url=real_services_all_backends.base_url, timeout=30.0
    ) as client:
        yield client


def _email(prefix: str = "acct") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    """The ``{"error": {"code", "message"}}`` body of an error response with ``status``."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/json"), response.headers
    error: dict[str, Any] = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    return error


async def _register(
    http: httpx.AsyncClient, email: str, subscription: str = "free"
) -> httpx.Response:
    return await http.post(
        "/api/auth/register",
        json={"email": email, "password": PASSWORD, "subscription": subscription},
    )


# --- register ----------------------------------------------------------------------------


@pytest.mark.parametrize("subscription", ["free", "early", "mid", "enterprise"])
async def test_register_returns_201_with_user_and_token(
    http: httpx.AsyncClient, subscription: str
) -> None:
    email = _email()
    response = await _register(http, email, subscription)
    assert response.status_code == 201, response.text
    body = response.json()
    assert {"user_id", "email", "subscription", "token"} <= set(body)
    assert body["email"] == email and body["subscription"] == subscription
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert claims["sub"] == body["user_id"]
    assert claims["exp"] > time.time()
    assert PASSWORD not in response.text


async def test_register_stores_email_lower_cased(http: httpx.AsyncClient) -> None:
    email = _email("MiXeD").replace("example.com", "Example.COM")
    response = await _register(http, email)
    assert response.status_code == 201, response.text
    assert response.json()["email"] == email.lower()


async def test_register_duplicate_email_in_any_case_is_409(http: httpx.AsyncClient) -> None:
    email = _email("dup")
    assert (await _register(http, email)).status_code == 201
    for variant in (email, email.upper(), email.capitalize()):
        error = _error(await _register(http, variant), 409)
        assert error["code"] == "conflict"
        assert PASSWORD not in error["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD, "subscription": "free"}, "email"),
        ({"email": "a@", "password": PASSWORD, "subscription": "free"}, "email"),
        ({"email": "", "password": PASSWORD, "subscription": "free"}, "email"),
        ({"password": PASSWORD, "subscription": "free"}, "email"),
        ({"email": "@@ok@example.com", "password": "Sh0rt!x", "subscription": "free"}, "password"),
        ({"email": "ok@example.com", "password": "Sh0rt!x", "subscription": "free"}, "password"),
        ({"email": "ok@example.com", "subscription": "free"}, "password"),
        ({"email": "ok@example.com", "password": 123456789, "subscription": "free"}, "password"),
        (
            {"email": "ok@example.com", "password": PASSWORD, "subscription": "platinum"},
            "subscription",
        ),
        ({"email": "ok@example.com", "password": PASSWORD, "subscription": 3}, "subscription"),
    ],
)
async def test_register_invalid_body_is_422_naming_the_field_without_echoing_password(
    http: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    error = _error(await http.post("/api/auth/register", json=body), 422)
    assert field in error["message"], error
    assert field in error.get("fields", [field]), error
    password = body.get("password")
    if isinstance(password, str):
        response_text = str(error)
        assert password not in response_text, f"the password came back: {response_text}"


async def test_register_malformed_json_is_422(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/api/auth/register", content=b"{not json", headers={"content-type": "application/json"}
    )
    _error(response, 422)


# --- login -------------------------------------------------------------------------------


async def test_login_returns_token_for_same_user_in_any_email_case(http: httpx.AsyncClient) -> None:
    email = _email("login")
    registered = (await _register(http, email, "mid")).json()
    for variant in (email, email.upper()):
        response = await http.post("/api/auth/login", json={"email": variant, "password": PASSWORD})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["user_id"] == registered["user_id"]
        me = await http.get("/api/me", headers={"Authorization": f"Bearer {body['token']}"})
        assert me.status_code == 200 and me.json()["user_id"] == registered["user_id"]


async def test_login_wrong_password_and_unknown_email_are_401_with_same_message(
    http: httpx.AsyncClient,
) -> None:
    email = _email("login401")
    assert (await _register(http, email)).status_code == 201
    wrong = "Wrong-Password-123"
    bad_password = await http.post("/api/auth/login", json={"email": email, "password": wrong})
    unknown = await http.post(
        "/api/auth/login", json={"email": _email("nobody"), "password": PASSWORD}
    )
    first, second = _error(bad_password, 401), _error(unknown, 401)
    assert first == second, "the two failures must not be told apart"
    assert wrong not in bad_password.text and PASSWORD not in unknown.text
    assert bad_password.headers.get("www-authenticate", "").lower().startswith("bearer")


# --- /api/me -----------------------------------------------------------------------------


async def test_me_with_token_returns_the_user(http: httpx.AsyncClient) -> None:
    email = _email("me")
    registered = (await _register(http, email, "early")).json()
    response = await http.get("/api/me", headers={"Authorization": f"Bearer {registered['token']}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user_id"] == registered["user_id"]
    assert body["email"] == email and body["subscription"] == "early"
    assert body["created_at"]
    assert "password" not in response.text.lower()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer garbage"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
    ids=["none", "empty-bearer", "garbage", "basic"],
)
async def test_me_without_valid_token_is_401(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await http.get("/api/me", headers=headers)
    _error(response, 401)
    assert response.headers.get("www-authenticate", "").lower().startswith("bearer")


async def test_me_with_expired_or_foreign_token_is_401(scripted_server: GoldenPathServer) -> None:
    user = await scripted_server.create_user()
    now = int(time.time())
    expired = scripted_server.sign_token(
        {"sub": user.user_id, "iat": now - 7200, "exp": now - 3600}
    )
    foreign = scripted_server.sign_token(
        {"sub": user.user_id, "iat": now, "exp": now + 600},
        secret="not-the-server-secret-but-long-enough-0123456789",
    )
    async with httpx.AsyncClient(base_url=scripted_server.base_url, timeout=30.0) as http:
        ok = await http.get("/api/me", headers=user.auth_headers)
        assert ok.status_code == 200
        expired_error = _error(
            await http.get("/api/me", headers={"Authorization": f"Bearer {expired}"}), 401
        )
        assert "expired" in expired_error["message"]
        _error(await http.get("/api/me", headers={"Authorization": f"Bearer {foreign}"}), 401)
