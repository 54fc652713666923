"""Traffic as every report shows it: the same source labels and measured figures in the
text, JSON, markdown and HTML formats."""

from __future__ import annotations

from promptlint.traffic.plan import SiteTraffic

SOURCE_WORDS = {"measured": "measured", "config": "config", "default": "default"}


def fmt_rate(n: float) -> str:
    """Requests/month, short: 950, 12k, 2.1M."""
    if n >= 1e6:
        return f"{n / 1e6:.1f}M".replace(".0M", "M")
    if n >= 1e4:
        return f"{n / 1e3:.0f}k"
    if n >= 1e3:
        return f"{n / 1e3:.1f}k".replace(".0k", "k")
    return f"{n:,.0f}" if n >= 10 or n == int(n) else f"{n:.1f}"


def rate_label(site: SiteTraffic) -> str:
    return f"{fmt_rate(site.requests_per_month)}/mo {site.source}"


def share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def request_json(site: SiteTraffic) -> dict:
    """The ``traffic`` of a request in JSON, with measured figures when logs gave them."""
    out = site.to_json()
    if site.predicted_cache_share is not None:
        out["predicted_cache_read_share"] = float(f"{site.predicted_cache_share:.4g}")
    if site.measured is not None:
        out["measured"] = site.measured.to_json()
    return out


def sources_sentence(analysis) -> str:
    """Where the monthly figures come from, in one sentence for footers."""
    plan = analysis.traffic
    counts = plan.sources()
    default = f"{plan.default:,.0f} requests/month"
    pieces = []
    if counts["measured"]:
        pieces.append(f"measured traffic for {counts['measured']} request site{'s' if counts['measured'] != 1 else ''}")
    if counts["config"]:
        pieces.append(f"configured traffic for {counts['config']}")
    if counts["default"] or not pieces:
        pieces.append(f"{default} per request site" + (" for the rest (default)" if len(pieces) else ""))
    text = "dollars use " + ", ".join(pieces)
    apart = sum(1 for s in plan.requests.values() if not s.production)
    if apart:
        text += f"; {apart} non-production site{'s' if apart != 1 else ''} (tests, docs, examples, notebooks...) priced apart"
    return text


def usage_json(analysis, view) -> dict | None:
    report = analysis.usage
    if report is None:
        return None
    attribution = report.attribution

    def listed(u) -> dict:
        return {"log": u.call.source, "model": u.call.model, "reason": u.reason, "candidates": list(u.candidates)}

    return {
        "files": [{"file": f, "format": kind, "calls": n} for f, kind, n in report.logs.files],
        "problems": list(report.logs.problems), "skipped": dict(report.logs.skipped),
        "window_days": None if report.window_days is None else float(f"{report.window_days:.6g}"),
        "calls": report.calls, "attributed": attribution.attributed,
        "by_site": {site: dict(how) for site, how in sorted(attribution.how.items())},
        "unattributed": [listed(u) for u in attribution.unattributed],
    }


def unattributed_reasons(attribution) -> list[tuple[str, int]]:
    """Why calls were not attributed, most common first, with the candidate sites."""
    reasons: dict[str, int] = {}
    for u in attribution.unattributed:
        key = u.reason + (f" ({', '.join(u.candidates)})" if u.candidates else "")
        reasons[key] = reasons.get(key, 0) + 1
    return sorted(reasons.items(), key=lambda kv: -kv[1])
