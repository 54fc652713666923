"""The JSON document (SPEC §6), also the data other formats are rendered from."""

from __future__ import annotations

import json

from promptlint import __version__
from promptlint.report import round_usd
from promptlint.traffic.report import request_json, usage_json


def template_entry(analysis, tid: str, view) -> dict:
    t = analysis.project.templates[tid]
    price = analysis.template_prices[tid]
    entry = {
        "id": t.id, "path": view.path(t.path), "line": t.span.line, "end_line": t.span.end_line or t.span.line,
        "kind": t.kind, "role": t.role, "tokens": analysis.measurements.templates[tid],
        "placeholders": list(t.placeholders), "model": analysis.measurements.template_models[tid],
        "usd_per_request": round_usd(price.usd_per_request), "usd_per_month": round_usd(price.usd_per_month),
        "exact": tid in analysis.measurements.exact_templates,
        "count": analysis.measurements.template_count(tid),
        "traffic": analysis.traffic.of_template(tid).to_json(), "production": analysis.traffic.of_template(tid).production,
    }
    if t.span.cell is not None:
        entry["cell"] = t.span.cell
    if t.notes:
        entry["notes"] = list(t.notes)
    if view.verbose:
        entry["evidence"] = [{"kind": e.kind, "detail": e.detail} for e in t.evidence]
        if analysis.anatomies is not None:
            from promptlint.anatomy.show import regions_json
            from promptlint.anatomy.view import TextView

            entry["regions"] = [{**r, "path": view.path(r["path"])}
                                for r in regions_json(analysis.anatomies[tid], TextView(t))]
    return entry


def use_entry(analysis, use, view) -> dict:
    """A place that composes prompts defined elsewhere: listed beside the templates so it
    can be found, marked ``use_of``, with the tokens of what it names (counted once, there)."""
    templates = analysis.measurements.templates
    entry = {
        "id": use.id, "path": view.path(use.path), "line": use.span.line, "end_line": use.span.end_line or use.span.line,
        "kind": "use", "use": use.kind, "use_of": list(use.templates),
        "tokens": sum(templates.get(t, 0) for t in use.templates),
    }
    if use.span.cell is not None:
        entry["cell"] = use.span.cell
    return entry


def request_entry(analysis, request, view) -> dict:
    counts = analysis.measurements.requests[request.id]
    price = analysis.request_prices[request.id]
    entry = {
        "id": request.id, "path": view.path(request.path), "line": request.span.line,
        "provider": request.provider, "api": request.api, "model": request.model, "priced_as": counts.model,
        "max_tokens": request.max_tokens, "cache_breakpoints": request.cache_breakpoints,
        "automatic_cache": request.auto_cache is not None, "in_loop": request.in_loop, "stream": request.stream,
        "batch": request.batch, "templates": list(request.templates), "input_tokens": counts.input_tokens,
        "exact": counts.exact, "count": counts.count,
        "usd_per_request": round_usd(price.usd_per_request), "usd_per_month": round_usd(price.usd_per_month),
        "traffic": request_json(analysis.traffic.of_request(request.id)),
        "production": analysis.traffic.of_request(request.id).production,
    }
    if request.span.cell is not None:
        entry["cell"] = request.span.cell
    if request.unresolved:
        entry["unresolved"] = list(request.unresolved)
    if request.notes:
        entry["notes"] = list(request.notes)
    if request.via:
        entry["via"] = request.via
    return entry


def finding_entry(priced, view, production: bool = True) -> dict:
    f = priced.finding
    price = priced.price
    entry = {
        "code": f.code, "name": f.name, "severity": f.severity, "path": view.path(f.span.path),
        "line": f.span.line, "column": f.span.column, "message": f.message,
        "template": f.template, "request": f.request, "requests": list(f.requests),
        "tokens_saved": f.saving.tokens if f.saving else None,
        "usd_per_request": round_usd(price.usd_per_request) if price else None,
        "usd_per_1k_requests": round_usd(price.usd_per_1k_requests) if price else None,
        "usd_per_month": round_usd(price.usd_per_month) if price else None,
        "exposure": f.saving.exposure if f.saving else False,
        "fix": {"applicability": f.fix.applicability, "description": f.fix.description} if f.fix else None,
        "production": production,
    }
    if f.span.cell is not None:
        entry["cell"] = f.span.cell
    return entry


def sorted_templates(analysis) -> list[str]:
    prices = analysis.template_prices
    return sorted(prices, key=lambda t: (-prices[t].usd_per_request, t))


def sorted_requests(analysis) -> list:
    prices = analysis.request_prices
    return sorted(analysis.project.requests, key=lambda r: (-prices[r.id].usd_per_request, r.id))


def build_document(analysis, view, findings: bool = True, comparison=None) -> dict:
    config = analysis.config
    doc = {
        "version": 1,
        "tool": {"name": "promptlint", "version": __version__},
        "settings": {
            "default_model": config.default_model, "tokenizer": analysis.measurements.tokenizer,
            "estimated": analysis.measurements.estimated,
            "requests_per_month": config.requests_per_month, "cache_hit_rate": config.cache_hit_rate,
        },
        "templates": [template_entry(analysis, t, view) for t in sorted_templates(analysis)]
                     + [use_entry(analysis, u, view) for u in analysis.project.uses],
        "requests": [request_entry(analysis, r, view) for r in sorted_requests(analysis)],
    }
    if analysis.measurements.notes:
        doc["settings"]["tokenizer_notes"] = list(analysis.measurements.notes)
    if findings:
        doc["findings"] = [finding_entry(f, view, analysis.production(f)) for f in analysis.findings]
    summary = doc["summary"] = {
        "files_scanned": analysis.project.files_scanned,
        "templates": len(analysis.project.templates),
        "requests": len(analysis.project.requests),
    }
    if findings:
        summary.update(findings=len(analysis.findings), by_severity=analysis.by_severity,
                       usd_per_month_saveable=round_usd(analysis.usd_per_month_saveable))
    summary["usd_per_month_total"] = round_usd(analysis.usd_per_month_total)
    summary["usd_per_month_non_production"] = round_usd(analysis.usd_per_month_non_production)
    summary["traffic_sources"] = analysis.traffic.sources()
    if analysis.traffic.notes:
        doc["settings"]["traffic_notes"] = list(analysis.traffic.notes)
    usage = usage_json(analysis, view)
    if usage is not None:
        doc["usage"] = usage
    if comparison is not None:
        doc["baseline"] = comparison.to_json()
    if analysis.notices:
        doc["notices"] = [{"path": n.path, "message": n.message} for n in analysis.notices]
    return doc


def render_json(analysis, view, findings: bool = True, comparison=None) -> str:
    return json.dumps(build_document(analysis, view, findings, comparison), indent=2, ensure_ascii=False) + "\n"
