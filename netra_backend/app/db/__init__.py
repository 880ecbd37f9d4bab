"""Storage: the database handle, migrations and the run record.

Public surface: :class:`Database` (engine, sessions, ``migrate``), :class:`RunStore`, and the
event log (:class:`EventLogWriter`, the one writer; :class:`EventStore`, its reads).
Database-library exceptions are translated inside this package into ``StorageError`` or
``ConflictError``.
"""

from __future__ import annotations

from netra_backend.app.db.batching import BatchLoader
from netra_backend.app.db.eventlog import (
    EventLogWriter,
    EventStore,
    LoggedEvent,
    RunRecords,
    lease_deadline,
)
from netra_backend.app.db.models import Base, Run, RunStatus, User
from netra_backend.app.db.runs import RunStore
from netra_backend.app.db.session import Database

__all__ = [
    "Base",
    "BatchLoader",
    "Database",
    "EventLogWriter",
    "EventStore",
    "LoggedEvent",
    "Run",
    "RunRecords",
    "RunStatus",
    "RunStore",
    "User",
    "lease_deadline",
]
