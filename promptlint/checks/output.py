"""Output-cap rules: PL301 (and PL302 in the rule catalog issue)."""

from __future__ import annotations

from promptlint.checks import fmt_tokens
from promptlint.types import Fix, Saving, Usage

# Legacy completions default to a 16-token cap, so a missing cap there costs nothing.
_CAPPED_BY_DEFAULT = {"completions.create"}


def missing_max_tokens(ctx):
    for request in ctx.project.requests:
        if request.max_tokens_param is not None or request.api in _CAPPED_BY_DEFAULT:
            continue
        if request.kwargs_open:
            continue  # the cap may be among keyword arguments promptlint cannot see
        counts = ctx.measurements.requests[request.id]
        ceiling, sourced = ctx.catalog.max_output(counts.model)
        assumed = "" if sourced else " (assumed)"
        if request.provider == "anthropic":
            yield ctx.finding(
                request.span,
                f"{request.api} without max_tokens: the Messages API requires it and the call fails at run time",
                request=request.id, severity="error",
                fix=Fix("unsafe", "add max_tokens=<a cap that fits the expected answer>"),
            )
            continue
        param = "max_output_tokens" if request.api.startswith("responses") else (
            "max_completion_tokens" if request.provider == "openai" else "max_tokens")
        yield ctx.finding(
            request.span,
            f"no output cap: a runaway answer can bill up to {fmt_tokens(ceiling)} output tokens{assumed} "
            f"of {counts.model}; set {param}",
            request=request.id,
            saving=Saving(ceiling, (Usage(counts.model, output_tokens=ceiling),), (), exposure=True),
            fix=Fix("unsafe", f"add {param}=<a cap that fits the expected answer>"),
        )
