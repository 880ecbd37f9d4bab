"""The incremental cache: a file whose content was checked before is not read as Python again.

Each entry is keyed by the file's absolute path and the SHA-256 of its bytes, and holds the result
``check`` gave for them, with the names the file's package position gives it (adding an
``__init__.py`` above a file changes what its relative imports mean). All entries of one
configuration live in one JSON file under the user's cache directory
(``$IMPORT_GUARD_CACHE_DIR``, else ``$XDG_CACHE_HOME/import_guard``, else
``~/.cache/import_guard``), named by a hash of everything else a result depends on: the
tool's version, the Python version (its grammar decides what parses), the configuration and
the pre-filter switch. A new version or a changed config so starts from an empty cache.

To find a file's hash without reading it, an entry also keeps the file's ``stat`` signature
(size, mtime, ctime, inode), as git's index does; it is trusted only for files whose mtime
was at least :data:`RACY_SECONDS` old when they were read, so a file rewritten within the
same clock tick as a run is hashed again next time. Files whose signature changed are read
and hashed; a matching hash still reuses the result.

Writes are atomic (a temporary file in the cache directory, then ``os.replace``), so runs that
overlap never see half a file; the last writer wins, merged with what was on disk when it
started writing. A missing, unreadable or malformed cache file counts as empty.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from import_guard._version import __version__
from import_guard.config import Config
from import_guard.errors import DecodeError, ParseError, SourceError
from import_guard.files import write_atomic
from import_guard.records import FileResult, Finding, Status

FORMAT = 2
RACY_SECONDS = 2
MAX_ENTRIES = 200_000
_ERRORS: dict[str, type[SourceError]] = {
    c.__name__: c for c in (SourceError, DecodeError, ParseError)
}


def default_cache_dir() -> Path:
    """``$IMPORT_GUARD_CACHE_DIR``, else ``$XDG_CACHE_HOME/import_guard``, else
    ``~/.cache/import_guard``."""
    explicit = os.environ.get("IMPORT_GUARD_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "import_guard"


def digest(data: bytes) -> str:
    """The content key of a file's bytes (SHA-256 is the fastest hash here, with SHA-NI)."""
    return hashlib.sha256(data).hexdigest()[:32]


def namespace(config: Config, prefilter: bool) -> str:
    """A name for everything besides a file's content and place that its result depends on."""
    key = repr(
        (
            FORMAT,
            __version__,
            sys.version_info[:2],
            str(config.root),
            sorted((m, repr(r)) for m, r in config.removed.items()),
            config.exclude,
            prefilter,
        )
    )
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def stat_signature(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


# Most files are skipped by the pre-filter: their result is stored as this one word.
_SKIPPED = "skipped"
_SKIP_REASON = "no mention of a removed module"


def _encode(result: FileResult) -> Any:
    if result.status is Status.SKIPPED and result.reason == _SKIP_REASON:
        return _SKIPPED
    err = result.error
    return [
        result.status.value,
        [
            [f.line, f.col, f.end_line, f.code, f.message, f.module, list(f.names)]
            + [f.replacement, f.fixable]
            for f in result.findings
        ],
        result.reason,
        None if err is None else [type(err).__name__, err.reason, err.line, err.col],
    ]


def _decode(path: str, raw: Any) -> FileResult:
    if raw == _SKIPPED:
        return FileResult(path, Status.SKIPPED, reason=_SKIP_REASON)
    status, findings, reason, err = raw
    error = None
    if err is not None:
        error = _ERRORS[err[0]](path, err[1], err[2], err[3])
    return FileResult(
        path,
        Status(status),
        tuple(
            Finding(path, f[0], f[1], f[2], f[3], f[4], f[5], tuple(f[6]), f[7], f[8])
            for f in findings
        ),
        reason,
        error,
    )


@dataclass(slots=True)
class _Entry:
    digest: str
    signature: list[int] | None
    modules: str
    result: Any


def cacheable(result: FileResult, checked: bool) -> bool:
    """Results that depend on the file's bytes alone: not read or write errors, not internal
    errors, not a fix's outcome (a fixed file's new bytes are checked again next time)."""
    if result.status is Status.FIXED:
        return False
    if result.status is Status.FAILED:
        return checked and type(result.error) in (DecodeError, ParseError)
    return True


Usable = Callable[[FileResult], bool]


class Cache:
    """The cache of one configuration; load, look up, :meth:`store`, then :meth:`save`.

    Lookups take ``key``, the file's absolute path, and ``path``, the path as the run was
    given it (what results carry).
    """

    def __init__(self, file: Path, entries: dict[str, _Entry]) -> None:
        self.file = file
        self._entries = entries
        self._new: dict[str, _Entry] = {}
        self._trust_before = time.time_ns() - RACY_SECONDS * 1_000_000_000

    @classmethod
    def load(cls, config: Config, prefilter: bool, directory: Path | None = None) -> Cache:
        """The cache for ``config`` (empty when there is none yet or it cannot be read)."""
        file = (directory or default_cache_dir()) / f"{namespace(config, prefilter)}.json"
        return cls(file, _read(file))

    def fresh(
        self, key: str, path: str, st: os.stat_result, modules: str, usable: Usable
    ) -> FileResult | None:
        """The cached result when ``key``'s stat signature (trusted) and names are unchanged
        and the result is ``usable``."""
        entry = self._entries.get(key)
        if (
            entry is None
            or entry.signature is None
            or entry.signature != stat_signature(st)
            or entry.modules != modules
        ):
            return None
        result = _result(path, entry)
        return result if result is not None and usable(result) else None

    def expected(self, key: str, path: str, modules: str, usable: Usable) -> str | None:
        """The digest whose result is cached for ``key`` at its current names, if that result
        is ``usable`` (a worker that reads the same digest need not process the file)."""
        entry = self._entries.get(key)
        if entry is None or entry.modules != modules:
            return None
        result = _result(path, entry)
        return entry.digest if result is not None and usable(result) else None

    def result_for(self, key: str, path: str, st: os.stat_result) -> FileResult:
        """The cached result of ``key``, whose digest a worker found unchanged; the entry is
        kept with the file's current signature."""
        entry = self._entries[key]
        result = _result(path, entry)
        assert result is not None  # expected() offered only decodable entries
        self._new[key] = _Entry(entry.digest, self._signature(st), entry.modules, entry.result)
        return result

    def store(
        self,
        key: str,
        file_digest: str,
        st: os.stat_result,
        modules: str,
        result: FileResult,
    ) -> None:
        """Remember ``result`` for ``key`` at ``file_digest``; ``st`` was taken before reading."""
        self._new[key] = _Entry(file_digest, self._signature(st), modules, _encode(result))

    def _signature(self, st: os.stat_result) -> list[int] | None:
        return stat_signature(st) if st.st_mtime_ns < self._trust_before else None

    def save(self) -> None:
        """Merge this run's entries into the file on disk, atomically; errors are ignored (a
        cache that cannot be written only costs speed)."""
        if not self._new:
            return
        try:
            self.file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            merged = _read(self.file)
            if len(merged) + len(self._new) > MAX_ENTRIES:
                merged = {}
            merged.update(self._new)
            data = json.dumps(
                {
                    "format": FORMAT,
                    "entries": {
                        p: [e.digest, e.signature, e.modules, e.result] for p, e in merged.items()
                    },
                },
                separators=(",", ":"),
            )
            write_atomic(str(self.file), data.encode())
        except OSError:
            pass


def _result(path: str, entry: _Entry) -> FileResult | None:
    try:
        return _decode(path, entry.result)
    except (ValueError, TypeError, KeyError, IndexError):
        return None  # a malformed entry: as if there were none


def _read(file: Path) -> dict[str, _Entry]:
    try:
        raw = json.loads(file.read_bytes())
        if raw.get("format") != FORMAT:
            return {}
        return {
            p: _Entry(e[0], e[1], e[2], e[3])
            for p, e in raw["entries"].items()
            if isinstance(e, list) and len(e) == 4
        }
    except (OSError, ValueError, TypeError, AttributeError, KeyError):
        return {}
