"""Savings as whole-request usage before and after a change, for the price stage.

Every rule that saves money describes the change (a template's new text, a cheaper
model, the batch discount) and gets back a :class:`Saving` whose ``before`` and ``after``
are the billed usage of every request the change touches, each with that request's
pricing model and cache scenario (``pricing.request_scenario``: cached prefix read at the
hit rate, written on a miss). Token savings come from recounting the new text with the
request's model, never from assuming.
"""

from __future__ import annotations

from dataclasses import replace

from promptlint.checks.prompt_text import prompt_index
from promptlint.pricing import request_scenario
from promptlint.tokens import RequestTokens, request_tokens
from promptlint.types import Request, Saving, Usage


def scenario(ctx, request: Request, counts: RequestTokens) -> tuple[Usage, ...]:
    return request_scenario(request, counts, ctx.catalog, ctx.project, ctx.config.cache_hit_rate)


def text_saving(ctx, changes: dict[str, str], only: list[Request] | None = None) -> Saving | None:
    """Saving of replacing templates' static text (``{template id: new text}``).

    Priced on every request that sends a changed template (or on ``only`` those); a
    template no request sends (a prompt file, an unlinked constant) is priced as plain
    input on its own model. ``tokens`` is the largest per-request reduction.
    """
    index = prompt_index(ctx.project)
    requests = {r.id: r for r in only} if only else {r.id: r for tid in changes for r in index.requests(tid)}
    before: list[Usage] = []
    after: list[Usage] = []
    tokens = 0
    for request in requests.values():
        counts = ctx.measurements.requests[request.id]
        parts = list(counts.parts)
        for i, part in enumerate(request.parts):
            if part.template in changes:
                parts[i] = ctx.counter.count(changes[part.template], counts.model)
        reduced = counts.with_parts(parts)
        tokens = max(tokens, counts.input_tokens - reduced.input_tokens)
        before += scenario(ctx, request, counts)
        after += scenario(ctx, request, reduced)
    for tid, text in changes.items():
        if index.requests(tid):
            continue
        model = ctx.measurements.template_models[tid]
        old = ctx.measurements.templates[tid]
        new = ctx.counter.count(text, model)
        tokens = max(tokens, old - new)
        before.append(Usage(model, input_tokens=old))
        after.append(Usage(model, input_tokens=new))
    if tokens <= 0:
        return None
    return Saving(tokens, tuple(before), tuple(after))


def template_reduction(ctx, template_id: str, tokens: int) -> Saving:
    """Saving of a template ``tokens`` shorter, on every request that sends it."""
    index = prompt_index(ctx.project)
    before: list[Usage] = []
    after: list[Usage] = []
    for request in index.requests(template_id):
        counts = ctx.measurements.requests[request.id]
        parts = [max(0, n - tokens) if p.template == template_id else n for p, n in zip(request.parts, counts.parts)]
        before += scenario(ctx, request, counts)
        after += scenario(ctx, request, counts.with_parts(parts))
    if not before:
        model = ctx.measurements.template_models[template_id]
        old = ctx.measurements.templates[template_id]
        before.append(Usage(model, input_tokens=old))
        after.append(Usage(model, input_tokens=max(0, old - tokens)))
    return Saving(tokens, tuple(before), tuple(after))


def request_reduction(ctx, request: Request, tokens: int) -> Saving:
    """Saving of a request ``tokens`` shorter, taken from its parts in proportion."""
    counts = ctx.measurements.requests[request.id]
    total = sum(counts.parts) or 1
    parts = [max(0, n - round(tokens * n / total)) for n in counts.parts]
    return Saving(tokens, scenario(ctx, request, counts), scenario(ctx, request, counts.with_parts(parts)))


def recount(ctx, request: Request, model: str) -> RequestTokens:
    """The request's token counts if it were sent to ``model`` (tokenizers differ)."""
    return request_tokens(request, ctx.project, ctx.catalog, model, lambda text: ctx.counter.count(text, model))


def with_output(usages: tuple[Usage, ...], output_tokens: int) -> tuple[Usage, ...]:
    return tuple(replace(u, output_tokens=output_tokens) for u in usages)


def batched(usages: tuple[Usage, ...]) -> tuple[Usage, ...]:
    return tuple(replace(u, batch=True) for u in usages)


def priced_positive(ctx, saving: Saving | None) -> bool:
    """Whether the change saves money at all (caching can turn a shorter prompt dearer)."""
    return saving is not None and ctx.pricer.saving(saving) > 0
