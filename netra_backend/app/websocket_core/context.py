"""Per-connection contexts and the canonical factory ``create_websocket_manager``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from netra_backend.app.errors import ManagerMisuseError
from netra_backend.app.websocket_core.events import EventSequence
from netra_backend.app.websocket_core.manager import UnifiedWebSocketManager


@dataclass(eq=False)
class UserWebSocketContext:
    """One connection's view of the core: whose it is, which client, and its manager.

    ``eq=False`` keeps identity semantics: two contexts are never "equal" by value, so no
    lookup can mistake one user's context for another's.
    """

    user_id: str
    websocket_client_id: str
    websocket_manager: UnifiedWebSocketManager
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


async def create_websocket_manager(
    *,
    user_id: str,
    websocket_client_id: str,
    sequence: EventSequence | None = None,
) -> UserWebSocketContext:
    """Create a new context (and manager) for one connection of one user.

    Every call returns a new object. Pass ``sequence`` to number this connection's events
    together with the user's other connections (the server does; see ``hub``); contexts of
    different users never share one.
    """
    for name, value in (("user_id", user_id), ("websocket_client_id", websocket_client_id)):
        if not isinstance(value, str) or not value.strip():
            raise ManagerMisuseError(f"{name} must be a non-empty string, got {value!r}")
    manager = UnifiedWebSocketManager(user_id, sequence=sequence)
    return UserWebSocketContext(
        user_id=user_id, websocket_client_id=websocket_client_id, websocket_manager=manager
    )
