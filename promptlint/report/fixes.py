"""What ``promptlint fix`` did: one line per fix with its measured saving, a diff for each
suggestion, and a summary. With ``--diff`` the diff is the output and the lines go to
stderr, so the output can be piped to ``git apply``.
"""

from __future__ import annotations

from promptlint.fix.results import APPLIED, FAILED, REFUSED, SKIPPED, SUGGESTED
from promptlint.report import fmt_int, fmt_usd
from promptlint.report.text import location

_VERBS = {APPLIED: "fixed", SUGGESTED: "suggestion", SKIPPED: "skipped", FAILED: "not fixed", REFUSED: "not written"}


def measured_note(measured, total: bool = False) -> str:
    """A fix's saving as measured on the edited tree (``total``: of several fixes, whose
    token savings fall on different requests)."""
    if measured is None:
        return ""
    parts = []
    price = measured.price
    if measured.tokens > 0 or price.usd_per_request > 0:
        lead = "up to " if total else ""
        tokens = f"{lead}{fmt_int(measured.tokens)} fewer input tokens/request, " if measured.tokens > 0 else ""
        parts.append(f"{tokens}saves {fmt_usd(price.usd_per_request)}/request, {fmt_usd(price.usd_per_month)}/month")
    elif price.usd_per_request < 0:
        parts.append(f"costs {fmt_usd(-price.usd_per_request)}/request more")
    exposure = measured.exposure
    if measured.exposure_tokens > 0:
        parts.append(f"worst-case output {fmt_int(measured.exposure_tokens)} tokens lower "
                     f"(exposure down {fmt_usd(exposure.usd_per_request)}/request, {fmt_usd(exposure.usd_per_month)}/month)")
    elif exposure.usd_per_request > 0:  # the same cap on a cheaper model
        parts.append(f"worst-case output at the cap {fmt_usd(exposure.usd_per_request)}/request cheaper "
                     f"({fmt_usd(exposure.usd_per_month)}/month)")
    return "; ".join(parts) if parts else "no measured saving"


def fix_line(result, view, verb: str | None = None) -> str:
    f = result.finding.finding
    where = location(f.span, view)
    verb = verb or _VERBS[result.status]
    fix = result.finding.finding.fix
    line = f"{where}: {f.code} {f.name}  {verb}: {fix.description if fix else ''}"
    note = measured_note(result.measured) if result.status in (APPLIED, SUGGESTED) else ""
    if note:
        line += f" ({note})"
    if result.reason and result.status not in (APPLIED, SUGGESTED):
        line += f" -- {result.reason}"
    for extra in result.notes:
        line += f" [{extra}]"
    return line


def render_fix(run, view, diff_mode: bool, unsafe: bool) -> tuple[str, str]:
    """(stdout, stderr) of a fix run."""
    out: list[str] = []
    err: list[str] = []
    lines = err if diff_mode else out
    would = "would fix" if diff_mode else None
    for result in run.by_status(APPLIED):
        lines.append(fix_line(result, view, would))
    for result in run.by_status(SUGGESTED):
        lines.append(fix_line(result, view) + "  [unsafe: apply with --unsafe-fixes]")
        if not diff_mode:
            out.append(result.diff.rstrip("\n"))
    for status in (SKIPPED, FAILED, REFUSED):
        for result in run.by_status(status):
            lines.append(fix_line(result, view))
    if diff_mode:
        out.append(run.diff().rstrip("\n"))
    lines.append(_summary(run, diff_mode, unsafe))
    text = "\n".join(x for x in out if x)
    return (text + "\n" if text else ""), "\n".join(err) + ("\n" if err else "")


def _summary(run, diff_mode: bool, unsafe: bool) -> str:
    applied = run.by_status(APPLIED)
    files = sorted({p for r in applied for p in r.paths})
    pieces = []
    if applied:
        verb = "Would fix" if diff_mode else "Fixed"
        total = f": {measured_note(run.total, total=True)}" if run.total is not None else ""
        pieces.append(f"{verb} {len(applied)} finding{'s' if len(applied) != 1 else ''} in {len(files)} "
                      f"file{'s' if len(files) != 1 else ''}{total} (measured by extracting the edited files again)")
    else:
        pieces.append("Nothing to fix" if not run.by_status(SUGGESTED) else "No safe fixes")
    suggested = run.by_status(SUGGESTED)
    if suggested:
        pieces.append(f"{len(suggested)} unsafe fix{'es' if len(suggested) != 1 else ''} shown as "
                      f"suggestion{'s' if len(suggested) != 1 else ''} (--unsafe-fixes applies them)")
    problems = sum(len(run.by_status(status)) for status in (SKIPPED, FAILED, REFUSED))
    if problems:
        pieces.append(f"{problems} not applied")
    if run.unfixable:
        pieces.append(f"{run.unfixable} finding{'s have' if run.unfixable != 1 else ' has'} no automatic fix")
    after = run.after if run.after is not None else run.analysis
    if not diff_mode:
        remaining = len(after.findings)
        pieces.append(f"{remaining} finding{'s' if remaining != 1 else ''} remain{'s' if remaining == 1 else ''}")
    estimate = " Some token counts are estimates." if after.measurements.estimated else ""
    return "; ".join(pieces) + "." + estimate
