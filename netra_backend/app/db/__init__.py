"""Storage: the database handle, migrations and the run record.

Public surface: :class:`Database` (engine, sessions, ``migrate``) and :class:`RunStore`.
Database-library exceptions are translated inside this package into ``StorageError`` or
``ConflictError``.
"""

from __future__ import annotations

from netra_backend.app.db.models import Base, Run, User
from netra_backend.app.db.runs import RunStore
from netra_backend.app.db.session import Database

__all__ = ["Base", "Database", "Run", "RunStore", "User"]
