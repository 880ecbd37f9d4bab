"""The files of the repository: what git tracks or would track, else everything on disk.

"The repository" means the files a fresh clone has plus new files not yet committed, so
ignored downloads (``bench/.cache/``, virtualenvs) are not scanned as project code. Outside a
git checkout (an unpacked archive) every file under the root counts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def repository_files(root: Path) -> list[Path]:
    """Every file of the repository at ``root`` (tracked, or untracked and not ignored)."""
    git = shutil.which("git")
    if git is not None and (root / ".git").exists():
        listed = subprocess.run(
            [git, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            check=False,
        )
        if listed.returncode == 0:
            names = sorted({name for name in listed.stdout.decode("utf-8").split("\0") if name})
            # --cached still lists files deleted from the working tree but not yet committed.
            return [root / name for name in names if (root / name).is_file()]
    return sorted(Path(directory, name) for directory, _, files in os.walk(root) for name in files)
