"""Library entry points the CLI and the test helper are thin over."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from import_guard.cache import Cache
from import_guard.config import Config, find_config, load_config_file
from import_guard.discovery import discover
from import_guard.records import FileResult, Mode
from import_guard.runner import RunContext, run


def load_config(paths: Sequence[str | Path], config_file: str | Path | None = None) -> Config:
    """``--config FILE`` if given, else the ``pyproject.toml`` found walking up from the first
    path."""
    if config_file is not None:
        return load_config_file(Path(config_file))
    return find_config(Path(paths[0]) if paths else Path.cwd())


def scan(
    paths: Sequence[str | Path],
    mode: Mode = Mode.CHECK,
    config: Config | None = None,
    exclude: Sequence[str] = (),
    jobs: int | None = None,
    prefilter: bool = True,
    progress: bool | None = None,
    cache: bool | str | Path = False,
    diffs: bool = True,
) -> list[FileResult]:
    """Discover files under ``paths`` and check, diff or fix them; one result per file.

    ``cache``: True for the incremental cache in the user's cache directory, a directory to
    keep it elsewhere, False (the default for library calls) for none. ``diffs=False``: a
    file fixed in ``Mode.FIX`` carries no unified diff (``Mode.DIFF`` always makes one).
    """
    str_paths = [str(p) for p in paths] or ["."]
    cfg = config or load_config(str_paths)
    files = discover(str_paths, (*cfg.exclude, *exclude))
    ctx = RunContext(config=cfg, mode=mode, prefilter=prefilter, diffs=diffs)
    store = None
    if cache is not False:
        directory = None if cache is True else Path(cache)
        store = Cache.load(cfg, prefilter, directory)
    return run(files, ctx, jobs=jobs, progress=progress, cache=store)
