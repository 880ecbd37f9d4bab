"""Which module a file is, and what its relative imports resolve to.

A file's package is found by walking up from its directory while ``__init__.py`` (or
``__init__.pyi``) exists; the topmost such directory is the top-level package. A directory
without ``__init__.py`` is treated as a namespace package named by its path below the
configured root (so relative imports still resolve in PEP 420 layouts).
"""

from __future__ import annotations

import os
from functools import lru_cache


@lru_cache(maxsize=8192)
def _package_of_dir(directory: str, root: str) -> str | None:
    parts: list[str] = []
    d = directory
    while os.path.isfile(os.path.join(d, "__init__.py")) or os.path.isfile(os.path.join(d, "__init__.pyi")):
        parts.append(os.path.basename(d))
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    if parts:
        return ".".join(reversed(parts))
    rel = os.path.relpath(directory, root)
    if rel == ".":
        return ""
    if rel.startswith(".."):
        return None
    segs = rel.split(os.sep)
    return ".".join(segs) if all(s.isidentifier() for s in segs) else None


def module_of(path: str, root: str) -> tuple[str | None, bool]:
    """(dotted module name or None when unknown, whether the file is a package ``__init__``)."""
    path = os.path.abspath(path)
    directory, name = os.path.split(path)
    stem = name.partition(".")[0]
    package = _package_of_dir(directory, os.path.abspath(root))
    if package is None:
        return None, False
    if stem == "__init__":
        return package, True
    return (f"{package}.{stem}" if package else stem), False


def resolve_relative(module: str | None, is_package: bool, level: int, name: str | None) -> str | None:
    """Absolute module for ``from {'.' * level}{name} import ...`` written in ``module``."""
    if level == 0:
        return name
    if module is None:
        return None
    package = module if is_package else module.rpartition(".")[0]
    parts = package.split(".") if package else []
    if level - 1 > len(parts) or (level - 1 == len(parts) and not name):
        return None
    base = parts[: len(parts) - (level - 1)]
    if name:
        base.append(name)
    return ".".join(base) if base else None


def resolve_dynamic(arg: str, package: str | None) -> str | None:
    """Absolute module for ``importlib.import_module(arg, package)``; None if unresolvable."""
    if not arg.startswith("."):
        return arg
    if not package:
        return None
    level = len(arg) - len(arg.lstrip("."))
    return resolve_relative(package, True, level, arg[level:] or None)
