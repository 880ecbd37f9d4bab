"""``check`` parses only the statements naming a removed module: same findings as a whole parse."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from import_guard import Config, Mode, RunContext, process_source
from import_guard.extract import _hot_offsets
from import_guard.prefilter import word_pattern
from import_guard.source import Source, decode
from import_guard.statements import hot_spans, masked_text, start_candidates

pytestmark = pytest.mark.unit

# Pieces of real-looking modules; the ones naming ``old.pkg.gone`` hold references.
PIECES = [
    "import os\n",
    "from old.pkg.gone import a, b as c\n",
    "import old.pkg.gone\n",
    "x = old.pkg.gone.thing\n",
    '"""Docs.\nimport old.pkg.gone\nfrom old.pkg.gone import x\n"""\n',
    "s = '''\nimport old.pkg.gone\n'''\n",
    "def f():\n    from old.pkg.gone import a\n\n# comment at column 0\n    return a\n",
    "if True:\n    import old.pkg.gone as g\nelse:\n    g = None\n",
    "try:\n    import old.pkg.gone\nexcept ImportError:\n    pass\nfinally:\n    pass\n",
    "@decorator(old.pkg.gone)\ndef g():\n    pass\n",
    "value = [\n1,\nold.pkg.gone,\n]\n",
    "y = (1 +\n2)\n",
    "z = 1 + \\\n    old.pkg.gone.f()\n",
    "class K:\n    import old.pkg.gone\n\n\n\n    def m(self):\n        return old.pkg.gone\n",
    "m = __import__('old.pkg.gone')\n",
    "import importlib\nm2 = importlib.import_module(\n'old.pkg.gone'\n)\n",
    "t = f'{1}' + \"gone\"\n",
    "# from old.pkg.gone import nothing\n",
    "async def h():\n    import old.pkg.gone\n",
    "\r\nimport old.pkg.gone\r\n",
]


def _findings(config: Config, source: str, prefilter: bool) -> object:
    ctx = RunContext(config=config, mode=Mode.CHECK, prefilter=prefilter)
    result, _ = process_source(str(config.root / "other" / "m.py"), source.encode(), ctx)
    return (result.status if result.status.value == "failed" else None, result.findings)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=6))
def test_check_finds_what_a_whole_parse_finds(config: Config, pieces: list[str]) -> None:
    source = "".join(pieces)
    # prefilter=False parses every file whole: the reference the sliced parse must match.
    assert _findings(config, source, True) == _findings(config, source, False)


def test_statements_skip_strings_continuations_closing_brackets_and_else_branches() -> None:
    text = (
        "import a\n"
        '"""\nnot_a_start\n"""\n'
        "if x:\n    pass\nelse:\n    hot1\n"
        "y = (1 + \\\nz,\n)\n"
        "# comment\n"
        "last = 2\n"
    )

    def span_of(word: str) -> str:
        spans = hot_spans(text, [text.index(word)])
        assert spans is not None
        ((s, e),) = spans
        return text[s:e]

    assert span_of("not_a_start") == '"""\nnot_a_start\n"""\n'
    assert span_of("hot1") == "if x:\n    pass\nelse:\n    hot1\n"
    assert span_of("z,") == "y = (1 + \\\nz,\n)\n# comment\n"
    assert span_of("last") == "last = 2\n"


def test_an_unterminated_string_means_the_whole_file_is_parsed() -> None:
    text = "import a\ns = '''never closed\nimport old.pkg.gone\n"
    assert hot_spans(text, [text.index("old")]) is None


def test_masked_text_keeps_lines_and_columns() -> None:
    text = "a = 1\nb = 2\nimport old.pkg.gone\nc = 3\n"
    src = decode("m.py", text.encode())
    spans = hot_spans(text, [text.index("old")])
    assert spans == [(12, 32)]
    masked = masked_text(text, spans, src.line_starts)
    assert masked == "\n\nimport old.pkg.gone\n"


@pytest.mark.parametrize(
    "source",
    [
        "import os\nfrom old.pkg.gone import a\n\nx = 1\n",
        "import os\n\n\ndef f():\n    if True:\n        from old.pkg.gone import a\n    return a\n",
    ],
)
def test_fix_still_refuses_a_rewrite_that_would_not_parse(
    config: Config, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    from import_guard.fixer import Edit
    from import_guard.records import Status

    def broken_plan(src, ex, matches):  # type: ignore[no-untyped-def]
        stmt = matches.stmts[0].stmt
        return [Edit(stmt.start, stmt.end, "from new.pkg.home import (a")]

    monkeypatch.setattr("import_guard.runner.plan", broken_plan)
    ctx = RunContext(config=config, mode=Mode.FIX)
    result, new = process_source(str(config.root / "other" / "m.py"), source.encode(), ctx)
    assert new is None
    assert result.status is Status.FAILED
    assert result.error is not None
    assert "would not parse" in result.error.reason


@given(st.text(alphabet="ab_c1é. \n\r#", max_size=80))
def test_hot_offsets_are_the_whole_word_regex_matches(text: str) -> None:
    words = frozenset({"ab", "c", "b_1", "a"})
    expected = [m.start() for m in re.finditer(word_pattern(words), text)]
    assert _hot_offsets(Source("m.py", text, "utf-8"), words) == expected


LINE_PIECES = ["x", " ", "\t", "\n", "\r", "#", ")", "]", "else", "elif:", "elsewhere", "try"]


@given(st.lists(st.sampled_from(LINE_PIECES), max_size=12).map("".join))
def test_start_candidates_are_the_multiline_caret_matches(text: str) -> None:
    caret = re.compile(r"^(?![ \t\f\r\n#)\]}]|(?:else|elif|except|finally)\b)", re.MULTILINE)
    assert start_candidates(text) == [m.start() for m in caret.finditer(text)]


FIX_PIECES = [
    *PIECES,
    "from new.pkg.home import thing\n",
    "from old.pkg.gone import *\nuse(Moved)\n",
    "from old.pkg.gone import Moved, Dead, a\n",
    "import old.pkg.gone\ny = old.pkg.gone.Moved\n",
    "@dec\ndef d():\n    import old.pkg.gone as q\n",
    "def broken(:\n",
    "type Alias = int\n",
    "w = [\nold.pkg.gone.a,\n1]\n",
    "z = 2\n",
]


def _fixed(config: Config, source: str, prefilter: bool) -> object:
    ctx = RunContext(config=config, mode=Mode.FIX, prefilter=prefilter)
    result, new = process_source(str(config.root / "other" / "m.py"), source.encode(), ctx)
    reason = result.error.reason if result.error is not None else None
    return result.status, result.findings, reason, new


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(FIX_PIECES), min_size=1, max_size=6))
# A merge target with code between (the planner needs every top-level statement), a star
# import (its names come from the whole tree), a syntax error away from the reference.
@example(["from new.pkg.home import thing\n", "z = 2\n", "from old.pkg.gone import a, b as c\n"])
@example(["from old.pkg.gone import *\nuse(Moved)\n", "z = 2\n"])
@example(["import old.pkg.gone\n", "z = 2\n", "def broken(:\n"])
def test_fix_plans_on_some_statements_as_on_the_whole_file(
    config: Config, pieces: list[str]
) -> None:
    source = "".join(pieces)
    sliced = _fixed(config, source, True)
    # prefilter=False parses every file whole: what the plan on some statements must match.
    if sliced[0].value != "skipped":  # type: ignore[index]
        assert sliced == _fixed(config, source, False)
