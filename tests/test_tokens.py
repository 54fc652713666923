"""The offline counter: the shipped tokenizer file, calibration factors, request framing."""

from __future__ import annotations

import hashlib
import lzma
import re
from importlib import resources

from promptlint.models import ModelCatalog
from promptlint.tokens import TokenCounter
from promptlint.tokens.claude import claude_counter
from promptlint.tokens.frames import request_frame
from promptlint.tokens.offline import OfflineCounter, calibration_table, load_tokenizer, overheads
from promptlint.tokens.openai import openai_counter

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


def test_estimate_families_scale_the_legacy_count():
    counter = OfflineCounter()
    text = "Always cite the order number and the policy section you relied on. " * 20
    raw = counter.raw(text)
    factors = calibration_table()["families"]
    for family in ("claude-4", "openai-o200k-estimate"):
        assert counter.count(text, family) == round(raw * factors.get(family, factors["claude-4"])["factor"])
    assert counter.count(text, "claude-legacy") == raw  # Claude 2's own tokenizer: exact


def test_config_calibration_applies_only_where_no_exact_counter_exists():
    calibrated = OfflineCounter({"claude-4": 2.0, "claude-3": 2.0})
    text = "Refunds take five business days."
    assert calibrated.count(text, "claude-4") == 2 * calibrated.raw(text)
    assert calibrated.count(text, "claude-3") == claude_counter("claude-3").content(text)


def test_every_calibration_family_cites_sources_that_exist():
    table = calibration_table()
    for name, family in table["families"].items():
        assert family["factor"] > 0 and family["basis"], name
        for source in family["sources"]:
            assert source in table["sources"], (name, source)


def _request(tmp_path, call: str, config=None):
    write_tree(tmp_path, {"bot.py": f"""
import anthropic, openai
client = anthropic.Anthropic()
oai = openai.OpenAI()
TOOLS = [{{"name": "lookup_order", "description": "Find an order by id.", "input_schema": {{"type": "object"}}}}]
SYSTEM = "Answer in one short paragraph and cite the policy section."
QUESTION = "Where is my refund for order 1234?"

def ask(q):
    return {call}
"""})
    analysis = run_analysis(tmp_path, config)
    request = analysis.project.requests[0]
    return analysis.measurements.requests[request.id], request, analysis


SYSTEM = "Answer in one short paragraph and cite the policy section."
QUESTION = "Where is my refund for order 1234?"


def test_one_user_message_is_counted_exactly_with_its_frame(tmp_path):
    counts, _, analysis = _request(tmp_path, 'client.messages.create(model="claude-opus-4-5", max_tokens=50, '
                                             'messages=[{"role": "user", "content": QUESTION}])')
    assert counts.input_tokens == claude_counter("claude-3").count(QUESTION)
    assert counts.count == "exact-offline"
    assert not analysis.measurements.estimated


def test_a_system_prompt_adds_its_tokens_and_is_exact_where_measured(tmp_path):
    call = ('client.messages.create(model="{m}", max_tokens=50, system=SYSTEM, '
            'messages=[{{"role": "user", "content": QUESTION}}])')
    counts, _, _ = _request(tmp_path / "a", call.format(m="claude-sonnet-4-5"))
    v3 = claude_counter("claude-3")
    assert counts.input_tokens == v3.count(QUESTION) + v3.content(SYSTEM)
    assert counts.count == "exact-offline"
    counts, _, analysis = _request(tmp_path / "b", call.format(m="claude-opus-5"))
    opus5 = claude_counter("claude-5")
    assert counts.input_tokens == opus5.count(QUESTION) + opus5.content(SYSTEM)
    assert counts.count == "estimate"  # no measurement of the system frame on this tokenizer
    assert any("frame is not measured" in n for n in analysis.measurements.notes)


def test_holes_count_nothing_and_tools_add_the_tool_use_prompt(tmp_path):
    counts, request, _ = _request(tmp_path, 'client.messages.create(model="claude-sonnet-4-5", max_tokens=50, '
                                            'tools=TOOLS, system="Be brief.", '
                                            'messages=[{"role": "user", "content": f"{q}"}])')
    assert counts.parts[-1] == 0  # the user's question is a hole
    catalog = ModelCatalog()
    frame = request_frame(request, catalog, "claude-sonnet-4-5")
    expected = 7 + overheads()["tool"] + catalog.facts("claude-sonnet-4-5").tool_use_system_tokens
    assert (frame.tokens, frame.measured) == (expected, False)
    assert counts.input_tokens == sum(counts.parts) + expected
    assert counts.count == "estimate"


def test_openai_chat_messages_use_the_cookbook_frame(tmp_path):
    counts, _, _ = _request(tmp_path, 'oai.chat.completions.create(model="gpt-4o", messages=['
                                      '{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}])')
    o200k = openai_counter("o200k_base")
    assert counts.input_tokens == 3 + o200k.content(SYSTEM) + 3 + o200k.content(QUESTION) + 3
    assert counts.count == "exact-offline"


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
    text = "Quote the refund policy section that applies. " * 30
    assert analysis.measurements.templates["bot.py::SUPPORT_PROMPT"] == claude_counter("claude-3").content(text)
    unused = text + "Be brief."  # another text: the same prose twice in one file is one prompt
    assert analysis.measurements.templates["bot.py::UNUSED_PROMPT"] == claude_counter("claude-4-7").content(unused)
    assert analysis.measurements.template_count("bot.py::UNUSED_PROMPT") == "exact-offline"


def test_count_many_matches_count():
    counter = TokenCounter(ModelCatalog())
    texts = ["one two three", "Refund within 30 days.", "one two three"]
    assert counter.count_many(texts, "gpt-4o") == [counter.count(t, "gpt-4o") for t in texts]


def test_preparing_a_claude_family_loads_what_its_first_count_reads():
    from promptlint.tokens import claude, claude_stream
    from promptlint.tokens.offline import prepare

    claude_stream.characters.cache_clear()
    claude.claude_counter.cache_clear()
    prepare("claude-4-8")
    assert claude_stream.characters.cache_info().currsize == 1
    assert claude.claude_counter.cache_info().currsize == 1
    claude_stream.characters.cache_clear()
    prepare("openai-cl100k")  # another vendor's family reads no Claude table
    assert claude_stream.characters.cache_info().currsize == 0


def test_the_larger_openai_tokenizer_is_counted_first_whatever_the_request_order(tmp_path, monkeypatch):
    asked = []
    count_many = OfflineCounter.count_many
    monkeypatch.setattr(OfflineCounter, "count_many",
                        lambda self, texts, family: asked.append(family) or count_many(self, texts, family))
    code = '''
from openai import OpenAI
client = OpenAI()
SYSTEM_PROMPT = "You are a careful assistant who answers questions about the weather in short sentences."
def old(q):
    return client.chat.completions.create(model="gpt-4-turbo", messages=[{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": q}])
def new(q):
    return client.chat.completions.create(model="gpt-4o", messages=[{"role": "system", "content": SYSTEM_PROMPT + " Be brief."}, {"role": "user", "content": q}])
'''
    analysis = run_analysis(write_tree(tmp_path, {"app.py": code}))
    families = {analysis.measurements.requests[r.id].model: r for r in analysis.project.requests}
    assert set(families) == {"gpt-4-turbo", "gpt-4o"}  # the cl100k_base request comes first in the file
    openai = [f for f in dict.fromkeys(asked) if f.startswith("openai")]
    assert openai == ["openai-o200k", "openai-cl100k"]
