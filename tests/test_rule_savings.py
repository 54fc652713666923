"""Savings are measured, not assumed: tokens by recounting the changed text, dollars on the
whole request with the request's own model and cache scenario."""

from __future__ import annotations

import textwrap

import pytest
from conftest import run_analysis

from promptlint.config import Config
from promptlint.models import ModelCatalog
from promptlint.pricing import Pricer
from promptlint.tokens import TokenCounter
from promptlint.tokens.offline import OfflineCounter
from promptlint.types import Usage

COUNTER = TokenCounter(ModelCatalog(), OfflineCounter())
PRICER = Pricer(Config())


def per_token(model: str, kind: str) -> float:
    """Dollars per token at the base tier, from a small usage (below long-context tiers)."""
    return float(PRICER.cost(Usage(model, **{kind: 1000}))) / 1000


def only(analysis, code):
    found = [f for f in analysis.findings if f.finding.code == code]
    assert len(found) == 1, [f.finding.message for f in analysis.findings]
    return found[0]


FILLER_SYSTEM = (
    "You answer questions about ACME Home orders. Please read the order record carefully. "
    "It is very important that you reply in the customer's language. Make sure to include the order number."
)
FILLER_CLEAN = (
    "You answer questions about ACME Home orders. Read the order record carefully. "
    "Reply in the customer's language. Include the order number."
)


def request_module(model: str, system: str, cached: bool = False) -> str:
    system_arg = (f'[{{"type": "text", "text": SYSTEM_PROMPT, "cache_control": {{"type": "ephemeral"}}}}]'
                  if cached else "SYSTEM_PROMPT")
    return textwrap.dedent(f'''\
        import anthropic

        client = anthropic.Anthropic()
        SYSTEM_PROMPT = {system!r}


        def answer(question):
            return client.messages.create(
                model="{model}",
                max_tokens=400,
                system={system_arg},
                messages=[{{"role": "user", "content": question}}],
            )
        ''')


@pytest.mark.parametrize("model", ["claude-sonnet-4-5", "claude-opus-4-1"])
def test_filler_saving_is_the_recount_priced_with_the_requests_model(project, model):
    root = project({"app.py": request_module(model, FILLER_SYSTEM)})
    finding = only(run_analysis(root, select=("PL103",)), "PL103")
    tokens = COUNTER.count(FILLER_SYSTEM, model) - COUNTER.count(FILLER_CLEAN, model)
    assert finding.tokens_saved == tokens > 0
    assert finding.model == model
    assert finding.price.usd_per_request == pytest.approx(tokens * per_token(model, "input_tokens"))


def test_saving_inside_a_cached_prefix_is_priced_at_cache_rates(project):
    padding = " Quote the policy section that applies to the order." * 150
    system = FILLER_SYSTEM + padding
    root = project({"app.py": request_module("claude-sonnet-4-5", system, cached=True)})
    analysis = run_analysis(root, {"cache-hit-rate": 0.8}, select=("PL103",))
    finding = only(analysis, "PL103")
    tokens = COUNTER.count(system, "claude-sonnet-4-5") - COUNTER.count(FILLER_CLEAN + padding, "claude-sonnet-4-5")
    assert finding.tokens_saved == tokens
    read, write = per_token("claude-sonnet-4-5", "cache_read_tokens"), per_token("claude-sonnet-4-5", "cache_write_tokens")
    assert finding.price.usd_per_request == pytest.approx(tokens * (0.8 * read + 0.2 * write))


def test_role_whitespace_and_duplicate_savings_match_a_recount(project):
    persona = ("You are a world-class, highly experienced support specialist with over 15 years of experience at "
               "leading retailers. You have deep expertise in refunds and logistics.")
    body = "Answer questions about refunds in at most four sentences."
    repeated = "Never promise a refund that the policy does not allow."
    indented = "\n            ".join([persona, "", "", "", body, repeated, repeated]) + "\n        "
    source = textwrap.dedent('''\
        import anthropic

        client = anthropic.Anthropic()


        def answer(question):
            system = """
                @BODY@"""
            return client.messages.create(model="claude-sonnet-4-5", max_tokens=300, system=system,
                                          messages=[{"role": "user", "content": question}])
        ''').replace("@BODY@", indented)
    analysis = run_analysis(project({"app.py": source}), {"rules": {"PL105": {"min-tokens": 1}}},
                            select=("PL102", "PL104", "PL105"))
    text = next(t for t in analysis.project.templates.values() if t.role == "system").text
    count = lambda s: COUNTER.count(s, "claude-sonnet-4-5")  # noqa: E731

    role = only(analysis, "PL102")
    assert "You are a support specialist." in role.finding.message
    assert role.tokens_saved == count(text) - count(text.replace(persona, "You are a support specialist."))

    duplicate = only(analysis, "PL104")
    last = text.rindex(repeated)
    without = text[:last].rstrip(" ") + text[last + len(repeated) + 1:]  # the line and its newline
    assert without.count(repeated) == 1
    assert duplicate.tokens_saved == count(text) - count(without)

    whitespace = only(analysis, "PL105")
    normalized = textwrap.dedent(text).replace("\n\n\n\n", "\n\n").strip()
    assert whitespace.tokens_saved == count(text) - count(normalized)


def test_redundant_example_saves_its_own_tokens_on_the_request(project):
    examples = [("Where is my order 10482? It has not moved for days.", "order_status"),
                ("Where is my order 99120? It has not moved for days.", "order_status"),
                ("The kettle arrived with a cracked lid.", "damaged_item")]
    messages = "".join(f'{{"role": "user", "content": {q!r}}}, {{"role": "assistant", "content": {a!r}}}, '
                       for q, a in examples)
    source = textwrap.dedent(f'''\
        import anthropic
        client = anthropic.Anthropic()


        def classify(message):
            return client.messages.create(model="claude-opus-4-1", max_tokens=5,
                                          system="Classify the message. Reply with the label only.",
                                          messages=[{messages}{{"role": "user", "content": message}}])
        ''')
    finding = only(run_analysis(project({"app.py": source}), select=("PL101",)), "PL101")
    tokens = COUNTER.count(examples[1][0], "claude-opus-4-1") + COUNTER.count(examples[1][1], "claude-opus-4-1")
    assert finding.tokens_saved == tokens
    assert finding.price.usd_per_request == pytest.approx(tokens * per_token("claude-opus-4-1", "input_tokens"))


def test_unstable_prefix_prices_the_write_premium_against_reads(project):
    policy = "Always cite the order number and the policy section you relied on. " * 120
    source = textwrap.dedent(f'''\
        import anthropic
        client = anthropic.Anthropic()
        POLICY = {policy!r}


        def answer(question):
            return client.messages.create(model="claude-sonnet-4-5", max_tokens=400,
                                          cache_control={{"type": "ephemeral"}}, system=POLICY,
                                          messages=[{{"role": "user", "content": question}}])
        ''')
    analysis = run_analysis(project({"app.py": source}), select=("PL202", "PL201"))
    finding = only(analysis, "PL202")  # and PL201 stays quiet: automatic caching is set
    model = "claude-sonnet-4-5"
    counts = analysis.measurements.requests[finding.finding.request]
    prefix = counts.input_tokens  # the question is a hole: everything counted is written
    before = prefix * per_token(model, "cache_write_tokens")
    after = 0.9 * prefix * per_token(model, "cache_read_tokens") + 0.1 * prefix * per_token(model, "cache_write_tokens")
    assert finding.tokens_saved == prefix
    assert finding.price.usd_per_request == pytest.approx(before - after)


def test_cheaper_model_is_priced_with_its_own_tokenizer_and_the_short_answer(project):
    system = "Classify the customer message as order_status, return or other. Reply with the label only."
    source = request_module("claude-opus-4-1", system).replace("max_tokens=400", "max_tokens=10")
    finding = only(run_analysis(project({"app.py": source}), select=("PL401",)), "PL401")
    assert "claude-haiku-5-5" in finding.finding.message
    before, after = finding.finding.saving.before, finding.finding.saving.after
    assert {u.model for u in before} == {"claude-opus-4-1"} and {u.model for u in after} == {"claude-haiku-5-5"}
    # Opus 4.1 and Haiku 5.5 count the same text differently (the 4.7 tokenizer).
    assert before[0].input_tokens != after[0].input_tokens
    assert before[0].output_tokens == after[0].output_tokens == 10  # the label cue's cap of 16, under max_tokens
    expected = (before[0].input_tokens * per_token("claude-opus-4-1", "input_tokens")
                + 10 * per_token("claude-opus-4-1", "output_tokens")
                - after[0].input_tokens * per_token("claude-haiku-5-5", "input_tokens")
                - 10 * per_token("claude-haiku-5-5", "output_tokens"))
    assert finding.price.usd_per_request == pytest.approx(expected)


def test_batch_saving_is_half_the_requests_input_cost(project):
    source = textwrap.dedent('''\
        import anthropic
        client = anthropic.Anthropic()
        TAG_PROMPT = "Tag the support ticket with billing, delivery, product or account. Reply with the tag only. " * 5


        def tag_all(tickets):
            return [client.messages.create(model="claude-sonnet-4-5", max_tokens=10, system=TAG_PROMPT,
                                           messages=[{"role": "user", "content": t}]) for t in tickets]
        ''')
    analysis = run_analysis(project({"jobs.py": source}), select=("PL402",))
    finding = only(analysis, "PL402")
    full = analysis.request_prices[finding.finding.request].usd_per_request
    assert finding.price.usd_per_request == pytest.approx(full / 2)


def batch_module(policy: str, auto_cache: bool = False) -> str:
    """A Message Batches job: every request in it is billed at half the standard price."""
    cache = '"cache_control": {"type": "ephemeral"}, ' if auto_cache else ""
    return textwrap.dedent(f'''\
        import anthropic
        client = anthropic.Anthropic()
        POLICY = {policy!r}


        def tag_all(reviews):
            return client.messages.batches.create(requests=[
                {{"custom_id": str(i), "params": {{"model": "claude-sonnet-4-5", "max_tokens": 5, {cache}
                 "system": POLICY, "messages": [{{"role": "user", "content": r}}]}}}}
                for i, r in enumerate(reviews)
            ])
        ''')


def test_cache_saving_on_a_batch_request_is_priced_at_the_batch_discount(project):
    """Regression: PL201 priced a batch request's cache saving at the full price, claiming
    more saved per request than the whole request costs."""
    policy = "Always cite the order number and the policy section you relied on. " * 120
    analysis = run_analysis(project({"jobs.py": batch_module(policy)}), select=("PL201",))
    finding = only(analysis, "PL201")
    assert analysis.project.requests[0].batch
    saving = finding.finding.saving
    assert all(u.batch for u in (*saving.before, *saving.after))
    prefix, model = finding.tokens_saved, "claude-sonnet-4-5"
    inp, read, write = (per_token(model, k) for k in ("input_tokens", "cache_read_tokens", "cache_write_tokens"))
    full = prefix * (inp - read) * 0.9 - prefix * (write - inp) * 0.1
    assert finding.price.usd_per_request == pytest.approx(full / 2)
    assert finding.price.usd_per_request < analysis.request_prices[finding.finding.request].usd_per_request


def test_unstable_prefix_on_a_batch_request_is_priced_at_the_batch_discount(project):
    """Regression: PL202's write premium on a batch request was priced at the full price."""
    policy = "Always cite the order number and the policy section you relied on. " * 120
    analysis = run_analysis(project({"jobs.py": batch_module(policy, auto_cache=True)}), select=("PL202",))
    finding = only(analysis, "PL202")
    saving = finding.finding.saving
    assert all(u.batch for u in (*saving.before, *saving.after))
    prefix, model = finding.tokens_saved, "claude-sonnet-4-5"
    read, write = per_token(model, "cache_read_tokens"), per_token(model, "cache_write_tokens")
    full = prefix * write - (0.9 * prefix * read + 0.1 * prefix * write)
    assert finding.price.usd_per_request == pytest.approx(full / 2)


def test_output_exposure_of_a_batch_request_is_priced_at_the_batch_discount(tmp_path):
    """Message Batches halve output prices too: PL302's exposure on a batch request is half
    the exposure of the same call made directly."""
    from conftest import run_analysis, write_tree

    direct = ("import anthropic\nclient = anthropic.Anthropic()\nTAG_PROMPT = 'Classify the ticket. Reply with the tag only.'\n"
              "def tag(t):\n    return client.messages.create(model='claude-haiku-4-5', max_tokens=1000,"
              " system=TAG_PROMPT, messages=[{'role': 'user', 'content': t}])\n")
    batch = ("import anthropic\nclient = anthropic.Anthropic()\nTAG_PROMPT = 'Classify the ticket. Reply with the tag only.'\n"
             "def tag(ts):\n    return client.messages.batches.create(requests=[{'custom_id': str(i), 'params': {"
             "'model': 'claude-haiku-4-5', 'max_tokens': 1000, 'system': TAG_PROMPT, 'messages': [{'role': 'user',"
             " 'content': t}]}} for i, t in enumerate(ts)])\n")
    prices = []
    for name, source in (("direct", direct), ("batch", batch)):
        write_tree(tmp_path / name, {"app.py": source})
        found = [f for f in run_analysis(tmp_path / name, select=("PL302",)).findings]
        assert len(found) == 1, name
        prices.append(found[0].price.usd_per_request)
    assert abs(prices[1] - prices[0] / 2) < 1e-12
