"""What extracting one file yields, before files are linked to each other.

A :class:`FileResult` depends only on the file's bytes and the options, so it can be
computed in a worker process and cached by content hash. Everything that needs other
files (imported constants, linked template files) is left as a reference for
:mod:`promptlint.extract.link`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from promptlint.extract.layout import Layout
from promptlint.extract.values import FileLink, Value
from promptlint.types import (AgentRun, CallEdge, Diagnostic, Example, FunctionFacts, Loop, Request, Span, Suppression,
                              Template)


@dataclass(frozen=True)
class RequestDraft:
    """A call site with its arguments as abstract values; shaped into a Request at link time."""

    id: str
    path: str
    span: Span
    provider: str
    api: str
    function: str | None
    params: tuple[tuple[str, Value], ...]
    kwargs_open: str | None = None  # why unknown keyword arguments may be present
    stream: bool = False
    batch: bool = False
    in_loop: bool = False
    loop_kind: str | None = None
    interactive: bool = False
    is_async: bool = False
    param_spans: tuple[tuple[str, Span], ...] = ()
    loops: tuple[Loop, ...] = ()  # see promptlint.loops
    history: str | None = None
    history_in_text: bool = False
    history_turns: int | None = None
    episode: str | None = None
    cached_by: str | None = None
    via: str | None = None  # the in-house function(s) the call goes through, when it is a wrapper's call

    @property
    def evidence_kind(self) -> str:
        return "wrapper" if self.via else "sink"

    def param(self, name: str) -> Value | None:
        for key, value in self.params:
            if key == name:
                return value
        return None

    def param_span(self, name: str) -> Span | None:
        for key, span in self.param_spans:
            if key == name:
                return span
        return None


@dataclass(frozen=True)
class WrapperDraft:
    """A request made inside a function whose parameters reach its prompt: the function's
    summary. ``draft`` holds parameter markers (``Unknown(kind="param", owner=...)``)
    where the caller's arguments go; the linker substitutes them at every call."""

    owner: str  # qualified name of the function whose parameters the markers name
    params: tuple[str, ...]  # its parameters in call order (``self`` left out)
    defaults: tuple[tuple[str, Value], ...]  # the defaults it has, resolved
    draft: RequestDraft
    reaches: tuple[str, ...]  # parameters that reach a text slot


@dataclass(frozen=True)
class CallRecord:
    """A call that may be of an in-house wrapper, with its arguments resolved (parameters
    of the calling function left as markers, so a wrapper of a wrapper is seen).

    ``callee`` says how to find the function: ``("local", qualname)``, ``("import",
    module, name)``, ``("bare", name)`` (defined nowhere here: injected, or unique in the
    tree), ``("typed", class, name)`` (a method of a local made by ``Class(...)``) or
    ``("attr", name)`` (a method of an object promptlint cannot follow)."""

    callee: tuple[str, ...]
    args: tuple[Value, ...]
    kwargs: tuple[tuple[str, Value], ...]
    span: Span
    function: str | None  # qualified name of the calling function
    open: bool = False  # ``*args`` / ``**kwargs`` pass more than promptlint sees
    loop: str | None = None
    interactive: bool = False
    is_async: bool = False
    # The calling function's parameters and defaults, when its own parameters are among the
    # arguments: then it may be a wrapper itself (``def summarize(t): return llm(f"...{t}")``).
    caller_params: tuple[str, ...] = ()
    caller_defaults: tuple[tuple[str, Value], ...] = ()


@dataclass(frozen=True)
class NamedValue:
    """A named value that may be a prompt: a module or class constant (exported to other
    modules), an earlier binding of a re-bound name, a function's local, or what a function
    returns (``name`` is then ``"fn()"``). The linker decides from the evidence whether it
    is a template: ``template`` says the name matches the prompt-name patterns, ``kind``
    says how far its content alone may count."""

    name: str  # "NAME", "Class.NAME", "NAME#2", "fn::local", "fn()"
    value: Value
    template: bool = False
    span: Span | None = None
    kind: str = "constant"  # constant | binding | local | return | definition


@dataclass(frozen=True)
class FileResult:
    path: str
    kind: str
    module: str | None = None  # dotted module name for Python files
    constants: tuple[NamedValue, ...] = ()
    drafts: tuple[RequestDraft, ...] = ()
    templates: tuple[Template, ...] = ()  # complete templates (Jinja, YAML, ...)
    requests: tuple[Request, ...] = ()  # complete requests (YAML files with a model)
    examples: tuple[Example, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    suppressions: tuple[Suppression, ...] = ()
    layouts: tuple[Layout, ...] = ()  # Jinja structure, composed across files by the linker
    links: tuple[FileLink, ...] = ()  # files this file names as prompts (promptfoo ``file://``)
    definitions: tuple[NamedValue, ...] = ()  # prompt objects built at call sites (LangChain)
    reexports: tuple[tuple[str, str, str | None], ...] = ()  # (local, module, name) from imports
    calls: tuple[CallEdge, ...] = ()  # calls of the tree's functions, with their loops
    agent_runs: tuple[AgentRun, ...] = ()  # agent framework runs and their step caps
    bindings: tuple[NamedValue, ...] = ()  # prompt candidates not exported (locals, earlier bindings)
    functions: tuple[FunctionFacts, ...] = ()  # functions that read a clock or serve a request
    wrappers: tuple[WrapperDraft, ...] = ()  # summaries of the functions whose parameters reach a request
    wrapper_calls: tuple[CallRecord, ...] = ()  # calls that may be of a wrapper defined anywhere in the tree

    def constant(self, name: str) -> NamedValue | None:
        for c in self.constants:
            if c.name == name:
                return c
        return None
