"""Rules about what repeats a request (``Request.loops``, ``Request.history`` from
:mod:`promptlint.loops`): PL402 batch-eligible, PL303 unbounded-agent-loop, PL205
history-resent-uncached.
"""

from __future__ import annotations

from dataclasses import replace

from promptlint.checks import cache_marker, fmt_tokens, implicit_caching
from promptlint.checks.savings import batched, priced_positive, scenario
from promptlint.pricing import cache_mix
from promptlint.types import OPENAI_CACHE_TTL, CacheEdit, Fix, Loop, Request, Saving, Usage

_BATCH_PROVIDERS = ("anthropic", "openai")
# An inner loop that leaves each item's request one independent call: retries, fallbacks,
# a fixed number of samples.
_INNER_OK = ("retry", "counter")


def where(loop: Loop, request: Request) -> str:
    """``for doc in docs`` (line 12, through summarize()) as a message reads it."""
    at = f"line {loop.span.line}" if loop.span.path == request.path else f"{loop.span.path}:{loop.span.line}"
    if loop.span.cell is not None:
        at = f"cell {loop.span.cell}:{loop.span.line}" if loop.span.path == request.path else \
            f"{loop.span.path} cell {loop.span.cell}:{loop.span.line}"
    helpers = _helpers(request, loop)
    through = f", through {' -> '.join(f'{h}()' for h in helpers)}" if helpers else ""
    return f"`{loop.header}` ({at}{through})"


def batch_loop(request: Request) -> Loop | None:
    """The loop over data whose items could go to a batch API instead, or None.

    It walks data (not a literal list of models or settings, not a counter); its
    iterations are independent (no message built from an earlier answer, not a
    conversation, not the first step of an agent episode); nothing in an iteration reads
    a clock (a latency benchmark), here or in a helper on the way to the call; no one
    waits on each answer (no request handler, tool or callback reaches the loop, the
    answers are not only printed, not fanned in to one more request, not one query fanned
    out); no loop around or inside it waits for a person, runs open-ended or carries
    state; inner loops are only retries or fixed counts; and the request is not streamed
    or already batched.
    """
    if request.interactive or request.stream or request.batch or request.history or request.episode:
        return None
    loops = request.loops
    if any(loop.kind in ("interactive", "unbounded", "capped") or not loop.independent or loop.timed or loop.waited
           for loop in loops):
        return None
    for i, loop in enumerate(loops):
        if loop.kind == "collection" and all(inner.kind in _INNER_OK for inner in loops[:i]):
            return loop
        if loop.kind not in _INNER_OK:
            return None
    return None


def _helpers(request: Request, loop: Loop) -> tuple[str, ...]:
    """The functions between the SDK call and the loop, innermost first, by bare name
    (``Request.via`` names the wrappers outermost first; a function calling itself counts once)."""
    through = [h.strip().removesuffix("()") for h in reversed(request.via.split("→"))] if request.via else []
    names = [h.rsplit(".", 1)[-1] for h in (*through, *loop.via)]
    return tuple(h for i, h in enumerate(names) if i == 0 or h != names[i - 1])


def once_per_loop(found):
    """(request, loop) pairs, one per loop and chain of helpers: a wrapper's request and the
    same request made at one of its call sites (``Request.via``) meet the same loop; the
    call site's, nearer the loop and with its arguments bound, is kept."""
    best: dict[tuple, tuple[Request, Loop]] = {}
    for request, loop in found:
        key = (loop.span.path, loop.span.line, loop.span.column, loop.span.cell, _helpers(request, loop))
        if key not in best or len(loop.via) < len(best[key][1].via):
            best[key] = (request, loop)
    return list(best.values())


def batch_eligible(ctx):
    found = ((request, batch_loop(request)) for request in ctx.project.requests)
    for request, loop in once_per_loop((r, lp) for r, lp in found if lp is not None):
        counts = ctx.measurements.requests[request.id]
        if ctx.catalog.provider(counts.model) not in _BATCH_PROVIDERS:
            continue
        usage = scenario(ctx, request, counts)
        api = "Message Batches API" if ctx.catalog.provider(counts.model) == "anthropic" else "Batch API"
        inside = f" in {request.function}()" if request.function else ""
        yield ctx.finding(
            request.span,
            f"{request.api}{inside} runs once per item of {where(loop, request)}: each item's request is built "
            f"from the item alone (no earlier answer, no shared conversation), the answers are kept rather than "
            f"printed, nothing is timed, and no request handler, agent tool or callback reaches the loop, so the "
            f"{api} bills it at 50% (input priced here; output is halved too), results within 24 h",
            request=request.id, saving=Saving(0, usage, batched(usage)),
            fix=Fix("unsafe", f"collect the requests and send them through the {api}"),
        )


# PL303 ---------------------------------------------------------------------------------
def _step_usage(ctx, request: Request) -> tuple[Usage, ...]:
    """One more call: its input with its cache scenario, and its output up to the cap."""
    counts = ctx.measurements.requests[request.id]
    usage = scenario(ctx, request, counts)
    output = request.max_tokens or 0
    return tuple(replace(u, output_tokens=output) for u in usage)


def unbounded_agent_loop(ctx):
    steps = int(ctx.options["max-steps"])
    found = ((request, next((lp for lp in request.loops if lp.kind == "unbounded"), None))
             for request in ctx.project.requests)
    for request, loop in once_per_loop((r, lp) for r, lp in found if lp is not None):
        usage = _step_usage(ctx, request)
        dollars = float(sum((ctx.pricer.cost(u) for u in usage), 0))
        shown = f"${dollars:,.2f}" if dollars >= 0.01 else f"${dollars:.6f}".rstrip("0")
        output = f", output up to max_tokens={request.max_tokens:,}" if request.max_tokens else ""
        grows = f"; `{loop.grows}` grows every step, so each step costs more than the last" \
            if loop.grows and not loop.trimmed else ""
        model = ctx.measurements.requests[request.id].model
        recursion = loop.carried == "recursion"
        cap = (f"pass a depth down and stop at a limit, e.g. `if depth >= {steps}: return`" if recursion else
               f"cap it, e.g. `for step in range(MAX_STEPS)` with MAX_STEPS = {steps}, or count the steps and stop")
        yield ctx.finding(
            request.span,
            f"{request.api} runs inside {where(loop, request)} with no step cap on any path out: the "
            f"{'recursion' if recursion else 'loop'} ends only when the model or a tool says so, and each extra step "
            f"costs ~{shown} on {model} (input with its cache scenario{output}){grows}; {cap}",
            request=request.id, saving=Saving(0, usage, (), exposure=True),
        )
    for run in ctx.project.agent_runs:
        message = _framework_message(run, steps)
        if message:
            yield ctx.finding(run.span, message)


def _framework_message(run, steps: int) -> str | None:
    if not run.given:
        if run.default is not None:
            return None
        return (f"{run.call}(...) runs the agent with no {run.keyword}: {run.framework} then loops until the model "
                f"stops on its own; set {run.keyword}={steps} (or the most steps a task needs)")
    if not run.literal:
        return None  # a variable: its value is not known here
    if run.value is not None and run.value <= steps:
        return None
    written = f"{run.value:,}" if run.value is not None else "None"
    how_many = "any number of" if run.value is None else f"up to {written}"
    default = f" ({run.framework}'s default is {run.default})" if run.default is not None else ""
    return (f"{run.call}({run.keyword}={written}) lets the agent take {how_many} steps, each one a paid model call "
            f"that re-sends the growing scratchpad; set {run.keyword}={steps} or less{default}")


# PL205 ---------------------------------------------------------------------------------
def resent_history(request: Request) -> tuple[str, Loop | None, bool] | None:
    """The message list this request re-sends whole and longer on every call, the loop
    that repeats it (None for a conversation object called once per turn) and whether it
    is written into a message's text rather than sent as messages; None when the history
    is cut back (a sliding window, a summary) or rebuilt on every iteration."""
    for loop in request.loops:
        if loop.grows and not loop.trimmed and loop.kind not in ("retry",):
            return loop.grows, loop, loop.grows_in_text
    if request.history:
        return request.history, None, request.history_in_text
    return None


def _automatic(ctx, request: Request) -> bool:
    """A breakpoint follows the latest message on its own: Anthropic's automatic caching,
    OpenAI's implicit mode."""
    return request.auto_cache is not None or implicit_caching(ctx, request)


def _marks_messages(request: Request) -> bool:
    """A marker sits on a message, written in the call or set on the list at run time."""
    return bool(request.cached_by) or any(p.cache is not None for p in request.parts if p.section == "messages")


# How each marker caches a conversation, as the message and the fix say it.
_CACHE_IT = {
    "cache_control": "turn on automatic caching (top-level cache_control={'type': 'ephemeral'})",
    "prompt_cache_breakpoint": "put prompt_cache_breakpoint={'mode': 'explicit'} on the last message's last block "
                               "(or leave prompt_cache_options in implicit mode, which places one there)",
}


def history_resent_uncached(ctx):
    turns = max(2, int(ctx.options["turns"]))
    per_turn = max(1, int(ctx.options["turn-tokens"]))
    hit_rate = ctx.config.cache_hit_rate
    for request in ctx.project.requests:
        found = resent_history(request)
        marker = cache_marker(ctx, request)
        if found is None or marker is None or _marks_messages(request):
            continue  # no marker: caching is automatic (OpenAI before GPT-5.6) or unknown
        name, loop, in_text = found
        # with the breakpoint on the latest message, a history in one growing text block
        # still misses: each turn's prefix ends inside the block the next turn extends
        wasted = _automatic(ctx, request)
        if wasted and not in_text:
            continue
        turns_here = min(turns, loop.count) if loop is not None and loop.count else turns
        if loop is None and request.history_turns:
            turns_here = min(turns_here, request.history_turns)  # the method stops on its own turn counter
        if turns_here < 2:
            continue
        counts = ctx.measurements.requests[request.id]
        model = counts.model
        minimum, _ = ctx.catalog.min_cacheable(model)
        ttl = OPENAI_CACHE_TTL if marker == "prompt_cache_breakpoint" else "5m"
        base = counts.input_tokens
        before: list[Usage] = []
        after: list[Usage] = []
        weight = 1.0 / turns_here
        for k in range(1, turns_here + 1):
            total = base + (k - 1) * per_turn
            previous = base + (k - 2) * per_turn if k > 1 else 0  # what the previous turn wrote
            written = total if total >= minimum else 0
            read = previous if previous >= minimum else 0
            before.extend(cache_mix(model, total, 0, hit_rate, ttl, weight, request.batch, written) if wasted else
                          (Usage(model, input_tokens=total, batch=request.batch, weight=weight),))
            after.extend(cache_mix(model, total, read, hit_rate, ttl, weight, request.batch, written))
        saving = Saving((turns_here - 1) * per_turn, tuple(before), tuple(after))
        if not priced_positive(ctx, saving):
            continue
        repeat = f"every iteration of {where(loop, request)}" if loop is not None else \
            f"every call of {request.function or 'this function'}() (one turn of the conversation)"
        last = base + (turns_here - 1) * per_turn
        priced = (f"input grows with the square of the turns (priced for {turns_here} turns of ~{fmt_tokens(per_turn)} "
                  f"tokens: the last call sends {fmt_tokens(last)} tokens, all of them again)")
        cache_it = _CACHE_IT[marker]
        if wasted:
            yield ctx.finding(
                request.span,
                f"`{name}` grows by a turn on {repeat} and is written whole into one message's text each time, so the "
                "automatic cache breakpoint on the latest message never matches the previous turn's prefix (it ends "
                f"inside the block that has grown since): each turn writes its whole prompt at the cache-write "
                f"premium and reads none of it back, and {priced}; send each turn as its own user/assistant message "
                "so each turn reads what the previous one wrote",
                request=request.id, saving=saving,
                fix=Fix("unsafe", "send each turn as its own user/assistant message"),
            )
            continue
        if in_text:
            # a breakpoint matches the previous turn's prefix only at a block boundary, and
            # that prefix ended inside the block that has grown since: a CacheEdit would pay
            # the write premium on every turn and read nothing back
            yield ctx.finding(
                request.span,
                f"`{name}` grows by a turn on {repeat} and is written whole into one message's text each time: {priced}; "
                "a cache breakpoint cannot help while the turns are one growing text block (the previous turn's "
                f"prefix ends inside it), so send each turn as its own message and {cache_it}",
                request=request.id, saving=saving,
                fix=Fix("unsafe", f"send each turn as its own user/assistant message, then {cache_it}"),
            )
            continue
        if marker == "prompt_cache_breakpoint":
            yield ctx.finding(
                request.span,
                f"`{name}` grows by a turn on {repeat} and is sent whole each time, and explicit mode "
                f"(prompt_cache_options) caches nothing without a prompt_cache_breakpoint on it: {priced}; {cache_it} "
                "so each turn reads the history the previous turn wrote",
                request=request.id, saving=saving, fix=Fix("unsafe", cache_it),
            )
            continue
        yield ctx.finding(
            request.span,
            f"`{name}` grows by a turn on {repeat} and is sent whole each time with no cache breakpoint: {priced}; "
            "automatic caching (top-level cache_control) lets each turn read the history the previous turn wrote",
            request=request.id, saving=saving,
            fix=Fix("unsafe", "turn on automatic caching (top-level cache_control={'type': 'ephemeral'}) or put a "
                              "breakpoint on the last message", (CacheEdit(request.id),)),
        )
