"""Markdown for a pull-request comment or a job summary: a reviewer reads it in seconds.

``check`` gives the findings table; ``audit`` gives the before/after/delta table against the
baseline with the total change in dollars per month, then the costliest requests. Tables
are capped (GitHub refuses comments over 65,536 characters) and cells are escaped so a
``|`` in a message cannot break a row.
"""

from __future__ import annotations

from promptlint import escape
from promptlint.report import fmt_int, fmt_usd, severity_detail, worth
from promptlint.report.document import sorted_requests
from promptlint.report.text import location
from promptlint.traffic.report import rate_label, share

MAX_ROWS = 50
AUDIT_ROWS = 10  # costliest requests listed under an audit


# One table cell (a message whose `spans` are code), and inline code: see promptlint.escape.
cell = escape.markdown_message
code = escape.markdown_code


def table(headers: list[str], align: str, rows: list[list[str]]) -> list[str]:
    marks = {"l": "---", "r": "--:", "c": ":-:"}
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(marks[a] for a in align) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows[:MAX_ROWS]]
    if len(rows) > MAX_ROWS:
        lines.append("")
        lines.append(f"… and {len(rows) - MAX_ROWS} more (run promptlint locally for the full list).")
    return lines


def _footer(analysis) -> str:
    from promptlint.report.text import footer

    return f"<sub>{footer(analysis)}</sub>"


def _worth(priced) -> str:
    got = worth(priced)
    if got is None:
        return ""
    kind, price = got
    return f"up to {fmt_usd(price.usd_per_month)} exposure" if kind == "exposure" else f"~{fmt_usd(price.usd_per_month)}"


def render_check(analysis, view) -> str:
    findings = analysis.findings
    lines = ["## promptlint", ""]
    if not findings:
        lines.append(f"All checks passed: {len(analysis.project.templates)} templates, "
                     f"{len(analysis.project.requests)} requests.")
    else:
        saveable = analysis.usd_per_month_saveable
        lines.append(f"**{len(findings)} finding{'s' if len(findings) != 1 else ''}** ({severity_detail(analysis.by_severity)})"
                     + (f" · **~{fmt_usd(saveable)}/month saveable**" if saveable > 0 else ""))
        lines.append("")
        rows = []
        for priced in findings:
            f = priced.finding
            where = location(f.span, view, column=False)
            fix = f" ({f.fix.applicability} fix)" if f.fix else ""
            rows.append([f.severity, code(where), f"{f.code} {cell(f.name)}", cell(f.message) + fix,
                         _worth(priced)])
        lines += table(["severity", "location", "rule", "finding", "$/month"], "lllll", rows)
    lines += ["", _footer(analysis)]
    return "\n".join(lines) + "\n"


def comparison_section(comparison, analysis, view) -> list[str]:
    from promptlint.report.changes import KIND_TITLES, Locator, billed, percent, signed_int, signed_usd, verdict

    mark = "❌" if comparison.failed else "✅"
    lines = [f"{mark} {cell(verdict(comparison))}", ""]
    requests = comparison.total("request")
    delta = requests.usd_after - requests.usd_before
    lines.append(f"Input cost of all requests: **{fmt_usd(requests.usd_after)}/month** "
                 f"(was {fmt_usd(requests.usd_before)}/month, **{signed_usd(delta)}/month**).")
    lines.append("")
    locate = Locator(analysis, view)
    rows = []
    for c in comparison.changed:
        path, line = locate(c)
        status = ("❌ " if c.exceeded else "") + c.status
        rows.append([status, c.kind, code(c.id), fmt_int(c.tokens_before), fmt_int(c.tokens_after),
                     signed_int(c.tokens_after - c.tokens_before), percent(c.tokens_before, c.tokens_after),
                     fmt_usd(c.usd_before), fmt_usd(c.usd_after), signed_usd(c.usd_after - c.usd_before)])
    for t in comparison.totals:
        money = [f"**{fmt_usd(t.usd_before)}**", f"**{fmt_usd(t.usd_after)}**",
                 f"**{signed_usd(t.usd_after - t.usd_before)}**"] if billed(t) else ["", "", ""]
        rows.append([("❌ " if t.exceeded else "") + "**total**", KIND_TITLES[t.kind], "",
                     f"**{fmt_int(t.tokens_before)}**", f"**{fmt_int(t.tokens_after)}**",
                     f"**{signed_int(t.tokens_after - t.tokens_before)}**", percent(t.tokens_before, t.tokens_after),
                     *money])
    lines += table(["status", "kind", "prompt", "tokens before", "after", "Δ tokens", "Δ %", "$/month before",
                    "after", "Δ $/month"], "lllrrrrrrr", rows)
    lines.append("")
    lines.append(f"{comparison.unchanged} entries unchanged; the gate tolerates growth up to "
                 f"{comparison.limit.describe()}, per entry and in total.")
    for note in comparison.notes:
        lines.append(f"> Note: {cell(note)}")
    return lines


def render_audit(analysis, view, comparison=None) -> str:
    lines = ["## promptlint audit", ""]
    if comparison is not None:
        lines += comparison_section(comparison, analysis, view)
        lines.append("")
    requests = [r for r in sorted_requests(analysis) if analysis.traffic.of_request(r.id).production]
    lines.append(f"<details><summary>Costliest production requests ({len(requests)}; "
                 f"{fmt_usd(analysis.usd_per_month_total)}/month in all)</summary>")
    lines.append("")
    measured = analysis.usage is not None or any(s.measured for s in analysis.traffic.requests.values())
    rows = []
    for request in requests[:AUDIT_ROWS]:
        counts = analysis.measurements.requests[request.id]
        price = analysis.request_prices[request.id]
        site = analysis.traffic.of_request(request.id)
        row = [code(request.id), code(location(request.span, view, column=False)), code(counts.model),
               fmt_int(counts.input_tokens), rate_label(site), fmt_usd(price.usd_per_request), fmt_usd(price.usd_per_month)]
        if measured:
            m = site.measured
            row += [share(m.cache_read_share) if m else "", share(site.predicted_cache_share),
                    fmt_int(int(m.output_p95)) if m and m.output_p95 is not None else ""]
        rows.append(row)
    headers = ["request", "location", "priced as", "input tokens", "traffic", "$/request", "$/month"]
    if measured:
        headers += ["measured cache read", "predicted", "output p95"]
    lines += table(headers, "llllrrrrrrr"[:len(headers)], rows)
    if analysis.usd_per_month_non_production:
        lines += ["", f"Non-production requests (tests, docs, examples, notebooks, evaluations) are priced apart: "
                      f"{fmt_usd(analysis.usd_per_month_non_production)}/month."]
    if analysis.usage is not None:
        attribution = analysis.usage.attribution
        lines += ["", f"Usage logs: {attribution.attributed:,} of {analysis.usage.calls:,} logged calls attributed "
                      f"to request sites, {len(attribution.unattributed):,} unattributed "
                      f"({len(attribution.ambiguous):,} ambiguous)."]
    lines += ["", "</details>", "", _footer(analysis)]
    return "\n".join(lines) + "\n"
