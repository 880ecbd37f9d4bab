"""Real files through the extractor and a no-op fix come back byte-identical."""

from __future__ import annotations

import shutil
import sysconfig
from pathlib import Path

import pytest

from import_guard import Mode, RunContext, Status, parse_config, run
from import_guard.extract import extract
from import_guard.fixer import Edit, apply_edits
from import_guard.source import decode

pytestmark = pytest.mark.unit

STDLIB = Path(sysconfig.get_paths()["stdlib"])
REAL_FILES = sorted(p for p in STDLIB.glob("*.py") if p.stat().st_size < 200_000)[:60]


@pytest.fixture
def corpus(tmp_path: Path) -> list[Path]:
    if len(REAL_FILES) < 30:
        pytest.skip(f"stdlib sources not found under {STDLIB}")
    out = []
    for p in REAL_FILES:
        dest = tmp_path / "corpus" / p.name
        dest.parent.mkdir(exist_ok=True)
        shutil.copyfile(p, dest)
        out.append(dest)
    return out


def test_noop_fix_of_real_files_is_byte_identical(corpus: list[Path], tmp_path: Path) -> None:
    # ``os`` is imported by most of these files: every one is parsed, matched and planned.
    config = parse_config({"removed": {"nowhere.os": {"replacement": "elsewhere.os"}}}, tmp_path)
    before = {p: p.read_bytes() for p in corpus}
    results = run([str(p) for p in corpus], RunContext(config, Mode.FIX, prefilter=False), jobs=1)
    assert {r.status for r in results} == {Status.UNCHANGED}
    assert all(p.read_bytes() == before[p] for p in corpus)


def test_identity_edits_at_every_import_span_of_real_files_round_trip(corpus: list[Path]) -> None:
    statements = 0
    for path in corpus:
        data = path.read_bytes()
        src = decode(str(path), data)
        ex = extract(src)
        edits = []
        for stmt in ex.imports:
            statements += 1
            if stmt.is_from:
                module_text = src.text[stmt.module_start : stmt.module_end]
                assert module_text.replace(" ", "").strip(".") == (stmt.module or ""), path
                edits.append(Edit(stmt.module_start, stmt.module_end, module_text))
            for alias in stmt.aliases:
                assert src.text[alias.start : alias.end].startswith(alias.name.split(".")[0]), path
                edits.append(Edit(alias.start, alias.end, src.text[alias.start : alias.end]))
        assert src.encode(apply_edits(src.text, edits)) == data
    assert statements > 300


def test_real_files_extract_the_same_through_ast_and_libcst(corpus: list[Path]) -> None:
    from import_guard.extract_cst import extract_cst

    for path in corpus[:15]:
        src = decode(str(path), path.read_bytes())
        fast = extract(src, frozenset({"os.path"}))
        slow = extract_cst(src, frozenset({"os.path"}))
        assert slow is not None
        assert fast.imports == slow.imports, path
        assert fast.dynamic == slow.dynamic, path
        assert sorted(fast.chains, key=lambda c: c.start) == sorted(
            slow.chains, key=lambda c: c.start
        ), path
