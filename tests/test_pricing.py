"""Dollars: genai-prices rates, cache scenarios, tiers, batches and config overrides."""

from __future__ import annotations

from decimal import Decimal

import pytest

from promptlint.checks.caching import cache_saving
from promptlint.config import parse_config
from promptlint.pricing import Pricer, UnknownPrice
from promptlint.types import Usage

M = Decimal(1_000_000)


def pricer(config=None):
    return Pricer(parse_config(config or {}))


def test_plain_input_and_output_at_list_price():
    p = pricer()
    # claude-sonnet-4-5 lists $3 input and $15 output per million tokens
    assert p.cost(Usage("claude-sonnet-4-5", input_tokens=1000)) == Decimal(3) * 1000 / M
    assert p.cost(Usage("claude-sonnet-4-5", output_tokens=1000)) == Decimal(15) * 1000 / M


def test_long_context_tier_applies_to_every_token_of_the_request():
    p = pricer()
    below = p.cost(Usage("claude-sonnet-4-5", input_tokens=200_000))
    above = p.cost(Usage("claude-sonnet-4-5", input_tokens=200_001))
    assert below == Decimal(3) * 200_000 / M
    assert above == Decimal(6) * 200_001 / M


def test_cache_saving_matches_the_formula():
    """prefix x (input - read) x hit rate, less the write premium on misses."""
    p = pricer()
    prefix, total, hit = 2000, 2100, 0.9
    saving = p.saving(cache_saving("claude-sonnet-4-5", total, prefix, hit))
    inp, read, write = Decimal("3") / M, Decimal("0.3") / M, Decimal("3.75") / M
    expected = prefix * (inp - read) * Decimal("0.9") - prefix * (write - inp) * Decimal("0.1")
    assert abs(saving - expected) < Decimal("1e-12")


def test_one_hour_cache_writes_cost_twice_the_input_price():
    p = pricer()
    one_hour = p.cost(Usage("claude-sonnet-4-5", cache_write_1h_tokens=1000))
    assert one_hour == Decimal(6) * 1000 / M


def test_batches_cost_half():
    p = pricer()
    full = p.cost(Usage("claude-haiku-4-5", input_tokens=1000, output_tokens=200))
    assert p.cost(Usage("claude-haiku-4-5", input_tokens=1000, output_tokens=200, batch=True)) == full / 2


def test_weight_mixes_scenarios():
    p = pricer()
    usage = Usage("gpt-4o", input_tokens=1000, weight=0.25)
    assert p.cost(usage) == p.cost(Usage("gpt-4o", input_tokens=1000)) * Decimal("0.25")


def test_config_prices_price_a_private_model_and_patch_a_known_one():
    p = pricer({"prices": {"acme-llm": {"input": 1.0, "output": 4.0}, "gpt-4o": {"input": 1.0}}})
    assert p.cost(Usage("acme-llm", input_tokens=1_000_000, output_tokens=1_000_000)) == Decimal(5)
    assert p.cost(Usage("gpt-4o", input_tokens=1_000_000)) == Decimal(1)
    assert p.cost(Usage("gpt-4o", output_tokens=1_000_000)) == Decimal(10)  # genai-prices' output rate kept


def test_unknown_model_has_no_price_and_pricing_model_falls_back():
    p = pricer({"default-model": "claude-haiku-4-5"})
    with pytest.raises(UnknownPrice):
        p.cost(Usage("no-such-model", input_tokens=10))
    assert p.pricing_model("no-such-model") == "claude-haiku-4-5"


def test_monthly_figures_follow_requests_per_month():
    p = pricer({"requests-per-month": 2000})
    price = p.price(Decimal("0.0025"))
    assert (price.usd_per_request, price.usd_per_1k_requests, price.usd_per_month) == (0.0025, 2.5, 5.0)
