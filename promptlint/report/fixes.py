"""What ``promptlint fix`` did: one line per fix with its measured saving, a diff for each
suggestion, and a summary. With ``--diff`` the diff is the output and the lines go to
stderr, so the output can be piped to ``git apply``.
"""

from __future__ import annotations

import json

from promptlint import __version__
from promptlint.fix.results import APPLIED, FAILED, REFUSED, SKIPPED, SUGGESTED
from promptlint.report import fmt_int, fmt_usd, round_usd
from promptlint.report.text import location

_VERBS = {APPLIED: "fixed", SUGGESTED: "suggestion", SKIPPED: "skipped", FAILED: "not fixed", REFUSED: "not written"}


def measured_note(measured, total: bool = False) -> str:
    """A fix's saving as measured on the edited tree (``total``: of several fixes, whose
    token savings fall on different requests)."""
    if measured is None:
        return ""
    parts = []
    price = measured.price
    lead = "up to " if total else ""
    tokens = f"{lead}{fmt_int(measured.tokens)} fewer input tokens/request" if measured.tokens > 0 else ""
    if price.usd_per_request > 0:  # a saving is said only when it is one: never "saves -$"
        parts.append(f"{tokens + ', ' if tokens else ''}saves {fmt_usd(price.usd_per_request)}/request, "
                     f"{fmt_usd(price.usd_per_month)}/month")
    else:
        if tokens:
            parts.append(tokens)
        if price.usd_per_request < 0:
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
    for path, note in sorted(run.notes.items()):
        lines.append(f"{view.path(path)}: {note}")
    for path, reason in sorted(run.refused.items()):
        if not any(path in r.paths for r in run.by_status(REFUSED)):
            lines.append(f"{view.path(path)}: not written: {reason}")
    if diff_mode:
        out.append(run.diff().rstrip("\n"))
    lines.append(_summary(run, diff_mode, unsafe))
    err.extend(f"promptlint: warning: {notice}" for notice in run.notices)
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


def measured_entry(measured) -> dict | None:
    """A fix's measured effect, as numbers (positive: cheaper after the fix)."""
    if measured is None:
        return None
    return {
        "tokens_saved": measured.tokens,
        "usd_per_request": round_usd(measured.price.usd_per_request),
        "usd_per_month": round_usd(measured.price.usd_per_month),
        "exposure_tokens_saved": measured.exposure_tokens,
        "exposure_usd_per_request": round_usd(measured.exposure.usd_per_request),
        "exposure_usd_per_month": round_usd(measured.exposure.usd_per_month),
    }


def fix_entry(result, view) -> dict:
    f = result.finding.finding
    entry = {
        "code": f.code, "name": f.name, "path": view.path(f.span.path), "line": f.span.line,
        "column": f.span.column, "template": f.template, "request": f.request,
        "status": result.status, "applicability": result.applicability,
        "description": f.fix.description if f.fix else None,
        "reason": result.reason if result.status not in (APPLIED, SUGGESTED) else None,
        "notes": list(result.notes),
        "measured": measured_entry(result.measured) if result.status in (APPLIED, SUGGESTED, REFUSED) else None,
        "estimated": {"tokens_saved": f.saving.tokens if f.saving else None,
                      "usd_per_month": round_usd(result.finding.price.usd_per_month) if result.finding.price else None},
        "files": sorted(view.path(p) for p in result.paths),
        "diff": result.diff if result.status == SUGGESTED else None,
    }
    if f.span.cell is not None:
        entry["cell"] = f.span.cell
    return entry


def render_fix_json(run, view, diff_mode: bool, unsafe: bool) -> str:
    """``promptlint fix --format json``: every fix with its status (applied, suggested,
    skipped, failed, refused), what it was measured to save and why it was not applied;
    every changed file with whether it was written; the diff of what is applied."""
    order = {APPLIED: 0, SUGGESTED: 1, SKIPPED: 2, FAILED: 3, REFUSED: 4}
    results = sorted(run.results, key=lambda r: (order[r.status], r.finding.finding.span.path,
                                                 r.finding.finding.span.line, r.finding.finding.code))
    files = []
    for path in sorted(run.files):
        status = "refused" if path in run.refused else ("would write" if diff_mode else "written")
        entry = {"path": view.path(path), "status": status, "reason": run.refused.get(path)}
        if path in run.notes:
            entry["note"] = run.notes[path]
        files.append(entry)
    after = run.after if run.after is not None else run.analysis
    counts = {status: len(run.by_status(status)) for status in order}
    document = {
        "version": 1, "tool": {"name": "promptlint", "version": __version__},
        "dry_run": diff_mode, "unsafe_fixes": unsafe,
        "fixes": [fix_entry(r, view) for r in results],
        "files": files,
        "diff": run.diff(),
        "notices": list(run.notices),
        "summary": {
            **counts, "unfixable": run.unfixable,
            "files_changed": len(run.files), "files_written": len(run.written), "files_refused": len(run.refused),
            "measured": measured_entry(run.total),
            "findings_remaining": len(after.findings),
            "tokenizer": after.measurements.tokenizer,
        },
    }
    return json.dumps(document, indent=2) + "\n"
