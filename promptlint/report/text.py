"""Human-readable output: one line per finding (like ruff), then the costliest prompts.

``view.detail`` decides how much: ``quiet`` prints the findings (or an audit's verdict and
what fails) and nothing else, ``verbose`` adds an audit's every change and its inventory.
``view.paint`` colours the parts (path, code by severity, dollars) on a terminal.
"""

from __future__ import annotations

from promptlint.report import fmt_int, fmt_usd, plural, saving_note, severity_detail, worth
from promptlint.report.document import sorted_requests, sorted_templates

SUMMARY_ROWS = 5


def location(span, view, column: bool = True) -> str:
    """``path:line:col``, with the cell for a notebook (``nb.ipynb:cell 3:5:1``, as ruff shows it)."""
    cell = f"cell {span.cell}:" if span.cell is not None else ""
    return f"{view.path(span.path)}:{cell}{span.line}" + (f":{span.column}" if column else "")


def _painted_location(span, view) -> str:
    paint = view.paint
    sep = paint("sep", ":")
    parts = [paint("path", view.path(span.path))]
    if span.cell is not None:
        parts.append(f"cell {span.cell}")
    parts += [str(span.line), str(span.column)]
    return sep.join(parts)


def finding_line(priced, view) -> str:
    f = priced.finding
    paint = view.paint
    line = f"{_painted_location(f.span, view)}{paint('sep', ':')} {paint(f.severity, f.code)} {paint('name', f.name)}  {f.message}"
    note = saving_note(priced)
    if note:
        kind = worth(priced)[0]  # type: ignore[index]
        line += f" ({paint('exposure' if kind == 'exposure' else 'usd', note)})"
    if f.fix is not None:
        line += " " + paint("fix", f"[{'*' if f.fix.applicability == 'safe' else 'unsafe '}fix]")
    return line


def _table(headers: list[str], rows: list[list[str]], align: str) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        out = []
        for cell, width, a in zip(cells, widths, align):
            out.append(cell.rjust(width) if a == "r" else cell.ljust(width))
        return "  ".join(out).rstrip()

    return [fmt(headers), *(fmt(r) for r in rows)]


def request_rows(analysis, view) -> list[list[str]]:
    rows = []
    for request in sorted_requests(analysis):
        counts = analysis.measurements.requests[request.id]
        price = analysis.request_prices[request.id]
        rows.append([fmt_usd(price.usd_per_month), fmt_usd(price.usd_per_request),
                     _tokens(analysis, counts.input_tokens, counts.exact),
                     counts.model, f"{location(request.span, view, False)} {request.id.split('::', 1)[-1]}"])
    return rows


def template_rows(analysis, view, limit: int | None) -> list[list[str]]:
    rows = []
    for tid in sorted_templates(analysis)[:limit]:
        template = analysis.project.templates[tid]
        price = analysis.template_prices[tid]
        rows.append([fmt_usd(price.usd_per_month), fmt_usd(price.usd_per_request),
                     _tokens(analysis, analysis.measurements.templates[tid], tid in analysis.measurements.exact_templates),
                     template.role,
                     f"{location(template.span, view, False)} {tid.split('::', 1)[-1] if '::' in tid else ''}".rstrip()])
    return rows


def _tokens(analysis, n: int, exact: bool) -> str:
    """A count; with exact counting on, estimates that remain are marked ``~``."""
    return fmt_int(n) if exact or analysis.measurements.tokenizer != "anthropic" else f"~{fmt_int(n)}"


def _article(percent: str) -> str:
    """"a 90%", "an 80%", "an 8%", "an 11%", "an 18%" (as the number is read aloud)."""
    return "an" if percent.startswith("8") or percent in ("11%", "18%") else "a"


def footer(analysis) -> str:
    config = analysis.config
    measured = analysis.measurements
    if measured.tokenizer != "anthropic":
        kind = "offline estimates"
    elif measured.estimated:
        kind = "exact (count_tokens) except those marked ~ (offline estimates)"
    else:
        kind = "exact (count_tokens)"
    notes = "".join(f"\nNote: {n}." for n in measured.notes)
    rate = f"{config.cache_hit_rate:.0%}"
    return (f"Tokens are {kind}; dollars assume {fmt_int(config.requests_per_month)} requests/month per request site "
            f"and {_article(rate)} {rate} cache hit rate.{notes}")


def _frame(priced, view, sources) -> list[str]:
    from promptlint.report.frame import code_frame

    return code_frame(priced.finding, view, sources)


def render_check(analysis, view, frames: bool = False) -> str:
    lines: list[str] = []
    sources: dict = {}
    for priced in analysis.findings:
        lines.append(finding_line(priced, view))
        if frames:
            lines += _frame(priced, view, sources)
    if view.detail == "quiet":
        return "".join(line + "\n" for line in lines)
    if not frames and (analysis.project.templates or analysis.project.requests):
        if lines:
            lines.append("")
        lines.append(view.paint("heading", "Costliest prompts:"))
        rows = template_rows(analysis, view, SUMMARY_ROWS)
        lines += ["  " + r for r in _table(["$/month", "$/request", "tokens", "role", "template"], rows, "rrrll")]
    total = len(analysis.findings)
    lines.append("")
    if total:
        saveable = analysis.usd_per_month_saveable
        fixable = sum(1 for f in analysis.findings if f.finding.fix is not None and f.finding.fix.applicability == "safe")
        hint = f" [*] {fmt_int(fixable)} fixable with `promptlint check --fix`." if fixable else ""
        lines.append(view.paint("fail", f"Found {plural(total, 'finding')}") + f" ({severity_detail(analysis.by_severity)})"
                     + (f"; ~{view.paint('usd', fmt_usd(saveable))}/month saveable." if saveable > 0 else ".") + hint)
    else:
        lines.append(view.paint("ok", "All checks passed."))
    project = analysis.project
    lines.append(f"Scanned {plural(project.files_scanned, 'file')}: {plural(len(project.templates), 'template')}, "
                 f"{plural(len(project.requests), 'request')}. {footer(analysis)}")
    return "\n".join(lines) + "\n"


def _change_rows(changes, locate) -> list[list[str]]:
    from promptlint.report.changes import percent, signed_int

    rows = []
    for c in changes:
        where = locate.where(c)
        name = c.id.split("::", 1)[1] if "::" in c.id else ""
        rows.append([c.status + (" (over limit)" if c.exceeded else ""), c.kind, fmt_int(c.tokens_before),
                     fmt_int(c.tokens_after), signed_int(c.tokens_after - c.tokens_before),
                     percent(c.tokens_before, c.tokens_after), fmt_usd(c.usd_before),
                     fmt_usd(c.usd_after), _signed(c.usd_after - c.usd_before), f"{where} {name}".rstrip()])
    return rows


def _signed(x: float) -> str:
    from promptlint.report.changes import signed_usd

    return signed_usd(x)


def comparison_lines(comparison, analysis, view) -> list[str]:
    """The verdict first, then what fails (with ``verbose``, every change)."""
    from promptlint.report.changes import KIND_TITLES, Locator, delta_line, verdict

    paint = view.paint
    locate = Locator(analysis, view)
    head = paint("fail", "FAIL:") if comparison.failed else paint("ok", "OK:")
    lines = [f"{head} {verdict(comparison)}"]
    shown = comparison.changed if view.detail == "verbose" else [c for c in comparison.changed if c.exceeded]
    if shown:
        headers = ["status", "kind", "before", "after", "tokens", "%", "$/month before", "after", "delta", "prompt"]
        lines += ["  " + r for r in _table(headers, _change_rows(shown, locate), "llrrrrrrrl")]
    for total in comparison.totals:
        if total.exceeded or view.detail == "verbose":
            lines.append(f"  Total {KIND_TITLES[total.kind]}: {delta_line(total)}" + (" (over limit)" if total.exceeded else ""))
    if view.detail == "quiet":
        return lines
    for note in comparison.notes:
        lines.append(f"  Note: {note}")
    others = len(comparison.changed) - len(shown)
    tail = f"{plural(comparison.unchanged, 'entry')} unchanged"
    if others:
        tail = f"{plural(others, 'other change')} within {comparison.limit.describe()}, " + tail
    lines.append(f"  {tail}" + ("." if view.detail == "verbose" else "; --verbose lists every change and the inventory."))
    return lines


def inventory_lines(analysis, view) -> list[str]:
    lines = [view.paint("heading", f"Requests ({len(analysis.project.requests)}), most expensive first:")]
    rows = request_rows(analysis, view)
    lines += ["  " + r for r in _table(["$/month", "$/request", "input", "priced as", "request"], rows, "rrrll")]
    lines.append("")
    lines.append(view.paint("heading", f"Templates ({len(analysis.project.templates)}), most expensive first:"))
    rows = template_rows(analysis, view, None)
    lines += ["  " + r for r in _table(["$/month", "$/request", "tokens", "role", "template"], rows, "rrrll")]
    lines.append("")
    return lines


def render_audit(analysis, view, comparison=None) -> str:
    """Without a baseline: the inventory. With one: the verdict first and what fails, so a
    failing hook's reason is its first line, not its last (``verbose`` adds the rest)."""
    total = f"Input cost of all requests: {fmt_usd(analysis.usd_per_month_total)}/month. {footer(analysis)}"
    if comparison is None:
        if view.detail == "quiet":
            return total + "\n"
        return "\n".join([*inventory_lines(analysis, view), total]) + "\n"
    lines = comparison_lines(comparison, analysis, view)
    if view.detail == "verbose":
        lines += ["", *inventory_lines(analysis, view), total]
    return "\n".join(lines) + "\n"
