"""No import errors anywhere: every module of the project imports in a fresh interpreter.

The walk runs in a subprocess so nothing this test session already imported can hide a
broken import, and so one module's side effects cannot leak into the others' results.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("netra_backend", "test_framework", "import_guard")

# Runs in the child interpreter: import every module of PACKAGES, report what failed.
WALKER = r"""
import importlib, json, pkgutil, sys, traceback

packages = sys.argv[1:]
imported, failed, skipped = [], {}, {}

def skip_reason(name):
    last = name.rsplit(".", 1)[-1]
    if last == "__main__":
        return "entry point: runs the program when imported"
    if last == "env" and ".migrations" in name:
        return "alembic environment script: only runs inside alembic"
    return None

def record_failure(name):
    failed[name] = traceback.format_exc(limit=-3)

for package in packages:
    try:
        root = importlib.import_module(package)
    except BaseException:
        record_failure(package)
        continue
    imported.append(package)
    for info in pkgutil.walk_packages(root.__path__, package + ".", onerror=record_failure):
        reason = skip_reason(info.name)
        if reason:
            skipped[info.name] = reason
            continue
        try:
            importlib.import_module(info.name)
        except BaseException:
            record_failure(info.name)
        else:
            imported.append(info.name)

print(json.dumps({"imported": imported, "failed": failed, "skipped": skipped}))
"""


@pytest.fixture(scope="module")
def import_report() -> dict[str, object]:
    """Import every module in a fresh interpreter; the child's JSON report."""
    completed = subprocess.run(
        [sys.executable, "-c", WALKER, *PACKAGES],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, f"import walker crashed:\n{completed.stderr[-3000:]}"
    report: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return report


def test_every_module_imports_without_error(import_report: dict[str, object]) -> None:
    failed = import_report["failed"]
    assert isinstance(failed, dict)
    details = "\n\n".join(f"{name}:\n{trace}" for name, trace in sorted(failed.items()))
    assert not failed, f"{len(failed)} module(s) failed to import: {sorted(failed)}\n\n{details}"


def test_walk_reached_the_core_modules(import_report: dict[str, object]) -> None:
    imported = import_report["imported"]
    assert isinstance(imported, list)
    for name in (
        "netra_backend.app.main",
        "netra_backend.cli",
        "netra_backend.app.websocket_core.canonical_imports",
        "test_framework.websocket_helpers",
        "test_framework.base_e2e_test",
        "import_guard",
    ):
        assert name in imported, f"{name} was not imported by the walk"


def test_modules_skipped_by_the_walk_still_compile(import_report: dict[str, object]) -> None:
    skipped = import_report["skipped"]
    assert isinstance(skipped, dict)
    for name in skipped:
        path = REPO_ROOT.joinpath(*name.split(".")).with_suffix(".py")
        assert path.is_file(), f"skipped module {name} has no file at {path}"
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
