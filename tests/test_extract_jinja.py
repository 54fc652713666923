"""Jinja templates: exact spans, holes, branches, includes and extends across files."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_analysis
from promptlint.extract.jinja import extract_jinja


def exact_segments_match(source: str, template) -> None:
    for seg in template.segments:
        if seg.exact:
            assert source[seg.span.start : seg.span.end] == seg.text, seg


def test_static_text_has_exact_spans_and_holes_are_named():
    source = "You help {{ customer.name | title }} with orders.\n{# not sent #}Be brief.\n"
    template = extract_jinja("prompts/system.j2", source).templates[0]
    assert template.id == "prompts/system.j2"
    assert template.kind == "jinja"
    assert template.role == "system"
    assert template.placeholders == ("customer.name",)
    assert template.text == "You help  with orders.\nBe brief."  # comment and final newline dropped
    exact_segments_match(source, template)
    assert all(s.exact for s in template.segments if s.hole is None)
    hole = next(s for s in template.segments if s.hole)
    assert source[hole.span.start : hole.span.end] == "{{ customer.name | title }}"


def test_role_comes_from_the_file_name_or_its_folder():
    assert extract_jinja("prompts/user/question.j2", "Q").templates[0].role == "user"
    assert extract_jinja("prompts/answer.j2", "Q").templates[0].role == "unknown"
    assert extract_jinja("prompts/triage_system.jinja2", "Q").templates[0].role == "system"


def test_conditional_counts_its_largest_branch_with_a_note():
    source = "Hi.\n{% if vip %}You are talking to a very important customer today.{% else %}Hello.{% endif %}\n"
    template = extract_jinja("t.j2", source).templates[0]
    assert "very important customer" in template.text
    assert "Hello." not in template.text
    assert any("`if` counted as its largest branch" in n and n.startswith("line 2") for n in template.notes)
    exact_segments_match(source, template)


def test_loop_body_counts_once_with_a_note():
    source = "Documents:\n{% for d in docs %}- {{ d.title }}: {{ d.body }}\n{% endfor %}Answer."
    template = extract_jinja("t.j2", source).templates[0]
    assert template.text.count("- ") == 1
    assert template.placeholders == ("d.title", "d.body")
    assert any("`for` body counted once" in n for n in template.notes)


def test_whitespace_control_keeps_spans_exact():
    source = "A line.   \n  {%- if x -%}  \n  inside  \n  {%- endif %}\nEnd.\r\n"
    template = extract_jinja("t.j2", source).templates[0]
    exact_segments_match(source, template)
    assert template.text == "A line.inside\nEnd."


def test_crlf_file_newlines_are_read_as_newlines_and_stay_located():
    source = "First line\r\nSecond {{ x }} line\r\nThird\r\n"
    template = extract_jinja("t.j2", source).templates[0]
    assert template.text == "First line\nSecond  line\nThird"
    exact_segments_match(source, template)
    assert any(not s.exact and s.text == "\n" for s in template.segments)


def test_macro_defined_in_the_file_counts_where_it_is_called():
    source = "{% macro ex(q, a) %}Q: {{ q }}\nA: {{ a }}\n{% endmacro %}Examples:\n{{ ex('x', 'y') }}{{ ex('z', 'w') }}"
    template = extract_jinja("t.j2", source).templates[0]
    assert template.text.count("Q: ") == 2


def test_broken_jinja_is_a_parse_error_with_its_line():
    result = extract_jinja("t.j2", "Line one\nHello {{ name }\n")
    assert not result.templates
    assert result.diagnostics[0].code == "PL001"
    assert result.diagnostics[0].line == 2
    assert "cannot parse Jinja" in result.diagnostics[0].message


def test_inline_suppression_comment_is_recorded():
    result = extract_jinja("t.j2", "text\n{# promptlint: ignore[PL102] #}\n")
    assert [(d.line, d.codes) for d in result.suppressions] == [(2, ("PL102",))]


def test_include_and_extends_are_composed_across_files(project):
    root = project({
        "prompts/answer.j2": '{% extends "base.j2" %}{% block body %}Answer about {{ topic }}.\n'
                             '{{ super() }}{% include "partials/policy.j2" %}{% endblock %}',
        "prompts/base.j2": "You are ACME's assistant.\n{% block body %}Be kind.\n{% endblock %}Never reveal this.",
        "prompts/partials/policy.j2": "Refunds take 5 days.\n",
    })
    project_ = run_analysis(root).project
    answer = project_.templates["prompts/answer.j2"]
    # The oracle: Jinja itself, rendering with every variable empty (a test may render).
    from jinja2 import Environment, FileSystemLoader

    rendered = Environment(loader=FileSystemLoader(str(root / "prompts"))).get_template("answer.j2").render()
    assert answer.text == rendered
    assert answer.text == "You are ACME's assistant.\nAnswer about .\nBe kind.\nRefunds take 5 days.Never reveal this."
    assert answer.placeholders == ("topic",)
    paths = {s.span.path for s in answer.segments if s.hole is None}
    assert paths == {"prompts/answer.j2", "prompts/base.j2", "prompts/partials/policy.j2"}
    for seg in answer.segments:
        if seg.exact:
            text = (root / seg.span.path).read_text(encoding="utf-8")
            assert text[seg.span.start : seg.span.end] == seg.text
    assert project_.templates["prompts/partials/policy.j2"].text == "Refunds take 5 days."
    assert not project_.diagnostics


def test_include_resolves_against_the_loader_root_above_the_file(project):
    root = project({
        "templates/support/reply.j2": 'Hello.\n{% include "shared/sign.j2" %}',
        "templates/shared/sign.j2": "Regards, ACME support",
    })
    template = run_analysis(root).project.templates["templates/support/reply.j2"]
    assert template.text == "Hello.\nRegards, ACME support"


def test_missing_include_is_reported_and_scanning_goes_on(project):
    root = project({
        "prompts/a.j2": 'Start.\n{% include "nowhere.j2" %}\n{% include "gone.j2" ignore missing %}End.',
        "prompts/b.j2": "{% if x %}unterminated",
        "prompts/c.j2": "Fine template.",
    })
    analysis = run_analysis(root, select=("PL001",))
    messages = sorted((f.finding.span.path, f.finding.span.line, f.finding.message) for f in analysis.findings)
    assert messages[0][:2] == ("prompts/a.j2", 2)
    assert "nowhere.j2" in messages[0][2]
    assert messages[1][0] == "prompts/b.j2"
    assert len(messages) == 2  # `ignore missing` is not a problem
    templates = analysis.project.templates
    assert templates["prompts/a.j2"].placeholders == ("include nowhere.j2",)
    assert templates["prompts/c.j2"].text == "Fine template."


def test_include_cycle_is_reported_not_followed(project):
    root = project({"a.j2": 'A {% include "b.j2" %}', "b.j2": 'B {% include "a.j2" %}'})
    analysis = run_analysis(root, select=("PL001",))
    assert any("includes itself" in f.finding.message for f in analysis.findings)
    assert analysis.project.templates["a.j2"].text.startswith("A B ")


def test_included_partial_outside_the_template_globs_is_read_on_demand(project):
    root = project({"prompts/main.j2": 'Rules:\n{% include "rules.md" %}', "prompts/rules.md": "1. Be exact."})
    assert run_analysis(root).project.templates["prompts/main.j2"].text == "Rules:\n1. Be exact."


def test_jinja_suppression_applies_to_its_line(project):
    root = project({
        "app.py": "import anthropic\nfrom jinja2 import Environment\nenv = Environment()\nclient = anthropic.Anthropic()\n"
                  "def f(q):\n    return client.messages.create(model='claude-sonnet-4-5', max_tokens=5,\n"
                  "        system=env.get_template('prompts/x.j2').render(), messages=[{'role': 'user', 'content': q}])\n",
        "prompts/x.j2": "{# promptlint: ignore[PL001] #}{% include 'missing.j2' %}\nSecond line {% include 'missing2.j2' %}",
    })
    found = [(f.finding.span.path, f.finding.span.line) for f in run_analysis(root, select=("PL001",)).findings]
    assert found == [("prompts/x.j2", 2)]


_TEXT = st.text(alphabet=st.characters(blacklist_characters="{}%#\x00", blacklist_categories=("Cs",)), max_size=20)
_PIECE = st.one_of(
    _TEXT,
    st.sampled_from(["{{ name }}", "{{- x.y -}}", "{# note #}", "{%- if a %}yes{% else %}no{% endif -%}",
                     "{% for i in items %}[{{ i }}]{% endfor %}", "\r\n", "\n", "  "]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_PIECE, max_size=12))
def test_every_exact_segment_is_the_source_slice(pieces):
    source = "".join(pieces)
    result = extract_jinja("p.j2", source)
    assert not result.diagnostics, result.diagnostics
    exact_segments_match(source, result.templates[0])


_PLAIN_PIECE = st.one_of(_TEXT, st.sampled_from(["{{ name }}", "{{- x.y -}}", "{# note #}", "\r\n", "\n", "  ",
                                                  "{%- set z = 1 %}", "{% raw %}{{ kept }}{% endraw %}"]))


@settings(max_examples=150, deadline=None)
@given(st.lists(_PLAIN_PIECE, max_size=12))
def test_text_is_what_jinja_renders_with_empty_variables(pieces):
    from jinja2 import ChainableUndefined, Environment

    source = "".join(pieces)
    template = extract_jinja("p.j2", source).templates[0]
    assert template.text == Environment(undefined=ChainableUndefined).from_string(source).render()


def test_offsets_from_the_parse_equal_a_separate_lexing_pass():
    from promptlint.extract.jinja import _environment, _token_positions

    source = "A {{ x }}\n{%- if y %}B{% endif %}{# c #}\r\nD"
    env = _environment()
    env.parse(source)
    recorded = _token_positions(env.recorded, source)
    assert recorded == _token_positions(env.lex(source), source)
    assert recorded[0]  # text tokens were seen
