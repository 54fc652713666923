"""``check --statistics``: how many findings of each rule, and what they are worth.

Savings and exposures are summed per rule and kept apart, as everywhere else: an exposure
is a worst case, never money to be saved.
"""

from __future__ import annotations

import json

from promptlint.report import fmt_int, fmt_usd, plural, round_usd, worth


def statistics(analysis) -> list[dict]:
    rows: dict[str, dict] = {}
    for priced in analysis.findings:
        f = priced.finding
        row = rows.setdefault(f.code, {"code": f.code, "name": f.name, "severity": f.severity, "count": 0,
                                       "fixable": 0, "usd_per_month": 0.0, "exposure_usd_per_month": 0.0})
        row["count"] += 1
        if f.fix is not None and f.fix.applicability == "safe":
            row["fixable"] += 1
        got = worth(priced)
        if got is not None:
            key = "exposure_usd_per_month" if got[0] == "exposure" else "usd_per_month"
            row[key] += got[1].usd_per_month
    return sorted(rows.values(), key=lambda r: (-r["count"], r["code"]))


def render_statistics(analysis, view, output_format: str) -> str:
    rows = statistics(analysis)
    if output_format == "json":
        for row in rows:
            row["usd_per_month"] = round_usd(row["usd_per_month"])
            row["exposure_usd_per_month"] = round_usd(row["exposure_usd_per_month"])
        return json.dumps(rows, indent=2) + "\n"
    if not rows:
        return "" if view.detail == "quiet" else "No findings.\n"
    paint = view.paint
    count_width = max(len(fmt_int(r["count"])) for r in rows)
    name_width = max(len(r["name"]) for r in rows)
    lines = []
    for r in rows:
        money = []
        if r["usd_per_month"] > 0:
            money.append(paint("usd", f"~{fmt_usd(r['usd_per_month'])}/month saveable"))
        if r["exposure_usd_per_month"] > 0:
            money.append(paint("exposure", f"exposure up to {fmt_usd(r['exposure_usd_per_month'])}/month"))
        fix = paint("fix", "[*]") if r["fixable"] else "   "
        lines.append(f"{fmt_int(r['count']).rjust(count_width)}  {paint(r['severity'], r['code'])}  {fix} "
                     f"{r['name'].ljust(name_width)}  {', '.join(money)}".rstrip())
    if view.detail != "quiet":
        total = sum(r["count"] for r in rows)
        lines.append(f"Found {plural(total, 'finding')} of {plural(len(rows), 'rule')}.")
    return "\n".join(lines) + "\n"
