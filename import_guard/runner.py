"""The batch runner: one :class:`FileResult` per file, never an exception halfway.

Each file is read once; the byte pre-filter drops files that cannot hold a reference; the
rest are parsed (``check``: only the statements that matter), checked and (for ``fix``)
rewritten. With a :class:`~import_guard.cache.Cache`, a file whose stat signature is unchanged
is not read at all, and one whose content hash is unchanged is not parsed. Large runs are
spread over a ``ProcessPoolExecutor`` in chunks; a rich progress bar is shown only when stderr
is a TTY. An exception of ours on one file becomes that file's ``failed`` result (IG901).
"""

from __future__ import annotations

import gc
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

from import_guard.cache import Cache, cacheable, digest
from import_guard.checker import check
from import_guard.config import Config
from import_guard.errors import InternalError, ParseError, SourceError
from import_guard.extract import extract, whole_parses
from import_guard.files import read_bytes, write_atomic
from import_guard.fixer import apply_edits, edited_offsets, plan
from import_guard.modules import module_names, package_key, resolve_relative_all
from import_guard.prefilter import compile_prefilter, may_reference
from import_guard.records import Extraction, FileResult, Finding, Mode, Status
from import_guard.rules import INTERNAL_ERROR, UNPARSABLE_FILE
from import_guard.source import Source, check_decodable, decode

PARALLEL_THRESHOLD = 400
CHUNK = 128


@dataclass(frozen=True, slots=True)
class RunContext:
    """Everything a worker needs, built once and shipped to each worker process."""

    config: Config
    mode: Mode
    prefilter: bool = True
    cache: bool = False  # workers hash what they read, for the cache
    # A fixed file's result carries its unified diff (always in diff mode). The CLI's ``fix``
    # prints none and turns this off: difflib was a tenth of its time.
    diffs: bool = True

    @property
    def targets(self) -> frozenset[str]:
        return frozenset(self.config.removed)

    @property
    def homes(self) -> frozenset[str]:
        """Modules the fixer moves names to: replacements and ``moved_to`` modules."""
        removed = self.config.removed.values()
        return frozenset(r.replacement for r in removed) | {
            rule.module for r in removed for rule in r.names.values() if rule.module
        }

    @property
    def hot(self) -> frozenset[str]:
        """Identifiers whose lines the extractor must see: removed modules' and replacements'
        last segments, and removed modules' first segments (whose other uses decide whether
        ``import a.b.c`` may become ``import x.y``)."""
        removed = self.config.removed.values()
        return (
            self.config.segments()
            | {r.replacement.rpartition(".")[2] for r in removed}
            | {r.module.partition(".")[0] for r in removed}
        )


_prefilter_cache: tuple[Config, list[bytes], re.Pattern[bytes]] | None = None


def _prefilter(ctx: RunContext) -> tuple[list[bytes], re.Pattern[bytes]]:
    """The segments and their regex, built once per config (not once per file)."""
    global _prefilter_cache
    if _prefilter_cache is None or _prefilter_cache[0] is not ctx.config:
        segs = ctx.config.segments()
        _prefilter_cache = (ctx.config, [s.encode() for s in segs], compile_prefilter(segs))
    return _prefilter_cache[1], _prefilter_cache[2]


def _removed_test(path: str, ctx: RunContext) -> Callable[[str], bool]:
    """For the pre-filter: can a module written in an import of ``path`` be (in) a removed one?"""
    removed = ctx.config.removed

    def may_be_removed(written: str) -> bool:
        level = len(written) - len(written.lstrip("."))
        candidates = [written]
        if level:
            modules, is_package = module_names(path, str(ctx.config.root))
            candidates = resolve_relative_all(modules, is_package, level, written[level:] or None)
            if not modules:
                return True  # unresolvable: let the parser and checker decide
        return any(a in removed or any(a.startswith(m + ".") for m in removed) for a in candidates)

    return may_be_removed


def _binds(ex: Extraction, config: Config) -> frozenset[str]:
    """Names bound to a removed module that has a ``names`` table, other than its dotted name."""
    removed = config.removed
    with_names = {rm.last_segment for rm in removed.values() if rm.names}
    if not with_names:
        return frozenset()
    out: set[str] = set()
    for stmt in ex.imports:
        for a in stmt.aliases:
            if stmt.is_from:
                if a.name in with_names:  # maybe ``from pkg import removed_module``
                    out.add(a.asname or a.name)
            elif a.asname and a.name in removed and removed[a.name].names:
                out.add(a.asname)
    return frozenset(out)


def _ig900(err: SourceError) -> Finding:
    return Finding(
        err.path,
        err.line,
        err.col,
        err.line,
        UNPARSABLE_FILE.code,
        f"cannot read as Python: {err.reason}",
    )


def _diff(path: str, old: str, new: str) -> str:
    import difflib  # only fix needs it; check starts faster without

    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            f"a/{path.lstrip('/')}",
            f"b/{path.lstrip('/')}",
        )
    )


def _part_will_do(src: Source, ex: Extraction, ctx: RunContext) -> bool:
    """Whether ``fix`` may plan on the extraction of only the statements that matter.

    It may when the whole file parses (a file that does not is IG900, as before, once parsed
    whole) and the planner needs none of the statements left out: not for a star import
    (whose names are read from the whole tree) nor for a top-level ``from`` import of a
    module names move to (a merge target: what lies between it and the statement merged
    into it is then needed). Parsing whole only to know that it parses costs 40 % less
    than building the tree (:func:`~import_guard.extract.whole_parses`).
    """
    if ex.tree is not None or ex.grammar != "ast":
        return True  # parsed whole already (or by LibCST, which always reads all of it)
    homes = ctx.homes
    for s in ex.imports:
        if s.star or (s.is_from and s.top_level and not s.level and s.module in homes):
            return False
    return whole_parses(src.text)


def process_source(path: str, data: bytes, ctx: RunContext) -> tuple[FileResult, bytes | None]:
    """Check (and maybe fix) one file's bytes; returns the result and the new bytes, if any."""
    if ctx.prefilter and not may_reference(
        data, *_prefilter(ctx), module_may_be_removed=_removed_test(path, ctx)
    ):
        # Undecodable files are IG900 even when they cannot hold a reference; decoding is
        # cheap next to parsing, and a binary file named .py deserves a report.
        try:
            check_decodable(path, data)
        except SourceError as err:
            return FileResult(path, Status.FAILED, (_ig900(err),), error=err), None
        return FileResult(path, Status.SKIPPED, reason="no mention of a removed module"), None

    # ``import a.b as g`` / ``from a import b``, b having names that moved: the uses of
    # ``g.X`` decide whether pointing ``g`` at the replacement is safe. Rare: a second
    # walk that also follows those names beats following every name of every file.
    def binds(e: Extraction) -> frozenset[str]:
        return _binds(e, ctx.config)

    # Only the statements that matter are parsed (unless told to parse every file whole);
    # ``fix`` parses whole when it needs more, or to learn that an unparsable file is IG900.
    whole = not ctx.prefilter
    try:
        src = decode(path, data)
        ex = extract(src, ctx.targets, ctx.hot, whole=whole, binds=binds)
        if ctx.mode is not Mode.CHECK and not whole and not _part_will_do(src, ex, ctx):
            ex = extract(src, ctx.targets, ctx.hot, whole=True, binds=binds)
    except SourceError as err:
        return FileResult(path, Status.FAILED, (_ig900(err),), error=err), None
    module, is_package = module_names(path, str(ctx.config.root))
    matches = check(src, ex, ctx.config, module, is_package)
    if ctx.mode is Mode.CHECK or not matches.findings:
        return FileResult(path, Status.UNCHANGED, tuple(matches.findings)), None
    edits = plan(src, ex, matches)
    new_text = apply_edits(src.text, edits)
    if new_text == src.text:
        return FileResult(path, Status.UNCHANGED, tuple(matches.findings)), None
    new_src = Source(path, new_text, src.encoding)
    # The file parsed whole before; only the top-level statements the edits touched changed.
    # One parse of those together with the statements the re-check reads vets the rewrite
    # (when they parse, so does the file) and serves the re-check; when they do not, the
    # whole result is parsed (vet and re-check at once).
    try:
        new_ex = extract(
            new_src,
            ctx.targets,
            ctx.hot,
            whole=False,
            binds=lambda e: _binds(e, ctx.config),
            edited=edited_offsets(edits),
        )
    except ParseError:
        bad = ParseError(path, "the rewritten file would not parse; left unchanged")
        return FileResult(path, Status.FAILED, tuple(matches.findings), error=bad), None
    left = check(new_src, new_ex, ctx.config, module, is_package).findings
    diff = _diff(path, src.text, new_text) if ctx.diffs or ctx.mode is Mode.DIFF else None
    return FileResult(path, Status.FIXED, tuple(left), diff=diff), new_src.encode(new_text)


def _internal(path: str, exc: BaseException) -> FileResult:
    """A bug of ours met on one file: that file's failed result, with the traceback."""
    import traceback  # only ever needed on this path

    err = InternalError(
        path, f"{type(exc).__name__}: {exc}", "".join(traceback.format_exception(exc))
    )
    finding = Finding(
        path, 1, 1, 1, INTERNAL_ERROR.code, f"internal error: {err.reason} (please report it)"
    )
    return FileResult(path, Status.FAILED, (finding,), error=err)


def process_file(
    path: str, ctx: RunContext, expected: str | None = None
) -> tuple[FileResult | None, str | None]:
    """Read, check and (in fix mode) rewrite one file atomically; never raises for one file.

    Returns the result and, when ``ctx.cache`` is on, the digest of the bytes read; the
    result is None when that digest equals ``expected`` (the cached result stands).
    """
    try:
        data = read_bytes(path)
    except OSError as exc:
        err = SourceError(path, f"cannot read: {exc.strerror}")
        return FileResult(path, Status.FAILED, (_ig900(err),), error=err), None
    file_digest = digest(data) if ctx.cache else None
    if expected is not None and file_digest == expected:
        return None, file_digest
    try:
        result, new = process_source(path, data, ctx)
    except Exception as exc:  # a bug of ours must not abort the batch
        return _internal(path, exc), None
    if new is not None and ctx.mode is Mode.FIX:
        try:
            write_atomic(path, new, os.stat(path).st_mode & 0o7777)
        except OSError as exc:
            err = SourceError(path, f"cannot write: {exc.strerror}")
            failed = FileResult(path, Status.FAILED, result.findings, error=err, diff=result.diff)
            return failed, None
    return result, file_digest


_worker_ctx: RunContext | None = None
Task = tuple[str, "str | None"]
Done = tuple[FileResult | None, "str | None"]


def _init_worker(ctx: RunContext) -> None:
    global _worker_ctx
    _worker_ctx = ctx


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for one chunk of files.

    Building an AST allocates hundreds of thousands of objects, and each automatic
    collection would walk the half-built tree again (a fifth of the parse time, measured).
    Trees hold no reference cycles, so reference counting frees them anyway; the
    collector runs again, as it was, once the chunk is done.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _process_chunk(tasks: Sequence[Task], ctx: RunContext) -> list[Done]:
    with _no_cyclic_gc():
        return [process_file(p, ctx, expected) for p, expected in tasks]


def _run_chunk(tasks: list[Task]) -> list[Done]:
    assert _worker_ctx is not None
    return _process_chunk(tasks, _worker_ctx)


def run(
    paths: Sequence[str],
    ctx: RunContext,
    jobs: int | None = None,
    progress: bool | None = None,
    cache: Cache | None = None,
) -> list[FileResult]:
    """Process ``paths`` (files, already discovered); results come back in input order.

    With ``cache``, files whose cached result still holds are not processed, and the cache
    is updated and saved at the end.
    """
    jobs = jobs or os.cpu_count() or 1
    if cache is not None and not ctx.cache:
        ctx = replace(ctx, cache=True)
    results: list[FileResult | None] = [None] * len(paths)
    todo: list[int] = []
    tasks: list[Task] = []
    known: dict[int, tuple[str, os.stat_result, str]] = {}
    root = os.path.abspath(ctx.config.root)
    keys: dict[str, str] = {}  # directory -> package_key

    def usable(result: FileResult) -> bool:
        # A cached check result stands for ``fix`` too when there was nothing to fix.
        return ctx.mode is Mode.CHECK or not result.findings

    for i, path in enumerate(paths):
        expected = None
        if cache is not None:
            key = os.path.abspath(path)
            try:
                st = os.stat(key)
            except OSError:
                st = None
            if st is not None:
                directory = os.path.dirname(key)
                names = keys.get(directory)
                if names is None:
                    names = keys[directory] = package_key(directory, root)
                known[i] = (key, st, names)
                hit = cache.fresh(key, path, st, names, usable)
                if hit is not None:
                    results[i] = hit
                    continue
                expected = cache.expected(key, path, names, usable)
        todo.append(i)
        tasks.append((path, expected))
    done = _dispatch(tasks, ctx, jobs, progress)
    for i, (result, file_digest) in zip(todo, done, strict=True):
        seen = known.get(i)
        if result is None:
            assert cache is not None
            assert seen is not None
            results[i] = cache.result_for(seen[0], paths[i], seen[1])
            continue
        results[i] = result
        if (
            cache is not None
            and seen is not None
            and file_digest is not None
            and cacheable(result, ctx.mode is Mode.CHECK)
        ):
            cache.store(seen[0], file_digest, seen[1], seen[2], result)
    if cache is not None:
        cache.save()
    return [r for r in results if r is not None]


def _dispatch(tasks: list[Task], ctx: RunContext, jobs: int, progress: bool | None) -> list[Done]:
    show = sys.stderr.isatty() if progress is None else progress
    chunks = [tasks[i : i + CHUNK] for i in range(0, len(tasks), CHUNK)]
    done: list[Done] = []
    bar = _Progress(len(tasks)) if show and len(tasks) >= PARALLEL_THRESHOLD else None
    try:
        if jobs == 1 or len(tasks) < PARALLEL_THRESHOLD:
            for chunk in chunks:
                part = _process_chunk(chunk, ctx)
                done.extend(part)
                if bar:
                    bar.advance(len(part))
        else:
            # Imported here: a run that stays serial (small, or all cached) starts faster.
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(
                max_workers=jobs, initializer=_init_worker, initargs=(ctx,)
            ) as pool:
                for part in pool.map(_run_chunk, chunks):
                    done.extend(part)
                    if bar:
                        bar.advance(len(part))
    finally:
        if bar:
            bar.stop()
    return done


class _Progress:
    """A rich progress bar on stderr; imported lazily so short runs pay nothing for it."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self._progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._progress.add_task("import-guard", total=total)
        self._progress.start()

    def advance(self, n: int) -> None:
        self._progress.advance(self._task, n)

    def stop(self) -> None:
        self._progress.stop()
