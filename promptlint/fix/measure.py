"""What a fix saves, measured: the edited files are extracted again, the tree linked
again, every request counted and priced again, and the totals compared with before.

A rule's saving is its own estimate of the change it describes; the fix stage does not
take that on trust. Only the files a fix edits are extracted again (the other files'
results are reused), and the offline counter remembers every text it has counted, so
measuring one fix costs one link and the tokens of the text that changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from decimal import Decimal

from promptlint.checks.output import capped_by_default
from promptlint.checks.prompt_text import prompt_index
from promptlint.config import Config
from promptlint.engine import Scan, module_loader, tree_files
from promptlint.extract import extract_file
from promptlint.extract.link import link
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

    def rescan(self, overlay: dict[str, tuple[str, bytes]]) -> Scan:
        """The tree with some files' bytes replaced (``path -> (kind, bytes)``)."""
        base = self.scanned
        if not overlay:
            return base
        discovery = base.discovery

        def fresh(path: str, kind: str):
            data = overlay[path][1]
            key = (path, kind, hashlib.sha256(data).digest())
            if key not in self._extracted:  # the same edited file is measured by many fixes
                self._extracted[key] = extract_file(path, kind, data, self.patterns)
            return self._extracted[key]

        results = [fresh(r.path, r.kind) if r.path in overlay else r for r in base.results]
        loader = module_loader(discovery, self.config)

        def load_module(module: str):
            found = loader(module)
            return fresh(found.path, found.kind) if found is not None and found.path in overlay else found

        tree = tree_files(results, discovery, self.config)
        disk = tree.load
        tree.load = lambda rel, kind: fresh(rel, kind) if rel in overlay else (disk(rel, kind) if disk else None)
        problems = [d for d in discovery.diagnostics if d.code != "skip"]
        project = link(results, self.config.root, discovery.candidates, problems, load_module, tree)
        return replace(base, results=tuple(results), project=project)

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
        old_unsent = sum(t for t, _ in before.unsent.values())
        new_unsent = sum(t for t, _ in after.unsent.values())
        usd += sum((u for _, u in before.unsent.values()), Decimal(0)) - \
            sum((u for _, u in after.unsent.values()), Decimal(0))
        tokens = max(tokens, old_unsent - new_unsent)
        return Measured(tokens, self.pricer.price(usd), exposure_tokens, self.pricer.price(exposure))
