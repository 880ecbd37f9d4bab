"""An import hook that turns imports of removed modules into helpful errors.

The removed paths live in ``removed_modules.toml`` beside this file. Importing one raises
``ModuleNotFoundError`` whose message starts exactly like Python's own
(``No module named '<path>'``), so code and tests matching on that keep working, and then
says what to import instead.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from importlib.resources import files
from types import ModuleType


@dataclass(frozen=True, slots=True)
class RemovedModule:
    """A module path that no longer exists and its canonical replacement."""

    path: str
    replacement: str
    hint: str

    def message(self) -> str:
        """The error text: Python's own first words, then the way forward."""
        return (
            f"No module named '{self.path}': it was removed; import from "
            f"'{self.replacement}' instead ({self.hint})"
        )


@cache
def load_removed_modules() -> dict[str, RemovedModule]:
    """Read the packaged table of removed modules."""
    raw = tomllib.loads(files("netra_backend").joinpath("removed_modules.toml").read_text("utf-8"))
    table: Mapping[str, Mapping[str, str]] = raw.get("removed", {})
    return {
        path: RemovedModule(path, entry["replacement"], entry.get("hint", entry["replacement"]))
        for path, entry in table.items()
    }


class RemovedModuleFinder(MetaPathFinder):
    """Meta-path finder that refuses removed modules with a message naming the replacement."""

    def __init__(self, removed: Mapping[str, RemovedModule]) -> None:
        self.removed = dict(removed)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        entry = self.removed.get(fullname)
        if entry is None:
            return None
        raise ModuleNotFoundError(entry.message(), name=fullname)


def install() -> RemovedModuleFinder:
    """Put the finder first on ``sys.meta_path`` once; return the installed finder."""
    for finder in sys.meta_path:
        if isinstance(finder, RemovedModuleFinder):
            return finder
    finder = RemovedModuleFinder(load_removed_modules())
    sys.meta_path.insert(0, finder)
    return finder


def package_getattr(package: str) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package`` that explains removed submodules.

    ``from package import removed`` looks the name up as an attribute after the import
    system has swallowed the finder's error; this hook raises it again, so that statement form
    also names the replacement. Other missing names stay plain ``AttributeError``.
    """

    def __getattr__(name: str) -> object:
        entry = load_removed_modules().get(f"{package}.{name}")
        if entry is not None:
            raise ModuleNotFoundError(entry.message(), name=entry.path)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
