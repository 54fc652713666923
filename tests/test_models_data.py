"""data/models.toml: every value sourced, every id a genai-prices id, matching of real-world ids."""

from __future__ import annotations

import pytest
from genai_prices import data_snapshot

from promptlint.models import ModelCatalog, _load_facts
from promptlint.tokens.offline import EXACT, calibration_table


def genai_models(provider_id: str) -> set[str]:
    return {m.id for p in data_snapshot.get_snapshot().providers if p.id == provider_id for m in p.models}


def test_every_claude_model_genai_prices_knows_has_facts():
    facts, _ = _load_facts()
    missing = genai_models("anthropic") - set(facts)
    assert not missing, f"add facts for: {sorted(missing)}"


def test_every_fact_is_for_a_genai_prices_model_and_cites_a_source():
    facts, sources = _load_facts()
    known = genai_models("anthropic") | genai_models("openai")
    families = set(calibration_table()["families"]) | EXACT
    for model_id, fact in facts.items():
        assert model_id in known, model_id
        assert fact.tier in ("premium", "mid", "small"), model_id
        assert fact.tokenizer in families, model_id
        for key in ("max_output_tokens", "min_cacheable_tokens", "tool_use_system_tokens", "cache_read_multiplier",
                    "cache_write_multiplier", "prompt_tier"):
            if getattr(fact, key) is not None:
                assert fact.source.get(key) in sources, (model_id, key)
        if not fact.prompt_caching:  # "never cached" is a fact and needs its source like a value
            assert fact.source.get("prompt_caching") in sources, (model_id, "prompt_caching")
    for key, source in sources.items():
        assert source.get("url") and source.get("read"), key


@pytest.mark.parametrize("written,canonical", [
    ("claude-sonnet-4-5", "claude-sonnet-4-5"),
    ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
    ("anthropic/claude-3-5-haiku-20241022", "claude-3-5-haiku-latest"),
    ("us.anthropic.claude-opus-4-1-20250805-v1:0", "claude-opus-4-1"),
    ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
    ("openai/gpt-4o", "gpt-4o"),
    # LangChain's init_chat_model and pydantic-ai write ``provider:model``
    ("openai:gpt-4o-mini", "gpt-4o-mini"),
    ("anthropic:claude-haiku-4-5-20251001", "claude-haiku-4-5"),
    ("anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku"),  # a Bedrock id keeps its own reading
    ("mycorp:gpt-4o", None),  # not a provider prefix promptlint knows
    ("claude-sonet-4-5", None),
])
def test_model_ids_as_written_in_code_are_matched(written, canonical):
    assert ModelCatalog().canonical(written) == canonical


def test_closest_known_id_for_a_typo():
    assert ModelCatalog().closest("claude-sonet-4-5") == "claude-sonnet-4-5"


def test_no_guess_across_families():
    """A retired ``claude-instant-1.2`` was offered ``claude-sonnet-5``: the words of a guess
    must pair up with the id's (instant is no misspelt sonnet)."""
    catalog = ModelCatalog()
    assert catalog.closest("claude-instant-1.2") is None
    assert catalog.closest("agent-model") is None
    assert catalog.closest("gpt-4o-mni") == "gpt-4o-mini"
    assert catalog.retired("claude-instant-1.2").retired == "2024-11-06"
    assert catalog.retired("claude-sonnet-4-5") is None


def test_every_retired_id_cites_a_source_and_is_unpriced():
    from promptlint.models import retired_ids

    _, sources = _load_facts()
    catalog = ModelCatalog()
    for model, entry in retired_ids().items():
        assert entry.source in sources, model
        assert not catalog.is_known(model), model  # a priced id is a model with facts, not this table's
        assert entry.replacement is None or catalog.is_known(entry.replacement), model


def test_minimum_cacheable_and_max_output_come_from_the_facts():
    catalog = ModelCatalog()
    assert catalog.min_cacheable("claude-haiku-4-5") == (4096, True)
    assert catalog.min_cacheable("claude-sonnet-4-5-20250929") == (1024, True)
    assert catalog.max_output("gpt-4o")[0] == 16384


def test_cheaper_current_model_is_a_current_small_model_of_the_same_provider():
    catalog = ModelCatalog()
    suggestion = catalog.facts(catalog.cheaper_current("claude-opus-4-1"))
    assert suggestion.provider == "anthropic" and suggestion.tier == "small" and suggestion.current


def test_cache_and_tier_facts_of_december_2026():
    catalog = ModelCatalog()
    assert catalog.facts("claude-fable-5-1").cache_read_multiplier == 0.025
    assert catalog.facts("claude-opus-5-5").cache_read_multiplier == 0.05
    assert catalog.facts("claude-haiku-5-5").prompt_tier == {"above": 100000, "input": 5.0, "output": 5.0}
    assert catalog.facts("claude-sonnet-4-5").prompt_tier["above"] == 200000
    assert catalog.facts("gpt-6.1-sol").prompt_tier["above"] == 272000
    assert catalog.cache_breakpoints("gpt-5.6-sol") == ("prompt_cache_breakpoint", 4)
    assert catalog.facts("gpt-5.6-sol").cache_write_multiplier == 1.25
    assert catalog.cache_breakpoints("gpt-5.5") == (None, 0)  # automatic caching only before GPT-5.6
    assert catalog.cache_breakpoints("claude-haiku-4-5") == ("cache_control", 4)


def test_multipliers_agree_with_the_prices():
    from decimal import Decimal

    from promptlint.config import Config
    from promptlint.pricing import Pricer
    from promptlint.types import Usage

    pricer = Pricer(Config())
    for model_id, fact in _load_facts()[0].items():
        if fact.cache_read_multiplier is not None:
            read = pricer.cost(Usage(model_id, cache_read_tokens=1_000_000))
            base = pricer.cost(Usage(model_id, input_tokens=1_000_000))
            assert read == base * Decimal(str(fact.cache_read_multiplier)), model_id
        if fact.cache_write_multiplier is not None:
            write = pricer.cost(Usage(model_id, cache_write_tokens=1_000_000))
            base = pricer.cost(Usage(model_id, input_tokens=1_000_000))
            assert write == base * Decimal(str(fact.cache_write_multiplier)), model_id
        if fact.prompt_tier is not None:
            above = fact.prompt_tier["above"]
            small = pricer.cost(Usage(model_id, input_tokens=above))
            large = pricer.cost(Usage(model_id, input_tokens=above + 1))
            assert large / (above + 1) == small / above * Decimal(str(fact.prompt_tier["input"])), model_id


def test_an_unknown_model_is_never_priced_at_zero():
    from promptlint.config import Config
    from promptlint.pricing import Pricer, UnknownPrice
    from promptlint.types import Usage

    with pytest.raises(UnknownPrice):
        Pricer(Config()).cost(Usage("claude-nonexistent-9", input_tokens=1000))


def test_every_successor_is_a_known_model_of_the_same_provider_and_cites_a_source():
    from promptlint.models import _load_facts, successors

    facts, sources = _load_facts()
    assert successors(), "the successor table is empty"
    for model, successor in successors().items():
        assert model in facts and successor.model in facts, (model, successor.model)
        assert facts[model].provider == facts[successor.model].provider
        assert facts[model].tier == facts[successor.model].tier, (model, successor.model)
        assert successor.source in sources, successor.source
