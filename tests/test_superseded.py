"""PL405's walk down a model line (promptlint.checks.routing)."""

from __future__ import annotations

from types import SimpleNamespace

from promptlint.checks.routing import _cheaper_successor, _per_million
from promptlint.config import parse_config
from promptlint.models import ModelCatalog
from promptlint.pricing import Pricer


def _ctx():
    catalog = ModelCatalog()
    return SimpleNamespace(catalog=catalog, pricer=Pricer(parse_config({}, root="."), catalog))


def test_list_prices_are_read_below_any_long_context_tier():
    """Sonnet 4.5 bills $6/M above 200k tokens; its list price is $3/M."""
    assert _per_million(_ctx(), "claude-sonnet-4-5") == 3.0


def test_same_price_releases_are_passed_over_and_a_dearer_one_ends_the_walk():
    ctx = _ctx()
    successor, skipped = _cheaper_successor(ctx, "claude-sonnet-4-0")  # $3, $3, $3, then $2, $2
    assert successor.model == "claude-sonnet-5-5"
    assert skipped == ("claude-sonnet-4-5", "claude-sonnet-4-6", "claude-sonnet-5")
    assert _cheaper_successor(ctx, "claude-3-haiku") == (None, ())  # claude-3-5-haiku costs more
    assert _cheaper_successor(ctx, "o1-mini") == (None, ())  # o3-mini, o4-mini: the same price


def test_a_missing_tool_use_figure_is_never_zero_but_the_nearest_published_one():
    """Sonnet 5.5 has no row in Anthropic's tool-use table: pricing its tool-use system
    prompt as 0 made every request with tools look far cheaper there than list prices allow."""
    catalog = ModelCatalog()
    published = {m: f.tool_use_system_tokens for m, f in catalog.facts_by_id.items() if f.tool_use_system_tokens}
    assert catalog.tool_use_system("claude-sonnet-5-5") == (published["claude-sonnet-5"], "claude-sonnet-5")
    assert catalog.tool_use_system("claude-opus-5-5") == (published["claude-opus-5"], "claude-opus-5")
    assert catalog.tool_use_system("claude-sonnet-5") == (published["claude-sonnet-5"], None)
    assert catalog.tool_use_system("gpt-4o") == (0, None)  # OpenAI publishes no such figure
    for model, facts in catalog.facts_by_id.items():
        if facts.provider == "anthropic":
            tokens, taken_from = catalog.tool_use_system(model)
            assert tokens in published.values() and (taken_from is None) == (model in published), model


def test_with_tools_the_successor_never_costs_less_than_list_prices_and_its_tokenizer_allow(tmp_path):
    """A tool-bearing request on Sonnet 3.7: the successor's input share is at least the list
    price ratio times its tokenizer's count of the same texts over the old one's (both tool
    prompts are published or borrowed, and Sonnet 5's is not smaller than 3.7's)."""
    from conftest import run_analysis

    (tmp_path / "agent.py").write_text(
        "import anthropic\n\nclient = anthropic.Anthropic()\n\n"
        "LOOKUP = {'name': 'lookup', 'description': 'Find an order by its number.',\n"
        "          'input_schema': {'type': 'object', 'properties': {'order': {'type': 'string'}}}}\n\n\n"
        "def ask(question):\n"
        "    return client.messages.create(model='claude-3-7-sonnet-20250219', max_tokens=512, tools=[LOOKUP],\n"
        "                                  system='Answer questions about ACME orders.',\n"
        "                                  messages=[{'role': 'user', 'content': question}])\n")
    analysis = run_analysis(tmp_path)
    (finding,) = [f for f in analysis.findings if f.finding.code == "PL405"]
    share = int(finding.finding.message.split("input costs ")[1].split("%")[0]) / 100
    ctx = _ctx()
    list_share = _per_million(ctx, "claude-sonnet-5-5") / _per_million(ctx, "claude-3-7-sonnet-latest")
    assert share >= list_share - 0.005


_PROMPTY = """---
name: Fluency
model:
  api: chat
  configuration:
    type: azure_openai
    {key}: {name}
    azure_endpoint: ${{env:AZURE_OPENAI_ENDPOINT}}
  parameters:
    max_tokens: 128
---
system:
Rate the fluency of the answer from 1 to 5 and reply with the number only.

user:
{{{{answer}}}}
"""


def _prompty(tmp_path, key, name, config=None):
    from conftest import run_analysis

    (tmp_path / "fluency.prompty").write_text(_PROMPTY.format(key=key, name=name))
    analysis = run_analysis(tmp_path, config)
    (request,) = analysis.project.requests
    codes = {f.finding.code: f.finding.message for f in analysis.findings}
    return analysis, request, codes


def test_an_azure_deployment_name_is_not_a_model_to_switch(tmp_path):
    """``azure_deployment: gpt-4`` names a deployment: renaming it changes no model, so no PL405;
    it is priced as the model its name spells, and the report says that is assumed."""
    analysis, request, codes = _prompty(tmp_path, "azure_deployment", "gpt-4")
    assert request.deployment and request.model == "gpt-4"
    assert "PL405" not in codes and "PL403" not in codes
    assert analysis.measurements.requests[request.id].model == "gpt-4"
    assert any("Azure deployments priced as the model their name spells (`gpt-4`)" in n
               for n in analysis.measurements.notes)


def test_a_model_key_with_the_same_id_is_still_superseded(tmp_path):
    _, request, codes = _prompty(tmp_path, "model", "gpt-4")
    assert not request.deployment
    assert "PL405" in codes


def test_the_config_says_what_a_deployment_runs(tmp_path):
    analysis, request, codes = _prompty(tmp_path, "azure_deployment", "evals-prod",
                                        {"deployments": {"evals-prod": "gpt-4"}})
    assert analysis.measurements.requests[request.id].model == "gpt-4"
    assert "PL403" not in codes
    assert "PL405" in codes and "point `evals-prod` at it" in codes["PL405"]
    assert not analysis.measurements.notes or not any("their name spells" in n for n in analysis.measurements.notes)


def test_an_unknown_deployment_name_is_said_unknown_and_never_priced_as_claude(tmp_path):
    analysis, request, codes = _prompty(tmp_path, "azure_deployment", "chat-prod")
    assert "Azure deployment name, not a model id" in codes["PL403"]
    priced = analysis.measurements.requests[request.id].model
    assert ModelCatalog().provider(priced) == "openai"
