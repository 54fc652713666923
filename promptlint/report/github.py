"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

``::warning file=app/bot.py,line=12,col=5,title=PL201 missing-cache-breakpoint::message``.
The runner parses these lines, so data is escaped as GitHub's toolkit does it: ``%``, CR
and LF in the message; additionally ``:`` and ``,`` in property values, which would
otherwise end the property or the command early.
"""

from __future__ import annotations

from promptlint import escape
from promptlint.report import finding_message, fmt_usd
from promptlint.report.locations import file_line, from_cwd, repository_view

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}
escape_data = escape.workflow_data
escape_property = escape.workflow_property


def command(kind: str, message: str, **properties) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items() if value is not None)
    return f"::{kind}{' ' + props if props else ''}::{escape_data(message)}"


def finding_command(priced, view) -> str:
    """An annotation at the finding's line; in a notebook, at the line of the file that
    holds the cell's line (the message names the cell)."""
    f = priced.finding
    span = f.span
    where: dict = {"file": view.path(span.path)}
    if span.cell is None:
        where.update(line=span.line, col=span.column)
        if span.end_line and span.end_line > span.line:
            where["endLine"] = span.end_line
    else:
        where["line"] = file_line(view, span)
    return command(COMMANDS[f.severity], finding_message(priced), **where, title=f"{f.code} {f.name}")


def _summary(analysis) -> str:
    total = len(analysis.findings)
    saveable = analysis.usd_per_month_saveable
    tail = f", ~{fmt_usd(saveable)}/month saveable" if saveable > 0 else ""
    return f"promptlint: {total} finding{'s' if total != 1 else ''}{tail}"


def render_check(analysis, view) -> str:
    """Paths relative to the repository root, which the runner resolves them against."""
    view = repository_view(view)
    lines = [finding_command(f, view) for f in analysis.findings]
    lines.append(_summary(analysis))
    return "\n".join(lines) + "\n"


def render_audit(analysis, view, comparison=None) -> str:
    from promptlint.report.changes import KIND_TITLES, Locator, delta_line, verdict

    view = repository_view(view)
    lines = []
    if comparison is not None:
        locate = Locator(analysis, view)
        for change in comparison.changed:
            if change.status not in ("grown", "new"):
                continue
            path, line = locate(change)
            span = locate.span(change)
            if span is not None and span.cell is not None:
                line = file_line(view, span)
            kind = "error" if change.exceeded else "notice"
            title = f"prompt grew beyond {comparison.limit.describe()}" if change.exceeded else f"prompt {change.status}"
            lines.append(command(kind, _change_text(change), file=path, line=line, title=title))
        for t in comparison.totals:
            if t.exceeded:
                lines.append(command("error", f"total {KIND_TITLES[t.kind]}: {delta_line(t)}",
                                     file=from_cwd(comparison.baseline, view), title="promptlint audit: total grew"))
        lines.append(escape.line(verdict(comparison)))
    lines.append(f"promptlint audit: {len(analysis.project.requests)} requests, {len(analysis.project.templates)} "
                 f"templates, input cost {fmt_usd(analysis.usd_per_month_total)}/month")
    return "\n".join(lines) + "\n"


def _change_text(change) -> str:
    from promptlint.report.changes import percent, signed_int, signed_usd

    grow = change.tokens_after - change.tokens_before
    return (f"{change.kind} {change.id}: {change.tokens_before:,} -> {change.tokens_after:,} tokens "
            f"({signed_int(grow)}, {percent(change.tokens_before, change.tokens_after)}), "
            f"{signed_usd(change.usd_after - change.usd_before)}/month")
