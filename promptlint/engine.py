"""Run the pipeline: discover -> extract -> link -> anatomy -> measure -> rules -> price.

The CLI and tests call :func:`analyze`; each stage is a plain function of the stage
before, so a stage can be replaced (exact token counts, cached extraction) without the
others knowing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Iterable

from promptlint import __version__
from promptlint.anatomy import Anatomies, dissect_project
from promptlint.cache import ScanCache, cache_location, decimal_text, text_or_none
from promptlint.collector import paused
from promptlint.consolidate import one_per_location, saveable_total
from promptlint.config import Config, rule_selection
from promptlint.discover import (Discovery, callers, classify, digest, discover, discover_text, named_uses,
                                 stat_key)
from promptlint.extract import CALLS_KIND, VALUES_KIND, extract_file
from promptlint.extract.filelinks import TreeFiles
from promptlint.extract.link import ModuleTable, link
from promptlint.extract.values import Deferred, Map, Ref, Seq
from promptlint.extract.wrappers import forwarding_names, wrapper_names
from promptlint.extract.result import FileResult
from promptlint.extract.scopes import module_name_for
from promptlint.globs import match_path
from promptlint.models import ModelCatalog
from promptlint.nameindex import NameIndex
from promptlint.ondemand import OnDemand
from promptlint.pathrun import for_linking, imported_modules, without
from promptlint.pricing import Pricer
from promptlint.rules import Rule, RuleContext, RuleSet, load_rules, matches
from promptlint.tokens import Measurements, TokenCounter, make_counter, measure, request_model
from promptlint.traffic import TrafficPlan, billing_hit_rate
from promptlint.traffic.money import monthly, price_at
from promptlint.traffic.stage import UsageReport, traffic_stage
from promptlint.suppress import SuppressionUse, line_key, silences
from promptlint.suppress import index as suppression_index
from promptlint.terminal import progress
from promptlint.survey import shared_workers
from promptlint.types import Diagnostic, Finding, Price, PricedFinding, Project, SEVERITY_RANK


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
    traffic: TrafficPlan = field(default_factory=TrafficPlan)
    usage: UsageReport | None = None
    anatomies: Anatomies | None = None
    saveable: Price | None = None  # production savings, every request's applied together (promptlint.consolidate)

    def production(self, priced: PricedFinding) -> bool:
        return self.traffic.production(priced.finding.request, priced.finding.template)

    @property
    def usd_per_month_saveable(self) -> float:
        """What production findings save a month (non-production ones are priced apart)."""
        if self.saveable is not None:
            return self.saveable.usd_per_month
        return sum(f.price.usd_per_month for f in self.findings
                   if f.price and f.price.usd_per_month > 0 and not f.finding.saving.exposure and self.production(f))

    @property
    def usd_per_month_total(self) -> float:
        """The input cost of every production request: request prices add up to a bill
        (template prices do not: a template is priced as if sent alone)."""
        return sum(p.usd_per_month for rid, p in self.request_prices.items() if self.traffic.of_request(rid).production)

    @property
    def usd_per_month_non_production(self) -> float:
        return sum(p.usd_per_month for rid, p in self.request_prices.items()
                   if not self.traffic.of_request(rid).production)

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


def load_on_demand(rel: str, kind: str, config: Config, cache: ScanCache | None) -> FileResult | None:
    """Extract a file the scan did not (an imported module the prefilter skipped, a partial
    or prompt file that code reads), through the cache like any other: its entry records
    the file's real prefilter verdict, so a later full scan treats it as discovery would."""
    return OnDemand(config, cache, extract_file).load(rel, kind)


def tree_files(results: list[FileResult], discovery: Discovery, config: Config,
               cache: ScanCache | None = None, ondemand: OnDemand | None = None) -> TreeFiles:
    """Files that links name (an included partial, a prompt read by code), read on demand
    from under the project root; excluded paths stay excluded."""
    known = (*discovery.skipped, *discovery.others)
    load = (ondemand or OnDemand(config, cache, extract_file)).load
    return TreeFiles(results, known, load, lambda rel: classify(rel, config))


class ModuleLoader:
    """Extract, on demand, a Python module the prefilter skipped (an imported constant),
    for its values only (:data:`promptlint.extract.VALUES_KIND`: linking reads nothing else
    of it). Each module name is looked up once; :meth:`prefetch` extracts, over the cores, the
    modules the scanned files name before linking asks for them one by one."""

    def __init__(self, discovery: Discovery, config: Config, cache: ScanCache | None = None,
                 ondemand: OnDemand | None = None, reads=None) -> None:
        self.reads = reads  # promptlint.project_cache.Reads: the folders listed, when kept
        self.by_module: dict[str, list[str]] = {}
        for rel in discovery.skipped:
            if rel.endswith(".py"):
                name = module_name_for(rel)
                for candidate in {name, name.removesuffix(".__init__")}:
                    parts = candidate.split(".")
                    for i in range(len(parts)):
                        self.by_module.setdefault(".".join(parts[i:]), []).append(rel)
        self.config = config
        self.root = Path(config.root)
        self.bases = _import_bases(discovery)
        self.ondemand = ondemand or OnDemand(config, cache, extract_file)
        self.memo: dict[str, FileResult | None] = {}
        self._paths: dict[str, str | None] = {}
        self._listings: dict[str, frozenset[str]] = {}

    def _listing(self, folder: str) -> frozenset[str]:
        if folder not in self._listings:
            try:
                self._listings[folder] = frozenset(os.listdir(self.root / folder if folder else self.root))
            except OSError:
                self._listings[folder] = frozenset()
            if self.reads is not None:
                self.reads.listing(folder, self._listings[folder])
        return self._listings[folder]

    def _listed(self, rel: str) -> bool:
        """Whether every part of ``rel`` is in its folder's listing: one ``listdir`` per
        folder, where a ``stat`` per (module, base folder) pair cost seconds on a large
        tree whose code imports many packages from outside it."""
        folder = ""
        for part in rel.split("/"):
            if part not in self._listing(folder):
                return False
            folder = f"{folder}/{part}" if folder else part
        return True

    def _outside_paths(self, module: str) -> list[str]:
        stem = module.replace(".", "/")
        first = stem.split("/", 1)[0]
        found = []
        for base in self.bases:
            # Most imports name a package no base folder holds (``pydantic`` in every folder
            # of the tree): one look at the base's own listing rules both names out.
            listing = self._listing(base)
            if first not in listing and f"{first}.py" not in listing:
                continue
            for name in (f"{stem}.py", f"{stem}/__init__.py"):
                rel = f"{base}/{name}" if base else name
                if self._listed(rel) and self.ondemand.allowed(rel):
                    found.append(rel)
                    break
        return sorted(set(found))

    def path(self, module: str) -> str | None:
        """The one file the module name can be, or None (none, or more than one)."""
        if module not in self._paths:
            paths = sorted(set(self.by_module.get(module, []))) or self._outside_paths(module)
            self._paths[module] = paths[0] if len(paths) == 1 else None
        return self._paths[module]

    def __call__(self, module: str) -> FileResult | None:
        if module not in self.memo:
            rel = self.path(module)
            self.memo[module] = self.ondemand.load(rel, VALUES_KIND) if rel is not None else None
        return self.memo[module]

    def prefetch(self, modules: Iterable[str]) -> None:
        """Extract together the files these module names resolve to (only a cost: what
        linking then asks for is what it would have asked for)."""
        rels = {self.path(m) for m in modules if m and m not in self.memo}
        self.ondemand.load_many(sorted((rel, VALUES_KIND) for rel in rels if rel is not None))


def module_loader(discovery: Discovery, config: Config, cache: ScanCache | None = None,
                  ondemand: OnDemand | None = None) -> ModuleLoader:
    return ModuleLoader(discovery, config, cache, ondemand)


def caller_loader(discovery: Discovery, config: Config, cache: ScanCache | None = None,
                  ondemand: OnDemand | None = None, index: NameIndex | None = None):
    """Extract, on demand, the skipped Python files that call one of ``wanted`` (module,
    qualified name) pairs: a loop over documents that calls ``summarize(doc)`` usually sits
    in a file with no LLM call of its own, and the loop analysis needs it
    (:mod:`promptlint.loops`), and so does one that registers it as an agent's tool by name
    (``Tool(func=summarize)``). A file qualifies only when it calls the name and imports its
    module or its name, so a common method name does not pull in half the tree."""
    import re

    root = Path(config.root)
    done: set[str] = set()
    rounds: list[str] = []
    ondemand = ondemand or OnDemand(config, cache, extract_file)
    index = index if index is not None else NameIndex(discovery.names)

    patterns: dict[tuple[str, str], re.Pattern] = {}

    def imports(names: tuple[str, str]) -> re.Pattern:
        if names not in patterns:
            patterns[names] = import_line(names)
        return patterns[names]

    def find(wanted: set[tuple[str, str]]) -> list[FileResult]:
        # One scan of each file for every called name (discover.named_uses): a pattern or
        # an alternation of the names cost, on a tree with thousands of helpers, files x names.
        tests: dict[bytes, set[tuple[str, str]]] = {}  # called name -> (module tail, first name)
        for module, qualname in wanted:
            first, last = qualname.split(".")[0], qualname.rsplit(".", 1)[-1]
            tail = module.removesuffix(".__init__").rsplit(".", 1)[-1]
            if not last.isidentifier() or last.startswith("__") or len(last) <= 2:
                continue
            tests.setdefault(last.encode(), set()).add((tail, first))
        if not tests:
            return []
        named = named_uses(tests)
        by_name = {n.decode(): p for n, p in tests.items()}
        told_by_index = NameIndex.answers(by_name)  # ASCII names and words only
        lines = NameIndex.prepared(by_name) if told_by_index else ()
        # Each file's answer is kept while the file and the wanted names stay the same (a
        # memo per round of the search: each round wants other names), so a warm run reads
        # none of the skipped files again.
        stamp = digest(repr((sorted((k, sorted(p)) for k, p in tests.items()), config.max_file_size)).encode())
        rounds.append(stamp)
        known = cache.memo(f"helper-callers-{len(rounds)}", stamp, apart=True) if cache is not None else {}

        def qualifies(rel: str) -> bool | None:
            told = index.uses_imported(rel, lines) if told_by_index else None
            if told is not None:
                if cache is not None:
                    known[rel] = [index.digest(rel), told]
                return told
            path = root / rel
            try:
                file_digest = cache.known_digest(rel, stat_key(os.stat(path))) if cache is not None else None
                entry = known.get(rel)
                if file_digest is not None and type(entry) is list and len(entry) == 2 and entry[0] == file_digest:
                    return bool(entry[1])
                with open(path, "rb") as handle:
                    data = handle.read(config.max_file_size + 1)
            except OSError:
                return None
            answer = len(data) <= config.max_file_size and any(
                imports(pair).search(data) for pair in sorted({p for n in named(data) for p in tests[n]}))
            if cache is not None:
                known[rel] = [digest(data), answer]
            return answer

        keys = []
        for rel in discovery.skipped:
            kind = CALLS_KIND if rel.endswith(".py") else "notebook" if rel.endswith(".ipynb") else None
            if kind is None or rel in done or not qualifies(rel):
                continue
            done.add(rel)
            # only its calls are read: a module another stage already read in full is not
            # read again, and one read now is read for its calls alone
            keys.append((rel, "python") if kind == CALLS_KIND and (rel, "python") in ondemand.memo else (rel, kind))
        return [r for r in ondemand.load_many(keys) if r is not None]

    return find


def import_line(names: tuple[str, ...]):
    """An import line naming the helper's module (its last part) or its first name."""
    import re

    return re.compile(rb"(?m)^[ \t]*(?:from|import)[ \t][^\n]*\b(?:" + b"|".join(re.escape(n.encode()) for n in names)
                      + rb")\b")


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


def _genai_prices_version() -> str:
    """The installed genai-prices version (it keys the price memos): read from the name of
    its one ``.dist-info`` folder beside the package, which is what importlib.metadata
    finds too, without the 60 ms its import and path scan cost a short run."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("genai_prices")
    if spec is not None and spec.origin:
        prefix, suffix = "genai_prices-", ".dist-info"
        try:
            found = [e.name[len(prefix):-len(suffix)] for e in os.scandir(Path(spec.origin).parent.parent)
                     if e.name.startswith(prefix) and e.name.endswith(suffix)]
        except OSError:
            found = []
        if len(found) == 1:
            return found[0]
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("genai-prices")
    except PackageNotFoundError:  # pragma: no cover - a dependency
        return "?"


def _prepare_later_stages(config: Config, rules: Iterable[Rule] = ()) -> None:
    """While workers read the tree, the main process would only wait: load what the
    measure, rules and price stages need (the default model's tokenizer, genai-prices, the
    rules' check modules and phrase packs) meanwhile."""
    try:
        from promptlint.tokens.offline import prepare

        prepare(ModelCatalog(config.prices).family(config.default_model))
        from genai_prices import data_snapshot

        data_snapshot.get_snapshot()  # imports the price data itself (``genai_prices.data``), a tenth of a second
        from promptlint.rules import prepare_checks

        prepare_checks(list(rules), config)
    except Exception:  # noqa: BLE001 - the stage that needs it will report the problem itself
        pass


def _count_ahead(discovery: Discovery, config: Config, cache: ScanCache | None) -> None:
    """Linking is serial: meanwhile, a helper process builds the encodings the calls found
    will likely be counted with (:func:`promptlint.tokens.count_ahead`)."""
    try:
        from promptlint.tokens import count_ahead

        count_ahead(discovery.results, config, cache)
    except Exception:  # noqa: BLE001 - only a head start: measure asks for what it needs itself
        pass


def open_cache(config: Config, enabled: bool = True) -> ScanCache | None:
    """The project's cache, keyed by everything that changes what extraction yields."""
    if not enabled:
        return None
    settings = (tuple(config.prompt_name_patterns), tuple(config.template_globs))
    folder, refused = cache_location(config)
    return ScanCache(folder, settings, refused)


@dataclass(frozen=True)
class Scan:
    """What discover, extract and link produced; kept so a fix can re-extract only the
    files it edits and link the tree again."""

    discovery: Discovery
    results: tuple[FileResult, ...]
    project: Project
    notices: tuple[Diagnostic, ...]
    brought: frozenset[str] = frozenset()  # modules a partial run read for their wrappers (not reported on)


def scan_tree(paths: list[Path], config: Config, cache: ScanCache | None = None, rules: Iterable[Rule] = (),
              walked=None, reads=None) -> Scan:
    """Discover, extract and link: everything the tree holds, before any counting (``rules``:
    those that will run, prepared while workers read the tree; ``walked``: the walk of
    ``paths`` already made; ``reads``: a :class:`promptlint.project_cache.Reads` to record
    what linking reads beyond the walked files)."""
    with shared_workers():  # the survey's workers extract what linking reads on demand
        discovery = discover(paths, config, cache, extract_file, meanwhile=lambda: _prepare_later_stages(config, rules),
                             walked=walked)
        if cache is not None:
            cache.write_ahead()  # the shards of what the survey extracted, written while linking runs
        _count_ahead(discovery, config, cache)
        return _linked(discovery, config, cache, partial=not _covers_root(paths, config), reads=reads)


def _scan_or_recall(paths: list[Path], config: Config, cache: ScanCache | None, rules: Iterable[Rule]):
    """(project, notices, brought): from the project a whole-tree run kept when nothing it
    read has changed (:mod:`promptlint.project_cache`), else scanned and linked (and kept)."""
    if cache is None or not cache.enabled or not _covers_root(paths, config):
        scanned = scan_tree(paths, config, cache, rules)
        return scanned.project, scanned.notices, scanned.brought
    from promptlint import project_cache
    from promptlint.discover import walk

    walked = walk(paths, config)
    key = project_cache.key_for(walked, config, cache)
    kept = project_cache.recall(key, config, cache) if key is not None else None
    if kept is not None:
        return kept[0], kept[1], frozenset()
    reads = project_cache.Reads()
    scanned = scan_tree(paths, config, cache, rules, walked=walked, reads=reads)
    key = project_cache.key_for(walked, config, cache)  # the scan has read, and the cache now knows, every file
    if key is not None:
        project_cache.keep(key, scanned.project, scanned.notices, reads, cache)
    return scanned.project, scanned.notices, scanned.brought


def _covers_root(paths: list[Path], config: Config) -> bool:
    """Whether the paths take in the whole project (the root or a folder above it)."""
    root = os.path.abspath(config.root)
    return any(root == (given := os.path.abspath(p)) or root.startswith(given.rstrip(os.sep) + os.sep)
               for p in paths)


def scan_text(rel: str, data: bytes, config: Config, cache: ScanCache | None = None) -> Scan:
    """Scan one file's text given in memory (``check -`` from an editor): it is read as the
    file ``rel`` of the tree would be (its kind, its ignores), and what it imports is read
    from the tree on disk."""
    discovery = discover_text(rel, data, config, extract_file)
    return _linked(discovery, config, cache, partial=True)


def _linked(discovery: Discovery, config: Config, cache: ScanCache | None, partial: bool = False,
            reads=None) -> Scan:
    """Link what discovery read. A ``partial`` run (some files of the project) first reads
    the modules those files import (:mod:`promptlint.pathrun`), so a call of a wrapper
    defined in an unchanged module is the request it is in a run on the whole tree.

    The cycle collector is paused meanwhile: linking allocates a great deal over the heap of
    every file's results, which form no cycles, and the full collection it set off walked
    them all (OpenHands: one, 0.14-0.26 s; none in the rest of the run once it is paused)."""
    with paused():
        return _link_stage(discovery, config, cache, partial, reads)


def _link_stage(discovery: Discovery, config: Config, cache: ScanCache | None, partial: bool, reads=None) -> Scan:
    progress().phase("linking prompts to requests")
    ondemand = OnDemand(config, cache, extract_file, reads)
    results = list(discovery.results)
    index = NameIndex(discovery.names)
    modules = ModuleLoader(discovery, config, cache, ondemand, reads)
    pending = None
    if partial:
        scanned = {*(r.path for r in results), *discovery.skipped}
        imported = imported_modules(results, discovery.skipped, config, ondemand, modules.path, scanned)
        results += [for_linking(r) for r in imported.results]
        pending = [*discovery.skipped, *imported.skipped]
    results += _wrapper_callers(results, discovery, config, cache, ondemand, pending, index)
    notices = tuple(d for d in discovery.diagnostics if d.code == "skip")
    if cache is not None and cache.refused:
        notices += (Diagnostic(config.cache_dir, cache.refused, code="skip"),)
    problems = [d for d in discovery.diagnostics if d.code != "skip"]
    modules.prefetch(_imported_modules(results))
    project = link(results, config.root, discovery.candidates, problems, modules,
                   tree_files(results, discovery, config, cache, ondemand),
                   caller_loader(discovery, config, cache, ondemand, index))
    brought = frozenset({r.path for r in results} - {f.path for f in discovery.files} - set(discovery.skipped)) \
        if partial else frozenset()
    return Scan(discovery, tuple(results), project, notices, brought)


def _imported_modules(results: list[FileResult]) -> set[str]:
    """Modules outside ``results`` that linking will look in: those of the wrappers the
    files call by import, and those their values take imported names from."""
    known = ModuleTable(results)
    wanted: set[str] = set()

    def refs(value) -> None:
        if isinstance(value, Ref):
            wanted.add(value.module)
            wanted.add(f"{value.module}.{value.name}")  # ``from pkg import prompts`` names a module
        elif isinstance(value, (Seq, Map)):
            for item in value.items:
                refs(item[1] if isinstance(value, Map) else item)
        elif isinstance(value, Deferred):
            for item in (*value.operands, *(v for _, v in value.kwargs)):
                refs(item)

    for result in results:
        wanted.update(c.callee[1] for c in result.wrapper_calls if c.callee[0] == "import")
        for named in (*result.constants, *result.bindings, *result.definitions):
            refs(named.value)
        for draft in result.drafts:
            for _, value in draft.params:
                refs(value)
    return {m for m in wanted if m and m not in known.by_name and m not in known.by_suffix}


def _wrapper_callers(results: list[FileResult], discovery: Discovery, config: Config,
                     cache: ScanCache | None, ondemand: OnDemand | None = None,
                     skipped: list[str] | None = None, index: NameIndex | None = None) -> list[FileResult]:
    """Files the prefilter skipped (``skipped``, by default discovery's) that call an
    in-house wrapper of the tree: read them too (a wrapper defined in one of them may have
    callers in others, so repeat)."""
    ondemand = ondemand or OnDemand(config, cache, extract_file)
    pending = [rel for rel in (discovery.skipped if skipped is None else skipped)
               if classify(rel, config) in ("python", "notebook")]
    names = wrapper_names(results)
    names |= forwarding_names(results, names)
    loaded: list[FileResult] = []
    seen: set[str] = set()
    for round_no in range(1, 5):
        new = callers(pending, names - seen, config, cache, index, round_no)
        seen |= names
        if not new:
            break
        found = set(new)
        pending = [rel for rel in pending if rel not in found]
        batch = [r for r in ondemand.load_many((rel, classify(rel, config) or "python") for rel in new) if r]
        loaded += batch
        names = wrapper_names(batch) - seen
        names |= forwarding_names([*results, *loaded], seen | names) - seen
        if not names:
            break
    return loaded


def scan(paths: list[Path], config: Config, cache: ScanCache | None = None) -> tuple[Project, tuple[Diagnostic, ...]]:
    scanned = scan_tree(paths, config, cache)
    return scanned.project, scanned.notices


def run_rules(rules: list[Rule], project: Project, measurements: Measurements, config: Config,
              catalog: ModelCatalog, counter: TokenCounter, pricer: Pricer,
              traffic: TrafficPlan | None = None, anatomies: Anatomies | None = None) -> list[Finding]:
    """Every rule's findings that no suppression silences, one per rule and location. Rules
    of ``stage: after-suppressions`` (PL900) run last and see which suppressions were used."""
    anatomies = anatomies if anatomies is not None else dissect_project(project, config)
    project = replace(project, requests=tuple(r for r in project.requests if not r.embedding))  # data, not prompts
    use = SuppressionUse(frozenset(r.code for r in rules))
    directives = suppression_index(project)
    kept: list[Finding] = []
    broken: list[Diagnostic] = []

    def context(rule: Rule, part: Project) -> RuleContext:
        return RuleContext(rule, rule.option_values(config), part, measurements, config, catalog, counter, pricer,
                           traffic, anatomies, suppression_use=use)

    for late in (False, True):
        for rule in rules:
            if rule.after_suppressions is not late:
                continue
            try:
                found = list(rule.resolve_check()(context(rule, project)))
            except Exception as exc:  # noqa: BLE001 - one template must not end the run
                found, failed = _rule_file_by_file(rule, project, context, exc)
                broken.extend(failed)
            kept += [f for f in found if not suppressed(f, directives, config, rules, use, bare=not late)]
    parse_error = next((r for r in rules if r.code == "PL001"), None)
    if broken and parse_error is not None:
        found = list(parse_error.resolve_check()(context(parse_error, replace(project, diagnostics=tuple(broken)))))
        kept += [f for f in found if not suppressed(f, directives, config, rules, use)]
    return assumed_models(one_per_location(kept), project, measurements, catalog)


def cached_rules(rules: list[Rule], project: Project, measurements: Measurements, config: Config,
                 catalog: ModelCatalog, counter: TokenCounter, pricer: Pricer, traffic: TrafficPlan,
                 anatomies: Anatomies, cache: ScanCache | None, prices_version: str) -> list[Finding]:
    """:func:`run_rules`, or the findings it gave last time on the same inputs
    (:mod:`promptlint.findings_cache`: the key covers everything the rules read)."""
    store, key = None, None
    if cache is not None and cache.path is not None and counter.exact is None and \
            all(r.origin != "plugin" and r.function is None for r in rules):
        from promptlint.findings_cache import FindingsCache, Unkeyable, fingerprint

        try:
            key = fingerprint(_rule_inputs(rules, config, prices_version), project, measurements, traffic)
        except Unkeyable:
            key = None
        if key is not None:
            store = FindingsCache(cache.path.with_suffix(".findings"))
            found = store.get(key)
            if found is not None:
                return found
    with paused():  # rules build many short-lived objects and no cycles; the heap holds the whole tree's project
        findings = run_rules(rules, project, measurements, config, catalog, counter, pricer, traffic, anatomies)
    if store is not None and key is not None:
        store.put(key, findings)
    return findings


def _rule_inputs(rules: list[Rule], config: Config, prices_version: str) -> tuple:
    """What the findings depend on besides the project, its counts and traffic: the
    configuration, each rule as loaded with its options and the pack files it reads, the
    code and data of promptlint itself, the genai-prices version and the price date."""
    import sys

    from promptlint.findings_cache import file_stamp, tree_stamp
    from promptlint.rules import builtin_rules_dir

    root = Path(config.root)
    described = []
    for rule in rules:
        packs = [Path(rule.source).parent / rel for rel in (rule.data.get("packs") or []) if isinstance(rel, str)]
        options = rule.option_values(config)
        packs += [root / rel for rel in (options.get("extra-packs") or []) if isinstance(rel, str)]
        described.append((rule.code, rule.name, rule.severity, rule.check, rule.fix, rule.source, rule.origin,
                          rule.data, rule.after_suppressions, rule.reads, rule.edits, options,
                          [file_stamp(p) for p in packs]))
    package = Path(__file__).parent
    return (__version__, sys.version_info[:2], config, described, prices_version, date.today().isoformat(),
            tree_stamp(package, builtin_rules_dir()))


def assumed_models(findings: list[Finding], project: Project, measurements: Measurements,
                   catalog: ModelCatalog) -> list[Finding]:
    """A finding priced on a request whose model promptlint cannot see says so: its dollars
    are those of the model it was priced as (``default-model``, or its provider's
    default), not of the model the code really calls."""
    by_id = {r.id: r for r in project.requests}
    out = []
    for f in findings:
        unknown = [r for r in f.requests if r in by_id and not (by_id[r].model and catalog.is_known(by_id[r].model))]
        if f.saving is not None and unknown and "priced as" not in f.message:
            model = measurements.requests[unknown[0]].model
            f = replace(f, message=f"{f.message} (model unknown here; priced as {model})")
        out.append(f)
    return out


def _rule_file_by_file(rule: Rule, project: Project, context, error: Exception) -> tuple[list[Finding], list[Diagnostic]]:
    """A rule that raised on the whole project, run again on each file's part of it: the
    findings of the files it can check, and a PL001 for each file it cannot. (A file's
    part is its templates and requests with the templates they send, so a finding that
    needs another file's requests may be missed here: this runs only after a crash.)"""
    found: list[Finding] = []
    failed: list[Diagnostic] = []
    paths = sorted({t.path for t in project.templates.values()} | {r.path for r in project.requests})
    for path in paths:
        requests = tuple(r for r in project.requests if r.path == path)
        wanted = {tid for r in requests for tid in r.templates}
        templates = {tid: t for tid, t in project.templates.items() if t.path == path or tid in wanted}
        examples = tuple(e for e in project.examples if all(tid in templates for tid in e.templates))
        part = replace(project, templates=templates, requests=requests, examples=examples)
        try:
            found.extend(f for f in rule.resolve_check()(context(rule, part)) if f.span.path == path)
        except Exception as exc:  # noqa: BLE001
            failed.append(Diagnostic(path, f"internal error in rule {rule.code} {rule.name} while checking this "
                                           f"file ({type(exc).__name__}: {_first_line(exc)}); its other rules ran"))
    if not failed:  # no file alone makes it fail: report where it broke, never drop it silently
        failed.append(Diagnostic(paths[0] if paths else ".", f"internal error in rule {rule.code} {rule.name} "
                                 f"({type(error).__name__}: {_first_line(error)}); it was run file by file"))
    return found, failed


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else "")[:200]


def measure_safely(project: Project, counter: TokenCounter, default_model: str) -> tuple[Project, Measurements]:
    """``measure``, and when a template's text cannot be counted, that template counted as
    empty with a PL001 on it (the project returned carries both)."""
    try:
        return project, measure(project, counter, default_model)
    except Exception:  # noqa: BLE001 - find the template, if it is one
        failed: dict[str, Exception] = {}
        models: dict[str, set[str]] = {}
        for request in project.requests:
            for tid in request.templates:
                models.setdefault(tid, set()).add(request_model(request, counter.catalog, default_model))
        for tid, template in project.templates.items():
            try:
                for model in sorted(models.get(tid, set()) | {default_model}):
                    counter.count_many([template.text], model)
            except Exception as exc:  # noqa: BLE001
                failed[tid] = exc
        if not failed:
            raise
    templates = {tid: replace(t, segments=()) if tid in failed else t for tid, t in project.templates.items()}
    problems = tuple(
        Diagnostic(t.path, f"cannot count the tokens of `{tid.split('::', 1)[-1]}` ({type(failed[tid]).__name__}: "
                           f"{_first_line(failed[tid])}); counted as empty", t.span.line, t.span.column, cell=t.span.cell)
        for tid, t in project.templates.items() if tid in failed)
    project = replace(project, templates=templates, diagnostics=(*project.diagnostics, *problems))
    return project, measure(project, counter, default_model)


def suppressed(finding: Finding, directives: dict, config: Config, rules: list[Rule],
               use: SuppressionUse | None = None, bare: bool = True) -> bool:
    """Whether a directive on the finding's line or a per-file ignore silences it. A bare
    directive does not silence the report that it is unused (``bare=False``), as in ruff."""
    rule = next((r for r in rules if r.code == finding.code), None)
    if rule is None:
        return False
    lines = directives.get(finding.span.path, {})
    # The finding's line, or the last line of its construct: a comment cannot sit inside a
    # multi-line string, so it goes after the closing quotes (as with ruff's noqa).
    for line in {finding.span.line, finding.span.end_line or finding.span.line}:
        for directive in lines.get(line_key(line, finding.span.cell), ()):
            if (bare or directive.codes is not None) and silences(directive, rule, matches):
                if use is not None:
                    use.record(finding.span.path, directive, rule.code)
                return True
    for glob, selectors in config.per_file_ignores.items():
        if match_path(glob, finding.span.path) and any(matches(s, rule) for s in selectors):
            return True
    return False


def finding_order(finding: Finding) -> tuple:
    """Findings read top to bottom: by path, notebook cell, line, column, code."""
    span = finding.span
    return (span.path, span.cell if span.cell is not None else -1, span.line, span.column or 0, finding.code)


def price_findings(findings: list[Finding], pricer: Pricer, traffic: TrafficPlan | None = None) -> tuple[PricedFinding, ...]:
    """Per request as the rules measured it; per month at the traffic of every site it saves on."""
    traffic = traffic or TrafficPlan(default=pricer.config.requests_per_month)
    priced = []
    for finding in findings:
        price = None
        model = None
        if finding.saving is not None and (finding.saving.before or finding.saving.after):
            try:
                price = price_at(pricer.saving(finding.saving), 0, monthly(pricer, finding, traffic))
            except Exception:  # noqa: BLE001 - a finding that cannot be priced is shown without dollars
                price = None
            model = (finding.saving.before or finding.saving.after)[0].model
        priced.append(PricedFinding(finding, price, model))
    priced.sort(key=lambda p: finding_order(p.finding))
    return tuple(priced)


def analyze(paths: list[Path], config: Config, select: tuple[str, ...] = (), ignore: tuple[str, ...] = (),
            counter: TokenCounter | None = None, use_cache: bool = True, scanned: Scan | None = None,
            usage=None, usage_days: float | None = None) -> Analysis:
    """The whole pipeline; ``scanned`` skips discovery and extraction (a tree already read);
    ``usage`` (:class:`promptlint.traffic.logs.UsageLogs`) prices sites at their logged traffic."""
    ruleset: RuleSet = load_rules(config)
    ruleset.check_config(config)
    rules = ruleset.selected(*rule_selection(config, select, ignore))
    cache = open_cache(config, use_cache)
    if scanned is not None:
        project, notices, brought = scanned.project, scanned.notices, scanned.brought
        del scanned  # every file's extraction: the later stages read only the project
    else:
        project, notices, brought = _scan_or_recall(paths, config, cache, rules)
    prices_version = _genai_prices_version()
    if cache is not None:
        memos = cache  # genai-prices' answers, kept in the tree's cache or else per machine
    else:
        from promptlint.machine_memo import MachineMemos

        memos = MachineMemos()
    catalog = ModelCatalog(config.prices, memos.memo("models", prices_version, text_or_none), config.deployments)
    if counter is None:
        counter = make_counter(config, catalog, cache)
    progress().phase("counting tokens")
    project, measurements = measure_safely(project, counter, config.default_model)
    anatomies = dissect_project(project, config)
    progress().phase("checking rules")
    pricer = Pricer(config, catalog, memo=memos.memo("prices", f"{prices_version}|{date.today()}", decimal_text))
    traffic, usage_report = traffic_stage(project, config, measurements, pricer, usage, usage_days)
    findings = cached_rules(rules, project, measurements, config, catalog, counter, pricer, traffic, anatomies,
                            cache, prices_version)
    if counter.exact is not None:
        from promptlint.tokens.exact import with_warnings

        measurements = with_warnings(measurements, counter)

    request_prices = {
        request.id: price_at(pricer.request_cost(request, measurements.requests[request.id], project,
                                                 billing_hit_rate(traffic, config.cache_hit_rate, request.id)),
                             traffic.of_request(request.id).requests_per_month)
        for request in project.requests
    }
    template_prices = {
        tid: price_at(pricer.template_cost(measurements.template_models[tid], tokens),
                      traffic.of_template(tid).requests_per_month)
        for tid, tokens in measurements.templates.items()
    }
    priced = price_findings(findings, pricer, traffic)
    saveable = saveable_total(priced, pricer, traffic)
    memos.save()
    return without(Analysis(config, project, measurements, priced, request_prices, template_prices, tuple(rules),
                            notices, traffic, usage_report, anatomies, saveable), brought)
