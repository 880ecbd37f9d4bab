"""``repository_files``: tracked and new files count, ignored downloads do not."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from test_framework.repo_files import repository_files

pytestmark = pytest.mark.unit


def write(root: Path, relative: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x = 1\n")


def test_git_checkout_lists_tracked_and_new_files_but_not_ignored(tmp_path: Path) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("needs the git command")
    subprocess.run([git, "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("cache/\n")
    write(tmp_path, "pkg/tracked.py")
    subprocess.run([git, "add", "pkg/tracked.py", ".gitignore"], cwd=tmp_path, check=True)
    write(tmp_path, "pkg/new.py")
    write(tmp_path, "cache/downloaded/module.py")
    names = {path.relative_to(tmp_path).as_posix() for path in repository_files(tmp_path)}
    assert names == {".gitignore", "pkg/tracked.py", "pkg/new.py"}


def test_plain_directory_lists_every_file(tmp_path: Path) -> None:
    write(tmp_path, "a.py")
    write(tmp_path, "cache/b.py")
    names = {path.relative_to(tmp_path).as_posix() for path in repository_files(tmp_path)}
    assert names == {"a.py", "cache/b.py"}
