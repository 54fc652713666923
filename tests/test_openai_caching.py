"""OpenAI prompt caching from GPT-5.6 on: ``prompt_cache_breakpoint`` on content blocks and
``prompt_cache_options`` read in OpenAI's shapes, and the caching rules priced with
OpenAI's own figures (writes at 1.25x input, implicit breakpoint on the latest message)."""

from __future__ import annotations

import textwrap

import pytest
from conftest import run_analysis

from promptlint.config import Config
from promptlint.extract import extract_file
from promptlint.extract.link import link
from promptlint.pricing import Pricer
from promptlint.types import Usage

PATTERNS = ("*PROMPT*", "*INSTRUCTION*", "*SYSTEM*", "*POLICY*")
PRICER = Pricer(Config())
POLICY = "Always cite the order number and the policy section you relied on. " * 120


def scan(source: str):
    result = extract_file("app.py", "python", textwrap.dedent(source).encode(), PATTERNS)
    project = link([result], ".", 1)
    assert len(project.requests) == 1, [r.id for r in project.requests]
    return project, project.requests[0]


def per_token(model: str, kind: str) -> float:
    return float(PRICER.cost(Usage(model, **{kind: 1000}))) / 1000


def test_chat_completions_breakpoint_is_a_cache_mark_with_the_requests_ttl():
    project, request = scan('''
        from openai import OpenAI
        client = OpenAI()
        SYSTEM_PROMPT = "Answer questions about ACME Home orders."

        def answer(question):
            return client.chat.completions.create(
                model="gpt-5.6-sol",
                prompt_cache_options={"mode": "explicit", "ttl": "30m"},
                messages=[
                    {"role": "developer", "content": [
                        {"type": "text", "text": SYSTEM_PROMPT, "prompt_cache_breakpoint": {"mode": "explicit"}}]},
                    {"role": "user", "content": [{"type": "text", "text": question,
                                                  "cache_control": {"type": "ephemeral"}}]},
                ],
            )
    ''')
    assert request.cache_mode == "explicit"
    assert request.cache_breakpoints == 1  # cache_control is Anthropic's key: OpenAI ignores it
    assert request.parts[0].cache is not None and request.parts[0].cache.ttl == "30m"
    assert request.parts[0].template == "app.py::SYSTEM_PROMPT"
    # the marker's own value is no prompt text
    assert all(t.text != "explicit" for t in project.templates.values())


def test_responses_input_text_breakpoint_and_default_mode():
    _, request = scan('''
        from openai import OpenAI
        client = OpenAI()
        POLICY = "Refunds take five business days."

        def answer(question):
            return client.responses.create(
                model="gpt-6.1-sol",
                input=[
                    {"role": "developer", "content": [
                        {"type": "input_text", "text": POLICY, "prompt_cache_breakpoint": {"mode": "explicit"}}]},
                    {"role": "user", "content": question},
                ],
            )
    ''')
    assert request.cache_mode is None  # not set: implicit, OpenAI's default
    assert [p.cache is not None for p in request.parts] == [True, False]
    assert request.parts[0].cache.ttl == "30m"


def test_prompt_cache_options_through_extra_body():
    _, request = scan('''
        from openai import OpenAI
        client = OpenAI()

        def answer(question):
            return client.chat.completions.create(model="gpt-5.6-sol", messages=[{"role": "user", "content": question}],
                                                  extra_body={"prompt_cache_options": {"mode": "explicit"}})
    ''')
    assert request.cache_mode == "explicit"


def test_a_breakpoint_in_a_message_list_constant_registers_no_template():
    project, request = scan('''
        from openai import OpenAI
        client = OpenAI()
        SYSTEM_MESSAGES = [{"role": "system", "content": [
            {"type": "text", "text": "Answer questions about ACME Home orders.",
             "prompt_cache_breakpoint": {"mode": "explicit"}}]}]

        def answer(question):
            return client.chat.completions.create(model="gpt-5.6-sol",
                                                  messages=[*SYSTEM_MESSAGES, {"role": "user", "content": question}])
    ''')
    assert sorted(t.text for t in project.templates.values()) == ["Answer questions about ACME Home orders."]


def chat_module(model: str, cached: bool = False, options: str = "") -> str:
    system = ('[{"type": "text", "text": POLICY, "prompt_cache_breakpoint": {"mode": "explicit"}}]'
              if cached else "POLICY")
    return textwrap.dedent(f'''\
        from openai import OpenAI
        client = OpenAI()
        POLICY = {POLICY!r}
        ASK = "Order {{order_id}}: answer the customer's question in two sentences, citing the policy: {{question}}"


        def answer(order_id, question):
            return client.chat.completions.create(
                model="{model}", max_completion_tokens=300,{options}
                messages=[{{"role": "system", "content": {system}}},
                          {{"role": "user", "content": ASK.format(order_id=order_id, question=question)}}],
            )
        ''')


def test_missing_breakpoint_saving_is_the_reads_a_breakpoint_adds_over_implicit_writes(project):
    model = "gpt-5.6-sol"
    analysis = run_analysis(project({"app.py": chat_module(model)}), {"cache-hit-rate": 0.8}, select=("PL201",))
    [found] = [f for f in analysis.findings if f.finding.code == "PL201"]
    counts = analysis.measurements.requests[found.finding.request]
    total, prefix = counts.input_tokens, found.tokens_saved
    assert 0 < prefix < total
    read, write = per_token(model, "cache_read_tokens"), per_token(model, "cache_write_tokens")
    assert write == pytest.approx(1.25 * per_token(model, "input_tokens"))  # OpenAI's figure, via genai-prices
    before = total * write  # implicit breakpoint on the changing last message: all written, nothing read
    after = 0.8 * (prefix * read + (total - prefix) * write) + 0.2 * total * write
    assert found.price.usd_per_request == pytest.approx(before - after)


def test_request_price_on_gpt_5_6_counts_the_implicit_write_and_the_breakpoints_reads(project):
    model = "gpt-5.6-sol"
    plain = run_analysis(project({"app.py": chat_module(model)}), {"cache-hit-rate": 0.8}, select=("PL201",))
    marked = run_analysis(project({"app.py": chat_module(model, cached=True)}), {"cache-hit-rate": 0.8},
                          select=("PL201",))
    assert not [f for f in marked.findings if f.finding.code == "PL201"]
    [rid] = [r.id for r in plain.project.requests]
    counts = plain.measurements.requests[rid]
    prefix = counts.prefix(0)  # the system message, with the framing before it
    read, write = per_token(model, "cache_read_tokens"), per_token(model, "cache_write_tokens")
    [mid] = [r.id for r in marked.project.requests]
    saved = plain.request_prices[rid].usd_per_request - marked.request_prices[mid].usd_per_request
    assert saved == pytest.approx(0.8 * prefix * (write - read), rel=1e-3)


def test_explicit_mode_without_a_breakpoint_is_priced_as_plain_input(project):
    model = "gpt-6.1-sol"
    source = chat_module(model, options='\n        prompt_cache_options={"mode": "explicit"},')
    analysis = run_analysis(project({"app.py": source}), {"cache-hit-rate": 0.8}, select=("PL201",))
    [found] = [f for f in analysis.findings if f.finding.code == "PL201"]
    total = analysis.measurements.requests[found.finding.request].input_tokens
    prefix = found.tokens_saved
    inp, read, write = (per_token(model, k) for k in ("input_tokens", "cache_read_tokens", "cache_write_tokens"))
    after = 0.8 * (prefix * read + (total - prefix) * inp) + 0.2 * (prefix * write + (total - prefix) * inp)
    assert found.price.usd_per_request == pytest.approx(total * inp - after)


def test_litellm_to_gpt_5_6_is_reported_without_an_edit(project):
    source = textwrap.dedent(f'''\
        import litellm
        POLICY = {POLICY!r}


        def answer(question):
            return litellm.completion(model="openai/gpt-5.6-sol", max_tokens=300,
                                      messages=[{{"role": "system", "content": POLICY}},
                                                {{"role": "user", "content": question}}])
        ''')
    analysis = run_analysis(project({"app.py": source}), select=("PL201",))
    [found] = [f for f in analysis.findings if f.finding.code == "PL201"]
    assert "prompt_cache_breakpoint" in found.finding.fix.description
    assert found.finding.fix.edits == ()  # what LiteLLM forwards to OpenAI is not sourced


def test_history_rule_stays_anthropic_only(project):
    """PL205 suggests top-level cache_control; on OpenAI the implicit breakpoint already
    caches a growing conversation."""
    source = textwrap.dedent(f'''\
        from openai import OpenAI
        client = OpenAI()
        POLICY = {POLICY!r}


        def chat(questions):
            messages = [{{"role": "system", "content": POLICY}}]
            for q in questions:
                messages.append({{"role": "user", "content": q}})
                reply = client.chat.completions.create(model="gpt-5.6-sol", messages=messages)
                messages.append({{"role": "assistant", "content": reply.choices[0].message.content}})
        ''')
    analysis = run_analysis(project({"app.py": source}), select=("PL201", "PL205"))
    assert not analysis.findings


def test_no_breakpoint_advice_for_a_model_the_call_does_not_name(project):
    """Priced as the newest OpenAI model, but the call may go to one that rejects
    prompt_cache_breakpoint (every model before GPT-5.6 does)."""
    source = textwrap.dedent(f'''\
        import os
        from openai import OpenAI
        client = OpenAI()
        POLICY = {POLICY!r}


        def answer(question):
            return client.chat.completions.create(model=os.environ["OPENAI_MODEL"], max_completion_tokens=300,
                                                  messages=[{{"role": "system", "content": POLICY}},
                                                            {{"role": "user", "content": question}}])
        ''')
    analysis = run_analysis(project({"app.py": source}), select=("PL201", "PL202", "PL203", "PL204"))
    [request] = analysis.project.requests
    assert analysis.measurements.requests[request.id].model == "gpt-6.1-sol"  # what it is priced as
    assert not analysis.findings
