"""Turn Python expressions into abstract values, following names as far as is safe.

Names are followed through local assignments made before the use (replaying ``+=``,
``.append`` and ``x["k"] = v``), parameter defaults, enclosing functions, class attributes
(``self.X``), module constants and imports (left as :class:`Ref` for the linker). Calls to
functions of the same module with one return are inlined; string operations (f-strings,
``.format``, ``%``, ``+``, ``join``, ``dedent``, ``strip``) keep placeholders as named holes.
Nothing is imported or executed.
"""

from __future__ import annotations

import ast
import sys
from contextlib import contextmanager
from dataclasses import replace
from typing import Callable

from promptlint.extract import attributes, langchain, param_defaults
from promptlint.extract import values as v
from promptlint.extract.evidence import is_prompt_folder
from promptlint.extract.ops import apply, merge, set_path
from promptlint.extract.scopes import Event, ModuleIndex, Pos, Scope, binds_locally, dotted, pos_of
from promptlint.extract.source import LineIndex
from promptlint.extract.literal_lines import value_table
from promptlint.budgets import LIST_ITEMS, exceeded
from promptlint.types import Diagnostic, Segment, Span

MAX_DEPTH = 40
MAX_UNROLLED = 32  # a loop over a literal list is followed item by item up to this many items
_GROWING = ("append", "extend", "aug")  # events that add to a value a loop may repeat
_BASE_EVENTS = ("assign", "dynamic", "unpack")  # events that give a name a new value
_TEXT_METHODS = {"strip", "lstrip", "rstrip", "upper", "lower"}
_TRANSFORM_FUNCTIONS = {"dedent": "dedent", "textwrap.dedent": "dedent", "cleandoc": "cleandoc",
                        "inspect.cleandoc": "cleandoc"}
_ENV_READERS = {"os.getenv", "getenv", "os.environ.get", "environ.get", "os.environ.setdefault"}
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"os", "sys", "json", "re", "typing"}
# SDK packages: their functions are request sinks or clients, never prompt builders.
_SDKS = frozenset({"anthropic", "openai", "litellm", "langchain", "langchain_core", "langchain_openai",
                   "langchain_anthropic", "langchain_community", "langgraph", "google", "boto3", "mistralai",
                   "cohere", "groq", "together", "ollama", "pydantic", "fastapi", "flask", "django", "requests",
                   "httpx", "numpy", "pandas", "torch"})
CALL = "()"  # a Ref path step: the value the referenced function returns
_CONFIG_BASES = ("BaseModel", "BaseSettings", "Settings", "Config", "NamedTuple", "TypedDict")


class SourcePositions:
    """Positions of the decoded source: ``ast`` columns are UTF-8 byte offsets, spans are
    character offsets, and the two differ only on lines with non-ASCII text."""

    def __init__(self, text: str) -> None:
        self.lines = LineIndex(text)
        self.ascii = text.isascii()  # then every line is, and columns are byte offsets

    def column(self, line: int, byte_col: int) -> int:
        if self.ascii:
            return byte_col
        starts = self.lines.starts
        if not 0 < line <= len(starts):
            return byte_col
        end = starts[line] if line < len(starts) else len(self.lines.text)
        text = self.lines.text[starts[line - 1] : end]
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace"))

    def offset(self, line: int, column: int) -> int | None:
        if 0 < line <= len(self.lines.starts):
            return self.lines.starts[line - 1] + column
        return None


class Resolver:
    def __init__(self, index: ModuleIndex, path: str, source: SourcePositions) -> None:
        self.index = index
        self.path = path
        self.source = source
        self._active: set[tuple] = set()  # bindings, returns and defaults being resolved
        self._cycles = 0  # reads that met one of those (their answers depend on where they were asked)
        self._reached: list[set[tuple]] = []  # per binding being resolved: what its resolution went through
        # see binding(): (value, ordinal, what it went through, how much deeper it read)
        self._kept: dict[tuple, tuple[v.Value | None, int, frozenset[tuple], int]] = {}
        self._loose: dict[tuple, tuple[v.Value | None, int, frozenset[tuple], int]] = {}  # any depth
        # the deepest depth a depth limit was tested at (``_inline_call``'s shifted onto
        # MAX_DEPTH): what a binding's resolution needs of the depth it starts at
        self._deepest = 0
        self._defaults: dict[tuple[str, str], v.Value | None] = {}
        self._by_name: dict[str, Scope] | None = None
        self.over_budget: dict[tuple[int, int], Diagnostic] = {}  # PL001s of exceeded work budgets
        # a name's binding is resolved again from every place that reads it: its node's span
        # and source text are kept by the node's id, with the node (so an id is never reused
        # while kept; a hit is checked by identity): NodeMemo's answers for one node, cheaper
        self._spans: dict[int, tuple[ast.AST, Span]] = {}
        self._texts: dict[int, tuple[ast.AST, str]] = {}
        # loop variables held at one item of a literal list while a loop is followed item by item
        self._fixed: dict[tuple[int, str], v.Value] = {}

    # spans ----------------------------------------------------------------------
    def span(self, node: ast.AST) -> Span:
        hit = self._spans.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        span = self._span(node)
        self._spans[id(node)] = (node, span)
        return span

    def _span(self, node: ast.AST) -> Span:
        source = self.source
        line = getattr(node, "lineno", 1)
        end_line = getattr(node, "end_lineno", None) or line
        col = getattr(node, "col_offset", 0)
        end_col = getattr(node, "end_col_offset", None) or 0
        if not source.ascii:
            col, end_col = source.column(line, col), source.column(end_line, end_col)
        starts = source.lines.starts  # SourcePositions.offset, inline (a span for every node resolved)
        return Span(self.path, line, col + 1, end_line, end_col + 1,
                    starts[line - 1] + col if 0 < line <= len(starts) else None,
                    starts[end_line - 1] + end_col if 0 < end_line <= len(starts) else None)

    def expr_text(self, node: ast.AST) -> str:
        if isinstance(node, ast.Name):  # what ast.unparse writes for a name, without its visitor
            return node.id
        hit = self._texts.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        text = dotted(node) if isinstance(node, ast.Attribute) else None  # ``a.b.c`` is written as it is dotted
        if text is None:
            try:
                text = ast.unparse(node)
            except Exception:  # noqa: BLE001 - a name for a hole is best effort
                text = "?"
        self._texts[id(node)] = (node, text)
        return text

    # entry ----------------------------------------------------------------------
    def value(self, node: ast.expr, scope: Scope, pos: Pos | None, depth: int = 0) -> v.Value:
        if depth > self._deepest:
            self._deepest = depth
        if depth > MAX_DEPTH:
            return v.Unknown("too deeply nested to follow", self.expr_text(node), "dynamic", self.span(node))
        cls = type(node)
        method = _METHODS.get(cls, _UNSEEN)
        if method is _UNSEEN:  # each node type's method looked up once, not once per node
            method = _METHODS[cls] = getattr(Resolver, "_" + cls.__name__, None)
        if method is None:
            return v.Unknown(f"{cls.__name__} expression", self.expr_text(node), "dynamic", self.span(node))
        return method(self, node, scope, pos, depth + 1)

    def interpolated(self, node: ast.expr, scope: Scope, pos: Pos | None, depth: int) -> v.Value:
        """A value spliced into text: a parameter stays a hole even when it has a default,
        because callers pass other values (``tone="friendly"`` is one tone among many).
        :meth:`value` already leaves every parameter a marker (defaults are put in by
        :meth:`with_defaults`, at a call site), so this is the same reading."""
        return self.value(node, scope, pos, depth)

    # literals -------------------------------------------------------------------
    def _literal_span(self, node: ast.expr, newlines: int) -> Span:
        """The literal's span, with its line table when its value breaks lines where the
        source does not (found only when a backslash or the line count says so)."""
        span = self.span(node)
        if span.start is None or span.end is None:
            return span
        text = self.source.lines.text[span.start:span.end]
        if "\\" not in text and newlines == (span.end_line or span.line) - span.line:
            return span
        rows, joins = value_table(text)
        return replace(span, rows=rows, joins=joins) if rows or joins else span

    def _Constant(self, node: ast.Constant, scope, pos, depth) -> v.Value:
        value = node.value
        if isinstance(value, str):
            span = self._literal_span(node, value.count("\n"))
            return v.Str((Segment(text=value, span=span),), span)
        span = self.span(node)
        if value is None or isinstance(value, (bool, int, float)):
            return v.Lit(value, span)
        return v.Unknown(f"{type(value).__name__} literal", self.expr_text(node), "dynamic", span)

    def _JoinedStr(self, node: ast.JoinedStr, scope, pos, depth) -> v.Value:
        span = self._literal_span(node, sum(p.value.count("\n") for p in node.values
                                            if isinstance(p, ast.Constant) and isinstance(p.value, str)))
        pieces: list[v.Value] = []
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                pieces.append(v.Str((Segment(text=part.value, span=span),), span))
            elif isinstance(part, ast.FormattedValue):
                inner = self.interpolated(part.value, scope, pos, depth)
                plain = part.format_spec is None and part.conversion == -1
                if plain and isinstance(inner, (v.Str, v.Ref, v.Deferred, v.FileLink)):
                    pieces.append(inner)
                else:
                    source = inner.expr if isinstance(inner, v.Unknown) else self.expr_text(part.value)
                    if isinstance(part.format_spec, ast.JoinedStr):
                        source += ":" + "".join(
                            s.value if isinstance(s, ast.Constant) else "{" + self.expr_text(s) + "}"
                            for s in part.format_spec.values)
                    pieces.append(v.Str((Segment(hole=_hole_for(part.value, inner, self), span=span, source=source),),
                                        span))
        return apply("concat", tuple(pieces), span=span, expr=lambda: self.expr_text(node))

    def _UnaryOp(self, node: ast.UnaryOp, scope, pos, depth) -> v.Value:
        inner = self.value(node.operand, scope, pos, depth)
        if isinstance(node.op, ast.USub) and isinstance(inner, v.Lit) and isinstance(inner.value, (int, float)) \
                and not isinstance(inner.value, bool):
            return v.Lit(-inner.value, self.span(node))
        return v.Unknown("unary operation", self.expr_text(node), "dynamic", self.span(node))

    def _List(self, node: ast.List | ast.Tuple | ast.Set, scope, pos, depth) -> v.Value:
        if len(node.elts) > LIST_ITEMS:
            span = self.span(node)
            self.over_budget.setdefault((span.line, span.column), Diagnostic(
                self.path, exceeded("items-per-list", f"a list of {len(node.elts):,} items", LIST_ITEMS,
                                    "it is not read as prompt text"), span.line, span.column))
            return v.Unknown(f"a list of {len(node.elts):,} items (over the items-per-list budget)",
                             "list", "dynamic", span)
        items: list[v.Value] = []
        is_open = False
        for element in node.elts:
            if isinstance(element, ast.Starred):
                inner = self.value(element.value, scope, pos, depth)
                if isinstance(inner, v.Seq):
                    items.extend(inner.items)
                    is_open = is_open or inner.open
                else:
                    is_open = True
            else:
                items.append(self.value(element, scope, pos, depth))
        return v.Seq(tuple(items), self.span(node), is_open)

    _Tuple = _List
    _Set = _List

    def _ListComp(self, node: ast.ListComp | ast.GeneratorExp, scope, pos, depth) -> v.Value:
        """``[read(n) for n in NAMES]`` over a literal list: one item per name; else unknown."""
        span = self.span(node)
        items = self.unrolled(node.generators[0], scope, depth) if len(node.generators) == 1 and not self._fixed \
            else None
        if items is None:
            return v.Unknown(f"{type(node).__name__} expression", self.expr_text(node), "dynamic", span)
        name = node.generators[0].target.id  # type: ignore[attr-defined]
        got = []
        for item in items:
            with self._holding(scope, name, item):
                got.append(self.value(node.elt, scope, pos, depth))
        return v.Seq(tuple(got), span)

    _GeneratorExp = _ListComp

    def _Dict(self, node: ast.Dict, scope, pos, depth) -> v.Value:
        result = v.Map((), self.span(node))
        for key_node, value_node in zip(node.keys, node.values):
            if key_node is None:  # {**other}
                result = merge(result, self.value(value_node, scope, pos, depth))
                continue
            key = self.value(key_node, scope, pos, depth)
            if isinstance(key, v.Str) and not key.has_holes:
                result = result.with_item(key.text, self.value(value_node, scope, pos, depth))
            else:
                result = replace(result, open=True)
        return result

    def _Name(self, node: ast.Name, scope, pos, depth) -> v.Value:
        return self.lookup(node.id, scope, pos, depth, self.span(node))

    def _Await(self, node: ast.Await, scope, pos, depth) -> v.Value:
        return self.value(node.value, scope, pos, depth)

    def _NamedExpr(self, node: ast.NamedExpr, scope, pos, depth) -> v.Value:
        return self.value(node.value, scope, pos, depth)

    def _IfExp(self, node: ast.IfExp, scope, pos, depth) -> v.Value:
        body = self.value(node.body, scope, pos, depth)
        orelse = self.value(node.orelse, scope, pos, depth)
        if isinstance(body, v.Str) and isinstance(orelse, v.Str):
            return body if len(body.text) >= len(orelse.text) else orelse
        if isinstance(body, v.Unknown):
            return orelse if not isinstance(orelse, v.Unknown) else body
        return body

    def _BoolOp(self, node: ast.BoolOp, scope, pos, depth) -> v.Value:
        values = [self.value(n, scope, pos, depth) for n in node.values]
        if isinstance(node.op, ast.Or):
            for value in values:
                if not (isinstance(value, v.Unknown) or (isinstance(value, v.Lit) and not value.value)):
                    return value
        return values[-1]

    # operators ------------------------------------------------------------------
    def _BinOp(self, node: ast.BinOp, scope, pos, depth) -> v.Value:
        # Each operand is evaluated once: a chain ``a | b | c`` or ``d / "x" / "y"`` must cost
        # its length, not double at every operator.
        op = {ast.Add: "Add", ast.Mult: "Multiply", ast.Mod: "percent"}.get(type(node.op), type(node.op).__name__)
        left = self.value(node.left, scope, pos, depth)
        right = (self.interpolated if op == "percent" else self.value)(node.right, scope, pos, depth)
        span = self.span(node)
        if isinstance(node.op, ast.Div) and isinstance(right, v.Str) and not isinstance(left, (v.Lit, v.Seq, v.Map)):
            return _join_path(left, right, span, self.expr_text(node))  # pathlib: base / "prompts" / "x.txt"
        if isinstance(node.op, ast.Div) and isinstance(right, v.Unknown) and _prompt_folder(left):
            return v.FileLink(left.target, "folder", span)  # type: ignore[union-attr]  # PROMPTS / name
        if isinstance(node.op, ast.BitOr):
            piped = langchain.pipe(left, right, span)  # a LangChain chain: prompt | model
            if piped is not None:
                return piped
        return apply(op, (left, right), span=span, expr=lambda: self.expr_text(node))

    # containers -----------------------------------------------------------------
    def _Subscript(self, node: ast.Subscript, scope, pos, depth) -> v.Value:
        base = self.value(node.value, scope, pos, depth)
        if isinstance(node.slice, ast.Slice):
            return v.Unknown("slice", self.expr_text(node), "dynamic", self.span(node))
        key = self.value(node.slice, scope, pos, depth)
        if isinstance(base, v.Ref) and isinstance(key, (v.Str, v.Lit)):
            step = key.text if isinstance(key, v.Str) else key.value
            if isinstance(step, (str, int)) and not isinstance(step, bool):
                return replace(base, path=base.path + (step,), span=self.span(node))
        if isinstance(base, v.FileLink) and base.how == "yaml" and isinstance(key, (v.Str, v.Lit)):
            step = key.text if isinstance(key, v.Str) else key.value
            if isinstance(step, (str, int)) and not isinstance(step, bool):
                return replace(base, keys=base.keys + (step,), span=self.span(node))
        return apply("subscript", (base, key), span=self.span(node), expr=lambda: self.expr_text(node))

    def _Attribute(self, node: ast.Attribute, scope, pos, depth) -> v.Value:
        attr = node.attr
        base_node = node.value
        span = self.span(node)
        if isinstance(base_node, ast.Name):
            name = base_node.id
            func = _enclosing_method(scope, name)
            if func is not None:
                found = self.class_attr(func.cls, attr, depth)
                if found is not None:
                    return found
                return v.Unknown(f"attribute {name}.{attr} is set at run time", self.expr_text(node), "dynamic", span)
            instance = self._instance_attr(name, attr, scope, depth)
            if instance is not None:
                return instance
            cls = self._class_named(name, scope)
            if cls is not None and not binds_locally(name, scope, self.index.imports):
                found = self.class_attr(cls, attr, depth)
                if found is not None:
                    return found
            imp = self.index.imports.get(name)
            if imp is not None and not binds_locally(name, scope, self.index.imports):
                if imp.name is None:
                    return v.Ref(imp.module, attr, (), span)
                return v.Ref(imp.module, imp.name, (attr,), span)
        base = self.value(base_node, scope, pos, depth)
        if isinstance(base, v.Ref):
            return replace(base, path=base.path + (attr,), span=span)
        if isinstance(base, v.Unknown):
            default = self.config_default(attr, depth)
            if default is not None:
                return default
        return v.Unknown(f"attribute .{attr}", self.expr_text(node), "dynamic", span)

    # calls ----------------------------------------------------------------------
    def _Call(self, node: ast.Call, scope, pos, depth) -> v.Value:
        func = node.func
        span = self.span(node)
        name = dotted(func)
        args = [a for a in node.args if not isinstance(a, ast.Starred)]
        kwargs = {k.arg: k.value for k in node.keywords if k.arg is not None}
        if isinstance(func, ast.Attribute) and func.attr in langchain.PASS_THROUGH:
            receiver = self.value(func.value, scope, pos, depth)
            updated = langchain.method_value(func.attr, receiver,
                                             {k: self.value(e, scope, pos, depth) for k, e in kwargs.items()})
            if updated is not None:
                return updated
        if isinstance(func, ast.Attribute):
            method = func.attr
            if method in ("format", "format_map", "join", "render", "read_text", "read", "open", "get_template",
                          "replace", "substitute", "safe_substitute", "joinpath", "read_bytes", "decode",
                          *_TEXT_METHODS):
                receiver = self.value(func.value, scope, pos, depth)
                got = self._method_call(method, receiver, node, args, kwargs, scope, pos, depth, span)
                if got is not None:
                    return got
        if name in _TRANSFORM_FUNCTIONS and args:
            return apply(_TRANSFORM_FUNCTIONS[name], (self.value(args[0], scope, pos, depth),), span=span,
                         expr=self.expr_text(node))
        if name == "dict":
            result = v.Map((), span)
            for a in node.args:
                result = merge(result, self.value(a, scope, pos, depth))
            for k in node.keywords:
                if k.arg is None:
                    result = merge(result, self.value(k.value, scope, pos, depth))
                else:
                    result = result.with_item(k.arg, self.value(k.value, scope, pos, depth))
            return result
        if name in ("list", "tuple") and len(args) == 1:
            inner = self.value(args[0], scope, pos, depth)
            if isinstance(inner, (v.Seq, v.Ref, v.Deferred)):
                return inner
            return v.Unknown("list()", self.expr_text(node), "dynamic", span)
        if name == "str" and len(args) == 1:
            return v.as_str(self.value(args[0], scope, pos, depth), span)
        if name in ("Path", "pathlib.Path", "PurePath", "os.path.join"):
            return self._path_value(node, scope, pos, depth)
        if name in ("yaml.safe_load", "safe_load", "yaml.load", "yaml.full_load") and args:
            source = self.value(args[0], scope, pos, depth)
            if isinstance(source, v.FileLink) and source.how == "read":
                return replace(source, how="yaml", span=span)  # a YAML prompt file, read as data
        package_file = self._package_file(name, args, scope, pos, depth, span)
        if package_file is not None:
            return package_file
        if name in ("open", "io.open") and args:
            target = self._path_value(args[0], scope, pos, depth)
            return replace(target, opened=True) if isinstance(target, v.FileLink) else \
                v.Unknown("open()", self.expr_text(node), "dynamic", span)
        if name and name.rsplit(".", 1)[-1] in ("FileSystemLoader", "PackageLoader") and args:
            return self._loader_value(name.rsplit(".", 1)[-1], node, args, kwargs, scope, pos, depth, span)
        if name in ("Template", "string.Template") and args and self._string_template(name):
            return apply("dollar", (self.value(args[0], scope, pos, depth),), span=span, expr=self.expr_text(node))
        if name in ("Template", "jinja2.Template") and args:
            inner = self.value(args[0], scope, pos, depth)
            if isinstance(inner, v.FileLink):
                return replace(inner, how="jinja")
            return inner
        if name in _ENV_READERS and len(node.args) + len(node.keywords) >= 2:
            default = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg in ("default", "failobj")), None)
            got = self.value(default, scope, pos, depth) if default is not None else None
            if isinstance(got, v.Str) and not got.has_holes and got.text:
                return replace(got, origin=None, assumed=f"the default of `{self.expr_text(node)}`")
        prompt_object = langchain.call_value(self, name, node, args, kwargs, scope, pos, depth, span)
        if prompt_object is not None:
            return prompt_object
        inlined = self._inline_call(func, scope, pos, depth, node)
        if inlined is not None:
            return inlined
        imported = self._imported_function(func, scope, pos, span)
        if imported is not None:
            return imported
        last = name.rsplit(".", 1)[-1] if name else ""
        if last[:1].isupper() and not node.args and kwargs and all(k.arg for k in node.keywords):
            # A typed constructor (TypedDict, pydantic model, SDK param class) called with
            # keywords reads like a dict literal.
            return v.Map(tuple((k, self.value(e, scope, pos, depth)) for k, e in kwargs.items()), span)
        return v.Unknown("call result", self.expr_text(node), "dynamic", span)

    def _method_call(self, method, receiver, node, args, kwargs, scope, pos, depth, span) -> v.Value | None:
        text_like = isinstance(receiver, (v.Str, v.Ref, v.Deferred)) or (
            isinstance(receiver, v.FileLink) and receiver.how != "loader")
        expr = lambda: self.expr_text(node)  # noqa: E731 - written only when the answer names it
        if method in ("format", "format_map") and text_like:
            positional = tuple(self.interpolated(a, scope, pos, depth) for a in args)
            kw = tuple((k, self.interpolated(e, scope, pos, depth)) for k, e in kwargs.items())
            return apply(method, (receiver, *positional), kw, span=span, expr=expr)
        if method == "join" and text_like and len(args) == 1:
            return apply("join", (receiver, self.value(args[0], scope, pos, depth)), span=span,
                         expr=self.expr_text(args[0]))
        if method in _TEXT_METHODS and text_like and not args:
            return apply(method, (receiver,), span=span, expr=expr)
        if method == "replace" and text_like and len(args) == 2:
            old = self.value(args[0], scope, pos, depth)
            new = self.interpolated(args[1], scope, pos, depth)
            return apply("replace", (receiver, old, new), span=span, expr=self.expr_text(args[1]))
        if method in ("substitute", "safe_substitute") and text_like and len(args) <= 1:
            positional = tuple(self.interpolated(a, scope, pos, depth) for a in args)
            kw = tuple((k, self.interpolated(e, scope, pos, depth)) for k, e in kwargs.items())
            return apply("substitute", (receiver, *positional), kw, span=span, expr=expr)
        if method in ("render", "read_text", "read", "open", "read_bytes", "decode") and isinstance(receiver, v.FileLink):
            return replace(receiver, how="jinja" if method == "render" else receiver.how, span=span, opened=True)
        if method == "joinpath" and isinstance(receiver, v.FileLink) and receiver.how == "read" and args:
            parts = [self.value(a, scope, pos, depth) for a in args]
            if all(isinstance(p, v.Str) and not p.has_holes for p in parts):
                joined = v.Str((Segment("/".join(p.text for p in parts)),), span)  # type: ignore[union-attr]
                return _join_path(receiver, joined, span, expr())
        if method == "get_template" and args:
            target = self.value(args[0], scope, pos, depth)
            if isinstance(target, v.Str) and not target.has_holes:
                return v.FileLink(target.text, "jinja", span, base=_loader_root(receiver))
        return None

    def _package_file(self, name, args, scope, pos, depth, span) -> v.Value | None:
        """A file shipped in a package: ``importlib.resources.files("app")`` (then ``/`` or
        ``.joinpath``), ``resources.read_text("app.prompts", "x.md")``, ``pkgutil.get_data("app",
        "prompts/x.txt")``. The package is a folder of the tree; one promptlint cannot name
        (``files(__package__)``) is the code's own folder."""
        last = (name or "").rsplit(".", 1)[-1]
        head = (name or "").split(".", 1)[0]
        imp = self.index.imports.get(head)
        source = imp.module if imp is not None else head
        if last not in ("files", "read_text", "get_data", "open_text") or not args \
                or not (source.startswith(("importlib", "pkgutil")) or head in ("importlib", "pkgutil")):
            return None
        package = self.value(args[0], scope, pos, depth)
        folder = package.text.replace(".", "/") if isinstance(package, v.Str) and not package.has_holes else ""
        if last == "files":
            return v.FileLink(folder, "read", span, opened=False)
        inner = self.value(args[1], scope, pos, depth) if len(args) > 1 else None
        if not (isinstance(inner, v.Str) and not inner.has_holes):
            return None
        joined = _join_path(v.FileLink(folder, "read", span), inner, span, self.expr_text(args[1]))
        return replace(joined, opened=True) if isinstance(joined, v.FileLink) else joined

    def _loader_value(self, kind, node, args, kwargs, scope, pos, depth, span) -> v.Value:
        """A Jinja loader's search path, kept so ``env.get_template("x.j2")`` finds x.j2 under it."""
        if kind == "PackageLoader":
            package = self.value(args[0], scope, pos, depth)
            folder = self.value(args[1], scope, pos, depth) if len(args) > 1 else None
            if isinstance(package, v.Str) and not package.has_holes:
                sub = folder.text if isinstance(folder, v.Str) and not folder.has_holes else "templates"
                return v.FileLink(package.text.replace(".", "/") + "/" + sub, "loader", span)
            return v.Unknown("loader", self.expr_text(node), "dynamic", span)
        root = self._path_value(args[0], scope, pos, depth)
        if isinstance(root, v.Unknown) and isinstance(args[0], (ast.List, ast.Tuple)):
            first = args[0].elts[0] if args[0].elts else None
            root = self._path_value(first, scope, pos, depth) if first is not None else root
        return replace(root, how="loader") if isinstance(root, v.FileLink) else root

    def _path_value(self, node: ast.expr, scope, pos, depth) -> v.Value:
        """A file path built with Path(...), ``/`` and literals: the known tail is kept."""
        pieces: list[str] = []
        self._path_pieces(node, scope, pos, depth, pieces)
        if not pieces:
            return v.Unknown("file path", self.expr_text(node), "dynamic", self.span(node))
        target = "/".join(p.strip("/") for p in pieces if p.strip("/"))
        return v.FileLink(target, "read", self.span(node), opened=False)

    def _path_pieces(self, n: ast.expr, scope, pos, depth, pieces: list[str]) -> None:
        # A method, not a closure calling itself: that closure would hold the resolver (and
        # so the module's whole syntax tree) in a cycle only the cycle collector frees.
        if isinstance(n, ast.Call) and dotted(n.func) in ("Path", "pathlib.Path", "PurePath", "os.path.join"):
            for a in n.args:
                self._path_pieces(a, scope, pos, depth, pieces)
        elif isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div):
            self._path_pieces(n.left, scope, pos, depth, pieces)
            self._path_pieces(n.right, scope, pos, depth, pieces)
        else:
            got = self.value(n, scope, pos, depth)
            if isinstance(got, v.Str) and not got.has_holes:
                pieces.append(got.text)
            elif isinstance(got, v.FileLink):
                pieces.append(got.target)
            else:
                pieces.clear()  # only the literal tail after the last unknown part is known

    def _string_template(self, name: str) -> bool:
        if name == "string.Template":
            return True
        imp = self.index.imports.get("Template")
        return imp is not None and imp.module == "string"

    def _imported_function(self, func: ast.expr, scope: Scope, pos, span: Span) -> v.Value | None:
        """A call of a function another module of the tree may define (``build_prompt(q)``
        imported from ``app.prompts``): a reference the linker replaces by what the function
        returns, or by a run-time value when it returns nothing known."""
        if isinstance(func, ast.Name):
            imp = self.index.imports.get(func.id)
            if imp is None or imp.name is None or binds_locally(func.id, scope, self.index.imports):
                return None
            module, name = imp.module, imp.name
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            imp = self.index.imports.get(func.value.id)
            if imp is None or binds_locally(func.value.id, scope, self.index.imports):
                return None
            module, name = (imp.module, func.attr) if imp.name is None else (f"{imp.module}.{imp.name}", func.attr)
        else:
            return None
        if not name[:1].islower() or module.split(".")[0] in _STDLIB or imp.level == 0 and module.split(".")[0] in _SDKS:
            return None
        return v.Ref(module, name, (CALL,), span, imp.level)

    def _inline_call(self, func: ast.expr, scope: Scope, pos, depth, call: ast.Call | None = None) -> v.Value | None:
        target: Scope | None = None
        if isinstance(func, ast.Name):
            target = self._function_named(func.id, scope)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            current = _enclosing_function(scope)
            if current is not None and current.cls is not None and current.param_order \
                    and func.value.id == current.param_order[0]:
                target = self._method_named(current.cls, func.attr)
        if target is None or not target.returns:
            return None
        if depth + 5 > self._deepest:
            self._deepest = depth + 5
        if depth + 5 > MAX_DEPTH:
            return None
        key = (id(target), "<return>", None)
        if key in self._active:
            self._cycles += 1
            return None
        self._active.add(key)
        if self._reached:
            self._reached[-1].add(key)
        try:
            last = target.returns[-1]
            result = self.value(last, target, pos_of(last), depth + 3)
        finally:
            self._active.discard(key)
        if call is not None and langchain.tagged(result, "model"):
            result = replace(result, items=tuple(  # type: ignore[union-attr]
                (key, self._bound(item, target, call, scope, pos, depth)) for key, item in result.items))  # type: ignore[union-attr]
        elif call is not None:
            result = self._with_arguments(result, target, call, scope, pos, depth)
        return v.stamp(result, self.return_id(target, len(target.returns)))

    def _with_arguments(self, value: v.Value, target: Scope, call: ast.Call, scope: Scope, pos, depth: int) -> v.Value:
        """What an inlined function returns (a message-list or ``**kwargs`` builder) with its
        parameters replaced by the arguments ``call`` passes: the caller's values, so the
        request that sends the result reads them, and a parameter of the builder is not
        taken for one of a wrapper (calling the builder sends nothing)."""
        params = target.param_order[1:] if target.cls is not None else target.param_order
        if not params:
            return value
        return _put_arguments(value, target.qualname, _Arguments(self, set(params), target, call, scope, pos, depth), 0)

    def _bound(self, value: v.Value, target: Scope, call: ast.Call, scope: Scope, pos, depth) -> v.Value:
        """``value`` where it is one of ``target``'s parameters: the argument ``call`` passes
        for it (``make_llm("gpt-4.1")``, ``LLMClient(DEFAULT_MODEL)``), else its default."""
        if not (isinstance(value, v.Unknown) and value.kind == "param" and value.owner == target.qualname):
            return value
        params = target.param_order[1:] if target.cls is not None else target.param_order
        passed = dict(zip(params, (a for a in call.args if not isinstance(a, ast.Starred))))
        passed.update((k.arg, k.value) for k in call.keywords if k.arg is not None)
        given = passed.get(value.expr)
        got = self.value(given, scope, pos, depth + 1) if given is not None else self.default_value(
            target.qualname, value.expr, depth + 1)
        return got if got is not None else value

    def _instance_attr(self, name: str, attr: str, scope: Scope, depth: int) -> v.Value | None:
        """``client.name`` where ``client = LLMClient(DEFAULT_MODEL)`` is the only binding of
        ``client`` and ``LLMClient.__init__`` sets ``self.name`` from a parameter: the argument."""
        current: Scope | None = scope
        while current is not None and (current.kind == "class" or name not in current.events):
            current = None if current.kind == "module" else current.parent
        events = current.events.get(name, []) if current is not None else []
        if len(events) != 1 or events[0].kind != "assign" or not isinstance(events[0].node, ast.Call):
            return None
        call = events[0].node
        cls = self._class_named(call.func.id, current) if isinstance(call.func, ast.Name) else None
        init = cls.methods.get("__init__") if cls is not None else None
        if init is None or attr not in cls.self_events:  # type: ignore[union-attr]
            return None
        got = self.class_attr(cls, attr, depth)  # type: ignore[arg-type]
        if not (isinstance(got, v.Unknown) and got.kind == "param" and got.owner == init.qualname):
            return None
        bound = self._bound(got, init, call, current, events[0].pos, depth)  # type: ignore[arg-type]
        return None if bound is got else bound

    def return_id(self, function: Scope, ordinal: int) -> str:
        """The template id of a function's ``ordinal``-th return (``path::build()``, ``#2``...)."""
        return f"{self.path}::{function.qualname}(){'#' + str(ordinal) if ordinal > 1 else ''}"

    # names ----------------------------------------------------------------------
    def lookup(self, name: str, scope: Scope, pos: Pos | None, depth: int, span: Span) -> v.Value:
        if name in ("True", "False", "None"):
            return v.Lit({"True": True, "False": False, "None": None}[name], span)
        current: Scope | None = scope
        use_pos = pos
        while current is not None:
            if current.kind == "class":
                current = current.parent
                continue
            if self._fixed and (id(current), name) in self._fixed:
                return self._fixed[(id(current), name)]
            events = current.events.get(name)
            if events:
                got, ordinal = self.binding(name, events, current, use_pos, depth, span)
                if got is not None:
                    return v.stamp(got, self.binding_id(current, name, ordinal))
            if current.kind == "function" and name in current.params:
                return self.param_value(current, name, depth, span)
            if current.kind == "module":
                break
            current = current.parent
            use_pos = None  # enclosing scopes: their final state
        imp = self.index.imports.get(name)
        if imp is not None:
            if imp.name is None:
                return v.Unknown(f"module {imp.module}", name, "dynamic", span)
            return v.Ref(imp.module, imp.name, (), span, imp.level)
        for star in self.index.star_imports:
            return v.Ref(star, name, (), span)
        if name in self.index.module.classes or name in self.index.module.functions:
            return v.Unknown(f"{name} is a definition", name, "dynamic", span)
        return v.Unknown(f"`{name}` is not defined in this module", name, "missing", span)

    def param_value(self, func: Scope, name: str, depth: int, span: Span) -> v.Value:
        """A parameter is a marker naming it and its function: callers pass the values
        (wrapper summaries substitute them); :meth:`with_defaults` puts in the default
        where a call site passes nothing."""
        return v.Unknown(f"parameter `{name}` of {func.qualname}()", name, "param", span, owner=func.qualname)

    def default_value(self, owner: str, name: str, depth: int = 0) -> v.Value | None:
        """The resolved default of parameter ``name`` of function ``owner`` (None: none)."""
        key = (owner, name)
        active = ("<default>", owner, name)
        if self._reached:
            self._reached[-1].add(active)
        if key in self._defaults:
            if active in self._active:
                self._cycles += 1
            return self._defaults[key]
        self._defaults[key] = None  # a default that refers to itself
        self._active.add(active)
        try:
            func = self._scopes_by_name().get(owner)
            got: v.Value | None = None
            given = func.params.get(name) if func is not None else None
            fallback = func.body_defaults.get(name) if func is not None else None
            if fallback is not None and (given is None or _unset(given)):
                got = self.value(fallback[0], func, fallback[1], depth)  # type: ignore[arg-type]
            elif given is not None and func.parent is not None:  # type: ignore[union-attr]
                got = self.value(given, func.parent, None, depth)  # type: ignore[union-attr]
                if isinstance(got, v.Str) and isinstance(given, (ast.Constant, ast.JoinedStr)):
                    got = v.stamp(got, param_defaults.default_id(self.path, owner, name))  # one identity
            if isinstance(got, v.Unknown):
                got = None
        finally:
            self._active.discard(active)
        self._defaults[key] = got
        return got

    def _scopes_by_name(self) -> dict[str, Scope]:
        if self._by_name is None:
            self._by_name = {s.qualname: s for s in self.index.scopes if s.kind == "function"}
        return self._by_name

    def with_defaults(self, value: v.Value, keep: str | None = None) -> v.Value:
        """``value`` as a call with no arguments sees it: each whole-value parameter marker of
        this module (except those of ``keep``) becomes its default, when it has one."""
        if isinstance(value, v.Unknown) and value.kind == "param" and value.owner and value.owner != keep:
            got = self.default_value(value.owner, value.expr)
            return got if got is not None else value
        if isinstance(value, v.Seq):
            return replace(value, items=tuple(self.with_defaults(i, keep) for i in value.items))
        if isinstance(value, v.Map):
            return replace(value, items=tuple((k, self.with_defaults(i, keep)) for k, i in value.items))
        return value

    def binding_id(self, scope: Scope, name: str, ordinal: int) -> str:
        """The template id of the ``ordinal``-th binding of ``name`` in ``scope``: stable when
        lines move (a notebook re-binding ``PROMPT`` in every cell gets ``PROMPT``,
        ``PROMPT#2``, ...)."""
        suffix = f"#{ordinal}" if ordinal > 1 else ""
        if scope.kind == "module":
            return f"{self.path}::{name}{suffix}"
        return f"{self.path}::{scope.qualname}::{name}{suffix}"

    def from_events(self, name: str, events: list[Event], scope: Scope, pos: Pos | None, depth: int,
                    span: Span) -> v.Value | None:
        return self.binding(name, events, scope, pos, depth, span)[0]

    def binding(self, name: str, events: list[Event], scope: Scope, pos: Pos | None, depth: int,
                span: Span) -> tuple[v.Value | None, int]:
        """The value of ``name`` at ``pos`` and which binding of it (1-based) holds it.

        A name is read from many places (every call passing ``messages``, every f-string
        naming ``context``), and each read would resolve its binding again: the answer is
        kept per (scope, name, the bindings before the read, depth). It is kept only when
        nothing of the read itself is in it (the read's span, a cycle back to a name being
        resolved, a default being resolved), and used only while none of the names it
        went through is being resolved, so a kept answer is the one resolving would give.

        Depth matters only where a limit is tested (``MAX_DEPTH``): an answer whose
        resolution met no limit is the same from any depth at which it would still meet
        none (its reads ``reach`` levels deeper at most), so it is kept for those too."""
        # a body default (``if model is None: model = X``) leaves the parameter a parameter
        prior = [e for e in events if (pos is None or e.pos < pos) and e.kind != "default"]
        if not prior:
            return None, 0
        key = (id(scope), name, pos)
        if key in self._active:
            self._cycles += 1
            return v.Unknown(f"`{name}` refers to itself", name, "dynamic", span), 0
        # a loop over a literal list is followed item by item (``_fixed``) and read whole only
        # from outside it: the loops around the read are part of the answer's key
        loops = tuple(id(f) for f in scope.fors if pos is not None and _within(pos, f.body)) if scope.fors else ()
        loose_key = (id(scope), name, len(prior), id(prior[-1]), loops)
        kept_key = (*loose_key, depth)
        kept = None
        if not self._fixed:
            kept = self._kept.get(kept_key)
            if kept is None:
                kept = self._loose.get(loose_key)
                if kept is not None and depth + kept[3] > MAX_DEPTH:
                    kept = None
        if kept is not None and self._active.isdisjoint(kept[2]):
            if self._reached:
                self._reached[-1].update(kept[2])
                self._reached[-1].add(key)
            if depth + kept[3] > self._deepest:
                self._deepest = depth + kept[3]
            return kept[0], kept[1]
        cycles = self._cycles
        self._active.add(key)
        self._reached.append({key})
        outer, self._deepest = self._deepest, depth
        try:
            base_index = None
            for i in range(len(prior) - 1, -1, -1):
                if prior[i].kind in _BASE_EVENTS:
                    base_index = i
                    break
            ordinal = 0 if base_index is None else sum(1 for e in prior[: base_index + 1] if e.kind in _BASE_EVENTS)
            if base_index is None:
                value: v.Value = v.Unknown(f"`{name}` is defined elsewhere", name, "dynamic", span)
                rest = prior
            else:
                value = self._event_value(prior[base_index], name, scope, depth, span)
                rest = prior[base_index + 1 :]
            base_pos = prior[base_index].pos if base_index is not None else None
            for event in rest:
                value = self._apply(event, value, scope, depth, base_pos, pos)
        finally:
            self._active.discard(key)
            reached = self._reached.pop()
            if self._reached:
                self._reached[-1].update(reached)
            reach = self._deepest - depth
            self._deepest = max(outer, self._deepest)
        base = prior[base_index] if base_index is not None else None
        if self._cycles == cycles and base is not None and base.kind == "assign" and isinstance(base.node, ast.expr) \
                and not self._fixed:
            entry = (value, ordinal, frozenset(reached), reach)
            self._kept[kept_key] = entry
            if depth + reach <= MAX_DEPTH:
                self._loose.setdefault(loose_key, entry)
        return value, ordinal

    def _event_value(self, event: Event, name: str, scope: Scope, depth: int, span: Span) -> v.Value:
        if event.imported is not None and event.imported.name is not None:
            return v.Ref(event.imported.module, event.imported.name, (), span, event.imported.level)
        if event.kind == "dynamic" or not isinstance(event.node, ast.expr):
            return v.Unknown(event.detail or "assigned at run time", name, "dynamic", span)
        got = self.value(event.node, scope, event.pos, depth)
        if event.kind == "unpack":
            if isinstance(got, v.Seq) and len(got.items) == event.width and not got.open:
                return got.items[event.index]
            return v.Unknown("unpacked value", name, "dynamic", span)
        return got

    def _apply(self, event: Event, value: v.Value, scope: Scope, depth: int, base: Pos | None = None,
               use: Pos | None = None) -> v.Value:
        """``event`` applied to ``value``; an addition inside a loop over a literal list is
        applied once per item when the value is read after the loop and made before it."""
        if event.kind in _GROWING and scope.fors and not self._fixed:
            loop = next((f for f in scope.fors if _within(event.pos, f.body)
                         and not any(p is not None and _within(p, f.body) for p in (base, use))), None)
            items = self.unrolled(loop, scope, depth) if loop is not None else None
            if items is not None:
                for item in items:  # ``for name in SECTIONS: parts.append(read(name))``
                    with self._holding(scope, loop.target.id, item):  # type: ignore[union-attr]
                        value = self._apply_once(event, value, scope, depth)
                return value
        return self._apply_once(event, value, scope, depth)

    def unrolled(self, loop: ast.For | ast.AsyncFor | ast.comprehension, scope: Scope, depth: int) -> tuple[v.Str, ...] | None:
        """The items of a loop over a literal list of strings (``for name in ("a.md",
        "b.md")``, a constant naming one): the loop is then followed item by item, so a
        prompt assembled from the files a list names is those files' text, in order."""
        if not isinstance(loop.target, ast.Name) or getattr(loop, "ifs", None):
            return None
        items = self.value(loop.iter, scope, pos_of(loop.iter), depth)
        if not (isinstance(items, v.Seq) and not items.open and 0 < len(items.items) <= MAX_UNROLLED
                and all(isinstance(i, v.Str) and not i.has_holes for i in items.items)):
            return None
        return items.items  # type: ignore[return-value]

    @contextmanager
    def _holding(self, scope: Scope, name: str, item: v.Value):
        self._fixed[(id(scope), name)] = item
        try:
            yield
        finally:
            del self._fixed[(id(scope), name)]

    def _apply_once(self, event: Event, value: v.Value, scope: Scope, depth: int) -> v.Value:
        node = event.node
        if event.kind == "aug" and isinstance(node, ast.expr):
            op = {"Add": "Add", "Mult": "Multiply"}.get(event.detail, "")
            other = self.value(node, scope, event.pos, depth)
            return apply(op, (value, other), span=getattr(value, "span", None)) if op else value
        if event.kind in ("append", "extend", "insert", "update") and isinstance(node, ast.Call):
            args = [self.value(a, scope, event.pos, depth) for a in node.args if not isinstance(a, ast.Starred)]
            if event.kind in ("append", "extend") and isinstance(value, (v.Seq, v.Ref, v.Deferred)) and len(args) == 1:
                return apply(event.kind, (value, args[0]), span=getattr(value, "span", None))
            if event.kind == "insert" and isinstance(value, v.Seq) and len(args) == 2 \
                    and isinstance(args[0], v.Lit) and isinstance(args[0].value, int):
                items = list(value.items)
                items.insert(args[0].value, args[1])
                return replace(value, items=tuple(items))
            if event.kind == "update" and isinstance(value, v.Map):
                for arg in args:
                    value = merge(value, arg)
                for k in node.keywords:
                    if k.arg is None:
                        value = merge(value, self.value(k.value, scope, event.pos, depth))
                    else:
                        value = value.with_item(k.arg, self.value(k.value, scope, event.pos, depth))
                return value
            if isinstance(value, (v.Seq, v.Map)):
                return replace(value, open=True)
            return value
        if event.kind == "setitem" and isinstance(node, ast.expr):
            keys = [self.value(k, scope, event.pos, depth) for k in event.keys]
            new = self.value(node, scope, event.pos, depth)
            return set_path(value, keys, new)
        return value

    # classes --------------------------------------------------------------------
    def class_attr(self, cls: Scope, attr: str, depth: int, seen: frozenset[int] = frozenset()) -> v.Value | None:
        if id(cls) in seen:
            return None
        events = cls.events.get(attr)
        if events:
            got = self.from_events(attr, events, cls, None, depth, Span(self.path, 1))
            if got is not None:
                return v.stamp(got, f"{self.path}::{cls.qualname}.{attr}")
        self_events = cls.self_events.get(attr)
        if self_events:
            init = cls.methods.get("__init__")
            ordered = sorted(self_events, key=lambda e: (0 if init and _inside(e, init) else 1, e.pos))
            event = ordered[0]
            method = next((m for m in cls.methods.values() if _inside(event, m)), None)
            if method is not None and isinstance(event.node, ast.expr):
                got = self.value(event.node, method, event.pos, depth)
                own = attributes.self_attribute_id(self.path, method, event)
                if own is not None and isinstance(got, v.Str):
                    got = v.stamp(got, own)  # one identity with the assignment's candidate
                if isinstance(got, v.Map) and (len(self_events) > 1 or not (init and _inside(event, init))):
                    # ``self.extra_params = {}`` in one method, keys added in others: the
                    # mapping a call spreads may hold more keys than this assignment shows.
                    got = replace(got, open=True)
                return got
        for base in cls.bases:
            parent = self._class_named(base, self.index.module)
            if parent is not None:
                got = self.class_attr(parent, attr, depth, seen | {id(cls)})
                if got is not None:
                    return got
        return None

    def config_default(self, attr: str, depth: int) -> v.Value | None:
        """``settings.model``: the default of a config-like class field of that name, if unique."""
        found: list[v.Value] = []
        for scope in self.index.scopes:
            if scope.kind != "class" or attr not in scope.events:
                continue
            looks_config = any(d.rsplit(".", 1)[-1] == "dataclass" for d in scope.decorators) or any(
                b.rsplit(".", 1)[-1].endswith(_CONFIG_BASES) for b in scope.bases
            ) or scope.name.endswith(("Config", "Settings", "Options"))
            if looks_config:
                got = self.class_attr(scope, attr, depth)
                if got is not None and not isinstance(got, v.Unknown):
                    found.append(got)
        return found[0] if len(found) == 1 else None

    def _class_named(self, name: str, scope: Scope) -> Scope | None:
        current: Scope | None = scope
        while current is not None:
            if name in current.classes:
                return current.classes[name]
            current = current.parent
        return None

    def _function_named(self, name: str, scope: Scope) -> Scope | None:
        current: Scope | None = scope
        while current is not None:
            if current.kind != "class" and name in current.functions:
                return current.functions[name]
            current = current.parent
        return None

    def _method_named(self, cls: Scope, name: str) -> Scope | None:
        if name in cls.methods:
            return cls.methods[name]
        for base in cls.bases:
            parent = self._class_named(base, self.index.module)
            if parent is not None and parent is not cls:
                found = self._method_named(parent, name)
                if found is not None:
                    return found
        return None


_UNSEEN = object()
_METHODS: dict[type, Callable | None] = {}  # Resolver's method for each node type (None: none)


def _unset(default: ast.expr) -> bool:
    """A signature default that a body default replaces: ``None`` or an empty value."""
    return isinstance(default, ast.Constant) and not default.value


class _Arguments:
    """The argument a call passes for each parameter of the inlined function, resolved the
    first time the function's result holds that parameter (None: the call passes nothing
    known for it). An object, not a closure: no cycle keeps the syntax tree alive."""

    def __init__(self, resolver: Resolver, params: set[str], target: Scope, call: ast.Call, scope: Scope,
                 pos, depth: int) -> None:
        self.resolver, self.params, self.target, self.call = resolver, params, target, call
        self.scope, self.pos, self.depth = scope, pos, depth
        self.memo: dict[str, v.Value | None] = {}

    def get(self, name: str | None) -> v.Value | None:
        if name is None or name not in self.params:
            return None
        if name not in self.memo:
            marker = v.Unknown(name, name, "param", owner=self.target.qualname)
            got = self.resolver._bound(marker, self.target, self.call, self.scope, self.pos, self.depth)
            self.memo[name] = None if got is marker else got
        return self.memo[name]


def _put_arguments(item: v.Value, owner: str, passed: _Arguments, level: int) -> v.Value:
    """``item`` with the parameters of ``owner`` replaced by the arguments ``passed`` for them."""
    if level > 12:
        return item
    if isinstance(item, v.Unknown):
        got = passed.get(item.expr) if item.kind == "param" and item.owner == owner else None
        return item if got is None else got
    if isinstance(item, v.Str):
        holes = {s.hole: got for s in item.segments
                 if s.hole is not None and (got := passed.get(s.source)) is not None}
        return v.fill_holes(item, holes) if holes else item
    if isinstance(item, v.Seq):
        return replace(item, items=tuple(_put_arguments(i, owner, passed, level + 1) for i in item.items))
    if isinstance(item, v.Map):
        return replace(item, items=tuple((k, _put_arguments(i, owner, passed, level + 1)) for k, i in item.items))
    if isinstance(item, v.Deferred):
        return replace(item, operands=tuple(_put_arguments(i, owner, passed, level + 1) for i in item.operands),
                       kwargs=tuple((k, _put_arguments(i, owner, passed, level + 1)) for k, i in item.kwargs))
    return item


def _between(pos: Pos, first: ast.AST, last: ast.AST) -> bool:
    """Whether ``pos`` lies from the start of ``first`` to the end of ``last``."""
    start = pos_of(first)
    end = (getattr(last, "end_lineno", None) or getattr(last, "lineno", start[0]), getattr(last, "end_col_offset", 0) or 0)
    return start <= pos <= end


def _within(pos: Pos, body: list[ast.stmt]) -> bool:
    """Whether ``pos`` is inside the statements ``body``."""
    return bool(body) and _between(pos, body[0], body[-1])


def _inside(event: Event, method: Scope) -> bool:
    return method.node is not None and _between(event.pos, method.node, method.node)


def _join_path(left: v.Value, right: v.Str, span: Span, expr: str) -> v.Value:
    """``left / "name"``: the known tail of a path, as :meth:`Resolver._path_value` keeps it
    (a part that is not a literal forgets what came before it)."""
    if right.has_holes:
        if _prompt_folder(left) and "/" not in right.text:
            return v.FileLink(left.target, "folder", span)  # type: ignore[union-attr]  # PROMPTS / f"{name}.md"
        return v.Unknown("file path", expr, "dynamic", span)
    if isinstance(left, v.FileLink):
        base = left.target
    elif isinstance(left, v.Str) and not left.has_holes:
        base = left.text
    else:
        base = ""
    target = "/".join(p.strip("/") for p in (base, right.text) if p.strip("/"))
    return v.FileLink(target, "read", span, opened=False) if target else v.Unknown("file path", expr, "dynamic", span)


def _prompt_folder(value: v.Value) -> bool:
    """A path to a prompt folder (``Path(__file__).parent / "prompts"``), whichever file of it
    a run-time name picks."""
    return isinstance(value, v.FileLink) and value.how == "read" and is_prompt_folder(value.target)


def _loader_root(environment: v.Value) -> str | None:
    """The search path of ``Environment(loader=FileSystemLoader("prompts"))``, when visible."""
    loader = environment.get("loader") if isinstance(environment, v.Map) else environment
    if isinstance(loader, v.FileLink) and loader.how == "loader":
        return loader.target
    return None


def _enclosing_method(scope: Scope, name: str) -> Scope | None:
    """The method whose first parameter ``name`` is (``self``), seen from it or from a
    function nested in it."""
    current: Scope | None = scope
    while current is not None:
        if current.kind == "function" and current.cls is not None and current.param_order:
            return current if current.param_order[0] == name else None
        if current.kind == "function" and name in current.params:
            return None
        current = current.parent
    return None


def _enclosing_function(scope: Scope) -> Scope | None:
    current: Scope | None = scope
    while current is not None:
        if current.kind == "function":
            return current
        current = current.parent
    return None


def _hole_for(expr: ast.expr, value: v.Value, resolver: Resolver) -> str:
    if isinstance(value, v.Unknown) and value.kind == "param":
        return value.expr
    return v.hole_name(resolver.expr_text(expr))
