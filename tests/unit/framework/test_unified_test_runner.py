"""The unified test runner's selection, JUnit parsing and table (its pure parts)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.unit

RUNNER_PATH = Path(__file__).resolve().parents[2] / "unified_test_runner.py"


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("unified_test_runner", RUNNER_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


def test_fast_mode_runs_unit_only_and_stops_at_first_failure(
    runner: ModuleType, tmp_path: Path
) -> None:
    args = runner.parse_args(["--execution-mode", "fast"])
    categories = runner.chosen_categories(args)
    assert categories == ["unit"]
    command = runner.pytest_command(args, categories, ["tests/unit"], tmp_path / "j.xml")
    assert "-x" in command


def test_skip_reasons_are_always_reported(runner: ModuleType, tmp_path: Path) -> None:
    for mode in ("fast", "comprehensive"):
        args = runner.parse_args(["--execution-mode", mode])
        command = runner.pytest_command(args, ["unit"], ["tests/unit"], tmp_path / "j.xml")
        assert "-rs" in command


def test_comprehensive_mode_runs_every_category(runner: ModuleType) -> None:
    categories = runner.chosen_categories(runner.parse_args([]))
    assert categories[:4] == ["unit", "integration", "e2e", "mission_critical"]


def test_pattern_selects_matching_files_across_categories(runner: ModuleType) -> None:
    targets = runner.select_targets(runner.CATEGORIES, "*websocket_factory_removal*")
    assert targets
    assert all("websocket_factory_removal" in target for target in targets)
    assert {target.split("/")[1] for target in targets} >= {"unit", "integration", "e2e"}
    assert all(Path(target).name.startswith("test_") for target in targets)


def test_pattern_matching_nothing_selects_nothing(runner: ModuleType) -> None:
    assert runner.select_targets(runner.CATEGORIES, "*no_such_suite_anywhere*") == []


def test_flags_pass_through_to_pytest(runner: ModuleType, tmp_path: Path) -> None:
    args = runner.parse_args(["--real-services", "--staging-gcp", "--coverage"])
    command = runner.pytest_command(args, list(runner.CATEGORIES), ["tests"], tmp_path / "j.xml")
    assert "--real-services" in command and "--staging-gcp" in command
    assert {"--cov=netra_backend", "--cov=import_guard", "--cov=test_framework"} <= set(command)
    assert f"--cov-fail-under={runner.COVERAGE_FAIL_UNDER_FULL:g}" in command


def test_a_slice_gets_the_slice_coverage_floor(runner: ModuleType) -> None:
    args = runner.parse_args(["--test-pattern", "*x*", "--coverage"])
    assert runner.coverage_floor(args, list(runner.CATEGORIES)) == runner.COVERAGE_FAIL_UNDER_SLICE
    explicit = runner.parse_args(["--coverage", "--coverage-fail-under", "12.5"])
    assert runner.coverage_floor(explicit, list(runner.CATEGORIES)) == 12.5


def test_junit_counts_are_split_by_category(runner: ModuleType, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">\n'
        '<testcase classname="tests.unit.test_a" name="test_ok" time="0.5"/>\n'
        '<testcase classname="tests.unit.sub.test_b.TestX" name="test_fail" time="0.25">'
        '<failure message="x"/></testcase>\n'
        '<testcase classname="tests.e2e.test_c" name="test_skip" time="0">'
        '<skipped message="s"/></testcase>\n'
        '<testcase classname="tests.e2e.test_c" name="test_err" time="1">'
        '<error message="e"/></testcase>\n'
        "</testsuite></testsuites>"
    )
    results = runner.read_junit(junit, ["unit", "integration", "e2e"])
    unit, integration, e2e = results["unit"], results["integration"], results["e2e"]
    assert (unit.count, unit.passed, unit.failed, unit.skipped) == (2, 1, 1, 0)
    assert unit.seconds == pytest.approx(0.75)
    assert (integration.count, integration.passed) == (0, 0)
    assert (e2e.count, e2e.passed, e2e.failed, e2e.skipped) == (2, 0, 1, 1)
    table = runner.format_table(results)
    assert "integration" in table and table.splitlines()[-1].split()[:5] == [
        "total",
        "4",
        "1",
        "2",
        "1",
    ]


def test_summary_pattern_matches_pytest_final_lines(runner: ModuleType) -> None:
    for line in (
        "============================= 212 passed in 12.14s =============================",
        "==== 250 passed, 3 skipped in 95.20s (0:01:35) ====",
        "======= 1 failed, 2 passed, 1 warning in 0.51s =======",
        "============================ no tests ran in 0.01s =============================",
    ):
        assert runner.SUMMARY.match(line), line
    assert not runner.SUMMARY.match("=================== test session starts ===================")
