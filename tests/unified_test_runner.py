#!/usr/bin/env python3
"""The unified test runner: one pytest run over the chosen categories, a table per category.

::

    python tests/unified_test_runner.py --execution-mode comprehensive
    python tests/unified_test_runner.py --category unit --execution-mode fast
    python tests/unified_test_runner.py --test-pattern "*websocket_factory_removal*" \
        --real-services --execution-mode comprehensive --coverage

Categories are the directories ``tests/<category>/``. ``--test-pattern`` is an fnmatch glob
over test file paths relative to ``tests/`` (``*`` also matches ``/``). Everything selected
runs in ONE pytest process, so session fixtures (the servers) start once; the per-category
table is built from pytest's JUnit XML. The last line printed is pytest's own summary line.
Exit status: pytest's (0 all passed, 1 failures, ...); 5 only when nothing at all was selected.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
CATEGORIES = ("unit", "integration", "e2e", "mission_critical")
# Thresholds sit a little under the measured figures, so small changes do not flap the
# build: the whole suite measured 87% (``--execution-mode comprehensive``); a slice such as
# ``--test-pattern "*websocket_factory_removal*"`` measured 49% (it leaves import_guard and
# most routes unexercised), so a slice gets its own floor.
COVERAGE_FAIL_UNDER_FULL = 80
COVERAGE_FAIL_UNDER_SLICE = 40
COVERAGE_PACKAGES = ("netra_backend", "import_guard", "test_framework")
NO_TESTS_COLLECTED = 5
ANSI = re.compile(r"\x1b\[[0-9;]*m")
SUMMARY = re.compile(r"^=+ .*\bin [\d.]+s\b.* =+$")


@dataclass
class CategoryResult:
    """Counts of one category's tests from the JUnit XML."""

    name: str
    count: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--category",
        action="append",
        choices=(*CATEGORIES, "all"),
        help="category to run (repeatable; default: all, or unit in fast mode)",
    )
    parser.add_argument(
        "--test-pattern", help='glob over paths under tests/, e.g. "*websocket_factory_removal*"'
    )
    parser.add_argument("--real-services", action="store_true", help="use real PostgreSQL/Redis")
    parser.add_argument(
        "--staging-gcp",
        action="store_true",
        help="e2e against the deployed server named by NETRA_BASE_URL (required)",
    )
    parser.add_argument(
        "--execution-mode",
        choices=("fast", "comprehensive"),
        default="comprehensive",
        help="fast: unit only, stop at the first failure; comprehensive: every category",
    )
    parser.add_argument(
        "--coverage",
        action="store_true",
        help=f"measure coverage of {', '.join(COVERAGE_PACKAGES)} with a terminal report",
    )
    parser.add_argument(
        "--coverage-fail-under",
        type=float,
        help=f"coverage floor in percent (default {COVERAGE_FAIL_UNDER_FULL} for the whole suite, "
        f"{COVERAGE_FAIL_UNDER_SLICE} for a --test-pattern/--category slice)",
    )
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    return parser.parse_args(argv)


def chosen_categories(args: argparse.Namespace) -> list[str]:
    """The category directories to run, in table order."""
    requested = args.category or (["unit"] if args.execution_mode == "fast" else ["all"])
    if "all" not in requested:
        return [name for name in CATEGORIES if name in requested]
    # "all" also covers any other tests/<dir>/ so no suite is silently left out.
    extra = sorted(
        path.name
        for path in TESTS_DIR.iterdir()
        if path.is_dir()
        and path.name not in CATEGORIES
        and not path.name.startswith((".", "_"))
        and any(path.rglob("test_*.py"))
    )
    return [*CATEGORIES, *extra]


def is_test_file(path: Path) -> bool:
    return path.suffix == ".py" and (path.name.startswith("test_") or path.stem.endswith("_test"))


def select_targets(categories: Sequence[str], pattern: str | None) -> list[str]:
    """Paths (relative to the repo) for pytest: whole directories, or matching files."""
    targets: list[str] = []
    for category in categories:
        directory = TESTS_DIR / category
        if not directory.is_dir():
            continue
        if pattern is None:
            targets.append(directory.relative_to(REPO_ROOT).as_posix())
            continue
        for path in sorted(directory.rglob("*.py")):
            relative = path.relative_to(TESTS_DIR).as_posix()
            if (
                is_test_file(path)
                and "__pycache__" not in relative
                and fnmatch.fnmatch(relative, pattern)
            ):
                targets.append(path.relative_to(REPO_ROOT).as_posix())
    return targets


def coverage_floor(args: argparse.Namespace, categories: Sequence[str]) -> float:
    """The ``--cov-fail-under`` value: explicit, or by whether the whole suite runs."""
    if args.coverage_fail_under is not None:
        return float(args.coverage_fail_under)
    whole = args.test_pattern is None and set(CATEGORIES) <= set(categories)
    return COVERAGE_FAIL_UNDER_FULL if whole else COVERAGE_FAIL_UNDER_SLICE


def pytest_command(
    args: argparse.Namespace, categories: Sequence[str], targets: Sequence[str], junit: Path
) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "pytest",
        *targets,
        f"--junitxml={junit}",
        "-o",
        "junit_family=xunit2",
        # Every skip says why in the summary (chromium missing, PostgreSQL unreachable, ...).
        "-rs",
    ]
    if args.execution_mode == "fast":
        command.append("-x")
    if args.real_services:
        command.append("--real-services")
    if args.staging_gcp:
        command.append("--staging-gcp")
    if args.coverage:
        command += [f"--cov={package}" for package in COVERAGE_PACKAGES]
        command += ["--cov-report=term", f"--cov-fail-under={coverage_floor(args, categories):g}"]
    if sys.stdout.isatty():
        command.append("--color=yes")
    return [*command, *args.pytest_args]


def run_streaming(command: Sequence[str]) -> tuple[int, str | None]:
    """Run pytest, echoing its output live; return its exit code and its summary line."""
    summary: str | None = None
    with subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            if SUMMARY.match(ANSI.sub("", line.rstrip("\n"))):
                summary = line.rstrip("\n")
    return process.returncode, summary


def category_of(classname: str, categories: Sequence[str]) -> str | None:
    """``tests.unit.x.test_y[.Class]`` -> ``unit``."""
    parts = classname.split(".")
    if len(parts) >= 2 and parts[0] == "tests" and parts[1] in categories:
        return parts[1]
    return None


def read_junit(junit: Path, categories: Sequence[str]) -> dict[str, CategoryResult]:
    """Per-category counts from pytest's JUnit XML (empty rows for categories without tests)."""
    results = {name: CategoryResult(name) for name in categories}
    if not junit.is_file():
        return results
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = category_of(case.get("classname", ""), categories)
        if name is None:
            continue
        row = results[name]
        row.count += 1
        row.seconds += float(case.get("time", "0") or 0)
        if case.find("failure") is not None or case.find("error") is not None:
            row.failed += 1
        elif case.find("skipped") is not None:
            row.skipped += 1
        else:
            row.passed += 1
    return results


def format_table(results: dict[str, CategoryResult]) -> str:
    """A plain-text table: one row per category, then the totals."""
    header = f"{'category':<18}{'count':>7}{'passed':>8}{'failed':>8}{'skipped':>9}{'seconds':>10}"
    lines = ["", header, "-" * len(header)]
    total = CategoryResult("total")
    for row in results.values():
        lines.append(
            f"{row.name:<18}{row.count:>7}{row.passed:>8}{row.failed:>8}{row.skipped:>9}{row.seconds:>10.2f}"
        )
        for field in ("count", "passed", "failed", "skipped", "seconds"):
            setattr(total, field, getattr(total, field) + getattr(row, field))
    lines.append("-" * len(header))
    lines.append(
        f"{total.name:<18}{total.count:>7}{total.passed:>8}{total.failed:>8}{total.skipped:>9}{total.seconds:>10.2f}"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.staging_gcp and not os.environ.get("NETRA_BASE_URL"):
        print(
            "error: --staging-gcp needs NETRA_BASE_URL set to the deployed server's base URL "
            "(e.g. NETRA_BASE_URL=https://netra.example.com)",
            file=sys.stderr,
        )
        return 2
    categories = chosen_categories(args)
    targets = select_targets(categories, args.test_pattern)
    started = time.monotonic()
    if not targets:
        print(format_table({name: CategoryResult(name) for name in categories}))
        print(f"==== no tests ran in {time.monotonic() - started:.2f}s ====")
        return NO_TESTS_COLLECTED
    with tempfile.TemporaryDirectory(prefix="netra-runner-") as scratch:
        junit = Path(scratch) / "junit.xml"
        code, summary = run_streaming(pytest_command(args, categories, targets, junit))
        results = read_junit(junit, categories)
    print(format_table(results))
    print(f"categories: {', '.join(categories)}; wall time {time.monotonic() - started:.1f}s")
    print(summary or f"==== pytest exited with code {code} (no summary line) ====")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
