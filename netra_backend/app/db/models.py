"""SQLAlchemy 2 declarative models: ``users``, ``runs`` and the event log (``events``,
``event_cursors``).

Timestamps are stored as UTC and always come back timezone-aware, on SQLite (which keeps no
offset) as on PostgreSQL (``timestamptz``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar
from uuid import uuid4

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class RunStatus(StrEnum):
    """Every status a run can have; ``running`` until the runtime records the terminal event."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


RUN_STATUSES: tuple[str, ...] = tuple(RunStatus)
TERMINAL_STATUSES: frozenset[str] = frozenset(RUN_STATUSES) - {RunStatus.RUNNING}
_STATUS_CHECK = "status IN ({})".format(", ".join(f"'{s}'" for s in RUN_STATUSES))

# Deterministic constraint names so migrations (and their downgrades) can refer to them.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def new_user_id() -> str:
    """A fresh user id: a uuid4 as 32 hex digits."""
    return uuid4().hex


class UTCDateTime(TypeDecorator[datetime]):
    """A ``DateTime(timezone=True)`` that refuses naive input and returns aware UTC values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # SQLite hands back what was stored (UTC) without an offset.
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base; its ``metadata`` is what the migrations build."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class User(Base):
    """An account. ``email`` is stored lower-cased, so uniqueness is case-insensitive."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_user_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(512))
    subscription: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Run(Base):
    """One agent run: who asked, what, and how it ended."""

    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_user_id_started_at", "user_id", "started_at"),
        Index("ix_runs_user_id_conversation_id", "user_id", "conversation_id", "started_at"),
        CheckConstraint(_STATUS_CHECK, name="status"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    agent: Mapped[str] = mapped_column(String(128))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="running")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    """While ``running``: the instance running it refreshes this; lapsed means it died."""
    conversation_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    """The conversation the run is a turn of (``agent_request.conversation_id``), if any."""


class Event(Base):
    """One envelope of a user's event log, stored as the exact text that was sent.

    No foreign key to ``users``: the log is written in batches, and one row of a deleted user
    must not fail everybody's batch.
    """

    __tablename__ = "events"
    # No index on run_id: random keys made it the costliest part of an insert (8 of 16 us per
    # event, measured); a run's events are found through the (user_id, seq) key instead.
    __table_args__ = (Index("ix_events_created_at", "created_at"),)

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    run_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    body: Mapped[str] = mapped_column(Text)


class EventCursor(Base):
    """The last ``seq`` given to a user's event: survives trimming, so numbers never restart."""

    __tablename__ = "event_cursors"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)
