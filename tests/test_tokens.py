"""The offline counter: the shipped tokenizer file, calibration factors, request framing."""

from __future__ import annotations

import hashlib
import lzma
import re
from importlib import resources

from promptlint.models import ModelCatalog
from promptlint.tokens import TokenCounter, measure, request_overhead
from promptlint.tokens.offline import OfflineCounter, calibration_table, load_tokenizer, overheads

from conftest import run_analysis, write_tree


def test_tokenizer_file_is_the_one_named_in_its_provenance():
    data = resources.files("promptlint.data")
    provenance = data.joinpath("claude-legacy-tokenizer.PROVENANCE.md").read_text(encoding="utf-8")
    expected = re.search(r"tokenizer\.json sha256:\s+([0-9a-f]{64})", provenance).group(1)
    raw = lzma.decompress(data.joinpath("claude-legacy-tokenizer.json.xz").read_bytes())
    assert hashlib.sha256(raw).hexdigest() == expected
    assert "Anthropic, PBC" in data.joinpath("claude-legacy-tokenizer.LICENSE").read_text(encoding="utf-8")


def test_legacy_bpe_splits_english_as_claude_2_did():
    tokens = load_tokenizer().encode("You are a helpful assistant.", add_special_tokens=False).tokens
    assert tokens == ["You", "Ġare", "Ġa", "Ġhelpful", "Ġassistant", "."]


def test_family_factor_scales_the_legacy_count():
    counter = OfflineCounter()
    text = "Always cite the order number and the policy section you relied on. " * 20
    raw = counter.raw(text)
    factors = calibration_table()["families"]
    for family in ("claude-legacy", "claude-4", "claude-4-7", "openai-o200k"):
        assert counter.count(text, family) == round(raw * factors[family]["factor"])
    assert counter.count(text, "claude-4-7") > counter.count(text, "claude-4") > counter.count(text, "openai-o200k")


def test_config_calibration_overrides_the_shipped_factor():
    counter = OfflineCounter({"claude-4": 2.0})
    assert counter.count("Refunds take five business days.", "claude-4") == 2 * counter.raw(
        "Refunds take five business days.")


def test_every_calibration_family_cites_sources_that_exist():
    table = calibration_table()
    for name, family in table["families"].items():
        assert family["factor"] > 0 and family["basis"], name
        for source in family["sources"]:
            assert source in table["sources"], (name, source)


def test_holes_count_nothing_and_overhead_is_added(tmp_path):
    write_tree(tmp_path, {"bot.py": '''
import anthropic
client = anthropic.Anthropic()
TOOLS = [{"name": "lookup_order", "description": "Find an order by id.", "input_schema": {"type": "object"}}]

def ask(q):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=50, tools=TOOLS,
                                  system="Be brief.", messages=[{"role": "user", "content": f"{q}"}])
'''})
    analysis = run_analysis(tmp_path)
    request = analysis.project.requests[0]
    counts = analysis.measurements.requests[request.id]
    assert counts.parts[-1] == 0  # the user's question is a hole
    catalog = ModelCatalog()
    facts = catalog.facts("claude-sonnet-4-5")
    framing = overheads()
    expected_overhead = framing["request"] + 2 * framing["message"] + framing["tool"] + facts.tool_use_system_tokens
    assert request_overhead(request, catalog, "claude-sonnet-4-5") == expected_overhead
    assert counts.input_tokens == sum(counts.parts) + expected_overhead


def test_template_tokens_use_the_family_of_the_model_that_sends_them(tmp_path):
    write_tree(tmp_path, {"bot.py": '''
import anthropic
client = anthropic.Anthropic()
SUPPORT_PROMPT = "Quote the refund policy section that applies. " * 30

def old(q):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=5, system=SUPPORT_PROMPT, messages=[])

UNUSED_PROMPT = "Quote the refund policy section that applies. " * 30 + "Be brief."
'''})
    analysis = run_analysis(tmp_path, {"default-model": "claude-opus-4-7"})
    offline = OfflineCounter()
    raw = offline.raw("Quote the refund policy section that applies. " * 30)
    assert analysis.measurements.templates["bot.py::SUPPORT_PROMPT"] == offline.scale(raw, "claude-4")
    unused = offline.raw("Quote the refund policy section that applies. " * 30 + "Be brief.")
    assert analysis.measurements.templates["bot.py::UNUSED_PROMPT"] == offline.scale(unused, "claude-4-7")


def test_count_many_matches_count():
    counter = TokenCounter(ModelCatalog())
    texts = ["one two three", "Refund within 30 days.", "one two three"]
    assert counter.count_many(texts, "gpt-4o") == [counter.count(t, "gpt-4o") for t in texts]
