"""PL001 parse-error and PL002 unresolved-prompt: what promptlint could not read."""

from __future__ import annotations

from promptlint.checks.prompt_text import prompt_index
from promptlint.types import Span


def parse_error(ctx):
    for diagnostic in ctx.project.diagnostics:
        if diagnostic.code == "PL001":
            span = Span(diagnostic.path, diagnostic.line, diagnostic.column, cell=diagnostic.cell)
            yield ctx.finding(span, diagnostic.message)


def unresolved_prompt(ctx):
    # a wrapper's own call takes its prompt from a parameter: counted where callers pass it
    index = prompt_index(ctx.project)
    served = {inner.id for r in ctx.project.requests for inner in index.own_calls(r)}
    for request in ctx.project.requests:
        if request.unresolved:
            reasons = "; ".join(dict.fromkeys(request.unresolved))
            yield ctx.finding(request.span, f"prompt cannot be resolved statically: {reasons}", request=request.id)
            continue
        prompt_parts = [p for p in request.parts if p.section in ("system", "messages")]
        if prompt_parts and not any(p.template for p in prompt_parts) and request.id not in served:
            holes = ", ".join(dict.fromkeys(f"`{p.hole}`" for p in prompt_parts if p.hole))
            counts = ctx.measurements.requests[request.id].parts
            tools = sum(n for p, n in zip(request.parts, counts) if p.section == "tools")
            if tools:
                message = (f"the system prompt and messages come from run-time values ({holes}) and are not counted; "
                           f"only the tools ({tools:,} tokens) are")
            else:
                message = f"prompt comes entirely from run-time values ({holes}); its tokens and cost are not counted"
            yield ctx.finding(request.span, message, request=request.id)

