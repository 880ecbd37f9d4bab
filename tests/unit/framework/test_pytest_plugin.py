"""The pytest plugin's --staging-gcp handling, in a child pytest run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parents[3]


def run_child(
    tmp_path: Path, *args: str, base_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    staging_gcp: deployed only\n")
    (tmp_path / "test_sample.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.staging_gcp\n"
        "def test_deployed():\n    assert True\n\n"
        "def test_local():\n    assert True\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "NETRA_BASE_URL"}
    env["PYTHONPATH"] = str(REPO_ROOT)
    if base_url is not None:
        env["NETRA_BASE_URL"] = base_url
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "test_framework.pytest_plugin",
            "-rs",
            *args,
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_staging_gcp_without_base_url_is_a_usage_error(tmp_path: Path) -> None:
    result = run_child(tmp_path, "--staging-gcp")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert "NETRA_BASE_URL" in result.stderr


def test_staging_gcp_tests_skip_without_the_flag(tmp_path: Path) -> None:
    result = run_child(tmp_path)
    assert result.returncode == 0, result.stdout
    assert "1 passed, 1 skipped" in result.stdout
    assert "--staging-gcp" in result.stdout


def test_staging_gcp_tests_run_with_the_flag_and_a_base_url(tmp_path: Path) -> None:
    result = run_child(tmp_path, "--staging-gcp", base_url="http://127.0.0.1:9")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
