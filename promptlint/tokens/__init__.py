"""Stage 3: count tokens of every template and request.

A request's input is what the API bills before the model answers: tool schemas, the
system prompt and every message, plus the frames the API adds around them and, when tools
are given, the tool-use system prompt (:mod:`promptlint.tokens.frames`). Holes count
nothing: placeholders are never guessed.

Every count carries how it was made (``COUNT_KINDS``): ``exact-offline`` (the model's own
tokenizer run here, and a measured frame), ``exact-api`` (``count_tokens`` answered, with
``tokenizer = "anthropic"``) or ``estimate`` (a calibrated legacy count, or a frame whose
size is not measured).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from promptlint.config import Config
from promptlint.models import LOCAL, ModelCatalog
from promptlint.tokens.frames import request_frame
from promptlint.tokens.offline import OfflineCounter, build_order, counted_apart, is_exact
from promptlint.types import Project, Request

COUNT_KINDS = ("exact-offline", "exact-api", "estimate")


@dataclass(frozen=True)
class RequestTokens:
    model: str  # the model the request is counted and priced as
    parts: tuple[int, ...]  # tokens of each part, aligned with Request.parts
    overhead: int
    input_tokens: int
    exact: bool = False  # counted by count_tokens
    count: str = "estimate"  # one of COUNT_KINDS

    def prefix(self, upto: int) -> int:
        """Tokens of parts[0..upto] inclusive, with the framing overhead."""
        return self.overhead + sum(self.parts[: upto + 1])

    def with_parts(self, parts) -> RequestTokens:
        """The same request with its parts counted anew (an edited template, exact counts);
        the framing overhead stays."""
        parts = tuple(parts)
        return replace(self, parts=parts, input_tokens=self.overhead + sum(parts))


@dataclass(frozen=True)
class Measurements:
    tokenizer: str
    templates: dict[str, int] = field(default_factory=dict)
    template_models: dict[str, str] = field(default_factory=dict)
    requests: dict[str, RequestTokens] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    exact_templates: frozenset[str] = frozenset()  # template ids counted by the API
    warnings: tuple[str, ...] = ()  # shown once on stderr (exact counting fell back)
    template_counts: dict[str, str] = field(default_factory=dict)  # template id -> one of COUNT_KINDS

    @property
    def estimated(self) -> bool:
        """Whether any count is an estimate."""
        return any(r.count == "estimate" for r in self.requests.values()) or any(
            self.template_count(t) == "estimate" for t in self.templates)

    def template_count(self, tid: str) -> str:
        if tid in self.exact_templates:
            return "exact-api"
        return self.template_counts.get(tid, "estimate")


class TokenCounter:
    """What rules and fixes use to (re)count text for a model."""

    def __init__(self, catalog: ModelCatalog, offline: OfflineCounter | None = None, exact=None) -> None:
        self.catalog = catalog
        self.offline = offline or OfflineCounter()
        self.exact = exact  # an AnthropicCounter when exact counts were asked for

    @property
    def name(self) -> str:
        return "anthropic" if self.exact is not None else "offline"

    def count(self, text: str, model: str | None) -> int:
        return self.count_many([text], model)[0]

    def count_many(self, texts: list[str], model: str | None) -> list[int]:
        return [n for n, _ in self.count_marked(texts, model)]

    def count_marked(self, texts: list[str], model: str | None) -> list[tuple[int, str]]:
        """Tokens of each text alone and how each was counted (one of ``COUNT_KINDS``): with
        the API in use, Claude texts are counted by it when it answers (text that is only
        whitespace is not sent)."""
        family = self.catalog.family(model)
        kind = "exact-offline" if is_exact(family) else "estimate"
        counts = [(n, kind) for n in self.offline.count_many(texts, family)]
        if self.exact is not None and model and self.exact.applies(model):
            wanted = [i for i, t in enumerate(texts) if t.strip()]
            got, _ = self.exact.count_batch([(model, texts[i]) for i in wanted], [])
            for i, n in zip(wanted, got):
                if n is not None:
                    counts[i] = (n, "exact-api")
        return counts


def make_counter(config: Config, catalog: ModelCatalog, store=None) -> TokenCounter:
    """The counter ``config`` asks for; the API client is only built for ``anthropic``.

    ``store`` (the scan cache) keeps legacy-BPE counts between runs."""
    offline = OfflineCounter(config.calibration, store)
    if config.tokenizer != "anthropic":
        return TokenCounter(catalog, offline)
    from promptlint.tokens.anthropic_api import AnthropicCounter
    from promptlint.tokens.disk_cache import CountCache

    return TokenCounter(catalog, offline, AnthropicCounter(catalog, CountCache(cache_folder(config))))


def cache_folder(config: Config) -> Path | None:
    """``cache-dir`` resolved against the project root (where the config file is); None
    when it may not be used (see :func:`promptlint.cache.cache_location`)."""
    from promptlint.cache import cache_location

    return cache_location(config)[0]


def request_model(request: Request, catalog: ModelCatalog, default_model: str) -> str:
    """The request's own model when known; else ``default-model``, unless that model is of
    another vendor than the SDK the call goes through (an OpenAI client is never priced,
    capped or tokenized as a Claude model): then that vendor's current flagship. A model
    of another vendor is the one the SDK's provider serves (``groq/llama-3.3-70b-versatile``),
    a local server's a local model ($0), also for a model a ``base_url`` on this machine serves."""
    if request.local_server and not (request.model and catalog.is_known(request.model)):
        # a model a server on the user's machine runs bills nothing; a vendor's model id sent
        # to one (``gpt-4o`` to a LiteLLM proxy on localhost:4000) is forwarded and billed
        return f"{LOCAL}/{request.model or 'server'}"
    if request.deployment:  # what the config maps the deployment to or its name spells, else OpenAI's flagship
        return catalog.deployed(request) or catalog.fallback("openai", default_model)
    qualified = catalog.qualified(request.provider, request.model)
    if qualified is not None:
        return qualified
    if request.model and catalog.is_known(request.model):
        return request.model
    return catalog.fallback(catalog.named_vendor(request.model) or request.provider, default_model)


def likely_families(results, catalog: ModelCatalog, default_model: str) -> set[str]:
    """The families the calls extracted so far will probably be counted with, before linking
    says for sure: each call's model literal, else what :func:`request_model` gives a call of
    its SDK with no known model. Only a head start hangs on it (:func:`count_ahead`)."""
    from types import SimpleNamespace

    from promptlint.extract.values import Str

    calls = set()
    for result in results:
        for draft in (*result.drafts, *(w.draft for w in result.wrappers)):
            model = draft.param("model")
            calls.add((draft.provider, model.text if isinstance(model, Str) and not model.has_holes else None))
    return {catalog.family(request_model(SimpleNamespace(local_server=False, deployment=None, provider=provider,  # type: ignore[arg-type]
                                                         model=literal), catalog, default_model))
            for provider, literal in calls}


def count_ahead(results, config: Config, store=None) -> None:
    """While linking runs, have the helper process build the OpenAI encodings the calls
    of ``results`` will likely need (:mod:`promptlint.tokens.helper`). Skipped when a cache
    with counts is in use: its counts may make every encoding unneeded (a warm run)."""
    if store is not None and store.tokens:
        return
    from promptlint.tokens.offline import prepare_apart

    prepare_apart(likely_families(results, ModelCatalog(config.prices, None, config.deployments),
                                  config.default_model))


def request_tokens(request: Request, project: Project, catalog: ModelCatalog, model: str,
                   count: Callable[[str], int], exact_text: bool = False) -> RequestTokens:
    """``request`` counted for ``model``: each known template part by ``count``, holes as
    nothing, plus the frame the API adds. ``exact_text``: ``count`` is the model's own
    tokenizer, so the total is exact when the frame is measured too."""
    parts = tuple(
        count(project.templates[p.template].text) if p.template is not None and p.template in project.templates else 0
        for p in request.parts
    )
    frame = request_frame(request, catalog, model)
    kind = "exact-offline" if exact_text and frame.measured else "estimate"
    return RequestTokens(model, parts, frame.tokens, frame.tokens + sum(parts), count=kind)


def measure(project: Project, counter: TokenCounter, default_model: str) -> Measurements:
    measurements = measure_offline(project, counter, default_model)
    if counter.exact is None:
        return measurements
    from promptlint.tokens.exact import refine

    return refine(measurements, project, counter)


def measure_offline(project: Project, counter: TokenCounter, default_model: str) -> Measurements:
    catalog = counter.catalog
    offline = counter.offline
    template_models: dict[str, str] = {}
    request_models = {}
    for request in project.requests:
        model = request_model(request, catalog, default_model)
        request_models[request.id] = model
        for tid in request.templates:
            template_models.setdefault(tid, model)
    for tid in project.templates:
        template_models.setdefault(tid, default_model)

    by_family: dict[str, set[str]] = {}
    for request in project.requests:
        family = catalog.family(request_models[request.id])
        texts = by_family.setdefault(family, set())
        texts.update(project.templates[t].text for t in request.templates if t in project.templates)
    for tid, model in template_models.items():
        by_family.setdefault(catalog.family(model), set()).add(project.templates[tid].text)
    counted = {}
    families = build_order(by_family)
    offline.ahead({f: by_family[f] for f in families})  # the helper builds while the others are counted here
    for family in sorted(families, key=counted_apart):
        ordered = sorted(by_family[family])
        counted[family] = dict(zip(ordered, offline.count_many(ordered, family)))

    requests: dict[str, RequestTokens] = {}
    for request in project.requests:
        model = request_models[request.id]
        family = catalog.family(model)
        requests[request.id] = request_tokens(request, project, catalog, model, counted[family].__getitem__,
                                              exact_text=is_exact(family))
    templates, kinds = {}, {}
    for tid, template in project.templates.items():
        family = catalog.family(template_models[tid])
        templates[tid] = counted[family][template.text]
        kinds[tid] = "exact-offline" if is_exact(family) else "estimate"
    framed = sum(1 for r in requests.values() if r.count == "estimate" and is_exact(catalog.family(r.model)))
    notes = (f"{framed} of {len(requests)} requests send a shape whose frame is not measured (a system prompt "
             "on models after Opus 4.6, several messages or tools): their texts are counted exactly, the few "
             "tokens of framing are estimates",) if framed else ()
    named = sorted({r.model for r in project.requests if r.deployment and r.model and not catalog.runs(r)
                    and catalog.deployed(r)})
    if named:
        notes += (f"Azure deployments priced as the model their name spells ({', '.join(f'`{n}`' for n in named)}); "
                  "if one runs another model, map it under [tool.promptlint.deployments]",)
    embeddings = [r for r in project.requests if r.embedding]
    if embeddings:
        # the model as the call names it; a default a call was priced as is no model it names
        named = sorted({f"`{r.model}`" for r in embeddings if r.model})
        unnamed = sum(1 for r in embeddings if not r.model)
        models = ", ".join(named + ([f"{unnamed} with the model set at run time"] if unnamed else []))
        notes += (f"{len(embeddings)} of {len(requests)} requests are embeddings calls ({models}): what they embed is "
                  "data sent at run time, so their input is not counted here, and they are never linted as prompts",)
    local = sum(1 for r in requests.values() if catalog.is_local(r.model))
    if local:
        notes += (f"{local} of {len(requests)} requests go to a model on a local server (Ollama and the like): "
                  "counted, priced at $0 per token",)
    return Measurements("offline", templates, template_models, requests, template_counts=kinds, notes=notes)
