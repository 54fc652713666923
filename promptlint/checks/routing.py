"""Routing rules: PL401 premium-model-for-simple-task, PL403 unknown-model, PL404 should-be-code,
PL405 superseded-model (PL402 is in ``loops``)."""

from __future__ import annotations

import json
import re

from promptlint.checks import fmt_tokens
from promptlint.checks.output import answer_cues, short_answer
from promptlint.checks.packs import matcher, rule_categories
from promptlint.checks.prompt_text import prompt_index
from promptlint.checks.savings import priced_positive, recount, scenario, with_output
from promptlint.models import normalize_model_ref
from promptlint.placeholders import placeholder
from promptlint.types import ArgumentEdit, Fix, Saving, Usage


def unknown_model(ctx):
    for request in ctx.project.requests:
        model = request.model
        priced = ctx.measurements.requests[request.id].model
        if model and placeholder(model):
            yield ctx.finding(
                request.model_span or request.span,
                f"`{model}` is a placeholder, not a model id: priced as `{priced}` "
                f"({'default-model' if priced == ctx.config.default_model else 'an assumption'}); "
                "the cost depends on the model that is filled in",
                request=request.id, severity="info",
            )
            continue
        if model and request.deployment and not ctx.catalog.deployed(request):
            how = "default-model" if priced == ctx.config.default_model else "OpenAI's current flagship"
            yield ctx.finding(
                request.model_span or request.span,
                f"`{model}` is an Azure deployment name, not a model id, and the model it runs is not known here: "
                f"priced as `{priced}` ({how}). Map it under [tool.promptlint.deployments] "
                f"(\"{model}\" = \"<model id>\") to price and check the model it runs",
                request=request.id,
            )
            continue
        model = ctx.catalog.runs(request)
        if not model or ctx.catalog.is_known(model) or ctx.catalog.qualified(request.provider, model):
            continue  # known, or known as the model its SDK's provider (a local server) serves
        if ctx.catalog.is_local(priced):
            continue  # a server on this machine names its models itself (`gpt-oss:20b`): no vendor list judges them
        vendor = ctx.catalog.named_vendor(model) or request.provider
        how = "default-model" if priced == ctx.config.default_model else f"the current {vendor} flagship"
        retired = ctx.catalog.retired(model)
        if retired is not None:
            instead = f"; its documented replacement is `{retired.replacement}`" if retired.replacement else \
                "; move to a current model of the vendor"
            what = f"`{model}` is a retired model (retired on {retired.retired}: requests to it fail){instead}."
        else:
            closest = ctx.catalog.closest(model)
            hint = f"; did you mean `{closest}`?" if closest else "."
            what = f"unknown model `{model}`: no price or facts{hint}"
        yield ctx.finding(
            request.model_span or request.span,
            f"{what} Priced as {how} `{priced}`",
            request=request.id,
        )


# PL401 ---------------------------------------------------------------------------------
def premium_model_for_simple_task(ctx):
    cues = matcher(rule_categories(ctx), ctx.rule.source)
    tiers = {str(t) for t in ctx.options["tiers"]}
    for request in ctx.project.requests:
        facts = ctx.catalog.facts(ctx.catalog.runs(request))
        if facts is None or facts.tier not in tiers or any(p.section == "tools" for p in request.parts):
            continue  # no literal model, a cheaper tier, or an agent with tools
        answer = answer_cues(ctx, request, cues)
        hits = answer.hits
        tasks = [h for name, found in hits.items() if cues.categories[name].extra.get("task") for h in found]
        if not tasks or answer.veto or any(cues.categories[name].extra.get("veto") for name in hits):
            continue
        cheaper = ctx.catalog.cheaper_current(ctx.catalog.runs(request), str(ctx.options["suggest-tier"]))
        if cheaper is None:
            continue
        short = short_answer(cues, answer)
        output = min(short[0], request.max_tokens or short[0]) if short else 0
        counts = ctx.measurements.requests[request.id]
        saving = Saving(0, with_output(scenario(ctx, request, counts), output),
                        with_output(scenario(ctx, request, recount(ctx, request, cheaper)), output))
        if not priced_positive(ctx, saving):
            continue
        task = tasks[0].text.split()[0].lower().rstrip(":")
        answer = f"; short answer: \"{' '.join(short[1].split())}\"" if short else ""
        yield ctx.finding(
            request.model_span or request.span,
            f"{counts.model} ({facts.tier} tier) on a simple task ({task}{answer}); {cheaper} "
            f"({ctx.options['suggest-tier']} tier) is priced for this",
            request=request.id, saving=saving,
            fix=Fix("unsafe", f"use model=\"{cheaper}\" after checking its accuracy on a sample of real inputs",
                    (ArgumentEdit(request.id, "model", json.dumps(cheaper)),)),
        )


# PL404 ---------------------------------------------------------------------------------
def should_be_code(ctx):
    """A short prompt whose only instruction is a mechanical task (sort, deduplicate,
    count, arithmetic, a date format, extracting an e-mail or URL) and nothing that needs
    judgement or free text: a standard-library call does it exactly, for nothing."""
    cues = matcher(rule_categories(ctx), ctx.rule.source)
    limit = int(ctx.options["max-words"])
    index = prompt_index(ctx.project)
    for request in ctx.project.requests:
        if any(p.section == "tools" for p in request.parts) or request.unresolved:
            continue
        hits = answer_cues(ctx, request, cues).hits
        tasks = [name for name in hits if cues.categories[name].extra.get("use")]
        if len(tasks) != 1 or any(cues.categories[name].extra.get("veto") for name in hits):
            continue
        if _works_on_the_conversation(request, index.project.templates):
            continue
        words = sum(len(index.project.templates[tid].text.split()) for tid in request.templates
                    if tid in {t.id for t in index.instruction_templates()})
        if words == 0 or words > limit:
            continue
        counts = ctx.measurements.requests[request.id]
        usage = scenario(ctx, request, counts)  # input; the output it saves too is not known here
        saving = Saving(counts.input_tokens, usage, ())
        if not priced_positive(ctx, saving):
            continue
        name = tasks[0]
        cue = " ".join(hits[name][0].text.split())
        output = f", priced here, and its output up to {request.max_tokens:,} tokens" if request.max_tokens else \
            ", priced here, and its output"
        yield ctx.finding(
            request.span,
            f"the prompt asks for a mechanical task (\"{cue}\", {name.replace('-', ' ')}) that "
            f"{cues.categories[name].extra['use']} does exactly, in microseconds and for nothing: the whole call "
            f"is saveable ({fmt_tokens(counts.input_tokens)} input tokens{output} on {counts.model})",
            request=request.id, saving=saving,
            fix=Fix("unsafe", f"replace the call with {cues.categories[name].extra['use']}"),
        )


def _works_on_the_conversation(request, templates) -> bool:
    """True when the only text the task can work on is the conversation so far: an earlier
    answer of the model sent back as an assistant turn (or a resent message history) and no
    run-time value in a user turn. "Alphabetize the list." after the model wrote the list
    asks to sort prose the model wrote, not program data a ``sorted()`` could take."""
    def runtime(part) -> bool:
        if part.hole is not None or part.unresolved is not None:
            return True
        template = templates.get(part.template) if part.template else None
        return template is not None and any(s.hole is not None for s in template.segments)

    turns = [p for p in request.parts if p.section == "messages"]
    earlier = any(runtime(p) for p in turns if p.role == "assistant" or (p.role == "unknown" and p.hole))
    program = any(runtime(p) for p in turns if p.role == "user")
    return earlier and not program


# PL405 ---------------------------------------------------------------------------------
def superseded_model(ctx):
    """A model with a newer release of the same line that costs less for this request.

    Priced on input (with its cache scenario, each model's tokenizer): output depends on
    answers promptlint cannot see, and the two prices per output token are in the message.
    Requests that share a location (two calls on one ``model=`` default) are one finding."""
    share_limit = float(ctx.options["max-share"])
    by_place: dict[tuple, list] = {}
    for request in ctx.project.requests:
        if ctx.catalog.successor(ctx.catalog.runs(request)) is None:
            continue  # no literal model (an unmapped deployment name), none with a newer release, never the default-model
        counts = ctx.measurements.requests[request.id]
        successor, skipped = _cheaper_successor(ctx, counts.model)
        if successor is None:
            continue
        before = scenario(ctx, request, counts)
        there = recount(ctx, request, successor.model)
        after = scenario(ctx, request, there)
        span = request.model_span or request.span
        by_place.setdefault((span.path, span.line, span.column, span.cell), []).append(
            (request, span, successor, counts.model, before, after, skipped, there.input_tokens))
    for group in by_place.values():
        request, span, successor, model, _, _, skipped, _ = group[0]
        before = tuple(u for g in group for u in g[4])
        after = tuple(u for g in group for u in g[5])
        now = float(sum((ctx.pricer.cost(u) for u in before), 0))
        then = float(sum((ctx.pricer.cost(u) for u in after), 0))
        list_now = _per_million(ctx, model)
        list_then = _per_million(ctx, successor.model)
        # most of the successor's input a borrowed figure in the switch's favour: list prices decide
        assumed = _assumed_share(ctx, group, model, successor.model)
        share = then / now if now > 0 and assumed <= ASSUMED_SHARE else list_then / list_now if now > 0 else 1.0
        if share > share_limit:
            continue  # the successor costs more, the same, or too little less to be worth a model change
        if list_then >= list_now:
            continue  # the same price per token: a difference of tokenizers alone is no reason to switch
        out_now = _per_million(ctx, model, "output")
        out_then = _per_million(ctx, successor.model, "output")
        # a routed id (Bedrock, Vertex, ``provider/``) names the successor differently: no edit
        edit = request.model is not None and normalize_model_ref(request.model) == request.model.strip().lower() \
            and not request.deployment
        also = f" (and {len(group) - 1} more call{'s' if len(group) > 2 else ''} here)" if len(group) > 1 else ""
        # part of the input could not be counted, or most of it on the successor is a borrowed
        # figure: the model advice holds (list prices say so), a price would be invented
        counted = not any(g[0].unresolved for g in group) and assumed <= ASSUMED_SHARE
        cost = f"this request's input costs {then / now:.0%} as much (its cache scenario, each model's own " \
               "tokenizer)" if assumed <= ASSUMED_SHARE else \
            f"input is ${list_then:,.2f}/M against ${list_now:,.2f}/M at list price"
        yield ctx.finding(
            span,
            f"{model} is superseded by {successor.model}, {_which_release(skipped)}, on which {cost}{also}; output "
            f"is ${out_then:,.2f}/M against ${out_now:,.2f}/M. Check the newer model on real inputs, then switch"
            + (f" (deploy {successor.model} and point `{request.model}` at it, or use a new deployment)"
               if request.deployment else
               "" if edit else f" (under the id your platform gives {successor.model}: `{request.model}` is routed)")
            + _assumed_tool_use(ctx, group, (model, successor.model))
            + ("" if counted else
               f"; not priced: that figure would be {assumed:.0%} of this request's input on {successor.model}"
               if assumed > ASSUMED_SHARE else "; not priced: part of this request's input could not be counted"),
            request=request.id, saving=Saving(0, before, after) if counted else None,
            fix=Fix("unsafe", f"use model=\"{successor.model}\" after checking its answers on a sample of real inputs",
                    tuple(ArgumentEdit(g[0].id, "model", json.dumps(successor.model)) for g in group) if edit else ()),
        )


# Past this share of the successor's input, a borrowed tool-use figure would be the price.
ASSUMED_SHARE = 0.25


def _assumed_share(ctx, group, model: str, successor: str) -> float:
    """The largest share of a request's input on ``successor`` that is a borrowed tool-use
    system prompt which favours the switch: 0 when the successor publishes its own figure,
    no request sends tools, or the borrowed figure is no smaller than ``model``'s own (then
    the assumption only makes the successor dearer, and the saving a lower bound)."""
    tokens, taken_from = ctx.catalog.tool_use_system(successor)
    if taken_from is None or tokens >= ctx.catalog.tool_use_system(model)[0]:
        return 0.0
    return max((tokens / g[7] for g in group if g[7] and any(p.section == "tools" for p in g[0].parts)), default=0.0)


def _assumed_tool_use(ctx, group, models: tuple[str, ...]) -> str:
    """What the price assumed for a model with no published tool-use system prompt, when the
    requests send tools: the figure is borrowed (never 0), and the message says whose."""
    if not any(p.section == "tools" for g in group for p in g[0].parts):
        return ""
    said = []
    for model in models:
        tokens, taken_from = ctx.catalog.tool_use_system(model)
        if taken_from is not None:
            said.append(f"{model}'s tool-use system prompt is taken as {fmt_tokens(tokens)} tokens, {taken_from}'s "
                        "(no published figure)")
    return "".join(f"; {s}" for s in said)


def _cheaper_successor(ctx, model: str | None):
    """The newest release after ``model`` in its line that costs less per input token, and
    the releases passed over on the way: same-price releases before the first cheaper one
    (claude-opus-4-0 -> claude-opus-4-1 -> claude-opus-4-5), and after it every release
    that costs no more (claude-sonnet-5 -> claude-sonnet-5-5). A dearer release ends the
    walk."""
    if not model:
        return None, ()
    price = _per_million(ctx, model)
    skipped: list[str] = []
    current = model
    found = None
    for _ in range(12):
        successor = ctx.catalog.successor(current)
        if successor is None or successor.model == model or successor.model in skipped:
            break
        then = _per_million(ctx, successor.model)
        if then > price * 1.01:
            break  # the line got dearer: stop at what was found
        if then < price * 0.99 or found is not None:
            if found is not None:
                skipped.append(found.model)
            found, price = successor, min(price, then)  # then keep going to the newest at that price
        else:
            skipped.append(successor.model)
        current = successor.model
    return (found, tuple(skipped)) if found is not None else (None, ())


def _per_million(ctx, model: str, kind: str = "input") -> float:
    """The list price per million tokens, read at a thousand tokens: a million would land in
    a long-context price tier (Sonnet 4.5 above 200k tokens)."""
    return float(ctx.pricer.cost(Usage(model, **{f"{kind}_tokens": 1000}))) * 1000


def _which_release(skipped: tuple[str, ...]) -> str:
    if not skipped:
        return "the next release of its line"
    between = ", ".join(skipped) if len(skipped) <= 3 else f"{', '.join(skipped[:2])} and {len(skipped) - 2} more"
    return f"the newest cheaper release of its line (after {between})"
