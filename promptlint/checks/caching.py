"""Prompt-caching rules: PL201, PL203, PL204 (and PL202 in the rule catalog issue).

Anthropic caches the prefix tools -> system -> messages up to a ``cache_control``
breakpoint, or up to the last cacheable block with top-level ``cache_control``
(automatic caching). A prefix shorter than the model's minimum is silently not cached.
"""

from __future__ import annotations

from promptlint.checks import describe_prefix, fmt_tokens, part_is_static, static_prefix, uses_block_caching
from promptlint.types import Fix, Saving, Usage

MAX_BREAKPOINTS = 4  # a fifth explicit breakpoint is rejected (FACTS.md, "Prompt caching")


def cache_saving(model: str, total_input: int, prefix: int, hit_rate: float, ttl: str = "5m") -> Saving:
    """Uncached request vs. the same request with ``prefix`` tokens cached at ``hit_rate``.

    Hits read the prefix at the cache-read rate; misses write it at the write premium.
    """
    rest = total_input - prefix
    before = (Usage(model, input_tokens=total_input),)
    write = {"cache_write_1h_tokens": prefix} if ttl == "1h" else {"cache_write_tokens": prefix}
    after = (
        Usage(model, input_tokens=rest, cache_read_tokens=prefix, weight=hit_rate),
        Usage(model, input_tokens=rest, weight=1 - hit_rate, **write),
    )
    return Saving(prefix, before, after)


def missing_cache_breakpoint(ctx):
    hit_rate = ctx.config.cache_hit_rate
    for request in ctx.project.requests:
        if not uses_block_caching(ctx, request) or request.auto_cache or request.cache_breakpoints:
            continue
        counts = ctx.measurements.requests[request.id]
        prefix = static_prefix(ctx, request)
        minimum, sourced = ctx.catalog.min_cacheable(counts.model)
        if prefix.end < 0 or prefix.tokens < minimum:
            continue
        saving = cache_saving(counts.model, counts.input_tokens, prefix.tokens, hit_rate)
        if ctx.pricer is not None and ctx.pricer.saving(saving) <= 0:
            continue  # at this hit rate the write premium eats the reads
        what = describe_prefix(ctx, request, prefix.end)
        biggest = max(prefix.templates, key=lambda t: ctx.measurements.templates.get(t, 0), default=None)
        source = f" (`{biggest}`)" if biggest and biggest.split("::")[0] != request.path else ""
        assumed = "" if sourced else " (assumed; no sourced minimum for this model)"
        yield ctx.finding(
            request.span,
            f"{what}{source} of {fmt_tokens(prefix.tokens)} tokens is sent uncached; {counts.model} caches "
            f"prefixes from {fmt_tokens(minimum)} tokens{assumed}",
            request=request.id, template=biggest, saving=saving,
            fix=Fix("unsafe", f"put cache_control={{'type': 'ephemeral'}} on the last block of the {what} "
                              "(top-level automatic caching only pays off for multi-turn conversations)"),
        )


def cache_below_minimum(ctx):
    for request in ctx.project.requests:
        if not uses_block_caching(ctx, request):
            continue
        counts = ctx.measurements.requests[request.id]
        minimum, sourced = ctx.catalog.min_cacheable(counts.model)
        marks = [(i, p.cache) for i, p in enumerate(request.parts) if p.cache is not None]
        if request.auto_cache is not None and request.parts:
            marks.append((len(request.parts) - 1, request.auto_cache))
        for index, mark in marks:
            if not all(part_is_static(ctx, p) for p in request.parts[: index + 1]):
                continue  # run-time content before the breakpoint: its length is unknown
            tokens = counts.prefix(index)
            if tokens >= minimum:
                continue
            kind = "automatic cache breakpoint" if mark is request.auto_cache else "cache breakpoint"
            assumed = "" if sourced else " (assumed)"
            yield ctx.finding(
                mark.span or request.span,
                f"{kind} covers {fmt_tokens(tokens)} tokens, below {counts.model}'s minimum of "
                f"{fmt_tokens(minimum)}{assumed}: the prefix is silently not cached",
                request=request.id,
                template=request.parts[index].template,
            )


def too_many_cache_breakpoints(ctx):
    for request in ctx.project.requests:
        if not uses_block_caching(ctx, request):
            continue
        count = request.cache_breakpoints
        if count > MAX_BREAKPOINTS:
            yield ctx.finding(
                request.span,
                f"{count} cache_control breakpoints; the API rejects a request with more than {MAX_BREAKPOINTS}",
                request=request.id,
            )
