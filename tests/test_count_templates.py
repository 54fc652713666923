"""``promptlint count FILE`` reads template files as ``check`` does."""

from __future__ import annotations

from conftest import as_json


def test_count_jinja_file_includes_what_it_includes(project, cli):
    root = project({"prompts/a.j2": "Intro for {{ name }}.\n{% include 'b.j2' %}", "prompts/b.j2": "Included rules text."})
    code, out, _ = cli(root, "count", "prompts/a.j2", "--model", "claude-sonnet-4-5", "--format", "json")
    assert code == 0
    result = as_json(out)
    assert result["placeholders"] == ["name"]
    assert result["characters"] == len("Intro for .\nIncluded rules text.")


def test_count_yaml_and_prompty_count_prompt_text_only(project, cli):
    root = project({
        "p.yaml": "model: gpt-4o\nsystem: You are a short answer bot for billing.\nuser: '{{ q }}'\n",
        "s.prompty": "---\nname: s\n---\nsystem:\nBe brief.\nuser:\n{{question}}\n",
    })
    result = as_json(cli(root, "count", "p.yaml", "--model", "gpt-4o", "--format", "json")[1])
    assert result["characters"] == len("You are a short answer bot for billing.\n")
    assert result["placeholders"] == ["q"]
    result = as_json(cli(root, "count", "s.prompty", "--model", "gpt-4o", "--format", "json")[1])
    assert result["placeholders"] == ["question"]
    assert result["characters"] == len("Be brief.\n\n")


def test_count_broken_template_is_a_usage_error(project, cli):
    root = project({"bad.j2": "{% if %}"})
    code, _, err = cli(root, "count", "bad.j2", "--model", "gpt-4o")
    assert code == 2
    assert "cannot parse Jinja" in err
