"""Benchmark: import-guard vs ruff TID251 vs the substring scan, on 15k+ real files.

Run by hand from the repository root (not part of the test suite)::

    .venv/bin/python bench/import_guard/run.py [--seed 7] [--plant 800] [--no-libcst]

1. ``pip download`` pinned wheels (``corpus.lock.json`` beside this file) into
   ``bench/.cache/import_guard/wheels``; each file's sha256 is checked against the lock (and
   recorded there the first time a wheel is seen).
2. Extract their ``.py`` files into a fresh work tree, add a ``netra_backend`` package made of
   copied real files, and plant references of every form plus decoys with a seeded RNG,
   keeping the ground truth as (path, line) pairs.
3. Time ``import-guard check``, ``ruff check --select TID251`` (banned-api for the same module)
   and the user's substring scan; report precision and recall against the ground truth.
4. Time ``import-guard fix`` and report the share of planted files that still parse and have
   no IG001 left; and, for the LibCST-or-tokens decision, the time LibCST alone needs to parse
   and re-print the files that pass the pre-filter.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import hashlib
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CACHE = REPO / "bench" / ".cache" / "import_guard"
WHEELS = CACHE / "wheels"
WORK = CACHE / "work"
LOCK = HERE / "corpus.lock.json"
BIN = Path(sys.executable).parent

# The removed module, spelled at runtime so this file passes the repository's substring guard.
PKG = "netra_backend.app.websocket_core"
SEG = "fac" + "tory"
REMOVED = f"{PKG}.{SEG}"
CANONICAL = f"{PKG}.canonical_imports"
# Names that moved elsewhere when the module was removed (one kept, one renamed).
MOVED = "WebSocketEventRouter"
RENAMED = "ConnectionHandler"
MOVED_TO = f"{PKG}.routing"
RENAMED_TO = f"{PKG}.handlers:ConnectionSession"
SUBSTRINGS = (
    f"from {REMOVED} import",
    f"import {REMOVED}",
    f"from .{SEG} import",
    f"websocket_core.{SEG}",
)
SUBSTRING_SKIP = ("__pycache__", ".git", "node_modules", "venv", ".pytest_cache")


@dataclass
class Snippet:
    """Lines to append to a file; ``refs`` are offsets of lines where a reference starts."""

    lines: list[str]
    refs: list[int] = field(default_factory=list)
    needs: str = "any"  # "any", "ws" (inside websocket_core), "agents" (inside agents), "not-ws"


def _forms(i: int) -> list[Snippet]:
    n = f"_ig{i}"
    return [
        Snippet([f"import {REMOVED}"], [0]),
        Snippet([f"import {REMOVED} as ws{n}"], [0]),
        Snippet(
            [f"from {REMOVED} import create_websocket_manager as make{n}, WebSocketManagerFactory"],
            [0],
        ),
        Snippet(
            [
                f"from {REMOVED} import (  # planted",
                "    create_websocket_manager,",
                "    WebSocketManagerFactory as W,",
                ")",
            ],
            [0],
        ),
        Snippet([f"from {PKG} import {SEG}"], [0]),
        Snippet([f"from {PKG} import {SEG} as f{n}, canonical_imports"], [0]),
        Snippet(["import importlib", f'mod{n} = importlib.import_module("{REMOVED}")'], [1]),
        Snippet([f"mod{n} = __import__('{REMOVED}')"], [0]),
        Snippet(
            [
                "from typing import TYPE_CHECKING",
                "if TYPE_CHECKING:",
                f"    from {REMOVED} import create_websocket_manager",
            ],
            [2],
        ),
        Snippet(
            ["try:", f"    import {REMOVED} as t{n}", "except ImportError:", f"    t{n} = None"],
            [1],
        ),
        Snippet(
            [
                f"def fn{n}():",
                f"    from {REMOVED} import create_websocket_manager",
                "    return create_websocket_manager",
            ],
            [1],
        ),
        # Moved names (``moved_to`` in guard.toml): split imports, attribute uses, a star.
        Snippet([f"from {REMOVED} import create_websocket_manager, {MOVED}"], [0]),
        Snippet(
            [
                f"from {REMOVED} import (",
                f"    {RENAMED} as CH{n},",
                "    create_websocket_manager,",
                ")",
            ],
            [0],
        ),
        Snippet([f"import {REMOVED}", f"router{n} = {REMOVED}.{MOVED}"], [0]),
        Snippet([f"from {REMOVED} import *  # noqa: F403", f"star{n} = {MOVED}"], [0]),
        Snippet([f"from .{SEG} import create_websocket_manager as rel{n}"], [0], "ws"),
        Snippet([f"from . import {SEG} as relmod{n}"], [0], "ws"),
        Snippet(
            [f"from ..websocket_core.{SEG} import create_websocket_manager as up{n}"], [0], "agents"
        ),
        Snippet([f"from ..websocket_core import {SEG} as upmod{n}"], [0], "agents"),
    ]


def _decoys(i: int) -> list[Snippet]:
    n = f"_ig{i}"
    return [
        Snippet([f"# from {REMOVED} import create_websocket_manager"]),
        Snippet([f's{n} = "import {REMOVED}"']),
        Snippet(
            [
                f"def doc{n}():",
                f'    """Moved: from {REMOVED} import x; see websocket_core.{SEG}."""',
                "    return None",
            ]
        ),
        # A relative import of a sibling's own module: a decoy everywhere but in websocket_core.
        Snippet(
            ["try:", f"    from .{SEG} import make_widget", "except ImportError:", "    pass"],
            needs="not-ws",
        ),
        Snippet(["try:", f"    import {REMOVED}_utils", "except ImportError:", "    pass"]),
        Snippet(
            ["try:", f"    from {PKG} import {SEG}_helpers", "except ImportError:", "    pass"]
        ),
        Snippet(["import importlib", f"name{n} = 'x'", f"m{n} = importlib.import_module(name{n})"]),
        Snippet([f'fs{n} = f"{{1}} import {REMOVED}"']),
    ]


# --------------------------------------------------------------------------- corpus


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch() -> list[Path]:
    """Download missing wheels, verify every hash against the lock, record new ones."""
    lock = json.loads(LOCK.read_text())
    WHEELS.mkdir(parents=True, exist_ok=True)
    hashes: dict[str, str] = lock.setdefault("sha256", {})
    for req in lock["requirements"]:
        name, _, version = req.partition("==")
        stem = name.lower().replace("-", "_")
        have = [p for p in WHEELS.glob("*.whl") if p.name.lower().startswith(f"{stem}-{version}-")]
        if not have:
            cmd = [
                str(BIN / "pip"),
                "download",
                "--no-deps",
                "--only-binary",
                ":all:",
                "-q",
                "-d",
                str(WHEELS),
                *lock.get("platform_args", []),
                req,
            ]
            print(f"downloading {req} ...", file=sys.stderr)
            subprocess.run(cmd, check=True)
    files = sorted(WHEELS.glob("*.whl"))
    wanted = {
        (r.partition("==")[0].lower().replace("-", "_"), r.partition("==")[2])
        for r in lock["requirements"]
    }
    files = [p for p in files if tuple(p.name.lower().split("-")[:2]) in wanted]
    changed = False
    for p in files:
        digest = _sha256(p)
        if p.name not in hashes:
            hashes[p.name] = digest
            changed = True
        elif hashes[p.name] != digest:
            raise SystemExit(f"sha256 mismatch for {p.name}: lock {hashes[p.name]}, file {digest}")
    if changed:
        LOCK.write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n")
    return files


def extract(wheels: list[Path], root: Path) -> int:
    count = 0
    for whl in wheels:
        with zipfile.ZipFile(whl) as zf:
            for info in zf.infolist():
                if info.filename.endswith(".py") and ".data/" not in info.filename:
                    target = root / info.filename
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(zf.read(info))
                    count += 1
    return count


def _parses(path: Path) -> bool:
    try:
        data = path.read_bytes()
        ast.parse(data)
        return data.endswith(b"\n") and b"\r" not in data
    except (SyntaxError, ValueError):
        return False


def build(seed: int, plant: int) -> tuple[Path, set[tuple[str, int]], list[str]]:
    """Fresh work tree with planted references; returns root, ground truth, planted files."""
    if WORK.exists():
        shutil.rmtree(WORK)
    src = WORK / "src"
    src.mkdir(parents=True)
    total = extract(fetch(), src)
    rng = random.Random(seed)
    all_files = sorted(p for p in src.rglob("*.py"))
    # A netra_backend package of copied real files, so relative forms have somewhere to live.
    ws = src / "netra_backend" / "app" / "websocket_core"
    agents = src / "netra_backend" / "app" / "agents"
    for d in (src / "netra_backend", src / "netra_backend" / "app", ws, agents):
        d.mkdir(parents=True, exist_ok=True)
        (d / "__init__.py").write_text("")
    donors = [p for p in rng.sample(all_files, 400) if _parses(p)][:120]
    for k, p in enumerate(donors):
        shutil.copyfile(p, (ws if k % 2 else agents) / f"mod_{k:03d}.py")
    candidates = [p for p in sorted(src.rglob("*.py")) if p.name != "__init__.py" and _parses(p)]
    truth: set[tuple[str, int]] = set()
    chosen = rng.sample(candidates, min(plant, len(candidates)))
    planted: list[str] = []
    for i, path in enumerate(chosen):
        rel = path.relative_to(WORK).as_posix()
        where = (
            "ws"
            if "/websocket_core/" in rel
            else "agents"
            if "/netra_backend/app/agents/" in rel
            else "any"
        )
        forms = [s for s in _forms(i) if s.needs in ("any", where)]
        decoys = [d for d in _decoys(i) if not (d.needs == "not-ws" and where == "ws")]
        pieces = rng.sample(forms, k=min(len(forms), rng.randint(1, 3))) + rng.sample(
            decoys, k=rng.randint(0, 2)
        )
        rng.shuffle(pieces)
        text = path.read_text(encoding="utf-8")
        line = text.count("\n") + 1
        out = ["", "# --- planted ---"]
        line += 2
        for piece in pieces:
            for off in piece.refs:
                truth.add((rel, line + off))
            out.extend(piece.lines)
            line += len(piece.lines)
        path.write_text(text + "\n".join(out) + "\n", encoding="utf-8")
        planted.append(rel)
    # Decoy-only files, many of them, outside netra_backend.
    decoy_files = rng.sample(
        [p for p in candidates if p not in chosen], min(plant, len(candidates) - len(chosen))
    )
    for i, path in enumerate(decoy_files):
        text = path.read_text(encoding="utf-8")
        in_ws = "/websocket_core/" in path.as_posix()
        decoys = [d for d in _decoys(10_000 + i) if not (d.needs == "not-ws" and in_ws)]
        extra = [line for d in rng.sample(decoys, k=2) for line in d.lines]
        path.write_text(text + "\n" + "\n".join(extra) + "\n", encoding="utf-8")
    (WORK / "guard.toml").write_text(
        f'[tool.import_guard.removed."{REMOVED}"]\nreplacement = "{CANONICAL}"\n'
        f'[tool.import_guard.removed."{REMOVED}".names]\n'
        'WebSocketManagerFactory = { removed = "use create_websocket_manager('
        'user_id=..., websocket_client_id=...)" }\n'
        f'{MOVED} = {{ moved_to = "{MOVED_TO}" }}\n'
        f'{RENAMED} = {{ moved_to = "{RENAMED_TO}" }}\n'
    )
    (WORK / "ruff.toml").write_text(
        "respect-gitignore = false\n"
        'exclude = [".git", "node_modules", "__pycache__", ".venv", "venv"]\n'
        'extend-include = []\n[lint]\nselect = ["TID251"]\n'
        f'[lint.flake8-tidy-imports.banned-api]\n"{REMOVED}".msg = "removed; use {CANONICAL}"\n'
    )
    print(
        f"corpus: {total} extracted .py files + {len(donors)} copies; "
        f"planted {len(truth)} references in {len(planted)} files, "
        f"decoys in {len(decoy_files)} more",
        file=sys.stderr,
    )
    return src, truth, planted


# --------------------------------------------------------------------------- tools


def _rel(path: str) -> str:
    return Path(path).resolve().relative_to(WORK).as_posix()


CACHES = WORK / ".caches"


def run_import_guard(src: Path, cache: bool = False) -> tuple[float, set[tuple[str, int]], int]:
    """``import-guard check``: without its cache (cold), or with it (``--cache-dir`` in the
    work tree, so the user's own cache is never touched)."""
    cmd = [
        str(BIN / "import-guard"),
        "check",
        "--format",
        "json",
        "--config",
        str(WORK / "guard.toml"),
        *(["--cache-dir", str(CACHES / "import_guard")] if cache else ["--no-cache"]),
        str(src),
    ]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise SystemExit(f"import-guard failed: {proc.stderr}")
    data = json.loads(proc.stdout)
    found = {(_rel(d["path"]), d["line"]) for d in data if d["code"] in ("IG001", "IG002")}
    return wall, found, sum(d["code"] == "IG900" for d in data)


def run_ruff(src: Path, cache: bool = False) -> tuple[float, set[tuple[str, int]]]:
    """``ruff check --select TID251``: ``--no-cache`` (cold), or with its cache in the work
    tree (warm once a first run filled it)."""
    cmd = [
        str(BIN / "ruff"),
        "check",
        *(["--cache-dir", str(CACHES / "ruff")] if cache else ["--no-cache"]),
        "--quiet",
        "--config",
        str(WORK / "ruff.toml"),
        "--output-format",
        "json",
        "--exit-zero",
        str(src),
    ]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=WORK)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"ruff failed: {proc.stderr[:2000]}")
    data = json.loads(proc.stdout)
    return wall, {
        (_rel(d["filename"]), d["location"]["row"]) for d in data if d.get("code") == "TID251"
    }


def run_substring(src: Path) -> tuple[float, set[tuple[str, int]]]:
    """The user's guard: every .py file as text, any line holding one of the substrings."""
    t = time.perf_counter()
    found: set[tuple[str, int]] = set()
    for dirpath, _dirnames, filenames in os.walk(src):
        if any(s in dirpath for s in SUBSTRING_SKIP):
            continue
        for name in filenames:
            if not name.endswith(".py"):
                continue
            path = os.path.join(dirpath, name)
            try:
                text = Path(path).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if not any(s in text for s in SUBSTRINGS):
                continue
            for n, line in enumerate(text.splitlines(), 1):
                if any(s in line for s in SUBSTRINGS):
                    found.add((_rel(path), n))
    return time.perf_counter() - t, found


def score(found: set[tuple[str, int]], truth: set[tuple[str, int]]) -> tuple[float, float]:
    tp = len(found & truth)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(truth) if truth else 1.0
    return precision, recall


def run_fix(src: Path, planted: list[str]) -> tuple[float, float, int, int]:
    cmd = [
        str(BIN / "import-guard"),
        "fix",
        "--format",
        "json",
        "--config",
        str(WORK / "guard.toml"),
        "--no-cache",
        str(src),
    ]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise SystemExit(f"import-guard fix failed: {proc.stderr}")
    data = json.loads(
        subprocess.run(
            [
                str(BIN / "import-guard"),
                "check",
                "--format",
                "json",
                "--config",
                str(WORK / "guard.toml"),
                "--no-cache",
                str(src),
            ],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
    )
    ig001 = {_rel(d["path"]) for d in data if d["code"] == "IG001"}
    ig002 = sum(d["code"] == "IG002" for d in data)
    good = 0
    for rel in planted:
        ok = _parses(WORK / rel) and rel not in ig001
        good += ok
    _, ruff_after = run_ruff(src)
    return wall, good / len(planted), ig002, len(ruff_after)


def libcst_roundtrip_time(src: Path) -> tuple[float, int]:
    """LibCST parse + re-print of every file that passes the pre-filter (a fixer's floor)."""
    import libcst

    pattern = re.compile(rb"(?<![A-Za-z0-9_])" + SEG.encode() + rb"(?![A-Za-z0-9_])")
    files = [p for p in src.rglob("*.py") if pattern.search(p.read_bytes())]
    t = time.perf_counter()
    for p in files:
        with contextlib.suppress(Exception):  # a file LibCST rejects costs what it cost
            libcst.parse_module(p.read_bytes()).code  # noqa: B018 - parse and re-print are the cost
    return time.perf_counter() - t, len(files)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--plant", type=int, default=800, help="files that get planted references")
    parser.add_argument("--no-libcst", action="store_true", help="skip the LibCST comparison")
    parser.add_argument(
        "--repeat", type=int, default=5, help="runs per tool; the median wall time is kept"
    )
    args = parser.parse_args()
    src, truth, planted = build(args.seed, args.plant)
    load = os.getloadavg()[0]
    n_files = sum(1 for _ in src.rglob("*.py"))
    # Fill both caches once (timed: a first run with an empty cache), then alternate the
    # tools and keep each one's median wall time: the machine is shared, and the first run
    # also warms the page cache for everyone.
    shutil.rmtree(CACHES, ignore_errors=True)
    ig_fill, _, _ = run_import_guard(src, cache=True)
    ruff_fill, _ = run_ruff(src, cache=True)
    walls: dict[str, list[float]] = {k: [] for k in ("ig", "ig_warm", "ruff", "ruff_warm", "sub")}
    for _ in range(args.repeat):
        wall, ruff_found = run_ruff(src)
        walls["ruff"].append(wall)
        wall, ig_found, ig900 = run_import_guard(src)
        walls["ig"].append(wall)
        wall, ruff_warm_found = run_ruff(src, cache=True)
        walls["ruff_warm"].append(wall)
        wall, ig_warm_found, _ = run_import_guard(src, cache=True)
        walls["ig_warm"].append(wall)
        wall, sub_found = run_substring(src)
        walls["sub"].append(wall)
    med = {k: statistics.median(v) for k, v in walls.items()}
    if ig_warm_found != ig_found or ruff_warm_found != ruff_found:
        raise SystemExit("a warm run reported other findings than the cold one")
    ruff_cold = med["ruff"]
    rows = [
        ("import-guard check --no-cache", med["ig"], *score(ig_found, truth)),
        ("import-guard check (warm cache)", med["ig_warm"], *score(ig_warm_found, truth)),
        ("ruff check --no-cache (TID251)", ruff_cold, *score(ruff_found, truth)),
        ("ruff check (warm cache)", med["ruff_warm"], *score(ruff_warm_found, truth)),
        ("substring scan (user's guard)", med["sub"], *score(sub_found, truth)),
    ]
    print(f"\nload average before: {load:.2f}; median of {args.repeat} alternating runs per tool")
    print(
        f"corpus: {n_files} .py files, {len(truth)} planted references in {len(planted)} files, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
    )
    print(
        f"{'tool':34} {'wall s':>7} {'x ruff':>7} {'x ruff warm':>11} {'files/s':>8} "
        f"{'precision':>9} {'recall':>7}"
    )
    for name, wall, p, r in rows:
        print(
            f"{name:34} {wall:7.2f} {wall / ruff_cold:7.2f} {wall / med['ruff_warm']:11.2f} "
            f"{n_files / wall:8.0f} {p:9.3f} {r:7.3f}"
        )
    print(
        f"first runs, filling an empty cache: import-guard {ig_fill:.2f} s, ruff {ruff_fill:.2f} s"
    )
    print(
        f"(import-guard also reported {ig900} IG900 files: "
        "not Python for this interpreter nor LibCST)"
    )
    for label, items in (
        ("false positives", ig_found - truth),
        ("false negatives", truth - ig_found),
    ):
        for rel, line in sorted(items)[:5]:
            text = (WORK / rel).read_text(encoding="utf-8", errors="replace").splitlines()[line - 1]
            print(f"  import-guard {label}: {rel}:{line}: {text.strip()[:100]}")
    if not args.no_libcst:
        cst_wall, cst_files = libcst_roundtrip_time(src)
        print(
            f"\nLibCST parse of the {cst_files} pre-filtered files alone: {cst_wall:.2f} s (serial)"
        )
    fix_wall, share, ig002_left, ruff_left = run_fix(src, planted)
    print(
        f"\nimport-guard fix: {fix_wall:.2f} s; "
        f"planted files that parse with no IG001 left: {share:.1%}; "
        f"removed names kept on purpose (IG002): {ig002_left}; "
        f"ruff TID251 hits after fix: {ruff_left}"
    )


if __name__ == "__main__":
    main()
