"""YAML prompt files: prompt-shaped keys, exact spans, requests, promptfoo, Semantic Kernel, bad input."""

from __future__ import annotations

import time

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_analysis
from promptlint.extract.yaml_prompts import extract_yaml


def by_id(result):
    return {t.id: t for t in result.templates}


def check_exact(source: str, template) -> None:
    for seg in template.segments:
        if seg.exact:
            assert source[seg.span.start : seg.span.end] == seg.text, seg


CLASSIFY = """\
name: classify
model: claude-haiku-4-5
max_tokens: 5
system: |
  You classify support messages into: billing, shipping, other.
    Answer with the label only.

examples:
  - input: "Where is my parcel?"
    output: shipping
  - input: 'I was charged twice'
    output: billing
user: "Message from {{ customer }}: {message}"
"""


def test_prompt_keys_become_templates_with_exact_spans_and_roles():
    result = extract_yaml("prompts/classify.yaml", CLASSIFY)
    templates = by_id(result)
    system = templates["prompts/classify.yaml::system"]
    assert system.role == "system"
    assert system.kind == "yaml"
    assert system.text == "You classify support messages into: billing, shipping, other.\n  Answer with the label only.\n"
    assert (system.span.line, system.span.end_line) == (4, 8)
    assert all(s.exact for s in system.segments)
    user = templates["prompts/classify.yaml::user"]
    assert user.placeholders == ("customer", "message")
    assert user.role == "user"
    for template in templates.values():
        check_exact(CLASSIFY, template)
    assert templates["prompts/classify.yaml::examples[1].input"].segments[0].exact  # single-quoted, no escapes


def test_examples_are_few_shot_examples_with_labels():
    result = extract_yaml("prompts/classify.yaml", CLASSIFY)
    assert [(e.group, e.label) for e in result.examples] == [
        ("prompts/classify.yaml::examples", "shipping"), ("prompts/classify.yaml::examples", "billing")]
    assert result.examples[0].templates == ("prompts/classify.yaml::examples[0].input",
                                            "prompts/classify.yaml::examples[0].output")


def test_sibling_model_and_max_tokens_make_a_request(project):
    root = project({"prompts/classify.yaml": CLASSIFY})
    project_ = run_analysis(root).project
    (request,) = project_.requests
    assert request.id == "prompts/classify.yaml::request"
    assert (request.provider, request.api, request.model, request.max_tokens) == ("yaml", "prompt-file",
                                                                                  "claude-haiku-4-5", 5)
    assert request.span.line == 2  # the model key: where a reader looks
    assert request.templates[0] == "prompts/classify.yaml::system"
    assert request.templates[-1] == "prompts/classify.yaml::user"
    assert [p.role for p in request.parts] == ["system", "user", "assistant", "user", "assistant", "user"]


def test_inexact_values_keep_their_span_but_are_not_edited_in_place():
    source = 'folded_prompt: >\n  one\n  two\nescaped_prompt: "tab\\there"\nplain_prompt: a\n  b c\n'
    templates = by_id(extract_yaml("p.yaml", source))
    for key, text in (("folded_prompt", "one two\n"), ("escaped_prompt", "tab\there"), ("plain_prompt", "a b c")):
        template = templates[f"p.yaml::{key}"]
        assert template.text == text
        assert not any(s.exact for s in template.segments)


def test_weak_keys_need_prose_so_config_files_are_not_prompts():
    compose = 'services:\n  web:\n    user: "1000:1000"\n    image: python:3.12\n    command: ["run"]\n'
    assert not extract_yaml("docker-compose.yml", compose).templates
    k8s = "spec:\n  template:\n    metadata:\n      labels: {app: web}\n"
    assert not extract_yaml("deploy.yaml", k8s).templates
    prose = "system: You are a careful assistant for legal questions.\nuser: '{q}'\n"
    assert set(by_id(extract_yaml("p.yaml", prose))) == {"p.yaml::system", "p.yaml::user"}


def test_messages_lists_and_aliases_are_followed_once():
    source = """\
base: &base
  system_prompt: You are a terse assistant that answers in one sentence.
agents:
  summarize:
    <<: *base
    model: gpt-4o-mini
    max_completion_tokens: 200
    messages:
      - role: user
        content: "Summarize: {text}"
      - role: assistant
        content: A short summary.
      - role: user
        content: "{follow_up}"
"""
    result = extract_yaml("agents.yaml", source)
    templates = by_id(result)
    assert "agents.yaml::base.system_prompt" in templates
    assert not any("summarize.system_prompt" in t for t in templates)  # the alias reuses the template
    (draft,) = result.drafts
    assert draft.id == "agents.yaml::agents.summarize"
    assert [k for k, _ in draft.params] == ["messages", "model", "max_completion_tokens"]
    messages = draft.param("messages").items
    assert messages[0].get("content").origin == "agents.yaml::base.system_prompt"


def test_promptfoo_prompts_link_files_and_inline_prompts_are_templates(project):
    root = project({
        "promptfooconfig.yaml": "prompts:\n  - file://prompts/summary.txt\n  - 'Answer: {{question}}'\n"
                                "  - file://prompts/*.txt\nproviders:\n  - anthropic:messages:claude-sonnet-4-5\n",
        "prompts/summary.txt": "Summarize {{text}} in one line.\n",
    })
    project_ = run_analysis(root).project
    assert project_.templates["promptfooconfig.yaml::prompts[1]"].placeholders == ("question",)
    linked = project_.templates["prompts/summary.txt"]
    assert (linked.kind, linked.placeholders) == ("text", ("text",))
    assert not project_.requests  # an eval config makes test calls, not traffic


def test_semantic_kernel_template_is_split_into_messages():
    source = """\
name: Chat
template_format: handlebars
template: |
  <message role="system">You are a helpful assistant for {{company}}.</message>
  <message role="user">{{request}}</message>
execution_settings:
  default:
    max_tokens: 800
    model_id: gpt-4o
"""
    result = extract_yaml("sk.yaml", source)
    templates = by_id(result)
    assert set(templates) == {"sk.yaml::template.messages[0]", "sk.yaml::template.messages[1]"}
    assert templates["sk.yaml::template.messages[0]"].role == "system"
    assert templates["sk.yaml::template.messages[0]"].text == "You are a helpful assistant for ."
    for t in templates.values():
        check_exact(source, t)
    (draft,) = result.drafts
    assert draft.api == "semantic-kernel"
    assert draft.param("max_tokens").value == 800


def test_multiple_documents_get_their_own_ids():
    result = extract_yaml("p.yaml", "prompt: first prompt here\n---\nprompt: second prompt here\n")
    assert set(by_id(result)) == {"p.yaml::prompt", "p.yaml::doc[1].prompt"}


def test_broken_yaml_is_a_parse_error_with_its_line(project):
    root = project({"bad.yaml": "system: ok prompt text here\nuser: [unclosed\n", "good.yaml": "prompt: Summarize it.\n"})
    analysis = run_analysis(root)
    errors = [f.finding for f in analysis.findings if f.finding.code == "PL001"]
    assert [(e.span.path, e.span.line) for e in errors] == [("bad.yaml", 3)]
    assert "good.yaml::prompt" in analysis.project.templates


def test_billion_laughs_stops_early_with_a_diagnostic():
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    lines.append("prompt: [" + ", ".join(["*i"] * 9) + "]")
    started = time.perf_counter()
    result = extract_yaml("bomb.yaml", "\n".join(lines) + "\n")
    assert time.perf_counter() - started < 5
    assert "aliases expand past" in result.diagnostics[0].message


def test_deep_nesting_is_a_diagnostic_not_a_crash():
    result = extract_yaml("deep.yaml", "[" * 5000 + "]" * 5000)
    assert result.diagnostics and result.diagnostics[0].code == "PL001"


def test_tags_are_never_constructed(monkeypatch):
    import os

    def forbidden(*args):
        raise AssertionError("a YAML tag was executed")

    monkeypatch.setattr(os, "system", forbidden)
    source = "hook: !!python/object/apply:os.system ['echo hacked']\nsystem: You are a helpful assistant here.\n"
    result = extract_yaml("p.yaml", source)
    assert set(by_id(result)) == {"p.yaml::system"}


_LINE = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff\x85"),
                max_size=30).map(str.rstrip)


@settings(max_examples=150, deadline=None)
@given(st.lists(_LINE, min_size=1, max_size=6), st.sampled_from(["|", "|-", "|+"]), st.integers(1, 4))
def test_literal_blocks_map_back_to_the_exact_source(lines, indicator, indent):
    pad = " " * indent
    body = "".join(f"{pad}{line}\n" if line else "\n" for line in lines)
    source = f"system_prompt: {indicator}\n{body}other: 1\n"
    try:
        expected = yaml.safe_load(source)["system_prompt"]
    except yaml.YAMLError:
        return
    if not isinstance(expected, str) or not expected.strip():
        return
    template = extract_yaml("p.yaml", source).templates[0]
    # A placeholder (``{{0}}``) is a hole: its source slice stands in for its text.
    assert "".join(s.text if s.hole is None else source[s.span.start:s.span.end] for s in template.segments) == expected
    check_exact(source, template)


def test_deep_block_nesting_keeps_the_shallow_prompts():
    deep = "".join(" " * i + f"k{i}:\n" for i in range(900)) + " " * 900 + "v\n"
    result = extract_yaml("deep.yaml", "system_prompt: Answer in French, briefly.\ndata:\n" +
                          "".join("  " + line + "\n" for line in deep.splitlines()))
    assert [t.id for t in result.templates] == ["deep.yaml::system_prompt"]


NOT_PROMPTS = {
    ".github/workflows/ci.yml": """\
name: CI
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Run tests
        run: |
          pip install -e .[test]
          pytest -q
""",
    "openapi.yaml": """\
openapi: 3.0.0
paths:
  /orders:
    get:
      description: List the orders of the current user, newest first.
      responses:
        '200':
          description: The orders.
          content:
            application/json:
              examples:
                one: {value: {id: 1}}
""",
    "docker-compose.yml": "services:\n  db:\n    image: postgres\n    user: postgres\n    environment:\n      POSTGRES_USER: app\n",
    ".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n    rev: v0.6.0\n    hooks:\n      - id: ruff\n",
    "mkdocs.yml": "site_name: Docs\ntheme:\n  name: material\nnav:\n  - Home: index.md\n",
    "environment.yml": "name: app\nchannels: [conda-forge]\ndependencies:\n  - python=3.12\n",
    "ansible/site.yml": "- hosts: web\n  tasks:\n    - name: config\n      template:\n        src: nginx.conf.j2\n        dest: /etc/nginx/nginx.conf\n",
}


def test_common_non_prompt_yaml_files_hold_no_prompts(project):
    root = project(NOT_PROMPTS)
    analysis = run_analysis(root)
    assert not analysis.project.templates
    assert not analysis.project.requests
    assert not analysis.findings
