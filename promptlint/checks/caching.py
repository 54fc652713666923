"""Prompt-caching rules: PL201, PL202, PL203, PL204.

Anthropic caches the prefix tools -> system -> messages up to a ``cache_control``
breakpoint, or up to the last cacheable block with top-level ``cache_control``
(automatic caching). OpenAI caches automatically from 1,024 tokens; from GPT-5.6 on it
matches a cached prefix only at a breakpoint: the ``prompt_cache_breakpoint`` markers on
content blocks, and in the default implicit mode one more on the latest message. Writes
cost 1.25x input there, and a request writes at most four breakpoints. A prefix shorter
than the model's minimum is silently not cached.
"""

from __future__ import annotations

from dataclasses import dataclass

from promptlint.checks import (breakpoints, cache_marker, conversation, describe_prefix, fmt_tokens, implicit_caching,
                               one_shot, part_is_static, static_prefix)
from promptlint.checks.loops import resent_history
from promptlint.checks.packs import matcher, rule_categories
from promptlint.checks.savings import priced_positive
from promptlint.pricing import cache_mix
from promptlint.traffic import caching_hit_rate
from promptlint.types import OPENAI_CACHE_TTL, CacheEdit, CacheMark, Fix, Saving, Span, Usage

MAX_BREAKPOINTS = 4  # a fifth explicit breakpoint is rejected (FACTS.md, "Prompt caching")
OPENAI_MARK = "prompt_cache_breakpoint={'mode': 'explicit'}"
EXPLICIT_MODE = "prompt_cache_options={'mode': 'explicit'}"
# Fixed text before a breakpoint, around a run-time value, that is instructions worth caching
# rather than the tags around a document (PL203).
_INSTRUCTIONS = 64


def cache_saving(model: str, total_input: int, prefix: int, hit_rate: float, ttl: str = "5m",
                 batch: bool = False) -> Saving:
    """Uncached request vs. the same request with ``prefix`` tokens cached at ``hit_rate``.

    Hits read the prefix at the cache-read rate; misses write it at the write premium.
    """
    before = (Usage(model, input_tokens=total_input, batch=batch),)
    return Saving(prefix, before, cache_mix(model, total_input, prefix, hit_rate, ttl, batch=batch))


def missing_cache_breakpoint(ctx):
    sites = call_sites(ctx.project.requests)
    for request in ctx.project.requests:
        marker = cache_marker(ctx, request)
        if marker is None or request.auto_cache or request.cache_breakpoints:
            continue
        if resent_history(request) is not None:
            continue  # a growing conversation: PL205 prices caching it whole, static prefix included
        if marker == "prompt_cache_breakpoint":
            found = _openai_missing_breakpoint(ctx, request)
            if found is not None:
                yield found
            continue
        counts = ctx.measurements.requests[request.id]
        prefix = static_prefix(ctx, request)
        minimum, sourced = ctx.catalog.min_cacheable(counts.model)
        if prefix.end < 0 or prefix.tokens < minimum:
            continue
        hit_rate, measured = caching_hit_rate(ctx, request.id)
        saving = cache_saving(counts.model, counts.input_tokens, prefix.tokens, hit_rate, batch=request.batch)
        if not priced_positive(ctx, saving):
            continue  # at this hit rate the write premium eats the reads
        what = describe_prefix(ctx, request, prefix.end)
        biggest = max(prefix.templates, key=lambda t: ctx.measurements.templates.get(t, 0), default=None)
        source = f" (`{biggest}`)" if biggest and biggest.split("::")[0] != request.path else ""
        assumed = "" if sourced else " (assumed; no sourced minimum for this model)"
        if request.provider == "anthropic" and conversation(request):
            fix = Fix("unsafe", "turn on automatic caching (top-level cache_control={'type': 'ephemeral'}): "
                                "each turn of the conversation reads what the previous one cached",
                      (CacheEdit(request.id),))
        else:
            fix = Fix("unsafe", f"put cache_control={{'type': 'ephemeral'}} on the last block of the {what}",
                      (CacheEdit(request.id, prefix.end),))
        yield ctx.finding(
            call_site(request, sites),
            f"{what}{source} of {fmt_tokens(prefix.tokens)} tokens is sent uncached; {counts.model} caches "
            f"prefixes from {fmt_tokens(minimum)} tokens{assumed}" + (f"; {measured}" if measured else ""),
            request=request.id, template=biggest, saving=saving, fix=fix,
        )


def call_sites(requests) -> dict:
    """The SDK call of each helper, by the ``max_tokens`` argument its callers' requests
    share with the helper's own request."""
    return {_arg_key(r.max_tokens_span): r.span for r in requests if not r.via and r.max_tokens_span is not None}


def call_site(request, sites: dict) -> Span:
    """Where the breakpoint goes: a request made through a helper (``ask(prompt)``) is
    fixed inside the helper, once for all of its callers, so its finding sits on the
    helper's call and the callers' findings merge there (with the helper's own) into one
    that names every request; a direct call is its own place."""
    if request.via and request.max_tokens_span is not None:
        found = sites.get(_arg_key(request.max_tokens_span))
        if found is not None:
            return found
    return request.span


def _arg_key(span: Span) -> tuple:
    return (span.path, span.cell, span.line)  # a keyword and its value: one line, two columns


def _takes_breakpoint(part) -> bool:
    """A content block OpenAI accepts ``prompt_cache_breakpoint`` on: text of a system,
    developer, user or tool message (not an assistant's, nor a tool definition, nor the
    Responses ``instructions`` string)."""
    return part.section == "messages" and part.role != "assistant" and part.template is not None


def _changing(ctx, request, after: int) -> str:
    """The first run-time value after part ``after``, as the finding names it."""
    for part in request.parts[after + 1:]:
        template = ctx.project.templates.get(part.template) if part.template else None
        if template is not None and template.varying:
            return f"`{template.varying[0]}`"
        if part.hole is not None:
            return f"`{part.hole}`"
        if part.unresolved is not None:
            return "a value promptlint cannot see"
    return "run-time content"


def _openai_missing_breakpoint(ctx, request):
    """PL201 on OpenAI GPT-5.6+: what an explicit breakpoint adds over implicit caching.

    Implicit mode's one breakpoint sits on the latest message, and a prefix is matched only
    at a breakpoint: a request that is the same on every call, or a conversation whose
    next turn extends the last one, already reads its prefix, so nothing is said. A one-shot
    request with a changing tail writes everything on every call and reads nothing; a
    breakpoint at the end of the static prefix makes hits read it. In explicit mode with no
    breakpoint nothing is cached at all.
    """
    counts = ctx.measurements.requests[request.id]
    model, total = counts.model, counts.input_tokens
    minimum, sourced = ctx.catalog.min_cacheable(model)
    static = static_prefix(ctx, request)
    if static.end < 0 or static.tokens < minimum:
        return None
    implicit = implicit_caching(ctx, request)
    if implicit and (static.end == len(request.parts) - 1 or conversation(request)):
        return None  # the implicit breakpoint already gives these reads
    end = max((i for i in range(static.end + 1) if _takes_breakpoint(request.parts[i])), default=-1)
    markable = end >= 0 and counts.prefix(end) >= minimum
    instructions = any(p.section == "system" for p in request.parts[: static.end + 1])
    if not markable and not instructions:
        return None  # the static prefix ends in tool definitions, which take no breakpoint
    end, tokens = (end, counts.prefix(end)) if markable else (static.end, static.tokens)
    hit_rate, measured = caching_hit_rate(ctx, request.id)
    if implicit:  # before: every call writes all of it; after: hits read the prefix, the rest is still written
        before = cache_mix(model, total, 0, hit_rate, OPENAI_CACHE_TTL, batch=request.batch, written=total)
        after = cache_mix(model, total, tokens, hit_rate, OPENAI_CACHE_TTL, batch=request.batch, written=total)
    else:  # explicit mode and no breakpoint: nothing is cached
        before = (Usage(model, input_tokens=total, batch=request.batch),)
        after = cache_mix(model, total, tokens, hit_rate, OPENAI_CACHE_TTL, batch=request.batch)
    saving = Saving(tokens, before, after)
    if not priced_positive(ctx, saving):
        return None
    what = describe_prefix(ctx, request, end)
    biggest = max(static.templates, key=lambda t: ctx.measurements.templates.get(t, 0), default=None)
    source = f" (`{biggest}`)" if biggest and biggest.split("::")[0] != request.path else ""
    assumed = "" if sourced else " (assumed; no sourced minimum for this model)"
    facts = ctx.catalog.facts(model)
    premium = f"{facts.cache_write_multiplier:g}x input" if facts and facts.cache_write_multiplier else \
        "the write premium"
    if implicit:
        why = (f"{model} reads a cached prefix only at a breakpoint, and its one implicit breakpoint sits on the "
               f"latest message, after {_changing(ctx, request, static.end)}, which changes between calls: each "
               f"call writes all {fmt_tokens(total)} tokens at {premium} and reads none")
    else:
        why = f"{EXPLICIT_MODE} turns implicit caching off and no block carries a breakpoint: nothing is cached"
    message = (f"no prompt_cache_breakpoint ends the {what}{source} ({fmt_tokens(tokens)} tokens); {why} "
               f"({model} caches prefixes from {fmt_tokens(minimum)} tokens{assumed})"
               + (f"; {measured}" if measured else ""))
    rest = f"; {EXPLICIT_MODE} would also stop writing the rest on every call" if implicit else ""
    if not markable:
        fix = Fix("unsafe", "send the instructions as the first `input` message (role developer), its input_text "
                            f"block carrying {OPENAI_MARK}: `instructions` takes no breakpoint{rest}")
    elif request.provider == "openai":
        fix = Fix("unsafe", f"put {OPENAI_MARK} on the last content block of the {what}{rest}",
                  (CacheEdit(request.id, end),))
    else:
        fix = Fix("unsafe", f"put {OPENAI_MARK} on the last content block of the {what}{rest}")
    return ctx.finding(request.span, message, request=request.id, template=biggest, saving=saving, fix=fix)


def cache_below_minimum(ctx):
    for request in ctx.project.requests:
        if cache_marker(ctx, request) is None:
            continue
        counts = ctx.measurements.requests[request.id]
        minimum, sourced = ctx.catalog.min_cacheable(counts.model)
        known_upto = static_prefix(ctx, request).end
        for index, mark in breakpoints(request):
            tokens = counts.prefix(index)
            if tokens >= minimum:
                continue
            kind = "automatic cache breakpoint" if mark is request.auto_cache else "cache breakpoint"
            assumed = "" if sourced else " (assumed)"
            if index > known_upto:
                # run-time content before the breakpoint, and the fixed text alone is too short:
                # the cache is written only when the value makes up the difference, and read
                # only by a later call with the very same value
                value, section = _first_runtime_value(ctx, request, index)
                if value is None or (section == "messages" and conversation(request)):
                    continue  # unseen (PL002), or earlier turns that the next call re-sends as they are
                if tokens < _INSTRUCTIONS:
                    continue  # a document in a few tokens of tags: caching the document is the point
                fixed = counts.prefix(known_upto) if known_upto >= 0 else 0
                yield ctx.finding(
                    mark.span or request.span,
                    f"{kind} covers {fmt_tokens(tokens)} fixed tokens plus `{value}`, known only at run time: below "
                    f"{counts.model}'s minimum of {fmt_tokens(minimum)}{assumed} unless `{value}` is long, and even "
                    f"then a call reads the cache only when its `{value}` is the very same; put the fixed text "
                    f"({fmt_tokens(fixed)} tokens come before `{value}`) first, or drop the breakpoint",
                    request=request.id, template=request.parts[index].template,
                )
                continue
            yield ctx.finding(
                mark.span or request.span,
                f"{kind} covers {fmt_tokens(tokens)} tokens, below {counts.model}'s minimum of "
                f"{fmt_tokens(minimum)}{assumed}: the prefix is silently not cached",
                request=request.id,
                template=request.parts[index].template,
            )


def _first_runtime_value(ctx, request, upto: int) -> tuple[str | None, str | None]:
    """The first placeholder inside fixed text among the parts up to ``upto``, and its section."""
    for part in request.parts[: upto + 1]:
        if part.hole is not None:
            return None, None  # a document passed as its own block: caching it is the point
        template = ctx.project.templates.get(part.template) if part.template else None
        if template is not None and template.varying:
            return template.varying[0], part.section
        if part.unresolved is not None:
            return None, None  # promptlint could not see it: PL002's business
    return None, None


def too_many_cache_breakpoints(ctx):
    for request in ctx.project.requests:
        marker = cache_marker(ctx, request)
        if marker is None:
            continue
        count = request.cache_breakpoints
        if marker == "prompt_cache_breakpoint":
            found = _unwritten_breakpoints(ctx, request)
            if found is not None:
                yield found
        elif count > MAX_BREAKPOINTS:
            yield ctx.finding(
                request.span,
                f"{count} cache_control breakpoints; the API rejects a request with more than {MAX_BREAKPOINTS}",
                request=request.id,
            )


def _unwritten_breakpoints(ctx, request):
    """OpenAI does not reject extra breakpoints: a request writes at most four cache
    entries (three of its own in implicit mode, whose latest-message breakpoint takes one)
    and only the latest markers get them. The earlier ones are read-only, meant for
    breakpoints an earlier turn wrote; in a request of its own they are never written."""
    _, most = ctx.catalog.cache_breakpoints(ctx.measurements.requests[request.id].model)
    implicit = implicit_caching(ctx, request)
    slots = most - 1 if implicit else most
    marked = [i for i, p in enumerate(request.parts) if p.cache is not None]
    if len(marked) <= slots:
        return None
    unwritten = marked[: len(marked) - slots]
    first = request.parts[unwritten[0]]
    where = describe_prefix(ctx, request, unwritten[-1])
    which = f"the first marker (in the {where}) is" if len(unwritten) == 1 else \
        f"the first {len(unwritten)} markers (in the {where}) are"
    share = f" (implicit mode keeps one of the {most} for the latest message)" if implicit else ""
    instead = f"drop the earliest or set {EXPLICIT_MODE}" if implicit and len(marked) <= most else "drop the earliest"
    return ctx.finding(
        first.span or request.span,
        f"{len(marked)} prompt_cache_breakpoint markers, but a request writes at most {slots}{share}: only the "
        f"latest {slots} are written, so {which} never written by this call, and read only if another "
        f"request wrote the same prefix; {instead}",
        request=request.id, severity="warning",
    )


# PL202 ---------------------------------------------------------------------------------
# How many times a month a value changes, by the pack's `changes` key; "request" changes on
# every call; "deploy" (a machine name) splits the cache by machine and is not priced.
_CHANGES_PER_MONTH = {"minute": 43_200, "hour": 720, "day": 30}
_PER_REQUEST = ("request", "minute")


@dataclass(frozen=True)
class _Unstable:
    index: int  # part index
    name: str  # the placeholder as written
    category: object | None  # packs.Category, or None for an interpolation of unknown origin


def _unstable_parts(ctx, request, upto: int, cues) -> list[_Unstable]:
    """Run-time values inside the prefix up to part ``upto`` that make it differ between calls.

    Tools and system: every placeholder (values of unknown origin too), and whole blocks
    whose value is known to change. Messages: only placeholders known to change, and only
    before the conversation's run-time turns begin (the new turn of a conversation is
    expected to change; a document passed as its own block is what caching is for).
    """
    found = []
    for i, part in enumerate(request.parts[: upto + 1]):
        in_messages = part.section == "messages"
        if in_messages and (part.template is None or _is_last_message(request, part)):
            break
        template = ctx.project.templates.get(part.template) if part.template else None
        if template is not None:
            for seg in template.segments:
                if seg.hole is not None:
                    category = cues.first_category(seg.source or seg.hole) or cues.first_category(seg.hole)
                    if category is not None or not in_messages:
                        found.append(_Unstable(i, seg.hole, category))
        elif part.hole is not None:
            category = cues.first_category(part.hole)
            if category is not None:
                found.append(_Unstable(i, part.hole, category))
    return found


def _is_last_message(request, part) -> bool:
    indexes = [p.message for p in request.parts if p.section == "messages" and p.message is not None]
    return part.message is None or (bool(indexes) and part.message == max(indexes))


def unstable_cache_prefix(ctx):
    cues = matcher(rule_categories(ctx), ctx.rule.source)
    for request in ctx.project.requests:
        if cache_marker(ctx, request) is None:
            continue
        marks = breakpoints(request)
        if marks and implicit_caching(ctx, request):
            # the request's own breakpoints first; then OpenAI's implicit one on the latest
            # message, which writes whatever follows them (with none placed, that is PL201's)
            found = _unstable_prefix(ctx, request, marks, None, cues)
            if found is None:
                implicit = CacheMark(ttl=OPENAI_CACHE_TTL, span=request.span)
                found = _unstable_prefix(ctx, request, [*marks, (len(request.parts) - 1, implicit)], implicit, cues)
        else:
            found = _unstable_prefix(ctx, request, marks, request.auto_cache, cues) if marks else None
        if found is not None:
            yield found


def _unstable_prefix(ctx, request, marks, auto, cues):
    """The finding for the last of ``marks`` (``auto`` is the automatic one among them)."""
    hit_rate = ctx.config.cache_hit_rate
    counts = ctx.measurements.requests[request.id]
    minimum, _ = ctx.catalog.min_cacheable(counts.model)
    last, mark = max(marks, key=lambda m: m[0])
    written = counts.prefix(last)
    if written < minimum:
        return None  # nothing is written (or it is PL203's business)
    static = static_prefix(ctx, request)
    stable = max((counts.prefix(i) for i, _ in marks if i <= static.end and counts.prefix(i) >= minimum),
                 default=0)
    automatic = mark is auto
    tail = request.parts[last]
    if last == len(request.parts) - 1 and tail.section == "messages" and not part_is_static(ctx.project, tail) \
            and one_shot(request):
        if written > stable:  # else only the run-time message itself is written: not counted
            return _last_message_finding(ctx, request, counts, stable, written, static, minimum,
                                         hit_rate, mark, automatic)
        return None
    unstable = _unstable_parts(ctx, request, last, cues)
    if unstable:
        return _interpolation_finding(ctx, request, counts, unstable, stable, written, hit_rate, mark, automatic)
    return None


def _last_message_finding(ctx, request, counts, stable, written, static, minimum, hit_rate, mark, automatic):
    """A breakpoint on the last message of a one-shot request: written on every call, never read."""
    model, total = counts.model, counts.input_tokens
    keep = static.tokens if static.tokens >= minimum else 0
    # every call writes the prefix up to the breakpoint; only the stable part before it is read
    before = cache_mix(model, total, stable, hit_rate, mark.ttl, batch=request.batch, written=written)
    after = cache_mix(model, total, keep, hit_rate, mark.ttl, batch=request.batch)
    openai = cache_marker(ctx, request) == "prompt_cache_breakpoint"
    if openai and automatic:
        kind = "implicit caching (the default prompt_cache_options mode) puts a breakpoint on"
    elif openai:
        kind = "a prompt_cache_breakpoint sits on"
    else:
        kind = "automatic caching (top-level cache_control) puts the breakpoint on" if automatic else \
            "a cache_control breakpoint sits on"
    hole = request.parts[-1].hole or "the user's message"
    where = describe_prefix(ctx, request, static.end)
    marker = "prompt_cache_breakpoint" if openai else "cache_control"
    beyond = f" past the {fmt_tokens(stable)} an earlier breakpoint caches" if stable else ""
    below = (f"the static prefix before the first run-time value is {fmt_tokens(static.tokens)} tokens, "
             f"below {counts.model}'s minimum of {fmt_tokens(minimum)}")
    if openai and automatic:
        moved = "" if keep <= stable else \
            f" and put the breakpoint on the last block of the {where} ({fmt_tokens(static.tokens)} tokens)"
        instead = f"set {EXPLICIT_MODE} so only your breakpoints are written{moved}" if keep else \
            f"set {EXPLICIT_MODE} and drop the breakpoints: {below}"
    elif keep:
        instead = f"put {marker} on the last block of the {where} ({fmt_tokens(static.tokens)} tokens) instead"
    else:
        instead = f"drop it: {below}"
    return ctx.finding(
        (mark.span if automatic else request.parts[-1].span) or mark.span or request.span,
        f"{kind} the last message, which changes on every call (`{hole}`) and there is no conversation history: "
        f"at least {fmt_tokens(written - stable)} tokens{beyond} are written to the cache at the write premium on "
        f"every request and never read; {instead}",
        request=request.id, severity="warning",
        saving=Saving(written - stable, before, after),
        fix=Fix("unsafe", instead),
    )


def _change_share(cadence: str | None, requests_per_month: int) -> float:
    """The share of calls that meet a changed value (a daily date: 30 of the month's calls)."""
    if cadence == "request":
        return 1.0
    if cadence in _CHANGES_PER_MONTH:
        return min(1.0, _CHANGES_PER_MONTH[cadence] / max(requests_per_month, 1))
    return 0.0  # unknown origin, or per machine: not priced


def _interpolation_finding(ctx, request, counts, unstable, stable, written, hit_rate, mark, automatic):
    model, total = counts.model, counts.input_tokens
    changes = [u.category.extra.get("changes", "request") if u.category is not None else None for u in unstable]
    per_request = [u for u, c in zip(unstable, changes) if c in _PER_REQUEST]
    worst = per_request[0] if per_request else unstable[0]
    cadence = changes[unstable.index(worst)]
    share = _change_share(cadence, ctx.config.requests_per_month)
    saving = None
    if share > 0:
        # the calls that meet a changed value rewrite the prefix; the others read it as usual
        before = cache_mix(model, total, stable, hit_rate, mark.ttl, share, request.batch, written) + \
            cache_mix(model, total, written, hit_rate, mark.ttl, 1 - share, request.batch)
        after = cache_mix(model, total, written, hit_rate, mark.ttl, batch=request.batch)
        saving = Saving(written - stable, before, after)
    label = worst.category.extra.get("label", worst.category.name) if worst.category else "a run-time value"
    others = sorted({f"`{u.name}`" for u in unstable if u is not worst})
    also = f" (also {', '.join(others[:3])})" if others else ""
    part = request.parts[worst.index]
    where = {"tools": "tool definitions", "system": "system prompt", "messages": "messages"}[part.section]
    if part.section == "messages" and part.role == "system":
        where = "system prompt"  # an OpenAI system or developer message
    openai = cache_marker(ctx, request) == "prompt_cache_breakpoint"
    breakpoint_kind = ("implicit cache breakpoint" if openai else "automatic cache breakpoint") if automatic else \
        "cache breakpoint"
    prefix = f"{fmt_tokens(written)}-token prefix"
    if cadence in _PER_REQUEST:
        effect = f"changes on every call, so the {prefix} is rewritten at the write premium and never read"
    elif cadence is None:
        effect = f"is interpolated, so the cached {prefix} is reused only by calls with the same value"
    elif cadence == "deploy":
        effect = f"differs per machine or process, so each one writes its own copy of the {prefix}"
    else:
        effect = f"changes every {cadence}, and each change rewrites the {prefix}"
    return ctx.finding(
        part.span or request.span,
        f"`{worst.name}` ({label}) in the {where} sits before the {breakpoint_kind}{also} and {effect}; "
        "move it after the breakpoint (into the user message)",
        request=request.id, template=part.template, severity="warning" if cadence in _PER_REQUEST else "info",
        saving=saving,
        fix=Fix("unsafe", "move the changing value after the last cache breakpoint, e.g. into the final user message"),
    )
