"""In-house wrappers across the tree: their summaries substituted at every call.

Each file's result holds the summaries of its wrappers (:class:`WrapperDraft`: a request
with the function's parameters as markers) and its calls that may reach one
(:class:`CallRecord`). Here a call is matched to a wrapper (by the module's own function,
by import through re-exports, or by a name that only one wrapper in the tree has: a
function injected by a framework, ``func.gpt_call(prompt)``), the arguments are put in
place of the markers, and the call becomes a request with the wrapper's model and cap.
A call made inside another function with that function's own parameters makes it a
wrapper too, so the pass repeats until nothing new is found.

The request inside the wrapper stays what it is (the place its cap, cache and model are
set, and fixed); the requests made at its calls say so with ``via``. A call inside a
wrapper that only forwards its own parameters to another is no request of its own: the
outer wrapper's callers stand for it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from promptlint.extract import sinks
from promptlint.extract import values as v
from promptlint.extract.evidence import fixture_path
from promptlint.extract.result import CallRecord, FileResult, RequestDraft, WrapperDraft
from promptlint.extract.summaries import COMMON

MAX_ROUNDS = 6
Key = tuple[str, str]  # (module, qualified name of the function)


@dataclass
class Expansion:
    drafts: list[RequestDraft] = field(default_factory=list)  # requests made at wrapper calls
    consumed: set[str] = field(default_factory=set)  # ids of wrapped requests their callers stand for


def expand(results: list[FileResult], find_module) -> Expansion:
    summaries: dict[Key, list[WrapperDraft]] = {}
    for result in results:
        for wrapper in result.wrappers:
            summaries.setdefault((result.module or "", wrapper.owner), []).append(wrapper)
    out = Expansion()
    if not summaries:
        return out
    records = [(r, c) for r in results for c in r.wrapper_calls]
    done: set[tuple[int, str]] = set()
    made: list[tuple[Key, RequestDraft, Key | None]] = []  # (callee, request, caller when it is a wrapper now)
    direct: set[Key] = set()
    through_interface: set[Key] = set()  # stands for an interface's implementations (see interface)
    counters: dict[tuple[str, str, str], int] = {}
    for _ in range(MAX_ROUNDS):
        names = _by_name(summaries)
        grew = False
        for result, record in records:
            key, shared = _resolve(record, result, summaries, names, find_module)
            if key is None:
                continue
            if len(shared) > 1:
                through_interface.add(key)
            else:
                direct.add(key)
            for wrapper in list(summaries[key]):
                if not _defined_by_then(wrapper, record, result, key):
                    continue
                mark = (id(record), wrapper.draft.id)
                if mark in done:
                    continue
                done.add(mark)
                draft = _substitute(wrapper, record, result, key, counters)
                if len(shared) > 1:
                    draft = _any_model(draft, shared, summaries)
                caller = _caller_summary(record, draft, result)
                if caller is not None:
                    summaries.setdefault((result.module or "", caller.owner), []).append(caller)
                    grew = True
                made.append((key, _with_caller_defaults(draft, record),
                             (result.module or "", caller.owner) if caller else None))
        if not grew:
            break
    # An implementation standing for an interface keeps its own request: the other
    # implementations' requests stay too, and it is not called by name.
    called = {key for key, _, _ in made if key in direct or key not in through_interface}
    for key in called:
        out.consumed.update(w.draft.id for w in summaries.get(key, ()))
    out.drafts = [d for _, d, _ in made if d.id not in out.consumed]
    return out


def _any_model(draft: RequestDraft, keys: set[Key], summaries) -> RequestDraft:
    """The request through an interface: the model its implementations agree on, else unknown."""
    models = {_model_text(w.draft) for k in keys for w in summaries[k]}
    if len(models) == 1:
        return draft
    unknown = v.Unknown("one of several implementations serves the call", "model", "dynamic", draft.span)
    return replace(draft, params=tuple((k, unknown if k == "model" else val) for k, val in draft.params))


def _model_text(draft: RequestDraft) -> str | None:
    model = draft.param("model")
    return model.text if isinstance(model, v.Str) and not model.has_holes else None


def _defined_by_then(wrapper: WrapperDraft, record: CallRecord, result: FileResult, key: Key) -> bool:
    """Whether the module's own code has defined the wrapper when a call at its top level
    runs: top-level code calls the definition above it (a notebook that redefines
    ``grade_completion`` in a later cell, with a request in it only there, calls the
    earlier one). A call inside a function runs later, on the module's last definition."""
    if record.function is not None or record.callee[0] != "local" or key[0] != (result.module or ""):
        return True
    made, call = wrapper.draft.span, record.span
    return made.path != call.path or (made.cell or 0, made.line) < (call.cell or 0, call.line)


def wrapper_names(results: list[FileResult]) -> set[str]:
    """The names calls use for the wrappers these files define (``gpt_call``, ``Agent``)."""
    return set(_by_name({(r.module or "", w.owner): [w] for r in results for w in r.wrappers}))


def forwarding_names(results: list[FileResult], names: set[str]) -> set[str]:
    """The names of functions that pass their own parameters to a call of one of ``names``
    (``create_chat_completion(messages)`` handing ``messages`` to the provider's wrapper):
    wrappers too, once linking substitutes, so their callers are worth reading. A method's
    name is its own (``get_chat_response``), a constructor's its class."""
    found: set[str] = set()
    for result in results:
        for record in result.wrapper_calls:
            if not record.function or not record.caller_params:
                continue
            callee = record.callee[-1].rsplit(".", 1)[-1]
            if callee in names:
                parts = record.function.split(".")
                found.add(parts[-2] if parts[-1] == "__init__" and len(parts) > 1 else parts[-1])
    return found - names


def _by_name(summaries: dict[Key, list[WrapperDraft]]) -> dict[str, set[Key]]:
    """Wrappers by the name a call uses: a function's own name, a class's for ``__init__``."""
    names: dict[str, set[Key]] = {}
    for key in summaries:
        parts = key[1].split(".")
        name = parts[-2] if parts[-1] == "__init__" and len(parts) > 1 else parts[-1]
        names.setdefault(name, set()).add(key)
    return names


def _resolve(record: CallRecord, result: FileResult, summaries, names,
             find_module) -> tuple[Key | None, set[Key]]:
    """The wrapper a call reaches, and the implementations it stands for when the call
    goes through an interface (:func:`interface`; empty otherwise)."""
    kind = record.callee[0]
    module = result.module or ""
    if kind == "local":
        qual = record.callee[1]
        for candidate in ((module, qual), (module, qual + ".__init__")):
            if candidate in summaries:
                return candidate, set()
        return None, set()
    if kind == "import":
        found = _imported(record.callee[1], record.callee[2], summaries, find_module, 0)
        if found is not None or not distinctive(record.callee[2]):
            return found, set()
        name = record.callee[2]  # ``func.gpt_call(...)`` on an imported registry object
    else:
        name = record.callee[-1]
    candidates = names.get(name, set())
    if kind == "typed":  # ``llm = GroqLLM(...); llm.generate_response(...)``: that class's, if a wrapper
        own = [k for k in candidates if k[1].rsplit(".", 2)[-2:] == [record.callee[1], name]]
        if len(own) == 1:
            return own[0], set()
        if not distinctive(name):
            return None, set()
    if len(candidates) == 1:
        return next(iter(candidates)), set()
    if kind == "attr" and not fixture_path(result.path):  # a test builds the one it calls
        chosen = interface(candidates, summaries)
        return chosen, (candidates if chosen is not None else set())
    return None, set()


def interface(keys: set[Key], summaries) -> Key | None:
    """``self.llm.generate_response(messages=...)`` where several classes of the tree define
    ``generate_response`` (one per provider, the instance made by a factory), each a wrapper
    whose same parameters reach the prompt: the call is a request through that interface
    whichever class serves it. One implementation stands for them all, the one of the
    provider most of them call (then the first by name); the model is each one's own
    setting, so it is not taken from the one chosen unless all agree."""
    if len(keys) < 2 or any("." not in qual for _, qual in keys):
        return None
    reaching = {tuple(sorted({p for w in summaries[k] for p in w.reaches})) for k in keys}
    if len(reaching) != 1:
        return None
    providers = Counter(summaries[k][0].draft.provider for k in keys)
    return min(keys, key=lambda k: (-providers[summaries[k][0].draft.provider], k))


def distinctive(name: str) -> bool:
    """A name that can stand for one function of the tree: compound, not a common verb."""
    return "_" in name.strip("_") and not name.startswith("_") and name not in COMMON


def _imported(module: str, name: str, summaries, find_module, depth: int) -> Key | None:
    target = find_module(module) if depth < 8 else None
    if target is None:
        return None
    owner = target.module or ""
    for candidate in ((owner, name), (owner, name + ".__init__")):
        if candidate in summaries:
            return candidate
    for local, source, original in target.reexports:
        if local == name and original is not None and (source, original) != (module, name):
            return _imported(source, original, summaries, find_module, depth + 1)
    return None


def _substitute(wrapper: WrapperDraft, record: CallRecord, result: FileResult, key: Key,
                counters: dict) -> RequestDraft:
    """The wrapper's request as this call makes it."""
    bound: dict[str, v.Value] = dict(zip(wrapper.params, record.args))
    bound.update((k, val) for k, val in record.kwargs if k in wrapper.params)
    defaults = dict(wrapper.defaults)

    def put(value: v.Value) -> v.Value:
        if isinstance(value, v.Unknown) and value.kind == "param" and value.owner == wrapper.owner:
            if value.expr in bound:
                return bound[value.expr]
            return defaults.get(value.expr, value)
        if isinstance(value, v.Str) and value.has_holes:
            return _fill(value, {k: bound[k] for k in wrapper.params if k in bound})
        if isinstance(value, v.Seq):
            return replace(value, items=tuple(put(i) for i in value.items))
        if isinstance(value, v.Map):
            return replace(value, items=tuple((k, put(i)) for k, i in value.items))
        return value

    callee = key[1].removesuffix(".__init__").rsplit(".", 1)[-1]
    function = record.function or "<module>"
    counter = (result.path, function, callee)
    counters[counter] = counters.get(counter, 0) + 1
    inner = wrapper.draft
    via = f"{callee}()" + (f" → {inner.via}" if inner.via else "")
    return replace(
        inner, id=f"{result.path}::{function}::{callee}#{counters[counter]}", path=result.path, span=record.span,
        function=record.function, params=tuple((k, put(val)) for k, val in inner.params),
        kwargs_open=inner.kwargs_open or ("the wrapper is called with *args or **kwargs" if record.open else None),
        in_loop=inner.in_loop or record.loop is not None, loop_kind=record.loop or inner.loop_kind,
        interactive=inner.interactive or record.interactive, is_async=inner.is_async or record.is_async,
        param_spans=(), via=via,
    )


def _with_caller_defaults(draft: RequestDraft, record: CallRecord) -> RequestDraft:
    """The request as the calling function sends it when it is called with nothing for its
    own parameters: each of them its default (``def parse(path, task="Describe ...")``). The
    caller's summary keeps them as markers, for its own callers to fill."""
    if not record.caller_defaults:
        return draft
    defaults = dict(record.caller_defaults)

    def put(value: v.Value) -> v.Value:
        if isinstance(value, v.Unknown) and value.kind == "param" and value.owner == record.function:
            return defaults.get(value.expr, value)
        if isinstance(value, v.Seq):
            return replace(value, items=tuple(put(i) for i in value.items))
        if isinstance(value, v.Map):
            return replace(value, items=tuple((k, put(i)) for k, i in value.items))
        return value

    return replace(draft, params=tuple((k, put(val)) for k, val in draft.params))


def _fill(text: v.Str, bound: dict[str, v.Value]) -> v.Str:
    """A parameter spliced into the wrapper's text (``f"Context: {prompt}"``): known text
    goes in; a run-time value stays the hole, named for the caller's expression."""
    if not any(s.hole is not None and s.source in bound for s in text.segments):
        return text
    return v.fill_holes(text, {s.hole: bound[s.source] for s in text.segments  # type: ignore[index]
                               if s.hole is not None and s.source in bound and isinstance(bound[s.source], v.Str)})


def _caller_summary(record: CallRecord, draft: RequestDraft, result: FileResult) -> WrapperDraft | None:
    """When the caller's own parameters reach the request's text, the caller is a wrapper."""
    if not record.function or not record.caller_params:
        return None
    slots = sinks.text_slots(draft.provider, draft.api)
    reached: set[str] = set()

    def visit(value: v.Value) -> None:
        if isinstance(value, v.Unknown) and value.kind == "param" and value.owner == record.function:
            reached.add(value.expr)
        elif isinstance(value, v.Str):
            reached.update(s.source for s in value.segments if s.hole is not None and s.source in record.caller_params)
        elif isinstance(value, v.Seq):
            for i in value.items:
                visit(i)
        elif isinstance(value, v.Map):
            for _, i in value.items:
                visit(i)

    for k, value in draft.params:
        if k in slots:
            visit(value)
    if not reached:
        return None
    return WrapperDraft(record.function, record.caller_params, record.caller_defaults, draft, tuple(sorted(reached)))
