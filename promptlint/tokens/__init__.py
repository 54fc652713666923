"""Stage 3: count tokens of every template and request.

A request's input is what the API bills before the model answers: tool schemas, the
system prompt and every message, plus the per-request and per-message framing the API
adds (``overhead`` in ``data/calibration.toml``) and, when tools are given, the tool-use
system prompt the API inserts (``tool_use_system_tokens`` in ``data/models.toml``).
Holes count nothing: placeholders are never guessed.

With ``tokenizer = "anthropic"`` the offline measurement is refined by exact counts from
the token-counting API (:mod:`promptlint.tokens.exact`) for requests and templates of
Claude models; everything else keeps its offline estimate.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from promptlint.config import Config
from promptlint.models import ModelCatalog
from promptlint.tokens.offline import OfflineCounter, overheads
from promptlint.types import Project, Request


@dataclass(frozen=True)
class RequestTokens:
    model: str  # the model the request is counted and priced as
    parts: tuple[int, ...]  # tokens of each part, aligned with Request.parts
    overhead: int
    input_tokens: int
    exact: bool = False

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

    @property
    def estimated(self) -> bool:
        """Whether any count is an offline estimate."""
        return (not all(r.exact for r in self.requests.values())
                or len(self.exact_templates) < len(self.templates))


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

    def count_marked(self, texts: list[str], model: str | None) -> list[tuple[int, bool]]:
        """Tokens of each text alone, and whether the count is exact: it is for a Claude
        model when the API is in use and answered (text that is only whitespace is not sent)."""
        family = self.catalog.family(model)
        counts = [(self.offline.scale(r, family), False) for r in self.offline.raw_many(texts)]
        if self.exact is not None and model and self.exact.applies(model):
            wanted = [i for i, t in enumerate(texts) if t.strip()]
            got, _ = self.exact.count_batch([(model, texts[i]) for i in wanted], [])
            for i, n in zip(wanted, got):
                if n is not None:
                    counts[i] = (n, True)
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


def cache_folder(config: Config) -> Path:
    """``cache-dir`` resolved against the project root (where the config file is)."""
    return Path(config.root) / config.cache_dir


def request_model(request: Request, catalog: ModelCatalog, default_model: str) -> str:
    """The request's own model when known; else ``default-model``, unless that model is of
    another vendor than the SDK the call goes through (an OpenAI client is never priced,
    capped or tokenized as a Claude model): then that vendor's current flagship."""
    if request.model and catalog.is_known(request.model):
        return request.model
    return catalog.fallback(request.provider, default_model)


def request_overhead(request: Request, catalog: ModelCatalog, model: str) -> int:
    framing = overheads()
    # The system prompt is framed like one more message (data/calibration.toml, [overhead]).
    messages = len({p.message for p in request.parts if p.message is not None})
    messages += any(p.section == "system" for p in request.parts)
    tools = sum(1 for p in request.parts if p.section == "tools")
    total = framing.get("request", 0) + framing.get("message", 0) * max(messages, 1) + framing.get("tool", 0) * tools
    if tools:
        facts = catalog.facts(model)
        if facts is not None and facts.tool_use_system_tokens:
            total += facts.tool_use_system_tokens
    return total


def request_tokens(request: Request, project: Project, catalog: ModelCatalog, model: str,
                   count: Callable[[str], int]) -> RequestTokens:
    """``request`` counted for ``model``: each known template part by ``count``, holes as
    nothing, plus the framing the API adds."""
    parts = tuple(
        count(project.templates[p.template].text) if p.template is not None and p.template in project.templates else 0
        for p in request.parts
    )
    overhead = request_overhead(request, catalog, model)
    return RequestTokens(model, parts, overhead, overhead + sum(parts))


def measure(project: Project, counter: TokenCounter, default_model: str) -> Measurements:
    measurements = measure_offline(project, counter, default_model)
    if counter.exact is None:
        return measurements
    from promptlint.tokens.exact import refine

    return refine(measurements, project, counter)


def measure_offline(project: Project, counter: TokenCounter, default_model: str) -> Measurements:
    catalog = counter.catalog
    offline = counter.offline
    texts = [t.text for t in project.templates.values()]
    raw = dict(zip(texts, offline.raw_many(texts)))

    template_models: dict[str, str] = {}
    requests: dict[str, RequestTokens] = {}
    for request in project.requests:
        model = request_model(request, catalog, default_model)
        family = catalog.family(model)
        for tid in request.templates:
            template_models.setdefault(tid, model)
        requests[request.id] = request_tokens(request, project, catalog, model,
                                              lambda text: offline.scale(raw[text], family))
    templates = {}
    for tid, template in project.templates.items():
        model = template_models.get(tid, default_model)
        templates[tid] = offline.scale(raw[template.text], catalog.family(model))
        template_models.setdefault(tid, model)
    return Measurements("offline", templates, template_models, requests)
