"""Money that adds up: one finding per rule and location, and a saveable total that is
what a request saves with every change applied together.

A template shared by four requests is one place to fix, so it is one finding that names
the four requests, not four findings. And two findings on the same request do not add:
caching a prefix and then shortening it saves less than both would alone, and nothing
saves more than the request costs. Each finding's saving on a request is a share of what
the request costs before it; the shares combine as independent reductions
(``1 - (1 - a)(1 - b)``), so the request's total never passes its cost.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from promptlint.types import Finding, Price, Saving


def one_per_location(findings: list[Finding]) -> list[Finding]:
    """Findings of one rule at one place merged: every request they name, the saving on
    each request once (the largest report of it kept), the message of the largest."""
    groups: dict[tuple, list[Finding]] = {}
    for f in findings:
        key = (f.code, f.span.path, f.span.line, f.span.column, f.span.cell)
        groups.setdefault(key, []).append(f)
    out = []
    for group in groups.values():
        out.append(_merge(group) if len(group) > 1 else _named(group[0]))
    return out


def _requests_of(f: Finding) -> tuple[str, ...]:
    named = [f.request] if f.request else []
    if f.saving is not None:
        named += [rid for rid in f.saving.by_request(f.request) if rid]
    return tuple(dict.fromkeys([*f.requests, *named]))


def _named(f: Finding) -> Finding:
    return replace(f, requests=_requests_of(f))


def _merge(group: list[Finding]) -> Finding:
    lead = max(group, key=lambda f: (f.saving.tokens if f.saving else -1))
    requests = tuple(dict.fromkeys(r for f in group for r in _requests_of(f)))
    saving = lead.saving
    with_savings = [f for f in group if f.saving is not None]
    if with_savings:
        parts: dict[str | None, tuple] = {}
        for f in sorted(with_savings, key=lambda f: f is not lead):
            for rid, usage in f.saving.by_request(f.request).items():
                parts.setdefault(rid, usage)
        saving = Saving(max(f.saving.tokens for f in with_savings),
                        tuple(u for b, _ in parts.values() for u in b), tuple(u for _, a in parts.values() for u in a),
                        lead.saving.exposure if lead.saving else False)
    return replace(lead, saving=saving, requests=requests, request=requests[0] if len(requests) == 1 else None)


def saveable_total(findings, pricer, traffic) -> Price:
    """What production findings save with every saving applied together (never exposures):
    per request, the findings' shares of what it costs combined, at the request's own
    traffic. A template no request is seen to send is priced in its own finding but left
    out here: its cost is in no request's total, and the headline must be a part of the
    total it stands beside. ``usd_per_request`` is one call of every request."""
    shares: dict[str, list[tuple[Decimal, Decimal]]] = {}
    per_call = per_month = Decimal(0)
    for priced in findings:
        f = priced.finding
        if f.saving is None or f.saving.exposure:
            continue
        for rid, (before, after) in f.saving.by_request(f.request).items():
            base = sum((pricer.cost(u) for u in before), Decimal(0))
            saved = base - sum((pricer.cost(u) for u in after), Decimal(0))
            if saved <= 0 or base <= 0:
                continue
            if rid is not None:  # a template no request is seen to send: its cost is in no total
                shares.setdefault(rid, []).append((base, saved))
    for rid, pairs in shares.items():
        site = traffic.of_request(rid)
        if not site.production:
            continue
        base = max(b for b, _ in pairs)
        kept = Decimal(1)
        for b, saved in pairs:
            kept *= 1 - min(saved / b, Decimal(1))
        combined = base * (1 - kept)
        per_call += combined
        per_month += combined * Decimal(str(site.requests_per_month))
    return Price(float(per_call), float(per_call) * 1000, float(per_month))
