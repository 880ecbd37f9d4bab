"""Which module a file is, and what its relative imports resolve to.

A file's package is found by walking up from its directory while ``__init__.py`` (or
``__init__.pyi``) exists; the topmost such directory is the top-level package. Directories
above it (up to the configured root) have no ``__init__.py``: they are either PEP 420
namespace packages or merely where the import root lies (``src/``), which cannot be told
from the tree, so both names are candidates and a relative import is a reference when any
of its resolutions names a removed module.
"""

from __future__ import annotations

import os
from functools import lru_cache


@lru_cache(maxsize=16384)
def _is_package(directory: str) -> bool:
    # Cached apart: the walk up from every directory of a tree asks about the same parents.
    return os.path.isfile(os.path.join(directory, "__init__.py")) or os.path.isfile(
        os.path.join(directory, "__init__.pyi")
    )


@lru_cache(maxsize=8192)
def _packages_of_dir(directory: str, root: str) -> tuple[str, ...] | None:
    """Every dotted name the package in ``directory`` may have, longest first.

    Regular packages (``__init__.py``) name themselves up to the topmost one. Directories
    above that, up to ``root``, may be PEP 420 namespace packages (``ns/pkg/__init__.py``
    is ``ns.pkg``) or just where the import root lies (``src/pkg/__init__.py`` is ``pkg``):
    both are candidates. ``("",)`` is the root itself; None when nothing can be said.
    """
    parts: list[str] = []
    d = directory
    while _is_package(d):
        parts.append(os.path.basename(d))
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    parts.reverse()
    rel = os.path.relpath(d, root)
    prefix: list[str] = []
    if rel != "." and not rel.startswith(".."):
        segs = rel.split(os.sep)
        if all(s.isidentifier() for s in segs):
            prefix = segs
    full = prefix + parts
    if not full:
        return ("",) if rel == "." else None
    # Drop leading namespace segments one by one, keeping at least one segment.
    return tuple(".".join(full[i:]) for i in range(min(len(prefix), len(full) - 1) + 1))


def package_key(directory: str, root: str) -> str:
    """What a file's names depend on besides its own name, as one string: the dotted names
    of the package in ``directory`` (absolute), for the cache."""
    packages = _packages_of_dir(directory, root)
    return "?" if packages is None else "|".join(packages)


def module_names(path: str, root: str) -> tuple[tuple[str, ...], bool]:
    """(every dotted name the file may be imported as, longest first; whether it is a package
    ``__init__``)."""
    path = os.path.abspath(path)
    directory, name = os.path.split(path)
    stem = name.partition(".")[0]
    packages = _packages_of_dir(directory, os.path.abspath(root))
    if packages is None:
        return (), False
    if stem == "__init__":
        return tuple(p for p in packages if p), True
    return tuple(f"{p}.{stem}" if p else stem for p in packages), False


def module_of(path: str, root: str) -> tuple[str | None, bool]:
    """(dotted module name or None when unknown, whether the file is a package ``__init__``)."""
    names, is_package = module_names(path, root)
    return (names[0] if names else None), is_package


def resolve_relative(
    module: str | None, is_package: bool, level: int, name: str | None
) -> str | None:
    """Absolute module for ``from {'.' * level}{name} import ...`` written in ``module``.

    None when it cannot be resolved, including a relative import beyond the top-level
    package (an ImportError at run time, not a reference to anything).
    """
    if level == 0:
        return name
    if module is None:
        return None
    package = module if is_package else module.rpartition(".")[0]
    parts = package.split(".") if package else []
    if level - 1 >= len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    if name:
        base.append(name)
    return ".".join(base)


def resolve_relative_all(
    modules: tuple[str, ...], is_package: bool, level: int, name: str | None
) -> list[str]:
    """:func:`resolve_relative` for each name the file may have (see :func:`module_names`)."""
    if level == 0:
        return [name] if name else []
    out = []
    for module in modules:
        absolute = resolve_relative(module, is_package, level, name)
        if absolute is not None and absolute not in out:
            out.append(absolute)
    return out


def resolve_dynamic(arg: str, package: str | None) -> str | None:
    """Absolute module for ``importlib.import_module(arg, package)``; None if unresolvable."""
    if not arg.startswith("."):
        return arg
    if not package:
        return None
    level = len(arg) - len(arg.lstrip("."))
    return resolve_relative(package, True, level, arg[level:] or None)
