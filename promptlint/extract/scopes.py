"""One pass over a Python module that records what names can hold.

The index keeps, per scope, every event that gives a name a value or changes it
(assignment, ``+=``, ``.append``, ``x["k"] = v``, loop targets), with its position, so the
resolver can answer "what is ``messages`` at line 40" by replaying the events before it.
It also records the call sites that may be LLM requests, with their loop context.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import PositionProvider

Pos = tuple[int, int]

ROUTE_DECORATORS = {
    "route", "get", "post", "put", "patch", "delete", "websocket", "api_route", "api_view",
    "view", "endpoint", "message", "event", "command", "handler", "on_message", "tool",
}


@dataclass
class Event:
    pos: Pos
    kind: str  # assign | aug | append | extend | setitem | update | dynamic | unpack
    node: cst.CSTNode | None = None
    keys: tuple[cst.BaseExpression, ...] = ()
    index: int = 0  # position inside a tuple-unpacking target
    width: int = 0
    detail: str = ""


@dataclass
class Scope:
    kind: str  # module | class | function
    name: str
    qualname: str
    parent: "Scope | None" = None
    node: cst.CSTNode | None = None
    events: dict[str, list[Event]] = field(default_factory=dict)
    params: dict[str, cst.Param] = field(default_factory=dict)
    param_order: list[str] = field(default_factory=list)
    returns: list[cst.BaseExpression] = field(default_factory=list)
    cls: "Scope | None" = None  # for methods: the class scope
    is_async: bool = False
    decorators: tuple[str, ...] = ()
    # class scopes only
    bases: tuple[str, ...] = ()
    methods: dict[str, "Scope"] = field(default_factory=dict)
    self_events: dict[str, list[Event]] = field(default_factory=dict)
    # module and function scopes: nested definitions
    functions: dict[str, "Scope"] = field(default_factory=dict)
    classes: dict[str, "Scope"] = field(default_factory=dict)

    def add(self, name: str, event: Event) -> None:
        self.events.setdefault(name, []).append(event)

    @property
    def interactive(self) -> bool:
        scope: Scope | None = self
        while scope is not None and scope.kind == "function":
            if any(d.rsplit(".", 1)[-1] in ROUTE_DECORATORS and "." in d for d in scope.decorators):
                return True
            scope = scope.parent
        return False


@dataclass
class CallSite:
    node: cst.Call
    chain: tuple[str, ...]  # attribute names of the callee, base name first when it is a Name
    scope: Scope
    pos: Pos
    loop: str | None  # innermost loop kind around the call inside its function
    awaited: bool = False


@dataclass
class Import:
    module: str
    name: str | None  # None: the alias names the module itself
    level: int = 0


@dataclass
class ModuleIndex:
    module: Scope
    imports: dict[str, Import] = field(default_factory=dict)
    star_imports: list[str] = field(default_factory=list)
    calls: list[CallSite] = field(default_factory=list)
    scopes: list[Scope] = field(default_factory=list)


def dotted(node: cst.BaseExpression | None) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def callee_chain(func: cst.BaseExpression) -> tuple[str, ...]:
    """Attribute names of a callee: ``self.client.messages.create`` -> (self, client, messages, create).

    A non-name base (a call, a subscript) contributes ``()`` so chains stay comparable.
    """
    parts: list[str] = []
    node = func
    while True:
        if isinstance(node, cst.Attribute):
            parts.append(node.attr.value)
            node = node.value
        elif isinstance(node, cst.Call):
            parts.append("()")
            node = node.func
        elif isinstance(node, cst.Name):
            parts.append(node.value)
            break
        else:
            break
    return tuple(reversed(parts))


_MUTATORS = {"append": "append", "extend": "extend", "update": "update", "insert": "insert"}
_CALL_TAILS = {"create", "stream", "parse", "completion", "acompletion", "from_messages", "from_template",
               "get_template", "read_text", "read", "render"}


class IndexVisitor(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, module_name: str, extra_call_names: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.index = ModuleIndex(Scope("module", "<module>", ""))
        self.index.scopes.append(self.index.module)
        self.stack: list[Scope] = [self.index.module]
        self.loops: list[list[str]] = [[]]
        self.module_name = module_name
        self.call_names = _CALL_TAILS | extra_call_names
        self._await_depth: list[cst.Call] = []

    # positions -------------------------------------------------------------------
    def pos(self, node: cst.CSTNode) -> Pos:
        start = self.get_metadata(PositionProvider, node).start
        return (start.line, start.column)

    @property
    def scope(self) -> Scope:
        return self.stack[-1]

    def _function_scope(self) -> Scope:
        for scope in reversed(self.stack):
            if scope.kind != "class":
                return scope
        return self.index.module

    # definitions ----------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        parent = self.scope
        qual = f"{parent.qualname}.{node.name.value}" if parent.qualname else node.name.value
        scope = Scope(
            "function", node.name.value, qual, parent=self._function_scope() if parent.kind == "class" else parent,
            node=node, is_async=node.asynchronous is not None,
            decorators=tuple(d for d in (dotted(_decorator_target(dec.decorator)) for dec in node.decorators) if d),
        )
        if parent.kind == "class":
            scope.cls = parent
            parent.methods[node.name.value] = scope
        else:
            parent.functions[node.name.value] = scope
            parent.add(node.name.value, Event(self.pos(node), "dynamic", detail=f"function {node.name.value}"))
        params = node.params
        for p in (*params.posonly_params, *params.params, *params.kwonly_params):
            scope.params[p.name.value] = p
            scope.param_order.append(p.name.value)
        for p in (params.star_arg, params.star_kwarg):
            if isinstance(p, cst.Param):
                scope.params[p.name.value] = p
        self.stack.append(scope)
        self.index.scopes.append(scope)
        self.loops.append([])
        return True

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.stack.pop()
        self.loops.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        parent = self.scope
        qual = f"{parent.qualname}.{node.name.value}" if parent.qualname else node.name.value
        scope = Scope(
            "class", node.name.value, qual, parent=parent, node=node,
            bases=tuple(d for d in (dotted(a.value) for a in node.bases) if d),
            decorators=tuple(d for d in (dotted(_decorator_target(dec.decorator)) for dec in node.decorators) if d),
        )
        parent.classes[node.name.value] = scope
        self.stack.append(scope)
        self.index.scopes.append(scope)
        return True

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.stack.pop()

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None and self.scope.kind == "function":
            self.scope.returns.append(node.value)

    # imports --------------------------------------------------------------------
    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = dotted(alias.name)
            if not name:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._bind_import(alias.asname.name.value, Import(name, None), node)
            else:
                self._bind_import(name.split(".")[0], Import(name.split(".")[0], None), node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = dotted(node.module) if node.module is not None else ""
        level = len(node.relative)
        absolute = _absolute_module(self.module_name, module or "", level)
        if isinstance(node.names, cst.ImportStar):
            if self.scope is self.index.module:
                self.index.star_imports.append(absolute)
            return
        for alias in node.names:
            if not isinstance(alias.name, cst.Name):
                continue
            local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else alias.name.value
            self._bind_import(local, Import(absolute, alias.name.value, level), node)

    def _bind_import(self, local: str, imp: Import, node: cst.CSTNode) -> None:
        if self.scope is self.index.module:
            self.index.imports[local] = imp
        else:
            self.scope.add(local, Event(self.pos(node), "dynamic", detail=f"import {imp.module}"))
            self.index.imports.setdefault(local, imp)

    # assignments ----------------------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assign(target.target, node.value, node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assign(node.target, node.value, node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            op = type(node.operator).__name__
            self.scope.add(node.target.value, Event(self.pos(node), "aug", node.value, detail=op))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        if isinstance(node.target, cst.Name):
            self._function_scope().add(node.target.value, Event(self.pos(node), "assign", node.value))

    def _assign(self, target: cst.BaseExpression, value: cst.BaseExpression, stmt: cst.CSTNode) -> None:
        pos = self.pos(stmt)
        if isinstance(target, cst.Name):
            self.scope.add(target.value, Event(pos, "assign", value))
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = target.elements
            for i, element in enumerate(elements):
                if isinstance(element.value, cst.Name):
                    self.scope.add(element.value.value, Event(pos, "unpack", value, index=i, width=len(elements)))
        elif isinstance(target, cst.Attribute):
            base = target.value
            scope = self._function_scope()
            if isinstance(base, cst.Name) and scope.kind == "function" and scope.cls is not None \
                    and scope.param_order and base.value == scope.param_order[0]:
                scope.cls.self_events.setdefault(target.attr.value, []).append(Event(pos, "assign", value))
        elif isinstance(target, cst.Subscript):
            keys: list[cst.BaseExpression] = []
            node: cst.BaseExpression = target
            while isinstance(node, cst.Subscript):
                if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
                    return
                keys.append(node.slice[0].slice.value)
                node = node.value
            if isinstance(node, cst.Name):
                self.scope.add(node.value, Event(pos, "setitem", value, keys=tuple(reversed(keys))))

    # loops ----------------------------------------------------------------------
    def visit_For(self, node: cst.For) -> bool:
        self._bind_dynamic(node.target, node, "loop variable")
        node.iter.visit(self)
        self.loops[-1].append("range" if _is_counter(node.iter) else "for")
        for part in (node.body,):
            part.visit(self)
        self.loops[-1].pop()
        if node.orelse is not None:
            node.orelse.visit(self)
        return False

    def visit_While(self, node: cst.While) -> bool:
        node.test.visit(self)
        self.loops[-1].append("while")
        node.body.visit(self)
        self.loops[-1].pop()
        if node.orelse is not None:
            node.orelse.visit(self)
        return False

    def _comprehension(self, node: cst.CSTNode) -> None:
        for_in = getattr(node, "for_in", None)
        self.loops[-1].append("range" if for_in is not None and _is_counter(for_in.iter) else "comprehension")

    def _leave_comprehension(self, node: cst.CSTNode) -> None:
        self.loops[-1].pop()

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension  # type: ignore[assignment]
    leave_ListComp = leave_SetComp = leave_GeneratorExp = leave_DictComp = _leave_comprehension  # type: ignore[assignment]

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._bind_dynamic(node.target, node, "comprehension variable")

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is None:
            return
        item, target = node.item, node.asname.name
        opens = isinstance(item, cst.Call) and (
            (isinstance(item.func, cst.Name) and item.func.value == "open")
            or (isinstance(item.func, cst.Attribute) and item.func.attr.value == "open"))
        if opens and isinstance(target, cst.Name):
            self.scope.add(target.value, Event(self.pos(node), "assign", item))  # ``f.read()`` reads that file
        else:
            self._bind_dynamic(target, node, "with target")

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._bind_dynamic(node.name.name, node, "exception")

    def _bind_dynamic(self, target: cst.BaseExpression, node: cst.CSTNode, why: str) -> None:
        names: list[str] = []
        _target_names(target, names)
        for name in names:
            self.scope.add(name, Event(self.pos(node), "dynamic", detail=why))

    # calls ----------------------------------------------------------------------
    def visit_Await(self, node: cst.Await) -> None:
        if isinstance(node.expression, cst.Call):
            self._await_depth.append(node.expression)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.attr.value in _MUTATORS:
            self.scope.add(func.value.value, Event(self.pos(node), func.attr.value, node))
        chain = callee_chain(func)
        if chain and chain[-1] in self.call_names:
            loops = self.loops[-1]
            self.index.calls.append(CallSite(
                node, chain, self._function_scope(), self.pos(node), loops[-1] if loops else None,
                awaited=bool(self._await_depth and self._await_depth[-1] is node),
            ))


_COUNTERS = {"range", "count", "repeat", "itertools.count", "itertools.repeat"}


def _is_counter(node: cst.BaseExpression) -> bool:
    """``range(3)``, ``itertools.count()``: a loop that repeats (retries, agent steps), not one
    over a collection of inputs (``range(len(items))`` walks a collection)."""
    if not isinstance(node, cst.Call) or dotted(node.func) not in _COUNTERS:
        return False
    return not any(isinstance(a.value, cst.Call) and dotted(a.value.func) == "len" for a in node.args)


def _decorator_target(node: cst.BaseExpression) -> cst.BaseExpression:
    return node.func if isinstance(node, cst.Call) else node


def _target_names(target: cst.BaseExpression, out: list[str]) -> None:
    if isinstance(target, cst.Name):
        out.append(target.value)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            _target_names(element.value, out)
    elif isinstance(target, cst.StarredElement):
        _target_names(target.value, out)


def _absolute_module(current: str, module: str, level: int) -> str:
    if level == 0:
        return module
    package = current.split(".")
    # ``current`` names the module itself; a package's __init__ is named for the package
    # and keeps one more part.
    base = package[: len(package) - level] if len(package) >= level else []
    return ".".join([*base, module] if module else base)


def module_name_for(path: str) -> str:
    """``app/services/bot.py`` -> ``app.services.bot``; ``pkg/__init__.py`` -> ``pkg.__init__``.

    Package ``__init__`` files keep the suffix so relative imports resolve against the
    package itself; the linker also indexes them under the package name.
    """
    stem = path[:-3] if path.endswith(".py") else path.rsplit(".", 1)[0]
    return stem.replace("/", ".")
