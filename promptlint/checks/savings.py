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
from typing import Callable

from promptlint.checks.prompt_text import prompt_index
from promptlint.pricing import request_scenario
from promptlint.tokens import RequestTokens, request_tokens
from promptlint.traffic import billing_hit_rate
from promptlint.types import Request, Saving, Usage


def scenario(ctx, request: Request, counts: RequestTokens) -> tuple[Usage, ...]:
    """The request's billed usage, each naming the request so it is priced at its traffic."""
    hit_rate = billing_hit_rate(getattr(ctx, "traffic", None), ctx.config.cache_hit_rate, request.id)
    usages = request_scenario(request, counts, ctx.catalog, ctx.project, hit_rate)
    return tuple(replace(u, site=request.id) for u in usages)


def text_saving(ctx, changes: dict[str, str], only: list[Request] | None = None) -> Saving | None:
    """Saving of replacing templates' static text (``{template id: new text}``).

    Priced on every request that sends a changed template (or on ``only`` those); a
    template no request sends (a prompt file, an unlinked constant) is priced as plain
    input on its own model. ``tokens`` is the largest per-request reduction.
    """
    def new_text(tid: str, model: str, _old: int) -> int:
        return ctx.counter.count(changes[tid], model)

    tokens, before, after = _swap_parts(ctx, list(changes), new_text, only)
    return Saving(tokens, before, after) if tokens > 0 else None


def template_reduction(ctx, template_id: str, tokens: int) -> Saving:
    """Saving of a template ``tokens`` shorter, on every request that sends it."""
    _, before, after = _swap_parts(ctx, [template_id], lambda _tid, _model, n: max(0, n - tokens))
    return Saving(tokens, before, after)


def _swap_parts(ctx, template_ids: list[str], new_count: Callable[[str, str, int], int],
                only: list[Request] | None = None) -> tuple[int, tuple[Usage, ...], tuple[Usage, ...]]:
    """Usage before and after the templates' parts become ``new_count(template id, model,
    tokens now)`` tokens, on every request that sends one of them (or on ``only`` those),
    and the largest reduction of one request's input. A template no request sends is
    priced as plain input on its own model."""
    index = prompt_index(ctx.project)
    changed = set(template_ids)
    requests = {r.id: r for r in only} if only else {r.id: r for tid in template_ids for r in index.requests(tid)}
    before: list[Usage] = []
    after: list[Usage] = []
    tokens = 0
    for request in requests.values():
        counts = ctx.measurements.requests[request.id]
        reduced = counts.with_parts(new_count(p.template, counts.model, n) if p.template in changed else n
                                    for p, n in zip(request.parts, counts.parts))
        tokens = max(tokens, counts.input_tokens - reduced.input_tokens)
        before += scenario(ctx, request, counts)
        after += scenario(ctx, request, reduced)
    for tid in template_ids:
        if index.requests(tid):
            continue
        model = ctx.measurements.template_models[tid]
        old = ctx.measurements.templates[tid]
        new = new_count(tid, model, old)
        tokens = max(tokens, old - new)
        before.append(Usage(model, input_tokens=old))
        after.append(Usage(model, input_tokens=new))
    return tokens, tuple(before), tuple(after)


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
