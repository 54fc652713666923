"""One pass over a Python module that records what names can hold.

The index keeps, per scope, every event that gives a name a value or changes it
(assignment, ``+=``, ``.append``, ``x["k"] = v``, loop targets), with its position, so the
resolver can answer "what is ``messages`` at line 40" by replaying the events before it.
It also records the call sites that may be LLM requests, with their loop context.

The tree is Python's own ``ast``: it parses and walks about thirty times faster than a
concrete syntax tree, and extraction needs positions, not formatting. The fix stage,
which must keep formatting and comments, uses libcst on the few files it edits.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field
from typing import Callable

from promptlint.pyast import children, generic_class
from promptlint.pyast import dotted  # re-exported: extraction reads names through scopes

Pos = tuple[int, int]

ROUTE_DECORATORS = {
    "route", "get", "post", "put", "patch", "delete", "websocket", "api_route", "api_view",
    "view", "endpoint", "message", "event", "command", "handler", "on_message", "tool",
}


FUNCTION_DETAIL = "function "  # the detail of the event a ``def`` gives its name


@dataclass
class Event:
    pos: Pos
    kind: str  # assign | aug | append | extend | insert | update | setitem | dynamic | unpack | default
    node: ast.AST | None = None
    keys: tuple[ast.expr, ...] = ()
    index: int = 0  # position inside a tuple-unpacking target
    width: int = 0
    detail: str = ""
    imported: "Import | None" = None  # a function-local ``from m import name``: what it binds


@dataclass
class Scope:
    kind: str  # module | class | function
    name: str
    qualname: str
    parent: "Scope | None" = None
    node: ast.AST | None = None
    events: dict[str, list[Event]] = field(default_factory=dict)
    params: dict[str, ast.expr | None] = field(default_factory=dict)  # name -> default
    param_order: list[str] = field(default_factory=list)
    # a parameter's fallback given in the body (``if model is None: model = DEFAULT``,
    # ``model = model or DEFAULT``): the value a call that passes nothing gets
    body_defaults: dict[str, tuple[ast.expr, Pos]] = field(default_factory=dict)
    returns: list[ast.expr] = field(default_factory=list)
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
    # ``for name in ...:`` loops of this scope's own code with one name as target: a loop
    # over a literal list of names is followed item by item (see Resolver.unrolled)
    fors: list[ast.For | ast.AsyncFor] = field(default_factory=list)
    # ``obj.attr = value`` statements of this scope's own code (see extract.attributes)
    attr_sets: list[tuple[ast.Attribute, Event]] = field(default_factory=list)

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
    node: ast.Call
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
    # Calls of functions with arguments (``gpt_call(prompt)``, ``Agent(system=...)``): the
    # ones an in-house wrapper may turn into requests, decided once the tree is linked.
    other_calls: list[CallSite] = field(default_factory=list)


    def release(self) -> None:
        """Unlink the scopes (a scope and its parent refer to each other) once the file's
        extraction is done, so reference counting frees them and the syntax tree they hold
        at once, instead of the cycle collector walking the whole tree to find them."""
        for scope in self.scopes:
            scope.parent = scope.cls = None
            scope.methods.clear()
            scope.functions.clear()
            scope.classes.clear()


def pos_of(node: ast.AST) -> Pos:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def callee_chain(func: ast.expr) -> tuple[str, ...]:
    """Attribute names of a callee: ``self.client.messages.create`` -> (self, client, messages, create).

    A call in the chain contributes ``()`` so chains stay comparable.
    """
    parts: list[str] = []
    node: ast.AST = generic_class(func)
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            parts.append("()")
            node = node.func
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            break
        else:
            break
    return tuple(reversed(parts))


_MUTATORS = {"append", "extend", "update", "insert"}
CALL_TAILS = frozenset({"create", "stream", "parse", "completion", "acompletion"})


_LEAVES = frozenset({ast.Name, ast.Constant, ast.alias})  # no visit_ method, no child node


class IndexVisitor(ast.NodeVisitor):
    def __init__(self, module_name: str, call_names: frozenset[str] = CALL_TAILS) -> None:
        self.index = ModuleIndex(Scope("module", "<module>", ""))
        self.index.scopes.append(self.index.module)
        self.stack: list[Scope] = [self.index.module]
        self.loops: list[list[str]] = [[]]
        self.module_name = module_name
        self.call_names = call_names
        self._awaited: set[int] = set()
        # unbound methods: bound ones would make the visitor a cycle that holds the tree
        self._dispatch: dict[type, Callable[[IndexVisitor, ast.AST], object]] = {}

    # ``ast.NodeVisitor``'s walk, with each node type's method looked up once per file
    # instead of once per node (the index visits every node of every parsed file)
    def visit(self, node: ast.AST) -> object:
        method = self._dispatch.get(type(node))
        if method is None:
            name = "visit_" + type(node).__name__
            own = getattr(type(self), name, None)
            # the base class's compatibility methods (``visit_Constant``) only walk on
            method = own if own is not None and own is not getattr(ast.NodeVisitor, name, None) \
                else type(self).generic_visit
            self._dispatch[type(node)] = method
        return method(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        # (the context and operator leaves :func:`children` leaves out have no method here,
        # nor have names and constants, which hold no node: nearly half a tree's nodes)
        visit = self.visit
        for child in children(node):
            if child.__class__ not in _LEAVES:
                visit(child)

    def visit_Attribute(self, node: ast.Attribute | ast.keyword) -> None:
        # what generic_visit does for a node with one child, without asking for its children
        if node.value.__class__ not in _LEAVES:
            self.visit(node.value)

    visit_keyword = visit_Attribute

    @property
    def scope(self) -> Scope:
        return self.stack[-1]

    def _function_scope(self) -> Scope:
        for scope in reversed(self.stack):
            if scope.kind != "class":
                return scope
        return self.index.module

    # definitions ----------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        parent = self.scope
        qual = f"{parent.qualname}.{node.name}" if parent.qualname else node.name
        for decorator in node.decorator_list:
            self.visit(decorator)
        scope = Scope(
            "function", node.name, qual, parent=self._function_scope() if parent.kind == "class" else parent,
            node=node, is_async=isinstance(node, ast.AsyncFunctionDef),
            decorators=tuple(d for d in (dotted(_decorator_target(dec)) for dec in node.decorator_list) if d),
        )
        if parent.kind == "class":
            scope.cls = parent
            parent.methods[node.name] = scope
        else:
            parent.functions[node.name] = scope
            parent.add(node.name, Event(pos_of(node), "dynamic", detail=f"{FUNCTION_DETAIL}{node.name}"))
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        for arg, default in zip(positional, defaults):
            scope.params[arg.arg] = default
            scope.param_order.append(arg.arg)
        for arg, default in zip(args.kwonlyargs, args.kw_defaults):
            scope.params[arg.arg] = default
            scope.param_order.append(arg.arg)
        for arg in (args.vararg, args.kwarg):
            if arg is not None:
                scope.params[arg.arg] = None
        for default in (*args.defaults, *(d for d in args.kw_defaults if d is not None)):
            self.visit(default)
        self.stack.append(scope)
        self.index.scopes.append(scope)
        self.loops.append([])
        for statement in node.body:
            self.visit(statement)
        self.stack.pop()
        self.loops.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        parent = self.scope
        qual = f"{parent.qualname}.{node.name}" if parent.qualname else node.name
        scope = Scope(
            "class", node.name, qual, parent=parent, node=node,
            bases=tuple(d for d in (dotted(b) for b in node.bases) if d),
            decorators=tuple(d for d in (dotted(_decorator_target(dec)) for dec in node.decorator_list) if d),
        )
        parent.classes[node.name] = scope
        self.stack.append(scope)
        self.index.scopes.append(scope)
        for statement in node.body:
            self.visit(statement)
        self.stack.pop()

    def visit_Lambda(self, node: ast.Lambda) -> None:
        return None

    def visit_Return(self, node: ast.Return) -> None:
        if node.value is not None:
            if self.scope.kind == "function":
                self.scope.returns.append(node.value)
            self.visit(node.value)

    # imports --------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self._bind_import(alias.asname, Import(alias.name, None), node)
            else:
                first = alias.name.split(".")[0]
                self._bind_import(first, Import(first, None), node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        absolute = _absolute_module(self.module_name, node.module or "", node.level or 0)
        for alias in node.names:
            if alias.name == "*":
                if self.scope is self.index.module:
                    self.index.star_imports.append(absolute)
                continue
            self._bind_import(alias.asname or alias.name, Import(absolute, alias.name, node.level or 0), node)

    def _bind_import(self, local: str, imp: Import, node: ast.AST) -> None:
        if self.scope is self.index.module:
            self.index.imports[local] = imp
        else:
            self.scope.add(local, Event(pos_of(node), "dynamic", detail=f"import {imp.module}", imported=imp))
            self.index.imports.setdefault(local, imp)

    # assignments ----------------------------------------------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._assign(target, node.value, node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._assign(node.target, node.value, node)
            self.visit(node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name):
            op = type(node.op).__name__
            self.scope.add(node.target.id, Event(pos_of(node), "aug", node.value, detail=op))
        self.visit(node.value)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        if isinstance(node.target, ast.Name):
            self._function_scope().add(node.target.id, Event(pos_of(node), "assign", node.value))
        self.visit(node.value)

    def visit_If(self, node: ast.If) -> None:
        """``if model is None: model = DEFAULT``: the assignment is the parameter's default
        (see :meth:`_default`), not a new value every call sees."""
        name = _none_tested(node.test, negated=False)
        if name is None or not self._defaultable(name):
            self.generic_visit(node)
            return
        self.visit(node.test)
        for statement in node.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                    and isinstance(statement.targets[0], ast.Name) and statement.targets[0].id == name:
                self._default(name, statement.value, statement)
                self.visit(statement.value)
            else:
                self.visit(statement)
        for statement in node.orelse:
            self.visit(statement)

    def _defaultable(self, name: str) -> bool:
        """A parameter of the current function that nothing has re-bound yet."""
        scope = self.scope
        return scope.kind == "function" and name in scope.params and name not in scope.body_defaults \
            and not any(e.kind in ("assign", "dynamic", "unpack") for e in scope.events.get(name, ()))

    def _default(self, name: str, value: ast.expr, stmt: ast.AST) -> None:
        self.scope.body_defaults[name] = (value, pos_of(stmt))
        self.scope.add(name, Event(pos_of(stmt), "default", value))

    def _assign(self, target: ast.expr, value: ast.expr, stmt: ast.AST) -> None:
        pos = pos_of(stmt)
        if isinstance(target, ast.Name):
            fallback = _fallback(target.id, value) if self._defaultable(target.id) else None
            if fallback is not None:
                self._default(target.id, fallback, stmt)
                return
            self.scope.add(target.id, Event(pos, "assign", value))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for i, element in enumerate(target.elts):
                if isinstance(element, ast.Name):
                    self.scope.add(element.id, Event(pos, "unpack", value, index=i, width=len(target.elts)))
        elif isinstance(target, ast.Attribute):
            base = target.value
            scope = self._function_scope()
            event = Event(pos, "assign", value)
            if isinstance(base, ast.Name) and scope.kind == "function" and scope.cls is not None \
                    and scope.param_order and base.id == scope.param_order[0]:
                scope.cls.self_events.setdefault(target.attr, []).append(event)
            scope.attr_sets.append((target, event))
        elif isinstance(target, ast.Subscript):
            keys: list[ast.expr] = []
            node: ast.expr = target
            while isinstance(node, ast.Subscript):
                if isinstance(node.slice, ast.Slice):
                    return
                keys.append(node.slice)
                node = node.value
            if isinstance(node, ast.Name):
                self.scope.add(node.id, Event(pos, "setitem", value, keys=tuple(reversed(keys))))

    # loops ----------------------------------------------------------------------
    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self._bind_dynamic(node.target, node, "loop variable")
        if isinstance(node.target, ast.Name):
            self.scope.fors.append(node)
        self.visit(node.iter)
        self.loops[-1].append("range" if _is_counter(node.iter) else "for")
        for statement in node.body:
            self.visit(statement)
        self.loops[-1].pop()
        for statement in node.orelse:
            self.visit(statement)

    visit_AsyncFor = visit_For  # type: ignore[assignment]

    def visit_While(self, node: ast.While) -> None:
        self.visit(node.test)
        self.loops[-1].append("while")
        for statement in node.body:
            self.visit(statement)
        self.loops[-1].pop()
        for statement in node.orelse:
            self.visit(statement)

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        for generator in node.generators:
            self._bind_dynamic(generator.target, node, "comprehension variable")
        first = node.generators[0].iter if node.generators else None
        self.loops[-1].append("range" if first is not None and _is_counter(first) else "comprehension")
        self.generic_visit(node)
        self.loops[-1].pop()

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension  # type: ignore[assignment]

    def visit_withitem(self, node: ast.withitem) -> None:
        item, target = node.context_expr, node.optional_vars
        if target is not None:
            opens = isinstance(item, ast.Call) and (
                (isinstance(item.func, ast.Name) and item.func.id == "open")
                or (isinstance(item.func, ast.Attribute) and item.func.attr == "open"))
            if opens and isinstance(target, ast.Name):
                self.scope.add(target.id, Event(pos_of(item), "assign", item))  # ``f.read()`` reads that file
            else:
                self._bind_dynamic(target, item, "with target")
        self.visit(item)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.scope.add(node.name, Event(pos_of(node), "dynamic", detail="exception"))
        self.generic_visit(node)

    def _bind_dynamic(self, target: ast.expr, node: ast.AST, why: str) -> None:
        names: list[str] = []
        _target_names(target, names)
        for name in names:
            self.scope.add(name, Event(pos_of(node), "dynamic", detail=why))

    # calls ----------------------------------------------------------------------
    def visit_Await(self, node: ast.Await) -> None:
        if isinstance(node.value, ast.Call):
            self._awaited.add(id(node.value))
        self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.attr in _MUTATORS:
            self.scope.add(func.value.id, Event(pos_of(node), func.attr, node))
        chain = callee_chain(func)
        if isinstance(func, ast.Call) and dotted(func.func) == "getattr" and len(func.args) == 2 \
                and isinstance(func.args[1], ast.Constant) and isinstance(func.args[1].value, str):
            chain = callee_chain(func.args[0]) + (func.args[1].value,)  # getattr(client.messages, "create")(...)
        if chain and chain[-1] in self.call_names:
            loops = self.loops[-1]
            self.index.calls.append(CallSite(
                node, chain, self._function_scope(), pos_of(node), loops[-1] if loops else None,
                awaited=id(node) in self._awaited,
            ))
        elif chain and (node.args or node.keywords) and chain[-1] not in _NOT_WRAPPERS \
                and not (len(chain) == 1 and chain[0] in _BUILTINS):
            loops = self.loops[-1]
            self.index.other_calls.append(CallSite(
                node, chain, self._function_scope(), pos_of(node), loops[-1] if loops else None,
                awaited=id(node) in self._awaited,
            ))
        self.generic_visit(node)


# Callees that are never an in-house LLM wrapper: builtins and the methods every program
# calls on strings, lists, dicts, loggers and files.
# A builtin's name is never a wrapper when called bare (``len(x)``); as a method it may be
# the project's own (``ai.next(messages, prompt)`` on the project's class).
_BUILTINS = frozenset(dir(builtins))
_NOT_WRAPPERS = frozenset({
    "append", "extend", "insert", "pop", "remove", "update", "get", "setdefault", "items", "keys", "values",
    "join", "split", "rsplit", "strip", "lstrip", "rstrip", "replace", "format", "startswith", "endswith",
    "lower", "upper", "encode", "decode", "find", "index", "count", "debug", "info", "warning", "error",
    "exception", "critical", "log", "write", "read", "readlines", "close", "open", "exists", "mkdir",
    "add", "discard", "copy", "sort", "dumps", "loads", "dump", "load", "sleep", "time", "now", "match",
    "search", "sub", "fullmatch", "findall", "compile", "assertEqual", "assertTrue", "assertIn", "assert_called_once_with",
    "assert_called_with", "assert_called_once", "patch", "object", "fixture", "mark", "parametrize",
    "getenv", "environ", "path", "joinpath", "resolve", "with_suffix", "glob", "rglob", "iterdir", "put", "post",
    "request", "json", "raise_for_status", "cast", "field", "Field", "validator", "field_validator",
    "model_dump", "model_validate", "isoformat", "strftime", "strptime", "group", "groups", "submit",
})
_COUNTERS = {"range", "count", "repeat", "itertools.count", "itertools.repeat"}


def _is_counter(node: ast.expr) -> bool:
    """``range(3)``, ``itertools.count()``: a loop that repeats (retries, agent steps), not one
    over a collection of inputs (``range(len(items))`` walks a collection)."""
    if not isinstance(node, ast.Call) or dotted(node.func) not in _COUNTERS:
        return False
    return not any(isinstance(a, ast.Call) and dotted(a.func) == "len" for a in node.args)


def binds_locally(name: str, scope: Scope, imports: dict[str, Import]) -> bool:
    """Whether a function around ``scope`` binds ``name`` itself. An import of the module's
    own import of ``name`` inside the function (``from ..prompts import PromptFamily``
    against an import cycle) is still that import, not a local binding."""
    imp = imports.get(name)
    current: Scope | None = scope
    while current is not None and current.kind != "module":
        if current.kind == "function" and name in current.params:
            return True
        if current.kind == "function" and name in current.events:
            return imp is None or not all(e.imported is not None and e.imported.module == imp.module
                                          for e in current.events[name])
        current = current.parent
    return False


def _none_tested(test: ast.expr, negated: bool) -> str | None:
    """The name ``test`` checks for being unset: ``x is None``, ``x == None``, ``not x``
    (``negated``: the opposite check, ``x is not None``, a bare ``x``)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _none_tested(test.operand, not negated)
    if isinstance(test, ast.Name):
        return test.id if negated else None
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Name) \
            and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None:
        unset = isinstance(test.ops[0], (ast.Is, ast.Eq))
        set_ = isinstance(test.ops[0], (ast.IsNot, ast.NotEq))
        if (unset and not negated) or (set_ and negated):
            return test.left.id
    return None


def _fallback(name: str, value: ast.expr) -> ast.expr | None:
    """The fallback of ``name = name or V``, ``name = V if name is None else name`` and
    ``name = name if name is not None else V``: V."""
    if isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or) and len(value.values) == 2 \
            and isinstance(value.values[0], ast.Name) and value.values[0].id == name:
        return value.values[1]
    if isinstance(value, ast.IfExp):
        if isinstance(value.orelse, ast.Name) and value.orelse.id == name and _none_tested(value.test, False) == name:
            return value.body
        if isinstance(value.body, ast.Name) and value.body.id == name and _none_tested(value.test, True) == name:
            return value.orelse
    return None


def _decorator_target(node: ast.expr) -> ast.expr:
    return node.func if isinstance(node, ast.Call) else node


def _target_names(target: ast.expr, out: list[str]) -> None:
    if isinstance(target, ast.Name):
        out.append(target.id)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            _target_names(element, out)
    elif isinstance(target, ast.Starred):
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
