"""Model-choice rules: PL403 (and PL401, PL402 in the rule catalog issue)."""

from __future__ import annotations


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
