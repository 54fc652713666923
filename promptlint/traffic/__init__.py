"""Traffic: how often each request site is called, from config or from production usage logs.

``plan`` resolves every site's requests/month and whether it is production; ``logs`` and
its readers (``otel``, ``litellm``, ``langfuse``, ``native``) read usage logs;
``attribute`` joins each logged call to the site that sent it; ``measure`` turns a site's
calls into figures; ``sidecar`` keeps those figures in a file so CI prices with real
traffic without the logs; ``money`` prices findings and requests at their site's traffic.
"""

from __future__ import annotations

from promptlint.traffic.plan import Measured, SiteTraffic, TrafficPlan, plan_traffic

__all__ = ["Measured", "SiteTraffic", "TrafficPlan", "plan_traffic", "billing_hit_rate", "caching_hit_rate",
           "measured_cap", "measured_output"]


def billing_hit_rate(plan: TrafficPlan | None, default: float, request_id: str) -> float:
    """The share of a caching site's calls that read the cache: measured when logs show the
    site's calls reading from cache, else ``cache-hit-rate``."""
    site = plan.requests.get(request_id) if plan is not None else None
    if site is not None and site.measured is not None and site.measured.cache_hit_share:
        return site.measured.cache_hit_share
    return default


def caching_hit_rate(ctx, request_id: str) -> tuple[float, str]:
    """The hit rate to price a new cache breakpoint on this site with (PL201), and how it
    was found: the logged calls that came within the cache lifetime of the previous one,
    when usage logs measured it, else ``cache-hit-rate``."""
    plan = getattr(ctx, "traffic", None)
    site = plan.requests.get(request_id) if plan is not None else None
    if site is not None and site.measured is not None and site.measured.warm_share is not None:
        m = site.measured
        return m.warm_share, (f"{m.warm_share:.0%} of {m.requests:,} logged calls came within 5 minutes "
                              "of the previous one (measured)")
    return ctx.config.cache_hit_rate, ""


def measured_cap(measured: Measured) -> int:
    """An output cap that the logged answers fit: the next power of two (16 at least) above
    twice their p95 and above the longest one, so a real answer is never cut off."""
    need = max(2 * (measured.output_p95 or 0), measured.output_max or 0, 1)
    cap = 16
    while cap < need:
        cap *= 2
    return cap


def measured_output(ctx, request_id: str) -> Measured | None:
    """The site's measured figures when logs recorded its output lengths (PL302)."""
    plan = getattr(ctx, "traffic", None)
    site = plan.requests.get(request_id) if plan is not None else None
    if site is None or site.measured is None or site.measured.output_p95 is None or site.measured.requests < 1:
        return None
    return site.measured
