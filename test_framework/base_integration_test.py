"""Base class for integration tests: the SSOT Python API next to a real running app.

Tests take the ``real_services_fixture`` fixture for the app (HTTP/WebSocket) and use these
helpers for the in-process side::

    class TestManager(BaseIntegrationTest):
        async def test_ids(self, real_services_fixture: RealServices) -> None:
            user = await real_services_fixture.create_user()
            context = await self.create_user_context(user.user_id)
"""

from __future__ import annotations

import uuid
from typing import Any

from test_framework.envelopes import (
    CRITICAL_EVENTS,
    assert_run_contract,
    assert_valid_envelope,
)
from test_framework.recording_websocket import RecordingWebSocket
from test_framework.users import unique_email


class BaseIntegrationTest:
    """Helpers for building per-user WebSocket contexts and checking what they send."""

    CRITICAL_EVENTS = CRITICAL_EVENTS

    @staticmethod
    def unique_email(prefix: str = "user") -> str:
        """A fresh email address."""
        return unique_email(prefix)

    @staticmethod
    def new_client_id() -> str:
        """A fresh WebSocket client id."""
        return f"client-{uuid.uuid4().hex[:12]}"

    @staticmethod
    async def create_user_context(
        user_id: str | None = None, websocket_client_id: str | None = None
    ) -> Any:
        """A per-user context from the canonical factory (``create_websocket_manager``)."""
        from netra_backend.app.websocket_core.canonical_imports import (
            create_websocket_manager,
        )

        return await create_websocket_manager(
            user_id=user_id or f"user-{uuid.uuid4().hex[:12]}",
            websocket_client_id=websocket_client_id or BaseIntegrationTest.new_client_id(),
        )

    @staticmethod
    def recording_websocket() -> RecordingWebSocket:
        """A connection double that records the frames a manager sends."""
        return RecordingWebSocket()

    @staticmethod
    def assert_valid_envelope(event: Any) -> None:
        """Fail unless ``event`` is a valid server envelope."""
        assert_valid_envelope(event)

    @staticmethod
    def assert_run_contract(events: list[dict[str, Any]]) -> None:
        """Fail unless ``events`` is one whole completed run."""
        assert_run_contract(events)
