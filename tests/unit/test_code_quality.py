"""The code stays lint-clean (ruff) and type-clean (mypy --strict), checked with every run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, check=False, capture_output=True, text=True, timeout=300
    )


def test_ruff_finds_nothing() -> None:
    result = _run(str(BIN / "ruff"), "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean_on_the_packages(tmp_path: Path) -> None:
    result = _run(
        str(BIN / "mypy"),
        "--cache-dir",
        str(tmp_path),
        "netra_backend",
        "import_guard",
        "test_framework",
    )
    assert result.returncode == 0, result.stdout + result.stderr
