"""The record of every agent run: who asked, what, and how it ended."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update

from netra_backend.app.db.models import TERMINAL_STATUSES, Run, RunStatus, utcnow
from netra_backend.app.db.session import Database
from netra_backend.app.errors import NotFoundError

INTERRUPTED = {"code": "interrupted", "message": "the server stopped before the run finished"}


def run_to_dict(run: Run) -> dict[str, Any]:
    """The JSON-ready view of a run, timestamps as ISO 8601 UTC strings."""
    return {
        "run_id": run.id,
        "agent": run.agent,
        "status": run.status,
        "request": run.request,
        "result": run.result,
        "error": run.error,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


class RunStore:
    """Creates, finishes and lists runs; every read is scoped to one user."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, run_id: str, user_id: str, agent: str, request: dict[str, Any]) -> None:
        """Record a run as ``running``, started now."""
        async with self._db.session(
            f"create run {run_id!r}", on_conflict=f"run {run_id!r} exists already"
        ) as session:
            session.add(
                Run(
                    id=run_id,
                    user_id=user_id,
                    agent=agent,
                    request=request,
                    status=RunStatus.RUNNING,
                    started_at=utcnow(),
                    conversation_id=request.get("conversation_id"),
                )
            )

    async def finish(
        self,
        run_id: str,
        status: str,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        """Record how a run ended: ``completed`` with ``result`` or ``failed`` with ``error``.

        Raises ``ValueError`` for a non-terminal status and ``NotFoundError`` when no run has
        that id.
        """
        if status not in TERMINAL_STATUSES:
            raise ValueError(f"status must be one of {sorted(TERMINAL_STATUSES)}, got {status!r}")
        operation = f"finish run {run_id!r}"
        async with self._db.session(operation) as session:
            outcome = await session.execute(
                update(Run)
                .where(Run.id == run_id)
                .values(status=status, result=result, error=error, finished_at=utcnow())
            )
            found = getattr(outcome, "rowcount", 0)
        if found != 1:
            raise NotFoundError(f"cannot {operation}: no such run")

    async def settle_interrupted(self, started_before: datetime | None = None) -> int:
        """Mark runs still ``running`` as failed with code ``interrupted``; return how many.

        With ``started_before``, only runs that started earlier are settled.
        """
        return len(await self.claim_orphans(started_before=started_before))

    async def claim_orphans(
        self, *, started_before: datetime | None = None, lease_lapsed: bool = False
    ) -> list[dict[str, Any]]:
        """Settle runs a dead server left ``running`` as failed (``interrupted``); return them.

        For runs whose server died before they ended (a crash, SIGKILL, a power cut). With
        ``lease_lapsed``, only runs whose lease ran out (no live instance refreshes it); with
        ``started_before``, only runs that started earlier. One ``UPDATE ... RETURNING``, so
        when several instances look at once each orphan is claimed by exactly one of them.
        Returns ``{run_id, user_id, agent, request_id}`` of each.
        """
        condition: ColumnElement[bool] = Run.status == RunStatus.RUNNING.value
        now = utcnow()
        if lease_lapsed:
            # A run recorded before leases existed has none: it counts once it is old enough.
            unleased: ColumnElement[bool] = Run.lease_expires_at.is_(None)
            if started_before is not None:
                unleased = unleased & (Run.started_at < started_before)
            condition = (Run.status == RunStatus.RUNNING.value) & (
                (Run.lease_expires_at < now) | unleased
            )
        elif started_before is not None:
            condition = condition & (Run.started_at < started_before)
        async with self._db.session("settle interrupted runs") as session:
            rows = await session.execute(
                update(Run)
                .where(condition)
                .values(
                    status=RunStatus.FAILED.value,
                    error=INTERRUPTED,
                    finished_at=now,
                    lease_expires_at=None,
                )
                .returning(Run.id, Run.user_id, Run.agent, Run.request)
            )
            return [
                {
                    "run_id": run_id,
                    "user_id": user_id,
                    "agent": agent,
                    "request_id": (request or {}).get("request_id"),
                }
                for run_id, user_id, agent, request in rows
            ]

    async def list_for_user(self, user_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """The user's runs, newest first, at most ``limit`` of them."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        async with self._db.session(f"list runs of user {user_id!r}") as session:
            rows = await session.scalars(
                select(Run)
                .where(Run.user_id == user_id)
                .order_by(Run.started_at.desc(), Run.id.desc())
                .limit(limit)
            )
            return [run_to_dict(run) for run in rows]

    async def get(self, user_id: str, run_id: str) -> dict[str, Any] | None:
        """One run, or ``None`` when it does not exist or belongs to someone else."""
        async with self._db.session(f"read run {run_id!r}") as session:
            run = await session.scalar(select(Run).where(Run.id == run_id, Run.user_id == user_id))
            return run_to_dict(run) if run is not None else None
