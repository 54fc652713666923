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
from decimal import Decimal

from promptlint.checks import fmt_tokens
from promptlint.checks.examples import redundant_examples, senders_of, text_examples
from promptlint.checks.packs import matcher, rule_categories
from promptlint.checks.persona import one_line_role, personas
from promptlint.checks.prompt_text import TextView, cut_edits, edits_between, prompt_index, sentences, whitespace_edits
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
        senders = senders_of(example, index, {r.id for r in ctx.project.requests})
        sending = [r for r in ctx.project.requests if r.id in senders]
        saving = text_saving(ctx, {tid: "" for tid in example.templates}, only=sending or None)
        first = templates.get(example.templates[0]) if example.templates else None
        span = example.span or (first.span if first else None)
        if span is None:
            continue
        yield ctx.finding(
            span, f"few-shot example {item.reason}; the examples kept already show the model this case",
            template=first.id if first else None, request=senders[0] if len(senders) == 1 else None,
            saving=saving,
            fix=Fix("unsafe", "remove the redundant example", (RemoveEdit(example.templates),),
                    tokens_saved=saving.tokens if saving else None),
        )
    yield from _repeated_text_examples(ctx, index)


def _repeated_text_examples(ctx, index):
    """Examples written inside one prompt's text ("## Example 4 Input: ..." under its
    heading, an ``<example>`` block) that repeat an earlier one word for word."""
    for template in index.instruction_templates():
        reading = ctx.read(template.id)
        view = reading.view
        seen: dict[str, tuple[int, int]] = {}
        repeats = []
        for start, end in text_examples(reading.anatomy):
            body = _example_body(view.text[start:end])
            if not body:
                continue
            if body in seen:
                repeats.append(((start, end), seen[body]))
            else:
                seen[body] = (start, end)
        if not repeats:
            continue
        text = view.text
        for (start, end), _ in sorted(repeats, reverse=True):
            text = text[:start] + text[end:]
        saving = text_saving(ctx, {template.id: view.static(text)})
        if saving is None:
            continue
        (first, _), (kept, _) = repeats[0]
        more = f" (and {len(repeats) - 1} more)" if len(repeats) > 1 else ""
        yield ctx.finding(
            view.locate(first),
            f"few-shot example duplicates the example at line {view.locate(kept).line} word for word{more}; "
            "the examples kept already show the model this case",
            template=template.id, request=index.sole_request(template.id), saving=saving,
            fix=Fix("unsafe", "remove the repeated example", edits_between(template.id, view.text, text, view.markers.pattern),
                    tokens_saved=saving.tokens),
        )


_TITLE_LINE = re.compile(r"^\s*(?:#.*|<[^<>\n]+>|[^\n]{0,80}\bexamples?\b[^\n]*:)\s*$", re.IGNORECASE)


def _example_body(text: str) -> str:
    """An example's words without its title lines (the titles number the examples)."""
    return " ".join(" ".join(line for line in text.split("\n") if not _TITLE_LINE.match(line)).split())


# PL102 ---------------------------------------------------------------------------------
def bloated_role(ctx):
    index = prompt_index(ctx.project)
    cues = matcher(rule_categories(ctx), ctx.rule.source)
    max_tokens = int(ctx.options["max-role-tokens"])
    max_superlatives = int(ctx.options["max-superlatives"])
    for template in index.instruction_templates():
        reading = ctx.read(template.id)
        view = reading.view
        model = ctx.measurements.template_models[template.id]
        for persona in personas(reading.text, cues):
            body = view.text[persona.start:persona.end]
            tokens = ctx.counter.count(view.static(body), model)
            stacked = len(persona.superlatives) > max_superlatives
            if tokens <= max_tokens and not stacked:
                continue
            parts = [persona.first_sentence] + [body[s.start:s.end] for s in sentences(body)[1:]]
            role = one_line_role(parts, persona.superlatives, view.static)
            if role is None or len(role) >= len(" ".join(view.static(body).split())):
                continue
            new_text = view.text[:persona.start] + role + view.text[persona.end:]
            saving = text_saving(ctx, {template.id: view.static(new_text)})
            if saving is None:
                continue
            why = []
            if tokens > max_tokens:
                why.append(f"is {fmt_tokens(tokens)} tokens (max-role-tokens {max_tokens})")
            if stacked:
                words = ", ".join(dict.fromkeys(f'"{" ".join(h.text.lower().split())}"' for h in persona.superlatives))
                why.append(f"stacks {len(persona.superlatives)} superlatives ({words})")
            yield ctx.finding(
                view.locate(persona.start),
                f"role preamble \"{_short(view.display(body), 50)}\" {' and '.join(why)}; "
                f"a one-line role such as \"{_short(role, 120)}\" does the same job",
                template=template.id, request=index.sole_request(template.id), saving=saving,
                fix=Fix("unsafe", f"replace the role preamble with: {role}",
                        edits_between(template.id, view.text, new_text, view.markers.pattern), tokens_saved=saving.tokens),
            )


# PL104 ---------------------------------------------------------------------------------
def duplicate_instruction(ctx):
    """Sentences of instruction prose said twice where the first copy still applies: in
    the same section of a template or one that holds the repeat, or in an earlier template
    of the same request (outside any branch of it). Labels, examples, documents, code and
    quoted text are never compared (the rule reads instructions only), nor is a sentence
    that leans on the one before it ("These lines MUST ...")."""
    index = prompt_index(ctx.project)
    min_words = int(ctx.options["min-words"])
    instructions = {t.id: t for t in index.instruction_templates()}
    split: dict[str, tuple] = {}

    def comparable(tid: str):
        if tid not in split:  # a template shared by many requests is split once
            reading = ctx.read(tid)
            titles = _title_lines(reading)
            found = [s for s in sentences(reading.text) if s.words >= min_words
                     and reading.view.text.rfind("\n", 0, s.start) + 1 not in titles]
            keyed = [(s, _sentence_key(reading.view.text[s.start:s.end])) for s in found]
            split[tid] = (reading, [(s, k) for s, k in keyed if not _ANAPHORA.match(k)])
        return split[tid]

    for tid in instructions:
        reading, sents = comparable(tid)
        anatomy = reading.anatomy
        seen: dict[str, list] = {}
        repeats = []
        for s, key in sents:
            earlier = next((e for e in seen.get(key, []) if anatomy.in_scope(e.start, s.start)), None)
            if earlier is not None:
                repeats.append((s, earlier))
            seen.setdefault(key, []).append(s)
        if repeats:
            text = reading.view.text
            same = all(anatomy.section_at(e.start) == anatomy.section_at(r.start)
                       and text[e.start:e.end] == text[r.start:r.end] for r, e in repeats)
            partial = _leaves_part_of_a_repeat(reading.text, [r for r, _ in repeats])
            first_line = reading.view.locate(repeats[0][1].start).line
            yield _duplicate_finding(ctx, reading.view, repeats, f"repeats line {first_line} of the same template",
                                     None, same and not partial,
                                     _PARTIAL if partial and same else None)

    # Across the templates of one request: the later copy is the one to drop.
    grouped: dict[tuple[str, tuple[str, ...]], tuple[list, list, str]] = {}
    for request in ctx.project.requests:
        seen_in: dict[str, tuple[str, object]] = {}
        for tid in request.templates:
            if tid not in instructions:
                continue
            reading, sents = comparable(tid)
            repeats = []
            for s, key in sents:
                earlier = seen_in.get(key)
                if earlier is not None and earlier[0] != tid:
                    repeats.append((s, earlier[1], earlier[0]))
            for s, key in sents:
                if not _in_branch(reading.anatomy, s.start):
                    seen_in.setdefault(key, (tid, s))
            if repeats:
                key = (tid, tuple(_sentence_key(reading.view.text[r[0].start:r[0].end]) for r in repeats))
                entry = grouped.setdefault(key, ([], repeats, repeats[0][2]))
                entry[0].append(request)
    for (tid, _), (requests, repeats, other) in grouped.items():
        view = comparable(tid)[0].view
        first = comparable(other)[0].view.locate(repeats[0][1].start)
        where = f"repeats {first.path}:{first.line}, which the same request sends first"
        yield _duplicate_finding(ctx, view, [(r[0], r[1]) for r in repeats], where, requests, False)


def _leaves_part_of_a_repeat(text: str, deleted: list) -> bool:
    """Whether deleting ``deleted`` keeps a sentence beside one of them that repeats an
    earlier one too (an example, a quote or a short sentence the rule does not compare):
    a repeated passage cut in part leaves that piece glued to other text ("… derived from
    the description. E.g., "for men over 30"."), which reads differently."""
    starts = {s.start for s in deleted}
    every = sentences(text)
    for i, sentence in enumerate(every):
        if sentence.start not in starts:
            continue
        for j in (i - 1, i + 1):
            if 0 <= j < len(every) and every[j].start not in starts \
                    and any(o.key == every[j].key for o in every[:min(i, j)]):
                return True
    return False


# A sentence that starts by pointing back ("These lines ...", "It ...") says something about
# what comes before it; the same words after another item are another instruction.
_ANAPHORA = re.compile(r"^(?:this|these|that|those|its|they|them|their|such|then|also)\b"
                      r"|^it\b(?!\s+(?:is|was)\s+(?:\w+\s+){0,2}(?:that|to)\b)")


def _title_lines(reading) -> set[int]:
    """Where the lines that title a section start: a repeated heading is structure."""
    return {sec.start for sec in reading.anatomy.sections if sec.kind in ("heading", "label", "branch")}


def _sentence_key(text: str) -> str:
    return " ".join(text.lower().split()).rstrip(".!?;:,")


def _in_branch(anatomy, offset: int) -> bool:
    return any(anatomy.sections[i].kind == "branch" for i in anatomy.ancestors(anatomy.section_at(offset)))


_PARTIAL = ("delete the repeated sentence (review: a sentence beside it repeats too but is not compared, "
            "an example or a quote, so the repeated passage would be cut in part)")


def _duplicate_finding(ctx, view: TextView, repeats: list, where: str, requests, safe: bool,
                       review: str | None = None):
    edits = cut_edits(view.template.id, view.text, [(s.start, s.end) for s, _ in repeats])
    text = view.text
    for e in reversed(edits):
        text = text[:e.start] + text[e.end:]
    saving = text_saving(ctx, {view.template.id: view.static(text)}, only=requests)
    first = repeats[0][0]
    extra = len(repeats) - 1
    more = f" (and {extra} more repeated sentence{'s' if extra > 1 else ''})" if extra else ""
    how = "delete the repeated sentence" if safe else review or \
        "delete the repeated sentence (review: the copies are in different sections or templates, or differ in form)"
    return ctx.finding(
        view.locate(first.start),
        f"\"{_short(view.display(view.text[first.start:first.end]))}\" {where}{more}",
        template=view.template.id,
        request=(requests[0].id if len(requests) == 1 else None) if requests else
        prompt_index(ctx.project).sole_request(view.template.id),
        saving=saving,
        fix=Fix("safe" if safe else "unsafe", how, edits,
                tokens_saved=saving.tokens if saving else None),
    )


# PL105 ---------------------------------------------------------------------------------
_INNER_RUNS = re.compile(r"(?<=\S)[ \t]{2,}(?=\S)")
_TRAILING = re.compile(r"[ \t]+$")


def normalize_whitespace(text: str, readable=None) -> tuple[str, list[str]]:
    """Text without indentation shared by all lines, trailing spaces, runs of blank lines,
    runs of spaces between words and blank lines at the ends (and the first line's own
    indentation, which leads the text); and what changed.

    ``readable(start, end)`` says which stretches may change: whitespace inside code,
    listings, tables, examples or documents is kept byte for byte (the indentation of a
    ``cat -n`` listing is the code's indentation), and shared indentation is removed only
    when every line's indentation may change."""
    ok = readable or (lambda start, end: True)
    edits: list[tuple[int, int, str, str]] = []
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    lines = [(st, (starts[i + 1] - 1) if i + 1 < len(starts) else len(text)) for i, st in enumerate(starts)]
    content = [(st, en) for st, en in lines if text[st:en].strip()]
    indents = [len(text[st:en]) - len(text[st:en].lstrip(" \t")) for st, en in content]
    shared = _shared_prefix([text[st:st + n] for (st, _), n in zip(content, indents)]) if content else ""
    dedent = len(shared) if shared and all(ok(st, st + len(shared)) for st, _ in content) else 0
    first = content[0][0] if content else len(text)
    last = content[-1][1] if content else 0
    # the first line indented alone (the others, once dedented, reach the margin and none goes
    # as deep): that indentation leads the whole text and is waste too; a first line indented
    # like the lines after it stays with them
    rest = [n - dedent for n in indents[1:]]
    lead = indents[0] if content and dedent == len(shared) and indents[0] - dedent > max(rest, default=0) \
        and min(rest, default=0) == 0 and ok(first, first + indents[0]) else 0
    blank_run = 0
    for st, en in lines:
        line = text[st:en]
        if not line.strip():
            blank_run = blank_run + 1 if first < st < last else 0
            if st >= last or en <= first:
                continue  # leading/trailing blank lines: handled below
            if blank_run >= 2 and ok(st, min(en + 1, len(text))):
                edits.append((st, min(en + 1, len(text)), "", "blank-line runs"))
            elif line and ok(st, en):
                edits.append((st, en, "", "trailing spaces"))
            continue
        blank_run = 0
        if lead and st == first:
            edits.append((st, st + lead, "", "indentation"))
        elif dedent:
            edits.append((st, st + dedent, "", "indentation"))
        body_start = st + len(line) - len(line.lstrip(" \t"))
        trailing = _TRAILING.search(line)
        body_end = st + trailing.start() if trailing else en
        for m in _INNER_RUNS.finditer(text, body_start, body_end):
            if ok(m.start(), m.end()):
                edits.append((m.start(), m.end(), " ", "runs of spaces"))
        if trailing and ok(body_end, en):
            edits.append((body_end, en, "", "trailing spaces"))
    if content and text[:content[0][0]].strip(" \t\n") == "" and content[0][0] > 0 and "\n" in text[:content[0][0]] \
            and ok(0, text.rfind("\n", 0, content[0][0]) + 1):
        edits.append((0, text.rfind("\n", 0, content[0][0]) + 1, "", "leading/trailing blank lines"))
    if content and last < len(text) and ok(last, len(text)):
        tail = text[last:]
        if tail.strip(" \t\n") == "":
            edits.append((last, len(text), "", "leading/trailing blank lines"))
    out = text
    changed: list[str] = []
    for start, end, replacement, what in sorted(set(edits), key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:start] + replacement + out[end:]
        if what not in changed:
            changed.append(what)
    order = ["trailing spaces", "indentation", "blank-line runs", "runs of spaces", "leading/trailing blank lines"]
    return out, [w for w in order if w in changed]


def _shared_prefix(indents: list[str]) -> str:
    prefix = indents[0]
    for other in indents[1:]:
        while not other.startswith(prefix):
            prefix = prefix[:-1]
    return prefix


def whitespace_waste(ctx):
    index = prompt_index(ctx.project)
    minimum = int(ctx.options["min-tokens"])
    for template in ctx.project.templates.values():
        if not index.is_prompt(template):
            continue
        reading = ctx.read(template.id)
        view = reading.view
        normalized, changed = normalize_whitespace(view.text, reading.readable)
        if not changed:
            continue
        saving = text_saving(ctx, {template.id: view.static(normalized)})
        if saving is None or saving.tokens < minimum:
            continue
        kept = "" if all(r.kind in ctx.rule.reads for r in reading.anatomy.regions) else \
            "; spacing inside code, examples, tables and documents is kept"
        first = next((a for a, (x, y) in enumerate(zip(view.text, normalized)) if x != y), 0)
        yield ctx.finding(
            view.locate(first),
            f"{', '.join(changed)} cost {fmt_tokens(saving.tokens)} tokens per request "
            f"(measured by re-tokenizing the normalized text){kept}",
            template=template.id, request=index.sole_request(template.id), saving=saving,
            fix=Fix("safe", "remove the indentation, trailing spaces and extra blank lines",
                    whitespace_edits(template.id, view.text, normalized, view.markers.pattern), tokens_saved=saving.tokens),
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
