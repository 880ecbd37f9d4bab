"""``pip install ./import_guard`` alone gives a working ``import-guard``; netra depends on it."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]
PACKAGE = REPO / "import_guard"


def test_the_distribution_depends_only_on_libcst_and_rich() -> None:
    meta = tomllib.loads((PACKAGE / "pyproject.toml").read_text())["project"]
    assert meta["name"] == "import-guard"
    assert sorted(d.split(">")[0] for d in meta["dependencies"]) == ["libcst", "rich"]
    assert meta["scripts"] == {"import-guard": "import_guard.cli:main"}
    netra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("import-guard") for d in netra["dependencies"])
    assert "import-guard" not in netra.get("scripts", {})


def test_pip_install_of_the_directory_alone_gives_a_working_command(tmp_path: Path) -> None:
    # A throw-away venv without pip (fast); its only view of this venv is a plain path entry
    # to site-packages, for LibCST, rich and setuptools: .pth files there (this checkout's
    # editable installs) are not processed, so the repository's own import_guard is not seen.
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    py = env / "bin" / "python"
    target_site = Path(
        subprocess.run(
            [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (target_site / "deps.pth").write_text(site.getsitepackages()[0] + "\n")
    # pip builds the wheel as for any user: in an isolated environment with the build
    # requirements (setuptools, wheel) from the package index; --no-deps, since LibCST and rich
    # are already in view.
    install = [sys.executable, "-m", "pip", "--python", str(py), "install", "--quiet"]
    # A copy: an in-tree build would leave build/ inside the package directory.
    copy = tmp_path / "src" / "import_guard"
    shutil.copytree(
        PACKAGE, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    )
    install += ["--no-deps", str(copy)]
    done = subprocess.run(install, capture_output=True, text=True, cwd=tmp_path, timeout=180)
    if done.returncode != 0 and "matching distribution" in done.stderr:
        pytest.skip(f"the package index cannot serve the build requirements: {done.stderr[-300:]}")
    assert done.returncode == 0, done.stderr
    # The package came from the install, not from this checkout.
    where = subprocess.run(
        [py, "-c", "import import_guard; print(import_guard.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.strip()
    assert Path(where).is_relative_to(env)
    project = tmp_path / "project"
    (project / "pkg").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[tool.import_guard.removed."old.mod"]\nreplacement = "new.mod"\n'
    )
    (project / "pkg" / "user.py").write_text("from old.mod import thing\n")
    command = env / "bin" / "import-guard"
    environ = {**os.environ, "IMPORT_GUARD_CACHE_DIR": str(tmp_path / "cache")}
    check = subprocess.run(
        [command, "check", "pkg"], capture_output=True, text=True, cwd=project, env=environ
    )
    assert check.returncode == 1, check.stderr
    assert "pkg/user.py:1:1: IG001" in check.stdout
    fix = subprocess.run(
        [command, "fix", "pkg"], capture_output=True, text=True, cwd=project, env=environ
    )
    assert fix.returncode == 0, fix.stderr
    assert (project / "pkg" / "user.py").read_text() == "from new.mod import thing\n"
