"""The one-call guard for a project's own test suite."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from import_guard.api import scan
from import_guard.config import Config


def assert_no_removed_imports(
    root: str | Path, config: Config | None = None, exclude: Sequence[str] = ()
) -> None:
    """Raise ``AssertionError`` listing every finding under ``root`` (path:line:col, code, fix).

    The configuration is ``config`` or the ``[tool.import_guard]`` table found walking up from
    ``root``. Runs serially below a few hundred files and in parallel above.
    """
    results = scan([root], config=config, exclude=exclude, progress=False)
    lines = []
    for result in results:
        for f in result.findings:
            fix = f" -> fix: {f.replacement}" if f.replacement else ""
            lines.append(f"{f.path}:{f.line}:{f.col}: {f.code} {f.message}{fix}")
    if lines:
        head = (
            f"{len(lines)} reference(s) to removed modules "
            "(run `import-guard fix` to rewrite them):"
        )
        raise AssertionError("\n".join([head, *lines]))
