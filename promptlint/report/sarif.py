"""SARIF 2.1.0, the format code-scanning services read (GitHub's upload-sarif among them).

One ``reportingDescriptor`` per selected rule carries its doc from the rule file, so the
reader sees *why it costs money* next to the alert. Each result carries the dollars in its
property bag and a fingerprint built from the rule and the template or request id, so an
alert keeps its identity when code moves. Columns are code points (what libcst reports),
declared in ``columnKind``. ``audit`` reports baseline regressions as results of one
``baseline/prompt-growth`` descriptor.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import quote

from promptlint import __version__, escape
from promptlint.report import round_usd
from promptlint.report.locations import file_line, from_cwd, repository_view
from promptlint.rules import DOC_TITLES

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/promptlint/promptlint"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
GROWTH_RULE = {
    "id": "baseline/prompt-growth", "name": "prompt-growth",
    "shortDescription": {"text": "A prompt grew beyond the tolerated increase over the committed baseline."},
    "fullDescription": {"text": "Compares every template and request with the baseline written by "
                                "`promptlint audit --write-baseline` and flags growth beyond `max-increase`."},
    "help": {"text": "Shorten the prompt, or accept the growth by rewriting the baseline with "
                     "`promptlint audit --write-baseline` in the same pull request.",
             "markdown": "Shorten the prompt, or accept the growth by rewriting the baseline with "
                         "`promptlint audit --write-baseline` in the same pull request."},
    "defaultConfiguration": {"level": "error"},
}


def _uri(path: str) -> str:
    """Percent-encoded, bytes of a file name that is not UTF-8 included."""
    return quote(path.encode("utf-8", "surrogateescape"), safe="/")


def _fingerprint(*parts: str | None) -> str:
    return hashlib.sha256("\x1f".join(p or "" for p in parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def rule_help(rule) -> tuple[str, str]:
    """The rule's doc as plain text and as markdown, section by section (``explain``
    prints the markdown)."""
    text, markdown = [rule.summary], [rule.summary]
    for key, title in DOC_TITLES.items():
        body = rule.doc.get(key)
        if key == "options" and rule.options:
            body = "\n".join(f"- `{o.name}` (default {o.default!r}): {o.description}" for o in rule.options.values())
        if body:
            text.append(f"{title}:\n{body}")
            markdown.append(f"## {title}\n\n{body}")
    return "\n\n".join(text), "\n\n".join(markdown)


def descriptor(rule) -> dict:
    text, markdown = rule_help(rule)
    entry = {
        "id": rule.code, "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": ["promptlint", "llm-cost"], "fix": rule.fix, "origin": rule.origin},
    }
    if rule.doc.get("what"):
        entry["fullDescription"] = {"text": rule.doc["what"]}
    return entry


def _location(path: str, line: int | None, column: int | None = None, end_line: int | None = None,
              end_column: int | None = None) -> dict:
    if Path(path).is_absolute():
        artifact = {"uri": Path(path).as_uri()}
    else:
        artifact = {"uri": _uri(path), "uriBaseId": "%SRCROOT%"}
    physical: dict = {"artifactLocation": artifact}
    if line:
        region = {"startLine": line}
        if column:
            region["startColumn"] = column
        if end_line and end_line >= line:
            region["endLine"] = end_line
            if end_column and (end_line > line or not column or end_column > column):
                region["endColumn"] = end_column
        physical["region"] = region
    return {"physicalLocation": physical}


def finding_result(priced, view, rule_index: dict[str, int]) -> dict:
    from promptlint.report import finding_message

    f = priced.finding
    span = f.span
    message = finding_message(priced)
    if span.cell is not None:  # the line of the notebook's JSON that holds the cell's line
        location = _location(view.path(span.path), file_line(view, span) or 1)
    else:
        location = _location(view.path(span.path), span.line, span.column, span.end_line, span.end_column)
    properties: dict = {"severity": f.severity}
    if f.saving is not None:
        properties["tokensSaved"] = f.saving.tokens
        properties["exposure"] = f.saving.exposure
    if priced.price is not None:
        properties.update(usdPerRequest=round_usd(priced.price.usd_per_request),
                          usdPer1kRequests=round_usd(priced.price.usd_per_1k_requests),
                          usdPerMonth=round_usd(priced.price.usd_per_month))
    if priced.model:
        properties["model"] = priced.model
    for key in ("template", "request"):
        if getattr(f, key):
            properties[key] = getattr(f, key)
    if f.fix is not None:
        properties["fix"] = {"applicability": f.fix.applicability, "description": f.fix.description}
    if span.cell is not None:
        properties["cell"] = span.cell
    result = {
        "ruleId": f.code, "level": LEVELS[f.severity], "message": {"text": message}, "locations": [location],
        "partialFingerprints": {"promptlint/v1": _fingerprint(f.code, span.path, f.template, f.request,
                                                              None if (f.template or f.request) else f.message)},
        "properties": properties,
    }
    if f.code in rule_index:
        result["ruleIndex"] = rule_index[f.code]
    return result


def growth_results(comparison, analysis, view) -> list[dict]:
    from promptlint.report import fmt_int, fmt_usd
    from promptlint.report.changes import KIND_TITLES, Locator, delta_line, percent, signed_int, signed_usd

    locate = Locator(analysis, view)
    limit = comparison.limit.describe()
    results = []
    for change in comparison.changed:
        if not change.exceeded:
            continue
        path, line = locate(change)
        span = locate.span(change)
        if span is not None and span.cell is not None:
            line = file_line(view, span)
        grow = change.tokens_after - change.tokens_before
        text = (f"{change.kind} `{change.id}` grew from {fmt_int(change.tokens_before)} to "
                f"{fmt_int(change.tokens_after)} tokens ({signed_int(grow)}, {percent(change.tokens_before, change.tokens_after)}; "
                f"{signed_usd(change.usd_after - change.usd_before)}/month, now {fmt_usd(change.usd_after)}/month); "
                f"{comparison.baseline} tolerates {limit}")
        results.append(_growth(text, _location(path, line), change.id, change.tokens_before, change.tokens_after,
                               change.usd_before, change.usd_after))
    for total in comparison.totals:
        if total.exceeded:
            text = f"total {KIND_TITLES[total.kind]} grew: {delta_line(total)}; {comparison.baseline} tolerates {limit}"
            results.append(_growth(text, _location(from_cwd(comparison.baseline, view), 1),
                                   f"total:{total.kind}", total.tokens_before, total.tokens_after,
                                   total.usd_before, total.usd_after))
    return results


def _growth(text: str, location: dict, key: str, before: int, after: int, usd_before: float, usd_after: float) -> dict:
    return {
        "ruleId": GROWTH_RULE["id"], "ruleIndex": 0, "level": "error", "message": {"text": text},
        "locations": [location], "partialFingerprints": {"promptlint/v1": _fingerprint(GROWTH_RULE["id"], key)},
        "properties": {"id": key, "tokensBefore": before, "tokensAfter": after,
                       "usdPerMonthBefore": round_usd(usd_before), "usdPerMonthAfter": round_usd(usd_after)},
    }


def build_sarif(analysis, view, comparison=None, findings: bool = True) -> dict:
    """Paths are relative to the repository root (``%SRCROOT%``, never an absolute path of
    the machine), as code scanning resolves them, whatever folder promptlint ran in; every
    result has a region."""
    view = repository_view(view)
    if findings:
        rules = sorted(analysis.rules, key=lambda r: r.code)
        descriptors = [descriptor(r) for r in rules]
        index = {r.code: i for i, r in enumerate(rules)}
        results = [finding_result(f, view, index) for f in analysis.findings]
    else:
        descriptors = [GROWTH_RULE]
        results = growth_results(comparison, analysis, view) if comparison is not None else []
    run: dict = {
        "tool": {"driver": {"name": "promptlint", "version": __version__, "semanticVersion": __version__,
                            "informationUri": INFORMATION_URI, "rules": descriptors}},
        "originalUriBaseIds": {"%SRCROOT%": {"description": {
            "text": "The root of the repository (the folder holding .git; without one, the configuration's folder)."}}},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {"requestsPerMonth": analysis.config.requests_per_month,
                       "tokenizer": analysis.measurements.tokenizer},
    }
    if findings:
        run["properties"]["usdPerMonthSaveable"] = round_usd(analysis.usd_per_month_saveable)
    if analysis.notices:
        run["invocations"] = [{
            "executionSuccessful": True,
            "toolExecutionNotifications": [
                {"level": "note", "message": {"text": n.message},
                 "locations": [_location(view.path(n.path), n.line)]} for n in analysis.notices],
        }]
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render_sarif(analysis, view, comparison=None, findings: bool = True) -> str:
    return escape.json_dumps(build_sarif(analysis, view, comparison, findings), indent=2) + "\n"
