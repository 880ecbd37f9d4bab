"""One run at a time per conversation: a second request while one is going is refused.

Two runs on one conversation at once would each read the same history and race their
replies into it, so the runtime refuses the second with ``conversation_busy``. The locks
are per (user, conversation): two users' conversations never share a lock, whatever their
ids. They live in this process; in Redis mode two requests reaching different instances are
not refused (the history stays correct, read from the shared run records).
"""

from __future__ import annotations

from netra_backend.app.errors import ProtocolError
from netra_backend.app.websocket_core.codes import ErrorCode


class ConversationLocks:
    """Which (user, conversation) pairs have a run in flight, and which run holds each."""

    def __init__(self) -> None:
        self._holders: dict[tuple[str, str], str] = {}

    def ensure_free(self, user_id: str, conversation_id: str | None) -> None:
        """Raise ``conversation_busy`` when the conversation has a run in flight."""
        if conversation_id is None:
            return
        holder = self._holders.get((user_id, conversation_id))
        if holder is not None:
            raise ProtocolError(
                ErrorCode.CONVERSATION_BUSY,
                f"conversation {conversation_id!r} has a run in flight ({holder}); wait for "
                "it to end or cancel it",
            )

    def acquire(self, user_id: str, conversation_id: str | None, run_id: str) -> None:
        """Mark the conversation taken by ``run_id`` (after :meth:`ensure_free` passed)."""
        if conversation_id is not None:
            self._holders[(user_id, conversation_id)] = run_id

    def release(self, user_id: str, conversation_id: str | None, run_id: str) -> None:
        """Free the conversation if ``run_id`` holds it; safe to call twice."""
        if conversation_id is not None and self._holders.get((user_id, conversation_id)) == run_id:
            del self._holders[(user_id, conversation_id)]

    def busy(self) -> int:
        """How many conversations have a run in flight."""
        return len(self._holders)
