"""Rule checks, grouped by family; each rule file in ``rules/`` names its function here.

A check takes a :class:`~promptlint.rules.RuleContext` and yields findings with the
saving described as token usage before and after (priced later by the price stage).
"""

from __future__ import annotations

from dataclasses import dataclass

from promptlint.types import CacheMark, Part, Project, Request


def fmt_tokens(n: int) -> str:
    """A count with thousands separators, as findings and reports (``report.fmt_int``) write it."""
    return f"{n:,}"


def marker_for(catalog, request: Request, model: str | None) -> str | None:
    """How ``request`` marks a prefix to cache on ``model``: ``cache_control`` (Anthropic,
    and LiteLLM to Claude), ``prompt_cache_breakpoint`` (OpenAI GPT-5.6 and later, by the
    model's facts), or None where caching is automatic only or unknown (OpenAI before
    GPT-5.6). None on a model that never offered caching (Claude 3 Sonnet, GPT-4): every
    caching rule reads this, so none advises or prices a cache there."""
    if not catalog.caches(model):
        return None
    if request.provider == "anthropic":
        return "cache_control"
    if request.provider not in ("openai", "litellm"):
        return None
    marker, _ = catalog.cache_breakpoints(model)
    if marker is None and request.provider == "litellm" and catalog.provider(model) == "anthropic":
        return "cache_control"  # a Claude model the facts file does not list
    return marker if request.provider == "litellm" or marker == "prompt_cache_breakpoint" else None


def implicit_for(catalog, request: Request, model: str | None) -> bool:
    """OpenAI GPT-5.6+ in its default ``implicit`` mode: besides the request's own
    breakpoints, OpenAI places one on the latest message (and it takes one of the four
    write slots). ``prompt_cache_options={"mode": "explicit"}`` turns it off."""
    return marker_for(catalog, request, model) == "prompt_cache_breakpoint" and request.cache_mode != "explicit"


def cache_marker(ctx, request: Request) -> str | None:
    """The marker the caching rules check for. OpenAI's only on a model the call names:
    an older model than it is priced as would reject ``prompt_cache_breakpoint``."""
    marker = marker_for(ctx.catalog, request, ctx.measurements.requests[request.id].model)
    return None if marker == "prompt_cache_breakpoint" and request.model is None else marker


def implicit_caching(ctx, request: Request) -> bool:
    return cache_marker(ctx, request) == "prompt_cache_breakpoint" and request.cache_mode != "explicit"


def uses_block_caching(ctx, request: Request) -> bool:
    """Whether the request goes to an API with Anthropic-style ``cache_control`` caching."""
    return cache_marker(ctx, request) == "cache_control"


def part_is_static(project: Project, part: Part) -> bool:
    """Known text with no placeholder and no fill point: the same bytes on every request."""
    if not part.static:
        return False
    template = project.templates.get(part.template)
    return template is not None and not template.varying


_PER_REQUEST: dict[tuple[str, int], tuple[tuple, object]] = {}


def _per_request(what: str, request: Request, owners: tuple, compute):
    """``compute()`` once per request (and the objects it depends on): every finding on a
    request prices its scenario, and a request of thousands of parts had thousands of
    findings, each walking all its parts again."""
    key = (what, id(request))
    known = _PER_REQUEST.get(key)
    if known is not None and len(known[0]) == len(owners) and all(a is b for a, b in zip(known[0], owners)):
        return known[1]
    if len(_PER_REQUEST) > 50_000:
        _PER_REQUEST.clear()
    value = compute()
    _PER_REQUEST[key] = (owners, value)
    return value


def static_end(project: Project, request: Request) -> int:
    """Index of the last of the leading parts that are static (-1 when the first is not)."""
    def compute() -> int:
        end = -1
        for i, part in enumerate(request.parts):
            if not part_is_static(project, part):
                break
            end = i
        return end

    return _per_request("static_end", request, (request, project), compute)


def breakpoints(request: Request) -> list[tuple[int, CacheMark]]:
    """Every cache breakpoint as (index of the part it follows, its mark), in part order:
    the parts' own ``cache_control``, then automatic caching's on the last part."""
    def compute() -> tuple:
        marks = [(i, p.cache) for i, p in enumerate(request.parts) if p.cache is not None]
        if request.auto_cache is not None and request.parts:
            marks.append((len(request.parts) - 1, request.auto_cache))
        return tuple(marks)

    return list(_per_request("breakpoints", request, (request,), compute))


def one_shot(request: Request) -> bool:
    """Every run-time message content is in the last message: no history before it."""
    messages = [p for p in request.parts if p.section == "messages"]
    if not messages or any(p.message is None for p in messages):
        return False
    last = max(p.message for p in messages)  # type: ignore[type-var]
    return all(p.static or p.message == last for p in messages)


def conversation(request: Request) -> bool:
    """Earlier turns known only at run time are sent before the new one (a chat history):
    with automatic caching each call reads what the previous call wrote."""
    return any(p.section == "messages" for p in request.parts) and not one_shot(request)


@dataclass(frozen=True)
class Prefix:
    end: int  # index of the last part in the prefix (-1 when empty)
    tokens: int
    templates: tuple[str, ...]


def static_prefix(ctx, request: Request) -> Prefix:
    """The leading parts that are identical on every request (what a breakpoint can cache)."""
    counts = ctx.measurements.requests[request.id]
    end = static_end(ctx.project, request)
    templates = tuple(dict.fromkeys(p.template for p in request.parts[: end + 1] if p.template))
    tokens = counts.prefix(end) if end >= 0 else 0
    return Prefix(end, tokens, templates)


def describe_prefix(ctx, request: Request, end: int) -> str:
    sections = []
    for part in request.parts[: end + 1]:
        label = {"tools": "tools", "system": "system prompt", "messages": "messages"}[part.section]
        if part.section == "messages" and part.role == "system" and "messages" not in sections:
            label = "system prompt"  # a system (or developer) message, as OpenAI sends it
        elif part.section == "system" and request.api.startswith("responses"):
            label = "instructions"
        if label not in sections:
            sections.append(label)
    return " + ".join(sections) if sections else "prefix"
