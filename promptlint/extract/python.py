"""Extract prompt constants and LLM call sites from Python source.

The module is parsed once with Python's ``ast`` (never imported or executed; newer syntax
than the running interpreter's is lowered by :mod:`pyparse`), indexed
once (:mod:`scopes`), and only the call sites whose callee looks like an LLM API are
resolved (:mod:`resolve`). The result is a :class:`FileResult` of abstract values;
requests are shaped after linking.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import ast

from promptlint.extract import (CALLS_KIND, VALUES_KIND, attributes, frameworks, langchain, model_objects,
                                param_defaults, sinks, stand_ins, summaries)
from promptlint.extract import values as v
from promptlint.extract.folders import named_folders
from promptlint.extract.evidence import not_prose, reads_like_prose
from promptlint.extract.pyparse import parse_python
from promptlint.extract.resolve import Resolver, SourcePositions
from promptlint.extract.result import FileResult, NamedValue, RequestDraft, WrapperDraft
from promptlint.extract.scopes import CALL_TAILS, CallSite, IndexVisitor, ModuleIndex, Scope, callee_chain, dotted, module_name_for, pos_of
from promptlint.globs import name_matcher
from promptlint.loops import FileLoops
from promptlint.suppress import python_suppressions
from promptlint.types import Diagnostic, Segment, Span

@dataclass(frozen=True)
class Api:
    provider: str
    api: str
    batch: bool = False
    stream: bool = False
    positional: tuple[str, ...] = ()


def classify_call(chain: tuple[str, ...], index: ModuleIndex) -> Api | None:
    """Which LLM API a callee chain names, if any (by the sink registry)."""
    found = sinks.match(chain, index)
    return None if found is None else api_of_sink(*found)


def api_of_sink(sink: sinks.Sink, tail: tuple[str, ...]) -> Api:
    return Api(sink.provider, sink.api(tail) if not sink.batch else "messages.batches.create", sink.batch,
               sink.stream(tail), sink.positional)


def _request_sink(site: CallSite, index: ModuleIndex, module: str) -> tuple[sinks.Sink, tuple[str, ...]] | None:
    """The registry entry this call is made with: the first whose tail it has and whose
    client evidence holds (a ``Groq()`` client's ``chat.completions.create`` is Groq's).
    A package of the project named like an SDK (``agents/`` beside ``from agents.agent
    import Agent``) is not the SDK, and a framework's constructor is one when it is given
    what the framework reads (``instructions=``, ``model=``): ``Agent(name=, system=)`` is
    the project's own class."""
    own = module.split(".", 1)[0]
    for sink, tail in sinks.candidates(site.chain, index):
        if own in sink.packages:
            continue
        if sink.function and sink.shape == "agent" and not site.node.args and not any(
                k.arg in (*sink.text, *sink.model) for k in site.node.keywords):
            continue
        if _is_client(sink, site, index):
            return sink, tail
    return None


_PARTIALS = ("partial", "functools.partial")


def _bound_sdk_call(site: CallSite, index: ModuleIndex) -> CallSite | None:
    """A call through an SDK function bound with ``functools.partial`` (``self._completion =
    partial(litellm.completion, model=...)``, then ``self._completion(messages=...)``): the
    SDK call with the bound arguments first, at this call's place."""
    if not isinstance(site.node.func, (ast.Name, ast.Attribute)):
        return None
    node = _built(site.node.func, site)  # ``self._unwrapped = self._completion`` re-binds it
    if not (isinstance(node, ast.Call) and dotted(node.func) in _PARTIALS and node.args):
        return None
    target = node.args[0]
    chain = callee_chain(target)
    if classify_call(chain, index) is None:
        return None
    call = ast.Call(func=target, args=[*node.args[1:], *site.node.args], keywords=[*node.keywords, *site.node.keywords])
    ast.copy_location(call, site.node)
    call.end_lineno, call.end_col_offset = site.node.end_lineno, site.node.end_col_offset
    return CallSite(call, chain, site.scope, site.pos, site.loop, site.awaited)


def _bound_call(site: CallSite, sink: sinks.Sink, index: ModuleIndex) -> CallSite:
    """A call on an object built with the request's settings (``GenerativeModel("gemini-..",
    system_instruction=..).generate_content(q)``): the constructor's arguments first."""
    if not sink.bound:
        return site
    built = sinks.binding_node(_client_receiver(site.node.func) or site.node.func.value, site.scope, site.pos) \
        if isinstance(site.node.func, ast.Attribute) else None
    if not isinstance(built, ast.Call) or (dotted(built.func) or "").rsplit(".", 1)[-1] not in sink.bound:
        return site
    inherited = [*(ast.keyword(arg=name, value=arg) for name, arg in zip(sink.bound_positional, built.args)),
                 *built.keywords]
    if (dotted(built.func) or "").rsplit(".", 1)[-1] in sinks.FACTORIES:
        if not sinks.factory_client(_client_receiver(site.node.func), site.scope, index):
            return site
        own = {k.arg for k in site.node.keywords}  # the call's own ``model=`` wins over the factory's
        inherited = [ast.keyword(arg="model", value=_model_of_factory(built.args[0]))] if "model" not in own else []
    call = ast.Call(func=site.node.func, args=site.node.args, keywords=[*inherited, *site.node.keywords])
    ast.copy_location(call, site.node)
    call.end_lineno, call.end_col_offset = site.node.end_lineno, site.node.end_col_offset
    return CallSite(call, site.chain, site.scope, site.pos, site.loop, site.awaited)


def _served_by(site: CallSite, resolver: Resolver) -> tuple[tuple[str, v.Value], ...]:
    """The server a call on a client built with ``base_url=`` is sent to
    (``OpenAI(base_url="http://localhost:11434/v1")``), as the call's ``base_url``, unless
    the call names its own; with the client's ``api_key``, which may say the server is
    self-hosted (``api_key="not-needed"``) when its URL is configured at run time."""
    if not isinstance(site.node.func, ast.Attribute) or any(k.arg in sinks.ENDPOINTS for k in site.node.keywords):
        return ()
    built = sinks.binding_node(_client_receiver(site.node.func), site.scope, site.pos)
    given = {k.arg: k.value for k in built.keywords if k.arg in ("base_url", "api_key")} if isinstance(built, ast.Call) else {}
    if "base_url" not in given:
        return ()
    return tuple((name, resolver.value(given[name], site.scope, site.pos)) for name in ("base_url", "api_key")
                 if name in given)


def _agent_model(site: CallSite, sink: sinks.Sink, drafts: list[RequestDraft], resolver: Resolver,
                 in_tests: bool = False) -> list[RequestDraft]:
    """An agent given a model object instead of an id (see :mod:`model_objects`): the id and
    server inside it; none for a test double; a model and cap unknown here for another object.
    An agent of a test suite given no model runs on what the suite installs (a fake model
    provider in a fixture, ``RunConfig(model=...)``), and one given a model the test made
    up runs on that (see :mod:`stand_ins`): no request either."""
    key = sink.model[0]  # ``model=``; CrewAI's ``llm=``
    node = next((k.value for k in site.node.keywords if k.arg == key), None)
    if node is None and key in sink.positional:
        at = sink.positional.index(key)
        node = site.node.args[at] if at < len(site.node.args) else None
    if in_tests and sink.name in model_objects.DEFAULT_MODEL_FRAMEWORKS \
            and not stand_ins.live_agent(site, node, resolver.index):
        return []
    built = _built(node, site)
    if not drafts or not isinstance(built, ast.Call):
        return drafts
    cls = (dotted(built.func) or "").rsplit(".", 1)[-1]
    if model_objects.is_test_double(cls):
        return []  # a scripted model answers: nothing is sent, nothing bills
    spec = model_objects.MODEL_OBJECTS.get(cls)
    span = resolver.span(built)
    settings: tuple[tuple[str, v.Value], ...] = ()
    if spec is None:
        if not cls[:1].isupper():
            return drafts  # a factory function's result: left as the value it resolves to
        model: v.Value = v.Unknown(f"a model object built by {cls}()", cls, "dynamic", span)
        if all(d.param("model_settings") is None for d in drafts):  # its cap may be set inside it
            settings = (("model_settings", v.Unknown(f"settings inside {cls}()", cls, "dynamic", span)),)
    else:
        arg = next((k.value for k in built.keywords if k.arg in spec.model_keywords), None)
        if arg is None and spec.position is not None and spec.position < len(built.args):
            arg = built.args[spec.position]
        model = resolver.value(arg, site.scope, site.pos) if arg is not None else \
            v.Unknown(f"the default model of {cls}()", cls, "dynamic", span)
        url = next((k.value for k in built.keywords if k.arg in spec.urls), None)
        for keyword in (k for k in built.keywords if k.arg in spec.clients):
            client = _built(_uncast(keyword.value), site)
            if isinstance(client, ast.Call):
                if model_objects.is_test_double((dotted(client.func) or "").rsplit(".", 1)[-1]):
                    return []  # the model object talks to a stand-in client: nothing is sent
                url = next((k.value for k in client.keywords if k.arg == "base_url"), url)
        if url is not None:
            settings = (("base_url", resolver.value(url, site.scope, site.pos)),)
        cap = next((k.value for k in built.keywords if k.arg in spec.caps), None)
        if cap is not None and sink.cap and all(d.param(sink.cap[0]) is None for d in drafts):
            settings += ((sink.cap[0], resolver.value(cap, site.scope, site.pos)),)  # LLM(model=, max_tokens=)
    return [replace(d, params=(*((k, val) for k, val in d.params if k != key), (key, model), *settings))
            for d in drafts]


def _run_settings(site: CallSite, sink: sinks.Sink, drafts: list[RequestDraft], resolver: Resolver) -> list[RequestDraft]:
    """The settings the function that builds an agent runs it with (``agent = Agent(...)``,
    then ``Runner.run(agent, q, run_config=RunConfig(model_settings=...))``): the run's
    settings override the agent's, so its cap is the request's. Only runs of this very
    agent in the same function, each with the same settings, count."""
    keyword = model_objects.RUN_SETTINGS.get(sink.name)
    function = site.scope
    while function is not None and function.kind != "function":
        function = function.parent
    if not keyword or not drafts or function is None or any(d.param(keyword) is not None for d in drafts):
        return drafts
    names = {n for n, events in site.scope.events.items()
             if any(e.kind == "assign" and e.node is site.node for e in events)}
    given: list[ast.expr | None] = []
    for call in ast.walk(function.node):
        if not (isinstance(call, ast.Call) and (dotted(call.func) or "").rsplit(".", 1)[-1] in model_objects.RUN_METHODS
                and call.args):
            continue
        first = call.args[0]
        if first is site.node or isinstance(first, ast.Name) and first.id in names:
            given.append(next((k.value for k in call.keywords if k.arg == keyword), None))
    if not given or any(g is None for g in given) or len({ast.dump(g) for g in given}) != 1:  # type: ignore[arg-type]
        return drafts
    value = resolver.value(given[0], function, pos_of(given[0]))  # type: ignore[arg-type]
    return [replace(d, params=(*d.params, (keyword, value))) for d in drafts]


def _uncast(node: ast.expr) -> ast.expr:
    """``cast(Any, client)``: the client."""
    if isinstance(node, ast.Call) and (dotted(node.func) or "").rsplit(".", 1)[-1] == "cast" and len(node.args) == 2:
        return node.args[1]
    return node


def _built(node: ast.expr | None, site: CallSite) -> ast.expr | None:
    """What a name or ``self.attr`` was built by (``model = FakeModel()``), through re-bindings."""
    for _ in range(3):
        if not isinstance(node, (ast.Name, ast.Attribute)):
            break
        node = sinks.binding_node(node, site.scope, site.pos)
    return node


_PROMPTY_RUNS = frozenset({"execute", "load"})


def _prompty_run(site: CallSite, index: ModuleIndex, resolver: Resolver, counters: dict, path: str) -> RequestDraft | None:
    """``prompty.execute("chat.prompty", inputs=...)`` (or ``prompty.load``): the prompty file
    is sent here. A draft naming the file; the linker gives it the file's request."""
    chain = site.chain
    if len(chain) != 2 or chain[1] not in _PROMPTY_RUNS or not site.node.args:
        return None
    imp = index.imports.get(chain[0])
    if imp is None or imp.module.split(".")[0] != "prompty" or imp.name is not None:
        return None
    target = resolver.value(site.node.args[0], site.scope, site.pos)
    if not (isinstance(target, v.Str) and not target.has_holes and target.text.endswith(".prompty")):
        return None
    function = site.scope.qualname or "<module>"
    key = (function, "prompty." + chain[1])
    counters[key] = counters.get(key, 0) + 1
    span = resolver.span(site.node)
    return RequestDraft(
        id=f"{path}::{function}::prompty.{chain[1]}#{counters[key]}", path=path, span=span, provider="prompty",
        api=chain[1], function=None if function == "<module>" else function,
        params=(("prompty", v.FileLink(target.text, "run", span)),),
        in_loop=site.loop is not None, loop_kind=site.loop, interactive=site.scope.interactive,
        is_async=site.scope.is_async or site.awaited)


def _model_of_factory(arg: ast.expr) -> ast.expr:
    """``"anthropic/claude-haiku-4-5"`` given to a client factory: the model is after the slash."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and "/" in arg.value:
        return ast.copy_location(ast.Constant(arg.value.split("/", 1)[1]), arg)
    return arg


def _api_of(site: CallSite, index: ModuleIndex) -> tuple[str, str]:
    api = classify_call(site.chain, index)
    return (api.provider, api.api) if api is not None else ("", "")


def _is_client(sink: sinks.Sink, site: CallSite, index: ModuleIndex) -> bool:
    """Whether the call's receiver is the SDK's client (see :func:`sinks.client_evidence`)."""
    keywords = tuple(k.arg for k in site.node.keywords if k.arg)
    receiver = _client_receiver(site.node.func)
    if any(k.arg is None for k in site.node.keywords):  # ``**params``: the keywords say nothing
        return sink.function or not sinks.built_by_other(sink, receiver, site.scope, index)
    return sink.function or sinks.client_evidence(sink, receiver, site.scope, index, keywords)


def _client_receiver(func: ast.expr) -> ast.expr | None:
    """``client`` in ``client.beta.messages.with_raw_response.create``: below the API names."""
    node = func
    while isinstance(node, ast.Attribute) and (node.attr in _API_NAMES or node.attr in sinks.WRAPPERS):
        node = node.value
    return node if node is not func else None


_API_NAMES = frozenset({"beta", *(name for sink in sinks.SINKS if not sink.function for part in sink.tail
                                  for name in part)})


def extract_python(path: str, text: str, name_patterns: tuple[str, ...], module: str | None = None,
                   values_only: bool = False, calls_only: bool = False) -> FileResult:
    """Extract from decoded Python ``text``. Never raises on bad input: returns PL001.

    ``values_only``: a module the prefilter skipped that linking reads only for what its
    names hold (an imported constant, a re-export): its constants, bindings and re-exports,
    without the calls, requests, wrapper summaries and loop facts, which no one reads of
    such a module and which are most of a file's work. Its kind is :data:`VALUES_KIND`.

    ``calls_only``: a module the prefilter skipped that linking reads only because it calls
    a helper that makes requests (:func:`promptlint.engine.caller_loader`): its call edges,
    function facts and agent runs, computed as the full reading computes them, without its
    constants, bindings, definitions and wrapper call records, which no one reads of such a
    module. Its kind is :data:`CALLS_KIND`."""
    module = module or module_name_for(path)
    kind = VALUES_KIND if values_only else CALLS_KIND if calls_only else "python"
    try:
        tree = parse_python(text, path)
    except SyntaxError as err:
        line, col = err.lineno or 1, err.offset or 1
        return FileResult(path, kind, module, diagnostics=(
            Diagnostic(path, f"cannot parse Python: {err.msg} (line {line})", line, col),))
    except (RecursionError, MemoryError):
        return FileResult(path, kind, module, diagnostics=(Diagnostic(path, "cannot parse Python: nesting too deep"),))
    except ValueError as exc:
        return FileResult(path, kind, module, diagnostics=(Diagnostic(path, f"cannot parse Python: {exc}"),))
    try:
        if values_only:
            return _extract_values(path, text, tree, module, name_patterns)
        return _extract_tree(path, text, tree, module, name_patterns, calls_only)
    except RecursionError:
        return FileResult(path, kind, module, diagnostics=(Diagnostic(path, "cannot analyze Python: nesting too deep"),))


def _extract_values(path: str, text: str, tree: ast.Module, module: str, name_patterns: tuple[str, ...]) -> FileResult:
    """What :func:`_extract_tree` gives of a module's names, computed the same way."""
    index, resolver = _indexed(path, text, tree, module)
    constants = _constants(index, resolver, path, name_patterns)
    bindings = _bindings(index, resolver, path, name_patterns)  # spliced into a prompt, a binding is one
    result = FileResult(path, VALUES_KIND, module, constants=tuple(constants), bindings=tuple(bindings),
                        reexports=_reexports(index), diagnostics=tuple(resolver.over_budget.values()))
    index.release()
    return result


def _reexports(index: ModuleIndex) -> tuple[tuple[str, str, str | None], ...]:
    return tuple((local, imp.module, imp.name) for local, imp in index.imports.items())


def _indexed(path: str, text: str, tree: ast.Module, module: str) -> tuple[ModuleIndex, Resolver]:
    """The module's scopes, bindings and calls, and the resolver that reads them."""
    visitor = IndexVisitor(module, CALL_TAILS | langchain.CALL_NAMES | _PROMPTY_RUNS)
    visitor.visit(tree)
    return visitor.index, Resolver(visitor.index, path, SourcePositions(text))


def _extract_tree(path: str, text: str, tree: ast.Module, module: str, name_patterns: tuple[str, ...],
                  calls_only: bool = False) -> FileResult:
    index, resolver = _indexed(path, text, tree, module)

    constants = _constants(index, resolver, path, name_patterns) if not calls_only else []
    loops = FileLoops(tree, module, resolver.span, index.imports)
    bindings = _bindings(index, resolver, path, name_patterns) if not calls_only else []
    drafts: list[RequestDraft] = []
    definitions: list[NamedValue] = []
    wrappers: list[WrapperDraft] = []
    counters: dict[tuple[str, str], int] = {}
    sent: set[int] = set()
    signatures = frameworks.dspy_signatures(tree, index, resolver) if "dspy" in _imported(index) else {}
    dspy_lm = frameworks.dspy_lm(tree, index, resolver) if signatures or "dspy" in _imported(index) else ()
    definitions.extend(NamedValue(name, text, True, text.span) for name, text in signatures.items())
    # Calls named like a registry entry's method (``chat``, ``Agent``, ``PromptBuilder``, or
    # imported under another name) stay among the other calls too: an in-house function
    # of the same name is a wrapper when no SDK client is behind it.
    named = sinks.METHODS | frameworks.CALLEES
    extra = [s for s in index.other_calls if s.chain[-1] in named or (
        len(s.chain) == 1 and s.chain[0] in index.imports and index.imports[s.chain[0]].name in sinks.METHODS)]
    made: list[tuple[CallSite, list[RequestDraft]]] = []
    for site in sorted([*index.calls, *extra], key=lambda s: s.pos) if extra else index.calls:
        found: list[RequestDraft] = []
        if sinks.match(site.chain, index) is not None:
            chosen = _request_sink(site, index, module)
            if chosen is not None:
                found = _drafts_for(_bound_call(site, chosen[0], index), api_of_sink(*chosen), resolver, counters, path,
                                    wrappers, chosen[0].text, chosen[0], _served_by(site, resolver))
                if chosen[0].shape == "agent":
                    found = _agent_model(site, chosen[0], found, resolver, is_test_module(path))
                    found = _run_settings(site, chosen[0], found, resolver)
                if chosen[0].name == "dspy":
                    found = [_dspy_request(d, site, signatures, dspy_lm) for d in found]
                elif chosen[0].name == "pydantic-ai":
                    found = [_decorated_prompts(d, site, index, resolver) for d in found]
        elif site.chain[-1] in langchain.INVOKE_METHODS:
            found = _invocation(site, resolver, counters, path, wrappers)
        elif calls_only:
            pass  # a prompt object defined here is a definition, never a request
        elif site.chain[-1] in frameworks.CALLEES and frameworks.definition_for(site, index) is not None:
            definitions.extend(_framework_definition(site, resolver))
        elif site.chain[-1] in langchain.PROMPT_CALLS:
            definitions.extend(_definition(site, resolver))
        if found:
            sent.add(id(site.node))
            made.append((site, found))
    unsent = [s for s in index.calls if id(s.node) not in sent]  # ``complete(...)`` bound with partial
    for site in [*index.other_calls, *unsent]:
        if id(site.node) in sent:
            continue
        if site.chain[-1] not in sinks.METHODS and _prose_with_model(site, resolver):  # not an SDK shape (a mock)
            # (still a wrapper call record: when the callee is an in-house wrapper, the
            # linker keeps the wrapper's request, which knows the SDK, instead of this one)
            found = _drafts_for(site, Api("generic", ".".join(site.chain[-2:])), resolver, counters, path,
                                wrappers, sinks.GENERIC.text, sinks.GENERIC)
            if found:
                made.append((site, found))
            continue
        bound = _bound_sdk_call(site, index)
        if bound is not None:
            found = _drafts_for(bound, classify_call(bound.chain, index), resolver, counters, path,  # type: ignore[arg-type]
                                wrappers, sinks.text_slots(*_api_of(bound, index)))
            sent.add(id(site.node))
            if found:
                made.append((site, found))
    if "prompty" in _imported(index):
        made.extend((site, [run]) for site in sorted([*index.calls, *index.other_calls], key=lambda s: s.pos)
                    if (run := _prompty_run(site, index, resolver, counters, path)))
    loops.mark_requests(site.node for site, _ in made)
    for site, found in made:
        history = loops.history(site.node)
        facts = dict(loops=loops.loops(site.node), history=history,
                     history_in_text=history is not None and loops.in_text(site.node, history),
                     history_turns=loops.turn_bound(site.node) if history is not None else None,
                     episode=loops.episode(site.node), cached_by=loops.cached_by(site.node))
        drafts.extend(replace(d, **facts) for d in found)
    if calls_only:
        result = FileResult(path, CALLS_KIND, module, calls=loops.call_edges(sent), agent_runs=loops.agent_runs(path),
                            functions=loops.function_facts())
        loops.forget()
        index.release()
        return result
    reexports = _reexports(index)
    folders = named_folders(text, [*index.calls, *index.other_calls], resolver, [*constants, *bindings])
    result = FileResult(
        path, "python", module, constants=tuple(constants), drafts=tuple(drafts), links=folders,
        suppressions=python_suppressions(text), reexports=reexports, definitions=tuple(definitions),
        calls=loops.call_edges(sent), agent_runs=_agent_runs(loops, path, drafts), functions=loops.function_facts(),
        bindings=tuple(bindings), wrappers=tuple(wrappers), wrapper_calls=tuple(summaries.call_records(index, resolver, sent)),
        diagnostics=tuple(resolver.over_budget.values()),  # last: the call records resolve values too
    )
    loops.forget()
    index.release()
    return result


def _agent_runs(loops: FileLoops, path: str, drafts: list[RequestDraft]) -> tuple:
    """The agent runs of the file; in a test module only those of a function that builds a
    live agent (see :mod:`stand_ins`): a test's run of a scripted model bills no step."""
    runs = loops.agent_runs(path)
    if not runs or not is_test_module(path):
        return runs
    live = {d.function for d in drafts}
    return tuple(r for r in runs if r.function in live)


def _definition(site: CallSite, resolver: Resolver) -> list[NamedValue]:
    """A LangChain prompt object built here: a template even if no request uses it."""
    if site.chain[-1] in ("MessagesPlaceholder", "LLMChain", "init_chat_model") \
            or not langchain.recognized(resolver, ".".join(site.chain)):
        return []
    value = resolver.value(site.node, site.scope, site.pos)
    if not _has_text(value) or langchain.tagged(value, "model") or langchain.tagged(value, "chain"):
        return []
    base = langchain.definition_id(resolver, site.node, site.scope, site.chain[-1])
    return [NamedValue(base.split("::", 1)[1], value, True, resolver.span(site.node))]


def _imported(index: ModuleIndex) -> set[str]:
    return {imp.module.split(".")[0] for imp in index.imports.values()}


def _dspy_request(draft: RequestDraft, site: CallSite, signatures: dict, lm: tuple) -> RequestDraft:
    """A DSPy module call: its signature's text when it is a class of the module (an inline
    ``"question -> answer"`` holds no prose), on the module's LM."""
    arg = site.node.args[0] if site.node.args else next(
        (k.value for k in site.node.keywords if k.arg == "signature"), None)
    params = [(k, val) for k, val in draft.params if k != "signature"]
    if isinstance(arg, ast.Name) and arg.id in signatures:
        params.insert(0, ("signature", signatures[arg.id]))
    params.extend(item for item in lm if draft.param(item[0]) is None)
    return replace(draft, params=tuple(params))


_PROMPT_DECORATORS = ("system_prompt", "instructions")


def _prose_with_model(site: CallSite, resolver: Resolver) -> bool:
    """An unknown callee given ``model=`` and, in a system-prompt keyword, prose (see
    :data:`sinks.GENERIC`)."""
    keywords = {k.arg: k.value for k in site.node.keywords if k.arg}
    if "model" not in keywords or site.chain[-1] in frameworks.CALLEES:
        return False
    for slot in sinks.GENERIC.text:
        if slot in keywords:
            value = resolver.value(keywords[slot], site.scope, site.pos)
            if isinstance(value, v.Str) and reads_like_prose(value.text) and not not_prose(value.text):
                return True
    return False


def _decorated_prompts(draft: RequestDraft, site: CallSite, index: ModuleIndex, resolver: Resolver) -> RequestDraft:
    """pydantic-ai's ``@agent.system_prompt`` (and ``@agent.instructions``) functions of the
    module: what each returns is sent with the agent's own prompt."""
    names = [name for name, events in site.scope.events.items()
             if any(e.kind == "assign" and e.node is site.node for e in events)]
    if not names:
        return draft
    extra = []
    for scope in index.scopes:
        if scope.kind != "function" or not any(d in (f"{names[0]}.{k}" for k in _PROMPT_DECORATORS)
                                                for d in scope.decorators):
            continue
        for i, node in enumerate(scope.returns, 1):
            value = resolver.value(node, scope, pos_of(node))
            if isinstance(value, v.Str):
                extra.append(("decorated", v.stamp(value, resolver.return_id(scope, i))))
    return replace(draft, params=(*draft.params, *extra)) if extra else draft


def _framework_definition(site: CallSite, resolver: Resolver) -> list[NamedValue]:
    """A framework's prompt object (:mod:`frameworks`): a template where it is built."""
    definition = frameworks.definition_for(site, resolver.index)
    value = frameworks.template_value(definition, site, resolver) if definition is not None else None
    if value is None or not _has_text(value):
        return []
    base = langchain.definition_id(resolver, site.node, site.scope, site.chain[-1])
    return [NamedValue(base.split("::", 1)[1], value, True, resolver.span(site.node))]


def _invocation(site: CallSite, resolver: Resolver, counters: dict, path: str,
                wrappers: list[WrapperDraft] | None = None) -> list[RequestDraft]:
    """``chain.invoke(...)``: a request if the receiver turns out to be a chat model (decided
    after linking, since the chain may be imported)."""
    func = site.node.func
    if not isinstance(func, ast.Attribute):
        return []
    runnable = resolver.value(func.value, site.scope, site.pos)
    given = next((a for a in site.node.args if not isinstance(a, ast.Starred)), None)
    forwarded = False
    if not (langchain.tagged(runnable, "model") or langchain.tagged(runnable, "chain")
            or isinstance(runnable, (v.Ref, v.Deferred))):
        # A receiver promptlint cannot follow (a model picked in a loop) is still a chat
        # model when what it is given is a message list: a request of unknown model.
        if given is None or not (isinstance(given, ast.Name) and _builds_messages(site.scope.events.get(given.id, []))
                                 or isinstance(given, (ast.List, ast.Tuple)) and any(map(_message_node, given.elts))):
            # Given the function's own parameter (``self.llm.ainvoke(messages)`` in a provider
            # class), it is a chat model only where a caller passes a message list: a wrapper
            # summary, no request of its own (see :func:`langchain.invocation_params`).
            if wrappers is None or site.chain[-1] not in langchain.FORWARDING_METHODS or not _parameter(given, site, resolver):
                return []
            forwarded = True
        runnable = langchain.unknown_model(forwarded)
    method = site.chain[-1]
    function = site.scope.qualname or "<module>"
    key = (function, method)
    counters[key] = counters.get(key, 0) + 1
    params: list[tuple[str, v.Value]] = [("runnable", resolver.with_defaults(runnable))]
    if given is not None:
        given_value = resolver.value(given, site.scope, site.pos)
        # a forwarding wrapper keeps its parameter: its callers' arguments fill it
        params.append(("input", given_value if forwarded else resolver.with_defaults(given_value)))
    draft = RequestDraft(
        id=f"{path}::{function}::{method}#{counters[key]}", path=path, span=resolver.span(site.node),
        provider="langchain", api=method, function=None if function == "<module>" else function,
        params=tuple(params), stream=method in ("stream", "astream"), in_loop=site.loop is not None,
        loop_kind=site.loop, interactive=site.scope.interactive, is_async=site.scope.is_async or site.awaited,
    )
    if forwarded:
        wrappers.extend(summaries.wrapper_drafts(draft, ("input",), site, resolver))  # type: ignore[union-attr]
        return []
    return [draft]


def _parameter(node: ast.expr | None, site: CallSite, resolver: Resolver) -> bool:
    """Whether ``node`` is, unchanged, a parameter of the function the call is in."""
    if not isinstance(node, ast.Name):
        return False
    value = resolver.value(node, site.scope, site.pos)
    return isinstance(value, v.Unknown) and value.kind == "param"


def _constants(index: ModuleIndex, resolver: Resolver, path: str, patterns: tuple[str, ...]) -> list[NamedValue]:
    """Exported values: each module name's final binding, class attributes, and what each
    function returns when it returns text (``fn()``, for callers in other modules)."""
    out: list[NamedValue] = []
    module = index.module
    named = _name_test(patterns)
    for name, events in module.events.items():
        if not any(e.kind == "assign" for e in events):
            continue
        value = resolver.lookup(name, module, None, 0, Span(path, 1))
        if isinstance(value, v.Unknown):
            continue
        out.append(NamedValue(name, value, named(name), _value_span(value)))
    for cls in module.classes.values():
        for name in cls.events:
            value = resolver.class_attr(cls, name, 0)
            if value is None or isinstance(value, v.Unknown):
                continue
            out.append(NamedValue(f"{cls.name}.{name}", value, named(name), _value_span(value)))
    for scope in index.scopes:
        if scope.kind == "function" and scope.returns:
            out.extend(_returns(scope, resolver, named))
    return out


def _name_test(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """Whether a name of the file has a prompt-like name (matches one of ``patterns``): each
    name tested once (locals repeat names across a module's functions: ``response``,
    ``messages``, ``result``), against all the patterns at once."""
    known: dict[str, bool] = {}
    matches = name_matcher(patterns)

    def named(name: str) -> bool:
        got = known.get(name)
        if got is None:
            got = known[name] = matches(name)
        return got
    return named


def _returns(scope: Scope, resolver: Resolver, named: Callable[[str], bool]) -> list[NamedValue]:
    """A function that returns text or a message list: each such return, as ``fn()``."""
    out = []
    for i, node in enumerate(scope.returns, 1):
        if not _texty(node, scope, 2):
            continue
        value = resolver.value(node, scope, pos_of(node))
        if isinstance(value, (v.Unknown, v.Lit)):
            continue
        rid = resolver.return_id(scope, i)
        value = v.stamp(value, rid)
        out.append(NamedValue(rid.split("::", 1)[1], value, named(scope.name), _value_span(value) or resolver.span(node),
                              "return"))
    return out


def _bindings(index: ModuleIndex, resolver: Resolver, path: str, patterns: tuple[str, ...]) -> list[NamedValue]:
    """Prompt candidates that are not exported: every binding but the last of a re-bound
    module name (a notebook's ``PROMPT`` in each cell), and a function's locals that have
    a prompt-like name or hold a message list."""
    out: list[NamedValue] = []
    tests = is_test_module(path)
    test = _name_test(patterns)
    for scope in index.scopes:
        if scope.kind == "class" or (tests and scope.kind == "function"):
            continue  # a test's locals are fixtures ("Hello"), not the project's prompts
        for name, events in scope.events.items():
            named = test(name)
            bases = [i for i, e in enumerate(events) if e.kind in ("assign", "dynamic", "unpack")]
            if scope.kind == "module":
                if len(bases) < 2:
                    continue
                wanted = bases[:-1]  # the last binding is the exported constant
            else:
                if not named and not _builds_messages(events):
                    continue
                wanted = bases
            for ordinal, index_ in enumerate(bases, 1):
                if index_ not in wanted or events[index_].kind == "dynamic":
                    continue
                following = bases[ordinal] if ordinal < len(bases) else None
                until = events[following].pos if following is not None else None
                value, _ = resolver.binding(name, events[:following] if following is not None else events, scope,
                                            until, 0, Span(path, events[index_].pos[0]))
                if value is None or isinstance(value, (v.Unknown, v.Lit)):
                    continue
                bid = resolver.binding_id(scope, name, ordinal)
                value = v.stamp(value, bid)
                kind = "binding" if scope.kind == "module" else "local"
                out.append(NamedValue(bid.split("::", 1)[1], value, named, _value_span(value), kind))
    out.extend(attributes.candidates(index, resolver.value, path, test, tests))
    out.extend(param_defaults.candidates(index, resolver.default_value, path, test, tests))
    return out


def is_test_module(path: str) -> bool:
    """``tests/...``, ``test_x.py``, ``x_test.py``, ``conftest.py``: a test suite's module."""
    parts = path.split("/")
    name = parts[-1]
    return any(p in ("tests", "test", "testing") for p in parts[:-1]) or name.startswith("test_") \
        or name.endswith("_test.py") or name == "conftest.py"


_TEXT_CALLS = {"format", "format_map", "replace", "strip", "lstrip", "rstrip", "join", "substitute",
               "safe_substitute", "dedent", "cleandoc"}


def _texty(node: ast.expr | None, scope: Scope, depth: int) -> bool:
    """Whether an expression, by its syntax, builds text, a message list or a LangChain chat
    model (a factory another module calls and invokes); checked before anything is resolved,
    so a function returning ``self.count`` costs nothing."""
    if node is None or depth < 0:
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _texty(node.left, scope, depth) or _texty(node.right, scope, depth)
    if isinstance(node, ast.IfExp):
        return _texty(node.body, scope, depth) or _texty(node.orelse, scope, depth)
    if isinstance(node, ast.Call):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id if isinstance(node.func, ast.Name) else ""
        if name in _TEXT_CALLS or name == "init_chat_model" or langchain.is_chat_model_class(name):
            return True
        return name.endswith("Message") or name in ("from_messages", "from_template", "PromptTemplate")
    if isinstance(node, (ast.List, ast.Tuple)):
        return any(_message_node(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return _message_node(node)
    if isinstance(node, ast.Name):
        events = scope.events.get(node.id, ())
        return any(e.kind == "assign" and isinstance(e.node, ast.expr) and _texty(e.node, scope, depth - 1)
                   for e in events) or _builds_messages(events)
    return False


def _message_node(node: ast.AST) -> bool:
    """A role dict (``{"role": ..., "content": ...}``, ``dict(role=...)``), a message object or
    a LangChain role tuple (``("system", "...")``)."""
    if isinstance(node, ast.Tuple) and len(node.elts) == 2:
        first = node.elts[0]
        return isinstance(first, ast.Constant) and isinstance(first.value, str) \
            and first.value.strip().lower() in langchain.TUPLE_ROLES
    if isinstance(node, ast.Dict):
        return any(isinstance(k, ast.Constant) and k.value == "role" for k in node.keys)
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name == "dict":
            return any(k.arg == "role" for k in node.keywords)
        return name.endswith("Message") and name[:1].isupper()
    return False


def _builds_messages(events: list) -> bool:
    """A name given a list of role dicts or message objects, at once or by appending."""
    for e in events:
        node = e.node
        if e.kind == "assign" and isinstance(node, (ast.List, ast.Tuple)):
            if any(_message_node(x) for x in node.elts):
                return True
        elif e.kind in ("append", "insert") and isinstance(node, ast.Call) and node.args:
            if _message_node(node.args[-1]):
                return True
    return False


def _has_text(value: v.Value) -> bool:
    if isinstance(value, v.Str):
        return bool(value.text.strip()) or value.has_holes
    if isinstance(value, v.Seq):
        return any(_has_text(i) for i in value.items)
    if isinstance(value, v.Map):
        return any(_has_text(i) for _, i in value.items)
    return isinstance(value, (v.Ref, v.FileLink, v.Deferred))


def _value_span(value: v.Value) -> Span | None:
    return getattr(value, "span", None)


def _drafts_for(site: CallSite, api: Api, resolver: Resolver, counters: dict, path: str,
                wrappers: list | None = None, text_slots: tuple[str, ...] = (),
                sink: sinks.Sink | None = None, served: tuple[tuple[str, v.Value], ...] = ()) -> list[RequestDraft]:
    node = site.node
    scope = site.scope
    function = scope.qualname or "<module>"
    key = (function, api.api)
    counters[key] = counters.get(key, 0) + 1
    request_id = f"{path}::{function}::{api.api}#{counters[key]}"
    symbolic, spans, kwargs_open = _call_params(node, site, api, resolver, sink.decoded if sink else (),
                                                sink.callable_text if sink else ())
    symbolic.extend(served)
    params = [(k, resolver.with_defaults(val)) for k, val in symbolic]
    common = dict(
        path=path, span=resolver.span(node), function=None if function == "<module>" else function,
        in_loop=site.loop is not None, loop_kind=site.loop, interactive=scope.interactive,
        is_async=scope.is_async or site.awaited,
    )
    if api.batch:
        return _batch_drafts(request_id, dict(params), site, resolver, common)
    stream = api.stream or any(k == "stream" and isinstance(val, v.Lit) and val.value is True for k, val in params)
    draft = RequestDraft(
        id=request_id, provider=api.provider, api=api.api, params=tuple(params), kwargs_open=kwargs_open,
        stream=stream, param_spans=tuple(spans), **common,
    )
    if wrappers is not None:
        wrappers.extend(summaries.wrapper_drafts(replace(draft, params=tuple(symbolic)), text_slots, site, resolver))
    return [draft]


def _call_params(node: ast.Call, site: CallSite, api: Api, resolver: Resolver, decoded: tuple[str, ...] = (),
                 callables: tuple[str, ...] = ()):
    """The call's parameters resolved. A ``callables`` parameter given a function of the module
    (``instructions=dynamic_instructions``) is what the function returns: the framework calls
    it for the text on every run."""
    params: list[tuple[str, v.Value]] = []
    spans: list[tuple[str, Span]] = []
    kwargs_open: str | None = None
    for name, arg in zip(api.positional, (a for a in node.args if not isinstance(a, ast.Starred))):
        params.append((name, resolver.value(arg, site.scope, site.pos)))
        spans.append((name, resolver.span(arg)))
    for keyword in node.keywords:
        if keyword.arg is not None:
            arg = keyword.value
            if keyword.arg in decoded:
                arg = _json_body(arg, site, resolver)
            if keyword.arg in callables and sinks.names_function(arg, site.scope, site.pos):
                arg = ast.copy_location(ast.Call(func=arg, args=[], keywords=[]), arg)
            params.append((keyword.arg, resolver.value(arg, site.scope, site.pos)))
            spans.append((keyword.arg, resolver.span(keyword)))
            continue
        value = resolver.value(keyword.value, site.scope, site.pos)
        if isinstance(value, v.Map):
            for key, item in value.items:
                params.append((key, item))
                if item_span := getattr(item, "span", None):
                    spans.append((key, item_span))
            if value.open:
                kwargs_open = f"**{resolver.expr_text(keyword.value)} may hold more keys"
        elif isinstance(value, v.Ref):
            params.append(("**", value))  # spread by the linker once the module is known
        else:
            kwargs_open = f"**{resolver.expr_text(keyword.value)} cannot be resolved"
    return params, spans, kwargs_open


def _json_body(node: ast.expr, site: CallSite, resolver: Resolver) -> ast.expr:
    """``body=json.dumps({...})`` (or a name bound to it): the mapping it encodes."""
    for _ in range(2):
        if isinstance(node, ast.Call) and dotted(node.func) in ("json.dumps", "dumps") and node.args:
            return node.args[0]
        bound = sinks.binding_node(node, site.scope, site.pos) if isinstance(node, ast.Name) else None
        if bound is None:
            break
        node = bound
    return node


def _batch_drafts(request_id: str, params: dict, site: CallSite, resolver: Resolver, common: dict) -> list[RequestDraft]:
    requests_node = next((k.value for k in site.node.keywords if k.arg == "requests"), None)
    items: list[v.Value]
    if isinstance(requests_node, (ast.ListComp, ast.GeneratorExp)):
        items = [resolver.value(requests_node.elt, site.scope, site.pos)]
    else:
        value = params.get("requests")
        items = list(value.items) if isinstance(value, v.Seq) else [value if value is not None else v.Unknown("no requests", "requests")]
    drafts = []
    for i, item in enumerate(items):
        inner = item.get("params") if isinstance(item, v.Map) else None
        if isinstance(inner, v.Map):
            item_params = tuple(inner.items)
            kwargs_open = "params may hold more keys" if inner.open else None
        else:
            item_params = ()
            kwargs_open = "batch request params cannot be resolved"
        suffix = "" if len(items) == 1 else f"[{i}]"
        drafts.append(RequestDraft(
            id=request_id + suffix, provider="anthropic", api="messages.batches.create", params=item_params,
            kwargs_open=kwargs_open, batch=True, **common,
        ))
    return drafts
