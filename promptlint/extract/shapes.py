"""Read a call's resolved arguments the way each API reads them.

Anthropic builds its cache prefix as tools -> system -> messages; OpenAI puts system
messages in the message list; the Responses API calls them ``instructions`` and ``input``.
Each request shape here turns a :class:`RequestDraft` into a :class:`Request` whose parts
are in prefix order, registering every piece of known text as a :class:`Template`.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

from promptlint.extract import sinks
from promptlint.extract import values as v
from promptlint.extract.fewshot import ANSWER_KEYS, Turn, label_of, pair_examples
from promptlint.extract.result import RequestDraft
from promptlint.extract.evidence import not_text
from promptlint.extract.roles import role_of
from promptlint.models import keyless, local_server
from promptlint.types import (EVIDENCE_KINDS, OPENAI_CACHE_TTL, CacheMark, Evidence, Example, Part, Request, Segment,
                              Span, Template, Use)



class TemplateBook:
    """Templates met while shaping, one per id; the first text seen for an id wins, and
    every piece of evidence met for it is kept (strongest kind first)."""

    def __init__(self, kinds: dict[str, str]) -> None:
        self.templates: dict[str, Template] = {}
        self.kinds = kinds
        self.unused: dict[str, Template] = {}  # file templates that join the project when a prompt uses them
        self.spliced: dict[str, tuple[str, ...]] = {}  # template id -> ids of named text copied into it
        # A file of a prompt folder read by a run-time name stands for the whole folder: when
        # it joins, its siblings join with the evidence that they may be sent the same way.
        self.siblings: dict[str, tuple[tuple[str, ...], Evidence]] = {}
        # One prompt, one identity: the same prose written again in the same file (a
        # notebook re-binding ``PROMPT`` to a text it had before, a system prompt copied
        # into three functions) is a use of the first, not a prompt of its own.
        self._texts: dict[tuple[str, str], str] = {}
        self.repeats: list[Use] = []

    def add(self, text: v.Str, fallback_id: str, role: str, span: Span | None = None,
            evidence: tuple[Evidence, ...] = ()) -> str:
        template_id = text.origin or fallback_id
        if text.spliced:
            inner = tuple(i for i in text.spliced if i != template_id)
            if inner:
                self.spliced[template_id] = tuple(dict.fromkeys((*self.spliced.get(template_id, ()), *inner)))
        if template_id not in self.templates and template_id in self.unused:
            self.templates[template_id] = self.unused.pop(template_id)
        if template_id in self.siblings:
            ids, why = self.siblings.pop(template_id)
            for sibling in ids:
                if sibling in self.unused:
                    self.templates[sibling] = with_evidence(self.unused.pop(sibling), (why,))
        existing = self.templates.get(template_id)
        if existing is not None:
            if existing.role == "unknown" and role != "unknown":
                existing = replace(existing, role=role)  # type: ignore[arg-type]
            self.templates[template_id] = with_evidence(existing, evidence)
            return template_id
        where = text.span or span or Span(template_id.split("::", 1)[0], 1)
        name = template_id.split("::", 1)[1] if "::" in template_id and text.origin else None
        kind = self.kinds.get(where.path, "python")
        first = self._repeat_of(where, text, template_id)
        if first is not None:
            self.templates[first] = with_evidence(self.templates[first], evidence)
            return first
        self.templates[template_id] = Template(
            id=template_id, path=where.path, span=where, kind=kind, role=role,  # type: ignore[arg-type]
            segments=text.segments, name=name, evidence=ranked(evidence),
        )
        return template_id

    def _repeat_of(self, where: Span, text: v.Str, template_id: str) -> str | None:
        """The id of a template of the same file with the same prose, if there is one."""
        if self.kinds.get(where.path, "python") not in ("python", "notebook") or len(text.text.split()) < 3:
            return None
        key = (where.path, "".join(s.text if s.hole is None else "{" + s.hole + "}" for s in text.segments))
        first = self._texts.setdefault(key, template_id)
        if first == template_id or first not in self.templates:
            return None
        if first.split("[", 1)[0] == template_id.split("[", 1)[0]:
            return None  # two items of one list (a repeated example): the list says it twice
        self.repeats.append(Use(template_id, where.path, where, (first,), "repeat"))
        return first

    def put(self, template: Template, evidence: tuple[Evidence, ...] = ()) -> None:
        if not has_text(template.segments):
            return  # an empty file is no prompt
        if template.id in self.templates:
            self.templates[template.id] = with_evidence(self.templates[template.id], evidence)
        else:
            self.unused.pop(template.id, None)
            self.templates[template.id] = with_evidence(template, evidence)

    def offer(self, template: Template) -> None:
        """A template that joins the project only if something uses it (or has evidence)."""
        if template.evidence:
            self.put(template)
        elif template.id not in self.templates:
            self.unused.setdefault(template.id, template)


MAX_EVIDENCE = 6


def ranked(evidence: tuple[Evidence, ...] | list[Evidence]) -> tuple[Evidence, ...]:
    """Evidence without repeats, strongest kind first, at most a handful."""
    unique = list(dict.fromkeys(evidence))
    unique.sort(key=lambda e: EVIDENCE_KINDS.index(e.kind) if e.kind in EVIDENCE_KINDS else len(EVIDENCE_KINDS))
    return tuple(unique[:MAX_EVIDENCE])


def with_evidence(template: Template, evidence: tuple[Evidence, ...]) -> Template:
    if not evidence or all(e in template.evidence for e in evidence):
        return template
    return replace(template, evidence=ranked((*template.evidence, *evidence)))


def has_text(segments) -> bool:
    """Static text that is not only whitespace, or a placeholder: anything to count."""
    return any(s.hole is not None or s.text.strip() for s in segments)


def text_of(value: v.Value | None) -> str | None:
    """A literal string argument (a model id), or None when not fully static."""
    if isinstance(value, v.Str) and not value.has_holes:
        return value.text
    return None


def int_of(value: v.Value | None) -> int | None:
    if isinstance(value, v.Lit) and isinstance(value.value, int) and not isinstance(value.value, bool):
        return value.value
    return None


def cache_mark(value: v.Value | None, ttl: str = "5m") -> CacheMark | None:
    if isinstance(value, v.Map):
        return CacheMark(ttl=text_of(value.get("ttl")) or ttl, span=value.span)
    if value is None or (isinstance(value, v.Lit) and value.value is None):
        return None
    return CacheMark(ttl=ttl, span=getattr(value, "span", None))


# The block key that marks a cache breakpoint, by provider: Anthropic's ``cache_control``;
# OpenAI's ``prompt_cache_breakpoint: {"mode": "explicit"}`` (GPT-5.6 and later, on
# Responses ``input_*`` and Chat Completions content blocks); LiteLLM passes either on.
_MARK_KEYS = {"openai": ("prompt_cache_breakpoint",), "litellm": ("cache_control", "prompt_cache_breakpoint")}


def _automatic_cache(draft: RequestDraft) -> CacheMark | None:
    """Top-level ``cache_control``, as the keyword or through ``extra_body`` (how a program
    on an SDK older than the keyword sends it)."""
    if draft.provider == "openai":
        return None
    value = draft.param("cache_control")
    extra = draft.param("extra_body")
    if value is None and isinstance(extra, v.Map):
        value = extra.get("cache_control")
    return cache_mark(value)


def _options(draft: RequestDraft) -> tuple[str | None, str]:
    """OpenAI ``prompt_cache_options``: its ``mode`` as written (None when not a literal)
    and the TTL every breakpoint of the request inherits."""
    if draft.provider not in ("openai", "litellm"):
        return None, OPENAI_CACHE_TTL
    options = draft.param("prompt_cache_options")
    extra = draft.param("extra_body")  # how an SDK without the keyword sends it
    if options is None and isinstance(extra, v.Map):
        options = extra.get("prompt_cache_options")
    if not isinstance(options, v.Map):
        return None, OPENAI_CACHE_TTL
    return text_of(options.get("mode")), text_of(options.get("ttl")) or OPENAI_CACHE_TTL


def jsonable(value: v.Value) -> object:
    """A JSON view of a value, with holes shown as ``{name}`` (tool schemas)."""
    if isinstance(value, v.Str):
        return "".join(s.text if s.hole is None else "{" + s.hole + "}" for s in value.segments)
    if isinstance(value, v.Lit):
        return value.value
    if isinstance(value, v.Seq):
        return [jsonable(i) for i in value.items]
    if isinstance(value, v.Map):
        return {k: jsonable(i) for k, i in value.items if k not in ("cache_control", "prompt_cache_breakpoint")}
    return "..."


def _role(value: v.Value | None) -> str:
    return role_of(text_of(value))


class Shaper:
    """Builds the parts of one request."""

    def __init__(self, draft: RequestDraft, book: TemplateBook) -> None:
        self.draft = draft
        self.book = book
        self.parts: list[Part] = []
        self.unresolved: list[str] = []
        self.examples: list[Example] = []
        self.cache_mode, self.cache_ttl = _options(draft)

    def sink(self, where: str) -> Evidence:
        """Evidence that a text is sent: the slot of this request it fills."""
        d = self.draft
        slot = where.split("::")[-1]
        return Evidence(d.evidence_kind, f"{d.provider} {d.api} `{slot}` at {d.path}:{d.span.line}"
                        + (f" (through {d.via})" if d.via else ""))

    # parts --------------------------------------------------------------------------
    def text(self, value: v.Value | None, section: str, role: str, where: str, *, cache: CacheMark | None = None,
             message: int | None = None, content: bool = True) -> None:
        """One element holding text (a system prompt, a message's content)."""
        if value is None or _none(value):
            return  # ``content=None`` (an optional prefill's default) sends no text
        span = getattr(value, "span", None) or self.draft.span
        if isinstance(value, v.Str):
            if not has_text(value.segments):
                return  # "" (a default) sends nothing: no template, no part
            holes = [s.hole for s in value.segments if s.hole is not None]
            if not value.text.strip() and len(holes) == 1 and not value.origin:
                self.parts.append(Part(section, role, None, cache, hole=holes[0], message=message, span=span))  # type: ignore[arg-type]
                return
            tid = self.book.add(value, f"{self.draft.id}::{where}", role, span, (self.sink(where),))
            self.parts.append(Part(section, role, tid, cache, message=message, span=span))  # type: ignore[arg-type]
            return
        if isinstance(value, v.Unknown) and value.kind != "missing" and content:
            self.parts.append(Part(section, role, None, cache, hole=v.hole_name(value.expr), message=message, span=span))  # type: ignore[arg-type]
            return
        self.unresolve(value, section, role, where, cache=cache, message=message)

    def unresolve(self, value: v.Value, section: str, role: str, where: str, *, cache: CacheMark | None = None,
                  message: int | None = None) -> None:
        span = getattr(value, "span", None) or self.draft.span
        if isinstance(value, v.Unknown) and value.kind in ("param", "dynamic"):
            self.parts.append(Part(section, role, None, cache, hole=v.hole_name(value.expr), message=message, span=span))  # type: ignore[arg-type]
            return
        reason = describe(value, where)
        self.unresolved.append(reason)
        self.parts.append(Part(section, role, None, cache, unresolved=reason, message=message, span=span))  # type: ignore[arg-type]

    def blocks(self, value: v.Value, section: str, role: str, where: str, message: int | None = None) -> None:
        """A string or a list of content blocks (Anthropic system / message content)."""
        if isinstance(value, v.Seq):
            for i, block in enumerate(value.items):
                self.block(block, section, role, f"{where}[{i}]", message)
            if value.open:
                self.parts.append(Part(section, role, None, hole="...", message=message, span=value.span))  # type: ignore[arg-type]
        elif isinstance(value, v.Map):
            self.block(value, section, role, where, message)
        else:
            self.text(value, section, role, where, message=message)

    def block(self, block: v.Value, section: str, role: str, where: str, message: int | None) -> None:
        if not isinstance(block, v.Map):
            self.text(block, section, role, where, message=message)
            return
        mark = self.mark(block)
        kind = text_of(block.get("type")) or ("text" if block.get("text") is not None else None)
        if kind in ("text", "input_text", "output_text") or block.get("text") is not None:
            self.text(block.get("text"), section, role, f"{where}.text", cache=mark, message=message)
        elif kind == "tool_result":
            self.blocks(block.get("content") or v.Unknown("tool result", "tool_result"), section, "tool",
                        f"{where}.content", message)
            if mark and self.parts:
                self.parts[-1] = replace(self.parts[-1], cache=mark)
        elif kind is None:
            # no ``type`` and no ``text``: not a content block but a mapping of the program's
            # own (``{"prompt": prompt, "user_input": text}`` passed as the content)
            self.unresolve(block, section, role, where, message=message)
        else:
            self.parts.append(Part(section, role, None, mark, hole=kind, message=message, span=block.span))  # type: ignore[arg-type]

    def mark(self, block: v.Map) -> CacheMark | None:
        """The cache breakpoint a content block carries, in its provider's key."""
        for key in _MARK_KEYS.get(self.draft.provider, ("cache_control",)):
            found = block.get(key)
            if found is not None:
                return cache_mark(found, self.cache_ttl if key == "prompt_cache_breakpoint" else "5m")
        return None

    def messages(self, value: v.Value | None, where: str = "messages") -> None:
        if value is None:
            return
        if not isinstance(value, v.Seq):
            self.unresolve(value, "messages", "unknown", where)
            return
        first = len(self.parts)
        for i, item in enumerate(value.items):
            if isinstance(item, v.Map):
                role = _role(item.get("role"))
                section = "messages"
                content = item.get("content")
                if content is None and item.get("text") is not None:
                    content = item.get("text")
                if content is None:
                    continue
                self.blocks(content, section, role, f"{where}[{i}].content", message=i)
            else:
                self.text(item, "messages", "unknown", f"{where}[{i}]", message=i)
        if value.open:
            self.parts.append(Part("messages", "unknown", None, hole="...", span=value.span))
        self._few_shot(self.parts[first:])

    def tools(self, value: v.Value | None) -> None:
        if value is None or _none(value):
            return  # ``tools=None`` is no tools
        if not isinstance(value, v.Seq):
            self.unresolve(value, "tools", "tool", "tools")
            return
        for i, tool in enumerate(value.items):
            if not isinstance(tool, v.Map):
                self.unresolve(tool, "tools", "tool", f"tools[{i}]")
                continue
            body = json.dumps(jsonable(tool), separators=(",", ":"), ensure_ascii=False, sort_keys=False)
            origin = _tool_origin(tool)
            text = v.Str((Segment(text=body, span=tool.span),), tool.span, origin)
            tid = self.book.add(text, f"{self.draft.id}::tools[{i}]", "tool", tool.span, (self.sink(f"tools[{i}]"),))
            # an OpenAI tool definition takes no breakpoint
            mark = cache_mark(tool.get("cache_control")) if self.draft.provider != "openai" else None
            self.parts.append(Part("tools", "tool", tid, mark, span=tool.span))
        if value.open:
            self.parts.append(Part("tools", "tool", None, hole="...", span=value.span))

    def _few_shot(self, parts: list[Part]) -> None:
        """User/assistant pairs before the final user turn are few-shot examples."""
        by_message: dict[int, list[Part]] = {}
        for part in parts:
            if part.message is not None:
                by_message.setdefault(part.message, []).append(part)
        turns = []
        for index in sorted(by_message):
            ps = by_message[index]
            last = ps[-1].template
            text = self.book.templates[last].text if last in self.book.templates else ""
            turns.append(Turn(ps[0].role, tuple(p.template for p in ps if p.template), ps[0].span,
                              all(p.static for p in ps), text))
        self.examples.extend(pair_examples(self.draft.id, turns))


def _none(value: v.Value) -> bool:
    """``None`` in a text or tools slot: the default of an optional argument, nothing sent."""
    return isinstance(value, v.Lit) and value.value is None


def _tool_origin(tool: v.Map) -> str | None:
    name = tool.get("name")
    steps = ".name"
    if name is None and isinstance(tool.get("function"), v.Map):
        name = tool.get("function").get("name")  # type: ignore[union-attr]
        steps = ".function.name"
    if isinstance(name, v.Str) and name.origin and name.origin.endswith(steps):
        return name.origin[: -len(steps)]
    return None


def describe(value: v.Value, where: str) -> str:
    if isinstance(value, v.Unknown):
        return f"{where}: {value.reason}"
    if isinstance(value, v.Ref):
        return f"{where}: `{value.module}.{value.name}` is outside the scanned tree"
    if isinstance(value, v.FileLink):
        return f"{where}: file `{value.target}` was not found in the scanned tree"
    if isinstance(value, v.Lit):
        return f"{where}: `{value.value!r}` where text was expected"
    if isinstance(value, v.Seq):
        return f"{where}: a list or set where {'a message' if where.endswith(']') else 'text'} was expected"
    if isinstance(value, v.Map):
        keys = ", ".join(f"`{k}`" for k, _ in value.items[:4]) + (", ..." if len(value.items) > 4 else "")
        return f"{where}: a mapping{f' (keys {keys})' if keys else ''} where text or a content block was expected"
    what = {v.Str: "text", v.Deferred: "an expression"}.get(type(value), "a value")
    return f"{where}: {what} of a shape promptlint cannot read there"


def lookup(draft: RequestDraft, path: str) -> v.Value | None:
    """A parameter, or a key inside one: ``config.max_output_tokens``, ``body.messages``
    (or a setting read out of the object a parameter was built with, kept under its path:
    ``llm.max_tokens`` of ``llm=LLM(model=..., max_tokens=800)``)."""
    if "." in path and (kept := draft.param(path)) is not None:
        return kept
    head, *rest = path.split(".")
    value = draft.param(head)
    for key in rest:
        value = value.get(key) if isinstance(value, v.Map) else None
    return value


def _closed(draft: RequestDraft, path: str) -> bool:
    """Whether every container on ``path`` (``body`` of ``body.max_tokens``) is a mapping
    whose keys are all known, so a key it lacks is absent."""
    head, *rest = path.split(".")
    value = draft.param(head)
    for key in rest[:-1] + [None]:
        if value is None and not draft.kwargs_open:
            return True  # the container itself is not passed
        if not isinstance(value, v.Map) or value.open:
            return False
        if key is not None:
            value = value.get(key)
    return True


def _first(draft: RequestDraft, paths: tuple[str, ...]) -> tuple[str | None, v.Value | None]:
    for path in paths:
        value = lookup(draft, path)
        if value is not None:
            return path, value
    return None, None


def _gemini_contents(s: "Shaper", value: v.Value | None, where: str) -> None:
    """``contents``: a string, a list of strings and parts, or ``{"role", "parts"}`` turns."""
    if isinstance(value, v.Seq) and any(isinstance(i, v.Map) and i.get("parts") is not None for i in value.items):
        for i, item in enumerate(value.items):
            if isinstance(item, v.Map):
                role = "assistant" if text_of(item.get("role")) == "model" else "user"
                s.blocks(item.get("parts") or v.Unknown("parts", "parts"), "messages", role, f"{where}[{i}].parts", i)
            else:
                s.text(item, "messages", "user", f"{where}[{i}]", message=i)
    elif isinstance(value, v.Seq):
        s.blocks(value, "messages", "user", where, 0)
    elif value is not None:
        s.text(value, "messages", "user", where, message=0)


def _shape_registered(s: "Shaper", kind: str, draft: RequestDraft) -> None:
    """The shapes of the providers beyond Anthropic and OpenAI (see :mod:`sinks`)."""
    at = lambda path: lookup(draft, path)  # noqa: E731
    if kind == "gemini":
        system = at("config.system_instruction") or at("system_instruction")
        if system is not None:
            s.blocks(system, "system", "system", "system_instruction")
        _gemini_contents(s, at("contents"), "contents")
    elif kind == "bedrock.converse":
        if at("system") is not None:
            s.blocks(at("system"), "system", "system", "system")  # type: ignore[arg-type]
        s.messages(at("messages"))
    elif kind == "bedrock.invoke":
        if at("body.system") is not None:
            s.blocks(at("body.system"), "system", "system", "body.system")  # type: ignore[arg-type]
        if at("body.messages") is not None:
            s.messages(at("body.messages"), "body.messages")
        else:
            s.text(at("body.prompt") or at("body.inputText") or at("body"), "messages", "user", "body.prompt")
    elif kind in ("cohere", "ollama"):
        s.text(at("preamble") or at("system"), "system", "system", "system", content=False)
        s.text(at("message") or at("prompt"), "messages", "user", "prompt", content=False)
        s.messages(at("messages"))
    elif kind == "prompt":  # one text prompt, no messages (the pre-chat completions)
        s.text(at("prompt"), "messages", "user", "prompt")
    elif kind == "embedding":  # what is embedded is data: counted nowhere, never a template
        s.parts.append(Part("messages", "user", None, hole="embedded input", span=draft.span))
    elif kind == "agent":  # a framework's agent: its instructions are the system prompt of every run
        slots = registered.text if (registered := sinks.sink_of(draft.provider, draft.api)) else ()
        for i, (key, value) in enumerate(draft.params):
            if key in slots or key == "decorated":
                s.blocks(value, "system", "system", key if key != "decorated" else f"decorated[{i}]")
    else:  # an OpenAI-compatible chat
        s.tools(at("tools"))
        s.messages(at("messages"))


def shape(draft: RequestDraft, book: TemplateBook) -> tuple[Request, list[Example]]:
    s = Shaper(draft, book)
    p = draft.param
    max_param = None
    registered = sinks.sink_of(draft.provider, draft.api)
    if registered is not None and registered.shape:
        _shape_registered(s, registered.shape, draft)
        max_param, _ = _first(draft, registered.cap)
        max_param = max_param or (registered.cap[0] if registered.cap else None)
    elif draft.provider == "anthropic":
        s.tools(p("tools"))
        system = p("system")
        if system is not None:
            s.blocks(system, "system", "system", "system")
        s.messages(p("messages"))
        max_param = "max_tokens"
    elif draft.api.startswith("responses"):
        s.tools(p("tools"))
        s.text(p("instructions"), "system", "system", "instructions", content=False)
        inputs = p("input")
        if isinstance(inputs, v.Seq):
            s.messages(inputs, "input")
        elif inputs is not None:
            s.text(inputs, "messages", "user", "input", message=0)  # one user message
        max_param = "max_output_tokens"
    elif draft.api == "completions.create":
        s.text(p("prompt"), "messages", "user", "prompt")
        max_param = "max_tokens"
    else:  # OpenAI chat completions, LiteLLM
        s.tools(p("tools"))
        s.messages(p("messages"))
        max_param = "max_completion_tokens" if p("max_completion_tokens") is not None else "max_tokens"

    if draft.kwargs_open and not any(part.section in ("system", "messages") for part in s.parts):
        reason = f"prompt: {draft.kwargs_open}"
        s.unresolved.append(reason)
        s.parts.append(Part("messages", "unknown", None, unresolved=reason, span=draft.span))

    max_value = lookup(draft, max_param) if max_param else None
    if max_value is None and max_param and "." in max_param and not _closed(draft, max_param):
        # the cap's container (``config=GenerateContentConfig(**params)``, a body built
        # elsewhere) may hold it: a cap unknown here, not a missing one
        max_value = v.Unknown(f"`{max_param}` inside a value built at run time", max_param, "dynamic", draft.span)
    body = p("body") if registered is not None and registered.shape == "bedrock.invoke" else None
    if max_value is None and isinstance(body, v.Map) and body.get("messages") is None \
            and body.get("anthropic_version") is None:
        # not an Anthropic Messages body (Titan, Llama, an embedding model): its cap, if
        # any, has that family's own name
        max_value = v.Unknown("another model family's request body", max_param or "body", "dynamic", draft.span)
    model_value = _first(draft, registered.model)[1] if registered is not None and registered.shape else p("model")
    endpoint = next((p(k) for k in sinks.ENDPOINTS if p(k) is not None), None)
    server, server_notes = _served_on_this_machine(endpoint, p("api_key") if endpoint is not None else None)
    cap_span = draft.param_span(max_param) or getattr(max_value, "span", None) if max_param else None
    max_param = max_param.rsplit(".", 1)[-1] if max_param else None
    request = Request(
        id=draft.id, path=draft.path, span=draft.span, provider=draft.provider, api=draft.api,
        function=draft.function, model=text_of(model_value), model_span=getattr(model_value, "span", None),
        deployment=isinstance(p("deployment"), v.Lit) and p("deployment").value is True,
        embedding=registered is not None and registered.embedding,
        max_tokens=int_of(max_value), max_tokens_param=max_param if max_value is not None else None,
        max_tokens_span=cap_span if max_value is not None else None,
        max_tokens_dynamic=max_value is not None and int_of(max_value) is None,
        parts=tuple(s.parts), auto_cache=_automatic_cache(draft),
        cache_mode=s.cache_mode,
        stream=draft.stream, batch=draft.batch, in_loop=draft.in_loop, loop_kind=draft.loop_kind,
        interactive=draft.interactive, is_async=draft.is_async, unresolved=tuple(s.unresolved),
        kwargs_open=draft.kwargs_open, loops=draft.loops, history=draft.history,
        history_in_text=draft.history_in_text, history_turns=draft.history_turns, episode=draft.episode, cached_by=draft.cached_by,
        notes=(*_model_notes(model_value), *server_notes), via=draft.via,
        local_server=server,
    )
    return request, s.examples


def _served_on_this_machine(url: v.Value | None, api_key: v.Value | None = None) -> tuple[str | None, tuple[str, ...]]:
    """The URL of the server on this machine a request is sent to, when it is written out,
    with the note saying so; a default the environment may replace
    (``os.getenv("OPENAI_BASE_URL", "http://localhost:..")``) is only noted. A URL set at run
    time on a client whose key says the server checks none (``api_key="not-needed"``) is a
    self-hosted server too."""
    text = text_of(url) if url is not None else None
    key = text_of(api_key) if isinstance(api_key, v.Str) and not api_key.assumed else None
    if text is None and keyless(key):
        return f"api_key={key!r}", (f"sent to a self-hosted server (its URL is set at run time; api_key=\"{key}\" "
                                    "is what servers that check no key are given): a model it runs itself is priced "
                                    "at $0, a vendor's model it forwards at that model's price",)
    if text is None or not local_server(text):
        return None, ()
    if isinstance(url, v.Str) and url.assumed:
        return None, (f"`base_url` is a local server ({text}) only as {url.assumed}: priced as the model it names",)
    return text, (f"sent to a server on this machine ({text}): a model it runs itself is priced at $0, "
                  "a vendor's model it forwards (a gateway) at that model's price",)


def _model_notes(model: v.Value | None) -> tuple[str, ...]:
    if model is None:
        return ()
    if isinstance(model, v.Str) and model.assumed and text_of(model) is not None:
        return (f"model `{model.text}` is {model.assumed}: the environment may choose another",)
    return ("model is not a literal",) if text_of(model) is None else ()


def constant_templates(name: str, value: v.Value, path: str, book: TemplateBook, holes: bool = True,
                       evidence: tuple[Evidence, ...] = (), registered: list[str] | None = None) -> list[Example]:
    """Register every string of a prompt constant; list-of-examples constants give examples.

    ``holes`` marks ``{name}`` fields in the text (off for text whose holes are already
    known, such as a LangChain template's). In a message list only the messages' text
    counts (not tool-call ids or names); anywhere, a leaf that is a URL, a glob, a path or
    an environment variable's name is a setting, not prompt text. ``registered`` collects
    the ids of the templates."""
    base_role = "system" if any(w in name.upper() for w in ("SYSTEM", "INSTRUCTION")) else "unknown"
    examples: list[Example] = []
    constant_id = f"{path}::{name}"
    messages = is_message_list(value)
    shape = (Evidence("shape", f"a message of the list `{name}` in {path}"),) if messages else ()

    def visit(val: v.Value, where: str, role: str, extra: tuple[Evidence, ...]) -> list[str]:
        if isinstance(val, v.Str):
            if not has_text(val.segments) or (where and not val.has_holes and not_text(val.text) in _SETTINGS):
                return []
            tid = book.add(v.placeholder_holes(val) if holes else val, constant_id + where, role,
                           evidence=(*extra, *evidence))
            if registered is not None:
                registered.append(tid)
            return [tid]
        if isinstance(val, v.Seq):
            ids: list[str] = []
            for i, item in enumerate(val.items):
                ids += visit(item, f"{where}[{i}]", role, extra)
            return ids
        if isinstance(val, v.Map):
            is_message = val.get("role") is not None
            inner_role = _role(val.get("role")) if is_message else role
            ids = []
            for key, item in val.items:
                if key in _MARKUP_KEYS or (messages and is_message and key not in _TEXT_KEYS):
                    continue
                ids += visit(item, f"{where}.{key}", inner_role, shape if is_message else extra)
            return ids
        return []

    visit(value, "", base_role, ())
    if "EXAMPLE" in name.upper() or "SHOT" in name.upper():
        examples.extend(_constant_examples(constant_id, value, book))
    elif isinstance(value, v.Seq):
        examples.extend(_message_examples(constant_id, value, book))
    return examples


_TEXT_KEYS = ("content", "text", "parts")
_MARKUP_KEYS = ("role", "type", "cache_control", "prompt_cache_breakpoint")  # never prompt text
_SETTINGS = ("a URL", "a glob", "a file path", "an environment variable's name")


def is_message_list(value: v.Value | None) -> bool:
    """A list of role dicts (``{"role": "user", "content": ...}``) or message objects."""
    return isinstance(value, v.Seq) and any(
        isinstance(i, v.Map) and isinstance(i.get("role"), v.Str) and role_of(i.get("role").text) != "unknown"  # type: ignore[union-attr]
        and any(i.get(k) is not None for k in _TEXT_KEYS)
        for i in value.items)


def _message_examples(constant_id: str, value: v.Seq, book: TemplateBook) -> list[Example]:
    """A message list's user/assistant pairs before its final turn (all pairs when the
    list is only demonstrations: user and assistant turns ending with an answer)."""
    turns = []
    for i, item in enumerate(value.items):
        if not isinstance(item, v.Map) or item.get("role") is None:
            return []
        content = item.get("content")
        tid = content.origin if isinstance(content, v.Str) and content.origin else f"{constant_id}[{i}].content"
        template = book.templates.get(tid)
        static = template is not None and not template.placeholders
        where = getattr(content, "span", None) or getattr(item, "span", None)
        turns.append(Turn(_role(item.get("role")), (tid,) if template else (), where, static,
                          template.text if template else ""))
    if turns and turns[-1].role == "assistant" and all(t.role in ("user", "assistant") for t in turns):
        turns.append(Turn("user", (), None, False))  # only demonstrations: every pair counts
    return pair_examples(constant_id, turns)


def _templates_by_item(constant_id: str, book: TemplateBook) -> dict[int, list[str]]:
    """Template ids under ``constant_id[i]`` (itself, ``.key`` or ``[j]`` below it) by
    item, in one pass over the book (not one per item: a long list was quadratic)."""
    head = constant_id + "["
    found: dict[int, list[str]] = {}
    for tid in book.templates:
        if not tid.startswith(head):
            continue
        close = tid.find("]", len(head))
        number = tid[len(head):close] if close > 0 else ""
        rest = tid[close + 1:]
        if number.isdigit() and (not rest or rest[0] in ".["):
            found.setdefault(int(number), []).append(tid)
    return found


def _constant_examples(constant_id: str, value: v.Value, book: TemplateBook) -> list[Example]:
    if not isinstance(value, v.Seq):
        return []
    items = value.items
    roles = [_role(i.get("role")) if isinstance(i, v.Map) else "unknown" for i in items]
    examples: list[Example] = []
    if items and all(r in ("user", "assistant") for r in roles):
        for i in range(len(items) - 1):
            if roles[i] == "user" and roles[i + 1] == "assistant":
                ids = tuple(t for t in (f"{constant_id}[{i}].content", f"{constant_id}[{i + 1}].content") if t in book.templates)
                answer = book.templates[ids[-1]].text if len(ids) == 2 else None
                examples.append(Example(constant_id, ids, label_of(answer), getattr(items[i], "span", None)))
        return examples
    by_item = _templates_by_item(constant_id, book)
    for i, item in enumerate(items):
        ids = tuple(by_item.get(i, ()))
        if not ids:
            continue
        label = None
        if isinstance(item, v.Map):
            label = next((found for found in (label_of(text_of(item.get(key))) for key in ANSWER_KEYS) if found), None)
        examples.append(Example(constant_id, ids, label, getattr(item, "span", None)))
    return examples
