"""Base class for end-to-end tests through the public HTTP and WebSocket API.

The server is ``NETRA_BASE_URL`` when set; otherwise the framework starts one for the test
session (see :mod:`test_framework.e2e_fixtures`). Subclasses are plain pytest test classes::

    class TestGoldenPath(BaseE2ETest):
        async def test_run(self) -> None:
            user = await self.create_test_user(subscription="early")
            async with self.websocket(user) as ws:
                ...
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from test_framework.urls import http_url_for, ws_url_for
from test_framework.users import TestUser, register_or_login
from test_framework.websocket_helpers import Event, WebSocketTestClient


class BaseE2ETest:
    """Helpers bound to the session's server: users, URLs, WebSocket clients, agent runs."""

    base_url: str = ""

    @pytest.fixture(autouse=True)
    def _bind_netra_server(self, netra_base_url: str) -> None:
        self.base_url = netra_base_url

    @property
    def ws_url(self) -> str:
        """``ws(s)://HOST/api/ws`` of the server under test."""
        return ws_url_for(self.base_url)

    def http_url(self, path: str) -> str:
        """The absolute URL of ``path`` on the server under test."""
        return http_url_for(self.base_url, path)

    async def create_test_user(
        self, email: str | None = None, subscription: str = "free"
    ) -> TestUser:
        """Register a user (unique email unless given); the same email again logs in."""
        return await register_or_login(self.base_url, email=email, subscription=subscription)

    def websocket(self, user: TestUser | str | None) -> WebSocketTestClient:
        """A client for ``/api/ws`` authenticated as ``user`` (a user, a raw token, or None)."""
        token = user.token if isinstance(user, TestUser) else user
        return WebSocketTestClient(self.ws_url, token)

    def http_client(self, user: TestUser | None = None) -> httpx.AsyncClient:
        """An HTTP client for the server, with ``user``'s bearer header when given."""
        headers = user.auth_headers if user is not None else None
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=30.0)

    async def run_agent(
        self,
        user: TestUser,
        agent: str,
        message: str,
        *,
        context: dict[str, Any] | None = None,
        request_id: str | None = None,
        timeout: float = 60.0,
    ) -> list[Event]:
        """Connect as ``user``, request one run, and return its events through the terminal one."""
        async with self.websocket(user) as client:
            await client.request_agent(agent, message, context=context, request_id=request_id)
            return await client.receive_run(timeout=timeout)
