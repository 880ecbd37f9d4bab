"""Rewrite a file's references to removed modules as text edits at exact positions.

The fixer works on the spans the extractor found, so every byte outside the rewritten
statements (formatting, comments, line endings, encoding) is kept. Rules:

* ``from old import a, b as c`` becomes ``from new import a, b as c`` by replacing only the
  module span, unless names go to different homes; then the statement is regenerated, one
  ``from`` statement per home, its inner comments kept on the lines above it.
* A top-level statement whose names go to the replacement module is merged into an existing
  top-level ``from <replacement> import ...`` instead of duplicating it.
* ``import old`` / ``import old as x`` rewrite the dotted name (and ``old.attr`` expressions
  when unaliased); ``from pkg import old [as x]`` becomes ``import new as x``.
* Names with ``{ removed = ... }`` stay where they are (IG002). A dynamic import is rewritten
  only when its argument is a single plain string literal.
"""

from __future__ import annotations

import io
import re
import tokenize
from bisect import bisect_right
from dataclasses import dataclass

from import_guard.checker import FileMatches, StmtMatch, Target, plain_literal
from import_guard.records import Alias, Extraction, ImportStmt
from import_guard.source import Source

_AS_TAIL = re.compile(r"(?:[ \t\f]|\\(?:\r\n|\r|\n))+as(?:[ \t\f]|\\(?:\r\n|\r|\n))+\w+\Z")
_MAX_LINE = 88


@dataclass(frozen=True, slots=True, order=True)
class Edit:
    """Replace ``text[start:end]`` by ``text``."""

    start: int
    end: int
    new: str


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits (duplicates are applied once)."""
    out: list[str] = []
    pos = 0
    for e in sorted(set(edits)):
        if e.start < pos:
            raise ValueError(f"overlapping edits at offset {e.start}")
        out.append(text[pos : e.start])
        out.append(e.new)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


def edited_offsets(edits: list[Edit]) -> list[int]:
    """Offsets in the edited text of the start of each edit and of each line it wrote: the
    top-level statements holding them are all the statements the edits changed."""
    out: list[int] = []
    delta = 0
    for e in sorted(set(edits)):
        start = e.start + delta
        out.append(start)
        out.extend(start + i + 1 for i, c in enumerate(e.new) if c in "\r\n")
        delta += len(e.new) - (e.end - e.start)
    return sorted(set(out))


def _line_bounds(src: Source, stmt: ImportStmt) -> tuple[int, int]:
    start = src.line_starts[stmt.line - 1]
    end = src.line_starts[stmt.end_line] if stmt.end_line < len(src.line_starts) else len(src.text)
    return start, end


def _whole_lines(src: Source, stmt: ImportStmt) -> bool:
    start, end = _line_bounds(src, stmt)
    return not src.text[start : stmt.start].strip() and not src.text[stmt.end : end].strip()


def _indent(src: Source, stmt: ImportStmt) -> str | None:
    """Whitespace before the statement on its line, or None if other code precedes it."""
    head = src.text[src.line_starts[stmt.line - 1] : stmt.start]
    return head if not head.strip() else None


def _comments(text: str) -> list[str]:
    try:
        return [
            t.string
            for t in tokenize.generate_tokens(io.StringIO(text).readline)
            if t.type == tokenize.COMMENT
        ]
    except (tokenize.TokenError, SyntaxError):
        return []


def _alias_text(name: str, bind: str | None) -> str:
    return f"{name} as {bind}" if bind and bind != name else name


def _render_from(module: str, names: list[str], indent: str | None, eol: str) -> str:
    line = f"from {module} import {', '.join(names)}"
    if indent is None or len(indent) + len(line) <= _MAX_LINE or len(names) < 2:
        return line
    inner = "".join(f"{eol}{indent}    {n}," for n in names)
    return f"from {module} import ({inner}{eol}{indent})"


class _Planner:
    def __init__(self, src: Source, ex: Extraction, fm: FileMatches) -> None:
        self.src = src
        self.eol = src.eol()
        self.edits: list[Edit] = []
        matched = {id(m.stmt) for m in fm.stmts}
        # Existing top-level ``from X import a, b`` statements, the merge targets, by module.
        self.canonical: dict[str, ImportStmt] = {}
        for s in ex.imports:
            if (
                s.is_from
                and s.top_level
                and s.level == 0
                and not s.star
                and id(s) not in matched
                and s.module
            ):
                self.canonical.setdefault(s.module, s)
        self.buckets: dict[str, list[str]] = {}
        self.barriers = ex.barriers

    def can_merge(self, stmt: ImportStmt, module: str) -> bool:
        """Whether ``stmt``'s names may move into the existing import of ``module``.

        Not across other code (it may use the names before the import that would now bind
        them), and not when the statement holds comments (deleting it would lose them).
        """
        target = self.canonical.get(module)
        if target is None or not stmt.top_level or not _whole_lines(self.src, stmt):
            return False
        lo, hi = sorted((stmt.line, target.line))
        if bisect_right(self.barriers, lo) < bisect_right(self.barriers, hi):
            return False  # a barrier b with lo < b <= hi
        return "#" not in self.src.text[stmt.start : stmt.end] or not _comments(
            self.src.text[stmt.start : stmt.end]
        )

    def delete_lines(self, stmt: ImportStmt) -> None:
        start, end = _line_bounds(self.src, stmt)
        self.edits.append(Edit(start, end, ""))

    def import_stmt(self, m: StmtMatch) -> None:
        text = self.src.text
        homes: dict[int, tuple[Alias, list[str]]] = {}
        for alias, target in m.moved:
            assert alias is not None
            homes.setdefault(id(alias), (alias, []))[1].append(target.module)
        for alias, modules in homes.values():
            seg = text[alias.start : alias.end]
            tail = _AS_TAIL.search(seg) if alias.asname else None
            name_end = alias.start + tail.start() if tail else alias.end
            # ``import a.b`` whose names went to several homes imports each of them.
            self.edits.append(Edit(alias.start, name_end, ", ".join(modules)))
        for start, end, new in m.edits:
            self.edits.append(Edit(start, end, new))

    def from_stmt(self, m: StmtMatch) -> None:
        s, src = m.stmt, self.src
        first = m.moved[0][1]
        simple = not m.kept and all(
            t.name is not None
            and t.module == first.module
            and (a is None or (t.name == a.name and t.bind == a.asname))
            for a, t in m.moved
        )
        if simple and not s.star and self.can_merge(s, first.module):
            self.buckets.setdefault(first.module, []).extend(
                _alias_text(t.name or "", t.bind) for _, t in m.moved
            )
            self.delete_lines(s)
            return
        if simple:
            self.edits.append(Edit(s.module_start, s.module_end, first.module))
            return
        indent = _indent(src, s)
        groups: dict[str, list[str]] = {}
        modules: list[Target] = []
        for _, t in m.moved:
            if t.name is None:
                modules.append(t)
            else:
                groups.setdefault(t.module, []).append(_alias_text(t.name, t.bind))
        pieces: list[str] = []
        for module, names in groups.items():
            if "*" not in names and self.can_merge(s, module):
                self.buckets.setdefault(module, []).extend(names)
            else:
                pieces.append(_render_from(module, names, indent, self.eol))
        pieces.extend(t.render() for t in modules)
        if m.kept:
            kept = [src.text[a.start : a.end] for a in m.kept]
            pieces.append(
                _render_from(src.text[s.module_start : s.module_end], kept, indent, self.eol)
            )
        if not pieces:
            self.delete_lines(s)
            return
        if indent is None:
            self.edits.append(Edit(s.start, s.end, "; ".join(pieces)))
            return
        lines = _comments(src.text[s.start : s.end]) + pieces
        self.edits.append(Edit(s.start, s.end, (self.eol + indent).join(lines)))

    def merges(self) -> None:
        text = self.src.text
        for module, names in self.buckets.items():
            stmt = self.canonical[module]
            have = {text[a.start : a.end] for a in stmt.aliases}
            have |= {_alias_text(a.name, a.asname) for a in stmt.aliases}
            add: list[str] = []
            for n in names:
                if n not in have and n not in add:
                    add.append(n)
            if not add:
                continue
            last = stmt.aliases[-1]
            after = text[last.end : stmt.end]
            if after.lstrip().startswith(",") and ("\n" in after or "\r" in after):
                comma = last.end + after.index(",") + 1
                line_head = text[self.src.line_starts[last.line - 1] : last.start]
                pad = line_head if not line_head.strip() else "    "
                line = self.src.position(comma)[0]
                next_line = (
                    self.src.line_starts[line] if line < len(self.src.line_starts) else stmt.end
                )
                if next_line < stmt.end:
                    # New lines go below the comma's line, so a comment there stays with its name.
                    self.edits.append(
                        Edit(next_line, next_line, "".join(f"{pad}{n},{self.eol}" for n in add))
                    )
                else:
                    self.edits.append(
                        Edit(comma, comma, "".join(f"{self.eol}{pad}{n}," for n in add))
                    )
            else:
                self.edits.append(Edit(last.end, last.end, "".join(f", {n}" for n in add)))


def plan(src: Source, ex: Extraction, fm: FileMatches) -> list[Edit]:
    """The edits that rewrite every fixable match of ``fm``."""
    p = _Planner(src, ex, fm)
    for m in fm.stmts:
        if not m.fixable or not m.moved:
            continue
        if m.stmt.is_from:
            p.from_stmt(m)
        else:
            p.import_stmt(m)
    p.merges()
    for dm in fm.dynamic:
        if dm.target is None:
            continue
        literal = src.text[dm.call.arg_start : dm.call.arg_end]
        lit = plain_literal(literal, dm.call.arg)
        if lit:
            new = f"{lit.group(1)}{lit.group(2)}{dm.target}{lit.group(2)}"
            p.edits.append(Edit(dm.call.arg_start, dm.call.arg_end, new))
    return p.edits
