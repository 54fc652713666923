"""Run the pipeline: discover -> extract -> link -> measure -> rules -> price.

The CLI and tests call :func:`analyze`; each stage is a plain function of the stage
before, so a stage can be replaced (exact token counts, cached extraction) without the
others knowing.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from promptlint.cache import ScanCache
from promptlint.checks import conversation
from promptlint.config import Config
from promptlint.discover import Discovery, SourceFile, _matchers, iter_candidates, read_candidate, remember, verdict
from promptlint.extract import extract_file
from promptlint.extract.filelinks import TreeFiles
from promptlint.extract.link import link
from promptlint.extract.result import FileResult
from promptlint.extract.scopes import module_name_for
from promptlint.globs import match_path
from promptlint.models import ModelCatalog
from promptlint.pricing import Pricer
from promptlint.rules import Rule, RuleContext, RuleSet, load_rules, matches
from promptlint.tokens import Measurements, RequestTokens, TokenCounter, make_counter, measure
from promptlint.suppress import line_key
from promptlint.types import Diagnostic, Finding, Price, PricedFinding, Project, Request, SEVERITY_RANK, Usage


@dataclass(frozen=True)
class Analysis:
    config: Config
    project: Project
    measurements: Measurements
    findings: tuple[PricedFinding, ...]
    request_prices: dict[str, Price]
    template_prices: dict[str, Price]
    rules: tuple[Rule, ...] = ()
    notices: tuple[Diagnostic, ...] = field(default_factory=tuple)

    @property
    def usd_per_month_saveable(self) -> float:
        return sum(f.price.usd_per_month for f in self.findings
                   if f.price and f.price.usd_per_month > 0 and not f.finding.saving.exposure)

    @property
    def usd_per_month_total(self) -> float:
        """The input cost of every request: request prices add up to a bill (template
        prices do not: a template is priced as if sent alone)."""
        return sum(p.usd_per_month for p in self.request_prices.values())

    @property
    def by_severity(self) -> dict[str, int]:
        """Findings per severity, most severe first, every severity present."""
        counts = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            counts[f.finding.severity] += 1
        return counts

    def failing(self, fail_on: str) -> list[PricedFinding]:
        threshold = SEVERITY_RANK[fail_on]
        return [f for f in self.findings if SEVERITY_RANK[f.finding.severity] >= threshold]


# Below this many candidate files (a pre-commit run on the staged files), starting workers
# costs more than it saves; from a couple of hundred files on, two workers were 25-35%
# faster on this repository and on the benchmark trees (benchmarks/, 2 cores, idle machine).
PARALLEL_MIN_CANDIDATES = 100


@dataclass(frozen=True)
class Outcome:
    """What surveying one candidate file found: its source (bytes dropped), or why not."""

    path: str
    source: SourceFile | None
    diagnostic: Diagnostic | None = None
    passes: bool = False
    fresh_verdict: bool = False
    result: FileResult | None = None  # extracted now (None when cached or not a prompt file)


def survey(candidates: list[tuple[str, str, str]], config: Config, cache: ScanCache | None) -> list[Outcome]:
    """Read, prefilter and extract candidate files. Reads the cache but never changes it,
    so it can run in worker processes; :func:`scan` records the outcomes."""
    patterns = tuple(config.prompt_name_patterns)
    outcomes = []
    for rel, abspath, kind in candidates:
        got = read_candidate(rel, abspath, kind, config, cache)
        if isinstance(got, Diagnostic):
            outcomes.append(Outcome(rel, None, got))
            continue
        passes, fresh = verdict(got, config, cache)
        result = None
        if passes and not (cache is not None and cache.has_result(rel, got.digest)):
            result = extract_file(rel, kind, got.load(), patterns)
        outcomes.append(Outcome(rel, replace(got, data=None), None, passes, fresh, result))
    return outcomes


_WORKER_STATE: tuple[Config, ScanCache | None] | None = None  # inherited by forked workers


def _survey_shard(shard: list[tuple[str, str, str]]) -> list[Outcome]:
    assert _WORKER_STATE is not None
    return survey(shard, *_WORKER_STATE)


def survey_all(candidates: list[tuple[str, str, str]], config: Config, cache: ScanCache | None) -> list[Outcome]:
    """:func:`survey` over all cores for large trees: each worker reads, prefilters and
    extracts its share, and only the few prompt files' results travel back. Files the cache
    vouches for (same size and mtime) need no reading, so a warm run stays in-process."""
    fresh = [c for c in candidates if not _unchanged(c, cache)]
    workers = min(os.cpu_count() or 1, 8)
    if len(fresh) < PARALLEL_MIN_CANDIDATES or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return survey(candidates, config, cache)
    fresh_paths = {c[0] for c in fresh}
    known = [c for c in candidates if c[0] not in fresh_paths]
    by_path = {o.path: o for o in [*survey(known, config, cache), *_survey_in_workers(fresh, config, cache, workers)]}
    return [by_path[c[0]] for c in candidates]


def _unchanged(candidate: tuple[str, str, str], cache: ScanCache | None) -> bool:
    if cache is None:
        return False
    try:
        stat = os.stat(candidate[1])
    except OSError:
        return False
    return cache.known_digest(candidate[0], stat.st_size, stat.st_mtime_ns) is not None


def _survey_in_workers(candidates: list[tuple[str, str, str]], config: Config, cache: ScanCache | None,
                       workers: int) -> list[Outcome]:
    global _WORKER_STATE
    size = max(1, len(candidates) // (workers * 4))
    shards = [candidates[i : i + size] for i in range(0, len(candidates), size)]
    _WORKER_STATE = (config, cache)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            outcomes = pool.map(_survey_shard, shards)
            warm = threading.Thread(target=_prepare_later_stages, daemon=True)
            warm.start()  # after the fork: the workers must not inherit a half-loaded tokenizer
            found = [outcome for part in outcomes for outcome in part]
            warm.join()
            return found
    finally:
        _WORKER_STATE = None


def _prepare_later_stages() -> None:
    """While the workers read the tree, the main process would only wait: load what the
    measure and price stages need (the tokenizer, genai-prices) in the meantime."""
    try:
        from promptlint.tokens.offline import load_tokenizer

        load_tokenizer()
        import genai_prices.data_snapshot  # noqa: F401
    except Exception:  # noqa: BLE001 - the stage that needs it will report the problem itself
        pass


def discover_and_extract(paths: list[Path], config: Config,
                         cache: ScanCache | None = None) -> tuple[Discovery, list[FileResult]]:
    """Discovery and extraction in one pass over the files (see :func:`survey_all`)."""
    diagnostics: list[Diagnostic] = []
    others: list[str] = []
    candidates = list(iter_candidates(paths, config, diagnostics, others))
    files: list[SourceFile] = []
    skipped: list[str] = []
    results: list[FileResult] = []
    for outcome in survey_all(candidates, config, cache):
        source = outcome.source
        if source is None:
            diagnostics.append(outcome.diagnostic)  # type: ignore[arg-type]
            continue
        remember(cache, source, outcome.passes, outcome.fresh_verdict)
        if not outcome.passes:
            skipped.append(source.path)
            continue
        files.append(source)
        result = outcome.result
        if result is None and cache is not None:
            result = cache.result(source.path, source.digest)
        if result is None:  # a cache entry that did not read back
            result = extract_file(source.path, source.kind, source.load(), tuple(config.prompt_name_patterns))
        if cache is not None and result is not None and not cache.has_result(source.path, source.digest):
            cache.remember(source.path, source.digest, True, result)
        results.append(result)
    return Discovery(tuple(files), len(candidates), tuple(diagnostics), tuple(skipped), tuple(others)), results


def extract_all(discovery: Discovery, config: Config, cache: ScanCache | None = None) -> list[FileResult]:
    """Extraction results for already discovered files (cached ones are not re-extracted)."""
    patterns = tuple(config.prompt_name_patterns)
    results = []
    for source in discovery.files:
        hit = cache.result(source.path, source.digest) if cache is not None else None
        if hit is None:
            hit = extract_file(source.path, source.kind, source.load(), patterns)
            if cache is not None:
                cache.remember(source.path, source.digest, True, hit)
        results.append(hit)
    return results


def tree_files(results: list[FileResult], discovery: Discovery, config: Config,
               cache: ScanCache | None = None) -> TreeFiles:
    """Files that links name (an included partial, a prompt read by code), read on demand
    from under the project root; excluded paths stay excluded."""
    from promptlint.discover import classify

    root = Path(config.root)
    patterns = tuple(config.prompt_name_patterns)

    def load(rel: str, kind: str) -> FileResult | None:
        if _matchers(config).exclude(rel) or not (root / rel).is_file():
            return None
        got = read_candidate(rel, str(root / rel), kind, config, cache)
        if isinstance(got, Diagnostic):
            return None
        hit = cache.result(rel, got.digest) if cache is not None else None
        if hit is not None:
            return hit
        result = extract_file(got.path, kind, got.load(), patterns)
        if cache is not None:
            cache.remember(rel, got.digest, False, result)
        return result

    known = (*discovery.skipped, *discovery.others)
    return TreeFiles(results, known, load, lambda rel: classify(rel, config))


def module_loader(discovery: Discovery, config: Config, cache: ScanCache | None = None):
    """Extract, on demand, a Python module the prefilter skipped (an imported constant)."""
    by_module: dict[str, list[str]] = {}
    for rel in discovery.skipped:
        if rel.endswith(".py"):
            name = module_name_for(rel)
            for candidate in {name, name.removesuffix(".__init__")}:
                parts = candidate.split(".")
                for i in range(len(parts)):
                    by_module.setdefault(".".join(parts[i:]), []).append(rel)
    root = Path(config.root)
    patterns = tuple(config.prompt_name_patterns)
    bases = _import_bases(discovery)
    memo: dict[str, FileResult | None] = {}

    def load(module: str) -> FileResult | None:
        if module not in memo:
            paths = sorted(set(by_module.get(module, []))) or _outside_paths(module, bases, root, config)
            memo[module] = _extract_module(paths[0], root, config, patterns, cache) if len(paths) == 1 else None
        return memo[module]

    return load


def _extract_module(rel: str, root: Path, config: Config, patterns: tuple[str, ...],
                    cache: ScanCache | None) -> FileResult | None:
    got = read_candidate(rel, str(root / rel), "python", config, cache)
    if isinstance(got, Diagnostic):
        return None
    hit = cache.result(rel, got.digest) if cache is not None else None
    if hit is not None:
        return hit
    result = extract_file(got.path, got.kind, got.load(), patterns)
    if cache is not None:
        cache.remember(rel, got.digest, False, result)
    return result


def _import_bases(discovery: Discovery) -> list[str]:
    """Folders (relative to the root) an absolute import may start from: the root, ``src``,
    and every folder above a scanned file. Only consulted for a module outside the scanned
    paths, which is how a pre-commit run on the changed files still sees the constants the
    unchanged modules define."""
    bases = {"", "src"}
    for rel in (*(f.path for f in discovery.files), *discovery.skipped):
        parts = rel.split("/")[:-1]
        bases.update("/".join(parts[:i]) for i in range(len(parts) + 1))
    return sorted(bases)


def _outside_paths(module: str, bases: list[str], root: Path, config: Config) -> list[str]:
    stem = module.replace(".", "/")
    found = []
    for base in bases:
        for name in (f"{stem}.py", f"{stem}/__init__.py"):
            rel = f"{base}/{name}" if base else name
            if (root / rel).is_file() and not _matchers(config).exclude(rel):
                found.append(rel)
                break
    return sorted(set(found))


def _genai_prices_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("genai-prices")
    except PackageNotFoundError:  # pragma: no cover - a dependency
        return "?"


def open_cache(config: Config, enabled: bool = True) -> ScanCache | None:
    """The project's cache, keyed by everything that changes what extraction yields."""
    if not enabled:
        return None
    settings = (tuple(config.prompt_name_patterns), tuple(config.template_globs))
    return ScanCache(Path(config.root) / config.cache_dir, settings)


@dataclass(frozen=True)
class Scan:
    """What discover, extract and link produced; kept so a fix can re-extract only the
    files it edits and link the tree again."""

    discovery: Discovery
    results: tuple[FileResult, ...]
    project: Project
    notices: tuple[Diagnostic, ...]


def scan_tree(paths: list[Path], config: Config, cache: ScanCache | None = None) -> Scan:
    """Discover, extract and link: everything the tree holds, before any counting."""
    discovery, results = discover_and_extract(paths, config, cache)
    notices = tuple(d for d in discovery.diagnostics if d.code == "skip")
    problems = [d for d in discovery.diagnostics if d.code != "skip"]
    project = link(results, config.root, discovery.candidates, problems, module_loader(discovery, config, cache),
                   tree_files(results, discovery, config, cache))
    return Scan(discovery, tuple(results), project, notices)


def scan(paths: list[Path], config: Config, cache: ScanCache | None = None) -> tuple[Project, tuple[Diagnostic, ...]]:
    scanned = scan_tree(paths, config, cache)
    return scanned.project, scanned.notices


def run_rules(rules: list[Rule], project: Project, measurements: Measurements, config: Config,
              catalog: ModelCatalog, counter: TokenCounter, pricer: Pricer) -> list[Finding]:
    findings: list[Finding] = []
    for rule in rules:
        ctx = RuleContext(rule, rule.option_values(config), project, measurements, config, catalog, counter, pricer)
        findings.extend(rule.resolve_check()(ctx))
    return [f for f in findings if not suppressed(f, project, config, rules)]


def suppressed(finding: Finding, project: Project, config: Config, rules: list[Rule]) -> bool:
    rule = next((r for r in rules if r.code == finding.code), None)
    if rule is None:
        return False
    lines = project.suppressions.get(finding.span.path, {})
    # The finding's line, or the last line of its construct: a comment cannot sit inside a
    # multi-line string, so it goes after the closing quotes (as with ruff's noqa).
    for line in {finding.span.line, finding.span.end_line or finding.span.line}:
        selectors = lines.get(line_key(line, finding.span.cell), False)
        if selectors is None or (selectors and any(matches(s, rule) for s in selectors)):
            return True
    for glob, selectors in config.per_file_ignores.items():
        if match_path(glob, finding.span.path) and any(matches(s, rule) for s in selectors):
            return True
    return False


def cached_prefix(request: Request, counts: RequestTokens, catalog: ModelCatalog, project: Project) -> tuple[int, str]:
    """Tokens actually served from cache on a hit: the longest breakpoint prefix that is
    static and reaches the model's minimum (with its TTL); 0 when nothing is cached.

    Automatic caching (top-level ``cache_control``) in a conversation reads, on each call,
    the prefix the previous call wrote; its static part is the share known here.
    """
    minimum, _ = catalog.min_cacheable(counts.model)
    best, ttl = 0, "5m"
    static = True
    end = -1
    for i, part in enumerate(request.parts):
        template = project.templates.get(part.template) if part.template else None
        static = static and part.static and template is not None and not template.placeholders
        if not static:
            break
        end = i
        mark = part.cache or (request.auto_cache if i == len(request.parts) - 1 else None)
        if mark is not None and counts.prefix(i) >= minimum:
            best, ttl = counts.prefix(i), mark.ttl
    auto = request.auto_cache
    if not best and auto is not None and end >= 0 and counts.prefix(end) >= minimum and conversation(request):
        best, ttl = counts.prefix(end), auto.ttl
    return best, ttl


def request_scenario(request: Request, counts: RequestTokens, catalog: ModelCatalog, project: Project,
                     hit_rate: float) -> tuple[Usage, ...]:
    """The input billed for one call of ``request``, as a hit/miss mix when it caches."""
    prefix, ttl = cached_prefix(request, counts, catalog, project)
    model, total = counts.model, counts.input_tokens
    if not prefix:
        return (Usage(model, input_tokens=total, batch=request.batch),)
    write = {"cache_write_1h_tokens": prefix} if ttl == "1h" else {"cache_write_tokens": prefix}
    return (
        Usage(model, input_tokens=total - prefix, cache_read_tokens=prefix, batch=request.batch, weight=hit_rate),
        Usage(model, input_tokens=total - prefix, batch=request.batch, weight=1 - hit_rate, **write),
    )


def price_findings(findings: list[Finding], pricer: Pricer) -> tuple[PricedFinding, ...]:
    priced = []
    for finding in findings:
        price = None
        model = None
        if finding.saving is not None and (finding.saving.before or finding.saving.after):
            amount = pricer.saving(finding.saving)
            price = pricer.price(amount)
            model = (finding.saving.before or finding.saving.after)[0].model
        priced.append(PricedFinding(finding, price, model))
    priced.sort(key=lambda p: (p.finding.span.path, p.finding.span.line, p.finding.span.column, p.finding.code))
    return tuple(priced)


def analyze(paths: list[Path], config: Config, select: tuple[str, ...] = (), ignore: tuple[str, ...] = (),
            counter: TokenCounter | None = None, use_cache: bool = True, scanned: Scan | None = None) -> Analysis:
    """The whole pipeline; ``scanned`` skips discovery and extraction (a tree already read)."""
    ruleset: RuleSet = load_rules(config)
    rules = ruleset.selected(select or config.select, (*config.ignore, *ignore))
    cache = open_cache(config, use_cache)
    scanned = scanned or scan_tree(paths, config, cache)
    project, notices = scanned.project, scanned.notices
    prices_version = _genai_prices_version()
    catalog = ModelCatalog(config.prices, cache.memo("models", prices_version) if cache else None)
    if counter is None:
        counter = make_counter(config, catalog, cache)
    measurements = measure(project, counter, config.default_model)
    pricer = Pricer(config, catalog, memo=cache.memo("prices", f"{prices_version}|{date.today()}") if cache else None)
    findings = run_rules(rules, project, measurements, config, catalog, counter, pricer)
    if counter.exact is not None:
        from promptlint.tokens.exact import with_warnings

        measurements = with_warnings(measurements, counter)

    request_prices = {}
    for request in project.requests:
        counts = measurements.requests[request.id]
        cost = sum((pricer.cost(u) for u in request_scenario(request, counts, catalog, project, config.cache_hit_rate)),
                   Decimal(0))
        request_prices[request.id] = pricer.price(cost)
    template_prices = {
        tid: pricer.price(pricer.cost(Usage(measurements.template_models[tid], input_tokens=tokens)))
        for tid, tokens in measurements.templates.items()
    }
    priced = price_findings(findings, pricer)
    if cache is not None:
        cache.save()
    return Analysis(config, project, measurements, priced, request_prices, template_prices, tuple(rules), notices)
