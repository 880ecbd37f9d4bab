"""SSOT compliance: per-user contexts stay apart and the removed module stays removed.

The legacy module path and statements come from ``legacy_imports.toml``: this file is not
exempt from the guard, so it never spells them.
"""

from __future__ import annotations

import importlib
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from netra_backend.app.websocket_core.canonical_imports import (
    UnifiedWebSocketManager,
    WebSocketManagerProtocol,
    create_websocket_manager,
)
from test_framework.repo_files import repository_files

pytestmark = pytest.mark.unit

DATA = tomllib.loads((Path(__file__).with_name("legacy_imports.toml")).read_text("utf-8"))
REPO_ROOT = Path(__file__).resolve().parents[3]
STATEMENTS: list[dict[str, Any]] = DATA["statements"]


async def test_two_users_get_distinct_contexts_with_their_own_ids() -> None:
    alice = await create_websocket_manager(user_id="user-alice", websocket_client_id="client-a")
    bob = await create_websocket_manager(user_id="user-bob", websocket_client_id="client-b")
    assert alice is not bob
    assert alice.websocket_manager is not bob.websocket_manager
    assert (alice.user_id, alice.websocket_client_id) == ("user-alice", "client-a")
    assert (bob.user_id, bob.websocket_client_id) == ("user-bob", "client-b")
    assert alice.user_id != bob.user_id
    assert alice.websocket_client_id != bob.websocket_client_id


async def test_same_arguments_twice_still_give_two_objects() -> None:
    first = await create_websocket_manager(user_id="user-same", websocket_client_id="client-same")
    second = await create_websocket_manager(user_id="user-same", websocket_client_id="client-same")
    assert first is not second
    assert first.websocket_manager is not second.websocket_manager


async def test_context_manager_is_unified_manager_satisfying_the_protocol() -> None:
    context = await create_websocket_manager(user_id="user-p", websocket_client_id="client-p")
    assert type(context.websocket_manager) is UnifiedWebSocketManager
    assert isinstance(context.websocket_manager, WebSocketManagerProtocol)


def test_importing_removed_module_raises_import_error_naming_it() -> None:
    removed = DATA["removed_module"]
    sys.modules.pop(removed, None)
    with pytest.raises(ImportError, match=DATA["message_pattern"]) as caught:
        importlib.import_module(removed)
    assert isinstance(caught.value, ModuleNotFoundError)
    assert str(caught.value).startswith(f"No module named '{removed}'")


def test_removed_module_error_names_the_replacement() -> None:
    with pytest.raises(ImportError) as caught:
        importlib.import_module(DATA["removed_module"])
    assert DATA["replacement_module"] in str(caught.value)


@pytest.mark.parametrize("statement", STATEMENTS, ids=[s["id"] for s in STATEMENTS])
def test_deprecated_import_statement_raises_import_error(statement: dict[str, Any]) -> None:
    namespace: dict[str, Any] = {"__name__": "legacy_probe"}
    if "package" in statement:
        namespace["__package__"] = statement["package"]
    code = compile(statement["code"], f"<legacy {statement['id']}>", "exec")
    with pytest.raises(ImportError, match=DATA["message_pattern"]):
        exec(code, namespace)  # running the legacy statement is the test
    assert not any(key not in ("__name__", "__package__", "__builtins__") for key in namespace)


def test_no_module_in_the_repository_is_named_factory() -> None:
    skipped = ("__pycache__", ".git", "node_modules", "venv", ".pytest_cache")
    found: list[str] = []
    for path in repository_files(REPO_ROOT):
        relative = path.relative_to(REPO_ROOT).as_posix()
        if any(part in relative for part in skipped):
            continue
        parts = relative.split("/")
        if parts[-1] in ("factory.py", "factory.pyi") or "factory" in parts[:-1]:
            found.append(relative)
    assert not found, f"modules named 'factory': {found}"
