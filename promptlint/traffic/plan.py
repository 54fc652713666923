"""How many times a month each request site is called, and where that figure comes from.

Three sources, strongest first: **measured** (usage logs attributed to the site, or the
measured-traffic file written from them), **config** (``[tool.promptlint.traffic]``: a path
glob or a request id -> requests/month, the most specific key that matches wins) and
**default** (``requests-per-month``). Independently, a site under a ``non-production`` glob
(tests, docs, examples, benchmarks, notebooks, evaluations) is priced apart: its dollars are
shown on their own and never reach the production total or the headline.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Literal

from promptlint.config import Config
from promptlint.globs import match_path
from promptlint.types import Project

Source = Literal["default", "config", "measured"]
SOURCE_RANK = {"default": 0, "config": 1, "measured": 2}


@dataclass(frozen=True)
class Measured:
    """What usage logs say about one site (``promptlint.traffic.measure`` computes it)."""

    requests: int  # logged calls attributed to the site
    requests_per_month: float | None  # None when the logs cover no measurable time span
    window_days: float | None
    cache_read_share: float | None  # share of input tokens read from cache
    cache_hit_share: float | None  # share of calls that read anything from cache
    warm_share: float | None  # share of calls within the cache TTL of the site's previous call
    input_median: float | None = None
    input_p95: float | None = None
    output_median: float | None = None
    output_p95: float | None = None
    output_max: int | None = None
    usd_per_call: float | None = None  # mean billed dollars of a logged call (input and output)
    models: tuple[str, ...] = ()
    approximate: int = 0  # calls attributed by a drifted fingerprint (the prompt changed since)

    @property
    def usd_per_month(self) -> float | None:
        """Billed dollars a month (input and output) at the measured rate."""
        if self.usd_per_call is None or not self.requests_per_month:
            return None
        return self.usd_per_call * self.requests_per_month

    def to_json(self) -> dict:
        out = {
            "requests": self.requests, "requests_per_month": _round(self.requests_per_month),
            "window_days": _round(self.window_days), "cache_read_share": _round(self.cache_read_share),
            "cache_hit_share": _round(self.cache_hit_share), "warm_share": _round(self.warm_share),
            "input_tokens": {"median": _round(self.input_median), "p95": _round(self.input_p95)},
            "output_tokens": {"median": _round(self.output_median), "p95": _round(self.output_p95),
                              "max": self.output_max},
            "usd_per_call": _round(self.usd_per_call), "models": list(self.models),
        }
        if self.approximate:
            out["approximate"] = self.approximate
        return out

    @classmethod
    def from_json(cls, data: dict) -> "Measured":
        def num(value):
            return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

        inp = data.get("input_tokens") if isinstance(data.get("input_tokens"), dict) else {}
        out = data.get("output_tokens") if isinstance(data.get("output_tokens"), dict) else {}
        top = out.get("max")
        return cls(
            requests=int(num(data.get("requests")) or 0), requests_per_month=num(data.get("requests_per_month")),
            window_days=num(data.get("window_days")), cache_read_share=num(data.get("cache_read_share")),
            cache_hit_share=num(data.get("cache_hit_share")), warm_share=num(data.get("warm_share")),
            input_median=num(inp.get("median")), input_p95=num(inp.get("p95")),
            output_median=num(out.get("median")), output_p95=num(out.get("p95")),
            output_max=int(top) if isinstance(top, int) else None, usd_per_call=num(data.get("usd_per_call")),
            models=tuple(m for m in data.get("models", ()) if isinstance(m, str)),
            approximate=int(num(data.get("approximate")) or 0),
        )


def _round(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.6g}")


@dataclass(frozen=True)
class SiteTraffic:
    """The traffic a request site (or a template no request sends) is priced with."""

    requests_per_month: float
    source: Source
    production: bool
    matched: str | None = None  # the config key or measured-traffic file that set it
    measured: Measured | None = None
    predicted_cache_share: float | None = None  # input share promptlint expects read from cache

    def to_json(self) -> dict:
        out: dict = {"requests_per_month": _round(self.requests_per_month), "source": self.source}
        if self.matched:
            out["from"] = self.matched
        return out


@dataclass(frozen=True)
class TrafficPlan:
    """Traffic of every request and template of a project."""

    requests: dict[str, SiteTraffic] = field(default_factory=dict)
    templates: dict[str, SiteTraffic] = field(default_factory=dict)
    default: float = 100_000
    notes: tuple[str, ...] = ()

    def of_request(self, rid: str | None) -> SiteTraffic:
        return self.requests.get(rid or "") or SiteTraffic(self.default, "default", True)

    def of_template(self, tid: str | None) -> SiteTraffic:
        return self.templates.get(tid or "") or SiteTraffic(self.default, "default", True)

    def production(self, request: str | None, template: str | None) -> bool:
        """Whether a finding at this request or template counts toward the production headline."""
        if request is not None and request in self.requests:
            return self.requests[request].production
        if template is not None and template in self.templates:
            return self.templates[template].production
        return True

    def sources(self) -> dict[str, int]:
        """How many request sites use each source (production sites only)."""
        counts = {"measured": 0, "config": 0, "default": 0}
        for site in self.requests.values():
            if site.production:
                counts[site.source] += 1
        return counts


def specificity(key: str) -> tuple[int, int, int]:
    """How specific a traffic key is: an exact request id beats any glob; among globs the
    one with more literal characters and fewer wildcards wins."""
    wild = sum(key.count(c) for c in "*?[")
    return (1 if "::" in key and not wild else 0, len(key) - wild, -wild)


def config_match(config: Config, path: str, request_id: str | None) -> tuple[str, int] | None:
    """The most specific ``traffic`` key naming this request (by id) or its file (by glob)."""
    best: tuple[tuple[int, int, int], str, int] | None = None
    for key, rate in config.traffic.items():
        if "::" in key:
            hit = request_id is not None and (key == request_id or fnmatch.fnmatchcase(request_id, key))
        else:
            hit = match_path(key, path)
        if hit and (best is None or specificity(key) > best[0]):
            best = (specificity(key), key, rate)
    return None if best is None else (best[1], best[2])


def is_production(config: Config, path: str) -> bool:
    return not any(match_path(glob, path) for glob in config.non_production)


def plan_traffic(project: Project, config: Config, measured: dict[str, Measured] | None = None,
                 measured_from: str = "usage logs", notes: tuple[str, ...] = ()) -> TrafficPlan:
    """Traffic of every request site: measured when logs name it and cover a time span,
    else the most specific config key, else ``requests-per-month``."""
    measured = measured or {}
    default = float(config.requests_per_month)
    requests: dict[str, SiteTraffic] = {}
    for request in project.requests:
        production = is_production(config, request.path)
        seen = measured.get(request.id)
        configured = config_match(config, request.path, request.id)
        if seen is not None and seen.requests_per_month is not None:
            requests[request.id] = SiteTraffic(seen.requests_per_month, "measured", production, measured_from, seen)
        elif configured is not None:
            requests[request.id] = SiteTraffic(float(configured[1]), "config", production, configured[0], seen)
        else:
            requests[request.id] = SiteTraffic(default, "default", production, None, seen)
    senders: dict[str, list[SiteTraffic]] = {}
    for request in project.requests:
        for tid in request.templates:
            senders.setdefault(tid, []).append(requests[request.id])
    templates: dict[str, SiteTraffic] = {}
    for tid, template in project.templates.items():
        sites = senders.get(tid)
        if sites:
            weakest = min((s.source for s in sites), key=SOURCE_RANK.__getitem__)
            templates[tid] = SiteTraffic(sum(s.requests_per_month for s in sites), weakest,
                                         any(s.production for s in sites))
            continue
        configured = config_match(config, template.path, None)
        production = is_production(config, template.path)
        templates[tid] = (SiteTraffic(float(configured[1]), "config", production, configured[0]) if configured
                          else SiteTraffic(default, "default", production))
    return TrafficPlan(requests, templates, default, notes)
