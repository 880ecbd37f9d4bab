"""import_guard's exceptions: one root, the exit code each one carries.

::

    ImportGuardError                   exit 2 unless stated
    ├── ConfigError                    the ``[tool.import_guard]`` table is missing or wrong
    ├── UsageError (also RuntimeError) the tool was called wrongly (bad path, bad flag value)
    ├── SourceError                    one file could not be read as Python (finding IG900)
    │   ├── DecodeError                its bytes are not text in its declared encoding
    │   └── ParseError                 its text is not Python, in any grammar we know
    ├── InternalError                  a bug of ours met on one file (finding IG901)
    ├── FindingsError                  ``check`` found references (exit 1)
    └── HelpShown                      ``--help`` was printed (exit 0)

Exceptions hold data in attributes and build their sentence in ``__str__``; they are
picklable, because per-file errors travel back from worker processes.
"""

from __future__ import annotations

from typing import Any


class ImportGuardError(Exception):
    """Root of every exception import_guard raises on purpose."""

    exit_code: int = 2

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Subclasses take keyword-free positional data; rebuilding from ``args`` keeps them
        # picklable across ProcessPoolExecutor boundaries.
        return (type(self), self.args)

    # Value equality, so results carrying errors compare equal across process boundaries.
    def __eq__(self, other: object) -> bool:
        return (
            type(self) is type(other) and isinstance(other, Exception) and self.args == other.args
        )

    def __hash__(self) -> int:
        return hash((type(self), self.args))


class ConfigError(ImportGuardError):
    """The configuration is missing or invalid; ``key`` names the offending TOML key."""

    def __init__(self, key: str, reason: str, source: str | None = None) -> None:
        super().__init__(key, reason, source)
        self.key = key
        self.reason = reason
        self.source = source

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        return f"{where}{self.key}: {self.reason}"


class UsageError(ImportGuardError, RuntimeError):
    """The command line or the API was used wrongly."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


class SourceError(ImportGuardError):
    """A file could not be read as Python source; reported as IG900, never raised past the
    runner."""

    def __init__(self, path: str, reason: str, line: int = 1, col: int = 1) -> None:
        super().__init__(path, reason, line, col)
        self.path = path
        self.reason = reason
        self.line = line
        self.col = col

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.reason}"


class DecodeError(SourceError):
    """The file's bytes are not valid text in its declared (or default UTF-8) encoding."""


class ParseError(SourceError):
    """The file's text is not valid Python for this interpreter nor for LibCST's newer grammar."""


class InternalError(ImportGuardError):
    """A bug of ours met while processing one file; that file's result is ``failed`` with
    this error (``traceback`` is the formatted traceback), and the batch goes on."""

    line = 1
    col = 1

    def __init__(self, path: str, reason: str, traceback: str = "") -> None:
        super().__init__(path, reason, traceback)
        self.path = path
        self.reason = reason
        self.traceback = traceback

    def __str__(self) -> str:
        return f"{self.path}: internal error: {self.reason}"


class FindingsError(ImportGuardError):
    """``check`` found ``count`` references to removed modules."""

    exit_code = 1

    def __init__(self, count: int, files: int) -> None:
        super().__init__(count, files)
        self.count = count
        self.files = files

    def __str__(self) -> str:
        plural = "s" if self.count != 1 else ""
        return f"found {self.count} reference{plural} to removed modules in {self.files} file(s)"


class HelpShown(ImportGuardError):
    """``--help`` was printed; not a failure, but still ends the command."""

    exit_code = 0

    def __str__(self) -> str:
        return "help shown"
