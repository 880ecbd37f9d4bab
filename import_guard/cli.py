"""``import-guard``: find and rewrite imports of removed modules.

Commands are thin over :mod:`import_guard.api`; every failure is an
:class:`~import_guard.errors.ImportGuardError` carrying its exit code, and only
:func:`main` turns it into a process exit.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from import_guard.api import load_config, scan
from import_guard.errors import (
    FindingsError,
    HelpShown,
    ImportGuardError,
    InternalError,
    UsageError,
)
from import_guard.records import FileResult, Finding, Mode, Status
from import_guard.report import FORMATS, render, render_statistics
from import_guard.rules import RULES, rules_help

EPILOG = f"""\
exit codes: 0 clean (or --exit-zero), 1 findings left (or changes to make, with --diff),
2 usage or config error.
checks:
{rules_help()}
Suppress one on purpose with `# import-guard: ignore` (or `ignore[IG002]`).
Config: [tool.import_guard] in pyproject.toml (found walking up from the first path).
"""


class _Parser(argparse.ArgumentParser):
    # argparse would exit by itself; only main() exits.
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if status:
            raise UsageError(message or f"{self.prog}: exit {status}")
        raise HelpShown()


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("paths", nargs="*", default=["."], help="files or directories (default: .)")
    common.add_argument(
        "--config", metavar="FILE", help="TOML file holding the [tool.import_guard] table"
    )
    common.add_argument(
        "--exclude",
        metavar="GLOB",
        action="append",
        default=[],
        help="skip matching paths (repeatable)",
    )
    common.add_argument(
        "--jobs", "-j", type=int, metavar="N", help="worker processes (default: all cores)"
    )
    common.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    common.add_argument(
        "--statistics",
        action="store_true",
        help="print the number of findings per code instead of each finding",
    )
    common.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when findings are left (usage and config errors still exit 2)",
    )
    common.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the incremental cache",
    )
    common.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="where the cache lives (default: $IMPORT_GUARD_CACHE_DIR, $XDG_CACHE_HOME/"
        "import_guard or ~/.cache/import_guard)",
    )
    common.add_argument(
        "--no-prefilter",
        action="store_true",
        help="parse every file, not only those naming a removed module",
    )
    parser = _Parser(
        prog="import-guard",
        description="Find every import of a removed module and rewrite it to the canonical one.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser(
        "check",
        parents=[common],
        help=f"report references ({', '.join(RULES)})",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fix = sub.add_parser(
        "fix",
        parents=[common],
        help="rewrite references to the canonical imports",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fix.add_argument("--diff", action="store_true", help="print a unified diff and change nothing")
    return parser


def _findings(results: Sequence[FileResult]) -> list[Finding]:
    return [f for r in results for f in r.findings]


def _files_with(results: Sequence[FileResult]) -> int:
    return sum(1 for r in results if r.findings)


def _emit(findings: Sequence[Finding], args: argparse.Namespace, out: TextIO) -> None:
    """The findings, or with ``--statistics`` their counts per code, in ``--format``."""
    if args.statistics:
        out.write(render_statistics(findings, args.format))
    else:
        out.write(render(findings, args.format))


def run_command(argv: Sequence[str], out: TextIO, err: TextIO | None = None) -> int:
    """Run one command; returns 0 or raises an ImportGuardError carrying the exit code.

    ``--exit-zero`` turns findings into exit 0 (usage and config errors still exit 2).
    """
    args = build_parser().parse_args(list(argv))
    try:
        return _run(args, out, err or sys.stderr)
    except FindingsError:
        if args.exit_zero:
            return 0
        raise


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    config = load_config(args.paths, args.config)
    mode = Mode.CHECK if args.command == "check" else (Mode.DIFF if args.diff else Mode.FIX)
    results = scan(
        args.paths,
        mode,
        config=config,
        exclude=args.exclude,
        jobs=args.jobs,
        prefilter=not args.no_prefilter,
        cache=False if args.no_cache else (args.cache_dir or True),
        diffs=mode is Mode.DIFF,  # ``fix`` prints no diff, so it builds none
    )
    for r in results:
        if isinstance(r.error, InternalError):
            err.write(f"import-guard: internal error on {r.path}:\n{r.error.traceback}")
    findings = _findings(results)
    text = args.format == "text" and not args.statistics
    if mode is Mode.CHECK:
        _emit(findings, args, out)
        if findings:
            if text:
                out.write(f"Found {len(findings)} finding(s) in {_files_with(results)} file(s).\n")
            raise FindingsError(len(findings), _files_with(results))
        if text:
            out.write(f"All clear: {len(results)} file(s) checked.\n")
        return 0
    changed = [r for r in results if r.status is Status.FIXED]
    if mode is Mode.DIFF:
        out.writelines(r.diff or "" for r in changed)
        left = [f for r in results if r.status is not Status.FIXED for f in r.findings]
        left += [f for r in changed for f in r.findings]
        if left and (args.format != "text" or args.statistics):
            _emit(left, args, out)
        if changed or left:
            raise FindingsError(len(left) + len(changed), len(changed))
        return 0
    if text:
        out.writelines(f"fixed {r.path}\n" for r in changed)
        for r in results:
            if r.status is Status.FAILED and r.error is not None:
                out.write(f"failed {r.path}: {r.error.reason}\n")
    _emit(findings, args, out)
    if text:
        out.write(f"Fixed {len(changed)} file(s); {len(findings)} finding(s) left.\n")
    if findings:
        raise FindingsError(len(findings), _files_with(results))
    return 0


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Console entry point: the only place that exits."""
    try:
        code = run_command(sys.argv[1:] if argv is None else argv, sys.stdout)
    except (FindingsError, HelpShown) as exc:
        code = exc.exit_code
    except ImportGuardError as exc:
        print(f"import-guard: error: {exc}", file=sys.stderr)
        code = exc.exit_code
    except KeyboardInterrupt:
        code = 130
    sys.stdout.flush()
    sys.exit(code)
