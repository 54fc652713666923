"""Link per-file results into one project: imports across modules, then request shapes.

A name imported from another module of the scanned tree (``from app.prompts import
SYSTEM``) is a :class:`Ref` until here; the linker finds the module (by full dotted name
or by a unique suffix, so ``src/`` layouts and running from a parent folder both work),
follows re-exports, and substitutes the constant's value. Modules the prefilter skipped
are extracted on demand through ``load_module``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Iterable

from promptlint.extract import sinks
from promptlint.extract import values as v
from promptlint.extract.filelinks import FileLinker, TreeFiles
from promptlint.extract.langchain import invocation_params as langchain_invocation
from promptlint.extract.langchain import tagged as langchain_tagged
from promptlint.extract.ops import apply
from promptlint.extract.resolve import CALL
from promptlint.extract.candidates import display_name, judge
from promptlint.extract.evidence import fixture_path, not_text, reads_like_prose
from promptlint.extract.result import FileResult, NamedValue, RequestDraft
from promptlint.extract.wrappers import expand as expand_wrappers
from promptlint.extract.shapes import TemplateBook, constant_templates, is_message_list, shape
from promptlint.loops import MAX_HELPER_DEPTH, with_caller_loops
from promptlint.types import Diagnostic, Evidence, Example, Project, Request, Span, Use

MAX_LINK_DEPTH = 20


class ModuleTable:
    """Python FileResults by dotted module name, with unique-suffix lookup."""

    def __init__(self, results: Iterable[FileResult], load_module: Callable[[str], FileResult | None] | None = None):
        self.by_name: dict[str, FileResult] = {}
        self.by_suffix: dict[str, list[FileResult]] = {}
        self.load_module = load_module
        for result in results:
            self.add(result)

    def add(self, result: FileResult) -> None:
        if result.module is None:
            return
        names = {result.module}
        if result.module.endswith(".__init__"):
            names.add(result.module[: -len(".__init__")])
        for name in names:
            self.by_name[name] = result
            parts = name.split(".")
            for i in range(1, len(parts)):
                self.by_suffix.setdefault(".".join(parts[i:]), []).append(result)

    def find(self, module: str) -> FileResult | None:
        if not module:
            return None
        if module in self.by_name:
            return self.by_name[module]
        candidates = {id(r): r for r in self.by_suffix.get(module, [])}
        if len(candidates) == 1:
            return next(iter(candidates.values()))
        if not candidates and self.load_module is not None:
            loaded = self.load_module(module)
            if loaded is not None:
                self.add(loaded)
                return self.find(module) if module in self.by_name or module in self.by_suffix else loaded
        return None


class Linker:
    def __init__(self, table: ModuleTable, files: FileLinker | None = None) -> None:
        self.table = table
        self.files = files

    def value(self, value: v.Value, evidence: tuple[Evidence, ...] = (), depth: int = 0) -> v.Value:
        if depth > MAX_LINK_DEPTH:
            return value
        if isinstance(value, v.Ref):
            return self.ref(value, depth)
        if isinstance(value, v.Seq):
            return replace(value, items=tuple(self.value(i, depth=depth) for i in value.items))
        if isinstance(value, v.Map):
            return replace(value, items=tuple((k, self.value(i, depth=depth)) for k, i in value.items))
        if isinstance(value, v.Deferred):
            operands = tuple(self.value(o, depth=depth + 1) for o in value.operands)
            kwargs = tuple((k, self.value(o, depth=depth + 1)) for k, o in value.kwargs)
            result = apply(value.op, operands, kwargs, value.span, value.expr)
            if isinstance(result, v.Deferred):  # a reference that could not be resolved
                return v.Unknown(f"`{value.expr}` cannot be computed", value.expr, "missing", value.span)
            return v.stamp(result, value.origin) if value.origin else result
        if isinstance(value, v.FileLink):
            if self.files is None or value.how == "loader":
                return v.Unknown(f"template file `{value.target}` is not linked", value.target, "missing", value.span)
            return self.files.value(value, evidence)
        return value

    def ref(self, ref: v.Ref, depth: int) -> v.Value:
        if depth > MAX_LINK_DEPTH:
            return v.Unknown(f"`{ref.module}.{ref.name}` is imported in a cycle", ref.name, "missing", ref.span)
        target = self.table.find(ref.module)
        if ref.path and ref.path[0] == CALL:
            if target is None:
                owned = self._class_method(ref)
                if owned is not None:
                    return self.call_ref(owned[0], owned[1], depth)
            return self.call_ref(ref, target, depth)
        if ref.path and isinstance(ref.path[0], str) and (target is None or target.constant(ref.name) is None):
            # ``from pkg import prompts`` then ``prompts.SYSTEM``: the name was a module.
            sub = self.table.find(f"{ref.module}.{ref.name}")
            if sub is not None:
                return self.ref(v.Ref(sub.module or "", ref.path[0], ref.path[1:], ref.span), depth + 1)
        if target is None and not ref.path and sinks.not_given(ref.module, ref.name):
            return v.Lit(None, ref.span)  # the slot is not sent
        if target is None:
            return v.Unknown(f"`{ref.module}.{ref.name}` is outside the scanned tree", f"{ref.module}.{ref.name}",
                             "missing", ref.span)
        steps = list(ref.path)
        constant = target.constant(ref.name)
        if constant is None and steps and isinstance(steps[0], str):
            constant = target.constant(f"{ref.name}.{steps[0]}")
            if constant is not None:
                steps = steps[1:]
        if constant is None:
            for local, module, name in target.reexports:
                if local == ref.name and name is not None and (module, name) != (ref.module, ref.name):
                    return self.ref(v.Ref(module, name, ref.path, ref.span), depth + 1)
                if local == ref.name and name is None and steps and isinstance(steps[0], str):
                    return self.ref(v.Ref(module, steps[0], tuple(steps[1:]), ref.span), depth + 1)
            return v.Unknown(f"`{ref.name}` is not a constant of {target.path}", ref.name, "missing", ref.span)
        value = self.value(constant.value, depth=depth + 1)
        for step in steps:
            value = _step(value, step, ref)
        return value


    def _class_method(self, ref: v.Ref) -> tuple[v.Ref, FileResult] | None:
        """``from .prompts import PromptFamily`` then ``PromptFamily.build(q)``: the survey
        cannot tell a class from a submodule, so the reference names ``prompts.PromptFamily``
        as a module; when no such module exists and ``prompts`` has a class method of that
        name that returns text, the call is that method's."""
        parent, _, cls = ref.module.rpartition(".")
        if not parent or not cls[:1].isupper():
            return None
        owner = self.table.find(parent)
        name = f"{cls}.{ref.name}"
        if owner is None or owner.constant(f"{name}()") is None:
            return None
        return v.Ref(owner.module or parent, name, ref.path, ref.span), owner

    def call_ref(self, ref: v.Ref, target: FileResult | None, depth: int) -> v.Value:
        """What a call of an imported function gives: its return, when the module is in the
        tree and the return is known text; else a run-time value (a hole, not a gap)."""
        expr = f"{ref.name}()"
        if target is not None:
            returned = target.constant(f"{ref.name}()")
            if returned is None:
                for local, module, name in target.reexports:
                    if local == ref.name and name is not None and (module, name) != (ref.module, ref.name):
                        return self.ref(v.Ref(module, name, ref.path, ref.span), depth + 1)
            else:
                value = self.value(returned.value, depth=depth + 1)
                for step in ref.path[1:]:
                    value = _step(value, step, ref)
                return value
        return v.Unknown("call result", expr, "dynamic", ref.span)


def _step(value: v.Value, step: str | int, ref: v.Ref) -> v.Value:
    if isinstance(value, v.Map) and isinstance(step, str):
        got = value.get(step)
        if got is not None:
            return got
    if isinstance(value, v.Seq) and isinstance(step, int) and -len(value.items) <= step < len(value.items):
        return value.items[step]
    return v.Unknown(f"`{ref.module}.{ref.name}` has no `{step}`", ref.name, "missing", ref.span)


def _linked_draft(draft: RequestDraft, linker: Linker) -> RequestDraft:
    """Substitute references; spread ``**NAME`` imported from another module."""
    params: list[tuple[str, v.Value]] = []
    kwargs_open = draft.kwargs_open
    for key, value in draft.params:
        linked = linker.value(value)
        if key != "**":
            params.append((key, linked))
        elif isinstance(linked, v.Map):
            params.extend(linked.items)
            if linked.open:
                kwargs_open = kwargs_open or "imported keyword arguments may hold more keys"
        else:
            kwargs_open = kwargs_open or f"**{getattr(value, 'name', 'kwargs')} cannot be resolved"
    return replace(draft, params=tuple(params), kwargs_open=kwargs_open)


def _invocation(draft: RequestDraft) -> RequestDraft | None:
    """A linked LangChain ``invoke`` as the chat request it makes; None if no model is bound."""
    params = langchain_invocation(draft.api, draft.param("runnable"), draft.param("input"))
    if params is None:
        return None
    model = draft.param("runnable")
    model = model.get("model") if langchain_tagged(model, "chain") else model
    cls = model.get("class") if isinstance(model, v.Map) else None
    api = f"{cls.text}.{draft.api}" if isinstance(cls, v.Str) and cls.text != "unknown" else draft.api
    spans = tuple((k, getattr(val, "span", None)) for k, val in params if getattr(val, "span", None) is not None)
    return replace(draft, params=tuple(params), api=api, param_spans=spans)


def link(results: list[FileResult], root: str, files_scanned: int, diagnostics: Iterable[Diagnostic] = (),
         load_module: Callable[[str], FileResult | None] | None = None, tree: TreeFiles | None = None,
         find_callers: Callable[[set[tuple[str, str]]], list[FileResult]] | None = None) -> Project:
    """One project from every file's result. ``tree`` finds files that links name (Jinja
    includes, files read by code) beyond ``results``; without it only ``results`` are seen."""
    table = ModuleTable(results, load_module)
    tree = tree or TreeFiles(results)
    kinds = {r.path: r.kind for r in results}
    book = TemplateBook(kinds)
    files = FileLinker(tree, book)
    linker = Linker(table, files)
    examples: list[Example] = []
    requests: list[Request] = []
    all_diagnostics = list(diagnostics)

    candidates = Candidates(linker, book)
    # Composed Jinja templates go in first (the per-file templates put below do not
    # replace them), then what links and LangChain definitions name.
    for result in results:
        if result.layouts:
            files.template(result)
        for file_link in result.links:
            if file_link.how == "folder":  # a prompt folder code locates (a config names files, not folders)
                where = f"{result.path}:{file_link.span.line}" if file_link.span else result.path
                linker.value(file_link, (Evidence("file", f"a prompt folder the code at {where} locates"),))
                continue
            evidence = (Evidence("config", f"named by the prompt config {result.path}"),)
            if file_link.how == "function":
                candidates.function_link(result.path, file_link, tree, evidence, examples)
                continue
            linked = linker.value(file_link, evidence)
            candidates.config_use(result.path, file_link, linked)
        # LangChain prompt objects before named constants: their text follows LangChain's
        # placeholder rules even when a prompt-named constant holds them.
        for definition in result.definitions:
            candidates.definition(definition, result.path, examples)
    for result in results:
        all_diagnostics.extend(result.diagnostics)
        for template in result.templates:
            book.offer(template)
        examples.extend(result.examples)
        requests.extend(result.requests)
    for result in results:  # named values first: a template is registered where it is defined
        for candidate in sorted((*result.constants, *result.bindings), key=_position):
            candidates.judge(candidate, result.path, examples)
    # The SDK call inside a wrapper stays a request (its cap, cache and model are set
    # there); each call of the wrapper is one too, with its own prompt, marked ``via``.
    expansion = expand_wrappers(results, table.find)
    wrapped = {(d.path, d.span.line, d.span.column) for d in expansion.drafts}
    drafts = [*(d for result in results for d in result.drafts
                if d.provider != "generic" or (d.path, d.span.line, d.span.column) not in wrapped),
              *expansion.drafts]
    for draft in prompty_runs(drafts, tree):
        linked = _linked_draft(draft, linker)
        if linked.provider == "langchain":
            linked = _invocation(linked)
            if linked is None:
                continue
        request, found = shape(linked, book)
        requests.append(request)
        examples.extend(found)
    # Modules read on demand (imported constants) can hold text spliced into a prompt too.
    known = {id(r): r for r in (*results, *table.by_name.values(), *tree.loaded)}
    candidates.spliced(list(known.values()), examples)

    for loaded in tree.loaded:
        all_diagnostics.extend(loaded.diagnostics)
    all_diagnostics.extend(files.diagnostics.values())
    requests = _with_caller_loops(requests, results, table, find_callers)
    unique_examples = list({(e.group, e.templates): e for e in examples}.values())
    suppressions = {r.path: r.suppressions for r in (*results, *tree.loaded) if r.suppressions}
    return Project(
        root=root, files_scanned=files_scanned, templates=dict(book.templates), requests=tuple(requests),
        examples=tuple(unique_examples), diagnostics=tuple(all_diagnostics), suppressions=suppressions,
        agent_runs=tuple(run for r in results for run in r.agent_runs),
        uses=candidates.uses(),
    )


def prompty_runs(drafts: list[RequestDraft], tree: TreeFiles) -> list[RequestDraft]:
    """``prompty.execute("chat.prompty")`` sends that file: the file's own request moves to
    the call (its place, function and loops), and is not counted a second time at the file.
    A call whose file is not in the tree is no request (nothing of it can be known)."""
    moved: set[str] = set()
    out: list[RequestDraft] = []
    for draft in drafts:
        link = draft.param("prompty") if draft.provider == "prompty" and draft.api in ("execute", "load") else None
        if not isinstance(link, v.FileLink):
            out.append(draft)
            continue
        found = tree.find(link.target, draft.path, "yaml")
        for sent in (found.drafts if found is not None else ()):
            moved.add(sent.id)
            out.append(replace(sent, id=draft.id, path=draft.path, span=draft.span, function=draft.function,
                               in_loop=draft.in_loop, loop_kind=draft.loop_kind, interactive=draft.interactive,
                               is_async=draft.is_async, loops=draft.loops))
    return [d for d in out if d.id not in moved]


def _with_caller_loops(requests: list[Request], results: list[FileResult], table: ModuleTable,
                       find_callers: Callable[[set[tuple[str, str]]], list[FileResult]] | None = None) -> list[Request]:
    """Loops around the calls of the helpers that make requests (``promptlint.loops``);
    ``find_callers`` brings in files the scan skipped that call them."""
    files = [r for r in results if r.kind in ("python", "notebook")]
    if find_callers is not None:
        module_of = {r.path: r.module for r in files if r.module is not None}
        wanted = {(module_of[r.path], r.function) for r in requests if r.function and r.path in module_of}
        for _ in range(MAX_HELPER_DEPTH):
            loaded = find_callers(wanted)
            if not loaded:
                break
            files.extend(loaded)
            wanted = {(r.module, e.caller) for r in loaded if r.module for e in r.calls if e.caller}
    modules = {r.path: r.module for r in files if r.module is not None}

    def resolve(module: str) -> str | None:
        found = table.by_name.get(module)
        if found is None:
            candidates = {id(r): r for r in table.by_suffix.get(module, [])}
            found = next(iter(candidates.values())) if len(candidates) == 1 else None
        return found.module.removesuffix(".__init__") if found is not None and found.module else None

    edges = [(module, e) for r in files if r.calls
             for module in (r.module.removesuffix(".__init__") if r.module else None,) for e in r.calls]
    facts = [fact for r in files for fact in r.functions]
    return with_caller_loops(requests, edges, lambda p: (modules.get(p) or "").removesuffix(".__init__") or None,
                             resolve, facts)




class Candidates:
    """Registers named values that carry evidence of their own, and the use records of
    places that compose prompts defined elsewhere."""

    def __init__(self, linker: Linker, book: TemplateBook) -> None:
        self.linker = linker
        self.book = book
        self._uses: dict[str, Use] = {}

    def judge(self, candidate: NamedValue, path: str, examples: list[Example]) -> None:
        linked = self.linker.value(candidate.value)
        verdict = judge(candidate, linked, path)
        if verdict.file is not None:
            span = getattr(linked, "span", None) or candidate.span
            self.linker.value(v.FileLink(verdict.file, "prompt", span),
                              (Evidence("name", f"`{display_name(candidate)}` names this file"),))
            return
        if not verdict.evidence:
            return
        ids: list[str] = []
        examples.extend(constant_templates(candidate.name, linked, path, self.book, evidence=verdict.evidence,
                                           registered=ids))
        if is_message_list(linked):
            self.use(f"{path}::{candidate.name}", path, getattr(linked, "span", None) or candidate.span, ids,
                     "messages")

    def definition(self, definition: NamedValue, path: str, examples: list[Example]) -> None:
        if fixture_path(path):
            return  # a test's prompt object feeds a mock; a request sending it still counts
        linked = self.linker.value(definition.value)
        ids: list[str] = []
        evidence = (Evidence("shape", f"a LangChain prompt object in {path}"),)
        examples.extend(constant_templates(definition.name, linked, path, self.book, holes=False,
                                           evidence=evidence, registered=ids))
        self.use(f"{path}::{definition.name}", path, definition.span, ids, "prompt-object")

    def function_link(self, path: str, link: v.FileLink, tree: TreeFiles, evidence: tuple[Evidence, ...],
                      examples: list[Example]) -> None:
        """A prompt config naming ``prompts.py:build``: what ``build`` returns is the prompt."""
        found = tree.find(link.target, path, "python", link.base)
        if found is None or not link.keys:
            return
        name = f"{link.keys[0]}()"
        ids: list[str] = []
        for returned in found.constants:
            if returned.kind == "return" and (returned.name == name or returned.name.startswith(name + "#")):
                examples.extend(constant_templates(returned.name, self.linker.value(returned.value), found.path,
                                                   self.book, evidence=evidence, registered=ids))
        self.use(f"{path}::{link.target}:{link.keys[0]}", path, link.span, ids, "config")

    def config_use(self, path: str, link: v.FileLink, linked: v.Value) -> None:
        if isinstance(linked, v.Str) and linked.origin and link.span is not None:
            self.use(f"{path}::{link.target}{''.join('.' + str(k) for k in link.keys)}", path, link.span,
                     [linked.origin], "config")

    def use(self, use_id: str, path: str, span: Span | None, ids: list[str], kind: str) -> None:
        """A use record when the site names at least one template defined elsewhere."""
        if span is None or span.path != path:
            return
        foreign = [t for t in dict.fromkeys(ids)
                   if t in self.book.templates and not self.book.templates[t].span.within(span)]
        if foreign:
            self._uses.setdefault(use_id, Use(use_id, path, span, tuple(dict.fromkeys(ids)), kind))

    def spliced(self, results: list[FileResult], examples: list[Example]) -> None:
        """Named text copied into a prompt is prompt text too: register each (repeatedly,
        since a spliced constant may hold others)."""
        # Each named value by the id its text carries (a re-bound name's bindings are
        # ``m.py::RULES``, ``m.py::RULES#2``...; the last is the module's constant), and by
        # ``path::name`` where it carries none.
        by_id: dict[str, tuple[NamedValue, str]] = {}
        for r in results:
            for c in (*r.constants, *r.bindings):
                origin = c.value.origin if isinstance(c.value, v.Str) else None
                by_id.setdefault(origin or f"{r.path}::{c.name}", (c, r.path))
        done: set[str] = set()
        while True:
            pending = [(outer, inner) for outer, inners in list(self.book.spliced.items()) if outer in self.book.templates
                       for inner in inners if inner not in done]
            if not pending:
                return
            for outer, inner in pending:
                done.add(inner)
                found = by_id.get(inner)
                if found is None:
                    continue
                candidate, path = found
                linked = self.linker.value(candidate.value)
                if isinstance(linked, v.Str) and reads_like_prose(linked.text, sum(1 for s in linked.segments if s.hole)) \
                        and not not_text(linked.text):
                    examples.extend(constant_templates(candidate.name, linked, path, self.book,
                                                       evidence=(Evidence("spliced", f"part of the prompt {outer}"),)))

    def uses(self) -> tuple[Use, ...]:
        for repeat in self.book.repeats:
            self._uses.setdefault(repeat.id, repeat)
        return tuple(u for u in self._uses.values() if all(t in self.book.templates for t in u.templates))


def _position(candidate: NamedValue) -> tuple[int, int]:
    """Source order (the first of two equal texts is the one that keeps the identity)."""
    span = candidate.span
    return (span.cell or 0, span.line) if span is not None else (0, 0)


