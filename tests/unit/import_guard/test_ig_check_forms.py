"""Every form of reference the checker must report, and every decoy it must not."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from import_guard.records import FileResult, Status

pytestmark = pytest.mark.unit

Check = Callable[[str, "str | bytes"], FileResult]
Marks = Callable[..., list[tuple[int, str]]]
Tree = Callable[[Mapping[str, "str | bytes"]], Path]

ABSOLUTE_FORMS = """\
import os
import old.pkg.gone  # <- IG001
import old.pkg.gone as alias  # <- IG001
import json, old.pkg.gone  # <- IG001
from old.pkg.gone import thing, other as k  # <- IG001
from old.pkg.gone import (  # <- IG001
    thing,
    other as k2,
)
from old.pkg.gone \\
    import thing  # <- IG001 (line continuation: the statement starts on the line above)
from old.pkg import gone  # <- IG001
from old.pkg import gone as g, unrelated  # <- IG001
from old.pkg.gone import *  # <- IG001
"""


def test_check_reports_every_absolute_form(
    check_one: Check, expected: Marks, reported: Marks
) -> None:
    result = check_one("other/user.py", ABSOLUTE_FORMS)
    want = expected(ABSOLUTE_FORMS)
    # the continued statement starts one line above its marker
    want = sorted((n - 1, c) if n == 11 else (n, c) for n, c in want)
    assert reported(list(result.findings)) == want
    assert all(f.module == "old.pkg.gone" for f in result.findings)


def test_check_reports_relative_forms_resolved_against_the_package(
    check_one: Check, expected: Marks, reported: Marks
) -> None:
    src = "from .gone import thing  # <- IG001\nfrom . import gone  # <- IG001\nfrom . import gone as g  # <- IG001\n"
    assert reported(list(check_one("old/pkg/user.py", src).findings)) == expected(src)


def test_check_resolves_parent_relative_forms(
    check_one: Check, expected: Marks, reported: Marks
) -> None:
    src = "from ..gone import thing  # <- IG001\nfrom ...pkg.gone import x  # <- IG001\nfrom .. import gone  # <- IG001\n"
    assert reported(list(check_one("old/pkg/sub/deep.py", src).findings)) == expected(src)


def test_check_resolves_relative_forms_in_a_package_init(
    check_one: Check, expected: Marks, reported: Marks
) -> None:
    src = "from .gone import thing  # <- IG001\n"
    assert reported(list(check_one("old/pkg/__init__.py", src).findings)) == expected(src)


def test_check_does_not_flag_a_sibling_packages_own_module_of_that_name(
    check_one: Check, tree: Tree
) -> None:
    src = "from .gone import thing\nfrom . import gone\nfrom ..pkg.gone import x\n"
    root = tree({"other/pkg/gone.py": "thing = x = 1\n"})
    assert (root / "other/pkg/gone.py").exists()
    result = check_one("other/pkg/user.py", src)
    assert result.findings == ()


def test_check_reports_literal_dynamic_imports(
    check_one: Check, expected: Marks, reported: Marks
) -> None:
    src = """\
import importlib
from importlib import import_module
a = importlib.import_module("old.pkg.gone")  # <- IG001
b = import_module('old.pkg.gone')  # <- IG001
c = __import__("old.pkg.gone")  # <- IG001
d = importlib.import_module(  # <- IG001
    "old.pkg.gone",
)
e = importlib.import_module(".gone", "old.pkg")  # <- IG001
f = importlib.import_module(".gone", package="old.pkg")  # <- IG001
name = "old.pkg.gone"
g = importlib.import_module(name)
h = importlib.import_module(f"old.pkg.{name}")
i = importlib.import_module("old.pkg.gone_utils")
"""
    assert reported(list(check_one("other/dyn.py", src).findings)) == expected(src)


def test_check_reports_imports_in_nested_blocks(
    check_one: Check, expected: Marks, reported: Marks
) -> None:
    src = """\
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from old.pkg.gone import thing  # <- IG001
try:
    import old.pkg.gone  # <- IG001
except ImportError:
    pass
def f():
    from old.pkg.gone import thing  # <- IG001
    class Inner:
        def g(self):
            import old.pkg.gone as x  # <- IG001
            return x
    return thing
async def h():
    with open("x"):
        from old.pkg import gone  # <- IG001
if True: import old.pkg.gone  # <- IG001
"""
    assert reported(list(check_one("other/nested.py", src).findings)) == expected(src)


DECOYS = '''\
"""Module docstring: import old.pkg.gone and from old.pkg.gone import thing."""
# import old.pkg.gone
# from .gone import thing
import old.pkg.gone_utils
import old.pkg.gonezo
from old.pkg.gone_utils import thing
from old.pkg import gone_utils, other
from old.pkgx.gone import a
import old.pkg
from new.pkg.home import thing
x = "import old.pkg.gone"
y = f"from old.pkg.gone import {x}"
z = b"import old.pkg.gone"
def f():
    """from old.pkg.gone import thing"""
    return old.pkg.gone_utils
'''


def test_check_ignores_comments_strings_and_lookalike_modules(check_one: Check) -> None:
    result = check_one("other/decoys.py", DECOYS)
    assert result.findings == ()
    # The pre-filter rules every decoy out; the checker must not flag them either.
    from import_guard import scan

    (parsed,) = scan([result.path], prefilter=False, progress=False)
    assert parsed.findings == ()
    assert parsed.status is Status.UNCHANGED


def test_check_reports_a_submodule_of_a_removed_module_without_a_fix(
    check_one: Check, expected: Marks, reported: Marks
) -> None:
    src = "from old.pkg.gone.inner import x  # <- IG001\nimport old.pkg.gone.inner  # <- IG001\n"
    result = check_one("other/sub.py", src)
    assert reported(list(result.findings)) == expected(src)
    assert not any(f.fixable for f in result.findings)


def test_check_reports_removed_names_as_ig002(
    check_one: Check, expected: Marks, reported: Marks
) -> None:
    src = "from old.pkg.gone import Dead  # <- IG002\nfrom old.pkg.gone import thing, Dead  # <- IG001 <- IG002\n"
    result = check_one("other/names.py", src)
    assert reported(list(result.findings)) == expected(src)
    ig002 = [f for f in result.findings if f.code == "IG002"]
    assert all("make_thing()" in f.message and f.names == ("Dead",) for f in ig002)


def test_check_finding_carries_line_col_and_canonical_import(check_one: Check) -> None:
    src = "import os\n\ndef f():\n    from old.pkg.gone import (\n        a,\n        Renamed,\n    )\n"
    (f,) = check_one("other/pos.py", src).findings
    assert (f.line, f.col, f.end_line) == (4, 5, 7)
    assert f.replacement == "from new.pkg.home import a; from new.pkg.moved import Fresh as Renamed"
    assert f.names == ("a", "Renamed")


def test_check_counts_columns_in_characters_not_bytes(check_one: Check) -> None:
    src = 'x = "é"; import old.pkg.gone\n'
    (f,) = check_one("other/uni.py", src).findings
    assert f.col == 10


def test_ignore_comment_suppresses_a_finding_on_purpose(check_one: Check, reported: Marks) -> None:
    src = """\
import old.pkg.gone  # import-guard: ignore
from old.pkg.gone import (  # import-guard: ignore
    a,
)
from old.pkg.gone import (
    b,
)  # import-guard: ignore
from old.pkg.gone import Dead, c  # import-guard: ignore[IG002]  <- IG001
import old.pkg.gone as x  # import-guard: ignore[IG999]  <- IG001
s = "# import-guard: ignore"; import old.pkg.gone  # <- IG001
"""
    result = check_one("other/ign.py", src)
    assert reported(list(result.findings)) == sorted(
        (n, "IG001") for n, line in enumerate(src.splitlines(), 1) if "<- IG001" in line
    )


PEP695 = """\
type Alias[T] = list[T]
def first[T](items: list[T]) -> T:
    from old.pkg.gone import thing  # <- IG001
    return items[0]
class Box[T]:
    import old.pkg.gone as inner  # <- IG001
d = {"k": 1}
msg = f"{d["k"]} {f"{'import old.pkg.gone'}"}"
mod = __import__("old.pkg.gone")  # <- IG001
"""


def test_check_scans_files_in_syntax_newer_than_the_interpreter(
    check_one: Check, expected: Marks, reported: Marks
) -> None:
    result = check_one("other/new_syntax.py", PEP695)
    assert result.status is Status.UNCHANGED
    assert reported(list(result.findings)) == expected(PEP695)


def test_check_reports_non_python_files_as_ig900(tree) -> None:  # type: ignore[no-untyped-def]
    from import_guard import scan

    root = tree(
        {
            "other/binary.py": b"\x89PNG\r\n\x1a\n\x00\x00gone",
            "other/latin.py": b"x = '\xe9'\n",  # not UTF-8, no coding cookie, no mention
            "other/broken.py": "import old.pkg.gone\nold.pkg.gone.f(:\n",
        }
    )
    results = {r.path.rsplit("/", 1)[1]: r for r in scan([root / "other"], progress=False)}
    for name in ("binary.py", "latin.py", "broken.py"):
        r = results[name]
        assert r.status is Status.FAILED, name
        assert [f.code for f in r.findings] == ["IG900"], name
        assert r.error is not None
    assert results["broken.py"].findings[0].line == 2


def test_check_parses_only_the_statements_naming_a_removed_module(tree) -> None:  # type: ignore[no-untyped-def]
    from import_guard import Mode, scan

    source = "import old.pkg.gone\n\n\ndef broken(:\n    pass\n\n\nx = old.pkg.gone.f()\n"
    root = tree({"other/elsewhere.py": source})
    (checked,) = scan([root / "other" / "elsewhere.py"], progress=False)
    # The syntax error lies in a statement that names nothing removed: check never reads it.
    assert checked.status is Status.UNCHANGED
    assert [(f.line, f.code) for f in checked.findings] == [(1, "IG001")]
    (whole,) = scan([root / "other" / "elsewhere.py"], prefilter=False, progress=False)
    assert [(f.line, f.code) for f in whole.findings] == [(4, "IG900")]
    # fix parses the whole file before it edits anything, and leaves it alone.
    (fixed,) = scan([root / "other" / "elsewhere.py"], mode=Mode.FIX, progress=False)
    assert fixed.status is Status.FAILED
    assert (root / "other" / "elsewhere.py").read_text() == source


def test_prefilter_skips_files_without_the_segment_and_no_prefilter_parses_them(tree) -> None:  # type: ignore[no-untyped-def]
    from import_guard import scan

    root = tree({"other/plain.py": "import os\n", "other/syntax.py": "def (:\n"})
    fast = {r.path.rsplit("/", 1)[1]: r for r in scan([root / "other"], progress=False)}
    assert fast["plain.py"].status is Status.SKIPPED and fast["plain.py"].reason
    assert fast["syntax.py"].status is Status.SKIPPED
    slow = {
        r.path.rsplit("/", 1)[1]: r for r in scan([root / "other"], prefilter=False, progress=False)
    }
    assert slow["plain.py"].status is Status.UNCHANGED
    assert [f.code for f in slow["syntax.py"].findings] == ["IG900"]
