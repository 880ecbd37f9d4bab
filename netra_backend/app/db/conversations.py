"""A conversation's earlier turns, read from the run records.

A turn is a *completed* run of the conversation: its ``request.message`` and its
``result.reply``. Nothing else is stored: the run record commits with (or before) the run's
``agent_completed``, so a turn exists exactly when its run completed, and a cancelled or
failed run (one cut off in the middle of a tool call, say) is no turn and cannot leave half a
tool exchange in the history.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select

from netra_backend.app.db.models import Run, RunStatus
from netra_backend.app.db.session import Database


@dataclass(frozen=True, slots=True)
class Turn:
    """One finished exchange: what the user said and what the agent replied."""

    message: str
    reply: str


class ConversationStore:
    """Reads a user's conversation history; every read is scoped to one user."""

    def __init__(
        self, db: Database, *, before_read: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        # before_read: the log writer's flush, so the previous turn's queued finish is in.
        self._db = db
        self._before_read = before_read

    async def recent_turns(
        self, user_id: str, conversation_id: str, *, limit: int = 50
    ) -> list[Turn]:
        """The newest ``limit`` completed turns of the conversation, oldest first."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        if self._before_read is not None:
            await self._before_read()
        operation = f"read conversation of user {user_id!r}"
        async with self._db.session(operation) as session:
            rows = await session.execute(
                select(Run.request, Run.result)
                .where(
                    Run.user_id == user_id,
                    Run.conversation_id == conversation_id,
                    Run.status == RunStatus.COMPLETED.value,
                )
                .order_by(Run.started_at.desc(), Run.id.desc())
                .limit(limit)
            )
            turns = []
            for request, result in rows:
                message = (request or {}).get("message")
                reply = (result or {}).get("reply")
                if isinstance(message, str) and isinstance(reply, str):
                    turns.append(Turn(message, reply))
        turns.reverse()
        return turns
