"""How a file uses a removed module's names: what moved names and star imports need.

* :func:`chain_plan` decides, for an unaliased ``import a.b`` whose module had names moved
  elsewhere, how each ``a.b.X`` use is rewritten (``c.d.X``, ``c.d.Y`` for a rename) and which
  modules the import must then bind, or why it cannot be rewritten safely.
* :func:`free_names` lists the names a file reads but never binds: for ``from a.b import *``,
  the names the star import may be providing.
"""

from __future__ import annotations

import ast
import builtins
import warnings
from dataclasses import dataclass

from import_guard.config import RemovedModule
from import_guard.records import AttrChain

# Names every module has without binding them.
_MODULE_NAMES = frozenset(dir(builtins)) | {
    "__file__",
    "__path__",
    "__builtins__",
    "__cached__",
    "__annotations__",
}


@dataclass(frozen=True, slots=True)
class ChainPlan:
    """The rewrite of ``import a.b`` and its ``a.b.X`` uses.

    ``modules`` are what the import binds afterwards (the replacement only when something
    still needs it); ``edits`` are (start, end, new text) over the uses; ``blocked`` says why
    the whole statement must be left to a human (None when the plan is safe).
    """

    modules: tuple[str, ...]
    edits: tuple[tuple[int, int, str], ...]
    blocked: str | None = None
    moved: tuple[str, ...] = ()


def chain_plan(text: str, rm: RemovedModule, bound_as: str, uses: list[AttrChain]) -> ChainPlan:
    """Plan the rewrite of the ``uses`` of ``bound_as`` (the removed module's dotted name)."""
    modules: list[str] = []
    edits: list[tuple[int, int, str]] = []
    moved: list[str] = []
    needs_replacement = not uses
    for use in uses:
        rule = rm.names.get(use.attr) if use.attr is not None else None
        if rule is None:
            needs_replacement = True
            edits.append((use.start, use.end, rm.replacement))
            continue
        if rule.removed is not None:
            return ChainPlan(
                (), (), f"uses '{bound_as}.{use.attr}', removed with no replacement: {rule.removed}"
            )
        assert rule.module is not None
        assert use.attr_end is not None
        if text[use.end : use.attr_end] != f".{use.attr}":
            return ChainPlan(
                (), (), f"'{bound_as}.{use.attr}' is spelled across lines; fix by hand"
            )
        edits.append((use.start, use.attr_end, f"{rule.module}.{rule.new_name}"))
        moved.append(f"{use.attr} -> {rule.module}.{rule.new_name}")
        if rule.module not in modules:
            modules.append(rule.module)
    if needs_replacement:
        modules.insert(0, rm.replacement)
    return ChainPlan(tuple(modules), tuple(edits), None, tuple(sorted(set(moved))))


def blocked_alias(rm: RemovedModule, bind: str, uses: list[AttrChain]) -> str | None:
    """Why ``import a.b as bind`` (or ``from a import b``) cannot simply point ``bind`` at the
    replacement: some ``bind.X`` reads a name that moved or was removed."""
    gone = sorted({u.attr for u in uses if u.attr is not None and u.attr in rm.names})
    if not gone:
        return None
    return (
        f"'{bind}' is used for {', '.join(gone)}, which the replacement does not hold; fix by hand"
    )


def free_names(text: str, tree: ast.Module | None = None) -> frozenset[str] | None:
    """Names ``text`` (whose whole tree is ``tree``, if already parsed) reads and never binds
    (builtins left out); None if it does not parse.

    Scopes are not told apart: a name bound anywhere counts as bound everywhere, so the list
    can only be too short for names a function binds locally, never list a bound name.
    """
    if tree is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text)
        except (SyntaxError, ValueError):
            return None
    loads: set[str] = set()
    bound: set[str] = set()
    # An explicit stack over ``_fields`` instead of ``ast.walk`` (generators within
    # generators): half the time on a whole file's tree, and a ``Name``'s only child, its
    # context, binds nothing.
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else bound).add(node.id)
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).partition(".")[0] for a in node.names)
        elif (
            isinstance(node, ast.ExceptHandler)
            and node.name
            or isinstance(node, (ast.MatchAs, ast.MatchStar))
            and node.name
        ):
            bound.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            bound.add(node.rest)
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append(value)
    return frozenset(loads - bound - _MODULE_NAMES)
