"""Prompt-text rules: PL101 redundant-example, PL102 bloated-role, PL104
duplicate-instruction, PL105 whitespace-waste, PL106 over-budget (PL103 filler-phrase is
the declarative phrase check in :mod:`promptlint.checks.phrases`).

Each finding's saving is the whole request recounted with the change applied
(:mod:`promptlint.checks.savings`), so a few tokens inside a cached prefix are priced at
the cache-read rate and the same tokens after the breakpoint at the input rate.
"""

from __future__ import annotations

import math
import re
import textwrap
from decimal import Decimal

from promptlint.checks import fmt_tokens
from promptlint.checks.examples import redundant_examples
from promptlint.checks.packs import matcher, rule_categories
from promptlint.checks.persona import one_line_role, personas
from promptlint.checks.prompt_text import TextView, cut_item, edits_between, prompt_index, sentences, static
from promptlint.checks.savings import request_reduction, template_reduction, text_saving
from promptlint.globs import match_path
from promptlint.types import Fix, RemoveEdit


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# PL101 ---------------------------------------------------------------------------------
def redundant_example(ctx):
    templates = ctx.project.templates
    index = prompt_index(ctx.project)
    for item in redundant_examples(ctx.project, float(ctx.options["similarity"]), int(ctx.options["max-examples"])):
        example = item.example
        senders = {r.id for tid in example.templates for r in index.requests(tid)}
        saving = text_saving(ctx, {tid: "" for tid in example.templates})
        first = templates.get(example.templates[0]) if example.templates else None
        span = example.span or (first.span if first else None)
        if span is None:
            continue
        safe = item.exact and _sent_with(index, example.templates, item.kept)
        yield ctx.finding(
            span, f"few-shot example {item.reason}; the examples kept already show the model this case",
            template=first.id if first else None, request=senders.pop() if len(senders) == 1 else None,
            saving=saving,
            fix=Fix("safe" if safe else "unsafe", "remove the redundant example", (RemoveEdit(example.templates),),
                    tokens_saved=saving.tokens if saving else None),
        )


def _sent_with(index, removed: tuple[str, ...], kept) -> bool:
    """Every request that sends the removed example also sends the one it repeats."""
    if kept is None:
        return False
    for tid in removed:
        for request in index.requests(tid):
            if not all(k in request.templates for k in kept.templates):
                return False
    return True


# PL102 ---------------------------------------------------------------------------------
def bloated_role(ctx):
    index = prompt_index(ctx.project)
    cues = matcher(rule_categories(ctx), ctx.rule.source)
    max_tokens = int(ctx.options["max-role-tokens"])
    max_superlatives = int(ctx.options["max-superlatives"])
    for template in index.instruction_templates():
        view = TextView(template)
        model = ctx.measurements.template_models[template.id]
        for persona in personas(view.text, cues):
            body = view.text[persona.start:persona.end]
            tokens = ctx.counter.count(static(body), model)
            stacked = len(persona.superlatives) > max_superlatives
            if tokens <= max_tokens and not stacked:
                continue
            role = one_line_role(persona.first_sentence, persona.superlatives)
            new_text = static(view.text[:persona.start] + role + view.text[persona.end:])
            saving = text_saving(ctx, {template.id: new_text})
            if saving is None:
                continue
            why = []
            if tokens > max_tokens:
                why.append(f"is {fmt_tokens(tokens)} tokens (max-role-tokens {max_tokens})")
            if stacked:
                words = ", ".join(dict.fromkeys(f'"{" ".join(h.text.lower().split())}"' for h in persona.superlatives))
                why.append(f"stacks {len(persona.superlatives)} superlatives ({words})")
            edits = edits_between(template.id, view.text, view.text[:persona.start] + role + view.text[persona.end:])
            yield ctx.finding(
                view.locate(persona.start),
                f"role preamble \"{_short(view.display(body), 50)}\" {' and '.join(why)}; "
                f"a one-line role such as \"{role}\" does the same job",
                template=template.id, request=index.sole_request(template.id), saving=saving,
                fix=Fix("unsafe", f"replace the role preamble with: {role}", edits, tokens_saved=saving.tokens),
            )


# PL104 ---------------------------------------------------------------------------------
def duplicate_instruction(ctx):
    index = prompt_index(ctx.project)
    min_words = int(ctx.options["min-words"])
    instructions = {t.id: t for t in index.instruction_templates()}

    split: dict[str, tuple] = {}

    def comparable(template):
        if template.id not in split:  # a template shared by many requests is split once
            view = TextView(template)
            split[template.id] = (view, [s for s in sentences(view.text) if s.words >= min_words])
        return split[template.id]

    for template in instructions.values():
        view, sents = comparable(template)
        seen: dict[str, object] = {}
        repeats = []
        for s in sents:
            if s.key in seen:
                repeats.append((s, seen[s.key]))
            else:
                seen[s.key] = s
        if repeats:
            first_line = view.locate(repeats[0][1].start).line
            yield _duplicate_finding(ctx, view, repeats, f"repeats line {first_line} of the same template", None, True)

    # Across the templates of one request: the later copy is the one to drop.
    grouped: dict[tuple[str, tuple[str, ...]], tuple[list, list, str]] = {}
    for request in ctx.project.requests:
        seen_in: dict[str, tuple[str, object]] = {}
        for tid in request.templates:
            template = instructions.get(tid)
            if template is None:
                continue
            view, sents = comparable(template)
            repeats = []
            for s in sents:
                earlier = seen_in.get(s.key)
                if earlier is not None and earlier[0] != tid:
                    repeats.append((s, earlier[1], earlier[0]))
            for s in sents:
                seen_in.setdefault(s.key, (tid, s))
            if repeats:
                key = (tid, tuple(r[0].key for r in repeats))
                entry = grouped.setdefault(key, ([], repeats, repeats[0][2]))
                entry[0].append(request)
    for (tid, _), (requests, repeats, other) in grouped.items():
        view = TextView(instructions[tid])
        first = TextView(instructions[other]).locate(repeats[0][1].start)
        where = f"repeats {first.path}:{first.line}, which the same request sends first"
        # Removing the later copy keeps the instruction only where every sender sends the first copy too.
        kept_everywhere = all(other in r.templates and r.templates.index(other) < r.templates.index(tid)
                              for r in prompt_index(ctx.project).requests(tid))
        yield _duplicate_finding(ctx, view, [(r[0], r[1]) for r in repeats], where, requests, kept_everywhere)


def _duplicate_finding(ctx, view: TextView, repeats: list, where: str, requests, safe: bool):
    text = view.text
    for s, _ in sorted(repeats, key=lambda r: r[0].start, reverse=True):
        text = cut_item(text, s.start, s.end)
    saving = text_saving(ctx, {view.template.id: static(text)}, only=requests)
    first = repeats[0][0]
    extra = len(repeats) - 1
    more = f" (and {extra} more repeated sentence{'s' if extra > 1 else ''})" if extra else ""
    return ctx.finding(
        view.locate(first.start),
        f"\"{_short(view.display(view.text[first.start:first.end]))}\" {where}{more}",
        template=view.template.id,
        request=(requests[0].id if len(requests) == 1 else None) if requests else
        prompt_index(ctx.project).sole_request(view.template.id),
        saving=saving,
        fix=Fix("safe" if safe else "unsafe", "delete the repeated sentence", edits_between(view.template.id, view.text, text),
                tokens_saved=saving.tokens if saving else None),
    )


# PL105 ---------------------------------------------------------------------------------
_TRAILING = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANK_RUNS = re.compile(r"\n{3,}")  # after trailing spaces are gone
_INNER_RUNS = re.compile(r"(?<=\S)[ \t]{2,}(?=\S)")


def normalize_whitespace(text: str) -> tuple[str, list[str]]:
    """Text without indentation shared by all lines, trailing spaces, runs of blank lines,
    runs of spaces between words and whitespace at the ends; and what changed."""
    changed = []
    out = _TRAILING.sub("", text)
    if out != text:
        changed.append("trailing spaces")
    dedented = textwrap.dedent(out)
    if dedented != out:
        changed.append("indentation")
    out = dedented
    runs = _BLANK_RUNS.sub("\n\n", out)
    if runs != out:
        changed.append("blank-line runs")
    inner = _INNER_RUNS.sub(" ", runs)
    if inner != runs:
        changed.append("runs of spaces")
    stripped = inner.strip()
    if stripped != inner:
        changed.append("leading/trailing blank lines")
    return stripped, changed


def whitespace_waste(ctx):
    index = prompt_index(ctx.project)
    minimum = int(ctx.options["min-tokens"])
    for template in ctx.project.templates.values():
        if not index.is_prompt(template):
            continue
        view = TextView(template)
        normalized, changed = normalize_whitespace(view.text)
        if not changed:
            continue
        saving = text_saving(ctx, {template.id: static(normalized)})
        if saving is None or saving.tokens < minimum:
            continue
        yield ctx.finding(
            template.span,
            f"{', '.join(changed)} cost {fmt_tokens(saving.tokens)} tokens per request "
            f"(measured by re-tokenizing the normalized text)",
            template=template.id, request=index.sole_request(template.id), saving=saving,
            fix=Fix("safe", "remove the indentation, trailing spaces and extra blank lines",
                    edits_between(template.id, view.text, normalized), tokens_saved=saving.tokens),
        )


# PL106 ---------------------------------------------------------------------------------
def over_budget(ctx):
    """Requests under a budget's glob are checked whole; templates under it only when no
    such request sends them (a prompts module budgets its templates, an app module its
    requests, and one prompt is not reported twice)."""
    monthly = ctx.config.requests_per_month
    for budget in ctx.config.budgets:
        requests = [r for r in ctx.project.requests if _budget_applies(budget.path, r.path, r.id)]
        sent = {tid for r in requests for tid in r.templates}
        for template in ctx.project.templates.values():
            if template.id in sent or not _budget_applies(budget.path, template.path, template.id):
                continue
            model = ctx.measurements.template_models[template.id]
            tokens = ctx.measurements.templates[template.id]
            usd = ctx.pricer.template_cost(model, tokens)
            found = _over(budget, tokens, usd, f"template `{template.id}` is {fmt_tokens(tokens)} tokens", monthly)
            if found:
                over, message = found
                yield ctx.finding(template.span, message, template=template.id,
                                  request=prompt_index(ctx.project).sole_request(template.id),
                                  saving=template_reduction(ctx, template.id, over))
        costs = []
        for request in requests:
            counts = ctx.measurements.requests[request.id]
            usd = ctx.pricer.request_cost(request, counts, ctx.project)
            costs.append((usd, request, counts))
            what = f"request `{request.id.split('::', 1)[-1]}` sends {fmt_tokens(counts.input_tokens)} input tokens"
            found = _over(budget, counts.input_tokens, usd, what, monthly)
            if found:
                over, message = found
                yield ctx.finding(request.span, message, request=request.id,
                                  saving=request_reduction(ctx, request, over))
        if budget.max_total_usd is not None and costs:
            total = sum(float(usd) for usd, _, _ in costs) * monthly
            if total > budget.max_total_usd:
                usd, request, counts = max(costs, key=lambda c: c[0])
                share = float(usd) * monthly
                over = math.ceil(counts.input_tokens * min(1.0, (total - budget.max_total_usd) / share)) if share else 0
                yield ctx.finding(
                    request.span,
                    f"the {len(costs)} request{'s' if len(costs) != 1 else ''} under `{budget.path}` cost "
                    f"${total:,.2f}/month together, over the ${budget.max_total_usd:g}/month budget; this one, the "
                    f"costliest, is ${share:,.2f}/month",
                    request=request.id, saving=request_reduction(ctx, request, over) if over else None)


def _budget_applies(glob: str, path: str, ident: str) -> bool:
    return match_path(glob, path) or match_path(glob, ident)


def _over(budget, tokens: int, usd: Decimal, what: str, monthly: int = 1) -> tuple[int, str] | None:
    """Tokens over the budget and the message, or None when within it."""
    if budget.max_tokens is not None and tokens > budget.max_tokens:
        over = tokens - budget.max_tokens
        limit = fmt_tokens(budget.max_tokens)
        return over, f"{what}, {fmt_tokens(over)} over the {limit}-token budget for `{budget.path}`"
    if budget.max_usd is None:
        return None
    per_month = budget.max_usd_per == "month"
    cost = float(usd) * (monthly if per_month else 1)
    if cost > budget.max_usd:
        over = math.ceil(tokens * (1 - budget.max_usd / cost))
        unit = "month" if per_month else "request"
        shown = f"${cost:,.2f}" if per_month else f"${cost:.6g}"
        return over, (f"{what} costing {shown}/{unit}, over the ${budget.max_usd:g}{'/month' if per_month else ''} "
                      f"budget for `{budget.path}` (about {fmt_tokens(over)} tokens too many)")
    return None
