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
import re
from dataclasses import dataclass, replace
from typing import Callable, Iterable

from promptlint.types import AgentRun, CallEdge, Loop, Request, Span

MAX_HELPER_DEPTH = 3

_COUNTERS = {"range", "xrange"}
_ENDLESS = {"itertools.count", "count", "itertools.cycle", "cycle", "itertools.repeat", "repeat"}
# Iterables that walk another one: the loop is over whatever they wrap.
_PASS_THROUGH = {"enumerate", "zip", "sorted", "reversed", "list", "tuple", "set", "iter", "tqdm", "tqdm.tqdm",
                 "track", "rich.progress.track", "trange", "filter", "map", "itertools.chain", "chain",
                 "itertools.islice", "islice", "as_completed", "asyncio.as_completed"}
_RETRY_ITER = re.compile(r"(?i)retr(y|ies|ying)|attempt|backoff")
_RETRY_VAR = re.compile(r"(?i)^_*(n_?)?(attempt|retry|retries|tries|try|trial)(s|_?no|_?num|_?count|_?idx|_?index)?_*$")
_TIMERS = {"time.time", "time.perf_counter", "time.monotonic", "time.process_time", "time.time_ns",
           "time.perf_counter_ns", "time.monotonic_ns", "perf_counter", "monotonic", "default_timer",
           "timeit.default_timer", "datetime.now", "datetime.datetime.now", "timer"}
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


def _dotted(node: ast.AST | None) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _callee(node: ast.Call) -> str | None:
    return _dotted(node.func)


def _tail_in(name: str | None, names: set[str]) -> bool:
    if not name:
        return False
    return name in names or name.rsplit(".", 1)[-1] in {n for n in names if "." not in n}


def _unparse(node: ast.AST, limit: int = 70) -> str:
    try:
        text = " ".join(ast.unparse(node).split())
    except Exception:  # noqa: BLE001 - a header is best effort
        return "?"
    return text if len(text) <= limit else text[: limit - 1] + "…"


_WALKS: dict[tuple[int, ...], tuple[tuple[ast.AST, ...], tuple[ast.AST, ...]]] = {}


def _walk_body(nodes: Iterable[ast.AST]) -> tuple[ast.AST, ...]:
    """Every node under ``nodes``, not entering nested function or class definitions.

    The rules ask this of the same loop bodies and function scopes once per call and per
    name they follow, so each walk is kept for the file (:class:`FileLoops` starts afresh;
    the key holds the nodes themselves, so an id is never reused while its entry lives)."""
    nodes = tuple(nodes)
    key = tuple(map(id, nodes))
    hit = _WALKS.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], nodes)):
        return hit[1]
    out = []
    stack = list(nodes)
    while stack:
        node = stack.pop()
        out.append(node)
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                stack.append(child)
    _WALKS[key] = (nodes, tuple(out))
    return _WALKS[key][1]


def _key(node: ast.AST) -> str | None:
    """The name a value lives under: ``messages``, ``self.messages``, ``state.history``."""
    return _dotted(node)


def _reads(node: ast.AST) -> set[str]:
    """Names and attribute chains an expression reads (``self.messages`` and ``self``)."""
    found: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Name, ast.Attribute)):
            key = _key(sub)
            if key:
                found.add(key)
    return found


_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Module)


class FileLoops:
    """The loop facts of one parsed Python module."""

    def __init__(self, tree: ast.Module, module: str, span: Callable[[ast.AST], Span],
                 imports: dict | None = None) -> None:
        _WALKS.clear()
        self.tree = tree
        self.module = module
        self.span = span
        self.imports = imports or {}  # local name -> scopes.Import
        self.parent: dict[int, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parent[id(child)] = node
        self.literals = _module_literals(tree)
        self._classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
        self._functions = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}

    # the loops around a call ------------------------------------------------------------
    def loops(self, call: ast.AST) -> tuple[Loop, ...]:
        """Loops around ``call`` inside its function, innermost first."""
        found: list[Loop] = []
        child: ast.AST = call
        node = self.parent.get(id(call))
        while node is not None and not isinstance(node, _SCOPES):
            if isinstance(node, _LOOPS) and self._repeats(node, child, call):
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

    def function_of(self, node: ast.AST) -> ast.AST | None:
        current = self.parent.get(id(node))
        while current is not None and not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
            current = self.parent.get(id(current))
        return current

    def _classify(self, loop: ast.AST, call: ast.AST) -> Loop:
        body = _loop_body(loop)
        header = _header(loop)
        kind, cap = self._kind(loop, call, body)
        if kind == "collection" and _sweeps_settings(loop, call):
            kind = "settings"
        count = _count(loop)
        carried, grows, trimmed = _carried(call, body, loop, self.function_of(call))
        timed = any(isinstance(n, ast.Call) and _callee(n) in _TIMERS for n in _walk_body(body))
        span = self.span(loop)
        return Loop(kind, Span(span.path, span.line, span.column, cell=span.cell, start=span.start), header, cap,
                    count=count, independent=carried is None, carried=carried, grows=grows, trimmed=trimmed, timed=timed)

    def _kind(self, loop: ast.AST, call: ast.AST, body: list[ast.AST]) -> tuple[str, str | None]:
        if any(isinstance(n, ast.Call) and _is_input(n) for n in _walk_body(body)):
            return "interactive", None
        exits = _exits_on_success(call, loop, self.parent)
        guarded = exits and _inside_try(call, loop, self.parent)
        if isinstance(loop, ast.While):
            test = loop.test
            if _ordering(test) or _counted_compare(test, body):
                return "capped", _unparse(test)
            if guarded:
                return "retry", None
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
        iterable = _unwrap(iterable)
        name = _callee(iterable) if isinstance(iterable, ast.Call) else None
        if isinstance(iterable, ast.Call) and (_RETRY_ITER.search(name or "") or _tail_in(name, {"Retrying", "AsyncRetrying"})):
            return "retry", _unparse(iterable)
        if isinstance(loop, (ast.For, ast.AsyncFor)) and (guarded or (exits and _retry_var(target))):
            return "retry", None
        if isinstance(iterable, ast.Call) and name in _ENDLESS and not (name.endswith("repeat") and len(iterable.args) > 1):
            cap = _cap_on_exit(body)
            return ("capped", cap) if cap else ("unbounded", None)
        if isinstance(iterable, ast.Call) and name in _COUNTERS:
            if any(isinstance(a, ast.Call) and _callee(a) == "len" for a in iterable.args):
                return "collection", None
            return "counter", _unparse(iterable)
        if _is_literal(iterable) or (isinstance(iterable, ast.Name) and iterable.id in self.literals):
            return "literal", None
        return "collection", None

    # calls of other functions ---------------------------------------------------------
    def call_edges(self, skip: set[int]) -> tuple[CallEdge, ...]:
        """Every call of a function this tree may define, with its loops (``skip``: ids of
        the request calls themselves)."""
        edges: list[CallEdge] = []
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Call) or id(node) in skip:
                continue
            target = self._target(node)
            if target is None:
                continue
            function = self.function_of(node)
            edges.append(CallEdge(self._qualname(function), target[0], target[1], self.loops(node), self.span(node)))
        return tuple(edges)

    def _target(self, call: ast.Call) -> tuple[str, str] | None:
        func = call.func
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
        function = self.function_of(call)
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
        """``conv = Conversation()`` in the same function (or module): the class of ``conv``."""
        scope = function if function is not None else self.tree
        for node in _walk_body(getattr(scope, "body", [])):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name) \
                    and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                return node.value.func.id
        return None

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
        sent = _history_keys(call)
        local = _local_names(function)
        for key in sent:
            if "." not in key and key in local:
                continue
            if not (key.startswith("self.") or "." not in key):
                continue
            if not any(_mutation(n, key) == "grow" for n in _walk_body(function.body)):
                continue
            owner = self.parent.get(id(function))
            scope = owner if isinstance(owner, ast.ClassDef) and key.startswith("self.") else self.tree
            if any(_mutation(n, key) in ("trim", "reset-call") for n in _walk_body(_defs(scope))):
                continue
            return key
        return None

    # agent frameworks -------------------------------------------------------------------
    def agent_runs(self, path: str) -> tuple[AgentRun, ...]:
        runs: list[AgentRun] = []
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Call):
                continue
            name = _callee(node)
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


# Keywords of a request that are settings, not data: a loop whose variable feeds one of them
# compares models or parameters (a benchmark, a demo), it does not process items.
_SETTINGS = {"model", "temperature", "top_p", "top_k", "max_tokens", "max_completion_tokens", "max_output_tokens",
             "seed", "reasoning_effort", "thinking", "n", "stop", "stop_sequences", "frequency_penalty",
             "presence_penalty", "service_tier"}


def _sweeps_settings(loop: ast.AST, call: ast.AST) -> bool:
    target = loop.target if isinstance(loop, (ast.For, ast.AsyncFor)) else loop.generators[0].target  # type: ignore[attr-defined]
    names = {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return isinstance(call, ast.Call) and any(
        k.arg in _SETTINGS and _reads(k.value) & names for k in call.keywords)


def _drained(test: ast.AST, body: list[ast.AST]) -> str | None:
    """``while queue: item = queue.pop()``: a work list the loop empties (bounded by its data)."""
    tested = {_key(n) for n in ast.walk(test) if isinstance(n, (ast.Name, ast.Attribute))}
    for node in _walk_body(body):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("pop", "popleft", "popitem", "get_nowait") and _key(node.func.value) in tested:
            return _key(node.func.value)
    return None


def _count(loop: ast.AST) -> int | None:
    """Iterations of ``for _ in range(8)`` (or a literal list), when the code says."""
    if not isinstance(loop, (ast.For, ast.AsyncFor)):
        return None
    iterable = loop.iter
    if isinstance(iterable, (ast.List, ast.Tuple, ast.Set)) and not any(isinstance(e, ast.Starred) for e in iterable.elts):
        return len(iterable.elts)
    if isinstance(iterable, ast.Call) and _callee(iterable) == "range" and not iterable.keywords \
            and all(isinstance(a, ast.Constant) and type(a.value) is int for a in iterable.args) and 1 <= len(iterable.args) <= 3:
        try:
            return len(range(*(a.value for a in iterable.args)))  # type: ignore[misc]
        except ValueError:
            return None
    return None


def _is_infinity(node: ast.AST) -> bool:
    """``float("inf")``, ``math.inf``, ``sys.maxsize``: a cap that never ends the run."""
    if isinstance(node, ast.Call) and _callee(node) == "float" and node.args and \
            isinstance(node.args[0], ast.Constant) and str(node.args[0].value).lower() in ("inf", "infinity"):
        return True
    return _dotted(node) in ("math.inf", "sys.maxsize", "numpy.inf", "np.inf")


def _is_input(call: ast.Call) -> bool:
    name = _callee(call)
    return bool(name) and (name in _INPUTS or name.rsplit(".", 1)[-1] in {"input", "receive_text", "receive_json"})


def _module_literals(tree: ast.Module) -> set[str]:
    """Module names bound once to a literal list/tuple/set of constants (``MODELS = [...]``)."""
    counts: dict[str, int] = {}
    literal: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    counts[t.id] = counts.get(t.id, 0) + 1
                    if isinstance(node, ast.Assign) and node in tree.body and _is_literal(node.value):
                        literal.add(t.id)
    return {name for name in literal if counts.get(name) == 1}


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
    while isinstance(node, ast.Call) and _callee(node) in _PASS_THROUGH and node.args:
        node = node.args[0]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("items", "values", "keys"):
        return node.func.value
    return node


def _retry_var(target: ast.AST) -> bool:
    return isinstance(target, ast.Name) and bool(_RETRY_VAR.match(target.id))


def _loop_body(loop: ast.AST) -> list[ast.AST]:
    if isinstance(loop, (ast.For, ast.AsyncFor, ast.While)):
        return list(loop.body)
    parts: list[ast.AST] = []
    for attr in ("elt", "key", "value"):
        if getattr(loop, attr, None) is not None:
            parts.append(getattr(loop, attr))
    for generator in loop.generators:  # type: ignore[attr-defined]
        parts.extend(generator.ifs)
    return parts


def _header(loop: ast.AST) -> str:
    if isinstance(loop, (ast.For, ast.AsyncFor)):
        word = "async for" if isinstance(loop, ast.AsyncFor) else "for"
        return f"{word} {_unparse(loop.target, 30)} in {_unparse(loop.iter, 50)}"
    if isinstance(loop, ast.While):
        return f"while {_unparse(loop.test, 60)}"
    generator = loop.generators[0]  # type: ignore[attr-defined]
    return f"for {_unparse(generator.target, 30)} in {_unparse(generator.iter, 50)}"


_ORDER = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def _ordering(test: ast.AST) -> bool:
    """A comparison that counts towards a limit (``step < max_steps``, ``len(x) > 20``)."""
    return any(isinstance(n, ast.Compare) and any(isinstance(op, _ORDER) for op in n.ops) for n in ast.walk(test))


def _counters(body: list[ast.AST]) -> set[str]:
    """Names changed by ``+=``/``-=`` in the loop: step counters, countdowns, budgets."""
    found = set()
    for node in _walk_body(body):
        if isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Add, ast.Sub)):
            key = _key(node.target)
            if key:
                found.add(key)
    return found


def _counted_compare(test: ast.AST, body: list[ast.AST]) -> bool:
    counters = _counters(body)
    return any(isinstance(n, ast.Compare) and _reads(n) & counters for n in ast.walk(test))


def _cap_on_exit(body: list[ast.AST]) -> str | None:
    """The test of an ``if`` that leaves the loop (or stops its calls) when a step count,
    a budget or a deadline runs out: ``if step >= MAX_STEPS: break``."""
    counters = _counters(body)
    for node in _walk_body(body):
        if not isinstance(node, ast.If):
            continue
        if not any(isinstance(n, (ast.Break, ast.Return, ast.Raise, ast.Continue)) for n in _walk_body(node.body)):
            continue
        test = node.test
        if _ordering(test) or any(isinstance(n, ast.Compare) and _reads(n) & counters for n in ast.walk(test)):
            if not _inside_nested_loop(node, body):
                return _unparse(test)
    return None


def _inside_nested_loop(node: ast.AST, body: list[ast.AST]) -> bool:
    """Whether ``node`` sits in a loop nested in ``body`` (its ``break`` leaves only that loop)."""
    for stmt in body:
        for sub in _walk_body([stmt]):
            if isinstance(sub, (ast.For, ast.AsyncFor, ast.While)) and sub is not node:
                if any(inner is node for inner in _walk_body(sub.body)):
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


def _history_keys(call: ast.Call) -> list[str]:
    """What the call sends as its conversation: names read by its message arguments."""
    keys: list[str] = []
    for keyword in call.keywords:
        if keyword.arg in HISTORY_KEYWORDS:
            keys.extend(sorted(_sent(keyword.value)))
    if not keys and call.args:
        keys.extend(sorted(_sent(call.args[0])))
    return keys


def _sent(node: ast.AST) -> set[str]:
    """Values an argument sends whole (``messages``, ``[SYSTEM, *history]``, ``system + history``),
    not those it only slices (``history[-10:]``) or indexes."""
    if isinstance(node, (ast.Name, ast.Attribute)):
        key = _key(node)
        return {key} if key else set()
    if isinstance(node, ast.Starred):
        return _sent(node.value)
    if isinstance(node, (ast.List, ast.Tuple)):
        return set().union(*(_sent(e) for e in node.elts)) if node.elts else set()
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _sent(node.left) | _sent(node.right)
    if isinstance(node, ast.Call) and _callee(node) in _COPIES and node.args:
        return _sent(node.args[0])
    return set()


def _local_names(function: ast.AST) -> set[str]:
    """Names bound in a function (its parameters and assignments), not globals it mutates."""
    names: set[str] = set()
    args = getattr(function, "args", None)
    if args is not None:
        names.update(a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs))
    for node in _walk_body(getattr(function, "body", [])):
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


def _mutation(node: ast.AST, key: str) -> str | None:
    """How ``node`` changes the value under ``key``: ``grow`` (append, ``+=``, ``x = x + …``),
    ``trim`` (pop, slice, a summary or trimming call), ``reset`` (a fresh value), ``reset-call``
    (a fresh value built from the old one by a call: a summary) or None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _key(node.func.value) == key:
        if node.func.attr in _GROW:
            return "grow"
        if node.func.attr in _SHRINK:
            return "trim"
        return None
    if isinstance(node, ast.AugAssign) and _key(node.target) == key:
        return "grow" if isinstance(node.op, ast.Add) else None
    if isinstance(node, ast.Delete) and any(isinstance(t, ast.Subscript) and _key(t.value) == key for t in node.targets):
        return "trim"
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Slice)
                                                and _key(t.value) == key for t in targets):
            return "trim"  # history[:] = history[-10:]
        if not any(_key(t) == key for t in targets):
            return None
        value = node.value
        if key not in _reads(value):
            return "reset"
        if any(isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Slice) and _key(n.value) == key
               for n in ast.walk(value)):
            return "trim"
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add) and key in _sent(value):
            return "grow"
        if isinstance(value, (ast.List, ast.Tuple)) and key in _sent(value):
            return "grow"  # messages = [*messages, reply]
        if isinstance(value, ast.Call) and _callee(value) in _COPIES:
            return None
        return "reset-call"
    return None


def _carried(call: ast.AST, body: list[ast.AST], loop: ast.AST, function: ast.AST | None) \
        -> tuple[str | None, str | None, bool]:
    """(a value the call sends that an earlier iteration built, the message list among
    them that grows, whether that list is trimmed)."""
    if not isinstance(call, ast.Call):
        return None, None, False
    sent = _sent_by(call, function, body)
    carried = None
    grows = None
    trimmed = False
    statements = list(body)
    for key in sorted(sent):
        changes = [(n, _mutation(n, key)) for n in _walk_body(statements)]
        kinds = {k for _, k in changes if k}
        if not kinds:
            continue
        if _reset_first(statements, key, call):
            continue  # a fresh value at the top of every iteration
        if kinds <= {"reset"} and not _reset_after_call(statements, key, call):
            continue
        carried = carried or key
        if "grow" in kinds and key in _history_sent(call, function):
            grows = grows or key
            trimmed = trimmed or bool(kinds & {"trim", "reset-call"})
    if grows is None and isinstance(call, ast.Call):
        windowed = _windowed(call)
        if windowed:
            trimmed = True
    return carried, grows, trimmed


def _reset_first(statements: list[ast.AST], key: str, call: ast.AST) -> bool:
    """The iteration binds ``key`` to a fresh value before the call, whatever ran before."""
    for stmt in statements:
        if any(n is call for n in _walk_body([stmt])):
            return False
        if _mutation(stmt, key) == "reset":
            return True
    return False


def _reset_after_call(statements: list[ast.AST], key: str, call: ast.AST) -> bool:
    """``prompt = reply.text`` after the call: the next iteration sends what this one got."""
    seen = False
    for stmt in statements:
        if any(n is call for n in _walk_body([stmt])):
            seen = True
            continue
        if seen and any(_mutation(n, key) == "reset" for n in _walk_body([stmt])):
            return True
    for stmt in statements:  # inside a nested block (an if) before or after the call
        if any(n is call for n in _walk_body([stmt])):
            continue
        if not isinstance(stmt, ast.Assign) and any(_mutation(n, key) == "reset" for n in _walk_body([stmt])):
            return True
    return False


def _sent_by(call: ast.Call, function: ast.AST | None, body: list[ast.AST]) -> set[str]:
    """Every name the call's arguments read, through the local assignments that build them
    (``prompt = f"...{context}"`` makes ``context`` read too), two steps deep."""
    keys: set[str] = set()
    for arg in (*call.args, *(k.value for k in call.keywords)):
        keys |= _reads(arg)
    scope = getattr(function, "body", None) or []
    for _ in range(2):
        more = set()
        for node in _walk_body(scope):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(_key(t) in keys for t in targets):
                    more |= _reads(node.value)
        if more <= keys:
            break
        keys |= more
    return {k for k in keys if k not in ("self", "cls")}


def _history_sent(call: ast.Call, function: ast.AST | None) -> set[str]:
    keys = set(_history_keys(call))
    scope = getattr(function, "body", None) or []
    for node in _walk_body(scope):
        if isinstance(node, ast.Assign) and any(_key(t) in keys for t in node.targets):
            keys |= _sent(node.value)
    return keys


def _windowed(call: ast.Call) -> bool:
    return any(isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Slice)
               for k in call.keywords if k.arg in HISTORY_KEYWORDS for n in ast.walk(k.value))


# across files -------------------------------------------------------------------------
def with_caller_loops(requests: list[Request], edges: Iterable[tuple[str | None, CallEdge]],
                      module_of: Callable[[str], str | None], resolve: Callable[[str], str | None]) -> list[Request]:
    """Give each request the loops around the calls of the function it sits in, and of
    that function's callers, up to :data:`MAX_HELPER_DEPTH` helpers deep.

    ``edges`` are (caller module, edge) pairs of every file; ``module_of(path)`` is a
    request file's module; ``resolve(module)`` the module a dotted name finds (suffixes,
    re-exports), so ``from tools import ask`` meets ``pkg/tools.py::ask``.
    """
    by_target: dict[tuple[str, str], list[tuple[str | None, CallEdge]]] = {}
    for caller_module, edge in edges:
        module = resolve(edge.module) or edge.module
        by_target.setdefault((module, edge.qualname), []).append((caller_module, edge))
    if not by_target:
        return requests
    out = []
    for request in requests:
        module = module_of(request.path)
        if module is None or not request.function:
            out.append(request)
            continue
        extra = _outer_loops(by_target, (module, request.function), ())
        if request.history:  # each call is one more turn of the helper's conversation
            extra = tuple(replace(loop, independent=False, carried=request.history, grows=request.history)
                          for loop in extra)
        out.append(replace(request, loops=request.loops + extra) if extra else request)
    return out


def _outer_loops(by_target, target: tuple[str, str], via: tuple[str, ...], depth: int = 0) -> tuple[Loop, ...]:
    if depth >= MAX_HELPER_DEPTH:
        return ()
    found: dict[tuple, Loop] = {}
    chain = (*via, target[1])
    for caller_module, edge in by_target.get(target, []):
        # a function that calls itself (or a helper above it) recurses on what an earlier
        # answer produced: no iteration of a loop around that call is independent
        recursive = edge.caller is not None and (edge.caller == target[1] or edge.caller in chain)
        for loop in edge.loops:
            loop = replace(loop, via=chain)
            if recursive:
                loop = replace(loop, independent=False, carried=loop.carried or "recursion")
            found.setdefault(_where_key(loop), loop)
        if edge.caller and caller_module and not recursive:
            for loop in _outer_loops(by_target, (caller_module, edge.caller), chain, depth + 1):
                found.setdefault(_where_key(loop), loop)
    return tuple(found.values())


def _where_key(loop: Loop) -> tuple:
    return (loop.span.path, loop.span.line, loop.span.column, loop.span.cell)
