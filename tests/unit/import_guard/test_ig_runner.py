"""The batch runner: one result per file, serial and parallel alike; discovery rules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from import_guard import Mode, RunContext, Status, find_config, run, scan
from import_guard.discovery import discover
from import_guard.runner import PARALLEL_THRESHOLD

pytestmark = pytest.mark.unit


def test_parallel_run_returns_one_result_per_file_like_a_serial_run(tree) -> None:  # type: ignore[no-untyped-def]
    files: dict[str, str | bytes] = {}
    n = PARALLEL_THRESHOLD + 20
    for i in range(n):
        files[f"other/m{i:04d}.py"] = (
            "from old.pkg.gone import a\n" if i % 7 == 0 else "import os\n"
        )
    files["other/zz_bad.py"] = "import old.pkg.gone\nold.pkg.gone.f(:\n"
    root: Path = tree(files)
    paths = discover([str(root / "other")])
    ctx = RunContext(find_config(root), Mode.CHECK)
    serial = run(paths, ctx, jobs=1)
    parallel = run(paths, ctx, jobs=2)
    assert [r.path for r in parallel] == paths
    assert parallel == serial
    by_status = {s: sum(r.status is s for r in parallel) for s in Status}
    assert by_status[Status.FAILED] == 1
    assert by_status[Status.UNCHANGED] == len(range(0, n, 7))


def test_fix_results_name_what_happened_to_each_file(tree) -> None:  # type: ignore[no-untyped-def]
    root: Path = tree(
        {
            "other/fixme.py": "import old.pkg.gone as g\n",
            "other/clean.py": "import os\n",
            "other/mention.py": 'x = "gone"  # a string, not a reference\n',
            "other/bad.py": "import old.pkg.gone\ndef (:\n",
        }
    )
    results = {Path(r.path).name: r for r in scan([root / "other"], Mode.FIX, progress=False)}
    assert results["fixme.py"].status is Status.FIXED
    assert results["clean.py"].status is Status.SKIPPED and results["clean.py"].reason
    assert results["mention.py"].status is Status.UNCHANGED
    assert results["bad.py"].status is Status.FAILED and results["bad.py"].error is not None


def test_fix_builds_a_diff_only_when_asked(tree) -> None:  # type: ignore[no-untyped-def]
    files = {"other/a.py": "import old.pkg.gone as g\n"}
    (with_diff,) = scan([tree(files) / "other/a.py"], Mode.FIX, progress=False)
    assert with_diff.diff is not None and "+import new.pkg.home as g\n" in with_diff.diff
    (without,) = scan([tree(files) / "other/a.py"], Mode.FIX, progress=False, diffs=False)
    assert without.status is Status.FIXED and without.diff is None
    assert Path(without.path).read_text() == "import new.pkg.home as g\n"
    (diff_mode,) = scan([tree(files) / "other/a.py"], Mode.DIFF, progress=False, diffs=False)
    assert diff_mode.diff == with_diff.diff


def test_discovery_skips_tool_dirs_virtualenvs_and_symlinks_out_of_the_tree(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    for rel in (
        "a.py",
        ".git/x.py",
        "node_modules/m.py",
        "__pycache__/c.py",
        "env1/lib/v.py",
        "pkg/b.pyi",
        "pkg/c.txt",
    ):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("import os\n")
    (root / "env1" / "pyvenv.cfg").write_text("home = /usr\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "o.py").write_text("import os\n")
    os.symlink(outside, root / "linked_dir")
    os.symlink(outside / "o.py", root / "linked.py")
    found = [Path(p).relative_to(root).as_posix() for p in discover([str(root)])]
    assert found == ["a.py", "pkg/b.pyi"]
    assert [Path(p).name for p in discover([str(root)], exclude=["pkg/*"])] == ["a.py"]
