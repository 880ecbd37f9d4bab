"""The ``import-guard`` command: exit codes, output formats, help."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from import_guard.cli import main, run_command
from import_guard.errors import ConfigError, ImportGuardError

pytestmark = pytest.mark.unit

DIRTY = "import os\nfrom old.pkg.gone import a\n"


def _run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    try:
        code = run_command(argv, out)
    except ImportGuardError as exc:
        code = exc.exit_code
    return code, out.getvalue()


def test_check_exits_0_when_clean(tree) -> None:  # type: ignore[no-untyped-def]
    root: Path = tree({"other/clean.py": "import os\n"})
    code, out = _run(["check", str(root)])
    assert code == 0
    assert "All clear" in out


def test_check_exits_1_and_prints_path_line_col_code(tree) -> None:  # type: ignore[no-untyped-def]
    root: Path = tree({"other/dirty.py": DIRTY})
    code, out = _run(["check", str(root)])
    assert code == 1
    assert f"{root / 'other/dirty.py'}:2:1: IG001 " in out
    assert "from new.pkg.home import a" in out


def test_check_json_format_has_one_object_per_finding(tree) -> None:  # type: ignore[no-untyped-def]
    root: Path = tree({"other/dirty.py": DIRTY, "other/dyn.py": "__import__('old.pkg.gone')\n"})
    code, out = _run(["check", "--format", "json", str(root)])
    assert code == 1
    data = json.loads(out)
    assert len(data) == 2
    first = next(d for d in data if d["path"].endswith("dirty.py"))
    assert {"path", "line", "col", "end_line", "module", "names", "replacement"} <= set(first)
    assert (first["line"], first["col"], first["module"], first["names"]) == (
        2,
        1,
        "old.pkg.gone",
        ["a"],
    )
    assert first["replacement"] == "from new.pkg.home import a"


def test_check_github_format_emits_workflow_annotations(tree) -> None:  # type: ignore[no-untyped-def]
    root: Path = tree({"other/dirty.py": DIRTY})
    code, out = _run(["check", "--format", "github", str(root)])
    assert code == 1
    (line,) = out.splitlines()
    assert line.startswith(
        f"::error file={root / 'other/dirty.py'},line=2,col=1,endLine=2,title=IG001::IG001 "
    )


def test_check_exits_2_on_config_error_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.import_guard.removed."a.b"]\nreplacment = "c.d"\n'
    )
    (tmp_path / "x.py").write_text("import os\n")
    code, _ = _run(["check", str(tmp_path)])
    assert code == 2
    with pytest.raises(ConfigError) as info:
        run_command(["check", str(tmp_path)], io.StringIO())
    assert 'removed."a.b".replacment' in str(info.value)


def test_check_exits_2_on_usage_errors(tree) -> None:  # type: ignore[no-untyped-def]
    root: Path = tree({})
    assert _run(["check", str(root / "missing.py")])[0] == 2
    assert _run(["check", "--format", "xml", str(root)])[0] == 2
    assert _run(["frobnicate"])[0] == 2
    assert _run(["check", "--jobs", "0", str(root)])[0] == 2


def test_check_with_config_file_flag(tmp_path: Path) -> None:
    cfg = tmp_path / "guard.toml"
    cfg.write_text('[tool.import_guard.removed."x.y"]\nreplacement = "x.z"\n')
    (tmp_path / "m.py").write_text("import x.y\n")
    assert _run(["check", "--config", str(cfg), str(tmp_path / "m.py")])[0] == 1


def test_check_exclude_glob(tree) -> None:  # type: ignore[no-untyped-def]
    root: Path = tree({"other/dirty.py": DIRTY})
    assert _run(["check", "--exclude", "other/dirty.py", str(root)])[0] == 0
    assert _run(["check", "--exclude", "dirty.*", str(root)])[0] == 0


def test_fix_exits_0_when_everything_was_fixed_and_diff_exits_1(tree) -> None:  # type: ignore[no-untyped-def]
    root: Path = tree({"other/dirty.py": DIRTY})
    code, out = _run(["fix", "--diff", str(root)])
    assert code == 1 and "+from new.pkg.home import a" in out
    assert (root / "other/dirty.py").read_text() == DIRTY
    code, out = _run(["fix", str(root)])
    assert code == 0 and "fixed " in out
    assert _run(["check", str(root)])[0] == 0
    assert _run(["fix", "--diff", str(root)])[0] == 0


def test_fix_exits_1_when_removed_names_are_left(tree) -> None:  # type: ignore[no-untyped-def]
    root: Path = tree({"other/dead.py": "from old.pkg.gone import a, Dead\n"})
    code, out = _run(["fix", str(root)])
    assert code == 1
    assert "IG002" in out


def test_help_lists_the_checks_and_exit_codes() -> None:
    code, _ = _run(["--help"])
    assert code == 0
    proc = subprocess.run(
        [sys.executable, "-c", "from import_guard.cli import main; main()", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    for word in ("IG001", "IG002", "IG900", "exit codes"):
        assert word in proc.stdout


def test_main_exits_with_the_code_the_error_carries(tree, capsys) -> None:  # type: ignore[no-untyped-def]
    root: Path = tree({"other/dirty.py": DIRTY})
    with pytest.raises(SystemExit) as info:
        main(["check", str(root)])
    assert info.value.code == 1
    with pytest.raises(SystemExit) as info:
        main(["check", str(root / "nope")])
    assert info.value.code == 2
    assert "no such file" in capsys.readouterr().err


def test_console_script_runs(tree) -> None:  # type: ignore[no-untyped-def]
    root: Path = tree({"other/dirty.py": DIRTY})
    script = Path(sys.executable).parent / "import-guard"
    if not script.exists():
        pytest.skip("import-guard console script not installed in this environment")
    proc = subprocess.run(
        [str(script), "check", str(root)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1
    assert "IG001" in proc.stdout
