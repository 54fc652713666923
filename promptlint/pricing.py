"""Stage 5: dollars. Token usages become prices through genai-prices' offline snapshot.

A finding's saving is the price of the request before the change minus after it, both
computed on the whole request so long-context tiers (a higher rate for every token once
the input passes a threshold) and cache multipliers apply exactly as on the invoice.
Config ``[tool.promptlint.prices."model"]`` overrides any rate, in dollars per million.
"""

from __future__ import annotations

import warnings
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING

from promptlint.checks import breakpoints, conversation, implicit_for, static_end
from promptlint.config import Config, PriceOverride
from promptlint.models import ModelCatalog, genai_provider
from promptlint.types import OPENAI_CACHE_TTL, CacheMark, Price, Project, Request, Saving, Usage

if TYPE_CHECKING:
    from promptlint.tokens import RequestTokens

MILLION = Decimal(1_000_000)
BATCH_DISCOUNT = Decimal("0.5")  # Message Batches: half of standard prices (FACTS.md, "Batches")


class UnknownPrice(LookupError):
    pass


class Pricer:
    def __init__(self, config: Config, catalog: ModelCatalog | None = None, when: datetime | None = None,
                 memo: dict | None = None) -> None:
        self.config = config
        self.catalog = catalog or ModelCatalog(config.prices)
        self.when = when or datetime.now(tz=timezone.utc)
        self.overrides = {k.lower(): v for k, v in config.prices.items()}
        self._memo: dict[Usage, Decimal] = {}
        # genai-prices figures by usage, kept between runs by the scan cache (stamped with the
        # genai-prices version and the day, as prices may change by date)
        self._genai_memo = memo if memo is not None else {}

    def pricing_model(self, model: str | None) -> str:
        """The model a request is priced as: its own if known, else ``default-model``."""
        if model and (model.lower() in self.overrides or self.catalog.canonical(model)):
            return model
        return self.config.default_model

    def cost(self, usage: Usage) -> Decimal:
        """Dollars for one request with this usage (weight applied)."""
        base = Usage(usage.model, usage.input_tokens, usage.cache_write_tokens, usage.cache_write_1h_tokens,
                     usage.cache_read_tokens, usage.output_tokens, usage.batch)
        if base not in self._memo:
            self._memo[base] = self._cost(base)
        return self._memo[base] * Decimal(str(usage.weight))

    def _cost(self, usage: Usage) -> Decimal:
        override = self.overrides.get(usage.model.lower())
        canonical = self.catalog.canonical(usage.model)
        if override is not None and (canonical is None or _complete(override)):
            total = _override_cost(override, usage)
        elif self.catalog.is_local(canonical):
            total = Decimal(0)  # a server on the user's machine bills nothing per token
        elif canonical is not None:
            total = self._genai_cost(canonical, usage)
            if override is not None:
                total = _patched_cost(total, override, usage, self, canonical)
        else:
            raise UnknownPrice(usage.model)
        return total * BATCH_DISCOUNT if usage.batch else total

    def _genai_cost(self, canonical: str, usage: Usage) -> Decimal:
        key = "|".join(str(int(x)) for x in (usage.input_tokens, usage.cache_write_tokens, usage.cache_write_1h_tokens,
                                              usage.cache_read_tokens, usage.output_tokens))
        key = f"{canonical}|{key}"
        if key not in self._genai_memo:
            self._genai_memo[key] = str(self._calc_genai(canonical, usage))
        return Decimal(self._genai_memo[key])

    def _calc_genai(self, canonical: str, usage: Usage) -> Decimal:
        from genai_prices import Usage as GenaiUsage, calc_price

        cached = int(usage.cache_read_tokens) + int(usage.cache_write_tokens) + int(usage.cache_write_1h_tokens)
        values = dict(
            input_tokens=int(usage.input_tokens) + cached,
            cache_read_tokens=int(usage.cache_read_tokens) or None,
            cache_write_tokens=int(usage.cache_write_tokens) + int(usage.cache_write_1h_tokens) or None,
            cache_write_1h_tokens=int(usage.cache_write_1h_tokens) or None,
            output_tokens=int(usage.output_tokens) or None,
        )
        provider, model_id = genai_provider(canonical)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = calc_price(
                GenaiUsage(**{k: val for k, val in values.items() if val is not None}),
                model_id, provider_id=provider, genai_request_timestamp=self.when,
            )
        return Decimal(result.total_price)

    def request_cost(self, request: Request, counts: RequestTokens, project: Project,
                     hit_rate: float | None = None) -> Decimal:
        """Dollars of input for one call of ``request``, with its cache scenario (at ``hit_rate``,
        default ``cache-hit-rate``) and batch discount."""
        rate = self.config.cache_hit_rate if hit_rate is None else hit_rate
        scenario = request_scenario(request, counts, self.catalog, project, rate)
        return sum((self.cost(u) for u in scenario), Decimal(0))

    def template_cost(self, model: str, tokens: int) -> Decimal:
        """Dollars of a prompt priced on its own, as one plain input on its model: how a
        template no request is known to send (a prompt file, a budgeted prompts module) is
        priced."""
        return self.cost(Usage(model, input_tokens=tokens))

    def saving(self, saving: Saving) -> Decimal:
        before = sum((self.cost(u) for u in saving.before), Decimal(0))
        after = sum((self.cost(u) for u in saving.after), Decimal(0))
        return before - after

    def price(self, usd_per_request: Decimal) -> Price:
        per_request = float(usd_per_request)
        return Price(
            usd_per_request=per_request,
            usd_per_1k_requests=per_request * 1000,
            usd_per_month=per_request * self.config.requests_per_month,
        )


def cache_mix(model: str, total: int, prefix: int, hit_rate: float, ttl: str = "5m", weight: float = 1.0,
              batch: bool = False, written: int | None = None) -> tuple[Usage, ...]:
    """The input billed for ``weight`` of the calls of a ``total``-token request whose first
    ``prefix`` tokens are read from cache on a hit (``hit_rate`` of the calls).

    Each call writes ``written`` tokens (``prefix`` unless given): on a miss all of them at
    the write premium of ``ttl``; on a hit whatever goes past what it read. With nothing to
    read every call is a miss. ``batch`` keeps the Message Batches discount on every usage,
    so a saving on a batch request is priced at the batch price it is billed at.
    """
    written = prefix if written is None else written

    def write(tokens: int) -> dict:
        if tokens <= 0:
            return {}
        return {"cache_write_1h_tokens": tokens} if ttl == "1h" else {"cache_write_tokens": tokens}

    rest = total - max(written, 0)
    if prefix <= 0:
        return (Usage(model, input_tokens=rest, batch=batch, weight=weight, **write(written)),)
    return (
        Usage(model, input_tokens=rest, cache_read_tokens=prefix, batch=batch, weight=weight * hit_rate,
              **write(written - prefix)),
        Usage(model, input_tokens=rest, batch=batch, weight=weight * (1 - hit_rate), **write(written)),
    )


def cached_prefix(request: Request, counts: RequestTokens, catalog: ModelCatalog, project: Project) -> tuple[int, str]:
    """Tokens actually served from cache on a hit: the longest breakpoint prefix that is
    static and reaches the model's minimum (with its TTL); 0 when nothing is cached.

    Automatic caching (top-level ``cache_control``) in a conversation reads, on each call,
    the prefix the previous call wrote; its static part is the share known here.
    """
    if not catalog.caches(counts.model):
        return 0, "5m"  # a cache_control sent to a model that never cached reads nothing back
    minimum, _ = catalog.min_cacheable(counts.model)
    end = static_end(project, request)
    marks: dict[int, CacheMark] = {}
    for i, mark in breakpoints(request):
        marks.setdefault(i, mark)  # a part's own cache_control before automatic caching's
    best, ttl = 0, "5m"
    for i, mark in marks.items():
        if i <= end and counts.prefix(i) >= minimum:
            best, ttl = counts.prefix(i), mark.ttl
    auto = request.auto_cache
    if not best and auto is not None and end >= 0 and counts.prefix(end) >= minimum and conversation(request):
        best, ttl = counts.prefix(end), auto.ttl
    return best, ttl


def request_scenario(request: Request, counts: RequestTokens, catalog: ModelCatalog, project: Project,
                     hit_rate: float) -> tuple[Usage, ...]:
    """The input billed for one call of ``request``, as a hit/miss mix when it caches.

    OpenAI GPT-5.6+ in implicit mode (the default) also writes the prefix up to its
    breakpoint on the latest message, the whole input, on every call (at 1.25x); a call
    reads it back when the request is the same every time, and a conversation's turn reads
    what the previous one wrote (its static part is the share known here).
    """
    prefix, ttl = cached_prefix(request, counts, catalog, project)
    model, total = counts.model, counts.input_tokens
    minimum, _ = catalog.min_cacheable(model)
    if not implicit_for(catalog, request, model) or total < minimum:
        return cache_mix(model, total, prefix, hit_rate, ttl, batch=request.batch)
    end = static_end(project, request)
    if end == len(request.parts) - 1:
        prefix = total
    elif end >= 0 and conversation(request) and counts.prefix(end) >= minimum:
        prefix = max(prefix, counts.prefix(end))
    return cache_mix(model, total, prefix, hit_rate, OPENAI_CACHE_TTL, batch=request.batch, written=total)


def _complete(override: PriceOverride) -> bool:
    return override.input is not None and override.output is not None


def _override_cost(o: PriceOverride, usage: Usage) -> Decimal:
    def rate(value: float | None, fallback: float | None = None) -> Decimal:
        chosen = value if value is not None else fallback
        return Decimal(str(chosen if chosen is not None else 0)) / MILLION

    inp = o.input or 0.0
    return (
        rate(o.input) * Decimal(int(usage.input_tokens))
        + rate(o.output) * Decimal(int(usage.output_tokens))
        + rate(o.cache_read, inp * 0.1) * Decimal(int(usage.cache_read_tokens))
        + rate(o.cache_write, inp * 1.25) * Decimal(int(usage.cache_write_tokens))
        + rate(o.cache_write_1h, inp * 2.0) * Decimal(int(usage.cache_write_1h_tokens))
    )


def _patched_cost(total: Decimal, o: PriceOverride, usage: Usage, pricer: Pricer, canonical: str) -> Decimal:
    """Replace the genai-prices figure for each rate the override sets (base tier)."""
    pieces = {
        "input": (o.input, Usage(usage.model, input_tokens=usage.input_tokens)),
        "output": (o.output, Usage(usage.model, output_tokens=usage.output_tokens)),
        "cache_read": (o.cache_read, Usage(usage.model, cache_read_tokens=usage.cache_read_tokens)),
        "cache_write": (o.cache_write, Usage(usage.model, cache_write_tokens=usage.cache_write_tokens)),
        "cache_write_1h": (o.cache_write_1h, Usage(usage.model, cache_write_1h_tokens=usage.cache_write_1h_tokens)),
    }
    for _, (rate, piece) in pieces.items():
        if rate is None:
            continue
        tokens = int(piece.input_tokens + piece.output_tokens + piece.cache_read_tokens + piece.cache_write_tokens
                     + piece.cache_write_1h_tokens)
        if tokens:
            total -= pricer._genai_cost(canonical, piece)
            total += Decimal(str(rate)) * Decimal(tokens) / MILLION
    return total
