"""import_guard: find every import of a removed module and rewrite it to the canonical one.

Stand-alone: depends on LibCST and rich only. See ``docs/import_guard.md``.
"""

from __future__ import annotations

from import_guard._version import __version__ as __version__
from import_guard.api import load_config, scan
from import_guard.config import (
    Config,
    NameRule,
    RemovedModule,
    find_config,
    load_config_file,
    parse_config,
)
from import_guard.errors import (
    ConfigError,
    DecodeError,
    FindingsError,
    HelpShown,
    ImportGuardError,
    InternalError,
    ParseError,
    SourceError,
    UsageError,
)
from import_guard.records import FileResult, Finding, Mode, Status
from import_guard.rules import Rule
from import_guard.runner import RunContext, process_source, run
from import_guard.testing import assert_no_removed_imports

__all__ = [
    "Config",
    "ConfigError",
    "DecodeError",
    "FileResult",
    "Finding",
    "FindingsError",
    "HelpShown",
    "ImportGuardError",
    "InternalError",
    "Mode",
    "NameRule",
    "ParseError",
    "RemovedModule",
    "Rule",
    "RunContext",
    "SourceError",
    "Status",
    "UsageError",
    "assert_no_removed_imports",
    "find_config",
    "load_config",
    "load_config_file",
    "parse_config",
    "process_source",
    "run",
    "scan",
]
