"""The fixer as before/after source: every byte outside the rewritten statements is kept."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from import_guard import Mode, Status, scan
from import_guard.records import FileResult

pytestmark = pytest.mark.unit

FixText = Callable[..., str]
FixOne = Callable[[str, "str | bytes"], tuple[bytes, FileResult]]


def test_fix_rewrites_only_the_module_span_keeping_comments_and_layout(fix_text: FixText) -> None:
    before = (
        "import os  # first\n"
        "from old.pkg.gone import (  # why we need these\n"
        "    alpha,   # the first\n"
        "    beta as b,\n"
        ")\n"
        "print(alpha, b)\n"
    )
    after = before.replace("from old.pkg.gone import", "from new.pkg.home import")
    assert fix_text(before) == after


def test_fix_keeps_crlf_line_endings_byte_for_byte(fix_one: FixOne) -> None:
    before = b"import os\r\nfrom old.pkg.gone import a\r\n\r\nx = 1  # note\r\n"
    new, result = fix_one("other/crlf.py", before)
    assert result.status is Status.FIXED
    assert new == b"import os\r\nfrom new.pkg.home import a\r\n\r\nx = 1  # note\r\n"


def test_fix_keeps_a_declared_encoding_and_a_bom(fix_one: FixOne, tree) -> None:  # type: ignore[no-untyped-def]
    latin = "# -*- coding: latin-1 -*-\nname = 'café'\nimport old.pkg.gone as g\n".encode("latin-1")
    new, _ = fix_one("other/latin.py", latin)
    assert new == latin.replace(b"old.pkg.gone", b"new.pkg.home")
    bom = b"\xef\xbb\xbfimport old.pkg.gone as g\n"
    new, _ = fix_one("other/bom.py", bom)
    assert new == b"\xef\xbb\xbfimport new.pkg.home as g\n"


def test_fix_merges_into_an_existing_canonical_import(fix_text: FixText) -> None:
    before = (
        "from new.pkg.home import alpha  # canonical\n"
        "from old.pkg.gone import beta, alpha\n"
        "from old.pkg.gone import gamma as g\n"
        "\n"
        "x = 1\n"
    )
    after = "from new.pkg.home import alpha, beta, gamma as g  # canonical\n\nx = 1\n"
    assert fix_text(before) == after


def test_fix_merges_into_a_parenthesised_multiline_import(fix_text: FixText) -> None:
    before = (
        "from new.pkg.home import (\n    alpha,\n    beta,\n)\nfrom old.pkg.gone import gamma\n"
    )
    after = "from new.pkg.home import (\n    alpha,\n    beta,\n    gamma,\n)\n"
    assert fix_text(before) == after


def test_fix_does_not_merge_out_of_a_nested_block(fix_text: FixText) -> None:
    before = "from new.pkg.home import alpha\ntry:\n    from old.pkg.gone import beta\nexcept ImportError:\n    beta = None\n"
    assert fix_text(before) == before.replace("from old.pkg.gone", "from new.pkg.home")


def test_fix_rewrites_import_as_alias(fix_text: FixText) -> None:
    assert fix_text("import old.pkg.gone as x\nx.run()\n") == "import new.pkg.home as x\nx.run()\n"
    assert fix_text("import os, old.pkg.gone as x, sys\n") == "import os, new.pkg.home as x, sys\n"


def test_fix_rewrites_plain_import_and_its_attribute_uses(fix_text: FixText) -> None:
    # `import old.pkg` keeps `old` bound for `old.pkg.gone_utils` once `import old.pkg.gone` is
    # gone.
    before = "import old.pkg\nimport old.pkg.gone\n\ndef f():\n    # old.pkg.gone.run stays in comments\n    return old.pkg.gone.run(old.pkg.gone_utils)\n"
    after = "import old.pkg\nimport new.pkg.home\n\ndef f():\n    # old.pkg.gone.run stays in comments\n    return new.pkg.home.run(old.pkg.gone_utils)\n"
    assert fix_text(before) == after


def test_fix_turns_from_package_import_module_into_import_as(fix_text: FixText) -> None:
    assert fix_text("from old.pkg import gone\n") == "import new.pkg.home as gone\n"
    assert (
        fix_text("from old.pkg import gone as g, keep\n")
        == "import new.pkg.home as g\nfrom old.pkg import keep\n"
    )
    assert (
        fix_text("from . import gone\n", rel="old/pkg/user.py") == "import new.pkg.home as gone\n"
    )


def test_fix_rewrites_relative_imports_to_the_absolute_canonical_module(fix_text: FixText) -> None:
    # in old/pkg/sub/x.py, ``.gone`` is old.pkg.sub.gone (not removed) and ``..gone`` is old.pkg.gone
    before = "from .gone import a, b  # rel\nfrom ..gone import c  # up\n"
    after = "from .gone import a, b  # rel\nfrom new.pkg.home import c  # up\n"
    assert fix_text(before, rel="old/pkg/sub/x.py") == after


def test_fix_leaves_removed_names_and_moves_renamed_ones_under_their_old_name(
    fix_one: FixOne,
) -> None:
    before = "if True:\n    from old.pkg.gone import (\n        a,  # keep me\n        Dead,\n        Moved,\n        Renamed,\n    )\n"
    new, result = fix_one("other/names.py", before)
    assert new.decode() == (
        "if True:\n"
        "    # keep me\n"
        "    from new.pkg.home import a\n"
        "    from new.pkg.moved import Moved, Fresh as Renamed\n"
        "    from old.pkg.gone import Dead\n"
    )
    assert result.status is Status.FIXED
    assert [f.code for f in result.findings] == ["IG002"]


def test_fix_rewrites_dynamic_imports_only_with_a_plain_literal(fix_text: FixText) -> None:
    before = (
        "import importlib\n"
        "a = importlib.import_module('old.pkg.gone')\n"
        'b = __import__(r"old.pkg.gone")\n'
        'c = importlib.import_module("old.pkg." "gone")\n'
        'd = importlib.import_module("old\\x2epkg.gone")\n'
    )
    after = before.replace("'old.pkg.gone'", "'new.pkg.home'").replace(
        'r"old.pkg.gone"', 'r"new.pkg.home"'
    )
    assert fix_text(before) == after


def test_fix_is_idempotent(fix_text: FixText) -> None:
    before = (
        "from new.pkg.home import z\n"
        "from old.pkg.gone import a, Dead, Renamed\n"
        "import old.pkg.gone as g\n"
        "from old.pkg import gone\n"
        "m = __import__('old.pkg.gone')\n"
    )
    once = fix_text(before)
    assert once != before
    assert fix_text(once) == once


def test_fix_never_touches_an_unparsable_file(fix_one: FixOne) -> None:
    before = b"from old.pkg.gone import a\ndef broken(:\n"
    new, result = fix_one("other/broken.py", before)
    assert new == before
    assert result.status is Status.FAILED
    assert [f.code for f in result.findings] == ["IG900"]


def test_fix_handles_files_in_newer_syntax(fix_one: FixOne) -> None:
    before = "type Pair[T] = tuple[T, T]\ndef f[T](x: T) -> T:\n    from old.pkg.gone import a\n    return x\n"
    new, result = fix_one("other/py312.py", before)
    assert result.status is Status.FIXED
    assert new.decode() == before.replace("old.pkg.gone", "new.pkg.home")


def test_fix_writes_atomically_keeping_the_file_mode(tree) -> None:  # type: ignore[no-untyped-def]
    root: Path = tree({"other/exe.py": "#!/usr/bin/env python\nimport old.pkg.gone as g\n"})
    path = root / "other/exe.py"
    os.chmod(path, 0o750)
    (result,) = scan([path], Mode.FIX, progress=False)
    assert result.status is Status.FIXED
    assert stat.S_IMODE(path.stat().st_mode) == 0o750
    assert "new.pkg.home" in path.read_text()
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".import-guard-")] == []


def test_diff_mode_prints_a_diff_and_changes_nothing(tree) -> None:  # type: ignore[no-untyped-def]
    root: Path = tree({"other/d.py": "import old.pkg.gone as g\n"})
    path = root / "other/d.py"
    (result,) = scan([path], Mode.DIFF, progress=False)
    assert path.read_text() == "import old.pkg.gone as g\n"
    assert result.diff is not None
    assert "-import old.pkg.gone as g\n+import new.pkg.home as g\n" in result.diff


def test_fix_leaves_suppressed_sites_alone(fix_text: FixText) -> None:
    before = "import old.pkg.gone as g  # import-guard: ignore\n"
    assert fix_text(before) == before
