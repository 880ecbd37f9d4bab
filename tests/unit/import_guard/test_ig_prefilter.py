"""The pre-filter's second stage: a file is ruled out only when no hit can be a reference."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from import_guard import Config, Mode, RunContext, process_source
from import_guard.prefilter import compile_prefilter, may_reference
from import_guard.records import FileResult, Status

pytestmark = pytest.mark.unit

Check = Callable[[str, "str | bytes"], FileResult]
Marks = Callable[..., list[tuple[int, str]]]

PATTERN = compile_prefilter(["gone"])

# Each must let its file through: the segment may be part of a reference here.
REFERENCES = [
    "from old.pkg import (\n    thing,\n    gone,\n)\n",
    "from old.pkg import (thing,\n    gone as g)\n",
    "from old.pkg import (  # a comment\n    gone  # the module\n)\n",
    "from old.pkg import (thing, other,\n    gone)\n",
    "from old.pkg import thing, \\\n    gone\n",
    "from . import (\n    gone\n)\n",
    "import old.pkg.\\\n    gone\n",
    "import old.pkg \\\n    .gone\n",
    "from \\\n    .gone import x\n",
    "from . \\\n    gone import x\n",
    "from .. gone import x\n",
    "import json, \\\n    old.pkg.gone as g\n",
    "import old . pkg . gone\n",
    "from old.pkg import(gone)\n",
    "from old.pkg.gone.inner import x\n",
    "import old.pkg.gone.inner\n",
    "if x: from old.pkg import gone\n",
    "x = 1; import old.pkg.gone\n",
    's = """doc\n"""; import old.pkg.gone\n',
    "import importlib\nx = importlib.import_module(\n    'old.pkg.gone'\n)\n",
    'x = importlib.import_module(\n    ".gone",\n    package="old.pkg",\n)\n',
    "x = importlib.import_module('.x', 'old.pkg.gone')\n",
    'x = __import__("old.pkg.\\\ngone")\n',
    'x = __import__(r"gone")\n',
    "x = __import__('old.pkg.gone'\n)\n",
    "from old.pkg import (\r\n    thing,\r\n    gone,\r\n)\r\n",
    "import old.pkg.\\\r\n    gone\r\n",
    "\ufeffimport old.pkg.gone as g\n",
    "x = 'caf\u00e9'; import old.pkg.gone\n",
]

# Each must rule its file out: no hit can be part of a reference.
DECOYS = [
    "self.gone = gone\n",
    "def gone():\n    return 1\n",
    "class gone:\n    pass\n",
    "gone = 3\nprint(gone + 1)\n",
    "x = obj.gone.attr\n",
    "def f(self):\n    return self.gone\n",
    "value = gone(1)\n",
    "result = call(x=gone)\n",
    's = "import old.pkg.gone"\n',
    "t = 'from old.pkg import gone'\n",
    'u = f"{x} import old.pkg.gone"\n',
    '"""from old.pkg.gone import thing"""\n',
    'def f():\n    """Usage:\n\n    from old.pkg import gone\n    import old.pkg.gone\n    """\n',
    "x = '''\nfrom old.pkg import (\n    gone,\n)\n'''\n",
    "x = 1  # from old.pkg import gone\n",
    "# import old.pkg.gone\n",
    'print("see old.pkg.gone.")\n',
    "s = 'import old.pkg.gone'  # no newline at the end",
    "import old.pkg.gone_utils\nfrom old.pkg import gonezo\n",
]


@pytest.mark.parametrize("source", REFERENCES)
def test_a_possible_reference_lets_the_file_through(source: str) -> None:
    assert may_reference(source.encode("utf-8"), [b"gone"], PATTERN)


@pytest.mark.parametrize("source", DECOYS)
def test_hits_that_cannot_be_references_rule_the_file_out(source: str) -> None:
    data = source.encode("utf-8")
    assert not may_reference(data, [b"gone"], PATTERN)


@pytest.mark.parametrize("source", REFERENCES)
def test_a_reference_after_decoys_still_lets_the_file_through(source: str) -> None:
    data = "".join(d for d in DECOYS if d.endswith("\n")) + source
    assert may_reference(data.encode("utf-8"), [b"gone"], PATTERN)


def test_an_unterminated_string_makes_the_tokenizer_unsure_and_lets_the_file_through() -> None:
    assert may_reference(b"s = 'abc\nfrom old.pkg import gone\n", [b"gone"], PATTERN)


def test_a_multibyte_coding_cookie_lets_the_file_through() -> None:
    # In such codecs a quote-like byte may sit inside a character; the tokenizer cannot tell.
    data = "# -*- coding: cp932 -*-\ns = 'import old.pkg.gone \u3042'\n".encode("cp932")
    assert may_reference(data, [b"gone"], PATTERN)
    latin = "# -*- coding: utf-8 -*-\ns = 'import old.pkg.gone \u00e9'\n".encode()
    assert not may_reference(latin, [b"gone"], PATTERN)


def test_multi_line_lists_and_continuations_are_found_with_the_prefilter_on(
    check_one: Check, expected: Marks, reported: Marks
) -> None:
    # Put each form alone in a file, so no other line lets the file through.
    src = "from old.pkg.sub import (\n    thing,\n    gone,\n)\n"
    result = check_one("old/pkg/sub/deep.py", "from .. import (\n    thing,\n    gone,\n)\n")
    assert [f.line for f in result.findings] == [1]
    result = check_one("other/cont.py", "import json, \\\n    old.pkg.gone as g\n")
    assert [f.line for f in result.findings] == [1]
    result = check_one("other/cont2.py", "from old.pkg import (thing,\n    gone as g)\n")
    assert [f.line for f in result.findings] == [1]
    result = check_one(
        "other/dyn.py", "import importlib\nm = importlib.import_module(\n    'old.pkg.gone'\n)\n"
    )
    assert [(f.line, f.code) for f in result.findings] == [(2, "IG001")]
    result = check_one("other/lookalike.py", src)
    assert result.findings == ()


def test_a_decoy_only_file_is_skipped_before_parsing(check_one: Check) -> None:
    result = check_one("other/decoys.py", "".join(DECOYS[:-2]) + "def (:\n")
    # A syntax error proves the file was never parsed: parsing would report IG900.
    assert result.status is Status.SKIPPED
    assert result.reason


def test_an_import_of_a_module_that_is_not_removed_is_ruled_out_without_parsing(
    check_one: Check,
) -> None:
    # The sibling package's own ``gone`` module, and absolute lookalikes: resolved, not parsed.
    sibling = check_one(
        "other/pkg/user.py", "from .gone import thing\nfrom .. gone import x\ndef (:\n"
    )
    assert sibling.status is Status.SKIPPED
    absolute = check_one(
        "other/abs.py", "import other.pkg.gone\nfrom other.gone.sub import y\ndef (:\n"
    )
    assert absolute.status is Status.SKIPPED


def test_relative_and_submodule_imports_of_a_removed_module_still_get_through(
    check_one: Check,
) -> None:
    result = check_one("old/pkg/user.py", "from .gone import thing\n")
    assert [f.code for f in result.findings] == ["IG001"]
    result = check_one("old/pkg/sub/deep.py", "from ..gone.inner import x\n")
    assert [f.code for f in result.findings] == ["IG001"]
    result = check_one("other/abs.py", "import old.pkg.gone.inner as i\n")
    assert [f.code for f in result.findings] == ["IG001"]


# Lines that are valid at the top level of a module, mixed at random below.
_PIECES = [
    *REFERENCES[:-3],
    *(d for d in DECOYS if d.endswith("\n")),
    "from .gone import thing\n",
    "from . import gone\n",
    "x = (\n    gone,\n)\n",
    "def f():\n    from old.pkg import gone\n    return gone\n",
    "'''\n''' ; import old.pkg.gone\n",
    "s = '''a\nb''' + 'import old.pkg.gone'\n",
    "obj.gone(\n    'x.gone'\n)\n",
    "import other.gone\n",
]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pieces=st.lists(st.sampled_from(_PIECES), min_size=1, max_size=4),
    rel=st.sampled_from(["old/pkg/m.py", "other/m.py"]),
)
def test_the_prefilter_never_skips_a_file_the_parser_finds_references_in(
    config: Config, pieces: list[str], rel: str
) -> None:
    source = "".join(pieces).encode("utf-8")
    path = str(config.root / rel)
    full, _ = process_source(
        path, source, RunContext(config=config, mode=Mode.CHECK, prefilter=False)
    )
    fast, _ = process_source(path, source, RunContext(config=config, mode=Mode.CHECK))
    assert fast.findings == full.findings
