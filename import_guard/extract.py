"""Read-only extraction of every import site of one file, with exact character spans.

The fast path is :func:`ast.parse` of the running interpreter (C, several times faster than
LibCST). A file it rejects may still be valid Python of a newer version (PEP 695 ``type X``,
``def f[T]()``, PEP 701 f-strings on Python 3.11): those go through LibCST's native parser,
which knows the newer grammar (:mod:`import_guard.extract_cst`). Only when both reject a file
is it unparsable (IG900). Both paths produce the same records.
"""

from __future__ import annotations

import ast
import re
import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence

from import_guard.errors import ParseError
from import_guard.prefilter import word_pattern
from import_guard.records import (
    IMPORT_FUNCS,
    Alias,
    AttrChain,
    DynamicImport,
    Extraction,
    ImportStmt,
    from_module_span,
    ordered,
)
from import_guard.source import Source
from import_guard.statements import hot_spans, masked_text


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _literal_or_fstring(node: ast.expr) -> str | None:
    """A string constant, or an f-string without placeholders (``f"a.b.c"``)."""
    if isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values):
        return "".join(str(v.value) for v in node.values if isinstance(v, ast.Constant))
    return _literal(node)


def _literal_names(node: ast.expr | None) -> tuple[str, ...]:
    """The string items of a literal list/tuple/set (``fromlist=["a", "b"]``)."""
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return tuple(v for v in map(_literal, node.elts) if v is not None)
    return ()


def _is_import_call(func: ast.expr) -> bool:
    # Any ``x.import_module`` / ``x.__import__``: ``importlib`` is often imported under
    # another name, and a literal argument naming a removed module leaves no doubt.
    if isinstance(func, ast.Name):
        return func.id in IMPORT_FUNCS
    return isinstance(func, ast.Attribute) and func.attr in IMPORT_FUNCS


def _call_args(node: ast.Call) -> tuple[ast.expr | None, ast.expr | None, ast.expr | None]:
    """(name, package, fromlist) argument nodes of an import call, positional or keyword."""
    args: list[ast.expr | None] = [a for a in node.args if not isinstance(a, ast.Starred)]
    if len(args) != len(node.args):
        return None, None, None  # ``f(*args)``: positions unknown
    kw = {k.arg: k.value for k in node.keywords if k.arg is not None}
    name = args[0] if args else kw.get("name")
    func = node.func
    if (func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)) == "__import__":
        # __import__(name, globals=None, locals=None, fromlist=(), level=0)
        return name, None, args[3] if len(args) > 3 else kw.get("fromlist")
    return name, args[1] if len(args) > 1 else kw.get("package"), None


_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def _hot_offsets(src: Source, segments: frozenset[str]) -> list[int]:
    """Sorted offsets where one of ``segments`` appears as a whole identifier."""
    if not all(s.isascii() and s.isidentifier() for s in segments):
        pattern = re.compile(word_pattern(segments))  # re's own cache keeps it compiled
        return [m.start() for m in pattern.finditer(src.text)]
    # ``str.find`` per word, then the same ASCII boundaries as the regex: an alternation of
    # words has no literal prefix, and the regex engine tried a match at every character of
    # the file's three most common first letters (five times slower, measured). An ASCII
    # identifier found whole is a whole run of word characters, so no two hits overlap.
    text = src.text
    n = len(text)
    word = _WORD_CHARS
    out: list[int] = []
    for s in segments:
        size = len(s)
        i = text.find(s)
        while i >= 0:
            j = i + size
            if (i == 0 or text[i - 1] not in word) and (j == n or text[j] not in word):
                out.append(i)
            i = text.find(s, i + 1)
    out.sort()
    return out


def _lines_of(src: Source, offsets: list[int]) -> list[int]:
    starts = src.line_starts
    return sorted({bisect_right(starts, o) for o in offsets})


def _walk(tree: ast.Module, hot: list[int] | None) -> Iterator[ast.AST]:
    """Every node, or (with ``hot``) only nodes whose line range holds a hot line.

    Every reference spells a removed module's last segment inside its own line range, so
    pruning the rest skips most of a large file without missing anything.
    """
    stack: list[ast.AST] = [tree]
    n = len(hot) if hot is not None else 0
    while stack:
        node = stack.pop()
        if hot is not None and hasattr(node, "end_lineno"):
            lo: int = node.lineno  # type: ignore[attr-defined]
            hi: int = node.end_lineno or lo
            i = bisect_left(hot, lo)
            if i == n or hot[i] > hi:
                continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _extract_ast(
    src: Source,
    tree: ast.Module,
    targets: frozenset[str],
    hot: list[int] | None,
    complete: bool = True,
) -> Extraction:
    off = src.offset_from_bytes
    top = {id(n) for n in tree.body}
    segs = {t.rpartition(".")[2] for t in targets}
    roots = {t.partition(".")[0] for t in targets}
    root_names: list[tuple[str, int]] = []
    imports: list[ImportStmt] = []
    dynamic: list[DynamicImport] = []
    chain_nodes: dict[int, tuple[str, int, int]] = {}
    readers: list[tuple[int, ast.Attribute]] = []
    for node in _walk(tree, hot):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            start = off(node.lineno, node.col_offset)
            end = off(node.end_lineno or node.lineno, node.end_col_offset or 0)
            aliases = tuple(
                Alias(
                    a.name,
                    a.asname,
                    off(a.lineno, a.col_offset),
                    off(a.end_lineno or a.lineno, a.end_col_offset or 0),
                    a.lineno,
                    src.position(off(a.lineno, a.col_offset))[1],
                )
                for a in node.names
                if a.name != "*"
            )
            is_from = isinstance(node, ast.ImportFrom)
            mstart, mend = from_module_span(src.text, start, end) if is_from else (start, start)
            imports.append(
                ImportStmt(
                    is_from=is_from,
                    module=node.module if isinstance(node, ast.ImportFrom) else None,
                    level=(node.level or 0) if isinstance(node, ast.ImportFrom) else 0,
                    aliases=aliases,
                    star=not aliases,
                    start=start,
                    end=end,
                    module_start=mstart,
                    module_end=mend,
                    line=node.lineno,
                    col=src.position(start)[1],
                    end_line=node.end_lineno or node.lineno,
                    top_level=id(node) in top,
                )
            )
        elif isinstance(node, ast.Call):
            if _is_import_call(node.func):
                a0, pkg, fromlist = _call_args(node)
                arg = _literal_or_fstring(a0) if a0 is not None else None
                if a0 is not None and arg is not None:
                    start = off(node.lineno, node.col_offset)
                    dynamic.append(
                        DynamicImport(
                            arg=arg,
                            arg_start=off(a0.lineno, a0.col_offset),
                            arg_end=off(a0.end_lineno or a0.lineno, a0.end_col_offset or 0),
                            package=_literal(pkg) if pkg is not None else None,
                            line=node.lineno,
                            col=src.position(start)[1],
                            end_line=node.end_lineno or node.lineno,
                            fromlist=_literal_names(fromlist),
                        )
                    )
        elif targets and isinstance(node, (ast.Attribute, ast.Name)):
            if isinstance(node, ast.Name) and node.id in roots:
                root_names.append((node.id, off(node.lineno, node.col_offset)))
            last = node.attr if isinstance(node, ast.Attribute) else node.id
            if last in segs:
                dotted = _dotted(node)
                if dotted in targets:
                    chain_nodes[id(node)] = (
                        dotted,
                        off(node.lineno, node.col_offset),
                        off(node.end_lineno or node.lineno, node.end_col_offset or 0),
                    )
            if isinstance(node, ast.Attribute):
                readers.append((id(node.value), node))
    attrs = {
        vid: (n.attr, off(n.end_lineno or n.lineno, n.end_col_offset or 0))
        for vid, n in readers
        if vid in chain_nodes
    }
    chains = tuple(
        AttrChain(d, s, e, *attrs.get(nid, (None, None))) for nid, (d, s, e) in chain_nodes.items()
    )
    barriers = tuple(n.lineno for n in tree.body if not isinstance(n, (ast.Import, ast.ImportFrom)))
    starts = {c.start for c in chains}
    root_uses = frozenset(name for name, at in root_names if at not in starts)
    return Extraction(
        ordered(imports),
        ordered(dynamic),
        chains,
        "ast",
        barriers,
        root_uses,
        tree if complete else None,  # a tree of some statements only is not kept
    )


def _ast_parse(text: str) -> ast.Module:
    # Invalid escapes in scanned files emit SyntaxWarning/DeprecationWarning: not our business.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text)


def whole_parses(text: str) -> bool:
    """Whether this interpreter's parser accepts all of ``text``, without building its tree.

    ``symtable`` runs the same parser ``ast.parse`` runs, then builds a symbol table in C
    instead of one Python object per node: 40 % less time on the benchmark's files. A
    symbol-table error (``nonlocal`` at module level) counts as not parsing: the caller then
    parses whole, as it would have, and learns the truth.
    """
    import symtable  # only fix needs it; check starts faster without

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            symtable.symtable(text, "<import-guard>", "exec")
    except Exception:  # whatever it is, the whole parse that follows will say it again
        return False
    return True


def _parse_hot_statements(src: Source, offsets: list[int]) -> ast.Module | None:
    """The tree of only the top-level statements holding ``offsets``, or None when those
    cannot be cut out and parsed alone (the caller then parses the whole file)."""
    spans = hot_spans(src.text, offsets)
    if spans is None:
        return None
    if spans == [(0, len(src.text))]:
        return None
    try:
        return _ast_parse(masked_text(src.text, spans, src.line_starts))
    except (SyntaxError, ValueError):
        return None


def extract(
    src: Source,
    targets: frozenset[str] = frozenset(),
    hot: frozenset[str] | None = None,
    whole: bool = True,
    binds: Callable[[Extraction], frozenset[str]] | None = None,
    edited: Sequence[int] = (),
) -> Extraction:
    """Every import site of ``src``; ``targets`` are dotted names whose attribute chains to record.

    With ``hot`` (identifiers), only sites on lines mentioning one of them are extracted on
    the fast path, and without ``whole`` only the top-level statements holding such lines are
    parsed at all (:mod:`import_guard.statements`; ``barriers`` then only know those).
    ``binds`` names, from a first extraction, more names whose chains to record (names bound
    to a removed module): the tree is walked again for them, not parsed again. The LibCST
    path always extracts everything. Raises :class:`ParseError` when neither this
    interpreter's grammar nor LibCST's accepts the file (without ``whole``: the statements
    that matter, or, when they cannot be parsed alone, the file).

    ``edited`` (without ``whole``) are offsets of the fixer's edits in a rewritten file whose
    old text parsed whole: their statements are parsed together with the hot ones, so the
    one parse both vets the rewrite (when they parse, so does the file: nothing else
    changed) and serves the extraction; when they do not, the whole file is parsed.
    """
    ex = _extract(src, targets, hot, whole, edited)
    extra = binds(ex) - targets if binds is not None else frozenset()
    if not extra:
        return ex
    # A whole tree of a rewritten file means its edits did not parse with the hot
    # statements: it is walked again, as with ``whole``, not parsed again.
    if ex.tree is not None and (whole or edited):
        offsets = _hot_offsets(src, (hot or frozenset()) | extra)
        return _extract_ast(src, ex.tree, targets | extra, _lines_of(src, offsets))
    return _extract(src, targets | extra, (hot or frozenset()) | extra, whole, edited)


def _extract(
    src: Source,
    targets: frozenset[str],
    hot: frozenset[str] | None,
    whole: bool,
    edited: Sequence[int] = (),
) -> Extraction:
    offsets = _hot_offsets(src, hot) if hot else None
    if (offsets or edited) and not whole:
        # An edit may end the text: its offset then belongs to the last statement.
        last = max(len(src.text) - 1, 0)
        parsed = sorted({*(offsets or ()), *(min(o, last) for o in edited)})
        part = _parse_hot_statements(src, parsed)
        if part is not None:
            return _extract_ast(src, part, targets, _lines_of(src, offsets or []), complete=False)
    try:
        tree = _ast_parse(src.text)
    except (SyntaxError, ValueError) as exc:
        from import_guard.extract_cst import extract_cst

        result = extract_cst(src, targets)
        if result is None:
            line = getattr(exc, "lineno", None) or 1
            col = getattr(exc, "offset", None) or 1
            msg = getattr(exc, "msg", None) or str(exc)
            raise ParseError(src.path, f"not valid Python: {msg}", line, col) from None
        return result
    return _extract_ast(
        src, tree, targets, _lines_of(src, offsets) if offsets is not None else None
    )
