"""Inline suppressions, per-file ignores, and select/ignore by code, name or prefix, end to end."""

from __future__ import annotations

from conftest import as_json, run_analysis

from promptlint.suppress import jinja_suppressions, markdown_suppressions, prompty_suppressions, python_suppressions, \
    yaml_suppressions

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


def _read(directives) -> list[tuple]:
    return [(d.line, d.column, d.codes) for d in directives]


def test_jinja_comment_form():
    text = "{# promptlint: ignore[PL102] #}\nYou are a world-class expert.\n{{ question }} {# promptlint: ignore #}\n"
    assert _read(jinja_suppressions(text)) == [(1, 4, ("PL102",)), (3, 19, None)]
    assert jinja_suppressions("Write `# promptlint: ignore[PL102]` to the user.\n") == ()


def test_yaml_comment_form_and_not_inside_scalars():
    text = "system: |\n  Please answer.\nmodel: claude-opus-4-1  # promptlint: ignore[PL401,PL3]\n"
    assert _read(yaml_suppressions(text)) == [(3, 27, ("PL401", "PL3"))]
    for inside in ('system: "Keep # promptlint: ignore[PL1] as is"\n', "system: |\n  # promptlint: ignore\n  Answer.\n",
                   "system: >-\n  text\n  # promptlint: ignore\n", "system: plain#promptlint: ignore\n"):
        assert yaml_suppressions(inside) == (), inside


def test_python_comments_only_never_string_literals():
    """Before: the directive was honoured inside a string literal, i.e. in text sent to the model."""
    text = ('PROMPT = "Reply with # promptlint: ignore[PL103] verbatim."\n'
            "DOC = '''\n# promptlint: ignore\n'''  # promptlint: ignore[PL104]\n"
            "x = f\"{a!r} # noqa: PL201\"  # noqa: E501, PL301\n")
    assert _read(python_suppressions(text)) == [(4, 8, ("PL104",)), (5, 31, ("E501", "PL301"))]
    assert [d.noqa for d in python_suppressions(text)] == [False, True]
    assert python_suppressions("x = 1  # noqa\n") == (), "a bare noqa is another tool's"


def test_source_this_python_cannot_tokenize_still_finds_comments_only():
    text = ('def f(:\n    s = "# promptlint: ignore"  # promptlint: ignore[PL301]\n'
            '    r = r"a\\"# not a comment"  # noqa: PL201\n')
    assert _read(python_suppressions(text)) == [(2, 35, ("PL301",)), (3, 34, ("PL201",))]


def test_prompty_front_matter_and_body_and_markdown():
    prompty = ("---\nmodel:\n  api: chat  # promptlint: ignore[PL403]\n---\nsystem:\n"
               "Answer. # promptlint: ignore[PL1]\n{# promptlint: ignore[PL102] #}\n")
    assert _read(prompty_suppressions(prompty)) == [(3, 16, ("PL403",)), (7, 4, ("PL102",))]
    assert _read(markdown_suppressions("Answer.\n<!-- promptlint: ignore[PL103] -->\n# promptlint: ignore\n")) == \
        [(2, 6, ("PL103",))]


def test_noqa_alias_silences_our_code_and_leaves_others(project):
    root = project({"a.py": _at_end(UNCAPPED, "  # noqa: E501,PL301")})
    assert codes(run_analysis(root, select=("PL301", "PL900"))) == []
    root = project({"a.py": _at_end(UNCAPPED, "  # noqa")})
    assert codes(run_analysis(root, select=("PL301",))) == ["PL301"], "a bare noqa is ruff's, not ours"


def test_a_directive_inside_a_prompt_does_not_silence_it(project):
    """The directive in the text is part of what the model reads, and is not a comment."""
    text = FILLER.replace("Thank you!", "Thank you! # promptlint: ignore[PL103]")
    root = project({"b.py": _at_end(text, "")})
    assert codes(run_analysis(root, select=("PL103",))) == ["PL103"]


def test_unused_and_unknown_suppressions_are_reported(project):
    root = project({
        "a.py": _at_end(UNCAPPED, "  # promptlint: ignore[PL301, PL103, PL2O1]"),
        "b.py": _at_end(FILLER, "  # promptlint: ignore[filler-phrase]"),
    })
    found = {(f.finding.code, f.finding.span.path, f.finding.message) for f in run_analysis(root).findings}
    pl900 = sorted((path, message) for code, path, message in found if code == "PL900")
    assert len(pl900) == 1, pl900  # one finding per directive, naming both problems
    assert pl900[0][1] == ("`promptlint: ignore` names an unknown rule: `PL2O1` (did you mean `PL201`?); "
                           "unused suppression: no `PL103` finding on this line to silence")
    assert not [f for f in found if f[0] in ("PL301", "PL103")], "the used codes still silence"
    assert all(path == "a.py" for path, _ in pl900), "b.py's directive was used"


def test_an_unused_directive_can_itself_be_silenced(project):
    root = project({"a.py": _at_end(UNCAPPED, "  # promptlint: ignore[PL103, PL900]")})
    assert codes(run_analysis(root, select=("PL103", "PL900"))) == []


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
