"""Fixtures for the import_guard tests: a made-up removed-module map and tree builders.

The map (``old.pkg.gone`` -> ``new.pkg.home``) keeps legacy spellings of the real project out
of these ``.py`` files; the real module's forms live in ``fixtures/*.txt``. Marker helpers
(``expected``) are fixtures because pytest runs with ``--import-mode=importlib``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from import_guard import Config, Finding, Mode, RunContext, parse_config, process_source, scan
from import_guard.records import FileResult

CONFIG_TOML = """\
[tool.import_guard.removed."old.pkg.gone"]
replacement = "new.pkg.home"
[tool.import_guard.removed."old.pkg.gone".names]
Dead = { removed = "use make_thing() instead" }
Moved = { to = "new.pkg.moved" }
Renamed = { to = "new.pkg.moved:Fresh" }
"""

PACKAGES = ("old", "old/pkg", "old/pkg/sub", "old/side", "new", "new/pkg", "other", "other/pkg")
FIXTURES = Path(__file__).parent / "fixtures"
_MARK = re.compile(r"<-\s*(IG\d{3})")

TreeBuilder = Callable[[Mapping[str, "str | bytes"]], Path]


def _expected(source: str) -> list[tuple[int, str]]:
    return sorted(
        (n, m.group(1))
        for n, line in enumerate(source.splitlines(), 1)
        for m in _MARK.finditer(line)
    )


def _reported(findings: list[Finding] | tuple[Finding, ...]) -> list[tuple[int, str]]:
    return sorted((f.line, f.code) for f in findings)


@pytest.fixture
def expected() -> Callable[[str], list[tuple[int, str]]]:
    """(line, code) pairs marked in a source with ``# <- IG001`` comments."""
    return _expected


@pytest.fixture
def reported() -> Callable[..., list[tuple[int, str]]]:
    """(line, code) pairs of findings, sorted, to compare with ``expected``."""
    return _reported


@pytest.fixture(autouse=True)
def cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own cache directory: the CLI caches by default, never in the real home."""
    directory = tmp_path_factory.mktemp("ig-cache")
    monkeypatch.setenv("IMPORT_GUARD_CACHE_DIR", str(directory))
    return directory


@pytest.fixture
def tree(tmp_path: Path) -> TreeBuilder:
    """Write ``files`` (relative path -> text or bytes) under a project with the made-up config."""

    def build(files: Mapping[str, str | bytes]) -> Path:
        (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n" + CONFIG_TOML)
        for pkg in PACKAGES:
            (tmp_path / pkg).mkdir(parents=True, exist_ok=True)
            (tmp_path / pkg / "__init__.py").touch()
        for rel, content in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_bytes(content.encode("utf-8"))
        return tmp_path

    return build


@pytest.fixture
def config(tmp_path: Path) -> Config:
    import tomllib

    return parse_config(tomllib.loads(CONFIG_TOML)["tool"]["import_guard"], tmp_path)


@pytest.fixture
def check_one(tree: TreeBuilder) -> Callable[[str, str | bytes], FileResult]:
    """Check one file placed at ``rel`` in the made-up project."""

    def run(rel: str, source: str | bytes) -> FileResult:
        root = tree({rel: source})
        (result,) = [r for r in scan([root / rel], progress=False)]
        return result

    return run


@pytest.fixture
def fix_one(tree: TreeBuilder) -> Callable[[str, str | bytes], tuple[bytes, FileResult]]:
    """Fix one file in place at ``rel``; returns its new bytes and the result."""

    def run(rel: str, source: str | bytes) -> tuple[bytes, FileResult]:
        root = tree({rel: source})
        (result,) = scan([root / rel], Mode.FIX, progress=False)
        return (root / rel).read_bytes(), result

    return run


FixText = Callable[..., str]


@pytest.fixture
def fix_text(config: Config) -> FixText:
    """Fix a source in memory as if it lived at ``rel`` under the made-up project."""

    def run(source: str, rel: str = "old/side/mod.py") -> str:
        ctx = RunContext(config=config, mode=Mode.DIFF)
        _, new = process_source(str(config.root / rel), source.encode("utf-8"), ctx)
        return source if new is None else new.decode("utf-8")

    return run
