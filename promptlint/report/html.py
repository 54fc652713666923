"""``audit --format html``: one self-contained page of where the money goes.

For someone who does not read code: a headline of what production prompts cost a month
and where that traffic figure comes from; a treemap of production dollars by folder, file
and request; for each request what it sends (tools, system, messages), how much is served
from cache, and input against output; the findings with what each saves; the change
since the baseline; measured usage; non-production sites in their own tab. No network, no
scripts: tabs are plain HTML and CSS, so the file opens anywhere, offline, as it is.
"""

from __future__ import annotations

from html import escape

from promptlint import __version__
from promptlint.models import ModelCatalog
from promptlint.pricing import cached_prefix
from promptlint.report import fmt_int, fmt_usd, worth
from promptlint.report.document import sorted_requests
from promptlint.report.treemap import Node, Rect, layout
from promptlint.traffic.report import fmt_rate, share, sources_sentence, unattributed_reasons

WIDTH, HEIGHT, HEADER = 1000.0, 520.0, 18.0
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#e15759", "#9c755f", "#bab0ac")
PLAIN_NAMES = {
    "PL101": "repeated examples", "PL102": "long persona preamble", "PL103": "filler phrases",
    "PL104": "repeated instructions", "PL105": "wasted whitespace", "PL106": "over budget",
    "PL201": "prompt not cached", "PL202": "cache broken by changing text", "PL203": "cache too short to work",
    "PL204": "too many cache breakpoints", "PL301": "no cap on answer length", "PL302": "answer cap far too high",
    "PL401": "expensive model for a simple task", "PL402": "could use the half-price batch API",
    "PL403": "unknown model",
}

CSS = """
:root{--ink:#1d2733;--muted:#5b6b7c;--line:#dfe5ec;--bg:#f6f8fa;--accent:#2f6fb3}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--ink);background:var(--bg)}main{max-width:1060px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:24px 0 8px}.muted{color:var(--muted)}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}.card{background:#fff;border:1px solid var(--line);
border-radius:8px;padding:12px 16px;min-width:200px;flex:1}.card b{display:block;font-size:24px}
.tabs>input{position:absolute;opacity:0}.tabs>label{display:inline-block;padding:8px 14px;margin-right:4px;
border:1px solid var(--line);border-bottom:0;border-radius:8px 8px 0 0;background:#eef2f6;cursor:pointer}
.tabs>input:checked+label{background:#fff;font-weight:600}.panel{display:none;background:#fff;
border:1px solid var(--line);border-radius:0 8px 8px 8px;padding:16px}
#tab-prod:checked~#panel-prod,#tab-find:checked~#panel-find,#tab-base:checked~#panel-base,
#tab-usage:checked~#panel-usage,#tab-nonprod:checked~#panel-nonprod{display:block}
.treemap{position:relative;width:100%;aspect-ratio:1000/520;background:#eef2f6;border-radius:6px;overflow:hidden}
.tm{position:absolute;overflow:hidden;border:1px solid #fff;color:#fff;font-size:12px;line-height:1.2;
padding:2px 4px;text-decoration:none;white-space:nowrap;text-overflow:ellipsis}
.tm.assumed{background-image:repeating-linear-gradient(45deg,rgba(255,255,255,.28) 0 6px,transparent 6px 12px)}.tm.group{background:transparent;color:var(--ink);font-weight:600;border:0}
.tm.leaf:hover{filter:brightness(1.12)}table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600}td.n,th.n{text-align:right;white-space:nowrap}
.bar{display:flex;height:14px;border-radius:3px;overflow:hidden;background:#eef2f6;min-width:160px}
.bar span{display:block;height:100%}.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px;
border-radius:2px}.req{border-top:1px solid var(--line);padding:12px 0}.req h3{font-size:15px;margin:0 0 6px}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eef2f6;padding:1px 4px;border-radius:3px}
.pill{display:inline-block;font-size:12px;padding:1px 8px;border-radius:10px;background:#eef2f6}
.pill.measured{background:#dff3e4}.pill.config{background:#e3ecfa}.up{color:#b42318}.down{color:#067647}
"""
SECTION_COLOURS = {"tools": "#b07aa1", "system": "#4e79a7", "messages": "#f28e2b", "framing": "#bab0ac"}


def _e(text) -> str:
    return escape(str(text), quote=True)


def _pill(site) -> str:
    return f'<span class="pill {site.source}">{_e(fmt_rate(site.requests_per_month))}/month · {site.source}</span>'


def _tree(analysis, view, requests) -> Node:
    root = Node("production")
    folders: dict[str, Node] = {}
    files: dict[str, Node] = {}
    for request in requests:
        value = analysis.request_prices[request.id].usd_per_month
        if value <= 0:
            continue
        path = view.path(request.path)
        folder = path.rsplit("/", 1)[0] if "/" in path else "."
        if folder not in folders:
            folders[folder] = Node(folder + "/")
            root.children.append(folders[folder])
        if path not in files:
            files[path] = Node(path.rsplit("/", 1)[-1])
            folders[folder].children.append(files[path])
        files[path].children.append(Node(request.id.split("::", 1)[-1], value, request.id))
    return root


def treemap(analysis, view, requests, anchors: dict[str, str]) -> str:
    root = _tree(analysis, view, requests)
    if not root.children:
        return '<p class="muted">No production request has a price yet.</p>'
    layout(root, Rect(0, 0, WIDTH, HEIGHT), HEADER)
    out = []

    def box(rect: Rect, cls: str, body: str, title: str, colour: str | None = None, href: str | None = None) -> str:
        style = (f"left:{rect.x / WIDTH:.4%};top:{rect.y / HEIGHT:.4%};width:{rect.w / WIDTH:.4%};"
                 f"height:{rect.h / HEIGHT:.4%}" + (f";background:{colour}" if colour else ""))
        tag = "a" if href else "div"
        link = f' href="{href}"' if href else ""
        return f'<{tag} class="tm {cls}" style="{style}" title="{_e(title)}"{link}>{body}</{tag}>'

    for index, folder in enumerate(sorted(root.children, key=lambda n: -n.total())):
        colour = PALETTE[index % len(PALETTE)]
        out.append(box(folder.rect, "group", _e(f"{folder.label} {fmt_usd(folder.total())}/month"),
                       f"{folder.label}: {fmt_usd(folder.total())}/month"))
        for file in folder.children:
            out.append(box(file.rect, "group", _e(file.label), f"{file.label}: {fmt_usd(file.total())}/month"))
            for leaf in file.children:
                rect = leaf.rect
                site = analysis.traffic.of_request(leaf.key)
                assumed = site.source == "default"
                note = " · assumed traffic" if assumed else f" · {site.source} traffic"
                label = (f"{_e(leaf.label)}<br><b>{_e(fmt_usd(leaf.value))}/month</b>{_e(note)}"
                         if rect.w > 70 and rect.h > 30 else "")
                out.append(box(rect, "leaf assumed" if assumed else "leaf", label,
                               f"{leaf.label}: {fmt_usd(leaf.value)}/month at {fmt_rate(site.requests_per_month)} "
                               f"requests/month ({site.source})", colour, f"#{anchors[leaf.key]}"))
    return f'<div class="treemap" role="img" aria-label="production dollars per month by folder, file and request">' \
           f'{"".join(out)}</div>'


def _bar(pieces: list[tuple[str, float, str]]) -> str:
    total = sum(v for _, v, _ in pieces) or 1
    spans = "".join(f'<span style="width:{v / total:.3%};background:{c}" title="{_e(n)}: {fmt_int(int(v))}"></span>'
                    for n, v, c in pieces if v > 0)
    return f'<div class="bar">{spans}</div>'


def breakdown(analysis, view, request, catalog, anchor: str) -> str:
    counts = analysis.measurements.requests[request.id]
    site = analysis.traffic.of_request(request.id)
    price = analysis.request_prices[request.id]
    by_section = {"tools": 0, "system": 0, "messages": 0}
    for part, n in zip(request.parts, counts.parts):
        by_section[part.section] += n
    sections = [(name, float(n), SECTION_COLOURS[name]) for name, n in by_section.items()]
    sections.append(("framing the API adds", float(counts.overhead), SECTION_COLOURS["framing"]))
    prefix, _ = cached_prefix(request, counts, catalog, analysis.project)
    cache = [("cacheable prefix", float(prefix), "#59a14f"), ("sent uncached", float(counts.input_tokens - prefix), "#e15759")]
    m = site.measured
    output = m.output_median if m is not None and m.output_median is not None else None
    io = [("input", float(counts.input_tokens), "#4e79a7")]
    if output is not None:
        io.append(("output (measured median)", float(output), "#f28e2b"))
    legend = lambda items: " ".join(f'<span style="background:{c}"></span>{_e(n)} {fmt_int(int(v))}'  # noqa: E731
                                    for n, v, c in items)
    measured = ""
    if m is not None:
        rate = f"{fmt_rate(m.requests_per_month)}/month" if m.requests_per_month is not None else "no rate (too short a log)"
        cost = f", {fmt_usd(m.usd_per_month)}/month billed (input and output)" if m.usd_per_month is not None else ""
        measured = (f"<p>Measured from {m.requests:,} logged calls: {rate}{cost}; cache served "
                    f"{share(m.cache_read_share)} of input (promptlint predicted {share(site.predicted_cache_share)}); "
                    f"input {fmt_int(int(m.input_median or 0))} tokens typical, {fmt_int(int(m.input_p95 or 0))} at p95; "
                    f"output {fmt_int(int(m.output_median or 0))} typical, {fmt_int(int(m.output_p95 or 0))} at p95.</p>")
    where = f"{view.path(request.path)}:{request.span.line}"
    cap = f"answer cap {fmt_int(request.max_tokens)} tokens" if request.max_tokens else "no answer cap"
    return (f'<div class="req" id="{anchor}"><h3><code>{_e(request.id.split("::", 1)[-1])}</code> in '
            f'<code>{_e(where)}</code></h3>'
            f'<p>{fmt_usd(price.usd_per_month)}/month ({fmt_usd(price.usd_per_request)} per call, input) at {_pill(site)}'
            f' · {_e(counts.model)} · {fmt_int(counts.input_tokens)} input tokens · {cap}</p>'
            f'<table><tr><th>what it sends</th><td>{_bar(sections)}</td><td class="legend">{legend(sections)}</td></tr>'
            f'<tr><th>cache</th><td>{_bar(cache)}</td><td class="legend">{legend(cache)}</td></tr>'
            f'<tr><th>input and output</th><td>{_bar(io)}</td><td class="legend">{legend(io)}'
            f'{"" if output is not None else " · output: not logged"}</td></tr></table>{measured}</div>')


def _findings(analysis, view, production: bool) -> str:
    rows = []
    for priced in sorted(analysis.findings, key=lambda p: -(worth(p)[1].usd_per_month if worth(p) else 0)):
        if analysis.production(priced) != production:
            continue
        f = priced.finding
        got = worth(priced)
        money = "" if got is None else (f"up to {fmt_usd(got[1].usd_per_month)} at risk" if got[0] == "exposure"
                                          else f"saves ~{fmt_usd(got[1].usd_per_month)}")
        where = f"{view.path(f.span.path)}:{f.span.line}" + (f" (cell {f.span.cell})" if f.span.cell is not None else "")
        rows.append(f"<tr><td>{_e(PLAIN_NAMES.get(f.code, f.name))}<br><span class='muted'>{_e(f.code)} {_e(f.name)}"
                    f"</span></td><td><code>{_e(where)}</code></td><td>{_e(f.message)}</td>"
                    f"<td class='n'>{_e(money)}</td></tr>")
    if not rows:
        return '<p class="muted">No findings.</p>'
    return ("<table><tr><th>problem</th><th>where</th><th>what promptlint found</th><th class='n'>per month</th></tr>"
            + "".join(rows) + "</table>")


def _baseline(comparison) -> str:
    from promptlint.report.changes import signed_usd

    total = comparison.total("request")
    delta = total.usd_after - total.usd_before
    cls = "up" if delta > 0 else "down"
    rows = "".join(f"<tr><td>{_e(c.status)}</td><td><code>{_e(c.id)}</code></td><td class='n'>{fmt_int(c.tokens_before)}"
                   f"</td><td class='n'>{fmt_int(c.tokens_after)}</td><td class='n'>{fmt_usd(c.usd_before)}</td>"
                   f"<td class='n'>{fmt_usd(c.usd_after)}</td></tr>" for c in comparison.changed[:100])
    return (f"<p>Compared with <code>{_e(comparison.baseline)}</code>: all requests cost "
            f"<b class='{cls}'>{_e(signed_usd(delta))}/month</b> ({fmt_usd(total.usd_before)} → {fmt_usd(total.usd_after)})"
            f"; {'over' if comparison.failed else 'within'} the allowed growth of {_e(comparison.limit.describe())}.</p>"
            "<table><tr><th>change</th><th>prompt</th><th class='n'>tokens before</th><th class='n'>after</th>"
            f"<th class='n'>$/month before</th><th class='n'>after</th></tr>{rows}</table>")


def _usage(analysis) -> str:
    report = analysis.usage
    attribution = report.attribution
    files = "".join(f"<li><code>{_e(f)}</code> ({_e(kind)}, {n:,} calls)</li>" for f, kind, n in report.logs.files)
    rows = "".join(f"<tr><td class='n'>{n:,}</td><td>{_e(r)}</td></tr>" for r, n in unattributed_reasons(attribution))
    span = f" over {report.window_days:.1f} days" if report.window_days else ""
    return (f"<p>{attribution.attributed:,} of {report.calls:,} logged calls{span} were matched to the code that sent "
            f"them; {len(attribution.unattributed):,} could not be, and are listed here rather than dropped.</p>"
            f"<ul>{files}</ul>" + (f"<table><tr><th class='n'>calls</th><th>why not matched</th></tr>{rows}</table>"
                                   if rows else ""))


def render_html(analysis, view, comparison=None) -> str:
    catalog = ModelCatalog(analysis.config.prices)
    requests = sorted_requests(analysis)
    production = [r for r in requests if analysis.traffic.of_request(r.id).production]
    apart = [r for r in requests if not analysis.traffic.of_request(r.id).production]
    anchors = {r.id: f"req-{i}" for i, r in enumerate(requests)}
    measured_cost = sum(s.measured.usd_per_month for s in analysis.traffic.requests.values()
                        if s.production and s.measured and s.measured.usd_per_month is not None)
    cards = [("Production prompts cost", f"{fmt_usd(analysis.usd_per_month_total)}/month",
              "input tokens of every production request, at its traffic"),
             ("Fixes could save", f"~{fmt_usd(analysis.usd_per_month_saveable)}/month", "from the findings below")]
    if analysis.usage is not None:
        cards.append(("Billed per the usage logs", f"{fmt_usd(measured_cost)}/month", "input and output of the matched calls"))
    cards.append(("Non-production", f"{fmt_usd(analysis.usd_per_month_non_production)}/month",
                  f"{len(apart)} request sites in tests, docs, examples, notebooks: not in the total"))
    card_html = "".join(f'<div class="card">{_e(t)}<b>{_e(v)}</b><span class="muted">{_e(n)}</span></div>'
                        for t, v, n in cards)
    tabs = [("prod", "Production", f"<h2>Where the money goes</h2><p class='muted'>Each box is one place in the code "
             f"that calls a model; its size is what it costs a month. Striped boxes use the default traffic "
             f"(no logs or config say how often they run). Click a box for its breakdown.</p>"
             f"{treemap(analysis, view, production, anchors)}<h2>Each request</h2>"
             + "".join(breakdown(analysis, view, r, catalog, anchors[r.id]) for r in production)),
            ("find", f"Findings ({len(analysis.findings)})", _findings(analysis, view, True)
             + ("<h2>In non-production code</h2>" + _findings(analysis, view, False)
                if any(not analysis.production(f) for f in analysis.findings) else ""))]
    if comparison is not None:
        tabs.append(("base", "Since the baseline", _baseline(comparison)))
    if analysis.usage is not None:
        tabs.append(("usage", "Usage logs", _usage(analysis)))
    tabs.append(("nonprod", f"Non-production ({len(apart)})",
                 "<p class='muted'>Tests, docs, examples, benchmarks, notebooks and evaluations (the "
                 "<code>non-production</code> setting): listed and checked, priced apart from production.</p>"
                 + ("".join(breakdown(analysis, view, r, catalog, anchors[r.id]) for r in apart) or
                    "<p class='muted'>None.</p>")))
    controls = "".join(f'<input type="radio" name="tab" id="tab-{key}"{" checked" if i == 0 else ""}>'
                       f'<label for="tab-{key}">{_e(title)}</label>' for i, (key, title, _) in enumerate(tabs))
    panels = "".join(f'<section class="panel" id="panel-{key}">{body}</section>' for key, _, body in tabs)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>promptlint: where the money goes</title><style>{CSS}</style></head><body><main>"
            f"<h1>Where your LLM money goes</h1><p class='muted'>{_e(sources_sentence(analysis).capitalize())}. "
            f"Scanned {fmt_int(analysis.project.files_scanned)} files: {len(requests)} places that call a model. "
            f"promptlint {_e(__version__)}.</p><div class='cards'>{card_html}</div>"
            f"<div class='tabs'>{controls}{panels}</div></main></body></html>\n")
