"""A stand-in for a client connection that records what the server side sends.

The SSOT manager accepts "anything with ``async send_text(str)``"; this double is the point
where a test wants to see the exact frames a manager emits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RecordingWebSocket:
    """Records every text frame; ``events`` decodes them as JSON."""

    frames: list[str] = field(default_factory=list)
    closed: bool = False

    async def send_text(self, data: str) -> None:
        """Record one text frame."""
        if self.closed:
            raise RuntimeError("send_text on a closed RecordingWebSocket")
        self.frames.append(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Mark the connection closed; later sends fail like a gone client's would."""
        self.closed = True

    @property
    def events(self) -> list[dict[str, Any]]:
        """The recorded frames, decoded."""
        return [json.loads(frame) for frame in self.frames]
