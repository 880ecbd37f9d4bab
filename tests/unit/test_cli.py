"""The ``netra`` command: configuration errors name the environment variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit


def test_bad_settings_exit_2_naming_each_variable(tmp_path: object) -> None:
    env = {**os.environ, "NETRA_PORT": "99999", "NETRA_WS_MAX_MESSAGE_BYTES": "lots"}
    result = subprocess.run(
        [sys.executable, "-m", "netra_backend.cli", "serve"],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=str(tmp_path),
    )
    assert result.returncode == 2
    assert "NETRA_PORT:" in result.stderr
    assert "NETRA_WS_MAX_MESSAGE_BYTES:" in result.stderr
    assert "lots" not in result.stderr  # values are not echoed: they may be secrets


def test_flags_take_precedence_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from netra_backend.app.config import Settings

    monkeypatch.setenv("NETRA_PORT", "9001")
    assert Settings().port == 9001
    assert Settings(port=9002).port == 9002


def test_workers_without_redis_exit_2_saying_what_is_needed(tmp_path: object) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETRA_")}
    result = subprocess.run(
        [sys.executable, "-m", "netra_backend.cli", "serve", "--workers", "2"],
        check=False,
        capture_output=True,
        text=True,
        env={**env, "NETRA_DATA_DIR": str(tmp_path)},
        timeout=60,
        cwd=str(tmp_path),
    )
    assert result.returncode == 2
    assert "--workers 2 needs Redis mode" in result.stderr
    assert "NETRA_REDIS_URL" in result.stderr
