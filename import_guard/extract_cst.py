"""The LibCST path of :mod:`import_guard.extract`, for files newer than the interpreter.

LibCST's native parser accepts Python 3.12+ syntax on Python 3.11. It is slower than
:func:`ast.parse` (and its position metadata slower still), so it only runs on files the
interpreter's own parser rejected.
"""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

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


def _parse(text: str) -> cst.Module | None:
    try:
        return cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError, ValueError):
        return None


def cst_parses(text: str) -> bool:
    """Whether LibCST's native (newest) grammar accepts ``text``."""
    return _parse(text) is not None


def _literal(node: cst.BaseExpression) -> str | None:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, cst.FormattedString) and all(
        isinstance(p, cst.FormattedStringText) for p in node.parts
    ):
        # an f-string without placeholders (``{{`` spells one brace)
        return (
            "".join(p.value for p in node.parts if isinstance(p, cst.FormattedStringText))
            .replace("{{", "{")
            .replace("}}", "}")
        )
    return None


class _Collector(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, src: Source, top: set[int], targets: frozenset[str]) -> None:
        super().__init__()
        self.src = src
        self.top = top
        self.targets = targets
        self.segs = {t.rpartition(".")[2] for t in targets}
        self.imports: list[ImportStmt] = []
        self.dynamic: list[DynamicImport] = []
        self.chains: dict[int, tuple[str, int, int]] = {}
        self.readers: list[tuple[int, cst.Attribute]] = []
        self.roots = {t.partition(".")[0] for t in targets}
        self.root_names: list[tuple[str, int]] = []
        self.attr_names: set[int] = set()

    def _range(self, node: cst.CSTNode) -> CodeRange:
        return self.get_metadata(PositionProvider, node)

    def _start(self, node: cst.CSTNode) -> int:
        pos = self._range(node).start
        return self.src.offset_from_chars(pos.line, pos.column)

    def _end(self, node: cst.CSTNode) -> int:
        pos = self._range(node).end
        return self.src.offset_from_chars(pos.line, pos.column)

    def _aliases(self, names: object) -> tuple[Alias, ...]:
        if not isinstance(names, (list, tuple)):
            return ()
        out = []
        for a in names:
            assert isinstance(a, cst.ImportAlias)
            last: cst.CSTNode = a.asname.name if a.asname else a.name
            asname = (
                a.asname.name.value if a.asname and isinstance(a.asname.name, cst.Name) else None
            )
            start = self._start(a.name)
            line, col = self.src.position(start)
            out.append(
                Alias(
                    get_full_name_for_node(a.name) or "", asname, start, self._end(last), line, col
                )
            )
        return tuple(out)

    def _stmt(
        self, node: cst.Import | cst.ImportFrom, aliases: tuple[Alias, ...], star_end: int | None
    ) -> None:
        start = self._start(node)
        if isinstance(node, cst.ImportFrom) and node.rpar is not None:
            end = self._end(node.rpar)
        else:
            end = aliases[-1].end if aliases else (star_end or start)
        line, col = self.src.position(start)
        end_line = self.src.position(end)[0]
        if isinstance(node, cst.ImportFrom):
            mstart, mend = from_module_span(self.src.text, start, end)
            module = get_full_name_for_node(node.module) if node.module else None
            level = len(node.relative)
        else:
            mstart = mend = start
            module, level = None, 0
        self.imports.append(
            ImportStmt(
                is_from=isinstance(node, cst.ImportFrom),
                module=module,
                level=level,
                aliases=aliases,
                star=not aliases,
                start=start,
                end=end,
                module_start=mstart,
                module_end=mend,
                line=line,
                col=col,
                end_line=end_line,
                top_level=id(node) in self.top,
            )
        )

    # Returning False keeps the dotted names inside import statements out of the chains.
    def visit_Import(self, node: cst.Import) -> bool:
        self._stmt(node, self._aliases(node.names), None)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        star_end = self._end(node.names) if isinstance(node.names, cst.ImportStar) else None
        self._stmt(node, self._aliases(node.names), star_end)
        return False

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Name):
            fname = func.value
        elif isinstance(func, cst.Attribute):
            fname = func.attr.value
        else:
            return
        if fname not in IMPORT_FUNCS or any(a.star for a in node.args):
            return
        positional = [a.value for a in node.args if a.keyword is None]
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        first = positional[0] if positional else keywords.get("name")
        if first is None:
            return
        arg = _literal(first)
        if arg is None:
            return
        package: str | None = None
        fromlist: tuple[str, ...] = ()
        if fname == "__import__":
            names = positional[3] if len(positional) > 3 else keywords.get("fromlist")
            if isinstance(names, (cst.List, cst.Tuple, cst.Set)):
                items = (_literal(e.value) for e in names.elements if isinstance(e, cst.Element))
                fromlist = tuple(i for i in items if i is not None)
        else:
            pkg = positional[1] if len(positional) > 1 else keywords.get("package")
            package = _literal(pkg) if pkg is not None else None
        start = self._start(node)
        line, col = self.src.position(start)
        self.dynamic.append(
            DynamicImport(
                arg=arg,
                arg_start=self._start(first),
                arg_end=self._end(first),
                package=package,
                line=line,
                col=col,
                end_line=self.src.position(self._end(node))[0],
                fromlist=fromlist,
            )
        )

    # Only dotted chains: a bare Name is also a def/param/keyword name in LibCST's tree, and
    # single-segment removed modules are rare enough to leave to the ast path.
    def visit_Attribute(self, node: cst.Attribute) -> None:
        if not self.targets:
            return
        if node.attr.value in self.segs:
            dotted = get_full_name_for_node(node)
            if dotted in self.targets:
                self.chains[id(node)] = (dotted, self._start(node), self._end(node))
        self.readers.append((id(node.value), node))
        self.attr_names.add(id(node.attr))

    # Every Name spelling a removed module's first segment, except attribute names (LibCST
    # also uses Name for def and parameter names: counting those only withholds a fix).
    def visit_Name(self, node: cst.Name) -> None:
        if id(node) in self.attr_names:
            return
        if node.value in self.roots:
            self.root_names.append((node.value, self._start(node)))
        if node.value in self.targets:  # a name bound to a removed module (``as g``)
            self.chains[id(node)] = (node.value, self._start(node), self._end(node))


def extract_cst(src: Source, targets: frozenset[str]) -> Extraction | None:
    """Extraction via LibCST, or ``None`` when LibCST cannot parse the file either."""
    module = _parse(src.text)
    if module is None:
        return None
    top: set[int] = set()
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            top.update(id(s) for s in stmt.body)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    collector = _Collector(src, top, targets)
    wrapper.visit(collector)
    positions = wrapper.resolve(PositionProvider)  # already computed by the visit
    attrs = {
        vid: (n.attr.value, src.offset_from_chars(positions[n].end.line, positions[n].end.column))
        for vid, n in collector.readers
        if vid in collector.chains
    }
    chains = tuple(
        AttrChain(d, s, e, *attrs.get(nid, (None, None)))
        for nid, (d, s, e) in collector.chains.items()
    )
    barriers = tuple(
        positions[stmt].start.line
        for stmt in module.body
        if not (
            isinstance(stmt, cst.SimpleStatementLine)
            and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)
        )
    )
    starts = {c.start for c in chains}
    root_uses = frozenset(name for name, at in collector.root_names if at not in starts)
    return Extraction(
        ordered(collector.imports),
        ordered(collector.dynamic),
        chains,
        "libcst",
        barriers,
        root_uses,
    )
