"""The records import_guard's stages pass along, in one module every stage imports.

Extraction records (what a parser found, with exact spans) come from either extractor
(:mod:`import_guard.extract`, :mod:`import_guard.extract_cst`); findings and per-file results
come out of the checker and the runner. Keeping them here, apart from the code that makes
them, is what lets the two extractors import each other's records without a cycle.
"""

from __future__ import annotations

import ast
import enum
import re
from dataclasses import dataclass, field
from typing import TypeVar

from import_guard.errors import InternalError, SourceError


@dataclass(frozen=True, slots=True)
class Alias:
    """One ``name [as asname]`` of an import statement; ``start``/``end`` span all of it."""

    name: str
    asname: str | None
    start: int
    end: int
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class ImportStmt:
    """An ``import`` or ``from ... import`` statement.

    ``module``/``level`` are the raw ``from`` target (``None`` for ``from . import x``);
    ``module_start``/``module_end`` span its dots and name. ``top_level`` is true for
    statements directly in the module body (the only ones the fixer may merge or delete).
    """

    is_from: bool
    module: str | None
    level: int
    aliases: tuple[Alias, ...]
    star: bool
    start: int
    end: int
    module_start: int
    module_end: int
    line: int
    col: int
    end_line: int
    top_level: bool


@dataclass(frozen=True, slots=True)
class DynamicImport:
    """``importlib.import_module("lit")`` or ``__import__("lit")`` with a literal first argument.

    ``fromlist`` holds the literal names of ``__import__(..., fromlist=[...])``: each may be
    a submodule, as in ``from lit import name``.
    """

    arg: str
    arg_start: int
    arg_end: int
    package: str | None
    line: int
    col: int
    end_line: int
    fromlist: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AttrChain:
    """A dotted expression equal to a removed module (``a.b.c``) or to a name bound to one, and
    the attribute read from it; ``attr_end`` is where that attribute access ends."""

    dotted: str
    start: int
    end: int
    attr: str | None
    attr_end: int | None = None


@dataclass(frozen=True, slots=True)
class Extraction:
    """Everything the checker and the fixer need from one file.

    ``barriers`` are the first lines of top-level statements that are not imports: the
    fixer never moves an import across one (code between may use the name). ``root_uses``
    are first segments of removed modules used as names other than at the start of a
    removed module's dotted chain (``a`` in ``a.b.other``).
    """

    imports: tuple[ImportStmt, ...]
    dynamic: tuple[DynamicImport, ...]
    chains: tuple[AttrChain, ...]
    grammar: str
    barriers: tuple[int, ...] = ()
    root_uses: frozenset[str] = frozenset()
    # The whole file's ``ast`` tree (None from LibCST or a parse of some statements only),
    # kept for a second walk; not compared.
    tree: ast.Module | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Finding:
    """One reported problem; ``line``/``col`` (1-based) are where the statement or call starts."""

    path: str
    line: int
    col: int
    end_line: int
    code: str
    message: str
    module: str | None = None
    names: tuple[str, ...] = ()
    replacement: str | None = None
    fixable: bool = False


class Mode(enum.Enum):
    CHECK = "check"
    FIX = "fix"
    DIFF = "diff"


class Status(enum.Enum):
    FIXED = "fixed"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class FileResult:
    """What happened to one file. ``findings`` are those left after the run (for ``fix``:
    what could not be fixed); ``diff`` is set in diff mode and for fixed files (unless the
    run was asked for no diffs, as the CLI's ``fix`` asks)."""

    path: str
    status: Status
    findings: tuple[Finding, ...] = ()
    reason: str | None = None
    error: SourceError | InternalError | None = None
    diff: str | None = None


# The calls a dynamic import is spelled with, whatever object they are reached through.
IMPORT_FUNCS = frozenset({"import_module", "__import__"})

# ``from`` <module with optional dots> ``import``; module text never holds comments or strings.
_FROM_MODULE = re.compile(
    r"from(?:[ \t\f]|\\(?:\r\n|\r|\n))+(.*?)(?:[ \t\f]|\\(?:\r\n|\r|\n))*import\b", re.DOTALL
)


def from_module_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Span of the dots and dotted name between ``from`` and ``import`` in text[start:end]."""
    m = _FROM_MODULE.match(text, start, end)
    if m is None:  # pragma: no cover - both parsers already accepted the statement
        raise ValueError("not a from-import")
    return m.start(1), m.end(1)


_T = TypeVar("_T", ImportStmt, DynamicImport)


def ordered(items: list[_T]) -> tuple[_T, ...]:
    """Source order (ast.walk is breadth-first, LibCST depth-first)."""
    return tuple(sorted(items, key=lambda i: (i.line, i.col)))
