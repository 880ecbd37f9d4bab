"""Load and validate the ``[tool.import_guard]`` table into a frozen :class:`Config`.

Schema::

    [tool.import_guard]
    exclude = ["glob", ...]                      # optional, added to the built-in excludes
    [tool.import_guard.removed."old.module"]
    replacement = "new.module"                   # required
    [tool.import_guard.removed."old.module".names]
    Gone = { removed = "why, and what to do" }   # stays in place, reported as IG002
    Moved = { moved_to = "pkg.mod" }             # imported from pkg.mod under the same name
    Renamed = { moved_to = "pkg.mod:NewName" }   # imported as ``NewName as Renamed``

``to`` is accepted as a short spelling of ``moved_to``.

Every error names the key that is wrong.
"""

from __future__ import annotations

import keyword
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from import_guard.errors import ConfigError

_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_TOP_KEYS = frozenset({"removed", "exclude"})
_MODULE_KEYS = frozenset({"replacement", "names"})
_NAME_KEYS = frozenset({"removed", "moved_to", "to"})


@dataclass(frozen=True, slots=True)
class NameRule:
    """What became of one name of a removed module.

    ``removed`` is set (a hint) when the name has no replacement; otherwise the name lives in
    ``module`` as ``new_name``.
    """

    name: str
    module: str | None = None
    new_name: str | None = None
    removed: str | None = None


@dataclass(frozen=True, slots=True)
class RemovedModule:
    """One removed module, the module that replaces it, and the names that went elsewhere."""

    module: str
    replacement: str
    names: dict[str, NameRule] = field(default_factory=dict)

    @property
    def last_segment(self) -> str:
        return self.module.rpartition(".")[2]


@dataclass(frozen=True, slots=True)
class Config:
    """The validated configuration; ``root`` is the directory the table was found in."""

    removed: dict[str, RemovedModule]
    root: Path
    exclude: tuple[str, ...] = ()
    source: str | None = None

    def segments(self) -> frozenset[str]:
        """Last name segments of the removed modules: what the byte pre-filter looks for."""
        return frozenset(r.last_segment for r in self.removed.values())


def _key(*parts: str) -> str:
    return ".".join(p if _IDENT.match(p) else f'"{p}"' for p in parts)


def _dotted(value: Any, key: str, source: str | None) -> str:
    if not isinstance(value, str) or not _DOTTED.match(value):
        raise ConfigError(key, f"expected a dotted module name, got {value!r}", source)
    # A keyword segment (``class.d``) can never be imported, and the fixer would write it.
    bad = [seg for seg in value.split(".") if keyword.iskeyword(seg)]
    if bad:
        raise ConfigError(key, f"{bad[0]!r} is a Python keyword, not a module name", source)
    return value


def _parse_name(module: str, name: str, raw: Any, source: str | None) -> NameRule:
    key = _key("tool", "import_guard", "removed", module, "names", name)
    if not _IDENT.match(name) or keyword.iskeyword(name):
        raise ConfigError(key, "a name must be a Python identifier", source)
    if not isinstance(raw, dict):
        raise ConfigError(
            key, 'expected a table such as { removed = "..." } or { moved_to = "pkg.mod" }', source
        )
    unknown = sorted(set(raw) - _NAME_KEYS)
    if unknown:
        raise ConfigError(
            f"{key}.{unknown[0]}", "unknown key (expected 'removed' or 'moved_to')", source
        )
    if len(raw) != 1:
        raise ConfigError(key, "give exactly one of 'removed' or 'moved_to'", source)
    if "removed" in raw:
        hint = raw["removed"]
        if not isinstance(hint, str):
            raise ConfigError(f"{key}.removed", f"expected a string, got {hint!r}", source)
        return NameRule(name=name, removed=hint)
    spelled = "moved_to" if "moved_to" in raw else "to"
    target = raw[spelled]
    if not isinstance(target, str):
        raise ConfigError(
            f"{key}.{spelled}", f"expected 'pkg.mod' or 'pkg.mod:Name', got {target!r}", source
        )
    mod, _, new = target.partition(":")
    _dotted(mod, f"{key}.{spelled}", source)
    if ":" in target and (not _IDENT.match(new) or keyword.iskeyword(new)):
        raise ConfigError(f"{key}.{spelled}", f"{new!r} is not an identifier", source)
    return NameRule(name=name, module=mod, new_name=new or name)


def parse_config(table: Any, root: Path, source: str | None = None) -> Config:
    """Validate the ``[tool.import_guard]`` table (a dict) and build a :class:`Config`."""
    if not isinstance(table, dict):
        raise ConfigError("tool.import_guard", "expected a table", source)
    unknown = sorted(set(table) - _TOP_KEYS)
    if unknown:
        raise ConfigError(f"tool.import_guard.{unknown[0]}", "unknown key", source)
    exclude = table.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(g, str) for g in exclude):
        raise ConfigError("tool.import_guard.exclude", "expected a list of glob strings", source)
    removed_raw = table.get("removed")
    if not isinstance(removed_raw, dict) or not removed_raw:
        raise ConfigError(
            "tool.import_guard.removed", "expected a table with at least one module", source
        )
    removed: dict[str, RemovedModule] = {}
    for module, entry in removed_raw.items():
        key = _key("tool", "import_guard", "removed", module)
        _dotted(module, key, source)
        if not isinstance(entry, dict):
            raise ConfigError(key, "expected a table", source)
        unknown = sorted(set(entry) - _MODULE_KEYS)
        if unknown:
            raise ConfigError(
                f"{key}.{unknown[0]}", "unknown key (expected 'replacement' or 'names')", source
            )
        if "replacement" not in entry:
            raise ConfigError(
                f"{key}.replacement", "missing: every removed module needs a replacement", source
            )
        replacement = _dotted(entry["replacement"], f"{key}.replacement", source)
        if replacement == module or replacement.startswith(module + "."):
            raise ConfigError(
                f"{key}.replacement", "a removed module cannot be replaced by itself", source
            )
        names_raw = entry.get("names", {})
        if not isinstance(names_raw, dict):
            raise ConfigError(f"{key}.names", "expected a table of names", source)
        names = {n: _parse_name(module, n, raw, source) for n, raw in names_raw.items()}
        removed[module] = RemovedModule(module=module, replacement=replacement, names=names)
    for rm in removed.values():
        targets = [
            (f"{_key('tool', 'import_guard', 'removed', rm.module)}.replacement", rm.replacement)
        ]
        targets += [
            (
                f"{_key('tool', 'import_guard', 'removed', rm.module, 'names', n.name)}.moved_to",
                n.module,
            )
            for n in rm.names.values()
            if n.module
        ]
        for key, target in targets:
            for other in removed:
                if target == other or target.startswith(other + "."):
                    raise ConfigError(
                        key, f"{target!r} points into the removed module {other!r}", source
                    )
    return Config(removed=removed, root=root, exclude=tuple(exclude), source=source)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("(file)", f"not valid TOML: {exc}", str(path)) from None
    except UnicodeDecodeError as exc:  # tomllib decodes the whole file as UTF-8 first
        raise ConfigError("(file)", f"not valid TOML (TOML is UTF-8): {exc}", str(path)) from None
    except OSError as exc:
        raise ConfigError("(file)", f"cannot read: {exc.strerror}", str(path)) from None


def _table(data: dict[str, Any], source: str) -> Any:
    """The ``[tool.import_guard]`` value, or None; ``tool = 3`` is an error naming ``tool``."""
    tool = data.get("tool")
    if tool is None:
        return None
    if not isinstance(tool, dict):
        raise ConfigError("tool", "expected a table", source)
    return tool.get("import_guard")


def load_config_file(path: Path) -> Config:
    """Load ``--config FILE``: a TOML file holding the ``[tool.import_guard]`` table."""
    data = _read_toml(path)
    table = _table(data, str(path))
    if table is None:
        raise ConfigError("tool.import_guard", "table not found", str(path))
    return parse_config(table, path.resolve().parent, str(path))


def find_config(start: Path) -> Config:
    """Walk up from ``start`` to the first ``pyproject.toml`` holding ``[tool.import_guard]``."""
    here = start.resolve()
    if not here.is_dir():
        here = here.parent
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            data = _read_toml(candidate)
            table = _table(data, str(candidate))
            if table is not None:
                return parse_config(table, directory, str(candidate))
    raise ConfigError("tool.import_guard", f"no pyproject.toml with this table found above {start}")
