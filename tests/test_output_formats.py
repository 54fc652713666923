"""SARIF (validated against the official 2.1.0 schema), GitHub workflow commands and Markdown."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from conftest import run_analysis, write_tree
from promptlint.report import View, saving_note
from promptlint.report.github import command, escape_data, escape_property
from promptlint.report.markdown import cell, code
from support_app import support_app

SCHEMA = json.loads((Path(__file__).parent / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
SUMMARIZE = (
    "def summarize(text):\n"
    "    oai = OpenAI()\n"
    '    return oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": f"Summarize: {text}"}])\n'
)
TERSE = (
    "def terse(question):\n"
    "    return client.messages.create(\n"
    '        model="claude-sonnet-4-5", max_tokens=300,\n'
    '        system=[{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}],\n'
    '        messages=[{"role": "user", "content": question}],\n'
    "    )\n"
)
LEGACY = (
    "def legacy(question):\n"
    '    return client.messages.create(model="claude-sonet-4-5", max_tokens=300,\n'
    '                                  messages=[{"role": "user", "content": question}])\n'
)
TREE = {
    **support_app(120, functions=(SUMMARIZE, TERSE, LEGACY), imports="from openai import OpenAI\n"),
    "app/broken.py": 'SYSTEM_PROMPT = """You are a support agent.\n',
}


def validate(doc: dict) -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(doc)


@pytest.fixture
def tree(tmp_path):
    return write_tree(tmp_path, TREE)


def test_the_schema_is_the_official_one():
    assert SCHEMA["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        validate({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]})  # a driver needs a name


def test_check_sarif_validates_and_carries_rules_locations_and_dollars(tree, cli):
    code_, out, _ = cli(tree, "check", "--format", "sarif")
    assert code_ == 1
    doc = json.loads(out)
    validate(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)), "one rule entry per code"
    analysis = run_analysis(tree)
    assert ids == sorted(r.code for r in analysis.rules)
    pl201 = rules[ids.index("PL201")]
    assert pl201["name"] == "missing-cache-breakpoint"
    assert "Why it costs money" in pl201["help"]["markdown"] and pl201["defaultConfiguration"]["level"] == "warning"
    assert rules[ids.index("PL203")]["defaultConfiguration"]["level"] == "note"

    results = run["results"]
    assert {r["ruleId"] for r in results} >= {"PL001", "PL201", "PL203", "PL301", "PL403"}
    assert len(results) == len(analysis.findings)
    for result, priced in zip(results, analysis.findings):
        f = priced.finding
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == f.code
        region = result["locations"][0]["physicalLocation"]["region"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == f.span.path
        assert (region["startLine"], region["startColumn"]) == (f.span.line, f.span.column)
        assert result["level"] == {"error": "error", "warning": "warning", "info": "note"}[f.severity]
        if priced.price is not None:
            assert result["properties"]["usdPerMonth"] == pytest.approx(priced.price.usd_per_month, rel=1e-5)
            assert result["properties"]["tokensSaved"] == f.saving.tokens
    cache = next(r for r in results if r["ruleId"] == "PL201")
    assert cache["properties"]["usdPerMonth"] > 0 and cache["properties"]["exposure"] is False
    assert "$" in cache["message"]["text"] and cache["properties"]["request"] == "app/bot.py::answer::messages.create#1"
    cap = next(r for r in results if r["ruleId"] == "PL301")
    assert cap["properties"]["exposure"] is True
    assert run["columnKind"] == "unicodeCodePoints"
    assert "uri" not in run["originalUriBaseIds"]["%SRCROOT%"], "no absolute path of the machine"
    assert str(tree) not in out


def test_sarif_fingerprints_survive_moved_lines(tree, cli):
    first = json.loads(cli(tree, "check", "--format", "sarif")[1])["runs"][0]["results"]
    bot = tree / "app/bot.py"
    bot.write_text('"""The bot."""\n\n\n' + bot.read_text(encoding="utf-8"), encoding="utf-8")
    second = json.loads(cli(tree, "check", "--format", "sarif")[1])["runs"][0]["results"]

    def keyed(results):
        return {r["partialFingerprints"]["promptlint/v1"]: r for r in results
                if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/bot.py"}

    before, after = keyed(first), keyed(second)
    assert before.keys() == after.keys() and len(before) >= 4
    for key, result in before.items():
        line = result["locations"][0]["physicalLocation"]["region"]["startLine"]
        assert after[key]["locations"][0]["physicalLocation"]["region"]["startLine"] == line + 3


def test_audit_sarif_reports_growth_against_the_baseline(tree, cli):
    assert cli(tree, "audit", "--write-baseline", "base.json")[0] == 0
    validate(json.loads(cli(tree, "audit", "--baseline", "base.json", "--format", "sarif")[1]))
    prompts = tree / "app/prompts.py"
    prompts.write_text(prompts.read_text(encoding="utf-8").replace("* 120", "* 150"), encoding="utf-8")
    code_, out, _ = cli(tree, "audit", "--baseline", "base.json", "--format", "sarif")
    assert code_ == 1
    doc = json.loads(out)
    validate(doc)
    results = doc["runs"][0]["results"]
    where = {r["properties"]["id"]: r["locations"][0]["physicalLocation"] for r in results}
    assert where["app/prompts.py::SUPPORT_SYSTEM"]["artifactLocation"]["uri"] == "app/prompts.py"
    assert where["app/prompts.py::SUPPORT_SYSTEM"]["region"]["startLine"] == 1
    assert where["total:request"]["artifactLocation"]["uri"] == "base.json"
    grown = next(r for r in results if r["properties"]["id"] == "app/prompts.py::SUPPORT_SYSTEM")
    assert grown["properties"]["tokensAfter"] > grown["properties"]["tokensBefore"] + 50
    assert all(r["level"] == "error" and r["ruleId"] == "baseline/prompt-growth" for r in results)


def test_github_escaping_follows_the_runner():
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a: b, c%") == "a%3A b%2C c%25"
    line = command("warning", "cost: $3, 10%\nmore", file="dir,x/a:b.py", line=3, col=None, title="PL1 x")
    assert line == "::warning file=dir%2Cx/a%3Ab.py,line=3,title=PL1 x::cost: $3, 10%25%0Amore"
    assert "\n" not in line


def _unescape(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def test_github_check_annotates_every_finding(tree, cli):
    code_, out, _ = cli(tree, "check", "--format", "github")
    assert code_ == 1
    analysis = run_analysis(tree)
    commands = [line for line in out.splitlines() if line.startswith("::")]
    assert len(commands) == len(analysis.findings)
    pattern = re.compile(r"^::(error|warning|notice) ((?:\w+=[^,:]*,?)+)::(.*)$")
    for line, priced in zip(commands, analysis.findings):
        match = pattern.match(line)
        assert match, line
        f = priced.finding
        props = dict(p.split("=", 1) for p in match.group(2).split(","))
        assert match.group(1) == {"error": "error", "warning": "warning", "info": "notice"}[f.severity]
        assert props["file"] == f.span.path and int(props["line"]) == f.span.line and int(props["col"]) == f.span.column
        assert _unescape(props["title"]) == f"{f.code} {f.name}"
        assert _unescape(match.group(3)).startswith(f.message)
        note = saving_note(priced)
        if note:
            assert _unescape(match.group(3)).endswith(f"({note})")
    assert out.splitlines()[-1].startswith("promptlint: ")


def test_markdown_cells_cannot_break_the_table():
    assert cell("a | b\nc") == "a \\| b c"
    assert cell("uses `x|y` and <module>") == "uses `x\\|y` and &lt;module&gt;"
    assert cell("odd ` tick") == "odd &#96; tick"
    assert code("a::<module>::b") == "`a::<module>::b`"
    assert code("we`ird") == "``we`ird``"


def test_markdown_check_is_a_findings_table(tree, cli):
    code_, out, _ = cli(tree, "check", "--format", "markdown")
    assert code_ == 1
    analysis = run_analysis(tree)
    rows = [line for line in out.splitlines() if line.startswith("| ") and not line.startswith("| severity")
            and not line.startswith("| ---")]
    assert len(rows) == len(analysis.findings)
    assert all(line.count(" | ") == 4 for line in rows), "five cells per row"
    cache = next(line for line in rows if "PL201" in line)
    priced = next(f for f in analysis.findings if f.finding.code == "PL201")
    from promptlint.report import fmt_usd

    assert f"~{fmt_usd(priced.price.usd_per_month)}" in cache and f"`app/bot.py:{priced.finding.span.line}`" in cache
    assert f"~{fmt_usd(analysis.usd_per_month_saveable)}/month saveable" in out


def test_markdown_check_without_findings(tmp_path, cli):
    write_tree(tmp_path, {"app.py": 'SYSTEM_PROMPT = "Answer in one sentence."\n'})
    code_, out, _ = cli(tmp_path, "check", "--format", "markdown")
    assert code_ == 0
    assert "All checks passed: 1 templates, 0 requests." in out


def test_markdown_audit_with_a_baseline_shows_the_delta_table(tree, cli):
    assert cli(tree, "audit", "--write-baseline", "base.json")[0] == 0
    prompts = tree / "app/prompts.py"
    prompts.write_text(prompts.read_text(encoding="utf-8").replace("* 120", "* 130"), encoding="utf-8")
    code_, out, _ = cli(tree, "audit", "--baseline", "base.json", "--format", "markdown")
    assert code_ == 1
    assert out.startswith("## promptlint audit\n\n❌ Prompts grew beyond the larger of 5% and 50 tokens")
    header = next(line for line in out.splitlines() if line.startswith("| status"))
    assert header.split(" | ")[3:] == ["tokens before", "after", "Δ tokens", "Δ %", "$/month before", "after",
                                      "Δ $/month |"]
    grown = next(line for line in out.splitlines() if "`app/prompts.py::SUPPORT_SYSTEM`" in line)
    cells = [c.strip() for c in grown.strip("|").split(" | ")]
    assert cells[0] == "❌ grown" and int(cells[5].replace(",", "").lstrip("+")) > 50
    total = next(line for line in out.splitlines() if "request input" in line and "**total**" in line)
    assert "+$" in total
    assert re.search(r"Input cost of all requests: \*\*\$[\d,.]+/month\*\* \(was \$[\d,.]+/month, \*\*\+\$[\d,.]+/month\*\*\)", out)


def test_every_format_is_offered_by_both_commands(tree, cli):
    for command_ in ("check", "audit"):
        for fmt in ("text", "json", "sarif", "github", "markdown"):
            code_, out, err = cli(tree, command_, "--format", fmt)
            assert code_ in (0, 1), (command_, fmt, err)
            assert out
    code_, _, err = cli(tree, "check", "--format", "xml")
    assert code_ == 2 and "sarif" in err


def test_text_paths_follow_the_working_directory_code_host_paths_the_repository(tree, cli):
    """Before: run from a subfolder, SARIF and annotations named `bot.py` for `app/bot.py`,
    which code scanning resolved against the checkout root: the wrong file."""
    (tree / "pyproject.toml").write_text("[tool.promptlint]\n", encoding="utf-8")
    assert "bot.py:9:12: PL201" in cli(tree / "app", "check", "..", "-q")[1].splitlines()[0].replace("../app/", "")
    assert View(str(tree), str(tree / "app")).path("app/bot.py") == "bot.py"
    for cwd in (tree, tree / "app"):
        out = cli(cwd, "check", "--format", "github", str(tree))[1]
        assert "file=app/bot.py,line=9,col=12,endLine=12,title=PL201" in out
        doc = json.loads(cli(cwd, "check", "--format", "sarif", str(tree))[1])
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]}
        assert "app/bot.py" in uris and not any(u.startswith(("..", "/", "file:")) for u in uris)


def test_repository_relative_paths_from_a_nested_project(tmp_path, cli):
    """The project's config sits below the repository root: URIs still start at the root."""
    import subprocess

    write_tree(tmp_path / "services/bot", TREE)
    (tmp_path / "services/bot/pyproject.toml").write_text("[tool.promptlint]\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    doc = json.loads(cli(tmp_path / "services/bot/app", "check", "--format", "sarif")[1])
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]}
    assert "services/bot/app/bot.py" in uris


NOTEBOOK = {"cells": [
    {"cell_type": "markdown", "metadata": {}, "source": ["# Trying prompts\n"]},
    {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
     "source": ["import anthropic\n", "client = anthropic.Anthropic()\n"]},
    {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
     "source": ["for ticket in [\"a\", \"b\"]:\n", "    client.messages.create(\n",
                "        model=\"claude-sonnet-4-5\",\n",
                "        messages=[{\"role\": \"user\", \"content\": ticket}],\n", "    )\n"]},
], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_notebook_results_have_a_region_at_the_cells_line_in_the_file(tmp_path, cli):
    """Before: notebook results had no region (no startLine) and annotations no line."""
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(NOTEBOOK, indent=1), encoding="utf-8")
    (tmp_path / "promptlint.toml").write_text("non-production = []\n", encoding="utf-8")  # list it among production
    file_lines = path.read_text(encoding="utf-8").splitlines()
    doc = json.loads(cli(tmp_path, "check", "--format", "sarif", "--select", "PL301")[1])
    validate(doc)
    result = doc["runs"][0]["results"][0]
    line = result["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert "client.messages.create(" in file_lines[line - 1], (line, file_lines[line - 1])
    assert "[cell 2, line 2]" in result["message"]["text"] and result["properties"]["cell"] == 2
    out = cli(tmp_path, "check", "--format", "github", "--select", "PL301")[1]
    assert f"file=nb.ipynb,line={line}," in out
    markdown = cli(tmp_path, "check", "--format", "markdown", "--select", "PL301")[1]
    assert "`nb.ipynb:cell 2:2`" in markdown
    assert cli(tmp_path, "audit", "--write-baseline", "b.json")[0] == 0
    audit = cli(tmp_path, "audit", "--format", "markdown")[1]
    assert "`nb.ipynb:cell 2:2`" in audit, "the markdown inventory keeps the cell"


def test_every_result_has_a_region(tree, cli):
    doc = json.loads(cli(tree, "check", "--format", "sarif")[1])
    for result in doc["runs"][0]["results"]:
        assert result["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
