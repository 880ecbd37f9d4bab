"""The accounts HTTP API, served by a real uvicorn server and called with httpx.

The app here is only the auth router, the error handlers and real services on a throw-away
SQLite file; the full app is exercised by the integration suite.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from netra_backend.app.auth import (
    LoginThrottle,
    TokenService,
    UserStore,
    bearer_token_from_header,
    router,
)
from netra_backend.app.config import Settings
from netra_backend.app.db import Database, RunStore
from netra_backend.app.errors import TokenError
from netra_backend.app.http_errors import install_error_handlers
from test_framework.inprocess_server import InProcessServer

pytestmark = pytest.mark.unit

T = TypeVar("T")
PASSWORD = "a-good-password"


def _build_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.resolved_database_url)
        await db.migrate()
        app.state.services = SimpleNamespace(
            settings=settings,
            db=db,
            tokens=TokenService(settings.jwt_secret or "", settings.jwt_ttl_seconds),
            users=UserStore(db),
            runs=RunStore(db),
            login_throttle=LoginThrottle.from_limits(
                settings.login_max_failures_per_email,
                settings.login_max_failures_per_address,
                settings.login_window_seconds,
            ),
        )
        try:
            yield
        finally:
            await db.dispose()

    app = FastAPI(lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(router)
    return app


@dataclass
class LiveServer:
    """The in-process server and the services it runs on."""

    handle: InProcessServer
    services: SimpleNamespace

    @property
    def base_url(self) -> str:
        return self.handle.base_url

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the server's loop (where its database engine lives)."""
        return self.handle.call(coro)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir: Path = tmp_path_factory.mktemp("routes")
    settings = Settings(data_dir=data_dir, jwt_secret="k" * 48, jwt_ttl_seconds=600)
    app = _build_app(settings)
    handle = InProcessServer(app)
    handle.start()
    try:
        yield LiveServer(handle, app.state.services)
    finally:
        handle.stop()


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        yield http


def _email() -> str:
    return f"user-{uuid4().hex[:12]}@example.com"


def _register(client: httpx.Client, email: str, subscription: str = "free") -> dict[str, Any]:
    response = client.post(
        "/api/auth/register",
        json={"email": email, "password": PASSWORD, "subscription": subscription},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _error(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json")
    detail: dict[str, Any] = response.json()["error"]
    assert isinstance(detail["code"], str) and isinstance(detail["message"], str)
    return detail


def test_register_returns_201_with_a_working_token(
    client: httpx.Client, server: LiveServer
) -> None:
    email = _email()
    body = _register(client, email.upper(), "enterprise")
    assert body["email"] == email
    assert body["subscription"] == "enterprise"
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 600
    assert server.services.tokens.verify(body["token"]) == body["user_id"]


def test_register_with_a_taken_email_in_another_case_is_409(client: httpx.Client) -> None:
    email = _email()
    _register(client, email)
    response = client.post(
        "/api/auth/register",
        json={"email": email.upper(), "password": PASSWORD, "subscription": "free"},
    )
    assert response.status_code == 409
    error = _error(response)
    assert error["code"] == "conflict"
    # 409 is the contract; the message does not echo the address.
    assert email not in error["message"] and email.upper() not in error["message"]
    assert "@" not in error["message"]


def test_register_with_a_bad_email_is_422_naming_email(client: httpx.Client) -> None:
    response = client.post(
        "/api/auth/register",
        json={"email": "not-an-email", "password": PASSWORD, "subscription": "free"},
    )
    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "invalid_request"
    assert error["fields"] == ["email"]
    assert error["message"].startswith("email: ")


def test_register_with_a_short_password_is_422_without_echoing_it(
    client: httpx.Client,
) -> None:
    secret = "Zq7!xy"
    response = client.post(
        "/api/auth/register",
        json={"email": _email(), "password": secret, "subscription": "free"},
    )
    assert response.status_code == 422
    error = _error(response)
    assert error["fields"] == ["password"]
    assert "at least 8 characters" in error["message"]
    assert secret not in response.text


def test_register_with_an_unknown_subscription_is_422_listing_the_choices(
    client: httpx.Client,
) -> None:
    response = client.post(
        "/api/auth/register",
        json={"email": _email(), "password": PASSWORD, "subscription": "platinum"},
    )
    assert response.status_code == 422
    error = _error(response)
    assert error["fields"] == ["subscription"]
    for tier in ("free", "early", "mid", "enterprise"):
        assert tier in error["message"]


def test_register_with_missing_fields_and_bad_json_is_422(client: httpx.Client) -> None:
    missing = client.post("/api/auth/register", json={"subscription": "free"})
    assert missing.status_code == 422
    assert _error(missing)["fields"] == ["email", "password"]
    assert "email: is required" in _error(missing)["message"]
    broken = client.post(
        "/api/auth/register",
        content=b'{"email": ',
        headers={"content-type": "application/json"},
    )
    assert broken.status_code == 422
    assert _error(broken)["fields"] == ["body"]


def test_login_returns_200_and_a_token_for_the_same_user(client: httpx.Client) -> None:
    email = _email()
    registered = _register(client, email)
    response = client.post("/api/auth/login", json={"email": email.title(), "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == registered["user_id"]
    me = client.get("/api/me", headers=_bearer(body["token"]))
    assert me.json()["user_id"] == registered["user_id"]


def test_login_with_a_wrong_password_or_unknown_email_is_the_same_401(
    client: httpx.Client,
) -> None:
    email = _email()
    _register(client, email)
    wrong = client.post("/api/auth/login", json={"email": email, "password": "not-it-at-all"})
    unknown = client.post("/api/auth/login", json={"email": _email(), "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert _error(wrong) == _error(unknown)
    assert _error(wrong)["message"] == "invalid email or password"
    assert "not-it-at-all" not in wrong.text


def test_me_returns_the_token_owner(client: httpx.Client) -> None:
    email = _email()
    registered = _register(client, email, "mid")
    response = client.get("/api/me", headers=_bearer(registered["token"]))
    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == registered["user_id"]
    assert body["email"] == email
    assert body["subscription"] == "mid"
    assert body["created_at"].endswith(("Z", "+00:00"))


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing bearer token"),
        ({"Authorization": "Basic dXNlcjpwdw=="}, "unsupported authorization scheme"),
        ({"Authorization": "Bearer"}, "holds no token"),
        ({"Authorization": "Bearer not.a.jwt"}, "malformed"),
    ],
)
def test_me_without_a_usable_token_is_401_with_www_authenticate(
    client: httpx.Client, headers: dict[str, str], reason: str
) -> None:
    response = client.get("/api/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    error = _error(response)
    assert error["code"] == "invalid_token"
    assert reason in error["message"]


def test_me_with_an_expired_token_is_401_saying_expired(
    client: httpx.Client, server: LiveServer
) -> None:
    user_id = _register(client, _email())["user_id"]
    stale = server.services.tokens.issue(user_id, now=time.time() - 3600)
    response = client.get("/api/me", headers=_bearer(stale))
    assert response.status_code == 401
    assert "expired" in _error(response)["message"]


def test_me_with_a_token_from_another_secret_is_401(client: httpx.Client) -> None:
    user_id = _register(client, _email())["user_id"]
    forged = TokenService("f" * 48, 600).issue(user_id)
    response = client.get("/api/me", headers=_bearer(forged))
    assert response.status_code == 401
    assert "signature" in _error(response)["message"]


def test_runs_lists_only_the_callers_runs_newest_first(
    client: httpx.Client, server: LiveServer
) -> None:
    alice = _register(client, _email())
    bob = _register(client, _email())
    runs: RunStore = server.services.runs
    for index in range(3):
        server.call(runs.create(f"a-{index}-{uuid4().hex}", alice["user_id"], "triage_agent", {}))
    bob_run = f"b-{uuid4().hex}"
    server.call(runs.create(bob_run, bob["user_id"], "cost_optimizer", {"message": "bill"}))
    server.call(runs.finish(bob_run, "failed", error={"code": "timeout", "message": "slow"}))

    alice_runs = client.get("/api/runs", headers=_bearer(alice["token"])).json()["runs"]
    assert [run["run_id"][:3] for run in alice_runs] == ["a-2", "a-1", "a-0"]
    bob_runs = client.get("/api/runs", headers=_bearer(bob["token"])).json()["runs"]
    assert [run["run_id"] for run in bob_runs] == [bob_run]
    assert bob_runs[0]["status"] == "failed"
    assert bob_runs[0]["error"] == {"code": "timeout", "message": "slow"}
    assert bob_runs[0]["request"] == {"message": "bill"}

    limited = client.get("/api/runs", params={"limit": 1}, headers=_bearer(alice["token"]))
    assert [run["run_id"][:3] for run in limited.json()["runs"]] == ["a-2"]


@pytest.mark.parametrize("limit", ["0", "201", "many"])
def test_runs_with_a_bad_limit_is_422_naming_limit(client: httpx.Client, limit: str) -> None:
    token = _register(client, _email())["token"]
    response = client.get("/api/runs", params={"limit": limit}, headers=_bearer(token))
    assert response.status_code == 422
    assert _error(response)["fields"] == ["limit"]


def test_runs_without_a_token_is_401(client: httpx.Client) -> None:
    response = client.get("/api/runs")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_unknown_path_is_a_json_404(client: httpx.Client) -> None:
    response = client.get("/api/nope")
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


@pytest.mark.parametrize(
    ("value", "token"),
    [("Bearer abc.def.ghi", "abc.def.ghi"), ("bearer   tok  ", "tok"), (" BEARER x", "x")],
)
def test_bearer_token_from_header_extracts_the_token(value: str, token: str) -> None:
    assert bearer_token_from_header(value) == token


@pytest.mark.parametrize("value", [None, "", "   ", "Bearer", "Bearer   ", "Token abc", "abc"])
def test_bearer_token_from_header_rejects_anything_else(value: str | None) -> None:
    with pytest.raises(TokenError):
        bearer_token_from_header(value)
