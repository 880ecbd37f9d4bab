"""The incremental cache: same results as a cold run, nothing re-read that did not change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

import import_guard.runner as runner_mod
from import_guard import Mode, Status, scan
from import_guard.cache import Cache, default_cache_dir
from import_guard.config import find_config
from import_guard.records import FileResult

pytestmark = pytest.mark.unit

Tree = Callable[[Mapping[str, "str | bytes"]], Path]

FILES = {
    "other/dirty.py": "import os\nfrom old.pkg.gone import a\n",
    "other/clean.py": "import os\n",
    "other/broken.py": "import old.pkg.gone\nold.pkg.gone.f(:\n",
    "other/pkg/rel.py": "from .gone import thing\n",
}


def _age(root: Path, seconds: int = 60) -> None:
    """Make every file look older than the cache's racy window."""
    for path in root.rglob("*.py"):
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - seconds * 1_000_000_000))


def _no_processing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record (and refuse) every file the run would read as Python."""
    seen: list[str] = []

    def refuse(path: str, data: bytes, ctx: runner_mod.RunContext) -> tuple[FileResult, None]:
        seen.append(path)
        raise AssertionError(f"{path} was processed")

    monkeypatch.setattr(runner_mod, "process_source", refuse)
    return seen


def test_a_warm_run_returns_the_cold_results_without_reading_any_file(
    tree: Tree, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root: Path = tree(FILES)
    _age(root)
    cold = scan([root], jobs=1, progress=False)
    filled = scan([root], jobs=1, progress=False, cache=cache_dir)
    assert filled == cold
    assert list(cache_dir.glob("*.json"))
    seen = _no_processing(monkeypatch)
    warm = scan([root], jobs=1, progress=False, cache=cache_dir)
    assert warm == cold
    assert seen == []


def test_a_changed_file_is_checked_again_even_with_the_same_size_and_mtime(
    tree: Tree, cache_dir: Path
) -> None:
    root: Path = tree({**FILES, "other/edited.py": "import abc.def.ghij\n"})
    _age(root)
    edited = root / "other" / "edited.py"
    (first,) = [r for r in scan([root], progress=False, cache=cache_dir) if r.path == str(edited)]
    assert first.status is Status.SKIPPED
    before = edited.stat()
    edited.write_text("import old.pkg.gone\n")  # the same 20 bytes long
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert edited.stat().st_size == before.st_size
    warm = {r.path: r for r in scan([root], progress=False, cache=cache_dir)}
    assert [f.code for f in warm[str(edited)].findings] == ["IG001"]
    assert warm == {r.path: r for r in scan([root], progress=False)}


def test_a_touched_but_unchanged_file_reuses_its_result_by_content_hash(
    tree: Tree, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root: Path = tree(FILES)
    _age(root, 120)
    cold = scan([root], jobs=1, progress=False, cache=cache_dir)
    _age(root, 60)  # every mtime changes: the stat signatures no longer match
    seen = _no_processing(monkeypatch)
    assert scan([root], jobs=1, progress=False, cache=cache_dir) == cold
    assert seen == []


def test_a_new_init_file_changes_what_relative_imports_mean_and_so_the_key(
    tree: Tree, cache_dir: Path
) -> None:
    root: Path = tree({"old/pkg/user.py": "from .gone import thing\n"})
    _age(root)
    (first,) = scan([root / "old" / "pkg" / "user.py"], progress=False, cache=cache_dir)
    assert [f.code for f in first.findings] == ["IG001"]
    # Without old/__init__.py the file's package is "pkg" (or "old.pkg"): both are candidates,
    # so the finding stays; what matters is that the cached entry is not reused blindly.
    (root / "old" / "pkg" / "__init__.py").unlink()
    (second,) = scan([root / "old" / "pkg" / "user.py"], progress=False, cache=cache_dir)
    (fresh,) = scan([root / "old" / "pkg" / "user.py"], progress=False)
    assert second == fresh


def test_config_and_version_pick_another_cache_file(tree: Tree, cache_dir: Path) -> None:
    root: Path = tree(FILES)
    config = find_config(root)
    a = Cache.load(config, True, cache_dir).file
    b = Cache.load(config, False, cache_dir).file
    other = type(config)(removed={}, root=config.root)
    assert len({a, b, Cache.load(other, True, cache_dir).file}) == 3
    assert a.parent == cache_dir


def test_a_corrupt_cache_file_counts_as_empty_and_is_rewritten(tree: Tree, cache_dir: Path) -> None:
    root: Path = tree(FILES)
    _age(root)
    cold = scan([root], jobs=1, progress=False)
    file = Cache.load(find_config(root), True, cache_dir).file
    file.parent.mkdir(parents=True, exist_ok=True)
    for garbage in (b"\x00not json", b'{"format": 2, "entries": {"x": [1, 2, 3, 4]}}', b"[]"):
        file.write_bytes(garbage)
        assert scan([root], jobs=1, progress=False, cache=cache_dir) == cold
        assert json.loads(file.read_bytes())["format"] == 2


def test_overlapping_runs_leave_a_whole_cache_file(tree: Tree, cache_dir: Path) -> None:
    root: Path = tree({f"other/m{i}.py": f"import os  # {i}\n" for i in range(40)})
    _age(root)
    cmd = [sys.executable, "-m", "import_guard", "check", "--cache-dir", str(cache_dir), str(root)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL) for _ in range(3)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    (file,) = cache_dir.glob("*.json")
    assert len(json.loads(file.read_bytes())["entries"]) == len(scan([root], progress=False))
    assert [p.name for p in cache_dir.iterdir()] == [file.name]  # no temporary file left


def test_fix_uses_cached_results_only_for_files_with_nothing_to_fix(
    tree: Tree, cache_dir: Path
) -> None:
    root: Path = tree(FILES)
    _age(root)
    scan([root], jobs=1, progress=False, cache=cache_dir)
    fixed = {r.path: r for r in scan([root], Mode.FIX, jobs=1, progress=False, cache=cache_dir)}
    assert fixed[str(root / "other" / "dirty.py")].status is Status.FIXED
    assert "new.pkg.home" in (root / "other" / "dirty.py").read_text()


def test_the_cli_caches_under_the_user_cache_dir_and_no_cache_writes_nothing(
    tree: Tree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from import_guard.cli import run_command
    from import_guard.errors import FindingsError

    root: Path = tree(FILES)
    monkeypatch.delenv("IMPORT_GUARD_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "import_guard"
    out = open(os.devnull, "w")  # noqa: SIM115 - closed below
    try:
        with pytest.raises(FindingsError):
            run_command(["check", "--no-cache", str(root)], out)
        assert not (tmp_path / "xdg").exists()
        with pytest.raises(FindingsError):
            run_command(["check", str(root)], out)
    finally:
        out.close()
    assert list((tmp_path / "xdg" / "import_guard").glob("*.json"))


def test_an_internal_error_fails_that_file_only_with_its_traceback(
    tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    from import_guard.errors import InternalError

    root: Path = tree(FILES)
    from import_guard.checker import check as real

    def flaky(src, *args, **kwargs):  # type: ignore[no-untyped-def]
        if src.path.endswith("dirty.py"):
            raise KeyError("boom")
        return real(src, *args, **kwargs)

    monkeypatch.setattr("import_guard.runner.check", flaky)
    results = {Path(r.path).name: r for r in scan([root / "other"], jobs=1, progress=False)}
    bad = results["dirty.py"]
    assert bad.status is Status.FAILED
    assert isinstance(bad.error, InternalError)
    assert "KeyError" in bad.error.traceback
    assert "flaky" in bad.error.traceback
    assert [f.code for f in bad.findings] == ["IG901"]
    assert results["broken.py"].status is Status.FAILED  # the others went on as usual
    assert results["clean.py"].status is Status.SKIPPED
