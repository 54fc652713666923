"""What repeats a request: the loops around its call, what kind each is, and whether its
iterations depend on each other.

Three rules read the same answer, so it is computed once, here, and carried on every
:class:`~promptlint.types.Request` (``loops``, ``history``): PL402 batches only loops over
data whose iterations are independent and that nobody waits on; PL303 reports open-ended
agent loops with no step cap; PL205 prices a conversation re-sent whole on every turn.

Per file (:class:`FileLoops`, from the module's ``ast``): the loops around each call, each
classified from its header and body, and every call of another function with the loops
around it (:class:`CallEdge`). Across files (:func:`with_caller_loops`): a request made
inside a helper inherits the loops around the helper's calls, a few helpers deep, so
``for doc in docs: summarize(doc)`` repeats the request that ``summarize`` makes.
"""

from __future__ import annotations

import ast
from bisect import bisect_right
from dataclasses import dataclass, replace
from typing import Callable, Iterable

from promptlint.lazyre import lazy
from promptlint.pyast import (LOOPS, SCOPES, NodeMemo, assignments, body_index, callee, children, clear_walks, dotted,
                               last_name, loop_body, reads, sent_by,
                               tail_in, unparse, value_key, walk_body, walk_statements, walk_with_parents)
from promptlint.types import AgentRun, CallEdge, FunctionFacts, Loop, Request, Span
from promptlint.waits import (MODULE, TIMERS, answer_use, decorator_reason, fan_in, per_query,
                              registrations, script_app, walked)

MAX_HELPER_DEPTH = 3
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)  # what walk_body does not enter
MAX_SERVING_DEPTH = 4  # callers followed up to a request handler or a tool

_COUNTERS = {"range", "xrange"}
_ENDLESS = {"itertools.count", "count", "itertools.cycle", "cycle", "itertools.repeat", "repeat"}
# Iterables that walk another one: the loop is over whatever they wrap.
_PASS_THROUGH = {"enumerate", "zip", "sorted", "reversed", "list", "tuple", "set", "iter", "tqdm", "tqdm.tqdm",
                 "track", "rich.progress.track", "trange", "filter", "map", "itertools.chain", "chain",
                 "itertools.islice", "islice", "as_completed", "asyncio.as_completed"}
_RETRY_ITER = lazy(r"(?i)retr(y|ies|ying)|attempt|backoff")
_RETRY_VAR = lazy(r"(?i)^_*(n_?)?(attempt|retry|retries|tries|try|trial)(s|_?no|_?num|_?count|_?idx|_?index)?_*$")
_INPUTS = {"input", "raw_input", "sys.stdin.readline", "Prompt.ask", "click.prompt", "typer.prompt",
           "getpass", "getpass.getpass", "prompt_toolkit.prompt", "session.prompt", "questionary.text",
           "console.input", "st.chat_input", "receive_text", "receive_json", "websocket.receive_text",
           "websocket.receive_json", "ws.receive_text", "ws.recv", "websocket.recv"}
_GROW = {"append", "extend", "insert", "appendleft", "extendleft", "add", "update", "__iadd__"}
_SHRINK = {"pop", "popleft", "remove", "clear", "__delitem__"}
_COPIES = {"list", "copy", "copy.copy", "copy.deepcopy", "deepcopy", "tuple", "dict"}
# Keywords of a request that carry the conversation (Anthropic/OpenAI messages, Responses
# input, Gemini contents, LangChain invoke input).
HISTORY_KEYWORDS = ("messages", "input", "contents", "history", "chat_history")




class FileLoops:
    """The loop facts of one parsed Python module."""

    def __init__(self, tree: ast.Module, module: str, span: Callable[[ast.AST], Span],
                 imports: dict | None = None) -> None:
        clear_walks()
        self.tree = tree
        self.module = module
        self.span = span
        self.imports = imports or {}  # local name -> scopes.Import
        # every node in ast.walk's order, and each node's parent: walked once, asked often
        self.nodes, self.parent, self._of_type = walk_with_parents(tree)
        self._function_of: dict[int, ast.AST | None] = {}
        self._bounded_in: dict[int, tuple[bool, set[int]]] = {}
        self._instances: dict[int, dict[str, str]] = {}
        self._classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
        self._functions = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self._requests: set[int] = set()
        self._request_functions: set[str] = set()
        self._literals: set[str] | None = None
        self._own: dict[int, tuple[str, int | None, bool, bool]] = {}  # by loop id (the loops are in self.nodes)
        self._decided: dict[int, list[ast.AST]] = {}  # by loop id: see _decisions
        self._qualnames: dict[int, str | None] = {}  # by function id
        self._spans: dict[int, Span] = {}  # by loop id
        self._names: dict[str, list[ast.Name]] | None = None  # see _named
        self._by_line: tuple[list[int], list[ast.Call]] | None = None  # see _calls_on
        self._counted_in: set[int] | None = None  # functions holding an ``if``/``while`` on a count
        self._constructing: set[int] | None = None  # scopes holding a ``name = Name(...)``
        self._constructed: dict[int, dict[str, list[ast.Assign]]] = {}  # by scope id (see _instance_class)
        self._instance_of: dict[tuple[int, str], str | None] = {}  # by (scope id, name)
        self._body_ids: dict[int, set[int]] = {}  # by scope id: its statements' ids

    def _typed(self, *types: type) -> list[ast.AST]:
        """The file's nodes of these exact classes (the ``ast`` classes are never subclassed),
        each class's in ``ast.walk``'s order: the per-file passes (calls, functions, tests,
        assignments) share the walk that found the parents instead of one walk each."""
        if len(types) == 1:
            return self._of_type.get(types[0], [])
        return [n for t in types for n in self._of_type.get(t, [])]

    @staticmethod
    def forget() -> None:
        """Drop the walks kept for this file (they hold its nodes): its tree is freed as soon
        as its extraction ends, not when the next file's begins."""
        clear_walks()

    @property
    def literals(self) -> set[str]:
        """Module names bound only to literals: asked only of a loop over a collection."""
        if self._literals is None:
            self._literals = _module_literals(self.tree, self._typed(*_BINDERS))
        return self._literals

    def mark_requests(self, calls: Iterable[ast.AST]) -> None:
        """The calls of this file that are requests (a fan-in or an agent episode looks for them)."""
        for call in calls:
            self._requests.add(id(call))
            name = self._qualname(self.function_of(call))
            if name:
                self._request_functions.add(name)

    def _makes_request(self, call: ast.Call) -> bool:
        if id(call) in self._requests:
            return True
        target = self._target(call)
        return target is not None and target[0] == self.module and target[1] in self._request_functions

    # the loops around a call ------------------------------------------------------------
    def loops(self, call: ast.AST) -> tuple[Loop, ...]:
        """Loops around ``call`` inside its function, innermost first."""
        found: list[Loop] = []
        child: ast.AST = call
        node = self.parent.get(id(call))
        while node is not None and not isinstance(node, SCOPES):
            if isinstance(node, LOOPS) and self._repeats(node, child, call):
                found.append(self._classify(node, call))
            child = node
            node = self.parent.get(id(node))
        return tuple(found)

    @staticmethod
    def _repeats(loop: ast.AST, child: ast.AST, call: ast.AST) -> bool:
        """Whether ``child`` (a direct child of ``loop`` with ``call`` under it) runs on every iteration."""
        if isinstance(loop, (ast.For, ast.AsyncFor)):
            return child is not loop.iter and child is not loop.target and child not in loop.orelse
        if isinstance(loop, ast.While):
            return child not in loop.orelse
        first = loop.generators[0]  # type: ignore[attr-defined]
        return not (child is first and any(n is call for n in ast.walk(first.iter)))

    def _ancestors(self, node: ast.AST) -> set[int]:
        """Ids of ``node`` and every node above it: "is the call under this expression" is a
        set lookup instead of a walk of the expression."""
        found = {id(node)}
        current = self.parent.get(id(node))
        while current is not None:
            found.add(id(current))
            current = self.parent.get(id(current))
        return found

    def function_of(self, node: ast.AST) -> ast.AST | None:
        """The function (or module) around ``node``. Every node climbed through on the way
        keeps the answer (by id), so the next call's climb stops where this one passed."""
        current = self.parent.get(id(node))
        if current is None:
            return None
        cache = self._function_of
        path: list[int] = []
        while True:
            key = id(current)
            if key in cache:
                found = cache[key]
                break
            path.append(key)
            if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
                found = current
                break
            current = self.parent.get(key)
            if current is None:
                found = None
                break
        for key in path:
            cache[key] = found
        return found

    def _classify(self, loop: ast.AST, call: ast.AST) -> Loop:
        body = loop_body(loop)
        header, count, timed, _ = self._loop_own(loop, body)
        kind, cap = self._kind(loop, call, body)
        if kind == "collection" and _sweeps_settings(loop, call):
            kind = "settings"
        function = self.function_of(call)
        carried, grows, trimmed = _carried(call, body, loop, function, self.parent)
        if grows and not trimmed:
            trimmed = self._trimmed_by_call(body, grows)
        if carried is None and kind == "collection" and _stops_on_answer(self._decisions(loop, body), body,
                                                                          self._ancestors(call)):
            carried = "an answer that ends the loop"
        waited = self._waited(loop, call) if kind == "collection" and carried is None else None
        return Loop(kind, self._loop_span(loop), header, cap,
                    count=count, independent=carried is None, carried=carried, grows=grows,
                    grows_in_text=grows is not None and _in_text(call, function, grows), trimmed=trimmed, timed=timed,
                    waited=waited)

    def _loop_span(self, loop: ast.AST) -> Span:
        """Where a loop starts (no end: a loop is one place): once per loop (spans are frozen)."""
        hit = self._spans.get(id(loop))
        if hit is None:
            span = self.span(loop)
            hit = self._spans[id(loop)] = Span(span.path, span.line, span.column, cell=span.cell, start=span.start)
        return hit

    def _loop_own(self, loop: ast.AST, body: list[ast.AST]) -> tuple[str, int | None, bool, bool]:
        """What a loop is whichever call inside it is asked about (its header, count, whether
        it sleeps on a timer, whether it reads the user's input): once per loop."""
        hit = self._own.get(id(loop))
        if hit is None:
            walked = walk_body(body)
            hit = self._own[id(loop)] = (
                _header(loop), _count(loop), any(isinstance(n, ast.Call) and callee(n) in TIMERS for n in walked),
                any(isinstance(n, ast.Call) and _is_input(n) for n in walked))
        return hit

    def _decisions(self, loop: ast.AST, body: list[ast.AST]) -> list[ast.AST]:
        """The assignments and ``if`` statements under a loop's body, in :func:`walk_body`'s
        order: what :func:`_stops_on_answer` reads, found once per loop, not per call in it."""
        hit = self._decided.get(id(loop))
        if hit is None:
            hit = self._decided[id(loop)] = [n for n in walk_body(body) if isinstance(n, (ast.Assign, ast.If))]
        return hit

    def _waited(self, loop: ast.AST, call: ast.AST) -> str | None:
        """Who needs each answer of a loop over data soon (see :mod:`promptlint.waits`)."""
        function = self.function_of(call)
        scope = function if function is not None else self.tree
        asked = per_query(loop, call, scope, self._qualname(function))
        if asked:
            return asked
        use = answer_use(call, loop, scope, self.parent, self._named)
        if use.display_only:
            return "its answers are only printed as they arrive: someone is watching"
        return fan_in(loop, use, scope, self._makes_request, self.parent, self._calls_on)

    def _named(self, name: str) -> list[ast.Name]:
        """The file's ``Name`` nodes of an identifier (indexed once per file)."""
        if self._names is None:
            self._names = {}
            for node in self._typed(ast.Name):
                self._names.setdefault(node.id, []).append(node)  # type: ignore[attr-defined]
        return self._names.get(name, [])

    def _calls_on(self, after: int, last: int) -> list[ast.Call]:
        """The file's calls on the lines after ``after`` up to ``last`` (sorted once per file)."""
        if self._by_line is None:
            calls = sorted(self._typed(ast.Call), key=lambda n: n.lineno)  # type: ignore[attr-defined]
            self._by_line = ([n.lineno for n in calls], calls)  # type: ignore[attr-defined]
        lines, calls = self._by_line
        return calls[bisect_right(lines, after):bisect_right(lines, last)]

    def _kind(self, loop: ast.AST, call: ast.AST, body: list[ast.AST]) -> tuple[str, str | None]:
        if self._loop_own(loop, body)[3]:
            return "interactive", None
        exits = _exits_on_success(call, loop, self.parent)
        guarded = exits and _inside_try(call, loop, self.parent)
        if isinstance(loop, ast.While):
            test = loop.test
            if guarded:  # ``while tries < 3: try: return create(...)``: ends at the first success
                return "retry", None
            if _ordering(test) or _counted_compare(test, body):
                return "capped", unparse(test)
            drained = _drained(test, body)
            if drained:
                return "capped", f"drains `{drained}`"
            cap = _cap_on_exit(body)
            if cap:
                return "capped", cap
            if exits:
                return "retry", None
            return "unbounded", None
        iterable = loop.iter if isinstance(loop, (ast.For, ast.AsyncFor)) else loop.generators[0].iter  # type: ignore[attr-defined]
        target = loop.target if isinstance(loop, (ast.For, ast.AsyncFor)) else loop.generators[0].target  # type: ignore[attr-defined]
        walked = iterable
        iterable = _unwrap(iterable)
        name = callee(iterable) if isinstance(iterable, ast.Call) else None
        if isinstance(iterable, ast.Call) and (_RETRY_ITER.search(name or "") or tail_in(name, {"Retrying", "AsyncRetrying"})):
            return "retry", unparse(iterable)
        if isinstance(loop, (ast.For, ast.AsyncFor)) and (guarded or (exits and _retry_var(target))):
            return "retry", None
        if isinstance(iterable, ast.Call) and name in _ENDLESS and not (name.endswith("repeat") and len(iterable.args) > 1):
            cap = _cap_on_exit(body)
            return ("capped", cap) if cap else ("unbounded", None)
        if isinstance(iterable, ast.Call) and name in _COUNTERS:
            if any(isinstance(a, ast.Call) and callee(a) == "len" for a in iterable.args):
                return "collection", None
            return "counter", unparse(iterable)
        if _walks_literal(walked, self.literals):
            return "literal", None
        return "collection", None

    # calls of other functions ---------------------------------------------------------
    def call_edges(self, skip: set[int]) -> tuple[CallEdge, ...]:
        """Every call of a function this tree may define, with its loops (``skip``: ids of
        the request calls themselves)."""
        edges: list[CallEdge] = []
        for node in self._typed(ast.Call):
            func = node.func  # only ``name(...)`` and ``name.attr(...)`` can target a function here
            if not (isinstance(func, ast.Name) or (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name))) \
                    or id(node) in skip:
                continue
            function = self.function_of(node)
            target = self._reference(func, function)
            if target is None:
                continue
            edges.append(CallEdge(self._qualname(function), target[0], target[1], self.loops(node), self.span(node),
                                  bounded=self._bounded(node, function)))
        return tuple(edges)

    def _bounded(self, call: ast.Call, function: ast.AST | None) -> bool:
        """Whether the function making ``call`` stops on a count (``if depth > 3: return``,
        ``if depth < max_depth: recurse(...)``): a recursion through it has a floor."""
        if function is None or isinstance(function, ast.Module):
            return False
        if self._counted_in is None:  # one pass over the file: a function with no counted test is unbounded
            self._counted_in = {id(self.function_of(n)) for n in self._typed(ast.If, ast.While) if _ordering(n.test)}
        if id(function) not in self._counted_in:
            return False
        if id(function) not in self._bounded_in:  # per function: (a counted branch returns, calls in one)
            stops, inside = False, set()
            for node in walk_statements(function.body):  # an ``if`` is a statement: no expression walked
                if isinstance(node, (ast.If, ast.While)) and _ordering(node.test):
                    branch = walk_body(node.body)
                    inside.update(map(id, branch))
                    stops = stops or any(isinstance(n, (ast.Return, ast.Raise)) for n in branch)
            self._bounded_in[id(function)] = (stops, inside)
        stops, inside = self._bounded_in[id(function)]
        return stops or id(call) in inside

    def _target(self, call: ast.Call) -> tuple[str, str] | None:
        return self._reference(call.func, self.function_of(call))

    def _reference(self, func: ast.AST, function: ast.AST | None) -> tuple[str, str] | None:
        """The function of the tree an expression names, as (module, qualified name)."""
        if isinstance(func, ast.Name):
            if func.id in self._functions or func.id in self._classes:
                return self.module, func.id
            imp = self.imports.get(func.id)
            if imp is not None and imp.name is not None:
                return imp.module, imp.name
            return None
        if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
            return None
        base, attr = func.value.id, func.attr
        if base in ("self", "cls") and function is not None:
            cls = self._class_of(function)
            return (self.module, f"{cls}.{attr}") if cls else None
        imp = self.imports.get(base)
        if imp is not None:
            return (f"{imp.module}.{imp.name}" if imp.name else imp.module), attr
        cls = self._instance_class(base, function)
        if cls is not None:
            if cls in self._classes:
                return self.module, f"{cls}.{attr}"
            imp = self.imports.get(cls)
            if imp is not None and imp.name is not None:
                return imp.module, f"{imp.name}.{attr}"
        return None

    def _instance_class(self, name: str, function: ast.AST | None) -> str | None:
        """``conv = Conversation()`` in the same function (or module): the class of ``conv``.

        The first such assignment that :func:`walk_statements` of the scope's body meets
        binds it; when the assignments it can meet (a climb from each, :func:`walked`) all
        name one class, that class is the answer without the walk."""
        scope = function if function is not None else self.tree
        key = (id(scope), name)
        if key not in self._instance_of:
            self._instance_of[key] = self._first_instance(name, scope)
        return self._instance_of[key]

    def _first_instance(self, name: str, scope: ast.AST) -> str | None:
        if self._constructing is None:  # one pass over the file: most scopes construct nothing
            self._constructing = set()
            for node in self._typed(ast.Assign):
                if isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name):
                    owner = self.function_of(node)
                    self._constructing.add(id(owner))
                    # by name, for each function (or the module) whose statements' walk may meet
                    # the assignment: its own and the one around that (a climb then says which)
                    names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                    for scope_of in (owner, None if isinstance(owner, ast.Module) else self.function_of(owner)):
                        if scope_of is not None:
                            bound = self._constructed.setdefault(id(scope_of), {})
                            for bound_name in names:
                                bound.setdefault(bound_name, []).append(node)
        if id(scope) not in self._constructing:
            return None
        candidates = self._constructed.get(id(scope), {}).get(name)
        if not candidates:
            return None
        body = self._body_ids.get(id(scope))
        if body is None:
            body = self._body_ids[id(scope)] = {id(s) for s in getattr(scope, "body", [])}
        classes = {n.value.func.id for n in candidates if walked(n, body, self.parent)}  # type: ignore[attr-defined]
        if len(classes) <= 1:  # one class (or none): the walk's order cannot matter
            return next(iter(classes), None)
        if id(scope) not in self._instances:  # per scope: each name's first ``name = Class(...)``
            found: dict[str, str] = {}
            for node in walk_statements(getattr(scope, "body", [])):
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name):
                    for t in node.targets:
                        if isinstance(t, ast.Name):
                            found.setdefault(t.id, node.value.func.id)
            self._instances[id(scope)] = found
        return self._instances[id(scope)].get(name)

    def _class_of(self, function: ast.AST) -> str | None:
        parent = self.parent.get(id(function))
        chain = []
        while isinstance(parent, ast.ClassDef):
            chain.append(parent.name)
            parent = self.parent.get(id(parent))
        return ".".join(reversed(chain)) or None

    def _qualname(self, function: ast.AST | None) -> str | None:
        if function is None or isinstance(function, ast.Module):
            return None
        key = id(function)
        if key not in self._qualnames:
            self._qualnames[key] = self._dotted_name(function)
        return self._qualnames[key]

    def _dotted_name(self, function: ast.AST) -> str:
        names = []
        node: ast.AST | None = function
        while node is not None and not isinstance(node, ast.Module):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.append(node.name)
            node = self.parent.get(id(node))
        return ".".join(reversed(names))

    # a conversation held by an object or a module ---------------------------------------
    def history(self, call: ast.Call) -> str | None:
        """``self.messages`` (or a module-level list) that the call's function appends to and
        sends whole, never cut back anywhere in its class or module: each call is one more
        turn of a conversation."""
        function = self.function_of(call)
        if function is None or isinstance(function, ast.Module):
            return None
        sent = _history_keys(call, rendered=True)
        local = _local_names(function)
        for key in sent:
            if "." not in key and key in local:
                continue
            if not (key.startswith("self.") or "." not in key):
                continue
            if not any(_mutation(n, key) == "grow" for n in _mutated(function.body).get(key, ())):
                continue
            owner = self.parent.get(id(function))
            scope = owner if isinstance(owner, ast.ClassDef) and key.startswith("self.") else self.tree
            if any(_mutation(n, key) in ("trim", "reset-call") for n in _mutated(_defs(scope)).get(key, ())) \
                    or _self_bounded(_defs(scope), key) or self._trimmed_by_call(_defs(scope), key):
                continue
            return key
        return None

    def turn_bound(self, call: ast.Call) -> int | None:
        """How many turns a conversation method can take when it stops on a counter it
        counts itself: ``if self.turns > 3: return ...`` at its top and ``self.turns += 1``
        in its body allow four calls that reach the request."""
        function = self.function_of(call)
        if function is None or isinstance(function, ast.Module):
            return None
        counted = {value_key(n.target) for n in walk_body(function.body)
                   if isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Add)
                   and isinstance(n.value, ast.Constant) and n.value.value == 1}
        for statement in function.body:
            if statement.lineno >= call.lineno:
                break
            test = statement.test if isinstance(statement, ast.If) else None
            if not (test is not None and isinstance(test, ast.Compare) and len(test.ops) == 1
                    and isinstance(test.comparators[0], ast.Constant) and type(test.comparators[0].value) is int
                    and value_key(test.left) in counted and statement.body
                    and isinstance(statement.body[-1], (ast.Return, ast.Raise))):
                continue
            limit = test.comparators[0].value
            if isinstance(test.ops[0], ast.Gt):
                return limit + 1
            if isinstance(test.ops[0], ast.GtE):
                return limit
        return None

    def _trimmed_by_call(self, statements: list[ast.AST], key: str) -> bool:
        """A call under ``statements`` hands ``key`` to a function that cuts it back in
        place: one of this file that pops, deletes or slices that parameter, or one whose
        name says so (``trim_history(messages)``, ``memory.truncate(messages)``)."""
        for node in walk_body(statements):
            if not isinstance(node, ast.Call):
                continue
            passed = [i for i, a in enumerate(node.args) if value_key(a) == key]
            named = [k.arg for k in node.keywords if k.arg and value_key(k.value) == key]
            if not passed and not named:
                continue
            if _TRIMS.search((callee(node) or "").rsplit(".", 1)[-1]):
                return True
            helper = self._local_function(node)
            if helper is None:
                continue
            params = [a.arg for a in (*helper.args.posonlyargs, *helper.args.args)]
            if params and params[0] in ("self", "cls") and isinstance(node.func, ast.Attribute):
                params = params[1:]
            names = {params[i] for i in passed if i < len(params)} | set(named)
            if any(_mutation(n, name) == "trim" for name in names for n in _mutated(helper.body).get(name, ())):
                return True
        return False

    def in_text(self, call: ast.Call, key: str) -> bool:
        """Whether the call writes ``key`` whole into a message's text (``f"{history}"``)
        rather than sending it as messages: a cache breakpoint then never finds the
        previous turn's prefix, which ended inside a block that has grown since."""
        return _in_text(call, self.function_of(call), key)

    def cached_by(self, call: ast.Call) -> str | None:
        """What puts a cache marker on the conversation at run time before the call: a
        statement that sets it on a message (``messages[-1]["content"][-1]["cache_control"] =
        ...``) or a function of this file, called with the message list, that does."""
        keys = set(_history_keys(call))
        if not keys:
            return None
        function = self.function_of(call)
        scope = getattr(function, "body", None) or self.tree.body
        for node in walk_body(scope):
            if isinstance(node, ast.Assign) and any(_sets_cache_key(t) and reads(t) & keys for t in node.targets):
                return f"`{unparse(node.targets[0], 50)} = ...` (line {node.lineno})"
            if isinstance(node, ast.Call) and any(reads(a) & keys for a in node.args):
                helper = self._local_function(node)
                if helper is not None and _marks_cache(helper):
                    return f"{helper.name}() (line {node.lineno})"
        return None

    def _local_function(self, call: ast.Call) -> ast.AST | None:
        target = self._target(call)
        if target is None or target[0] != self.module:
            return None
        head, _, method = target[1].partition(".")
        if not method:
            found = next((n for n in self.tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                          and n.name == head), None)
            return found
        cls = self._classes.get(head)
        return next((n for n in getattr(cls, "body", []) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                     and n.name == method), None)

    # an agent episode ---------------------------------------------------------------------
    def episode(self, call: ast.Call) -> str | None:
        """The loop that continues from this request's answer: ``response = create(...)``
        then ``while response.stop_reason == "tool_use": ... create(messages)``. The request
        is the first step of an agent episode, not an independent item."""
        function = self.function_of(call)
        scope = getattr(function, "body", None) or self.tree.body
        statement = self._statement(call)
        if statement is None:
            return None
        answers = {t.id for t in getattr(statement, "targets", [getattr(statement, "target", None)])
                   if isinstance(t, ast.Name)}
        for node in walk_body(scope):  # names built from the answer (``response = raw.parse()``)
            if isinstance(node, ast.Assign) and reads(node.value) & answers:
                answers |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        conversation = set(_history_keys(call))
        end = getattr(statement, "end_lineno", statement.lineno)
        for node in walk_body(scope):
            if not isinstance(node, (ast.For, ast.AsyncFor, ast.While)) or node.lineno <= end:
                continue
            later = [n for n in walk_body(node.body) if isinstance(n, ast.Call) and n is not call and self._makes_request(n)]
            if not later:
                continue
            tested = reads(node.test) if isinstance(node, ast.While) else set()
            continued = conversation and any(set(_history_keys(c)) & conversation for c in later if isinstance(c, ast.Call))
            if tested & answers or (continued and set().union(*(reads(b) for b in node.body)) & answers):
                return f"its answer starts `{_header(node)}` (line {node.lineno}): the first step of an agent episode"
        return None

    def _statement(self, node: ast.AST) -> ast.stmt | None:
        current = self.parent.get(id(node))
        while current is not None and not isinstance(current, ast.stmt):
            current = self.parent.get(id(current))
        return current

    # facts about functions ----------------------------------------------------------------
    def function_facts(self) -> tuple[FunctionFacts, ...]:
        """Functions that read a clock or serve a request (decorated as a route, tool or
        callback, or registered as one by name here, maybe a function of another file)."""
        facts: list[FunctionFacts] = []
        app = script_app(self.imports)
        if app:
            facts.append(FunctionFacts(self.module, MODULE, serves=app))
        clocked = self._reading_clock()
        found: list[tuple[ast.AST, list[FunctionFacts]]] = []  # (node, its facts), put back in walk order below
        for node in self._typed(ast.FunctionDef, ast.AsyncFunctionDef):
            timed, serves = id(node) in clocked, decorator_reason(node)
            if timed or serves:
                found.append((node, [FunctionFacts(self.module, self._qualname(node) or node.name, timed, serves)]))
        for node in self._typed(ast.Call):
            own = [FunctionFacts(target[0], target[1], serves=reason) for ref, reason in registrations(node)
                   for target in [self._reference(ref, self.function_of(node))] if target is not None]
            if own:
                found.append((node, own))
        if len(found) > 1:  # few: a scan of the walk (identity, in C) per fact is cheaper than a pass of ours
            found.sort(key=lambda entry: self.nodes.index(entry[0]))
        facts.extend(fact for _, own in found for fact in own)
        return tuple(facts)

    def _reading_clock(self) -> set[int]:
        """Ids of the functions :func:`promptlint.waits.reads_clock` is true of, from one look
        at the file's timer calls instead of a walk of every function's body. A body's walk
        (:func:`walk_body`) takes in the definitions written directly in it whole, and enters
        no definition below those: so a timer call counts for the function whose body holds it
        with no definition between, and for the function whose body holds that definition."""
        found: set[int] = set()
        for node in self._typed(ast.Call):
            if last_name(node.func) not in _TIMER_TAILS or callee(node) not in TIMERS:
                continue
            child, owner = node, self.parent.get(id(node))
            while owner is not None and not isinstance(owner, _DEFINITIONS):
                child, owner = owner, self.parent.get(id(owner))
            if owner is None:
                continue
            if isinstance(owner, _FUNCTIONS) and any(child is stmt for stmt in owner.body):
                found.add(id(owner))
            outer = self.parent.get(id(owner))
            if isinstance(outer, _FUNCTIONS) and any(owner is stmt for stmt in outer.body):
                found.add(id(outer))
        return found

    # agent frameworks -------------------------------------------------------------------
    def agent_runs(self, path: str) -> tuple[AgentRun, ...]:
        runs: list[AgentRun] = []
        for node in self._typed(ast.Call):
            if last_name(node.func) not in _CAP_TAILS:  # no framework's callee ends so
                continue
            name = callee(node)
            cap = self._framework_cap(name)
            if cap is None:
                continue
            keyword = next((k for k in node.keywords if k.arg == cap.keyword), None)
            value, literal = None, keyword is None
            if keyword is not None and isinstance(keyword.value, ast.Constant) and \
                    (keyword.value.value is None or type(keyword.value.value) is int):
                value, literal = keyword.value.value, True
            elif keyword is not None and isinstance(keyword.value, ast.Name) and keyword.value.id in ("inf",):
                literal = True
            elif keyword is not None and _is_infinity(keyword.value):
                literal = True
            runs.append(AgentRun(path, self.span(node), cap.framework, name or "?", cap.keyword,
                                 value if keyword is not None else cap.default, keyword is not None, literal,
                                 cap.default, self._qualname(self.function_of(node))))
        return tuple(runs)

    def _framework_cap(self, name: str | None) -> "FrameworkCap | None":
        if not name:
            return None
        parts = name.split(".")
        for cap in FRAMEWORK_CAPS:
            if tuple(parts[-len(cap.callee):]) != cap.callee:
                continue
            imp = self.imports.get(parts[0])
            module = (imp.module + ("." + imp.name if imp.name else "")) if imp is not None else ""
            if any(module == m or module.startswith(m + ".") for m in cap.modules):
                return cap
        return None


_TIMER_TAILS = {name.rsplit(".", 1)[-1] for name in TIMERS}


@dataclass(frozen=True)
class FrameworkCap:
    """A framework run whose step cap is a keyword: a registry entry, not an ``if``."""

    framework: str
    callee: tuple[str, ...]  # the tail of the callee: ("AgentExecutor",), ("Runner", "run")
    keyword: str
    default: int | None  # what the framework uses when the keyword is absent (None: no cap)
    modules: tuple[str, ...]  # where the callee's first name must be imported from


FRAMEWORK_CAPS = (
    FrameworkCap("LangChain", ("AgentExecutor",), "max_iterations", 15, ("langchain", "langchain_classic")),
    FrameworkCap("LangChain", ("AgentExecutor", "from_agent_and_tools"), "max_iterations", 15,
                 ("langchain", "langchain_classic")),
    FrameworkCap("LangChain", ("initialize_agent",), "max_iterations", 15, ("langchain", "langchain_classic")),
    FrameworkCap("OpenAI Agents SDK", ("Runner", "run"), "max_turns", 10, ("agents",)),
    FrameworkCap("OpenAI Agents SDK", ("Runner", "run_sync"), "max_turns", 10, ("agents",)),
    FrameworkCap("OpenAI Agents SDK", ("Runner", "run_streamed"), "max_turns", 10, ("agents",)),
    FrameworkCap("smolagents", ("CodeAgent",), "max_steps", 20, ("smolagents",)),
    FrameworkCap("smolagents", ("ToolCallingAgent",), "max_steps", 20, ("smolagents",)),
    FrameworkCap("CrewAI", ("Agent",), "max_iter", 20, ("crewai",)),
)
_CAP_TAILS = {cap.callee[-1] for cap in FRAMEWORK_CAPS}


# Keywords of a request that are settings, not data: a loop whose variable feeds one of them
# compares models or parameters (a benchmark, a demo), it does not process items.
_SETTINGS = {"model", "temperature", "top_p", "top_k", "max_tokens", "max_completion_tokens", "max_output_tokens",
             "seed", "reasoning_effort", "thinking", "n", "stop", "stop_sequences", "frequency_penalty",
             "presence_penalty", "service_tier"}


def _sweeps_settings(loop: ast.AST, call: ast.AST) -> bool:
    target = loop.target if isinstance(loop, (ast.For, ast.AsyncFor)) else loop.generators[0].target  # type: ignore[attr-defined]
    names = {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return isinstance(call, ast.Call) and any(
        k.arg in _SETTINGS and reads(k.value) & names for k in call.keywords)


def _drained(test: ast.AST, body: list[ast.AST]) -> str | None:
    """``while queue: item = queue.pop()``: a work list the loop empties (bounded by its data)."""
    tested = {value_key(n) for n in ast.walk(test) if isinstance(n, (ast.Name, ast.Attribute))}
    for node in walk_body(body):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("pop", "popleft", "popitem", "get_nowait") and value_key(node.func.value) in tested:
            return value_key(node.func.value)
    return None


def _count(loop: ast.AST) -> int | None:
    """Iterations of ``for _ in range(8)`` (or a literal list), when the code says."""
    if not isinstance(loop, (ast.For, ast.AsyncFor)):
        return None
    iterable = loop.iter
    if isinstance(iterable, (ast.List, ast.Tuple, ast.Set)) and not any(isinstance(e, ast.Starred) for e in iterable.elts):
        return len(iterable.elts)
    if isinstance(iterable, ast.Call) and callee(iterable) == "range" and not iterable.keywords \
            and all(isinstance(a, ast.Constant) and type(a.value) is int for a in iterable.args) and 1 <= len(iterable.args) <= 3:
        try:
            return len(range(*(a.value for a in iterable.args)))  # type: ignore[misc]
        except ValueError:
            return None
    return None


def _is_infinity(node: ast.AST) -> bool:
    """``float("inf")``, ``math.inf``, ``sys.maxsize``: a cap that never ends the run."""
    if isinstance(node, ast.Call) and callee(node) == "float" and node.args and \
            isinstance(node.args[0], ast.Constant) and str(node.args[0].value).lower() in ("inf", "infinity"):
        return True
    return dotted(node) in ("math.inf", "sys.maxsize", "numpy.inf", "np.inf")


def _is_input(call: ast.Call) -> bool:
    """A call that waits for the user: a prompt on the terminal, a socket's next message,
    a workflow waiting for its next signal (Temporal's ``workflow.wait_condition``), the
    next item of a queue the user's messages arrive on (``await inbox.get()``). A loop
    around one takes a turn per message: the user bounds it, not the model."""
    name = callee(call)
    if not name:
        return False
    tail = name.rsplit(".", 1)[-1]
    if name in _INPUTS or tail in {"input", "receive_text", "receive_json"} or tail in _WAIT_SIGNALS:
        return True
    receiver = name.rsplit(".", 2)[-2] if name.count(".") else ""
    return tail == "get" and not call.args and all(k.arg in ("block", "timeout") for k in call.keywords) \
        and bool(_QUEUE.search(receiver))


_WAIT_SIGNALS = {"wait_condition"}
_QUEUE = lazy(r"(?i)queue|inbox|mailbox|^_?q$")


_BINDERS = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.comprehension)


def _module_literals(tree: ast.Module, nodes: list[ast.AST]) -> set[str]:
    """Module names every binding of which is a literal list/tuple/set of constants
    (``MODELS = [...]``; a notebook may bind ``EMAILS`` to a new literal in each exercise).
    ``nodes``: the file's nodes, or only those of :data:`_BINDERS` (the others bind nothing)."""
    literal: set[str] = set()
    other: set[str] = set()
    body = {id(n) for n in tree.body}
    for node in nodes:
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for name in _names_in(t):
                    if isinstance(node, ast.Assign) and id(node) in body and t is name and _is_literal(node.value):
                        literal.add(name.id)
                    else:
                        other.add(name.id)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            other.update(n.id for n in _names_in(node.target))
    return literal - other


def _names_in(target: ast.AST) -> list[ast.Name]:
    """The names under an assignment target, as ``ast.walk`` meets them (most targets are
    one name, which is all a walk of it finds)."""
    if isinstance(target, ast.Name):
        return [target]
    return [n for n in ast.walk(target) if isinstance(n, ast.Name)]


def _walks_literal(node: ast.AST, literals: set[str]) -> bool:
    """The loop ends with a literal written in the code: it walks one, or zips one in
    (``zip(outputs, EXAMPLES)`` stops at the last example)."""
    node = _unwrap_items(node)
    if _is_literal(node) or (isinstance(node, ast.Name) and node.id in literals):
        return True
    if not (isinstance(node, ast.Call) and callee(node) in _PASS_THROUGH and node.args):
        return False
    name = callee(node)
    walked = node.args if name == "zip" else node.args[1:] if name == "map" else node.args[:1]
    return any(_walks_literal(a, literals) for a in walked)


def _is_literal(node: ast.AST) -> bool:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return bool(node.elts) and all(_constant_like(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return bool(node.keys) and all(k is not None and _constant_like(k) for k in node.keys)
    return False


def _constant_like(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_constant_like(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _constant_like(k) and _constant_like(v) for k, v in zip(node.keys, node.values))
    return False


def _unwrap(node: ast.AST) -> ast.AST:
    while isinstance(node, ast.Call) and callee(node) in _PASS_THROUGH and node.args:
        node = node.args[0]
    return _unwrap_items(node)


def _unwrap_items(node: ast.AST) -> ast.AST:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("items", "values", "keys"):
        return node.func.value
    return node


def _retry_var(target: ast.AST) -> bool:
    return isinstance(target, ast.Name) and bool(_RETRY_VAR.match(target.id))


def _header(loop: ast.AST) -> str:
    if isinstance(loop, (ast.For, ast.AsyncFor)):
        word = "async for" if isinstance(loop, ast.AsyncFor) else "for"
        return f"{word} {unparse(loop.target, 30)} in {unparse(loop.iter, 50)}"
    if isinstance(loop, ast.While):
        return f"while {unparse(loop.test, 60)}"
    generator = loop.generators[0]  # type: ignore[attr-defined]
    return f"for {unparse(generator.target, 30)} in {unparse(generator.iter, 50)}"


_ORDER = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def _ordering(test: ast.AST) -> bool:
    """A comparison that counts towards a limit (``step < max_steps``, ``len(x) > 20``).
    Walks :func:`children` (no context or operator leaves, which hold no comparison)."""
    stack = [test]
    while stack:
        node = stack.pop()
        if node.__class__ is ast.Compare and any(isinstance(op, _ORDER) for op in node.ops):
            return True
        stack += children(node)
    return False


def _counters(body: list[ast.AST]) -> set[str]:
    """Names changed by ``+=``/``-=`` in the loop: step counters, countdowns, budgets."""
    found = set()
    for node in walk_body(body):
        if isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Add, ast.Sub)):
            key = value_key(node.target)
            if key:
                found.add(key)
    return found


def _counted_compare(test: ast.AST, body: list[ast.AST]) -> bool:
    counters = _counters(body)
    return any(isinstance(n, ast.Compare) and reads(n) & counters for n in ast.walk(test))


def _cap_on_exit(body: list[ast.AST]) -> str | None:
    """The test of an ``if`` that leaves the loop (or stops its calls) when a step count,
    a budget or a deadline runs out: ``if step >= MAX_STEPS: break``."""
    counters = _counters(body)
    for node in walk_body(body):
        if not isinstance(node, ast.If):
            continue
        if not any(isinstance(n, (ast.Break, ast.Return, ast.Raise, ast.Continue)) for n in walk_body(node.body)):
            continue
        test = node.test
        if _ordering(test) or any(isinstance(n, ast.Compare) and reads(n) & counters for n in ast.walk(test)):
            if not _inside_nested_loop(node, body):
                return unparse(test)
    return None


def _inside_nested_loop(node: ast.AST, body: list[ast.AST]) -> bool:
    """Whether ``node`` sits in a loop nested in ``body`` (its ``break`` leaves only that loop)."""
    for stmt in body:
        for sub in walk_body([stmt]):
            if isinstance(sub, (ast.For, ast.AsyncFor, ast.While)) and sub is not node:
                if any(inner is node for inner in walk_body(sub.body)):
                    return True
    return False


def _inside_try(call: ast.AST, loop: ast.AST, parent: dict[int, ast.AST]) -> bool:
    child, node = call, parent.get(id(call))
    while node is not None and node is not loop:
        if isinstance(node, ast.Try) and child in node.body and node.handlers:
            return True
        child, node = node, parent.get(id(node))
    return False


def _exits_on_success(call: ast.AST, loop: ast.AST, parent: dict[int, ast.AST]) -> bool:
    """Whether the loop ends once the call has succeeded: the call is returned, or a
    ``return``/``break`` follows it unconditionally (in its block, a block around it, or
    the ``else`` of the ``try`` around it), before the loop's body ends."""
    path: list[ast.AST] = []
    node = parent.get(id(call))
    while node is not None:
        path.append(node)
        if node is loop:
            break
        node = parent.get(id(node))
    if not path or path[-1] is not loop:
        return False
    child: ast.AST = call
    for i, node in enumerate(path):
        if isinstance(node, ast.Return):
            return True
        # a ``break`` in a block of ``node`` leaves the innermost loop around that block
        innermost = next((n for n in path[i:] if isinstance(n, (ast.For, ast.AsyncFor, ast.While))), None)
        exits: tuple[type, ...] = (ast.Return, ast.Break) if innermost is loop else (ast.Return,)
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and child in block:
                after = block[block.index(child) + 1:]
                if any(isinstance(s, exits) for s in after):
                    return True
                if isinstance(node, ast.Try) and field == "body" and any(isinstance(s, exits) for s in node.orelse):
                    return True
        child = node
    return False


# Keys that mark a cache breakpoint on a content block: Anthropic's, OpenAI's (GPT-5.6+).
_CACHE_KEYS = ("cache_control", "prompt_cache_breakpoint")


def _sets_cache_key(target: ast.AST) -> bool:
    return isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) \
        and target.slice.value in _CACHE_KEYS


def _marks_cache(function: ast.AST) -> bool:
    """The function puts a cache marker on something: a subscript store, a dict key, a
    keyword or ``setdefault("cache_control", ...)``."""
    for node in walk_body(getattr(function, "body", [])):
        if isinstance(node, ast.Assign) and any(_sets_cache_key(t) for t in node.targets):
            return True
        if isinstance(node, ast.Dict) and any(isinstance(k, ast.Constant) and k.value in _CACHE_KEYS
                                              for k in node.keys):
            return True
        if isinstance(node, ast.Call) and (any(k.arg in _CACHE_KEYS for k in node.keywords) or (
                isinstance(node.func, ast.Attribute) and node.func.attr == "setdefault" and node.args
                and isinstance(node.args[0], ast.Constant) and node.args[0].value in _CACHE_KEYS)):
            return True
    return False


def _history_keys(call: ast.Call, rendered: bool = False) -> list[str]:
    """What the call sends as its conversation: names read by its message arguments, as
    messages or (``rendered``) as text written into one (``f"{history}"``, ``"\\n".join(turns)``)."""
    keys: list[str] = []
    for keyword in call.keywords:
        if keyword.arg in HISTORY_KEYWORDS:
            keys.extend(sorted(_sent(keyword.value, rendered)))
    if not keys and call.args:
        keys.extend(sorted(_sent(call.args[0], rendered)))
    return keys


# Calls that write a whole value into text: ``"\n".join(turns)``, ``json.dumps(history)``.
_RENDERS = {"str", "repr", "json.dumps", "pprint.pformat", "pformat"}


def _sent(node: ast.AST, rendered: bool = False) -> set[str]:
    """Values an argument sends whole (``messages``, ``[SYSTEM, *history]``, ``system + history``),
    not those it only slices (``history[-10:]``) or indexes. ``rendered``: also what it
    writes whole into a message's text (a dict's values, an f-string's fields, a join)."""
    if isinstance(node, (ast.Name, ast.Attribute)):
        key = value_key(node)
        return {key} if key else set()
    if isinstance(node, ast.Starred):
        return _sent(node.value, rendered)
    if isinstance(node, (ast.List, ast.Tuple)):
        return set().union(*(_sent(e, rendered) for e in node.elts)) if node.elts else set()
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _sent(node.left, rendered) | _sent(node.right, rendered)
    if isinstance(node, ast.Call) and callee(node) in _COPIES and node.args:
        return _sent(node.args[0], rendered)
    if not rendered:
        return set()
    if isinstance(node, ast.Dict):
        return set().union(*(_sent(v, True) for v in node.values)) if node.values else set()
    if isinstance(node, ast.JoinedStr):
        fields = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
        return set().union(*(_sent(f, True) for f in fields)) if fields else set()
    if isinstance(node, ast.Call) and node.args:
        joins = isinstance(node.func, ast.Attribute) and node.func.attr == "join" \
            and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str)
        if joins or callee(node) in _RENDERS:
            arg = node.args[0]
            if isinstance(arg, (ast.GeneratorExp, ast.ListComp)):  # "\n".join(f"{m}" for m in history)
                arg = arg.generators[0].iter
            return _sent(arg, True)
    return set()


def _local_names(function: ast.AST) -> set[str]:
    """Names bound in a function (its parameters and assignments), not globals it mutates."""
    names: set[str] = set()
    args = getattr(function, "args", None)
    if args is not None:
        names.update(a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs))
    for node in walk_body(getattr(function, "body", [])):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                if isinstance(t, ast.Name):
                    names.add(t.id)
    return names


def _defs(scope: ast.AST) -> list[ast.AST]:
    """Every statement of a class or module, methods and functions included."""
    out: list[ast.AST] = []
    for node in getattr(scope, "body", []):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.extend(node.body)
        else:
            out.append(node)
    return out


_MUTATED = NodeMemo()


def _mutated(statements: list[ast.AST]) -> dict[str, list[ast.AST]]:
    """The nodes under ``statements`` (as :func:`walk_body` walks them) that
    :func:`_mutation` may find changing each key: asked per key of every request in a
    loop, so each body is indexed once per file (kept like a walk, by the nodes' ids)."""
    return body_index(_MUTATED, statements, _changed_keys)


def _changed_keys(node: ast.AST) -> list[str | None]:
    """Every key :func:`_mutation` may answer for at ``node`` (it answers None for any other)."""
    if isinstance(node, ast.Call):
        return [value_key(node.func.value)] if isinstance(node.func, ast.Attribute) else []
    if isinstance(node, ast.AugAssign):
        return [value_key(node.target)]
    if isinstance(node, ast.Delete):
        return [value_key(t.value) for t in node.targets if isinstance(t, ast.Subscript)]
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [value_key(t) for t in targets] + [value_key(t.value) for t in targets if isinstance(t, ast.Subscript)]
    return []


def _mutation(node: ast.AST, key: str) -> str | None:
    """How ``node`` changes the value under ``key``: ``grow`` (append, ``+=``, ``x = x + …``),
    ``trim`` (pop, slice, a summary or trimming call), ``reset`` (a fresh value), ``reset-call``
    (a fresh value built from the old one by a call: a summary) or None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and value_key(node.func.value) == key:
        if node.func.attr in _GROW:
            return "grow"
        if node.func.attr in _SHRINK:
            return "trim"
        return None
    if isinstance(node, ast.AugAssign) and value_key(node.target) == key:
        return "grow" if isinstance(node.op, ast.Add) else None
    if isinstance(node, ast.Delete) and any(isinstance(t, ast.Subscript) and value_key(t.value) == key for t in node.targets):
        return "trim"
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Slice)
                                                and value_key(t.value) == key for t in targets):
            return "trim"  # history[:] = history[-10:]
        if not any(value_key(t) == key for t in targets):
            return None
        value = node.value
        if key not in reads(value):
            return "reset"
        if any(isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Slice) and value_key(n.value) == key
               for n in ast.walk(value)):
            return "trim"
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add) and key in _sent(value):
            return "grow"
        if isinstance(value, (ast.List, ast.Tuple)) and key in _sent(value):
            return "grow"  # messages = [*messages, reply]
        if isinstance(value, ast.JoinedStr) and key in _sent(value, rendered=True):
            return "grow"  # transcript = f"{transcript}\nUser: {question}"
        if isinstance(value, ast.Call) and callee(value) in _COPIES:
            return None
        return "reset-call"
    return None


def _carried(call: ast.AST, body: list[ast.AST], loop: ast.AST, function: ast.AST | None,
             parent: dict[int, ast.AST] | None = None) -> tuple[str | None, str | None, bool]:
    """(a value the call sends that an earlier iteration built, the message list among
    them that grows, whether that list is trimmed). ``parent``: the file's parent map, to
    find the statement holding the call by climbing from it instead of walking each one."""
    if not isinstance(call, ast.Call):
        return None, None, False
    sent = sent_by(call, function)
    carried = None
    grows = None
    trimmed = False
    statements = list(body)
    mutated = _mutated(statements)
    held: list[int | None] = []  # the index of the statement holding the call, once asked
    for key in sorted(sent):
        kinds = {k for n in mutated.get(key, ()) for k in [_mutation(n, key)] if k}
        if not kinds:
            continue
        if not held:
            held.append(_holder(statements, call, parent))
        if _reset_first(statements, key, held[0]):
            continue  # a fresh value at the top of every iteration
        if kinds <= {"reset"} and not _reset_after_call(statements, key, held[0]):
            continue
        carried = carried or key
        if "grow" in kinds and key in _history_sent(call, function):
            grows = grows or key
            trimmed = trimmed or bool(kinds & {"trim", "reset-call"}) \
                or _self_bounded(getattr(function, "body", None) or statements, key)
    if grows is None and isinstance(call, ast.Call):
        windowed = _windowed(call)
        if windowed:
            trimmed = True
    return carried, grows, trimmed


_BOUNDED = {"deque", "collections.deque"}
# A function named for cutting a history back (its last name part).
_TRIMS = lazy(r"(?i)trim|truncat|prune|compact|condense|shorten|evict")


def _self_bounded(statements: list[ast.AST], key: str) -> bool:
    """``key`` is bound to a container that drops its oldest items itself
    (``deque(maxlen=10)``): a sliding window with no trimming statement."""
    for node in _mutated(statements).get(key, ()):
        value = getattr(node, "value", None)
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(value, ast.Call) and callee(value) in _BOUNDED:
            maxlen = next((k.value for k in value.keywords if k.arg == "maxlen"), None)
            if maxlen is None and len(value.args) > 1:
                maxlen = value.args[1]
            if maxlen is not None and not (isinstance(maxlen, ast.Constant) and maxlen.value is None):
                return True
    return False


def _stops_on_answer(decisions: list[ast.AST], body: list[ast.AST], above_call: set[int]) -> bool:
    """The loop breaks when an answer says so (``if matched: break``): a search, where
    which requests run depends on the answers before them, not a map over items.
    ``decisions``: the assignments and ``if`` statements under ``body``, in
    :func:`walk_body`'s order (the only nodes the search reads)."""
    answers: set[str] = set()
    for _ in range(3):  # names bound from the answer, or in a branch the answer decides
        before = len(answers)
        for node in decisions:
            if isinstance(node, ast.Assign):
                if id(node.value) in above_call or (answers and reads(node.value) & answers):
                    answers |= {k for t in node.targets for k in [value_key(t)] if k}
            elif answers and reads(node.test) & answers:
                answers |= {k for n in walk_body(node.body + node.orelse) if isinstance(n, ast.Assign)
                            for t in n.targets for k in [value_key(t)] if k}
        if len(answers) == before:  # a round that binds nothing new: the next would do the same
            break
    if not answers:
        return False
    return any(isinstance(node, ast.If) and reads(node.test) & answers and _breaks(node.body + node.orelse)
               for node in _own_statements(body))


def _own_statements(statements: list[ast.AST]):
    """The statements of a loop body, not entering nested loops or definitions."""
    for node in statements:
        yield node
        if isinstance(node, (*LOOPS, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):  # ``a if c else b`` in a comprehension has an expression body
                yield from _own_statements(inner)


def _breaks(statements: list[ast.AST]) -> bool:
    return any(isinstance(n, ast.Break) for n in _own_statements(statements))


def _holder(statements: list[ast.AST], call: ast.AST, parent: dict[int, ast.AST] | None) -> int | None:
    """The index of the statement of ``statements`` whose :func:`walk_body` holds ``call``
    (they are siblings: at most one does), or None."""
    if parent is None:
        return next((i for i, stmt in enumerate(statements) if any(n is call for n in walk_body([stmt]))), None)
    index = {id(stmt): i for i, stmt in enumerate(statements)}
    node: ast.AST | None = call
    while node is not None:
        if id(node) in index:
            return index[id(node)]
        if isinstance(node, _DEFINITIONS):  # a walk of a statement enters no definition below it
            return None
        node = parent.get(id(node))
    return None


def _reset_first(statements: list[ast.AST], key: str, holder: int | None) -> bool:
    """The iteration binds ``key`` to a fresh value before the call (in the statement at
    ``holder``), whatever ran before."""
    for i, stmt in enumerate(statements):
        if i == holder:
            return False
        if _mutation(stmt, key) == "reset":
            return True
    return False


def _reset_after_call(statements: list[ast.AST], key: str, holder: int | None) -> bool:
    """``prompt = reply.text`` after the call (in the statement at ``holder``): the next
    iteration sends what this one got."""
    seen = False
    for i, stmt in enumerate(statements):
        if i == holder:
            seen = True
            continue
        if seen and any(_mutation(n, key) == "reset" for n in _mutated([stmt]).get(key, ())):
            return True
    for i, stmt in enumerate(statements):  # inside a nested block (an if) before or after the call
        if i == holder:
            continue
        if not isinstance(stmt, ast.Assign) and any(_mutation(n, key) == "reset" for n in _mutated([stmt]).get(key, ())):
            return True
    return False


def _history_sent(call: ast.Call, function: ast.AST | None, rendered: bool = True) -> set[str]:
    """What the call sends as its conversation, through the assignments that build its
    message arguments (``messages = [system, *history]``); ``rendered=False``: only what
    it sends as messages, not written into their text."""
    keys = set(_history_keys(call, rendered))
    scope = getattr(function, "body", None) or []
    for bound, node in assignments(scope):  # walk_body's order, as the keys grow along it
        if node.__class__ is ast.Assign and not bound.isdisjoint(keys):
            keys |= _sent(node.value, rendered)
    return keys


def _in_text(call: ast.Call, function: ast.AST | None, key: str) -> bool:
    return key not in _history_sent(call, function, rendered=False)


def _windowed(call: ast.Call) -> bool:
    return any(isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Slice)
               for k in call.keywords if k.arg in HISTORY_KEYWORDS for n in ast.walk(k.value))


# across files -------------------------------------------------------------------------
def with_caller_loops(requests: list[Request], edges: Iterable[tuple[str | None, CallEdge]],
                      module_of: Callable[[str], str | None], resolve: Callable[[str], str | None],
                      facts: Iterable[FunctionFacts] = ()) -> list[Request]:
    """Give each request the loops around the calls of the function it sits in, and of
    that function's callers, up to :data:`MAX_HELPER_DEPTH` helpers deep; and mark each
    loop that runs on a per-request path (its function, or a caller of it, is a request
    handler, a tool or a callback) or whose iteration reads a clock in a helper.

    ``edges`` are (caller module, edge) pairs of every file; ``module_of(path)`` is a
    request file's module; ``resolve(module)`` the module a dotted name finds (suffixes,
    re-exports), so ``from tools import ask`` meets ``pkg/tools.py::ask``; ``facts`` are
    every file's :class:`FunctionFacts`.
    """
    edges = list(edges)
    graph = _CallGraph(edges, resolve, facts)
    at_call = {_where_key(edge): edge for _, edge in edges}
    made_in: dict[tuple[str, str], list[Request]] = {}
    for request in requests:
        module = module_of(request.path)
        if module is not None and request.function and not request.via:
            made_in.setdefault((module, request.function), []).append(request)
    out = []
    for request in requests:
        module = module_of(request.path)
        if module is None:
            out.append(request)
            continue
        site: tuple[Loop, ...] = ()
        timed = history = None
        in_text = False
        edge = at_call.get(_where_key(request)) if request.via else None
        if edge is not None:
            # a request made through a wrapper sits at the wrapper's call: the loops around
            # that call follow the wrapper's own, and what the wrapper's own request is (timed,
            # a conversation, the first step of an episode) this one is too
            wrapper = (resolve(edge.module) or edge.module, edge.qualname)
            inner = made_in.get(wrapper, [])
            timed = graph.timed(wrapper) or None
            history = next((r.history for r in inner if r.history), None)
            in_text = next((r.history_in_text for r in inner if r.history), False)
            episode = request.episode or next((r.episode for r in inner if r.episode), None)
            cached_by = request.cached_by or next((r.cached_by for r in inner if r.cached_by), None)
            request = replace(request, episode=episode, cached_by=cached_by)
            site = tuple(replace(loop, timed=loop.timed or bool(timed)) for loop in edge.loops)
        if request.history:
            history, in_text = request.history, request.history_in_text
        # module-level code is served when the script is an app's
        target = (module, request.function or MODULE)
        own = tuple(_served(loop, graph.serving(target)) for loop in request.loops)
        extra = tuple(_served(loop, graph.serving(target)) for loop in site)
        if request.function:
            extra += _outer_loops(graph, target, (), timed=graph.timed(target) or bool(timed))
        if history:  # each call is one more turn of the helper's conversation
            extra = _carry(extra, history, in_text)
        loops = own + extra
        out.append(replace(request, loops=loops) if loops != request.loops or edge is not None else request)
    return out


def _carry(loops: tuple[Loop, ...], history: str, in_text: bool) -> tuple[Loop, ...]:
    return tuple(replace(loop, independent=False, carried=history, grows=history, grows_in_text=in_text)
                 for loop in loops)


def _served(loop: Loop, serving: str | None) -> Loop:
    return replace(loop, waited=serving) if serving and not loop.waited else loop


class _CallGraph:
    """Who calls whom, and what each function is (timed, serving), across files."""

    def __init__(self, edges, resolve: Callable[[str], str | None], facts: Iterable[FunctionFacts]) -> None:
        self.by_target: dict[tuple[str, str], list[tuple[str | None, CallEdge]]] = {}
        for caller_module, edge in edges:
            module = resolve(edge.module) or edge.module
            self.by_target.setdefault((module, edge.qualname), []).append((caller_module, edge))
        self._timed: set[tuple[str, str]] = set()
        self._serves: dict[tuple[str, str], str] = {}
        for fact in facts:
            key = (resolve(fact.module) or fact.module.removesuffix(".__init__"), fact.qualname)
            if fact.timed:
                self._timed.add(key)
            if fact.serves:
                self._serves.setdefault(key, fact.serves)
        self._memo: dict[tuple[str, str], str | None] = {}

    def timed(self, target: tuple[str, str]) -> bool:
        return target in self._timed

    def serving(self, target: tuple[str, str]) -> str | None:
        """Why someone waits on ``target``'s work: its own decorator or registration, or a
        caller's, up to :data:`MAX_SERVING_DEPTH` callers up."""
        if target not in self._memo:
            self._memo[target] = None  # a cycle finds nothing
            self._memo[target] = self._find(target, 0, set())
        return self._memo[target]

    def _find(self, target: tuple[str, str], depth: int, seen: set) -> str | None:
        own = self._serves.get(target)
        if own or depth >= MAX_SERVING_DEPTH or target in seen:
            return own
        seen.add(target)
        for caller_module, edge in self.by_target.get(target, []):
            if caller_module and not edge.caller:  # called by a module's own code
                found = self._serves.get((caller_module, MODULE))
                if found:
                    return f"reached from {caller_module}, {found}"
            elif edge.caller and caller_module:
                found = self._find((caller_module, edge.caller), depth + 1, seen)
                if found:
                    return found if found.startswith("reached from") else f"reached from {edge.caller}(), {found}"
        return None


def _outer_loops(graph: _CallGraph, target: tuple[str, str], via: tuple[str, ...], depth: int = 0,
                 timed: bool = False) -> tuple[Loop, ...]:
    """Loops around the calls of ``target``; ``timed``: a function between them and the
    request reads a clock, so every iteration of those loops is timed."""
    if depth >= MAX_HELPER_DEPTH:
        return ()
    found: dict[tuple, Loop] = {}
    chain = (*via, target[1])
    for caller_module, edge in graph.by_target.get(target, []):
        # a function that calls itself (or a helper above it) recurses on what an earlier
        # answer produced: no iteration of a loop around that call is independent
        recursive = edge.caller is not None and (edge.caller == target[1] or edge.caller in chain)
        caller = (caller_module, edge.caller) if edge.caller and caller_module else None
        serving = graph.serving(caller) if caller else graph.serving((caller_module, MODULE)) if caller_module else None
        for loop in edge.loops:
            loop = _served(replace(loop, via=chain, timed=loop.timed or timed), serving)
            if recursive:
                loop = replace(loop, independent=False, carried=loop.carried or "recursion")
            found.setdefault(_where_key(loop), loop)
        if recursive and not edge.bounded:  # no depth or budget check: it recurses while answers say so
            loop = Loop("unbounded", edge.span, f"{edge.caller}() calling itself", independent=False,
                        carried="recursion", via=chain)
            found.setdefault(_where_key(loop), loop)
        if caller and not recursive:
            for loop in _outer_loops(graph, caller, chain, depth + 1, timed or graph.timed(caller)):
                found.setdefault(_where_key(loop), loop)
    return tuple(found.values())


def _where_key(located) -> tuple:
    """Where a loop, a call edge or a request is, as a key."""
    return (located.span.path, located.span.line, located.span.column, located.span.cell)
