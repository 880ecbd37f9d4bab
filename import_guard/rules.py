"""Every check import_guard makes, in one table.

The checker reports findings by these codes; the CLI's help, the JSON output (``rule``) and the
SARIF output (``tool.driver.rules``) are built from this table, and a test checks that
``docs/import_guard.md`` documents each rule under a ``### CODE — name`` heading.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rule:
    """One check: a stable ``code``, a ``name`` for the flagged pattern, a one-line
    ``summary``, whether ``fix`` can rewrite it (``fix``: always, sometimes or never) and
    its SARIF ``level``."""

    code: str
    name: str
    summary: str
    fix: str
    level: str = "error"


REMOVED_MODULE_IMPORT = Rule(
    "IG001",
    "removed-module-import",
    "An import (static, or dynamic with a literal name) of a removed module.",
    "sometimes",
)
REMOVED_NAME = Rule(
    "IG002",
    "removed-name-without-replacement",
    "A name of a removed module that exists nowhere any more.",
    "never",
)
UNPARSABLE_FILE = Rule(
    "IG900",
    "unparsable-file",
    "A file that cannot be read as Python, so references in it cannot be seen.",
    "never",
)
INTERNAL_ERROR = Rule(
    "IG901",
    "internal-error",
    "import-guard failed on this file (a bug: please report it with the traceback).",
    "never",
)

RULES: dict[str, Rule] = {
    r.code: r for r in (REMOVED_MODULE_IMPORT, REMOVED_NAME, UNPARSABLE_FILE, INTERNAL_ERROR)
}


def rules_help() -> str:
    """The ``checks:`` paragraph of the CLI's help."""
    return "\n".join(f"  {r.code} {r.name}: {r.summary}" for r in RULES.values())
