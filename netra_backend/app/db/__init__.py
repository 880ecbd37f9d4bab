"""Storage: the database handle, migrations and the run record.

Public surface: :class:`Database` (engine, sessions, ``migrate``) and :class:`RunStore`.
Database-library exceptions are translated inside this package into ``StorageError`` or
``ConflictError``.
"""

from __future__ import annotations

from netra_backend.app.db.models import RUN_STATUSES, Base, Run, User
from netra_backend.app.db.runs import RunStore
from netra_backend.app.db.session import Database

__all__ = ["Base", "Database", "RUN_STATUSES", "Run", "RunStore", "User"]
