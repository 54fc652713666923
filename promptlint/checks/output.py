"""Output-cap rules: PL301 missing-max-tokens, PL302 oversized-max-tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass

from promptlint.anatomy.tags import find_tags
from promptlint.checks import fmt_tokens
from promptlint.checks.packs import matcher, rule_categories
from promptlint.checks.prompt_text import prompt_index
from promptlint.extract.sinks import sink_of
from promptlint.extract.yaml_kinds import kind_named
from promptlint.traffic import measured_cap, measured_output
from promptlint.types import ArgumentEdit, Fix, Saving, Usage

# Legacy completions (the 1.x ``completions.create`` and the pre-1.0 ``Completion.create``)
# default to a 16-token cap, so a missing cap there costs nothing.
_CAPPED_BY_DEFAULT = {"completions.create", "Completion.create", "Completion.acreate"}


def capped_by_default(request) -> bool:
    """Whether the API caps output on its own when no cap is given (PL301 and the fix
    stage's exposure must agree on it)."""
    return request.api in _CAPPED_BY_DEFAULT


def missing_max_tokens(ctx):
    for request in ctx.project.requests:
        if request.max_tokens_param is not None or capped_by_default(request):
            continue
        if request.kwargs_open:
            continue  # the cap may be among keyword arguments promptlint cannot see
        if request.provider == "langchain" and "." not in request.api:
            continue  # ``llm.ainvoke(...)`` on a chat model built elsewhere: its cap is set there, unseen
        counts = ctx.measurements.requests[request.id]
        if ctx.catalog.is_local(counts.model):
            continue  # a server on the user's machine bills no output
        ceiling, sourced = ctx.catalog.max_output(counts.model)
        assumed = "" if sourced else " (assumed)"
        param = "max_output_tokens" if request.api.startswith("responses") else (
            "max_completion_tokens" if request.provider == "openai" else "max_tokens")
        registered = sink_of(request.provider, request.api)
        if registered is not None and registered.shape and (not registered.cap or registered.provider == "generic"):
            continue  # the framework exposes no output cap, or an unknown callee may take none
        if registered is not None and registered.shape:
            param = registered.cap[0]  # ``config.max_output_tokens``: inside another argument
        framework = kind_named(request.api) if request.provider == "yaml" else None
        if framework is not None:
            param = framework.cap_fields(request.model)[1] or param  # the field its config schema has
        cap = min(int(ctx.options["cap"]), ceiling)
        # a wrapper's callers all lack the cap its own call never sets: one finding, there
        calls = prompt_index(ctx.project).own_calls(request)
        if len(calls) > 1 and all(c.max_tokens_param is None and not c.kwargs_open for c in calls):
            continue  # each of the wrapper's own calls is reported, where its cap goes
        inner = calls[0] if len(calls) == 1 else None
        site = inner if inner is not None and inner.max_tokens_param is None and not inner.kwargs_open else request
        fix = None if "." in param else Fix("unsafe", f"add {param}={cap} (the `cap` option; choose what the answers need)",
                                            (ArgumentEdit(site.id, param, str(cap)),))
        if request.provider == "anthropic":
            yield ctx.finding(
                site.span,
                f"{request.api} without max_tokens: the Messages API requires it and the call fails at run time",
                request=request.id, severity="error", fix=fix,
            )
            continue
        yield ctx.finding(
            site.span,
            f"no output cap: a runaway answer can bill up to {fmt_tokens(ceiling)} output tokens{assumed} "
            f"of {counts.model}; set {param}",
            request=request.id,
            saving=Saving(ceiling, (Usage(counts.model, output_tokens=ceiling, batch=request.batch),), (), exposure=True),
            fix=fix,
        )


# PL302 ---------------------------------------------------------------------------------
# A field of the answer's skeleton that holds prose: the answer is not short.
_LONG_FIELD = re.compile(r"(?i)explain|explanation|reason|rationale|justif|analy[sz]|thought|thinking|scratchpad|"
                         r"summary|description|steps|comment|feedback|critique|notes|details|evidence|quotes?\b")
_JSON_KEY = re.compile(r'"([A-Za-z_][\w -]{0,40})"\s*:')


@dataclass(frozen=True)
class AnswerCues:
    """What the request asks its answer to be: cue hits in its instructions and output
    specification (not in examples, documents or code), and why it is not a short answer
    when the output specification says so (a skeleton with an ``<explanation>``)."""

    hits: dict
    veto: str | None = None


def answer_cues(ctx, request, cues) -> AnswerCues:
    memo = ctx.anatomies.memo.setdefault(("answer", ctx.rule.code, id(cues)), {})
    if request.id in memo:
        return memo[request.id]
    index = prompt_index(ctx.project)
    merged: dict[str, list] = {}
    veto = None
    for tid in request.templates:
        if not index.is_instruction(tid):
            continue
        reading = ctx.read(tid)
        fields = []
        skeletons = [r for r in reading.anatomy.regions if r.kind == "output-format"]
        for region in skeletons:
            fields += _fields(reading.view.text[region.start:region.end])
        multi = {(r.start, r.end) for r in skeletons if len(_fields(reading.view.text[r.start:r.end])) >= 2}
        long = [f for f in fields if _LONG_FIELD.search(f)]
        if long and veto is None:
            veto = f"the answer format has a `{long[0]}` field"
        for name, hits in cues.by_category(reading.text).items():
            kept = [h for h in hits if not any(a <= h.start < b for a, b in multi)]  # "true/false" of one field
            if kept:
                merged.setdefault(name, []).extend(kept)
        mentioned = [t.name for t in find_tags(reading.text) if _LONG_FIELD.search(t.name)]
        if mentioned and veto is None:
            veto = f"the prompt asks for a <{mentioned[0]}> part"
    memo[request.id] = found = AnswerCues(merged, veto)
    return found


def _fields(skeleton: str) -> list[str]:
    """Names of the fields an answer skeleton asks for: its innermost tags and JSON keys."""
    tags = find_tags(skeleton)
    leaves = [t.name for t in tags if not any(o is not t and t.start <= o.start and o.end <= t.end for o in tags)]
    return leaves + _JSON_KEY.findall(skeleton)


def short_answer(cues, answer: AnswerCues) -> tuple[int, str] | None:
    """The output cap a short-answer prompt needs and the cue that says so; None when the
    prompt asks for no short answer or also for a long one."""
    hits = answer.hits
    if answer.veto or any(cues.categories[name].extra.get("veto") for name in hits):
        return None
    capped = [(int(cues.categories[name].extra["cap"]), hits[name][0].text) for name in hits
              if "cap" in cues.categories[name].extra]
    return max(capped) if capped else None


def _sharing_cap(requests) -> dict:
    """Requests by the setting of their cap: a helper's ``max_tokens=2000`` serves every
    prompt sent through it, so the cap it can take is the one all of those prompts fit."""
    groups: dict = {}
    for request in requests:
        groups.setdefault(_group_key(request), []).append(request)
    return groups


def _group_key(request):
    where = request.max_tokens_span
    return (where.path, where.cell, where.start, where.line) if where is not None else request.id


def oversized_max_tokens(ctx):
    cues = matcher(rule_categories(ctx), ctx.rule.source)
    limit = int(ctx.options["short-answer-max"])
    ceiling = ctx.options.get("ceiling")
    groups = _sharing_cap(ctx.project.requests)
    for request in ctx.project.requests:
        cap = request.max_tokens
        if cap is None or (cap <= limit and (ceiling is None or cap <= int(ceiling))):
            continue  # a cap this small is never reported: skip reading the prompt
        model = ctx.measurements.requests[request.id].model
        group = groups[_group_key(request)]
        if request is not group[0]:
            continue  # one finding per cap setting, on the first request that uses it
        answers = [short_answer(cues, answer_cues(ctx, r, cues)) for r in group]
        short = None if None in answers else max(answers)
        setting = f"{request.max_tokens_param}={fmt_tokens(request.max_tokens)}"
        if short is not None and request.max_tokens > limit:
            cap, cue = short
            message = f"{setting} but the prompt asks for a short answer (\"{' '.join(cue.split())}\")"
            fits = f"a cap of {fmt_tokens(cap)} fits it"
        elif ceiling is not None and request.max_tokens > int(ceiling):
            cap = int(ceiling)
            message, fits = f"{setting} is above the configured ceiling of {fmt_tokens(cap)}", ""
        else:
            continue
        logged = measured_output(ctx, request.id)
        if logged is not None:  # the real answers say what cap they need
            cap = measured_cap(logged)
            if cap >= request.max_tokens:
                continue
            fits = (f"the {logged.requests:,} logged answers run to {fmt_tokens(int(logged.output_p95))} tokens at p95 "
                    f"and {fmt_tokens(logged.output_max or 0)} at most, so a cap of {fmt_tokens(cap)} fits them (measured)")
        message += f"; {fits}" if fits else ""
        yield ctx.finding(
            request.max_tokens_span or request.span,
            message,
            request=request.id,
            saving=Saving(request.max_tokens - cap, (Usage(model, output_tokens=request.max_tokens, batch=request.batch),),
                          (Usage(model, output_tokens=cap, batch=request.batch),), exposure=True),
            fix=Fix("unsafe", f"set {request.max_tokens_param}={cap}",
                    (ArgumentEdit(request.id, request.max_tokens_param, str(cap)),)),
        )
