"""Who waits on a request's answer: what makes a loop of requests latency-bound rather
than batchable (PL402; issue 13 item 5, issue 21).

A batch API halves the price of requests whose answers nobody needs for a while. Someone
does need them when the loop runs on a per-user or per-query path: in a request handler,
in a tool or skill an agent calls, in a callback (a decorator or a registration says so,
here or in a caller), or when one query is fanned out over a collection (every iteration
sends the function's ``query`` parameter). Someone is watching when the answers are only
printed as they arrive, and a task is waiting when the answers are fanned in to one more
request right after the loop (the map step of a map-reduce).

This module reads those facts from one file's ``ast``; :mod:`promptlint.loops` carries
them on each :class:`~promptlint.types.Loop` and follows handlers and tools across files.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Callable

from promptlint.extract.scopes import ROUTE_DECORATORS
from promptlint.lazyre import lazy
from promptlint.pyast import (LOOPS, NodeMemo, body_index, callee, children, dotted, last_name, reads, sent_by,
                              unparse, value_key, walk_body)

# Reading a clock in an iteration means someone measures how long each answer takes.
TIMERS = {"time.time", "time.perf_counter", "time.monotonic", "time.process_time", "time.time_ns",
          "time.perf_counter_ns", "time.monotonic_ns", "perf_counter", "monotonic", "default_timer",
          "timeit.default_timer", "datetime.now", "datetime.datetime.now", "timer"}

# Decorators that hand a function to an agent or a framework that calls it per request.
TOOL_DECORATORS = {"tool", "function_tool", "register_function", "register_tool", "kernel_function",
                   "ai_function", "register_for_llm", "register_for_execution", "tool_plain", "mcp_tool",
                   "agent_tool", "skill"}
CALLBACK_DECORATORS = {"on_message", "on_chat_start", "on_chat_resume", "on_audio_chunk", "on_action",
                       "callback", "on_event", "listener", "receiver", "on_command"}
# Calls that register a function passed by name as a tool, a route or a callback.
REGISTER_CALLS = {"Tool", "FunctionTool", "StructuredTool", "from_function", "from_defaults", "register_function",
                  "register_tool", "add_tool", "function_tool", "tool", "add_handler", "add_event_handler",
                  "add_listener", "add_url_rule", "add_api_route", "add_api_websocket_route", "add_route",
                  "add_websocket_route", "Route", "WebSocketRoute", "ChatInterface", "Interface", "click", "change",
                  "CommandHandler", "MessageHandler", "register_for_llm", "register_for_execution"}
CALLBACK_KEYWORDS = {"fn", "func", "function", "callback", "handler", "endpoint", "coroutine"}
TOOL_LIST_KEYWORDS = {"tools", "functions", "handlers", "callbacks"}
REQUEST_TYPES = {"Request", "HttpRequest", "WebSocket", "Websocket", "ASGIRequest", "WSGIRequest"}

# A parameter holding the one question a call answers (not a list of them).
_QUERY = lazy(r"(?i)^((user|search|customer)_?)?(query|question|q)$|^(user|customer)_?(input|message|msg|request)$")

_DISPLAY = {"print", "pprint", "pprint.pprint", "display", "IPython.display.display", "console.print", "rich.print",
            "st.write", "st.markdown", "st.text", "st.code", "sys.stdout.write", "tqdm.write", "click.echo",
            "typer.echo", "rprint"}
_LOGGERS = {"logger", "logging", "log", "LOGGER", "_logger", "LOG", "_log"}
_LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
_STORES = {"append", "extend", "insert", "add", "update", "put", "put_nowait", "write", "writerow", "writerows",
           "appendleft", "setdefault", "send", "dump", "save", "set"}


def decorator_reason(function: ast.AST) -> str | None:
    """Why a framework calls ``function`` per request: a route, tool or callback decorator,
    or a parameter typed as the request it serves."""
    for decorator in getattr(function, "decorator_list", []):
        name = dotted(decorator.func if isinstance(decorator, ast.Call) else decorator)
        if not name:
            continue
        tail = name.rsplit(".", 1)[-1]
        if tail in TOOL_DECORATORS:
            return f"a tool an agent calls (@{name})"
        if tail in CALLBACK_DECORATORS:
            return f"a callback (@{name})"
        if "." in name and tail in ROUTE_DECORATORS:
            return f"a request handler (@{name})"
    args = getattr(function, "args", None)
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs) if args is not None else ():
        annotation = dotted(arg.annotation) if arg.annotation is not None else None
        if annotation and annotation.rsplit(".", 1)[-1] in REQUEST_TYPES:
            return f"a request handler (its parameter `{arg.arg}: {annotation}`)"
    return None


def registrations(call: ast.Call) -> list[tuple[ast.expr, str]]:
    """Functions ``call`` registers by name (``Tool(func=search)``, ``Agent(tools=[lookup])``,
    ``app.add_url_rule("/", view_func=index)``), each with the reason a message gives."""
    tail = last_name(call.func) or ""  # as the dotted name would end
    refs: list[ast.expr] = []
    for keyword in call.keywords:
        arg = keyword.arg or ""
        if arg in CALLBACK_KEYWORDS or arg.startswith("on_") or arg.endswith("_func") or arg.endswith("_fn"):
            if isinstance(keyword.value, (ast.Name, ast.Attribute)):
                refs.append(keyword.value)
        elif arg in TOOL_LIST_KEYWORDS and isinstance(keyword.value, (ast.List, ast.Tuple)):
            refs.extend(e for e in keyword.value.elts if isinstance(e, (ast.Name, ast.Attribute)))
    if tail in REGISTER_CALLS:
        refs.extend(a for a in call.args if isinstance(a, (ast.Name, ast.Attribute)))
    if not refs:  # most calls register nothing: no message to write
        return []
    name = callee(call) or (call.func.attr if isinstance(call.func, ast.Attribute) else "")
    reason = f"registered as a tool or callback (`{name}(...)`, line {call.lineno})"
    return [(ref, reason) for ref in refs]


# Frameworks whose script runs again for each user interaction: module-level code serves a user.
SCRIPT_APPS = {"streamlit": "a Streamlit app (the script runs again on every user interaction)"}
MODULE = "<module>"  # the qualified name FunctionFacts give a module's own code


def script_app(imports: dict) -> str | None:
    """Why a module's top-level code serves a user, from what it imports."""
    for imp in imports.values():
        root = (imp.module or "").split(".")[0] or (imp.name or "")
        if root in SCRIPT_APPS:
            return SCRIPT_APPS[root]
    return None


def reads_clock(function: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and callee(n) in TIMERS for n in walk_body(getattr(function, "body", [])))


# what happens to each answer -----------------------------------------------------------
@dataclass
class AnswerUse:
    """Where the answers of a call made in a loop go: printed only, or kept (and in which
    names, so a request after the loop that reads them is a fan-in)."""

    shown: int = 0
    kept: set[str] = field(default_factory=set)
    into: set[str] = field(default_factory=set)  # names the answers are collected into

    @property
    def display_only(self) -> bool:
        return self.shown > 0 and not self.kept


def _is_display(call: ast.Call) -> bool:
    name = callee(call)
    if not name:
        return False
    if name in _DISPLAY:
        return True
    base, _, method = name.rpartition(".")
    return method in _LOG_METHODS and base.rsplit(".", 1)[-1] in _LOGGERS


def answer_use(call: ast.AST, loop: ast.AST, function: ast.AST | None, parent: dict[int, ast.AST],
               named: Callable[[str], list[ast.Name]] | None = None) -> AnswerUse:
    """Follow the answer of ``call`` (made once per iteration of ``loop``) through the
    names it is assigned to, until each use is shown (``print``, a logger) or kept
    (appended, stored, returned, passed on, decided on). ``named``: the file's names of
    an identifier, so a function's reads of a name are found without a walk of its body."""
    use = AnswerUse()
    loaded = _loaded_in(loop)
    names: set[str] = set()
    pending: list[ast.AST] = [loop if isinstance(loop, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp))
                              else call]
    while pending and len(names) < 24:
        node = pending.pop()
        fresh = _climb(node, loop, parent, use)
        for name in fresh - names:
            names.add(name)
            pending.extend(loaded.get(name, ()))
    if names and function is not None:
        inside = {id(n) for found in loaded.values() for n in found}
        if named is not None and isinstance(function, _SCOPES):
            body = {id(s) for s in function.body}
            first, last = _lines(function)
            outside = {name for name in names if any(
                isinstance(n.ctx, ast.Load) and id(n) not in inside and first <= n.lineno <= last
                and walked(n, body, parent) for n in named(name))}
        else:
            read = _loaded_in_scope(getattr(function, "body", []))
            outside = {name for name in names if any(id(node) not in inside for node in read.get(name, ()))}
        use.kept |= outside  # read after the loop: kept
        use.into |= outside
    return use


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)


def _lines(scope: ast.AST) -> tuple[int, int]:
    """The lines a function spans (a module: all); what its body holds is on them."""
    if isinstance(scope, ast.Module):
        return 0, 1 << 62
    return scope.lineno, scope.end_lineno or scope.lineno  # type: ignore[attr-defined]


def walked(node: ast.AST, body: set[int], parent: dict[int, ast.AST]) -> bool:
    """Whether :func:`walk_body` of the statements whose ids are ``body`` meets ``node``:
    climbing from it, one of those statements comes before any definition (a walk enters
    none below its statements)."""
    current: ast.AST | None = node
    while current is not None:
        if id(current) in body:
            return True
        if isinstance(current, _DEFINITIONS):
            return False
        current = parent.get(id(current))
    return False


_LOADED = NodeMemo()


def _loaded_in(loop: ast.AST) -> dict[str, list[ast.Name]]:
    """The names read under ``loop`` (not the loop itself), by name, in ``ast.walk``'s order:
    asked for every request in the loop, so each loop is walked once per file (kept like a
    walk, forgotten with the walks)."""
    hit = _LOADED.get((loop,))
    if hit is not None:
        return hit
    found: dict[str, list[ast.Name]] = {}
    queue = children(loop)  # breadth first, as ast.walk (the leaves children() leaves out are no names)
    for node in queue:
        if node.__class__ is ast.Name and isinstance(node.ctx, ast.Load):
            found.setdefault(node.id, []).append(node)  # type: ignore[attr-defined]
        else:
            queue += children(node)
    return _LOADED.put((loop,), found)


_SCOPE_LOADED = NodeMemo()


def _loaded_in_scope(scope: list[ast.AST]) -> dict[str, list[ast.Name]]:
    """The names read in a function's body (as :func:`walk_body` walks it), by name: asked
    for every loop of requests in the function, so each body is indexed once per file."""
    return body_index(_SCOPE_LOADED, scope, _loaded_name)  # type: ignore[return-value]


def _loaded_name(node: ast.AST) -> tuple[str, ...]:
    return (node.id,) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) else ()


def _climb(node: ast.AST, loop: ast.AST, parent: dict[int, ast.AST], use: AnswerUse) -> set[str]:
    """One use of a value: climb the expressions around it to where it ends; returns the
    names it is assigned to (each one then carries the answer)."""
    child, up = node, parent.get(id(node))
    comprehension_loop = child is loop
    while up is not None:
        if up is loop and not comprehension_loop:
            use.kept.add("collected")  # the element of a comprehension: the loop collects it
            return set()
        if isinstance(up, ast.Call) and child is not up.func:
            if _is_display(up):
                use.shown += 1
                return set()
            if isinstance(up.func, ast.Attribute) and up.func.attr in _STORES:
                target = value_key(up.func.value) or "?"
                use.kept.add(target)
                use.into.add(target)
                return set()
        elif isinstance(up, (ast.Assign, ast.AnnAssign)):
            targets = up.targets if isinstance(up, ast.Assign) else [up.target]
            fresh: set[str] = set()
            for target in targets:
                if isinstance(target, ast.Name):
                    fresh.add(target.id)
                elif isinstance(target, (ast.Tuple, ast.List)):
                    fresh |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
                else:
                    key = value_key(getattr(target, "value", target)) or "?"
                    use.kept.add(key)
                    use.into.add(key)
            return fresh
        elif isinstance(up, ast.NamedExpr):
            return {up.target.id}
        elif isinstance(up, ast.AugAssign):
            key = value_key(up.target) or "?"
            use.kept.add(key)
            use.into.add(key)
            return set()
        elif isinstance(up, (ast.Return, ast.Yield, ast.YieldFrom)):
            use.kept.add("returned")
            return set()
        elif isinstance(up, (ast.If, ast.While, ast.IfExp, ast.Assert)) and child is up.test:
            use.kept.add("a decision")
            return set()
        elif isinstance(up, ast.stmt):
            use.kept.add("passed on")  # a call statement that took it, a with, a for over it
            return set()
        child, up = up, parent.get(id(up))
    use.kept.add("?")
    return set()


# one query fanned out, one task fanned in ------------------------------------------------
def per_query(loop: ast.AST, call: ast.AST, function: ast.AST | None, name: str | None) -> str | None:
    """``for doc in self.index: score(doc, query)``: every iteration sends the function's
    ``query`` parameter, which the loop does not walk: the function answers one query,
    and its caller waits for the result."""
    args = getattr(function, "args", None)
    if args is None or not isinstance(call, ast.Call):
        return None
    params = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    asked = [p for p in params if _QUERY.match(p)]
    if not asked:
        return None
    iterable = loop.iter if isinstance(loop, (ast.For, ast.AsyncFor)) else getattr(loop, "generators", [None])[0]
    walked = reads(iterable.iter if isinstance(iterable, ast.comprehension) else iterable) if iterable is not None else set()
    sent = sent_by(call, function)
    for param in asked:
        if param in sent and param not in walked:
            over = unparse(iterable.iter if isinstance(iterable, ast.comprehension) else iterable, 40)
            return (f"every iteration sends `{param}`, a parameter of {name or 'the function'}(): one query fanned "
                    f"out over `{over}`, and its caller waits for the result")
    return None


def fan_in(loop: ast.AST, use: AnswerUse, function: ast.AST | None, makes_request: Callable[[ast.Call], bool],
           parent: dict[int, ast.AST], calls: Callable[[int, int], list[ast.Call]] | None = None) -> str | None:
    """A request right after the loop, outside any loop, that sends what the loop
    collected: the loop is the map step of one task, and the task waits for it.
    ``calls(after, last)``: the file's calls on the lines after ``after`` up to ``last``,
    so a function's later requests are found without a walk of its body (when at most one
    qualifies: with more, the walk's order says which one is named)."""
    if not use.into or function is None:
        return None
    end = getattr(loop, "end_lineno", None) or getattr(loop, "lineno", 0)
    if calls is not None and isinstance(function, _SCOPES):
        body = {id(s) for s in function.body}
        found = [node for node in calls(end, _lines(function)[1])
                 if walked(node, body, parent) and makes_request(node) and not _in_loop(node, function, parent)
                 and sent_by(node, function) & use.into]
        if len(found) <= 1:
            return _fan_in_reason(found[0]) if found else None
    for node in walk_body(getattr(function, "body", [])):
        if not isinstance(node, ast.Call) or getattr(node, "lineno", 0) <= end or not makes_request(node):
            continue
        if _in_loop(node, function, parent):
            continue
        if sent_by(node, function) & use.into:
            return _fan_in_reason(node)
    return None


def _fan_in_reason(node: ast.Call) -> str:
    return f"its answers feed one more request right after it (line {node.lineno}): the map step of one task"


def _in_loop(node: ast.AST, function: ast.AST, parent: dict[int, ast.AST]) -> bool:
    current = parent.get(id(node))
    while current is not None and current is not function:
        if isinstance(current, LOOPS):
            return True
        current = parent.get(id(current))
    return False
