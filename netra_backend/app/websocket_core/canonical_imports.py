"""THE public import surface of the WebSocket core (single source of truth).

Import from here and nowhere else::

    from netra_backend.app.websocket_core.canonical_imports import (
        create_websocket_manager, WebSocketManagerProtocol, UnifiedWebSocketManager)
"""

from netra_backend.app.websocket_core.context import UserWebSocketContext, create_websocket_manager
from netra_backend.app.websocket_core.events import (
    CRITICAL_EVENTS,
    TERMINAL_EVENTS,
    Envelope,
    EventSequence,
    EventType,
    build_envelope,
)
from netra_backend.app.websocket_core.hub import UserEventHub
from netra_backend.app.websocket_core.manager import UnifiedWebSocketManager
from netra_backend.app.websocket_core.protocol import TextSender, WebSocketManagerProtocol

__all__ = [
    "CRITICAL_EVENTS",
    "TERMINAL_EVENTS",
    "Envelope",
    "EventSequence",
    "EventType",
    "TextSender",
    "UnifiedWebSocketManager",
    "UserEventHub",
    "UserWebSocketContext",
    "WebSocketManagerProtocol",
    "build_envelope",
    "create_websocket_manager",
]
