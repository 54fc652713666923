"""Dollars per month at each site's own traffic.

A finding's saving is billed usage before and after the change; each usage names the
request site it bills (``Usage.site``), so a saving spread over several sites is the sum,
site by site, of its per-call saving times that site's requests/month. A usage with no
site is priced at the traffic of the finding's request, or of its template.
"""

from __future__ import annotations

from decimal import Decimal

from promptlint.pricing import Pricer
from promptlint.traffic.plan import TrafficPlan
from promptlint.types import Finding, Price


def monthly(pricer: Pricer, finding: Finding, plan: TrafficPlan) -> Decimal:
    saving = finding.saving
    fallback = (plan.of_request(finding.request) if finding.request is not None
                else plan.of_template(finding.template)).requests_per_month

    def rate(site: str | None) -> Decimal:
        if site is not None and site in plan.requests:
            return Decimal(str(plan.requests[site].requests_per_month))
        return Decimal(str(fallback))

    before = sum((pricer.cost(u) * rate(u.site) for u in saving.before), Decimal(0))
    after = sum((pricer.cost(u) * rate(u.site) for u in saving.after), Decimal(0))
    return before - after


def price_at(usd_per_request: Decimal, requests_per_month: float, usd_per_month: Decimal | None = None) -> Price:
    per_request = float(usd_per_request)
    month = float(usd_per_month) if usd_per_month is not None else per_request * requests_per_month
    return Price(usd_per_request=per_request, usd_per_1k_requests=per_request * 1000, usd_per_month=month)
