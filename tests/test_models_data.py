"""data/models.toml: every value sourced, every id a genai-prices id, matching of real-world ids."""

from __future__ import annotations

import pytest
from genai_prices import data_snapshot

from promptlint.models import ModelCatalog, _load_facts
from promptlint.tokens.offline import calibration_table


def genai_models(provider_id: str) -> set[str]:
    return {m.id for p in data_snapshot.get_snapshot().providers if p.id == provider_id for m in p.models}


def test_every_claude_model_genai_prices_knows_has_facts():
    facts, _ = _load_facts()
    missing = genai_models("anthropic") - set(facts)
    assert not missing, f"add facts for: {sorted(missing)}"


def test_every_fact_is_for_a_genai_prices_model_and_cites_a_source():
    facts, sources = _load_facts()
    known = genai_models("anthropic") | genai_models("openai")
    families = set(calibration_table()["families"])
    for model_id, fact in facts.items():
        assert model_id in known, model_id
        assert fact.tier in ("premium", "mid", "small"), model_id
        assert fact.tokenizer in families, model_id
        for key in ("max_output_tokens", "min_cacheable_tokens", "tool_use_system_tokens"):
            if getattr(fact, key) is not None:
                assert fact.source.get(key) in sources, (model_id, key)
    for key, source in sources.items():
        assert source.get("url") and source.get("read"), key


@pytest.mark.parametrize("written,canonical", [
    ("claude-sonnet-4-5", "claude-sonnet-4-5"),
    ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
    ("anthropic/claude-3-5-haiku-20241022", "claude-3-5-haiku-latest"),
    ("us.anthropic.claude-opus-4-1-20250805-v1:0", "claude-opus-4-1"),
    ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
    ("openai/gpt-4o", "gpt-4o"),
    ("claude-sonet-4-5", None),
])
def test_model_ids_as_written_in_code_are_matched(written, canonical):
    assert ModelCatalog().canonical(written) == canonical


def test_closest_known_id_for_a_typo():
    assert ModelCatalog().closest("claude-sonet-4-5") == "claude-sonnet-4-5"


def test_minimum_cacheable_and_max_output_come_from_the_facts():
    catalog = ModelCatalog()
    assert catalog.min_cacheable("claude-haiku-4-5") == (4096, True)
    assert catalog.min_cacheable("claude-sonnet-4-5-20250929") == (1024, True)
    assert catalog.max_output("gpt-4o")[0] == 16384


def test_cheaper_current_model_is_a_current_small_model_of_the_same_provider():
    catalog = ModelCatalog()
    suggestion = catalog.facts(catalog.cheaper_current("claude-opus-4-1"))
    assert suggestion.provider == "anthropic" and suggestion.tier == "small" and suggestion.current


def test_every_successor_is_a_known_model_of_the_same_provider_and_cites_a_source():
    from promptlint.models import _load_facts, successors

    facts, sources = _load_facts()
    assert successors(), "the successor table is empty"
    for model, successor in successors().items():
        assert model in facts and successor.model in facts, (model, successor.model)
        assert facts[model].provider == facts[successor.model].provider
        assert facts[model].tier == facts[successor.model].tier, (model, successor.model)
        assert successor.source in sources, successor.source
