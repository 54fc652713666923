"""Per-module summaries of in-house wrappers, and the calls that may reach them.

A function is a wrapper when one of its parameters reaches a text slot of a request it
makes (directly, through locals, ``self.attr`` set in ``__init__``, a method that builds
the parameters). Its summary is that request with the parameters left as markers. Every
call of a function with arguments is recorded with its arguments resolved, its own
parameters left as markers too, so the linker can substitute a wrapper's summary at each
call, across modules, and see wrappers of wrappers. Both are computed here, in the
parallel survey pass, and cached with the file's result; :mod:`promptlint.extract.wrappers`
resolves them over the whole tree.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from promptlint.extract import values as v
from promptlint.extract.resolve import _SDKS, _STDLIB, Resolver
from promptlint.extract.result import CallRecord, RequestDraft, WrapperDraft
from promptlint.extract.scopes import CallSite, ModuleIndex, Scope, binds_locally


def reaching(draft: RequestDraft, text_slots: tuple[str, ...], site_scope: Scope) -> dict[str, set[str]]:
    """Per function, its parameters whose value reaches one of the draft's text slots."""
    found: dict[str, set[str]] = {}
    enclosing: list[Scope] = []
    scope: Scope | None = site_scope
    while scope is not None:
        if scope.kind == "function":
            enclosing.append(scope)
        scope = scope.parent

    # the functions the call sits in, and the constructors of their classes (``self.system``
    # set from a parameter of ``__init__``: the object is the wrapper, built with the prompt)
    owners = {f.qualname for f in enclosing} | {f"{f.cls.qualname}.__init__" for f in enclosing if f.cls is not None}
    for key, value in draft.params:
        if key in text_slots or key == "**":
            _reached(value, enclosing, owners, found)
    return found


def _reached(value: v.Value, enclosing: list[Scope], owners: set[str], found: dict[str, set[str]]) -> None:
    # A module function, not a closure calling itself: that closure would hold the scopes
    # (and so the module's syntax tree) in a cycle only the cycle collector frees.
    if isinstance(value, v.Unknown):
        # A parameter of another function came through what that function returned (a
        # ``**kwargs`` builder, an item cleaner): calling it sends nothing.
        if value.kind == "param" and value.owner in owners:
            found.setdefault(value.owner, set()).add(value.expr)
    elif isinstance(value, v.Str):
        for seg in value.segments:
            if seg.hole is not None and seg.source:
                owner = next((f for f in enclosing if seg.source in f.params), None)
                if owner is not None:
                    found.setdefault(owner.qualname, set()).add(seg.source)
    elif isinstance(value, v.Seq):
        for item in value.items:
            _reached(item, enclosing, owners, found)
    elif isinstance(value, v.Map):
        for _, item in value.items:
            _reached(item, enclosing, owners, found)
    elif isinstance(value, v.Deferred):
        for operand in value.operands:
            _reached(operand, enclosing, owners, found)


def wrapper_drafts(draft: RequestDraft, text_slots: tuple[str, ...], site: CallSite,
                   resolver: Resolver) -> list[WrapperDraft]:
    """The summaries a symbolic draft gives: one per function whose parameters reach it."""
    out = []
    scopes = {s.qualname: s for s in resolver.index.scopes if s.kind == "function"}
    enclosing: set[str] = set()
    current: Scope | None = site.scope
    while current is not None:
        if current.kind == "function":
            enclosing.add(current.qualname)
        current = current.parent
    for owner, params in reaching(draft, text_slots, site.scope).items():
        scope = scopes.get(owner)
        if scope is None:
            continue
        order = call_params(scope)
        defaults = tuple((p, got) for p in order if (got := resolver.default_value(owner, p)) is not None)
        own = replace(draft, params=tuple((k, _sibling_defaults(val, enclosing, resolver)) for k, val in draft.params))
        out.append(WrapperDraft(owner, tuple(order), defaults, own, tuple(sorted(params))))
    return out


def _sibling_defaults(value: v.Value, enclosing: set[str], resolver: Resolver) -> v.Value:
    """What no caller of the wrapper passes (``self.model`` set from ``__init__(model="gpt-4")``,
    a parameter of another method) is the request's own: that function's default, as the
    request itself is priced with. The parameters of the functions the call sits in are
    the callers' to bind, and stay markers."""
    if isinstance(value, v.Unknown) and value.kind == "param" and value.owner and value.owner not in enclosing:
        got = resolver.default_value(value.owner, value.expr)
        return got if got is not None else value
    if isinstance(value, v.Seq):
        return replace(value, items=tuple(_sibling_defaults(i, enclosing, resolver) for i in value.items))
    if isinstance(value, v.Map):
        return replace(value, items=tuple((k, _sibling_defaults(i, enclosing, resolver)) for k, i in value.items))
    return value


def call_params(scope: Scope) -> list[str]:
    """A function's parameters as callers pass them (a method's ``self`` left out)."""
    order = list(scope.param_order)
    static = any(d.rsplit(".", 1)[-1] == "staticmethod" for d in scope.decorators)
    if scope.cls is not None and order and not static:
        order = order[1:]
    return order


def call_records(index: ModuleIndex, resolver: Resolver, sent: set[int] | frozenset[int] = frozenset()) -> list[CallRecord]:
    """Every call that may be of an in-house wrapper, with its arguments resolved (not
    those already requests of their own: ``sent``, by node id)."""
    out = []
    for site in index.other_calls:
        if id(site.node) in sent:
            continue
        node = site.node
        func, positional = _in_thread(node)
        callee = _callee(site, index, func)
        if callee is None:
            continue
        args = tuple(resolver.value(a, site.scope, site.pos) for a in positional if not isinstance(a, ast.Starred))
        kwargs = tuple((k.arg, resolver.value(k.value, site.scope, site.pos)) for k in node.keywords if k.arg)
        if not _worth_recording(callee, args, kwargs):
            continue
        opened = any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords)
        function = site.scope.qualname or None
        caller_params: tuple[str, ...] = ()
        caller_defaults: tuple[tuple[str, v.Value], ...] = ()
        if function and site.scope.kind == "function" and any(
                _marks(a, function) for a in (*args, *(val for _, val in kwargs))):
            caller_params = tuple(call_params(site.scope))
            caller_defaults = tuple((p, got) for p in caller_params
                                    if (got := resolver.default_value(function, p)) is not None)
        out.append(CallRecord(callee, args, kwargs, resolver.span(node), function, opened, site.loop,
                              site.scope.interactive, site.scope.is_async or site.awaited,
                              caller_params, caller_defaults))
    return out


def _worth_recording(callee: tuple[str, ...], args, kwargs) -> bool:
    """A call of the module's own function is always kept (it may be a wrapper); a call
    promptlint can only match by name keeps what may carry a prompt."""
    if callee[0] == "local":
        return True
    return any(_may_carry(a) for a in (*args, *(val for _, val in kwargs)))


def _marks(value: v.Value, owner: str) -> bool:
    """Whether a parameter of ``owner`` is in the value (whole, or as a named hole)."""
    if isinstance(value, v.Unknown):
        return value.kind == "param" and value.owner == owner
    if isinstance(value, v.Str):
        return any(s.hole is not None and s.source for s in value.segments)
    if isinstance(value, v.Seq):
        return any(_marks(i, owner) for i in value.items)
    if isinstance(value, v.Map):
        return any(_marks(i, owner) for _, i in value.items)
    return False


def _may_carry(value: v.Value) -> bool:
    if isinstance(value, v.Str):
        return bool(value.text.strip()) or value.has_holes
    if isinstance(value, (v.Seq, v.Map)):
        items = value.items if isinstance(value, v.Seq) else tuple(i for _, i in value.items)
        return any(_may_carry(i) for i in items)
    if isinstance(value, v.Unknown):
        return value.kind == "param"
    return isinstance(value, (v.Ref, v.Deferred, v.FileLink))


# Method names too common to match a wrapper by name alone: a call ``x.run(...)`` on an
# object promptlint cannot follow is not taken for the project's only ``run``.
COMMON = frozenset({
    "run", "call", "invoke", "ainvoke", "execute", "send", "ask", "chat", "query", "generate", "complete",
    "create", "process", "handle", "predict", "forward", "apply", "render", "build", "make", "fetch",
    "main", "start", "stop", "step", "act", "answer", "respond", "reply", "parse", "check", "validate",
})


def _in_thread(node: ast.Call) -> tuple[ast.expr, list[ast.expr]]:
    """The function a call runs and its positional arguments: ``asyncio.to_thread(f, a, k=v)``
    runs ``f(a, k=v)`` in a thread (its keywords are ``f``'s too)."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name == "to_thread" and node.args and not isinstance(node.args[0], ast.Starred):
        return node.args[0], node.args[1:]
    return func, node.args


def _callee(site: CallSite, index: ModuleIndex, func: ast.expr | None = None) -> tuple[str, ...] | None:
    func = site.node.func if func is None else func
    scope = site.scope
    if isinstance(func, ast.Name):
        name = func.id
        local = _local(name, scope, index)
        if local is not None:
            return ("local", local)
        if binds_locally(name, scope, index.imports):
            return None
        imp = index.imports.get(name)
        if imp is not None:
            if imp.name is None or _third_party(imp.module, imp.level):
                return None
            return ("import", imp.module, imp.name)
        return ("bare", name)
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        base, attr = func.value.id, func.attr
        method = _self_method(base, attr, scope)
        if method is not None:
            return ("local", method)
        typed = _typed_method(base, attr, scope, index)
        if typed is not None:
            return typed
        constructed = _constructed_method(base, attr, scope, index)
        if constructed is not None:
            return constructed
        imp = index.imports.get(base)
        if imp is not None and not binds_locally(base, scope, index.imports):
            if _third_party(imp.module, imp.level):
                return None
            module = imp.module if imp.name is None else f"{imp.module}.{imp.name}"
            return ("import", module, attr)
        if "_" in attr.strip("_") and attr not in COMMON and not attr.startswith("_"):
            return ("attr", attr)
    elif isinstance(func, ast.Attribute) and _on_own_attribute(func.value, scope) and "_" in func.attr.strip("_") \
            and func.attr not in COMMON and not func.attr.startswith("_"):
        return ("attr", func.attr)  # ``self.llm.generate_response(...)``: an object the instance holds
    return None


def _on_own_attribute(node: ast.expr, scope: Scope) -> bool:
    """``self.llm``: an attribute of the method's own instance."""
    if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
        return False
    func: Scope | None = scope
    while func is not None and func.kind != "function":
        func = func.parent
    return func is not None and func.cls is not None and bool(func.param_order) and node.value.id == func.param_order[0]


def _typed_method(base: str, attr: str, scope: Scope, index: ModuleIndex) -> tuple[str, ...] | None:
    """``ai.next(...)`` where the parameter is typed ``ai: AI`` with the project's own class:
    that class's method (defined here or imported from a module of the tree). A common verb
    is fine here: the annotation, not the name, says which function it is."""
    annotation = _annotation(base, scope)
    if annotation is None:
        return None
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):  # ``ai: "AI"``
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    if not isinstance(annotation, ast.Name):
        return None
    return _method_of(annotation.id, attr, scope, index)


def _constructed_method(base: str, attr: str, scope: Scope, index: ModuleIndex) -> tuple[str, ...] | None:
    """``llm = GroqLLM(config); llm.generate_response(...)``: the one binding of ``base`` in the
    calling function constructs a class (by its name), so the method is that class's when
    the tree has it, matched by name at link time (``("typed", class, method)``)."""
    if scope.kind != "function" or base in scope.params:
        return None
    events = scope.events.get(base, ())
    if len(events) != 1 or events[0].kind != "assign":
        return None
    node = events[0].node
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)) or not node.func.id[:1].isupper():
        return None
    return ("typed", node.func.id, attr)


def _method_of(cls: str, attr: str, scope: Scope, index: ModuleIndex) -> tuple[str, ...] | None:
    local = _local(cls, scope, index)
    if local is not None:
        return ("local", f"{local}.{attr}")
    imp = index.imports.get(cls)
    if imp is None or imp.name is None or _third_party(imp.module, imp.level):
        return None
    return ("import", imp.module, f"{imp.name}.{attr}")


def _annotation(name: str, scope: Scope) -> ast.expr | None:
    """The annotation of the enclosing function's parameter ``name``, if it has one."""
    current: Scope | None = scope
    while current is not None:
        if current.kind == "function" and name in current.params:
            args = getattr(current.node, "args", None)
            if args is None:
                return None
            for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
                if arg.arg == name:
                    return arg.annotation
            return None
        if current.kind == "function" and name in current.events:
            return None  # a local of that name hides an outer parameter
        current = current.parent
    return None


def _third_party(module: str, level: int) -> bool:
    top = module.split(".")[0]
    return level == 0 and (top in _STDLIB or top in _SDKS)


def _local(name: str, scope: Scope, index: ModuleIndex) -> str | None:
    current: Scope | None = scope
    while current is not None:
        if current.kind != "class":
            if name in current.functions:
                return current.functions[name].qualname
            if name in current.classes:
                return current.classes[name].qualname
        current = current.parent
    return None


def _self_method(base: str, attr: str, scope: Scope) -> str | None:
    func: Scope | None = scope
    while func is not None and func.kind != "function":
        func = func.parent
    if func is None or func.cls is None or not func.param_order or base != func.param_order[0]:
        return None
    if attr in func.cls.methods:
        return func.cls.methods[attr].qualname
    return f"{func.cls.qualname}.{attr}"  # a method of a base class, maybe in another module
