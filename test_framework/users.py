"""Test users: register through the real HTTP API, or log in when the email is taken."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from netra_backend.app.plans import Subscription
from test_framework.urls import http_url_for

# Fixed so that "the same email again" logs in to the same account on the same server.
TEST_PASSWORD = "netra-Test-passw0rd-2024"
SUBSCRIPTIONS = tuple(tier.value for tier in Subscription)


@dataclass(frozen=True, slots=True)
class TestUser:
    """A user of a running server, with a valid bearer token."""

    __test__ = False  # not a pytest test class despite the name

    email: str
    user_id: str
    token: str
    subscription: str
    password: str = TEST_PASSWORD

    @property
    def auth_headers(self) -> dict[str, str]:
        """``Authorization: Bearer <token>`` for HTTP and WebSocket requests."""
        return {"Authorization": f"Bearer {self.token}"}


class UserSetupError(AssertionError):
    """The server refused to register or log in a test user."""

    def __init__(self, action: str, status: int, body: str) -> None:
        super().__init__(action, status, body)
        self.action = action
        self.status = status
        self.body = body

    def __str__(self) -> str:
        return f"{self.action} failed with HTTP {self.status}: {self.body[:500]}"


def unique_email(prefix: str = "user") -> str:
    """A fresh address, so tests never collide on one server."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


async def register_or_login(
    base_url: str,
    *,
    email: str | None = None,
    subscription: str = "free",
    password: str = TEST_PASSWORD,
) -> TestUser:
    """Register ``email`` on the server at ``base_url``; when it exists (409), log in instead."""
    if subscription not in SUBSCRIPTIONS:
        raise ValueError(f"subscription must be one of {SUBSCRIPTIONS}, got {subscription!r}")
    address = email or unique_email()
    async with httpx.AsyncClient(timeout=30.0) as client:
        response = await client.post(
            http_url_for(base_url, "/api/auth/register"),
            json={"email": address, "password": password, "subscription": subscription},
        )
        if response.status_code == 201:
            return _user_from(response.json(), address, subscription, password)
        if response.status_code != 409:
            raise UserSetupError("register " + address, response.status_code, response.text)
        response = await client.post(
            http_url_for(base_url, "/api/auth/login"),
            json={"email": address, "password": password},
        )
        if response.status_code != 200:
            raise UserSetupError("login " + address, response.status_code, response.text)
        return _user_from(response.json(), address, subscription, password)


def _user_from(body: dict[str, Any], address: str, subscription: str, password: str) -> TestUser:
    """The test user described by a register or login answer."""
    return TestUser(
        email=body.get("email", address),
        user_id=str(body["user_id"]),
        token=body["token"],
        subscription=body.get("subscription", subscription),
        password=password,
    )
