"""This repository's own guard: no import of a removed module anywhere in it.

Runs next to the user's substring guard; it uses the ``[tool.import_guard]`` table of the
repository's ``pyproject.toml``. The two files the substring guard exempts are the places
where legacy paths are kept on purpose, so they are exempt here too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from import_guard import assert_no_removed_imports

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]
EXEMPT = (
    "test_legacy_import_detection.py",
    "test_websocket_singleton_vulnerability.py",
    "bench/.cache",
)


def test_repository_has_no_imports_of_removed_modules() -> None:
    assert (REPO / "pyproject.toml").is_file()
    assert_no_removed_imports(REPO, exclude=EXEMPT)


def test_guard_lists_every_finding_with_position_and_fix(tree) -> None:  # type: ignore[no-untyped-def]
    root: Path = tree(
        {
            "other/a.py": "import os\nimport old.pkg.gone as g\n",
            "other/b.py": "from old.pkg.gone import x\n",
        }
    )
    with pytest.raises(AssertionError) as info:
        assert_no_removed_imports(root)
    text = str(info.value)
    assert f"{root / 'other/a.py'}:2:1: IG001" in text
    assert f"{root / 'other/b.py'}:1:1: IG001" in text
    assert "fix: from new.pkg.home import x" in text
