"""Read-only checks: match a file's import sites against the removed-module map.

Codes (documented in ``docs/import_guard.md``):

* **IG001** an import (static or literal dynamic) of a removed module;
* **IG002** a name of a removed module that has no replacement (``{ removed = ... }``);
* **IG900** a file that cannot be read as Python (raised as :class:`SourceError` upstream).

The matches carry everything the fixer needs, so the fixer never re-decides what a site means.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Any

from import_guard.config import Config, NameRule, RemovedModule
from import_guard.modules import resolve_dynamic, resolve_relative_all
from import_guard.records import Alias, AttrChain, DynamicImport, Extraction, Finding, ImportStmt
from import_guard.rules import REMOVED_MODULE_IMPORT, REMOVED_NAME
from import_guard.source import Source
from import_guard.uses import blocked_alias, chain_plan, free_names

_PLAIN_STRING = re.compile(r"([rRuU]?)('''|\"\"\"|'|\")(.*)\2\Z", re.DOTALL)
_IGNORE = re.compile(r"#\s*import-guard:\s*ignore(?:\[([A-Z0-9, ]+)\])?")


@dataclass(frozen=True, slots=True)
class Target:
    """A canonical import: ``from module import name as bind`` or ``import module as bind``."""

    module: str
    name: str | None = None
    bind: str | None = None

    def render(self) -> str:
        if self.name is None:
            return f"import {self.module}" + (f" as {self.bind}" if self.bind else "")
        alias = f" as {self.bind}" if self.bind and self.bind != self.name else ""
        return f"from {self.module} import {self.name}{alias}"


@dataclass(frozen=True, slots=True)
class StmtMatch:
    """A statement that references a removed module, and what each of its names becomes.

    ``moved`` pairs an alias (``None`` for ``*``) with its target; ``kept`` are aliases that
    stay in the original statement (names with no replacement, or unrelated names of a
    ``from pkg import removed_mod, other`` statement). For an unaliased ``import a.b.c``,
    ``moved`` holds one target per module the import binds afterwards and ``edits`` rewrite
    its ``a.b.c`` / ``a.b.c.X`` uses; ``star_names`` are the names a star import's file uses.
    """

    stmt: ImportStmt
    removed: RemovedModule
    moved: tuple[tuple[Alias | None, Target], ...] = ()
    kept: tuple[Alias, ...] = ()
    kept_rules: tuple[NameRule, ...] = ()
    edits: tuple[tuple[int, int, str], ...] = ()
    fixable: bool = True
    note: str | None = None
    star_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DynamicMatch:
    """A literal dynamic import of a removed module; ``target`` is None when not rewritable."""

    call: DynamicImport
    removed: RemovedModule
    target: str | None
    via_fromlist: bool = False


@dataclass(slots=True)
class FileMatches:
    """All matches of one file, plus the findings they produce (after ``# import-guard:
    ignore``)."""

    stmts: list[StmtMatch] = field(default_factory=list)
    dynamic: list[DynamicMatch] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


class _Index:
    """Removed-module lookups for one config."""

    def __init__(self, config: Config) -> None:
        self.removed = config.removed
        self.prefixes = tuple((m + ".", rm) for m, rm in config.removed.items())

    def exact(self, module: str | None) -> RemovedModule | None:
        return self.removed.get(module) if module else None

    def parent(self, module: str | None) -> RemovedModule | None:
        if module:
            for prefix, rm in self.prefixes:
                if module.startswith(prefix):
                    return rm
        return None


def _target_for(rm: RemovedModule, alias: Alias) -> Target | NameRule:
    rule = rm.names.get(alias.name)
    if rule is None:
        return Target(rm.replacement, alias.name, alias.asname)
    if rule.removed is not None:
        return rule
    assert rule.module is not None
    assert rule.new_name is not None
    bind = alias.asname or (alias.name if rule.new_name != alias.name else None)
    return Target(rule.module, rule.new_name, bind)


def _match_star(
    stmt: ImportStmt, rm: RemovedModule, text: str, tree: ast.Module | None
) -> StmtMatch:
    """``from a.b import *``: the replacement's star, plus each moved name the file uses."""
    star = (None, Target(rm.replacement, "*"))
    if not rm.names:
        return StmtMatch(stmt, rm, moved=(star,))
    needed = free_names(text, tree)
    if needed is None:
        return StmtMatch(
            stmt,
            rm,
            moved=(star,),
            fixable=False,
            note="the names it provides cannot be told: the file does not parse whole",
        )
    moved: list[tuple[Alias | None, Target]] = [star]
    dead: list[str] = []
    for name in sorted(needed & rm.names.keys()):
        rule = rm.names[name]
        if rule.removed is not None:
            dead.append(f"'{name}' ({rule.removed})")
        else:
            assert rule.module is not None
            assert rule.new_name is not None
            bind = name if rule.new_name != name else None
            moved.append((None, Target(rule.module, rule.new_name, bind)))
    note = f"the file uses {', '.join(sorted(needed))} from it" if needed else None
    if dead:
        note = f"{note}; removed with no replacement: {', '.join(dead)}; fix by hand"
    return StmtMatch(
        stmt, rm, tuple(moved), fixable=not dead, note=note, star_names=tuple(sorted(needed))
    )


def _match_from(
    stmt: ImportStmt,
    absolute: str | None,
    idx: _Index,
    text: str,
    chains: dict[str, list[AttrChain]],
    tree: ast.Module | None,
) -> StmtMatch | None:
    rm = idx.exact(absolute)
    if rm is not None:
        if stmt.star:
            return _match_star(stmt, rm, text, tree)
        moved: list[tuple[Alias | None, Target]] = []
        kept: list[Alias] = []
        rules: list[NameRule] = []
        for alias in stmt.aliases:
            t = _target_for(rm, alias)
            if isinstance(t, Target):
                moved.append((alias, t))
            else:
                kept.append(alias)
                rules.append(t)
        return StmtMatch(stmt, rm, tuple(moved), tuple(kept), tuple(rules))
    rm = idx.parent(absolute)
    if rm is not None:
        return StmtMatch(
            stmt, rm, fixable=False, note="imports from a submodule of a removed module"
        )
    if absolute is None or stmt.star:
        return None
    moved = []
    kept = []
    found: RemovedModule | None = None
    blocked: str | None = None
    for alias in stmt.aliases:
        sub = idx.exact(f"{absolute}.{alias.name}")
        if sub is not None:
            found = sub
            bind = alias.asname or alias.name
            moved.append((alias, Target(sub.replacement, None, bind)))
            blocked = blocked or blocked_alias(sub, bind, chains.get(bind, []))
        else:
            kept.append(alias)
    if found is None:
        return None
    return StmtMatch(stmt, found, tuple(moved), tuple(kept), fixable=blocked is None, note=blocked)


def _match_import(
    stmt: ImportStmt,
    chains: dict[str, list[AttrChain]],
    idx: _Index,
    root_uses: frozenset[str],
    bound: set[str],
    text: str,
) -> list[StmtMatch]:
    out = []
    for alias in stmt.aliases:
        rm = idx.exact(alias.name)
        if rm is not None:
            if alias.asname:
                note = blocked_alias(rm, alias.asname, chains.get(alias.asname, []))
                out.append(
                    StmtMatch(
                        stmt,
                        rm,
                        moved=((alias, Target(rm.replacement, None, alias.asname)),),
                        fixable=note is None,
                        note=note,
                    )
                )
                continue
            plan = chain_plan(text, rm, alias.name, chains.get(alias.name, []))
            note = plan.blocked
            if note is None and plan.moved:
                note = f"rewrites {', '.join(plan.moved)}"
            root = alias.name.partition(".")[0]
            # ``import a.b.c`` also binds ``a``: rewritten to ``import x.y``, other uses of
            # ``a`` (``a.b.other``) would break unless another import still binds it.
            fixable = plan.blocked is None
            if fixable and root in root_uses and root not in bound:
                note = (
                    f"the file also uses '{root}' otherwise, which this import binds; fix by hand"
                )
                fixable = False
            modules = plan.modules or (rm.replacement,)
            out.append(
                StmtMatch(
                    stmt,
                    rm,
                    moved=tuple((alias, Target(m)) for m in modules),
                    edits=plan.edits,
                    fixable=fixable,
                    note=note,
                )
            )
            continue
        rm = idx.parent(alias.name)
        if rm is not None:
            out.append(
                StmtMatch(stmt, rm, fixable=False, note="imports a submodule of a removed module")
            )
    return out


def _ignored(src: Source, line: int, end_line: int, code: str) -> bool:
    block = "\n".join(src.line_text(n) for n in range(line, end_line + 1))
    if "import-guard" not in block:
        return False
    comments: list[str]
    try:
        comments = [
            t.string
            for t in tokenize.generate_tokens(io.StringIO(block + "\n").readline)
            if t.type == tokenize.COMMENT
        ]
    except (tokenize.TokenError, SyntaxError):
        comments = [block]  # the statement began mid-line (after ';'): fall back to text
    for comment in comments:
        m = _IGNORE.search(comment)
        if m and (m.group(1) is None or code in {c.strip() for c in m.group(1).split(",")}):
            return True
    return False


def plain_literal(literal: str, value: str) -> re.Match[str] | None:
    """The parts of ``literal`` (prefix, quote, body) if it is one plain string spelling ``value``.

    Only such a literal is rewritten: concatenations, escapes and f-strings are left to a human.
    """
    m = _PLAIN_STRING.match(literal)
    return m if m is not None and m.group(3) == value else None


def render_targets(targets: list[Target]) -> str:
    """Canonical import text for ``targets``: one ``from`` per module, ``import`` lines after."""
    groups: dict[str, list[str]] = {}
    plain: list[str] = []
    for t in targets:
        if t.name is None:
            plain.append(t.render())
        else:
            alias = f" as {t.bind}" if t.bind and t.bind != t.name else ""
            groups.setdefault(t.module, []).append(t.name + alias)
    return "; ".join([f"from {m} import {', '.join(n)}" for m, n in groups.items()] + plain)


def _stmt_findings(src: Source, m: StmtMatch) -> list[Finding]:
    s = m.stmt
    out: list[Finding] = []
    pos: dict[str, Any] = {
        "path": src.path,
        "line": s.line,
        "col": s.col + 1,
        "end_line": s.end_line,
        "module": m.removed.module,
    }
    if m.moved or not m.fixable:
        names = m.star_names or tuple(
            dict.fromkeys("*" if a is None else a.name for a, _ in m.moved)
        )
        replacement = render_targets([t for _, t in m.moved]) or None
        msg = f"import of removed module '{m.removed.module}'"
        if replacement:
            msg += f"; use `{replacement}`"
        if m.note:
            msg += f" ({m.note})"
        out.append(
            Finding(
                code=REMOVED_MODULE_IMPORT.code,
                message=msg,
                names=names,
                replacement=replacement,
                fixable=m.fixable,
                **pos,
            )
        )
    # Not strict: names kept beside a removed submodule (``from pkg import removed, other``)
    # carry no rule, and only names the removed module's table removed are IG002.
    for alias, rule in zip(m.kept, m.kept_rules, strict=False):
        msg = (
            f"'{alias.name}' was removed from '{m.removed.module}' with no replacement: "
            f"{rule.removed}"
        )
        out.append(
            Finding(code=REMOVED_NAME.code, message=msg, names=(alias.name,), fixable=False, **pos)
        )
    return out


def check(
    src: Source,
    ex: Extraction,
    config: Config,
    module: str | tuple[str, ...] | None,
    is_package: bool,
) -> FileMatches:
    """Match every import site of ``src`` against ``config``.

    ``module`` is the file's dotted name, or every name it may have (see
    :func:`import_guard.modules.module_names`).
    """
    modules = module if isinstance(module, tuple) else ((module,) if module is not None else ())
    idx = _Index(config)
    result = FileMatches()
    chains: dict[str, list[AttrChain]] = {}
    for c in ex.chains:
        chains.setdefault(c.dotted, []).append(c)
    # Roots bound by an unaliased ``import`` of a module that is not removed (``import a.b``).
    bound = {
        a.name.partition(".")[0]
        for s in ex.imports
        if not s.is_from
        for a in s.aliases
        if a.asname is None and idx.exact(a.name) is None and idx.parent(a.name) is None
    }
    for stmt in ex.imports:
        if stmt.is_from:
            resolved: list[str | None] = [
                *resolve_relative_all(modules, is_package, stmt.level, stmt.module)
            ]
            for candidate in resolved or [None]:
                matched = _match_from(stmt, candidate, idx, src.text, chains, ex.tree)
                if matched is not None:
                    result.stmts.append(matched)
                    break
        else:
            result.stmts.extend(_match_import(stmt, chains, idx, ex.root_uses, bound, src.text))
    for call in ex.dynamic:
        absolute = resolve_dynamic(call.arg, call.package)
        rm = idx.exact(absolute)
        if rm is not None:
            result.dynamic.append(DynamicMatch(call, rm, rm.replacement))
        elif (rm := idx.parent(absolute)) is not None:
            result.dynamic.append(DynamicMatch(call, rm, None))
        elif absolute and call.fromlist:
            # ``__import__("a.b", fromlist=["c"])`` imports ``a.b.c`` as ``from a.b import c`` does.
            for name in call.fromlist:
                if (rm := idx.exact(f"{absolute}.{name}")) is not None:
                    result.dynamic.append(DynamicMatch(call, rm, None, via_fromlist=True))
                    break
    # A suppressed site is left alone by the fixer too: the comment says it is on purpose.
    kept_stmts = []
    for sm in result.stmts:
        found = _stmt_findings(src, sm)
        live = [f for f in found if not _ignored(src, f.line, f.end_line, f.code)]
        result.findings.extend(live)
        if live or not found:
            kept_stmts.append(sm)
    result.stmts = kept_stmts
    kept_dynamic = []
    for dm in result.dynamic:
        call = dm.call
        if dm.target:
            msg = f"dynamic import of removed module '{dm.removed.module}'; use '{dm.target}'"
        elif dm.via_fromlist:
            msg = (
                f"dynamic import of removed module '{dm.removed.module}' through fromlist; "
                f"use '{dm.removed.replacement}' (fix by hand)"
            )
        else:
            msg = (
                f"dynamic import of a submodule of removed module '{dm.removed.module}' "
                "(fix by hand)"
            )
        f = Finding(
            src.path,
            call.line,
            call.col + 1,
            call.end_line,
            REMOVED_MODULE_IMPORT.code,
            msg,
            dm.removed.module,
            (),
            dm.target,
            dm.target is not None
            and plain_literal(src.text[call.arg_start : call.arg_end], call.arg) is not None,
        )
        if not _ignored(src, f.line, f.end_line, f.code):
            result.findings.append(f)
            kept_dynamic.append(dm)
    result.dynamic = kept_dynamic
    result.findings.sort(key=lambda f: (f.line, f.col, f.code))
    return result
