"""The code stays formatted, lint-clean (ruff) and type-clean (mypy), checked with every run.

The commands are read from the Makefile's ``check`` target, so this test and ``make check`` run
the same gates and cannot drift apart.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

EXPECTED_CHECKS = [
    "ruff format --check .",
    "ruff check .",
    "mypy --strict netra_backend import_guard test_framework",
    "mypy tests",
    "mypy --strict -p netra_example_agents",
]


def make_check_commands() -> list[str]:
    """The recipe lines of the Makefile's ``check`` target, without the ``$(BIN)/`` prefix."""
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("check:"))
    commands: list[str] = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        commands.append(line.strip().removeprefix("$(BIN)/"))
    return commands


def test_make_check_runs_format_lint_and_both_mypy_gates() -> None:
    assert make_check_commands() == EXPECTED_CHECKS


@pytest.mark.parametrize("command", make_check_commands())
def test_make_check_command_passes(command: str, tmp_path: Path) -> None:
    tool, *args = shlex.split(command)
    # A private cache: other runs in this checkout may be writing the shared one right now.
    # mypy's starts as a copy of the shared one when there is one (after `make check`, as in
    # CI, that makes it warm: 2 s instead of 30 s a run); mypy re-checks whatever changed.
    cache = ["--no-cache"]
    if tool == "mypy":
        private = tmp_path / "mypy_cache"
        if (ROOT / ".mypy_cache").is_dir():
            shutil.copytree(ROOT / ".mypy_cache", private, ignore_dangling_symlinks=True)
        cache = ["--cache-dir", str(private)]
    result = subprocess.run(
        [str(BIN / tool), *args, *cache],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
