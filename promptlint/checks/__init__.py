"""Rule checks, grouped by family; each rule file in ``rules/`` names its function here.

A check takes a :class:`~promptlint.rules.RuleContext` and yields findings with the
saving described as token usage before and after (priced later by the price stage).
"""

from __future__ import annotations

from dataclasses import dataclass

from promptlint.types import Part, Request


def fmt_tokens(n: int) -> str:
    return f"{n:,}"


def uses_block_caching(ctx, request: Request) -> bool:
    """Whether the request goes to an API with Anthropic-style ``cache_control`` caching."""
    if request.provider == "anthropic":
        return True
    if request.provider == "litellm":
        return ctx.catalog.provider(ctx.measurements.requests[request.id].model) == "anthropic"
    return False


def part_is_static(ctx, part: Part) -> bool:
    """Known text with no placeholder: the same bytes on every request."""
    if not part.static:
        return False
    template = ctx.project.templates.get(part.template)
    return template is not None and not template.placeholders


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
    end = -1
    for i, part in enumerate(request.parts):
        if not part_is_static(ctx, part):
            break
        end = i
    templates = tuple(dict.fromkeys(p.template for p in request.parts[: end + 1] if p.template))
    tokens = counts.prefix(end) if end >= 0 else 0
    return Prefix(end, tokens, templates)


def describe_prefix(ctx, request: Request, end: int) -> str:
    sections = []
    for part in request.parts[: end + 1]:
        label = {"tools": "tools", "system": "system prompt", "messages": "messages"}[part.section]
        if label not in sections:
            sections.append(label)
    return " + ".join(sections) if sections else "prefix"
