"""The traffic stage, between measure and rules: every site's traffic, from usage logs when
given, else from the measured-traffic file named in config, else from config and default."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from promptlint.config import Config
from promptlint.pricing import Pricer, cached_prefix
from promptlint.traffic.plan import TrafficPlan, plan_traffic
from promptlint.types import Project

if TYPE_CHECKING:  # the log readers are imported only by a run given usage logs or a traffic file
    from promptlint.traffic.attribute import Attribution
    from promptlint.traffic.logs import UsageLogs


@dataclass(frozen=True)
class UsageReport:
    """What the usage logs of this run held and where each call went."""

    logs: UsageLogs
    attribution: Attribution
    window_days: float | None

    @property
    def calls(self) -> int:
        return len(self.logs.calls)


def sidecar_path(config: Config) -> Path | None:
    return Path(config.root) / config.measured_traffic if config.measured_traffic else None


def traffic_stage(project: Project, config: Config, measurements, pricer: Pricer,
                  usage: UsageLogs | None = None, usage_days: float | None = None) -> tuple[TrafficPlan, UsageReport | None]:
    plan, report = _plan(project, config, measurements, pricer, usage, usage_days)
    return with_predictions(plan, project, measurements, pricer), report


def with_predictions(plan: TrafficPlan, project: Project, measurements, pricer: Pricer) -> TrafficPlan:
    """Each site's expected cache-read share of input (its cached prefix at ``cache-hit-rate``),
    to set beside the measured one."""
    sites = dict(plan.requests)
    rate = pricer.config.cache_hit_rate
    for request in project.requests:
        counts = measurements.requests[request.id]
        prefix, _ = cached_prefix(request, counts, pricer.catalog, project)
        share = prefix * rate / counts.input_tokens if counts.input_tokens else 0.0
        sites[request.id] = replace(sites[request.id], predicted_cache_share=share)
    return replace(plan, requests=sites)


def _plan(project, config, measurements, pricer, usage, usage_days):
    if usage is not None:
        from promptlint.traffic.attribute import attribute
        from promptlint.traffic.measure import measure_sites, window_days

        attribution = attribute(usage.calls, project, pricer.catalog)
        models = {rid: counts.model for rid, counts in measurements.requests.items()}
        ttls = {r.id: cached_prefix(r, measurements.requests[r.id], pricer.catalog, project)[1]
                for r in project.requests}
        measured = measure_sites(attribution, list(usage.calls), pricer, models, ttls, usage_days)
        window = window_days(list(usage.calls), usage_days)
        notes = () if window else ("the usage logs cover no measurable time span (pass --usage-days): "
                                   "rates stay as configured; token and cache figures are measured",)
        return plan_traffic(project, config, measured, "usage logs", notes), UsageReport(usage, attribution, window)
    path = sidecar_path(config)
    if path is not None:
        from promptlint.traffic import sidecar

        measured = sidecar.load(path)
        stale = sorted(set(measured) - {r.id for r in project.requests})
        notes = (f"{len(stale)} site(s) in {config.measured_traffic} name no request site now "
                 f"(renamed or moved?): {', '.join(stale[:3])}",) if stale else ()
        return plan_traffic(project, config, measured, config.measured_traffic, notes), None
    return plan_traffic(project, config), None
