"""The SDK call shapes that send prompts: one declarative entry per shape.

A :class:`Sink` says how to recognise a call (the tail of its callee), which of its
arguments hold prompt text, the model, the output cap and cache settings, and what counts
as evidence that the receiver is that SDK's client. Everything that reasons about requests
reads this table: extraction recognises the calls, wrapper summaries ask which parameters
reach a text slot, the prefilter's markers come from the same names. A new SDK is an entry
here (and, when its parameters are shaped differently, a shape in
:mod:`promptlint.extract.shapes`); wrappers around it are then found for free.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from promptlint.extract.scopes import ModuleIndex, Scope, dotted

# Response wrappers that leave the call's parameters unchanged.
WRAPPERS = frozenset({"with_raw_response", "with_streaming_response"})


@dataclass(frozen=True)
class Sink:
    name: str
    provider: str
    tail: tuple[frozenset[str], ...]  # the callee's last attribute names, each a set of choices
    text: tuple[str, ...]  # parameters whose value is prompt text (or a message list of it)
    model: tuple[str, ...] = ("model",)
    cap: tuple[str, ...] = ("max_tokens",)
    cache: tuple[str, ...] = ()
    positional: tuple[str, ...] = ()  # parameter names of positional arguments, in order
    packages: tuple[str, ...] = ()  # an import of one of these is evidence of a client
    clients: tuple[str, ...] = ()  # constructors of a client (``Anthropic()``)
    signature: tuple[str, ...] = ()  # keywords of which two or more show this call's shape
    function: bool = False  # a module function (``litellm.completion``), not a client method
    batch: bool = False
    api_prefix: str = ""  # ``messages.batches.``: what the api name is, before the method

    def api(self, chain: tuple[str, ...]) -> str:
        method = chain[-1]
        if self.function:
            return method
        beta = "beta." if self.provider == "anthropic" and "beta" in chain[: -len(self.tail)] else ""
        return beta + ".".join(chain[-len(self.tail):])

    def stream(self, chain: tuple[str, ...]) -> bool:
        return chain[-1] == "stream"


def _tail(*parts: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(p.split("|")) for p in parts)


_ANTHROPIC = dict(packages=("anthropic",), clients=("Anthropic", "AsyncAnthropic", "AnthropicBedrock",
                                                    "AsyncAnthropicBedrock", "AnthropicVertex", "AsyncAnthropicVertex"))
_OPENAI = dict(packages=("openai",), clients=("OpenAI", "AsyncOpenAI", "AzureOpenAI", "AsyncAzureOpenAI"))

SINKS: tuple[Sink, ...] = (
    Sink("anthropic.batches", "anthropic", _tail("messages", "batches", "create"), text=("requests",),
         batch=True, signature=("requests",), **_ANTHROPIC),
    Sink("openai.chat", "openai", _tail("chat", "completions", "create|parse|stream"), text=("messages",),
         cap=("max_completion_tokens", "max_tokens"), signature=("model", "messages", "max_tokens",
                                                                 "max_completion_tokens", "tools"), **_OPENAI),
    Sink("anthropic.messages", "anthropic", _tail("messages", "create|stream|parse"), text=("system", "messages"),
         cache=("cache_control",), signature=("model", "messages", "max_tokens", "system", "tools"), **_ANTHROPIC),
    Sink("openai.responses", "openai", _tail("responses", "create|stream|parse"), text=("instructions", "input"),
         cap=("max_output_tokens",), signature=("model", "input", "instructions", "max_output_tokens"), **_OPENAI),
    Sink("openai.completions", "openai", _tail("completions", "create"), text=("prompt",),
         signature=("model", "prompt"), **_OPENAI),
    Sink("litellm", "litellm", _tail("completion|acompletion"), text=("messages",), positional=("model", "messages"),
         cache=("cache_control",), packages=("litellm",), function=True),
)

TEXT_SLOTS = frozenset(slot for sink in SINKS for slot in sink.text)


def match(chain: tuple[str, ...], index: ModuleIndex) -> tuple[Sink, tuple[str, ...]] | None:
    """The sink a callee chain names, with the chain as the sink reads it (response
    wrappers dropped, an imported function under its own name), if any."""
    tail = tuple(p for p in chain if p not in WRAPPERS)
    if not tail:
        return None
    for sink in SINKS:
        if sink.function:
            found = _function_call(sink, tail, index)
            if found is not None:
                return sink, found
            continue
        n = len(sink.tail)
        if len(tail) >= n and all(tail[len(tail) - n + i] in choices for i, choices in enumerate(sink.tail)):
            return sink, tail
    return None


def _function_call(sink: Sink, tail: tuple[str, ...], index: ModuleIndex) -> tuple[str, ...] | None:
    methods = sink.tail[-1]
    if len(tail) == 1:  # ``completion(...)`` imported from the SDK, perhaps renamed
        imp = index.imports.get(tail[0])
        if imp is not None and imp.name in methods and imp.module.split(".")[0] in sink.packages:
            return (imp.name,)
        return None
    if len(tail) == 2 and tail[1] in methods and _names_module(tail[0], sink, index):
        return tail
    return None


def _names_module(name: str, sink: Sink, index: ModuleIndex) -> bool:
    """``litellm`` in ``litellm.completion``: the SDK module, imported as itself or re-exported
    by a module of the project (``from aider.llm import litellm``, a lazy proxy of it)."""
    imp = index.imports.get(name)
    if imp is not None:
        if imp.name is None:
            return imp.module.split(".")[0] in sink.packages
        return imp.name in sink.packages
    return name in sink.packages


# client evidence -----------------------------------------------------------------------
_MOCKS = frozenset({"Mock", "MagicMock", "AsyncMock", "NonCallableMock", "create_autospec", "patch", "mock_open"})


def client_evidence(sink: Sink, receiver: ast.expr | None, scope: Scope, index: ModuleIndex,
                    keywords: tuple[str, ...]) -> bool:
    """Whether the receiver of ``receiver.messages.create(...)`` is this SDK's client.

    Yes when it is built by one of the SDK's constructors (here, or in ``__init__`` for
    ``self.client``), or typed as one; no when it is a mock or built by another library's
    constructor; otherwise the module importing the SDK (for a call with the SDK's
    keywords), or the call's own keywords (``model=`` with ``messages=``) decide. A Django ``thread.messages.create(content=...)``
    or a Twilio client's ``messages.create(body=...)`` is not a request."""
    if sink.function:
        return True
    built = _construction(receiver, scope)
    if built is not None:
        names = {n.rsplit(".", 1)[-1] for n in built}
        if names & _MOCKS:
            return False
        if names & set(sink.clients) or any(_from_package(n, sink, index) for n in built):
            return True
        if any(n[:1].isupper() for n in names):
            return False  # made by another class: Twilio's Client(), an ORM manager
    if _annotated(receiver, scope, sink):
        return True
    given = set(keywords)
    if given & set(sink.signature) and any(imp.module.split(".")[0] in sink.packages for imp in index.imports.values()):
        return True
    return len(given & set(sink.signature)) >= 2 or ("model" in given and bool(given & _LLM_KEYWORDS))


# Keywords of an LLM call, whichever SDK: ``model=`` with one of them reads as one.
_LLM_KEYWORDS = frozenset({"messages", "max_tokens", "max_completion_tokens", "max_output_tokens", "system",
                           "prompt", "input", "instructions", "temperature", "tools", "stream"})


def _from_package(name: str, sink: Sink, index: ModuleIndex) -> bool:
    head = name.split(".", 1)[0]
    imp = index.imports.get(head)
    return imp is not None and imp.module.split(".")[0] in sink.packages


def _construction(receiver: ast.expr | None, scope: Scope) -> set[str] | None:
    """The callees of the calls that build ``receiver`` (``client = Anthropic()``,
    ``self.client = client or Anthropic()``), when the receiver is a name or ``self.x``
    bound in code promptlint can see."""
    node = _binding(receiver, scope)
    if node is None:
        return None
    names = {dotted(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
    names.discard(None)
    return names or None  # type: ignore[return-value]


def binding_node(receiver: ast.expr | None, scope: Scope) -> ast.expr | None:
    """The expression a name or ``self.attr`` was last given in the scopes that can see it."""
    return _binding(receiver, scope)


def _binding(receiver: ast.expr | None, scope: Scope) -> ast.expr | None:
    if isinstance(receiver, ast.Name):
        current: Scope | None = scope
        while current is not None:
            events = [e for e in current.events.get(receiver.id, ()) if e.kind == "assign" and isinstance(e.node, ast.expr)]
            if events:
                return events[-1].node  # type: ignore[return-value]
            if current.kind == "function" and receiver.id in current.params:
                return None
            current = current.parent
        return None
    if isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name):
        func: Scope | None = scope
        while func is not None:  # the method whose ``self`` it is (a nested function sees it too)
            if func.kind == "function" and func.cls is not None and func.param_order:
                if receiver.value.id == func.param_order[0]:
                    events = func.cls.self_events.get(receiver.attr, ())
                    if events and isinstance(events[0].node, ast.expr):
                        return events[0].node  # type: ignore[return-value]
                return None
            func = func.parent
    return None


def _annotated(receiver: ast.expr | None, scope: Scope, sink: Sink) -> bool:
    """``def ask(client: Anthropic, ...)``: a parameter typed as the SDK's client."""
    if not isinstance(receiver, ast.Name) or scope.kind != "function" or not isinstance(scope.node, ast.AST):
        return False
    args = getattr(scope.node, "args", None)
    if args is None:
        return False
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        if arg.arg == receiver.id and arg.annotation is not None:
            text = ast.unparse(arg.annotation)
            return any(c in text for c in sink.clients)
    return False


def text_slots(provider: str, api: str) -> tuple[str, ...]:
    """The text slots of a request made with ``provider``'s ``api`` (``messages.create``)."""
    if provider == "langchain":
        return ("messages", "input")
    names = tuple(p for p in api.split(".") if p != "beta")
    for sink in SINKS:
        n = len(sink.tail)
        if sink.provider == provider and len(names) >= n \
                and all(names[len(names) - n + i] in choices for i, choices in enumerate(sink.tail)):
            return sink.text
    return tuple(sorted(TEXT_SLOTS))
