"""Human-readable output: one line per finding (like ruff), then the costliest prompts.

``view.detail`` decides how much: ``quiet`` prints the findings (or an audit's verdict and
what fails) and nothing else, ``verbose`` adds an audit's every change and its inventory.
``view.paint`` colours the parts (path, code by severity, dollars) on a terminal.
"""

from __future__ import annotations

from promptlint import escape
from promptlint.report import fmt_int, fmt_usd, plural, saving_note, severity_detail, worth
from promptlint.report.document import sorted_requests, sorted_templates
from promptlint.traffic.report import fmt_rate, rate_label, share, sources_sentence, unattributed_reasons

SUMMARY_ROWS = 5


def location(span, view, column: bool = True) -> str:
    """``path:line:col``, with the cell for a notebook (``nb.ipynb:cell 3:5:1``, as ruff shows it)."""
    cell = f"cell {span.cell}:" if span.cell is not None else ""
    return f"{view.path(span.path)}:{cell}{span.line}" + (f":{span.column}" if column else "")


def _painted_location(span, view) -> str:
    paint = view.paint
    sep = paint("sep", ":")
    parts = [paint("path", escape.line(view.path(span.path)))]
    if span.cell is not None:
        parts.append(f"cell {span.cell}")
    parts += [str(span.line), str(span.column)]
    return sep.join(parts)


def finding_line(priced, view) -> str:
    f = priced.finding
    paint = view.paint
    line = f"{_painted_location(f.span, view)}{paint('sep', ':')} {paint(f.severity, f.code)} {paint('name', escape.line(f.name))}  {escape.line(f.message)}"
    note = saving_note(priced)
    if note:
        kind = worth(priced)[0]  # type: ignore[index]
        line += f" ({paint('exposure' if kind == 'exposure' else 'usd', note)})"
    if f.fix is not None:
        line += " " + paint("fix", f"[{'*' if f.fix.applicability == 'safe' else 'unsafe '}fix]")
    return line


def _table(headers: list[str], rows: list[list[str]], align: str) -> list[str]:
    rows = [[escape.line(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        out = []
        for cell, width, a in zip(cells, widths, align):
            out.append(cell.rjust(width) if a == "r" else cell.ljust(width))
        return "  ".join(out).rstrip()

    return [fmt(headers), *(fmt(r) for r in rows)]


def request_rows(analysis, view, production: bool = True) -> list[list[str]]:
    rows = []
    for request in sorted_requests(analysis):
        site = analysis.traffic.of_request(request.id)
        if site.production != production:
            continue
        counts = analysis.measurements.requests[request.id]
        price = analysis.request_prices[request.id]
        rows.append([fmt_usd(price.usd_per_month), fmt_usd(price.usd_per_request),
                     _tokens(counts.input_tokens, counts.count),
                     counts.model, rate_label(site), f"{location(request.span, view, False)} {request.id.split('::', 1)[-1]}"])
    return rows


def measured_lines(analysis, view) -> list[str]:
    """Per site what the usage logs measured, then the calls no site could claim."""
    report = analysis.usage
    if report is None:
        return []
    files = ", ".join(f"{f} ({n:,} calls)" for f, _kind, n in report.logs.files) or "none readable"
    span = f" over {report.window_days:.1f} days" if report.window_days else ""
    lines = [f"Measured traffic from usage logs{span}: {files}"]
    rows = []
    for request in sorted_requests(analysis):
        site = analysis.traffic.of_request(request.id)
        m = site.measured
        if m is None:
            continue
        rate = fmt_rate(m.requests_per_month) if m.requests_per_month is not None else "—"
        cost = fmt_usd(m.usd_per_month) if m.usd_per_month is not None else "—"
        rows.append([f"{m.requests:,}", rate, share(m.cache_read_share), share(site.predicted_cache_share),
                     f"{fmt_int(int(m.input_median or 0))}/{fmt_int(int(m.input_p95 or 0))}",
                     f"{fmt_int(int(m.output_median or 0))}/{fmt_int(int(m.output_p95 or 0))}", cost,
                     f"{location(request.span, view, False)} {request.id.split('::', 1)[-1]}"])
    headers = ["calls", "req/month", "cache read", "predicted", "input p50/p95", "output p50/p95", "measured $/month",
               "request"]
    lines += ["  " + r for r in _table(headers, rows, "rrrrrrrl")]
    attribution = report.attribution
    lines.append(f"  {attribution.attributed:,} of {report.calls:,} logged calls attributed to request sites; "
                 f"{len(attribution.unattributed):,} unattributed.")
    for reason, n in unattributed_reasons(attribution):
        lines.append(f"  unattributed: {n:,} call{'s' if n != 1 else ''}: {reason}")
    for reason, n in report.logs.skipped.items():
        lines.append(f"  not counted: {n:,} record{'s' if n != 1 else ''} {reason}")
    return lines


def template_rows(analysis, view, limit: int | None) -> list[list[str]]:
    rows = []
    for tid in sorted_templates(analysis)[:limit]:
        template = analysis.project.templates[tid]
        price = analysis.template_prices[tid]
        rows.append([fmt_usd(price.usd_per_month), fmt_usd(price.usd_per_request),
                     _tokens(analysis.measurements.templates[tid], analysis.measurements.template_count(tid)),
                     template.role,
                     f"{location(template.span, view, False)} {tid.split('::', 1)[-1] if '::' in tid else ''}".rstrip()])
    return rows


def _tokens(n: int, kind: str) -> str:
    """A count; estimates are marked ``~``."""
    return f"~{fmt_int(n)}" if kind == "estimate" else fmt_int(n)


def _article(percent: str) -> str:
    """"a 90%", "an 80%", "an 8%", "an 11%", "an 18%" (as the number is read aloud)."""
    return "an" if percent.startswith("8") or percent in ("11%", "18%") else "a"


def footer(analysis) -> str:
    config = analysis.config
    measured = analysis.measurements
    exact = "exact (count_tokens)" if measured.tokenizer == "anthropic" else "exact (offline tokenizers)"
    kind = f"{exact} except those marked ~ (estimates)" if measured.estimated else exact
    notes = "".join(f"\nNote: {n}." for n in (*measured.notes, *analysis.traffic.notes))
    rate = f"{config.cache_hit_rate:.0%}"
    return (f"Tokens are {kind}; {sources_sentence(analysis)}; caching is priced at {_article(rate)} {rate} "
            f"cache hit rate unless measured.{notes}")


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
    lines = [f"{head} {escape.line(verdict(comparison))}"]
    shown = comparison.changed if view.detail == "verbose" else [c for c in comparison.changed if c.exceeded]
    if shown:
        headers = ["status", "kind", "before", "after", "tokens", "%", "$/month before", "after", "delta", "prompt"]
        lines += ["  " + r for r in _table(headers, _change_rows(shown, locate), "llrrrrrrrl")]
    lines += [escape.line(f"  Over the limit: {c.id}: {c.reason}") for c in shown if c.reason]
    for total in comparison.totals:
        if total.exceeded or view.detail == "verbose":
            lines.append(f"  Total {KIND_TITLES[total.kind]}: {delta_line(total)}"
                         + (f" (over limit: {total.reason})" if total.exceeded else ""))
    for total in comparison.budget_totals:
        if total.exceeded:
            lines.append(f"  Total {KIND_TITLES[total.kind]} under `{escape.line(total.where)}`: {delta_line(total)} "
                         f"(over its budget: {total.reason})")
    if view.detail == "quiet":
        return lines
    for note in comparison.notes:
        lines.append(f"  Note: {escape.line(note)}")
    others = len(comparison.changed) - len(shown)
    tail = f"{plural(comparison.unchanged, 'entry')} unchanged"
    if others:
        tail = f"{plural(others, 'other change')} within {comparison.limit.describe()}, " + tail
    lines.append(f"  {tail}" + ("." if view.detail == "verbose" else "; --verbose lists every change and the inventory."))
    return lines


def inventory_lines(analysis, view) -> list[str]:
    """Production requests, the non-production ones priced apart, measured traffic, templates."""
    heading = view.paint
    lines = []
    headers = ["$/month", "$/request", "input", "priced as", "traffic", "request"]
    rows = request_rows(analysis, view)
    lines.append(heading("heading", f"Requests ({len(rows)} in production), most expensive first:"))
    lines += ["  " + r for r in _table(headers, rows, "rrrlrl")]
    lines.append("")
    apart = request_rows(analysis, view, production=False)
    if apart:
        lines.append(heading("heading", f"Non-production requests ({len(apart)}; tests, docs, examples, notebooks, "
                                        f"evaluations), priced apart: "
                                        f"{fmt_usd(analysis.usd_per_month_non_production)}/month"))
        lines += ["  " + r for r in _table(headers, apart, "rrrlrl")]
        lines.append("")
    if analysis.usage is not None:
        lines += [*measured_lines(analysis, view), ""]
    lines.append(heading("heading", f"Templates ({len(analysis.project.templates)}), most expensive first:"))
    rows = template_rows(analysis, view, None)
    lines += ["  " + r for r in _table(["$/month", "$/request", "tokens", "role", "template"], rows, "rrrll")]
    lines.append("")
    return lines


def render_audit(analysis, view, comparison=None) -> str:
    """Without a baseline: the inventory. With one: the verdict first and what fails, so a
    failing hook's reason is its first line, not its last (``verbose`` adds the rest)."""
    total = (f"Input cost of all production requests: {fmt_usd(analysis.usd_per_month_total)}/month. "
             f"{footer(analysis)}")
    if comparison is None:
        if view.detail == "quiet":
            return total + "\n"
        return "\n".join([*inventory_lines(analysis, view), total]) + "\n"
    lines = comparison_lines(comparison, analysis, view)
    if view.detail == "verbose":
        lines += ["", *inventory_lines(analysis, view), total]
    return "\n".join(lines) + "\n"
