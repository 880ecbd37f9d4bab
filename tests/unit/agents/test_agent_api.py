"""The agent API's public surface: ``netra_backend.app.agents.__all__`` is sorted, complete and
importable, and importing it stays light (no web framework, database or runtime)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import netra_backend.app.agents as api
from netra_backend.app import errors
from netra_backend.app.agents import base, registry, streaming

pytestmark = pytest.mark.unit

# Every public name plug-ins use: all of base.py, the registry, and the errors agents raise.
EXPECTED = sorted(
    [
        "Agent",
        "AgentError",
        "AgentRegistry",
        "AgentRequest",
        "DeltaCoalescer",
        "FunctionAgent",
        "InvalidContextError",
        "JSONDict",
        "RunHandle",
        "Tool",
    ]
)
HOMES = {
    "AgentError": errors,
    "AgentRegistry": registry,
    "DeltaCoalescer": streaming,
    "InvalidContextError": errors,
}


def defined_names(path: Path) -> set[str]:
    """The public names a module defines at top level (classes, functions, assignments)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {name for name in names if not name.startswith("_")}


def test_agent_api_all_is_sorted() -> None:
    assert api.__all__ == sorted(api.__all__)


def test_agent_api_all_is_the_plugin_surface() -> None:
    assert api.__all__ == EXPECTED


def test_agent_api_exports_every_public_name_of_base() -> None:
    missing = defined_names(Path(base.__file__)) - set(api.__all__)
    assert not missing, f"base.py defines {sorted(missing)} but the agent API does not export it"


@pytest.mark.parametrize("name", EXPECTED)
def test_agent_api_name_is_the_object_of_its_home_module(name: str) -> None:
    home = HOMES.get(name, base)
    assert getattr(api, name) is getattr(home, name)


def test_agent_api_star_import_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from netra_backend.app.agents import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == EXPECTED


def test_agent_api_import_loads_no_framework_database_or_runtime() -> None:
    # A fresh interpreter: this session has imported everything already.
    probe = (
        "import json, sys; import netra_backend.app.agents; print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(json.loads(result.stdout))
    heavy = {
        "fastapi",
        "starlette",
        "sqlalchemy",
        "pydantic",
        "openai",
        "redis",
        "netra_backend.app.agents.runtime",
        "netra_backend.app.config",
    }
    assert not heavy & loaded, sorted(heavy & loaded)
