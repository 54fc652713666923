"""Replace offline estimates with exact counts for Claude requests and templates.

A request's total is the API's count of its whole body (tools, system, messages, the
framing and the tool-use system prompt included), so it is exact for what extraction
saw. The per-part numbers that cache rules add up are each template's own exact count
(the template counted alone, framing subtracted), and ``overhead`` is what is left of the
total: the framing, the stand-ins for run-time values, and the few tokens by which
joined texts differ from texts counted apart. A prefix is therefore exact to within a
token or two, and the total is exact. (Counting every prefix separately would cost one
call per breakpoint for a difference no rule can see.)
"""

from __future__ import annotations

from dataclasses import replace

from promptlint.tokens import Measurements, TokenCounter
from promptlint.tokens.request_body import STAND_IN, request_body
from promptlint.types import Project


def refine(offline: Measurements, project: Project, counter: TokenCounter) -> Measurements:
    exact = counter.exact
    texts: dict[tuple[str, str], None] = {}
    for tid, template in project.templates.items():
        model = offline.template_models[tid]
        if exact.applies(model) and template.text.strip():
            texts[(model, template.text)] = None
    sent = []
    other = 0
    for request in project.requests:
        model = offline.requests[request.id].model
        if not exact.applies(model):
            other += 1
            continue
        for part in request.parts:
            template = project.templates.get(part.template) if part.template else None
            if template is not None and template.text.strip():
                texts[(model, template.text)] = None
        sent.append((request, request_body(request, project.templates, exact.api_model(model))))

    text_counts, totals = exact.count_batch(list(texts), [body.params for _, body in sent])
    tokens = {key: n for key, n in zip(texts, text_counts) if n is not None}

    templates = dict(offline.templates)
    exact_ids = set()
    for tid, template in project.templates.items():
        got = tokens.get((offline.template_models[tid], template.text))
        if got is not None:
            templates[tid] = got
            exact_ids.add(tid)
        elif not template.text.strip() and exact.applies(offline.template_models[tid]):
            exact_ids.add(tid)  # nothing to count: the offline 0 (or whitespace) stands

    requests = dict(offline.requests)
    stand_ins = left_out = exact_requests = 0
    for (request, body), total in zip(sent, totals):
        before = offline.requests[request.id]
        parts = tuple(
            tokens.get((before.model, project.templates[p.template].text), n)
            if p.template in project.templates else n
            for p, n in zip(request.parts, before.parts)
        )
        if total is None:
            requests[request.id] = before.with_parts(parts)
            continue
        exact_requests += 1
        stand_ins += body.stand_ins
        left_out += body.left_out
        requests[request.id] = replace(before, parts=parts, overhead=max(0, total - sum(parts)),
                                       input_tokens=total, exact=True, count="exact-api")

    notes = [f"{exact_requests} of {len(project.requests)} requests and {len(exact_ids)} of "
             f"{len(project.templates)} templates counted exactly with count_tokens "
             f"(the API answered {exact.counted} bodies, the cache {exact.cached})"]
    if stand_ins:
        notes.append(f"{_n(stand_ins, 'run-time value')} (placeholders, variables) sent as the one-letter "
                     f"stand-in `{STAND_IN}` and counted as such")
    if left_out:
        notes.append(f"{_n(left_out, 'part')} of unknown length (history lists, unresolved values) not sent, "
                     "counting nothing")
    if other:
        notes.append(f"{_n(other, 'request')} to non-Anthropic models: counted offline "
                     "(count_tokens counts Claude models only)")
    measured = Measurements("anthropic", templates, dict(offline.template_models), requests,
                            notes=(*offline.notes, *notes), exact_templates=frozenset(exact_ids),
                            template_counts=offline.template_counts)
    return with_warnings(measured, counter)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def with_warnings(measurements: Measurements, counter: TokenCounter) -> Measurements:
    """Attach the exact counter's one warning (rules may have counted more since)."""
    warning = counter.exact.warning() if counter.exact is not None else None
    return replace(measurements, warnings=(warning,) if warning else ())
