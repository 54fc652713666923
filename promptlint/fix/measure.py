"""What a fix saves, measured: the edited files are extracted again, the tree linked
again, every request counted and priced again, and the totals compared with before.

A rule's saving is its own estimate of the change it describes; the fix stage does not
take that on trust. Only the files a fix edits are extracted again (the other files'
results are reused), only their neighbourhood (the requests that send what they write)
is linked and measured again (:meth:`Remeasurer.local`), and the offline counter
remembers every text it has counted, so measuring one fix costs the link of a few files
and the tokens of the text that changed, however large the tree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from decimal import Decimal

from promptlint.checks.output import capped_by_default
from promptlint.checks.prompt_text import prompt_index
from promptlint.config import Config
from promptlint.discover import classify
from promptlint.engine import Scan, load_on_demand, module_loader, tree_files
from promptlint.extract import extract_file
from promptlint.extract.filelinks import TreeFiles
from promptlint.extract.link import ModuleTable, link
from promptlint.extract.result import FileResult
from promptlint.models import ModelCatalog
from promptlint.pricing import Pricer
from promptlint.tokens import Measurements, TokenCounter, measure
from promptlint.types import Price, Project, Request, Usage

@dataclass(frozen=True)
class RequestCost:
    input_tokens: int
    usd: Decimal  # input billed per call, with its cache scenario
    exposure_tokens: int | None  # output the cap allows (None: not a priced risk)
    exposure_usd: Decimal


@dataclass(frozen=True)
class Costs:
    project: Project
    measurements: Measurements
    requests: dict[str, RequestCost]
    unsent: dict[str, tuple[int, Decimal]]  # prompts no request sends: tokens, price as one input


@dataclass(frozen=True)
class Measured:
    """The difference between two measured trees, priced (positive = cheaper after)."""

    tokens: int  # largest input reduction of one request (or of an unsent template set)
    price: Price
    exposure_tokens: int  # largest reduction of the output a cap allows
    exposure: Price



class Remeasurer:
    def __init__(self, scanned: Scan, config: Config, counter: TokenCounter, catalog: ModelCatalog,
                 pricer: Pricer) -> None:
        self.scanned = scanned
        self.config = config
        self.counter = counter
        self.catalog = catalog
        self.pricer = pricer
        self.patterns = tuple(config.prompt_name_patterns)
        self._extracted: dict[tuple, FileResult] = {}
        self._load_module = module_loader(scanned.discovery, config)  # remembers what it loads
        discovery = scanned.discovery
        self._all_paths = {*(r.path for r in scanned.results), *discovery.skipped, *discovery.others}
        self._disk: dict[tuple[str, str], FileResult | None] = {}
        self._before: dict[frozenset, Project] = {}
        self._before_costs: dict[int, Costs] = {}
        self._before_anatomies: dict[int, object] = {}
        self._near_scan: Scan | None = None
        self._near_index: dict[str, set[str]] = {}
        self._by_path: dict[str, FileResult] = {}
        self._table: ModuleTable | None = None
        self._overlays: dict[int, tuple[Scan, dict[str, tuple[str, bytes]]]] = {}  # rescan -> its overlay

    def _fresh(self, path: str, kind: str, overlay: dict[str, tuple[str, bytes]]) -> FileResult:
        data = overlay[path][1]
        key = (path, kind, hashlib.sha256(data).digest())
        if key not in self._extracted:  # the same edited file is measured by many fixes
            self._extracted[key] = extract_file(path, kind, data, self.patterns)
        return self._extracted[key]

    @property
    def extracted(self) -> dict[tuple, FileResult]:
        """Every edited file extracted so far: (path, kind, digest) -> its result."""
        return self._extracted

    def learn(self, extracted: dict[tuple, FileResult]) -> None:
        """Extractions another process made (a worker that tried a fix)."""
        self._extracted.update(extracted)

    def prepare(self, scan: Scan) -> None:
        """Build what :meth:`local` reads for every fix on ``scan``."""
        self._near(scan)

    def rescan(self, overlay: dict[str, tuple[str, bytes]]) -> Scan:
        """The whole tree with some files' bytes replaced (``path -> (kind, bytes)``)."""
        base = self.scanned
        if not overlay:
            return base
        discovery = base.discovery
        results = [self._fresh(r.path, r.kind, overlay) if r.path in overlay else r for r in base.results]
        loader = self._load_module

        def load_module(module: str):
            found = loader(module)
            return self._fresh(found.path, found.kind, overlay) if found is not None and found.path in overlay else found

        tree = tree_files(results, discovery, self.config)
        disk = tree.load
        tree.load = lambda rel, kind: self._fresh(rel, kind, overlay) if rel in overlay else \
            (disk(rel, kind) if disk else None)
        problems = [d for d in discovery.diagnostics if d.code != "skip"]
        project = link(results, self.config.root, discovery.candidates, problems, load_module, tree)
        scan = replace(base, results=tuple(results), project=project)
        self._overlays = {id(scan): (scan, dict(overlay))}  # a pass measures on the latest only
        return scan

    def _overlay_of(self, scan: Scan) -> dict[str, tuple[str, bytes]]:
        """The edited files a scan of :meth:`rescan` was made with: a prompt file that code
        reads is no result of the scan, and must not be read from the disk as it was."""
        found = self._overlays.get(id(scan))
        return found[1] if found is not None and found[0] is scan else {}

    def local(self, scan: Scan, overlay: dict[str, tuple[str, bytes]]) -> tuple[Project, Project]:
        """The part of ``scan`` that editing the overlay's files can change, linked as it
        is and with the overlay: (before, after).

        An edit changes the files it edits, the requests that send a template written in
        them, and the templates those requests send; the rest of the tree is left out, so
        one fix costs the link of its neighbourhood, not of the tree. Both sides are linked
        the same way (imports and file links still reach the whole tree), so what a fix is
        measured to save is the difference of like with like.
        """
        near = self._near(scan)
        subset = set(overlay)
        for path in overlay:
            subset |= near.get(path, set())
        key = frozenset(subset)
        if key not in self._before:  # fixes of one file share it
            self._before[key] = self._link_subset(scan, subset, {})
        return self._before[key], self._link_subset(scan, subset, overlay)

    def before_costs(self, before: Project) -> Costs:
        """:meth:`costs` of a ``before`` project of :meth:`local`, counted once."""
        if id(before) not in self._before_costs:
            self._before_costs[id(before)] = self.costs(before)
        return self._before_costs[id(before)]

    def before_anatomies(self, before: Project, known):
        """The anatomies of a ``before`` project of :meth:`local`, made once for the fixes
        that share it; a template the analysis dissected (``known``) as it is here is not
        dissected again."""
        if id(before) not in self._before_anatomies:
            from promptlint.fix.verify import KnownAnatomies

            self._before_anatomies[id(before)] = KnownAnatomies(before, self.patterns, known)
        return self._before_anatomies[id(before)]

    def _near(self, scan: Scan) -> dict[str, set[str]]:
        """File -> the files whose linked results an edit of it can change."""
        if self._near_scan is not scan:
            near: dict[str, set[str]] = {}
            project = scan.project

            def files_of(tid: str) -> set[str]:
                template = project.templates.get(tid)
                if template is None:
                    return set()
                return {template.path, *(s.span.path for s in template.segments if s.span is not None)}

            for tid in project.templates:
                group = files_of(tid)
                for path in group:
                    near.setdefault(path, set()).update(group)
            for request in project.requests:
                group = {request.span.path}
                if request.model_span is not None:
                    group.add(request.model_span.path)
                for tid in request.templates:
                    group |= files_of(tid)
                for path in group:
                    near.setdefault(path, set()).update(group)
            self._near_scan, self._near_index = scan, near
            self._before = {}
            self._before_costs = {}
            self._before_anatomies = {}
            self._by_path = {r.path: r for r in scan.results}
            self._table = ModuleTable(scan.results, self._load_module)
        return self._near_index

    def _link_subset(self, scan: Scan, subset: set[str], overlay: dict[str, tuple[str, bytes]]) -> Project:
        earlier = self._overlay_of(scan)  # the scan's results hold them; files read on demand do not
        fresh = self._fresh
        results = [fresh(p, self._by_path[p].kind, overlay) if p in overlay else self._by_path[p]
                   for p in sorted(subset) if p in self._by_path]
        table = self._table

        def edited(rel: str, kind: str):
            if rel in overlay:
                return fresh(rel, kind, overlay)
            return fresh(rel, kind, earlier) if rel in earlier else None

        def load_module(module: str):
            found = table.find(module)
            return (edited(found.path, found.kind) or found) if found is not None else None

        def load(rel: str, kind: str):
            got = edited(rel, kind)
            if got is not None:
                return got
            found = self._by_path.get(rel)
            if found is not None and found.kind == kind:
                return found
            return self._on_disk(rel, kind)

        tree = TreeFiles(results, (), load, lambda rel: classify(rel, self.config))
        tree.paths = self._all_paths
        return link(results, self.config.root, scan.discovery.candidates, [], load_module, tree)

    def _on_disk(self, rel: str, kind: str):
        key = (rel, kind)
        if key not in self._disk:
            self._disk[key] = load_on_demand(rel, kind, self.config, None)
        return self._disk[key]

    def costs(self, project: Project, measurements: Measurements | None = None) -> Costs:
        """``measurements``: the project's counts when already measured (by the analysis)."""
        if measurements is None:
            measurements = measure(project, self.counter, self.config.default_model)
        requests = {}
        for request in project.requests:
            counts = measurements.requests[request.id]
            usd = self.pricer.request_cost(request, counts, project)
            cap = self._exposure(request, counts.model)
            exposure = self.pricer.cost(Usage(counts.model, output_tokens=cap)) if cap else Decimal(0)
            requests[request.id] = RequestCost(counts.input_tokens, usd, cap, exposure)
        sent = {tid for r in project.requests for tid in r.templates}
        index = prompt_index(project)
        unsent = {}
        for tid, tokens in measurements.templates.items():
            # A prompt no request is known to send is priced as one input of its own (as the
            # rules price it); a constant whose text is sent inside another template is not.
            if tid not in sent and index.is_prompt(project.templates[tid]):
                unsent[tid] = (tokens, self.pricer.template_cost(measurements.template_models[tid], tokens))
        return Costs(project, measurements, requests, unsent)

    def _exposure(self, request: Request, model: str) -> int | None:
        if request.max_tokens is not None:
            return request.max_tokens
        if request.max_tokens_param is not None or request.kwargs_open or capped_by_default(request) \
                or request.provider == "anthropic":
            return None  # set elsewhere, unknown, capped by default, or the call fails without it
        return self.catalog.max_output(model)[0]

    def difference(self, before: Costs, after: Costs) -> Measured:
        usd = Decimal(0)
        exposure = Decimal(0)
        tokens = exposure_tokens = 0
        for rid, old in before.requests.items():
            new = after.requests.get(rid)
            if new is None:
                continue
            usd += old.usd - new.usd
            tokens = max(tokens, old.input_tokens - new.input_tokens)
            if old.exposure_tokens is not None and new.exposure_tokens is not None:
                exposure += old.exposure_usd - new.exposure_usd
                exposure_tokens = max(exposure_tokens, old.exposure_tokens - new.exposure_tokens)
        # A prompt no request sends is compared with itself only: an edit can make two
        # copies of one text differ, and the copy no request sends then appears among the
        # unsent prompts without costing anything more than it did.
        both = [tid for tid in before.unsent if tid in after.unsent]
        usd += sum((before.unsent[tid][1] - after.unsent[tid][1] for tid in both), Decimal(0))
        tokens = max(tokens, sum(before.unsent[tid][0] - after.unsent[tid][0] for tid in both))
        return Measured(tokens, self.pricer.price(usd), exposure_tokens, self.pricer.price(exposure))
