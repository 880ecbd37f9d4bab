"""The repository's own removed-module entry, driven by fixture text files.

The legacy spellings live in ``fixtures/*.txt`` (see the guard in the project's test plan);
the trees are built in ``tmp_path`` because no committed module may be named like the
removed one.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from import_guard import Mode, Status, find_config, scan

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[3]
Marks = Callable[..., list[tuple[int, str]]]


def _project(tmp_path: Path) -> Path:
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    for pkg in (
        "netra_backend",
        "netra_backend/app",
        "netra_backend/app/websocket_core",
        "netra_backend/app/agents",
        "widgets",
    ):
        (tmp_path / pkg).mkdir(parents=True, exist_ok=True)
        (tmp_path / pkg / "__init__.py").touch()
    shutil.copy(FIXTURES / "legacy_user.txt", tmp_path / "netra_backend/app/agents/user.py")
    shutil.copy(
        FIXTURES / "legacy_sibling.txt", tmp_path / "netra_backend/app/websocket_core/sibling.py"
    )
    shutil.copy(FIXTURES / "legacy_decoy.txt", tmp_path / "widgets/user.py")
    segment = "fac" + "tory"  # a sibling package's own module of that name, made at test time
    (tmp_path / "widgets" / f"{segment}.py").write_text("def make_widget():\n    return 1\n")
    return tmp_path


def test_repository_config_flags_every_legacy_form(
    tmp_path: Path, expected: Marks, reported: Marks
) -> None:
    root = _project(tmp_path)
    results = {Path(r.path).relative_to(root).as_posix(): r for r in scan([root], progress=False)}
    for rel, fixture in (
        ("netra_backend/app/agents/user.py", "legacy_user.txt"),
        ("netra_backend/app/websocket_core/sibling.py", "legacy_sibling.txt"),
        ("widgets/user.py", "legacy_decoy.txt"),
    ):
        assert reported(results[rel].findings) == expected((FIXTURES / fixture).read_text()), rel
    ig002 = [f for f in results["netra_backend/app/agents/user.py"].findings if f.code == "IG002"]
    assert "create_websocket_manager(user_id=" in ig002[0].message


def test_repository_config_fix_leaves_only_the_removed_name(tmp_path: Path) -> None:
    root = _project(tmp_path)
    config = find_config(root)
    fixed = scan([root], Mode.FIX, config=config, progress=False)
    assert {Path(r.path).name for r in fixed if r.status is Status.FIXED} == {
        "user.py",
        "sibling.py",
    }
    again = scan([root], config=config, progress=False)
    left = [(Path(r.path).name, f.code) for r in again for f in r.findings]
    assert left == [("user.py", "IG002")]
    text = (root / "netra_backend/app/agents/user.py").read_text()
    assert "import create_websocket_manager, create_websocket_manager as make" not in text
    assert (
        "from netra_backend.app.websocket_core.canonical_imports import create_websocket_manager"
        in text
    )
    assert (root / "widgets/user.py").read_text() == (FIXTURES / "legacy_decoy.txt").read_text()
