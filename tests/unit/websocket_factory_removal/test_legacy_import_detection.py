"""The user's guard against the removed WebSocket factory, and the canonical import surface.

This file (like ``test_websocket_singleton_vulnerability.py``) is exempt from the guard, so it
may spell the legacy paths. "The repository" is what git tracks plus new, not-ignored files
(see ``test_framework.repo_files``): ignored downloads such as ``bench/.cache/`` are not ours.
"""

from __future__ import annotations

import inspect
import typing
from pathlib import Path

import pytest

from test_framework.repo_files import repository_files

pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parents[3]

LEGACY_PATTERNS = (
    "from netra_backend.app.websocket_core.factory import",
    "import netra_backend.app.websocket_core.factory",
    "from .factory import",
    "websocket_core.factory",
)
SKIPPED_PATH_PARTS = ("__pycache__", ".git", "node_modules", "venv", ".pytest_cache")
SKIPPED_FILE_NAMES = (
    "test_legacy_import_detection.py",
    "test_websocket_singleton_vulnerability.py",
)


def find_legacy_imports(root: Path) -> list[str]:
    """Every ``file:line: pattern`` under ``root`` that spells a legacy path, as the plan says."""
    offences: list[str] = []
    for path in repository_files(root):
        if path.suffix != ".py" or path.name in SKIPPED_FILE_NAMES:
            continue
        relative = path.relative_to(root).as_posix()
        if any(part in relative for part in SKIPPED_PATH_PARTS):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            offences.extend(
                f"{relative}:{number}: {pattern!r}"
                for pattern in LEGACY_PATTERNS
                if pattern in line
            )
    return offences


def test_repository_has_no_legacy_factory_imports() -> None:
    offences = find_legacy_imports(REPO_ROOT)
    assert not offences, "legacy WebSocket factory imports found:\n" + "\n".join(offences)


def test_guard_reports_a_planted_legacy_import_with_file_and_line(tmp_path: Path) -> None:
    planted = tmp_path / "pkg" / "module.py"
    planted.parent.mkdir()
    planted.write_text("import os\nfrom netra_backend.app.websocket_core.factory import X\n")
    offences = find_legacy_imports(tmp_path)
    assert offences
    assert all(entry.startswith("pkg/module.py:2: ") for entry in offences)


def test_guard_skips_exempt_files_and_directories(tmp_path: Path) -> None:
    legacy = "from .factory import create_websocket_manager\n"
    for relative in (
        "__pycache__/cached.py",
        ".venv/lib/site.py",
        "node_modules/x/y.py",
        "tests/test_legacy_import_detection.py",
        "tests/test_websocket_singleton_vulnerability.py",
    ):
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(legacy)
    (tmp_path / "notes.txt").write_text(legacy)  # not a .py file
    assert find_legacy_imports(tmp_path) == []


def test_canonical_names_import_from_canonical_imports() -> None:
    from netra_backend.app.websocket_core import canonical_imports
    from netra_backend.app.websocket_core.canonical_imports import (
        UnifiedWebSocketManager,
        WebSocketManagerProtocol,
        create_websocket_manager,
    )

    for name in ("create_websocket_manager", "WebSocketManagerProtocol", "UnifiedWebSocketManager"):
        assert name in canonical_imports.__all__
    assert callable(create_websocket_manager)
    assert inspect.iscoroutinefunction(create_websocket_manager)
    assert inspect.isclass(UnifiedWebSocketManager)
    assert inspect.isclass(WebSocketManagerProtocol)


def test_factory_function_takes_user_and_client_ids_as_keywords() -> None:
    from netra_backend.app.websocket_core.canonical_imports import create_websocket_manager

    parameters = inspect.signature(create_websocket_manager).parameters
    for name in ("user_id", "websocket_client_id"):
        assert name in parameters
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY


def test_manager_protocol_is_a_runtime_checkable_protocol_with_annotations() -> None:
    from netra_backend.app.websocket_core.canonical_imports import WebSocketManagerProtocol

    assert getattr(WebSocketManagerProtocol, "_is_protocol", False)
    assert getattr(WebSocketManagerProtocol, "_is_runtime_protocol", False)
    assert typing.get_type_hints(WebSocketManagerProtocol).get("user_id") is str
    for method in ("add_connection", "emit_event"):
        assert callable(getattr(WebSocketManagerProtocol, method, None)), f"protocol lacks {method}"
        hints = typing.get_type_hints(getattr(WebSocketManagerProtocol, method))
        assert "return" in hints and len(hints) > 1, f"{method} lacks annotations: {hints}"
