"""Money that adds up: one finding per rule and location, savings of a request applied
together, default-model pricing said aloud, repeated text counted for the real count."""

from __future__ import annotations

import textwrap

import pytest

from conftest import run_analysis, write_tree
from promptlint.types import Span


def test_one_finding_per_location_names_every_request(tmp_path):
    write_tree(tmp_path, {
        "prompts.py": 'RULES_PROMPT = "Please check the invoice total. It is very important that you keep the answer short."\n',
        "app.py": textwrap.dedent("""\
            import anthropic
            from prompts import RULES_PROMPT

            client = anthropic.Anthropic()


            def first(q):
                return client.messages.create(model="claude-sonnet-4-5", max_tokens=100, system=RULES_PROMPT,
                                              messages=[{"role": "user", "content": q}])


            def second(q):
                return client.messages.create(model="claude-sonnet-4-5", max_tokens=100, system=RULES_PROMPT,
                                              messages=[{"role": "user", "content": q}])
            """),
    })
    analysis = run_analysis(tmp_path, select=("PL103",))
    [finding] = [f.finding for f in analysis.findings]
    assert sorted(finding.requests) == ["app.py::first::messages.create#1", "app.py::second::messages.create#1"]


def test_savings_of_one_request_combine_and_never_pass_its_cost(tmp_path):
    write_tree(tmp_path, {"app.py": textwrap.dedent("""\
        import anthropic

        client = anthropic.Anthropic()
        SYSTEM_PROMPT = (
            "You are a world-class, highly experienced, award-winning, brilliant support agent for Acme. "
            "Please answer questions about orders. Please answer questions about orders. "
            "It is very important that you keep answers short.   "
        )


        def answer(items):
            for item in items:
                client.messages.create(model="claude-sonnet-4-5", max_tokens=100, system=SYSTEM_PROMPT,
                                       messages=[{"role": "user", "content": item}])
        """)})
    analysis = run_analysis(tmp_path, {"cache-hit-rate": 0.0})
    savings = [f for f in analysis.findings if f.price and not f.finding.saving.exposure]
    assert {f.finding.code for f in savings} >= {"PL102", "PL103", "PL104", "PL402"}
    cost = analysis.request_prices["app.py::answer::messages.create#1"].usd_per_month
    summed = sum(f.price.usd_per_month for f in savings)
    assert 0 < analysis.usd_per_month_saveable < summed  # applied together: 1 - (1 - a)(1 - b) < a + b
    assert analysis.usd_per_month_saveable <= cost


def test_the_saveable_total_of_a_request_is_capped_at_what_it_costs():
    from promptlint.config import parse_config
    from promptlint.consolidate import saveable_total
    from promptlint.pricing import Pricer
    from promptlint.traffic.plan import TrafficPlan
    from promptlint.types import Finding, Price, PricedFinding, Saving, Usage

    pricer = Pricer(parse_config({}, root="."))
    rid = "app.py::f::messages.create#1"
    before = (Usage("claude-sonnet-4-5", input_tokens=10_000, site=rid),)
    after = (Usage("claude-sonnet-4-5", input_tokens=2_000, site=rid),)
    findings = [PricedFinding(Finding(code, "x", "warning", Span("app.py", 1), "m", request=rid,
                                      saving=Saving(8_000, before, after)), Price(0, 0, 0))
                for code in ("PL103", "PL104", "PL105")]
    total = saveable_total(findings, pricer, TrafficPlan(default=1000))
    cost = float(pricer.cost(before[0]))
    assert total.usd_per_request == pytest.approx(cost * (1 - 0.2 ** 3))  # 99.2% of the cost, not 240%
    assert total.usd_per_month == pytest.approx(total.usd_per_request * 1000)


def test_a_finding_priced_on_the_default_model_says_so(tmp_path):
    write_tree(tmp_path, {"app.py": textwrap.dedent("""\
        import os
        import anthropic

        client = anthropic.Anthropic()
        SYSTEM_PROMPT = "Please answer questions about orders. Please keep answers short and please be polite."


        def answer(q):
            return client.messages.create(model=os.environ["MODEL"], max_tokens=100, system=SYSTEM_PROMPT,
                                          messages=[{"role": "user", "content": q}])
        """)})
    analysis = run_analysis(tmp_path, select=("PL103",))
    [finding] = [f.finding for f in analysis.findings]
    priced_as = analysis.measurements.requests["app.py::answer::messages.create#1"].model
    assert finding.message.endswith(f"(model unknown here; priced as {priced_as})")


def test_text_repeated_past_what_can_be_counted_is_reported_not_capped(tmp_path):
    write_tree(tmp_path, {"app.py": textwrap.dedent("""\
        import anthropic

        client = anthropic.Anthropic()


        def overflow():
            return client.messages.create(model="claude-sonnet-4-5", max_tokens=50, messages=[
                {"role": "user", "content": "Read this. " + "Filler sentence here. " * 150000}])


        def ruler(table):
            return client.messages.create(model="claude-sonnet-4-5", max_tokens=50, messages=[
                {"role": "user", "content": "Summarize the table.\\n" + "-" * 3000 + "\\n" + table}])
        """)})
    analysis = run_analysis(tmp_path)
    codes = {(f.finding.code, f.finding.request) for f in analysis.findings}
    assert ("PL002", "app.py::overflow::messages.create#1") in codes
    assert not [c for c, _ in codes if c in ("PL104", "PL201")]
    [message] = [f.finding.message for f in analysis.findings if f.finding.code == "PL002"]
    assert "repeated 150,000 times (3,300,000 characters) is too large to count" in message
    ruler = analysis.project.templates["app.py::ruler::messages.create#1::messages[0].content"]
    assert ruler.text.count("-") == 3000  # counted for the real n (it was cut to 1,000)


def test_unresolved_prompts_say_what_was_counted_and_what_was_not(tmp_path):
    write_tree(tmp_path, {"app.py": textwrap.dedent("""\
        import anthropic

        client = anthropic.Anthropic()
        TOOLS = [{"name": "get_weather", "description": "Current weather for a city.",
                  "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]


        def ask(question):
            return client.messages.create(model="claude-sonnet-4-5", max_tokens=200, tools=TOOLS,
                                          messages=[{"role": "user", "content": question}])


        def broken():
            return client.messages.create(model="claude-sonnet-4-5", max_tokens=200,
                                          messages=[{"role", "user", "content", "Hi"}])


        def later(extra=None):
            return client.messages.create(model="claude-sonnet-4-5", max_tokens=200,
                                          messages=[{"role": "user", "content": "Hi"}, {"role": "user", "content": extra}])
        """)})
    messages = {f.finding.request.split("::")[1]: f.finding.message
                for f in run_analysis(tmp_path, select=("PL002",)).findings}
    assert "only the tools (" in messages["ask"] and "entirely" not in messages["ask"]
    assert "messages[0]: a list or set where a message was expected" in messages["broken"]
    assert "later" not in messages  # content=None, an optional argument's default, sends nothing


def test_the_saveable_headline_counts_only_requests_that_the_total_counts(tmp_path):
    # A prompt constant no request is seen to send is priced on its own in its finding, but
    # its cost is in no request's total: a headline that counted it could pass the total.
    write_tree(tmp_path, {"app.py": textwrap.dedent("""\
        import anthropic

        client = anthropic.Anthropic()
        UNUSED_PROMPT = (
            "Please review the report. Please make sure to keep it short. It is very important that you "
            "keep the answer short. Please be polite and please be kind and please be brief.      "
        )


        def answer(q):
            return client.messages.create(model="claude-sonnet-4-5", max_tokens=100, system="Answer briefly.",
                                          messages=[{"role": "user", "content": q}])
        """)})
    analysis = run_analysis(tmp_path, select=("PL103", "PL105"))
    assert analysis.findings and all(not f.finding.requests for f in analysis.findings)
    assert all(f.price.usd_per_month > 0 for f in analysis.findings)
    assert analysis.usd_per_month_saveable == 0
    assert analysis.usd_per_month_saveable <= analysis.usd_per_month_total


def test_a_prompt_that_only_becomes_unsent_is_no_negative_saving():
    """An edit that makes two copies of one text differ leaves the copy no request sends
    among the unsent prompts; that is no cost of the edit (it read "saves -$11.93/month")."""
    from decimal import Decimal

    from promptlint.config import parse_config
    from promptlint.fix.measure import Costs, Remeasurer, RequestCost
    from promptlint.pricing import Pricer

    remeasurer = Remeasurer.__new__(Remeasurer)
    remeasurer.pricer = Pricer(parse_config({}))
    sent = {"app.py::ask#1": RequestCost(1_000, Decimal("0.003"), None, Decimal(0))}
    before = Costs(None, None, sent, {"notes.py::GUIDE": (400, Decimal("0.0012"))})
    after = Costs(None, None, {"app.py::ask#1": RequestCost(990, Decimal("0.00297"), None, Decimal(0))},
                  {"notes.py::GUIDE": (395, Decimal("0.001185")), "lesson.py::system#2": (700, Decimal("0.0021"))})
    measured = remeasurer.difference(before, after)
    assert measured.tokens == 10
    assert measured.price.usd_per_request == pytest.approx(0.000045)
