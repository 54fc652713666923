"""Python extraction: call sites, value resolution, holes, loops and ids (one file at a time)."""

from __future__ import annotations

import textwrap

import pytest

from conftest import template_text
from promptlint.extract import extract_file
from promptlint.extract.link import link
from promptlint.types import Project

PATTERNS = ("*PROMPT*", "*INSTRUCTION*", "*SYSTEM*", "*TEMPLATE*", "*EXAMPLES*")


def scan(source: str, path: str = "app/bot.py") -> Project:
    result = extract_file(path, "python", textwrap.dedent(source).encode(), PATTERNS)
    return link([result], ".", 1)


def only_request(project: Project):
    assert len(project.requests) == 1, [r.id for r in project.requests]
    return project.requests[0]


def test_anthropic_call_with_local_names_and_f_string():
    project = scan('''
        import anthropic
        client = anthropic.Anthropic()

        def answer(question, customer):
            system = f"You help {customer.name} with billing."
            system += " Answer in two sentences."
            return client.messages.create(
                model="claude-sonnet-4-5", max_tokens=300, system=system,
                messages=[{"role": "user", "content": question}],
            )
    ''')
    request = only_request(project)
    assert request.id == "app/bot.py::answer::messages.create#1"
    assert (request.provider, request.api, request.model, request.max_tokens) == (
        "anthropic", "messages.create", "claude-sonnet-4-5", 300)
    system, user = request.parts
    assert system.section == "system"
    assert template_text(project, system) == "You help {customer.name} with billing. Answer in two sentences."
    assert user.hole == "question" and user.role == "user"


def test_format_percent_concat_join_dedent_strip():
    project = scan('''
        import textwrap
        from openai import OpenAI
        client = OpenAI()
        RULES = ["Be brief.", "Cite sources."]

        def run(doc, lang):
            intro = textwrap.dedent("""
                You summarize documents.
                  Keep lists short.
            """).strip()
            rules = "\\n".join(RULES)
            body = "Summarize in {lang}: {doc}".format(lang=lang, doc=doc)
            footer = "Length: %s words" % 50
            return client.chat.completions.create(
                model="gpt-4o", max_completion_tokens=200,
                messages=[
                    {"role": "system", "content": intro + "\\n" + rules},
                    {"role": "user", "content": body + " " + footer},
                ],
            )
    ''')
    request = only_request(project)
    system, user = request.parts
    assert template_text(project, system) == "You summarize documents.\n  Keep lists short.\nBe brief.\nCite sources."
    assert template_text(project, user) == "Summarize in {lang}: {doc} Length: 50 words"
    assert request.max_tokens == 200 and request.max_tokens_param == "max_completion_tokens"


def test_messages_built_with_append_and_cache_control_set_after_construction():
    project = scan('''
        import anthropic
        client = anthropic.Anthropic()
        POLICY_SYSTEM = "Refunds take five business days."

        def answer(history, question):
            blocks = [{"type": "text", "text": POLICY_SYSTEM}]
            blocks[0]["cache_control"] = {"type": "ephemeral", "ttl": "1h"}
            messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
            messages.append({"role": "user", "content": question})
            return client.messages.create(model="claude-sonnet-4-5", max_tokens=100, system=blocks, messages=messages)
    ''')
    request = only_request(project)
    assert request.cache_breakpoints == 1
    assert request.parts[0].cache.ttl == "1h"
    assert request.parts[0].template == "app/bot.py::POLICY_SYSTEM"
    assert [p.role for p in request.parts] == ["system", "user", "assistant", "user"]
    assert request.parts[-1].hole == "question"


def test_parameter_defaults_and_config_dataclass_defaults():
    project = scan('''
        from dataclasses import dataclass
        import anthropic

        @dataclass
        class Settings:
            model: str = "claude-haiku-4-5"
            max_tokens: int = 64

        def classify(text, settings: Settings, tone="neutral", system="Label the ticket."):
            client = anthropic.Anthropic()
            return client.messages.create(
                model=settings.model, max_tokens=settings.max_tokens, system=system,
                messages=[{"role": "user", "content": f"{tone}: {text}"}],
            )
    ''')
    request = only_request(project)
    assert request.model == "claude-haiku-4-5" and request.max_tokens == 64
    assert template_text(project, request.parts[0]) == "Label the ticket."
    # a parameter spliced into text stays a hole even with a default
    assert template_text(project, request.parts[1]) == "{tone}: {text}"


def test_self_attributes_kwargs_from_method_and_class_constants():
    project = scan('''
        import anthropic

        class Assistant:
            SYSTEM_PROMPT = "You are the ACME assistant."

            def __init__(self):
                self.client = anthropic.Anthropic()
                self.model = "claude-opus-4-1"

            def _params(self):
                return {"model": self.model, "max_tokens": 500, "system": self.SYSTEM_PROMPT}

            def reply(self, text):
                return self.client.messages.create(**self._params(), messages=[{"role": "user", "content": text}])
    ''')
    request = only_request(project)
    assert request.id == "app/bot.py::Assistant.reply::messages.create#1"
    assert request.model == "claude-opus-4-1" and request.max_tokens == 500
    assert request.parts[0].template == "app/bot.py::Assistant.SYSTEM_PROMPT"
    assert request.kwargs_open is None


def test_kwargs_dict_built_in_function():
    project = scan('''
        from openai import OpenAI
        client = OpenAI()

        def ask(q):
            params = dict(model="gpt-4o-mini", temperature=0)
            params["max_tokens"] = 50
            return client.chat.completions.create(messages=[{"role": "user", "content": q}], **params)
    ''')
    request = only_request(project)
    assert (request.model, request.max_tokens, request.kwargs_open) == ("gpt-4o-mini", 50, None)


def test_helper_function_returning_messages_is_inlined():
    project = scan('''
        import anthropic
        client = anthropic.Anthropic()

        def build_messages(question):
            return [{"role": "user", "content": f"Question: {question}"}]

        def ask(q):
            return client.messages.create(model="claude-sonnet-4-5", max_tokens=10, messages=build_messages(q))
    ''')
    request = only_request(project)
    assert template_text(project, request.parts[0]) == "Question: {question}"
    assert request.parts[0].template == "app/bot.py::build_messages()[0].content"


@pytest.mark.parametrize("call,provider,api", [
    ("client.messages.create", "anthropic", "messages.create"),
    ("client.messages.stream", "anthropic", "messages.stream"),
    ("client.beta.messages.create", "anthropic", "beta.messages.create"),
    ("client.messages.with_raw_response.create", "anthropic", "messages.create"),
    ("client.chat.completions.create", "openai", "chat.completions.create"),
    ("client.beta.chat.completions.parse", "openai", "chat.completions.parse"),
    ("client.responses.create", "openai", "responses.create"),
    ("litellm.completion", "litellm", "completion"),
    ("litellm.acompletion", "litellm", "acompletion"),
])
def test_call_classification(call, provider, api):
    project = scan(f'''
        import litellm
        def f(client, q):
            return {call}(model="claude-sonnet-4-5", max_tokens=5, messages=[{{"role": "user", "content": q}}])
    ''')
    request = only_request(project)
    assert (request.provider, request.api) == (provider, api)
    assert request.stream == (api == "messages.stream")


def test_bare_litellm_completion_with_positional_arguments():
    project = scan('''
        from litellm import completion
        def f(q):
            return completion("gpt-4o-mini", [{"role": "user", "content": "Tag: " + q}], max_tokens=5)
    ''')
    request = only_request(project)
    assert (request.provider, request.model) == ("litellm", "gpt-4o-mini")
    assert template_text(project, request.parts[0]) == "Tag: {q}"


def test_other_sdks_and_free_endpoints_are_not_requests():
    project = scan('''
        def notify(twilio, anthropic_client, msgs):
            twilio.messages.create(body="Your order shipped", to="+15550100", from_="+15550199")
            anthropic_client.messages.count_tokens(model="claude-sonnet-4-5", messages=msgs)
            Order.objects.create(name="x")
    ''')
    assert project.requests == ()


def test_streaming_flag_loops_and_web_handlers():
    project = scan('''
        import anthropic
        client = anthropic.Anthropic()

        def nightly(tickets):
            for t in tickets:
                client.messages.create(model="claude-sonnet-4-5", max_tokens=5, messages=[{"role": "user", "content": t}])
            return [client.messages.create(model="claude-sonnet-4-5", max_tokens=5, stream=True,
                                           messages=[{"role": "user", "content": t}]) for t in tickets]

        @app.post("/chat")
        async def chat(q):
            return await client.messages.create(model="claude-sonnet-4-5", max_tokens=5, messages=[{"role": "user", "content": q}])
    ''')
    first, second, third = project.requests
    assert (first.in_loop, first.loop_kind, first.stream) == (True, "for", False)
    assert (second.loop_kind, second.stream) == ("comprehension", True)
    assert (third.in_loop, third.interactive, third.is_async) == (False, True, True)
    assert [r.id.rsplit("#", 1)[1] for r in project.requests] == ["1", "2", "1"]


def test_message_batches_each_params_is_a_batch_request():
    project = scan('''
        import anthropic
        client = anthropic.Anthropic()
        INSTRUCTIONS = "Tag the review as positive or negative."

        def tag_all(reviews):
            return client.messages.batches.create(requests=[
                {"custom_id": str(i), "params": {"model": "claude-haiku-4-5", "max_tokens": 5,
                 "system": INSTRUCTIONS, "messages": [{"role": "user", "content": r}]}}
                for i, r in enumerate(reviews)
            ])
    ''')
    request = only_request(project)
    assert request.batch and request.api == "messages.batches.create"
    assert request.parts[0].template == "app/bot.py::INSTRUCTIONS"


def test_prompt_named_constants_are_templates_with_placeholders():
    project = scan('''
        SUMMARY_TEMPLATE = 'Summarize for {audience}: {{ text }}. Reply as {"summary": "..."}.'
        support_prompt = """You are the support agent."""
        TIMEOUT_SECONDS = 30
        OTHER = "not a prompt by name"
    ''')
    assert set(project.templates) == {"app/bot.py::SUMMARY_TEMPLATE", "app/bot.py::support_prompt"}
    template = project.templates["app/bot.py::SUMMARY_TEMPLATE"]
    assert template.placeholders == ("audience", "text")
    assert '{"summary": "..."}' in template.text


def test_examples_constant_and_inline_few_shot_pairs():
    project = scan('''
        import anthropic
        client = anthropic.Anthropic()
        SENTIMENT_EXAMPLES = [
            {"input": "Love it", "output": "positive"},
            {"input": "Broken on arrival", "output": "negative"},
        ]

        def label(text):
            return client.messages.create(model="claude-haiku-4-5", max_tokens=3, messages=[
                {"role": "user", "content": "Great service"}, {"role": "assistant", "content": "positive"},
                {"role": "user", "content": "Late again"}, {"role": "assistant", "content": "negative"},
                {"role": "user", "content": text},
            ])
    ''')
    by_group: dict[str, list] = {}
    for example in project.examples:
        by_group.setdefault(example.group, []).append(example)
    assert [e.label for e in by_group["app/bot.py::SENTIMENT_EXAMPLES"]] == ["positive", "negative"]
    inline = by_group["app/bot.py::label::messages.create#1"]
    assert [e.label for e in inline] == ["positive", "negative"]
    assert all(len(e.templates) == 2 for e in inline)


def test_syntax_error_is_a_diagnostic_not_an_exception():
    result = extract_file("bad.py", "python", b"a = 1\nb = 2\nPROMPT = (]\n", PATTERNS)
    assert result.diagnostics and result.diagnostics[0].code == "PL001"
    assert "cannot parse Python" in result.diagnostics[0].message
    assert result.diagnostics[0].line == 3


def test_undecodable_and_nul_bytes_are_diagnostics():
    bad = extract_file("latin.py", "python", b"PROMPT = '\xe9t\xe9'\n", PATTERNS)
    nul = extract_file("nul.py", "python", b"PROMPT = 'a'\x00\n", PATTERNS)
    assert "UTF-8" in bad.diagnostics[0].message
    assert "NUL" in nul.diagnostics[0].message


def test_spans_point_at_the_source():
    source = 'PROMPT_A = "Be kind."\n'
    project = scan(source, path="p.py")
    template = project.templates["p.py::PROMPT_A"]
    assert (template.span.line, template.span.column) == (1, 12)
    assert source[template.span.start:template.span.end] == '"Be kind."'
