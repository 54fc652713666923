"""Inline suppressions, per-file ignores, and select/ignore by code, name or prefix, end to end."""

from __future__ import annotations

from conftest import as_json, run_analysis

from promptlint.suppress import scan_suppressions

UNCAPPED = """\
from openai import OpenAI

client = OpenAI()


def summarize(text):
    return client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Summarize the ticket in three bullet points.\\n\\n" + text}],
    )@SUFFIX@
"""

FILLER = '''\
SUPPORT_PROMPT = """You answer questions about ACME Home orders.
Please read the order record carefully. It is very important that you reply in English.
Make sure to include the order number. Thank you!
"""@SUFFIX@
'''


def _at_end(source: str, suffix: str) -> str:
    return source.replace("@SUFFIX@", suffix)


def codes(analysis):
    return sorted(f.finding.code for f in analysis.findings)


def test_inline_ignore_on_the_finding_line_and_on_the_closing_line(project):
    root = project({
        "a.py": _at_end(UNCAPPED, ""),
        "b.py": _at_end(FILLER, ""),
    })
    assert codes(run_analysis(root, select=("PL301", "PL103"))) == ["PL103", "PL301"]

    # PL301 points at the call; a directive after its closing parenthesis covers it.
    root.joinpath("a.py").write_text(_at_end(UNCAPPED, "  # promptlint: ignore[PL301]"))
    # PL103 points inside a triple-quoted string; the directive goes after the closing quotes.
    root.joinpath("b.py").write_text(_at_end(FILLER, "  # promptlint: ignore[filler-phrase]"))
    assert codes(run_analysis(root, select=("PL301", "PL103"))) == []


def test_directive_for_another_rule_or_line_does_not_suppress(project):
    root = project({"a.py": _at_end(UNCAPPED, "  # promptlint: ignore[PL201, PL1]")})
    assert codes(run_analysis(root, select=("PL301",))) == ["PL301"]
    bare = project({"a.py": _at_end(UNCAPPED, "  # promptlint: ignore")})
    assert codes(run_analysis(bare, select=("PL301",))) == []


def test_prefix_selector_in_a_directive(project):
    root = project({"b.py": _at_end(FILLER, "  # promptlint: ignore[PL1]")})
    assert codes(run_analysis(root, select=("PL103",))) == []


def test_per_file_ignores_by_glob_code_name_and_prefix(project):
    root = project({"app/a.py": _at_end(UNCAPPED, ""), "scripts/b.py": _at_end(FILLER, "")})
    assert codes(run_analysis(root, select=("PL301", "PL103"))) == ["PL103", "PL301"]
    config = {"per-file-ignores": {"scripts/**": ["PL1"], "app/*.py": ["missing-max-tokens"]}}
    assert codes(run_analysis(root, config, select=("PL301", "PL103"))) == []
    config = {"per-file-ignores": {"scripts/**": ["PL3"]}}
    assert codes(run_analysis(root, config, select=("PL301", "PL103"))) == ["PL103", "PL301"]


def test_jinja_comment_form_is_read_by_the_line_scan():
    text = "{# promptlint: ignore[PL102] #}\nYou are a world-class expert.\n{{ question }} {# promptlint: ignore #}\n"
    assert scan_suppressions(text) == {1: frozenset({"PL102"}), 3: None}


def test_yaml_comment_form_is_read_by_the_line_scan():
    text = "system: |\n  Please answer.\nmodel: claude-opus-4-1  # promptlint: ignore[PL401,PL3]\n"
    assert scan_suppressions(text) == {3: frozenset({"PL401", "PL3"})}


def test_select_and_ignore_by_code_name_and_prefix_on_the_command_line(project, cli):
    root = project({"a.py": _at_end(UNCAPPED, ""), "b.py": _at_end(FILLER, "")})

    def run(*args):
        code, out, err = cli(root, "check", ".", "--format", "json", *args)
        return code, sorted({f["code"] for f in as_json(out)["findings"]}) if code != 2 else err

    assert run("--select", "PL1") == (0, ["PL103"])  # PL103 is info: below the default fail-on
    assert run("--select", "PL1", "--fail-on", "info") == (1, ["PL103"])
    assert run("--select", "missing-max-tokens") == (1, ["PL301"])
    assert run("--select", "PL103,PL301") == (1, ["PL103", "PL301"])
    assert run("--ignore", "PL3,filler-phrase")[1] == []
    assert run("--select", "ALL", "--ignore", "PL103")[1] == ["PL301"]
    code, err = run("--select", "PL7")
    assert code == 2 and "--select: `PL7` is no rule code, name or prefix" in err


def test_select_and_ignore_from_config(project, cli):
    root = project({"a.py": _at_end(UNCAPPED, ""), "b.py": _at_end(FILLER, ""),
                    "promptlint.toml": 'select = ["PL1", "PL3"]\nignore = ["missing-max-tokens"]\n'})
    code, out, _ = cli(root, "check", ".", "--format", "json")
    assert sorted({f["code"] for f in as_json(out)["findings"]}) == ["PL103"]
