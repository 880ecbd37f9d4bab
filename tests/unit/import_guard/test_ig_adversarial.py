"""Adversarial cases found by a second test pass: each test pins a bug that was fixed.

The made-up map of ``conftest.py`` is used (``old.pkg.gone`` -> ``new.pkg.home``), plus
small configs of their own where two removed modules or a one-segment root matter.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from import_guard import (
    Config,
    ConfigError,
    Mode,
    RunContext,
    find_config,
    load_config_file,
    process_source,
    scan,
)
from import_guard.records import FileResult, Status

pytestmark = pytest.mark.unit

TWO_MODULES = """\
[tool.import_guard.removed."a.one"]
replacement = "z.home"
[tool.import_guard.removed."a.two"]
replacement = "z.home"
"""


def _project(tmp_path: Path, config: str, files: dict[str, str | bytes]) -> Path:
    (tmp_path / "pyproject.toml").write_text(config)
    for rel, content in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return tmp_path


def _fix(tmp_path: Path, config: str, source: str, rel: str = "m.py") -> tuple[str, FileResult]:
    """Fix one file twice; the second run must change nothing."""
    root = _project(tmp_path, config, {rel: source})
    (first,) = scan([root / rel], Mode.FIX, progress=False)
    text = (root / rel).read_text()
    (second,) = scan([root / rel], Mode.FIX, progress=False)
    assert second.status is not Status.FIXED
    assert (root / rel).read_text() == text
    return text, first


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("tool = 3\n", "tool"),
        ('tool = "x"\n', "tool"),
    ],
)
def test_a_tool_key_that_is_not_a_table_is_a_config_error(
    tmp_path: Path, toml: str, key: str
) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as exc:
        load_config_file(path)
    assert exc.value.key == key
    with pytest.raises(ConfigError) as exc:
        find_config(tmp_path)
    assert exc.value.key == key


def test_a_toml_file_that_is_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "ig.toml"
    path.write_bytes(b"\xff\xfe[tool.import_guard]\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config_file(path)


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        ('replacement = "class.home"', 'tool.import_guard.removed."a.one".replacement'),
        (
            'replacement = "z.home"\nnames = { import = { to = "z.x" } }',
            'tool.import_guard.removed."a.one".names.import',
        ),
        (
            'replacement = "z.home"\nnames = { N = { to = "z.x:def" } }',
            'tool.import_guard.removed."a.one".names.N.to',
        ),
        (
            'replacement = "z.home"\nnames = { N = { to = "z.pass" } }',
            'tool.import_guard.removed."a.one".names.N.to',
        ),
    ],
)
def test_a_keyword_where_a_name_belongs_is_a_config_error(
    tmp_path: Path, entry: str, key: str
) -> None:
    # The fixer would write `from class.home import ...`: refuse the config, naming the key.
    path = tmp_path / "ig.toml"
    path.write_text(f'[tool.import_guard.removed."a.one"]\n{entry}\n')
    with pytest.raises(ConfigError) as exc:
        load_config_file(path)
    assert exc.value.key == key


# --------------------------------------------------------------------------- relative imports

GONE_ONLY = '[tool.import_guard.removed."old.pkg.gone"]\nreplacement = "new.pkg.home"\n'


def _flagged(root: Path) -> list[tuple[str, int]]:
    return sorted(
        (Path(f.path).relative_to(root).as_posix(), f.line)
        for r in scan([root], progress=False)
        for f in r.findings
    )


def test_relative_import_beyond_the_top_level_package_is_not_a_reference(tmp_path: Path) -> None:
    # `..` from the top-level package `app` is an ImportError, not `old.pkg.gone`.
    root = _project(
        tmp_path,
        GONE_ONLY,
        {
            "src/app/__init__.py": "",
            "src/app/m.py": "from ..old.pkg import gone\nfrom ..old.pkg.gone import X\n",
        },
    )
    assert _flagged(root) == []


def test_relative_imports_under_namespace_parents_and_src_layouts_are_found(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        # src layout, regular packages: `src` is where the import root lies.
        "src/old/__init__.py": "",
        "src/old/pkg/__init__.py": "",
        "src/old/pkg/a.py": "from .gone import X\nfrom . import gone\n",
        # `old` a PEP 420 namespace package holding the regular package `pkg`.
        "ns/old/pkg/__init__.py": "",
        "ns/old/pkg/b.py": "from .gone import X\n",
        # all namespace packages below a directory that is not a package.
        "lib/old/pkg/c.py": "from .gone import X\n",
        # a sibling's own `gone` module: still not a reference.
        "lib/other/pkg/d.py": "from .gone import X\n",
        "src/other/__init__.py": "",
        "src/other/e.py": "from .gone import X\nfrom . import gone\n",
    }
    root = _project(tmp_path, GONE_ONLY, files)
    assert _flagged(root) == [
        ("lib/old/pkg/c.py", 1),
        ("ns/old/pkg/b.py", 1),
        ("src/old/pkg/a.py", 1),
        ("src/old/pkg/a.py", 2),
    ]
    # the pre-filter must not rule these files out either
    unfiltered = sorted(
        (Path(f.path).relative_to(root).as_posix(), f.line)
        for r in scan([root], progress=False, prefilter=False)
        for f in r.findings
    )
    assert unfiltered == _flagged(root)


# --------------------------------------------------------------------------- dynamic imports

DYNAMIC = """\
import importlib as il
from importlib import import_module
a = import_module(name="old.pkg.gone")
b = il.import_module("old.pkg.gone")
c = __import__(name="old.pkg.gone")
d = __import__("old.pkg", fromlist=["gone"])
e = __import__("old.pkg", None, None, ("x", "gone"))
f = import_module(f"old.pkg.gone")
g = import_module(name)
h = import_module(*names)
i = __import__("old.pkg", fromlist=["other"])
"""
# 3.12-only syntax sends the same calls down the LibCST path.
NEWER = "type Alias = int\n" + DYNAMIC


@pytest.mark.parametrize("source", [DYNAMIC, NEWER], ids=["ast", "libcst"])
def test_dynamic_imports_by_keyword_alias_fromlist_and_fstring_are_found(
    tmp_path: Path, source: str
) -> None:
    root = _project(tmp_path, GONE_ONLY, {"m.py": source})
    (result,) = scan([root / "m.py"], progress=False)
    shift = source.count("\n") - DYNAMIC.count("\n")
    got = {(f.line - shift, f.fixable) for f in result.findings}
    assert got == {(3, True), (4, True), (5, True), (6, False), (7, False), (8, False)}
    assert all(f.code == "IG001" and f.module == "old.pkg.gone" for f in result.findings)


def test_dynamic_imports_fix_only_plain_literals_and_report_the_rest(tmp_path: Path) -> None:
    text, result = _fix(tmp_path, GONE_ONLY, DYNAMIC)
    assert 'import_module(name="new.pkg.home")' in text
    assert 'il.import_module("new.pkg.home")' in text
    assert '__import__(name="new.pkg.home")' in text
    assert 'fromlist=["gone"]' in text and 'import_module(f"old.pkg.gone")' in text
    assert sorted(f.line for f in result.findings) == [6, 7, 8]
    assert not any(f.fixable for f in result.findings)


# --------------------------------------------------------------------------- merging


@pytest.mark.parametrize("newer", ["", "type T = int\n"], ids=["ast", "libcst"])
def test_merge_never_moves_an_import_across_code_that_uses_it(tmp_path: Path, newer: str) -> None:
    # Merging `C` into the later canonical import would make `x = C()` a NameError.
    source = newer + "from a.one import C\nx = C()\nfrom z.home import A\n"
    text, _ = _fix(tmp_path, TWO_MODULES, source)
    assert text == newer + "from z.home import C\nx = C()\nfrom z.home import A\n"


@pytest.mark.parametrize("newer", ["", "type T = int\n"], ids=["ast", "libcst"])
def test_merge_across_other_imports_still_happens(tmp_path: Path, newer: str) -> None:
    source = "from a.one import C\nimport os\nfrom z.home import A\n" + newer
    text, _ = _fix(tmp_path, TWO_MODULES, source)
    assert text == "import os\nfrom z.home import A, C\n" + newer


def test_merge_keeps_comments_of_the_merged_statement(tmp_path: Path) -> None:
    source = "from z.home import A\nfrom a.two import (D,  # why D\n    E)\n"
    text, _ = _fix(tmp_path, TWO_MODULES, source)
    assert "# why D" in text
    assert text == "from z.home import A\nfrom z.home import (D,  # why D\n    E)\n"


def test_merge_into_a_block_leaves_the_last_names_comment_on_its_line(tmp_path: Path) -> None:
    source = "from z.home import (\n    A,  # about A\n)\nfrom a.one import C\n"
    text, _ = _fix(tmp_path, TWO_MODULES, source)
    assert text == "from z.home import (\n    A,  # about A\n    C,\n)\n"


def test_merge_into_a_crlf_block_keeps_crlf(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        TWO_MODULES,
        {"m.py": b"from z.home import (\r\n    A,\r\n)\r\nfrom a.one import C\r\n"},
    )
    scan([root / "m.py"], Mode.FIX, progress=False)
    assert (root / "m.py").read_bytes() == b"from z.home import (\r\n    A,\r\n    C,\r\n)\r\n"


# --------------------------------------------------------------------------- import a.b.c


@pytest.mark.parametrize("newer", ["", "type T = int\n"], ids=["ast", "libcst"])
def test_plain_import_is_not_rewritten_when_its_root_name_is_used_otherwise(
    tmp_path: Path, newer: str
) -> None:
    # `import old.pkg.gone` binds `old`; `import new.pkg.home` would leave `old.pkg.other` a
    # NameError.
    source = newer + "import old.pkg.gone\nx = old.pkg.gone.X\nprint(old.pkg.other)\n"
    text, result = _fix(tmp_path, GONE_ONLY, source)
    assert text == source
    (finding,) = result.findings
    assert finding.code == "IG001" and not finding.fixable and "'old'" in finding.message


def test_plain_import_is_rewritten_when_another_import_binds_the_root(tmp_path: Path) -> None:
    source = "import old.pkg\nimport old.pkg.gone\nx = old.pkg.gone.X\nprint(old.pkg.other)\n"
    text, result = _fix(tmp_path, GONE_ONLY, source)
    assert text == "import old.pkg\nimport new.pkg.home\nx = new.pkg.home.X\nprint(old.pkg.other)\n"
    assert result.findings == ()


# --------------------------------------------------------------------------- property: an ast oracle

MODULES = [
    "old.pkg.gone",
    "old.pkg.gone_utils",
    "old.pkg",
    "old.pkg.gone.inner",
    "new.pkg.home",
    "os",
    "x.gone",
]
NAMES = ["X", "Dead", "Moved", "Renamed", "gone", "os"]
REMOVED = "old.pkg.gone"


def _statement(draw: st.DrawFn) -> str:
    module = draw(st.sampled_from(MODULES))
    alias = draw(st.sampled_from(["", " as al"]))
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return f"import {module}{alias}"
    if kind == 1:
        return f"import os, {module}{alias}"
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True))
    items = [n + draw(st.sampled_from(["", " as a_" + n])) for n in names]
    if kind == 2:
        return f"from {module} import {', '.join(items)}"
    if kind == 3:
        sep = draw(st.sampled_from([",\n    ", ",  # c\n    ", ", "]))
        return f"from {module} import (\n    {sep.join(items)},\n)"
    if kind == 4:
        return f"from {module} \\\n    import {', '.join(items)}"
    if kind == 5:
        return f'm = importlib.import_module("{module}")'
    return draw(
        st.sampled_from([f"# import {module}", f's = "from {module} import X"', f"x = {module}"])
    )


@st.composite
def _programs(draw: st.DrawFn) -> str:
    lines = ["import importlib"]
    for _ in range(draw(st.integers(1, 6))):
        stmt = _statement(draw)
        wrap = draw(st.integers(0, 3))
        if wrap == 1:
            stmt = (
                "def f():\n"
                + "\n".join("    " + ln for ln in stmt.split("\n"))
                + "\n    return None"
            )
        elif wrap == 2:
            stmt = (
                "if TYPE_CHECKING:\n"
                + "\n".join("    " + ln for ln in stmt.split("\n"))
                + "\n    pass"
            )
        elif wrap == 3 and "\n" not in stmt:
            stmt = "import sys; " + stmt
        lines.append(stmt)
    return "\n".join(lines) + "\n"


def _oracle(source: str) -> set[int]:
    """Lines where a statement or call referencing REMOVED starts, by ast alone."""

    def hit(name: str | None) -> bool:
        return name is not None and (name == REMOVED or name.startswith(REMOVED + "."))

    def references(node: ast.AST) -> bool:
        if isinstance(node, ast.Import):
            return any(hit(a.name) for a in node.names)
        if isinstance(node, ast.ImportFrom):
            return hit(node.module) or any(hit(f"{node.module}.{a.name}") for a in node.names)
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            value = node.args[0].value
            return (
                isinstance(value, str)
                and hit(value)
                and getattr(node.func, "attr", None) == "import_module"
            )
        return False

    return {node.lineno for node in ast.walk(ast.parse(source)) if references(node)}  # type: ignore[attr-defined]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(source=_programs())
def test_check_agrees_with_an_ast_oracle_and_fix_leaves_only_unfixable(
    config: Config, source: str
) -> None:
    path = str(config.root / "other" / "m.py")
    result, _ = process_source(path, source.encode(), RunContext(config=config, mode=Mode.CHECK))
    assert {f.line for f in result.findings} == _oracle(source)
    fixed, new = process_source(path, source.encode(), RunContext(config=config, mode=Mode.DIFF))
    if new is None:
        assert all(not f.fixable for f in fixed.findings)
        return
    ast.parse(new.decode())  # the fixed file parses
    again, _ = process_source(path, new, RunContext(config=config, mode=Mode.CHECK))
    assert not any(f.fixable for f in again.findings)  # nothing fixable left: one fix is enough
    # what is left is only what could not be fixed the first time
    assert len(again.findings) <= len([f for f in result.findings if not f.fixable]) + len(
        [f for f in result.findings if f.code == "IG002"]
    )
