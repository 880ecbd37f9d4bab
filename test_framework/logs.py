"""What a server running in the test process logged at ERROR, for "nothing went wrong" checks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


class ErrorLog(logging.Handler):
    """ERROR records logged anywhere in this process (in-process servers run in a thread)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")


@contextmanager
def capture_errors() -> Iterator[ErrorLog]:
    """An :class:`ErrorLog` on the root logger for the ``with`` block."""
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
