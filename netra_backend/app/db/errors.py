"""The one seam where database-library exceptions become ours.

Everything that talks to the database runs inside :func:`translate_db_errors`; SQLAlchemy,
asyncpg, aiosqlite/sqlite3 and connection-level ``OSError`` failures leave it as
:class:`~netra_backend.app.errors.ConflictError` (a unique constraint was violated) or
:class:`~netra_backend.app.errors.StorageError` (anything else), with the original chained as
``__cause__``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from netra_backend.app.errors import ConflictError, StorageError

FOREIGN_DB_ERRORS: tuple[type[BaseException], ...] = (
    SQLAlchemyError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    sqlite3.Error,
    OSError,
)
"""Exception types :func:`translate_db_errors` maps; nothing of these escapes it."""

_PG_UNIQUE_VIOLATION = "23505"


def is_unique_violation(exc: BaseException) -> bool:
    """Whether ``exc`` (or the driver error it wraps) reports a unique-constraint violation."""
    candidates: list[BaseException] = [exc]
    orig = getattr(exc, "orig", None)
    if isinstance(orig, BaseException):
        candidates.append(orig)
        if orig.__cause__ is not None:
            candidates.append(orig.__cause__)
    for candidate in candidates:
        if isinstance(candidate, asyncpg.UniqueViolationError):
            return True
        if getattr(candidate, "sqlstate", None) == _PG_UNIQUE_VIOLATION:
            return True
        if getattr(candidate, "pgcode", None) == _PG_UNIQUE_VIOLATION:
            return True
        if "UNIQUE constraint failed" in str(candidate):
            return True
    return False


@contextmanager
def translate_db_errors(operation: str, *, on_conflict: str | None = None) -> Iterator[None]:
    """Map foreign database exceptions raised inside the block to ours.

    ``operation`` names what was being done (it goes into ``StorageError``); ``on_conflict``,
    when given, is the ``ConflictError`` message for a unique-constraint violation, which
    otherwise is a ``StorageError`` like any other.
    """
    try:
        yield
    except IntegrityError as exc:
        if on_conflict is not None and is_unique_violation(exc):
            raise ConflictError(on_conflict) from exc
        raise StorageError(operation) from exc
    except FOREIGN_DB_ERRORS as exc:
        raise StorageError(operation) from exc
