"""Find the Python files to scan under the given paths.

Skips version-control and tool directories, virtualenvs (any directory holding
``pyvenv.cfg``), ``node_modules``, ``__pycache__`` and whatever matches an exclude glob
(tested against the path relative to the scanned root and against the bare name). Symlinks
found while walking are not followed, so nothing outside the tree is read; paths given
explicitly are taken as given.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from fnmatch import fnmatch

from import_guard.errors import UsageError

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        "node_modules",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".eggs",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
    }
)
SUFFIXES = (".py", ".pyi")


def _excluded(rel: str, name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch(rel, p) or fnmatch(name, p) for p in patterns)


def _rel(path: str, cut: int) -> str:
    return path[cut:].replace(os.sep, "/")


def _walk(root: str, patterns: Sequence[str]) -> Iterator[str]:
    # Every path below ``root`` starts with this prefix: slicing it off is the relative path
    # (os.path.relpath per entry cost more than the walk itself).
    cut = len(root) if root.endswith(os.sep) else len(root) + len(os.sep)
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir(follow_symlinks=False):
                if entry.name in SKIP_DIRS or (
                    patterns and _excluded(_rel(entry.path, cut), entry.name, patterns)
                ):
                    continue
                if os.path.isfile(os.path.join(entry.path, "pyvenv.cfg")):
                    continue
                stack.append(entry.path)
            elif entry.name.endswith(SUFFIXES) and not (
                patterns and _excluded(_rel(entry.path, cut), entry.name, patterns)
            ):
                yield entry.path


def discover(paths: Sequence[str], exclude: Sequence[str] = ()) -> list[str]:
    """Sorted, de-duplicated files under ``paths``; UsageError for a path that does not exist."""
    found: set[str] = set()
    for path in paths:
        if os.path.isfile(path):
            found.add(os.path.normpath(path))
        elif os.path.isdir(path):
            found.update(_walk(os.path.normpath(path), exclude))
        else:
            raise UsageError(f"{path}: no such file or directory")
    return sorted(found)
