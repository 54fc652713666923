"""Model-choice rules: PL401 premium-model-for-simple-task, PL402 batch-eligible, PL403 unknown-model."""

from __future__ import annotations

import json

from promptlint.checks.output import answer_cues, short_answer
from promptlint.checks.packs import matcher, rule_categories
from promptlint.checks.savings import batched, priced_positive, recount, scenario, with_output
from promptlint.types import ArgumentEdit, Fix, Saving


def unknown_model(ctx):
    for request in ctx.project.requests:
        model = request.model
        if not model or ctx.catalog.is_known(model):
            continue
        closest = ctx.catalog.closest(model)
        hint = f"; did you mean `{closest}`?" if closest else ""
        yield ctx.finding(
            request.model_span or request.span,
            f"unknown model `{model}`: no price or facts{hint} Priced as default-model "
            f"`{ctx.config.default_model}`",
            request=request.id,
        )


# PL401 ---------------------------------------------------------------------------------
def premium_model_for_simple_task(ctx):
    cues = matcher(rule_categories(ctx), ctx.rule.source)
    tiers = {str(t) for t in ctx.options["tiers"]}
    for request in ctx.project.requests:
        facts = ctx.catalog.facts(request.model)
        if facts is None or facts.tier not in tiers or any(p.section == "tools" for p in request.parts):
            continue  # no literal model, a cheaper tier, or an agent with tools
        answer = answer_cues(ctx, request, cues)
        hits = answer.hits
        tasks = [h for name, found in hits.items() if cues.categories[name].extra.get("task") for h in found]
        if not tasks or answer.veto or any(cues.categories[name].extra.get("veto") for name in hits):
            continue
        cheaper = ctx.catalog.cheaper_current(request.model, str(ctx.options["suggest-tier"]))
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


# PL402 ---------------------------------------------------------------------------------
_BATCH_PROVIDERS = ("anthropic", "openai")
_LOOPS = {"for": "a for loop", "comprehension": "a comprehension"}


def batch_eligible(ctx):
    for request in ctx.project.requests:
        if not request.in_loop or request.loop_kind not in _LOOPS:
            continue  # while loops and range() loops are retries, polling or agent steps
        if request.interactive or request.stream or request.batch:
            continue
        counts = ctx.measurements.requests[request.id]
        if ctx.catalog.provider(counts.model) not in _BATCH_PROVIDERS:
            continue
        usage = scenario(ctx, request, counts)
        api = "Message Batches API" if ctx.catalog.provider(counts.model) == "anthropic" else "Batch API"
        where = f" in {request.function}()" if request.function else ""
        yield ctx.finding(
            request.span,
            f"{request.api} inside {_LOOPS[request.loop_kind]}{where}, outside any request handler and not "
            f"streamed: the {api} bills it at 50% (input priced here; output is halved too), results within 24 h",
            request=request.id, saving=Saving(0, usage, batched(usage)),
            fix=Fix("unsafe", f"collect the requests and send them through the {api}"),
        )
