"""The words and numbers of a baseline comparison, shared by the text, markdown and github formats."""

from __future__ import annotations

from promptlint.report import fmt_int, fmt_usd

KIND_TITLES = {"request": "request input", "template": "template text"}


def signed_int(n: int) -> str:
    return f"+{fmt_int(n)}" if n > 0 else fmt_int(n)


def signed_usd(x: float) -> str:
    return f"+{fmt_usd(x)}" if x > 0 else fmt_usd(x)


def percent(before: float, after: float) -> str:
    if after == before:
        return "0%"
    if before <= 0:
        return "new"
    share = (after - before) * 100.0 / before
    return f"{share:+.1f}%"


class Locator:
    """Where a changed entry lives now (path and line), or where its id says it lived."""

    def __init__(self, analysis, view) -> None:
        self.view = view
        self.spans = {r.id: r.span for r in analysis.project.requests}
        self.spans.update({t.id: t.span for t in analysis.project.templates.values()})

    def span(self, change):
        """The span of the entry as the tree has it now, or None (removed)."""
        return self.spans.get(change.id) if change.after is not None else None

    def where(self, change) -> str:
        """``path:line``, ``nb.ipynb:cell 3:5`` or, for a removed entry, the path its id names."""
        span = self.span(change)
        if span is None:
            return self.view.path(change.id.split("::", 1)[0])
        cell = f"cell {span.cell}:" if span.cell is not None else ""
        return f"{self.view.path(span.path)}:{cell}{span.line}"

    def __call__(self, change) -> tuple[str, int | None]:
        span = self.spans.get(change.id) if change.after is not None else None
        if span is not None:
            return self.view.path(span.path), (span.line if span.cell is None else None)
        return self.view.path(change.id.split("::", 1)[0]), None


def verdict(comparison) -> str:
    failing = [c for c in comparison.changes if c.exceeded]
    totals = [t for t in (*comparison.totals, *comparison.budget_totals) if t.exceeded]
    limit = comparison.limit.describe()
    if not failing and not totals:
        return f"No prompt grew beyond {limit} (baseline {comparison.baseline})."
    parts = []
    if failing:
        parts.append(f"{len(failing)} entr{'y' if len(failing) == 1 else 'ies'}")
    parts += [f"total {KIND_TITLES[t.kind]}" + (f" under `{t.where}`" if t.where else "") for t in totals]
    # a model swap fails at the same tokens: say the prompts got pricier, not that they grew
    pricier = any(c.reason and c.reason.startswith("price per token") for c in failing)
    verb = "grew or got pricier" if pricier else "grew"
    return f"Prompts {verb} beyond {limit} in {', '.join(parts)} (baseline {comparison.baseline})."


def billed(total) -> bool:
    """Only the request total is a bill; summed template prices would count shared text once
    and unused text as if sent, so their total is shown in tokens only."""
    return total.kind == "request"


def delta_line(total) -> str:
    """``1,225 -> 1,425 tokens (+200, +16.3%), $368 -> $428/month (+$60)``."""
    line = (f"{fmt_int(total.tokens_before)} -> {fmt_int(total.tokens_after)} tokens "
            f"({signed_int(total.tokens_after - total.tokens_before)}, {percent(total.tokens_before, total.tokens_after)})")
    if billed(total):
        line += (f", {fmt_usd(total.usd_before)} -> {fmt_usd(total.usd_after)}/month "
                 f"({signed_usd(total.usd_after - total.usd_before)})")
    return line
