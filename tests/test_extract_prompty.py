"""``.prompty`` files: front matter settings and a Jinja body split into messages."""

from __future__ import annotations

from conftest import run_analysis
from promptlint.extract.yaml_prompts import extract_yaml

PROMPTY = """\
---
name: Support
model:
  api: chat
  configuration:
    type: azure_openai
    azure_deployment: gpt-4o
  parameters:
    max_tokens: 400
sample:
  question: Where is my order?
---
system:
You are a support agent for ACME. Be concise.
{% if vip %}This customer is a VIP: offer express shipping.{% endif %}

user:
What is your return policy?

assistant:
Thirty days for unused items.

# user:
{{question}}
"""


def test_body_is_split_into_role_messages_with_exact_spans():
    result = extract_yaml("support.prompty", PROMPTY)
    templates = {t.id: t for t in result.templates}
    assert [(t.role, t.span.line) for t in templates.values()] == [
        ("system", 14), ("user", 18), ("assistant", 21), ("user", 24)]
    system = templates["support.prompty::messages[0]"]
    assert system.text.startswith("You are a support agent for ACME. Be concise.\nThis customer is a VIP")
    assert any("`if` counted as its largest branch" in n for n in system.notes)
    assert not templates["support.prompty::messages[1]"].notes
    assert templates["support.prompty::messages[3]"].placeholders == ("question",)
    for template in templates.values():
        for seg in template.segments:
            if seg.exact:
                assert PROMPTY[seg.span.start : seg.span.end] == seg.text


def test_prompty_is_a_request_with_its_model_and_cap(project):
    root = project({"support.prompty": PROMPTY})
    (request,) = run_analysis(root).project.requests
    assert (request.provider, request.api, request.model, request.max_tokens) == ("yaml", "prompty", "gpt-4o", 400)
    assert [p.role for p in request.parts] == ["system", "user", "assistant", "user"]


def test_demonstration_turns_are_examples():
    result = extract_yaml("support.prompty", PROMPTY)
    (example,) = result.examples
    assert example.templates == ("support.prompty::messages[1]", "support.prompty::messages[2]")
    assert example.label == "Thirty days for unused items."


def test_body_without_role_lines_is_one_system_message():
    result = extract_yaml("p.prompty", "---\nmodel:\n  configuration:\n    name: gpt-4o-mini\n---\nSummarize {{text}}.\n")
    (template,) = result.templates
    assert template.role == "system"
    assert result.drafts[0].param("model").text == "gpt-4o-mini"


def test_unclosed_front_matter_and_bad_body_are_parse_errors():
    unclosed = extract_yaml("a.prompty", "---\nname: x\nsystem:\nHello\n")
    assert "no closing" in unclosed.diagnostics[0].message
    bad = extract_yaml("b.prompty", "---\nname: x\n---\nsystem:\nHello {% if %}\n")
    assert bad.diagnostics[0].code == "PL001" and bad.diagnostics[0].line == 5
    assert bad.templates  # the text is still counted, with regex holes
