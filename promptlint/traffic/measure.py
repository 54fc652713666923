"""Per-site figures from the calls attributed to it: rate, cache shares, token spread, dollars.

The **rate** is the site's calls over the time the logs cover (first to last logged call
across all files, or ``--usage-days``), scaled to a month of 365.25/12 days. Without a
measurable span (fewer than two timed calls, or under a minute) no rate is claimed and the
site keeps its configured or default traffic; its other figures are still measured.

Two cache figures: the **cache-read share** (input tokens read from cache over all input
tokens, what the bill shows) and the **hit share** (calls that read anything). For a site
that does not cache yet, the **warm share** is what caching would get: the calls that come
within the cache's lifetime (5 minutes, refreshed by every hit) of the site's previous call.
"""

from __future__ import annotations

import math
from decimal import Decimal

from promptlint.pricing import Pricer, UnknownPrice
from promptlint.traffic.attribute import Attribution
from promptlint.traffic.plan import Measured
from promptlint.traffic.records import LoggedCall
from promptlint.types import Usage

DAYS_PER_MONTH = 365.25 / 12
MIN_WINDOW_SECONDS = 60.0
TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (``share`` = 0.5 for the median): a value that was logged."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return float(ordered[rank - 1])


def window_days(calls: list[LoggedCall], override: float | None = None) -> float | None:
    """The time the logs cover: the span of their timestamps, widened by one mean gap (n
    calls evenly spread over a period span it in n-1 gaps)."""
    if override is not None:
        return override if override > 0 else None
    times = sorted(c.time for c in calls if c.time is not None)
    if len(times) < 2:
        return None
    span = times[-1] - times[0]
    if span < MIN_WINDOW_SECONDS:
        return None
    return span * len(times) / (len(times) - 1) / 86400


def warm_share(calls: tuple[LoggedCall, ...], ttl: str = "5m") -> float | None:
    times = sorted(c.time for c in calls if c.time is not None)
    if len(times) < 2:
        return None
    lifetime = TTL_SECONDS.get(ttl, 300.0)
    warm = sum(1 for a, b in zip(times, times[1:]) if b - a <= lifetime)
    return warm / len(times)


def call_cost(pricer: Pricer, call: LoggedCall, fallback_model: str) -> Decimal | None:
    model = call.model if call.model and pricer.pricing_model(call.model) == call.model else fallback_model
    try:
        return pricer.cost(Usage(model, input_tokens=call.input_tokens, cache_write_tokens=call.cache_write_tokens,
                                 cache_read_tokens=call.cache_read_tokens, output_tokens=call.output_tokens))
    except UnknownPrice:
        return None


def measure_sites(attribution: Attribution, all_calls: list[LoggedCall], pricer: Pricer,
                  site_models: dict[str, str], site_ttls: dict[str, str] | None = None,
                  days: float | None = None) -> dict[str, Measured]:
    """``site_models``: the model each site is priced as (for calls whose logged model has
    no known price)."""
    window = window_days(all_calls, days)
    site_ttls = site_ttls or {}
    out: dict[str, Measured] = {}
    for site, calls in attribution.by_site.items():
        totals = [float(c.total_input) for c in calls]
        outputs = [float(c.output_tokens) for c in calls]
        all_input = sum(totals)
        costs = [call_cost(pricer, c, site_models.get(site, pricer.config.default_model)) for c in calls]
        known = [c for c in costs if c is not None]
        out[site] = Measured(
            requests=len(calls),
            requests_per_month=len(calls) / window * DAYS_PER_MONTH if window else None,
            window_days=window,
            cache_read_share=sum(c.cache_read_tokens for c in calls) / all_input if all_input else None,
            cache_hit_share=sum(1 for c in calls if c.cache_read_tokens > 0) / len(calls),
            warm_share=warm_share(calls, site_ttls.get(site, "5m")),
            input_median=percentile(totals, 0.5), input_p95=percentile(totals, 0.95),
            output_median=percentile(outputs, 0.5), output_p95=percentile(outputs, 0.95),
            output_max=int(max(outputs)) if outputs else None,
            usd_per_call=float(sum(known) / len(known)) if known else None,
            models=tuple(sorted({c.model for c in calls if c.model})),
            approximate=attribution.approximate.get(site, 0),
        )
    return out
