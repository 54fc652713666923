"""The CI gate: write a baseline, then fail on growth, pass on moved lines, list removals."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import run_analysis, write_tree
from promptlint import baseline
from promptlint.thresholds import parse_max_increase
from support_app import POLICY, support_app

APP = {"pyproject.toml": '[tool.promptlint]\nbaseline = "promptlint-baseline.json"\n', **support_app(40)}


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def app(tmp_path):
    return write_tree(tmp_path, APP)


def _written(cli, root: Path) -> dict:
    code, _, err = cli(root, "audit", "--write-baseline")
    assert code == 0, err
    assert "wrote baseline promptlint-baseline.json" in err
    return json.loads((root / "promptlint-baseline.json").read_text(encoding="utf-8"))


def test_written_baseline_holds_every_template_and_request(app, cli):
    data = _written(cli, app)
    analysis = run_analysis(app)
    assert set(data["requests"]) == {r.id for r in analysis.project.requests} == {
        "app/bot.py::answer::messages.create#1", "app/bot.py::triage::messages.create#1"}
    assert set(data["templates"]) == set(analysis.project.templates)
    assert "app/prompts.py::SUPPORT_SYSTEM" in data["templates"]
    answer = data["requests"]["app/bot.py::answer::messages.create#1"]
    measured = analysis.measurements.requests["app/bot.py::answer::messages.create#1"]
    assert answer["tokens"] == measured.input_tokens > 400
    assert answer["model"] == "claude-sonnet-5-5"
    price = analysis.request_prices["app/bot.py::answer::messages.create#1"]
    assert answer["usd_per_request"] == pytest.approx(price.usd_per_request, rel=1e-5)
    assert answer["usd_per_month"] == pytest.approx(answer["usd_per_request"] * 100_000, rel=1e-5)
    assert data["totals"]["requests"]["tokens"] == sum(e["tokens"] for e in data["requests"].values())
    assert data["settings"]["requests_per_month"] == 100_000


def test_baseline_file_is_sorted_and_rewrites_byte_identical(app, cli):
    _written(cli, app)
    path = app / "promptlint-baseline.json"
    first = path.read_bytes()
    text = first.decode("utf-8")
    assert text.endswith("}\n") and "\r" not in text
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    _written(cli, app)
    assert path.read_bytes() == first
    assert [p.name for p in app.iterdir() if p.name.startswith(".promptlint-baseline")] == []


def _changes(out: str) -> str:
    """The comparison part of ``audit --baseline --verbose`` (the inventory follows a blank line)."""
    return out.split("\n\n", 1)[0]


def test_unchanged_tree_passes(app, cli):
    _written(cli, app)
    code, out, _ = cli(app, "audit", "--baseline")
    assert code == 0, out
    assert "OK: No prompt grew beyond the larger of 5% and 50 tokens" in out
    assert f"{len(baseline.load(app / 'promptlint-baseline.json').entries)} entries unchanged;" in out
    assert len(out.splitlines()) == 2, "a passing gate says so in two lines, not with the inventory"


def test_grown_prompt_fails_the_gate_with_the_table(app, cli):
    _written(cli, app)
    edit(app, "app/prompts.py", "* 40", "* 48")
    code, out, _ = cli(app, "audit", "--baseline")
    assert code == 1, out
    lines = out.splitlines()
    row = next(line for line in lines if "SUPPORT_SYSTEM" in line and line.strip().startswith("grown"))
    assert "(over limit)" in row and "app/prompts.py:1" in row
    before, after = baseline.load(app / "promptlint-baseline.json"), baseline.inventory(run_analysis(app))
    old = before.entries[("template", "app/prompts.py::SUPPORT_SYSTEM")]
    new = after.entries[("template", "app/prompts.py::SUPPORT_SYSTEM")]
    assert new.tokens > old.tokens + 50
    assert f"{old.tokens:,}" in row and f"{new.tokens:,}" in row and f"+{new.tokens - old.tokens:,}" in row
    assert any("answer::messages.create#1" in line and "(over limit)" in line for line in lines)
    assert "triage" not in "\n".join(line for line in lines if "(over limit)" in line)
    assert lines[0].startswith("FAIL: Prompts grew beyond the larger of 5% and 50 tokens in 2 entries"), \
        "the verdict comes first"
    assert "Requests (" not in out, "the inventory only with --verbose"
    assert "Requests (" in cli(app, "audit", "--baseline", "--verbose")[1]


def test_small_edit_to_a_small_prompt_passes_unless_the_limit_says_otherwise(app, cli):
    _written(cli, app)
    edit(app, "app/prompts.py", "Answer with the label only.", "Answer with the label only, in lower case.")
    code, out, _ = cli(app, "audit", "--baseline")
    assert code == 0, "+5 tokens on an 18-token prompt: over 5% but within 50 tokens"
    assert "TRIAGE_PROMPT" not in out and "2 other changes within" in out
    code, out, _ = cli(app, "audit", "--baseline", "--verbose")
    assert "grown" in _changes(out) and "TRIAGE_PROMPT" in _changes(out) and "(over limit)" not in out
    code, out, _ = cli(app, "audit", "--baseline", "--max-increase", "5%")
    assert code == 1 and "(over limit)" in next(line for line in out.splitlines() if "TRIAGE_PROMPT" in line)
    code, out, _ = cli(app, "audit", "--baseline", "--max-increase", "2")
    assert code == 1


def test_max_increase_from_config(app, cli):
    _written(cli, app)
    edit(app, "pyproject.toml", "baseline =", 'max-increase = "100"\nbaseline =')
    edit(app, "app/prompts.py", "* 40", "* 44")
    code, out, _ = cli(app, "audit")
    assert code == 0, out
    assert out.startswith("OK: No prompt grew beyond 100 tokens")


def test_lines_only_moved_keeps_every_id_and_passes(app, cli):
    _written(cli, app)
    edit(app, "app/prompts.py", "SUPPORT_SYSTEM =", '"""Prompts."""\n\n# reviewed 2026-11\n\n\nSUPPORT_SYSTEM =')
    edit(app, "app/bot.py", "def answer(question):",
         "def helper():\n    return None\n\n\ndef answer(question):")
    bot = (app / "app/bot.py").read_text(encoding="utf-8")
    head, triage = bot.split("\n\ndef triage", 1)
    (app / "app/bot.py").write_text(head.replace("client = anthropic.Anthropic()\n",
                                                 "client = anthropic.Anthropic()\n\n\ndef triage" + triage + "\n"),
                                    encoding="utf-8")
    analysis = run_analysis(app)
    triage_line = next(r.span.line for r in analysis.project.requests if r.function == "triage")
    answer_line = next(r.span.line for r in analysis.project.requests if r.function == "answer")
    assert triage_line < answer_line, "the functions really swapped places"
    code, out, _ = cli(app, "audit", "--baseline", "--verbose")
    assert code == 0, out
    assert "OK:" in out
    assert "new" not in _changes(out)
    assert "removed" not in out


def test_removed_and_new_prompts_are_listed(app, cli):
    _written(cli, app)
    bot = (app / "app/bot.py").read_text(encoding="utf-8")
    (app / "app/bot.py").write_text(bot.split("\n\ndef triage", 1)[0] + "\n", encoding="utf-8")
    edit(app, "app/prompts.py", "TRIAGE_PROMPT", "ESCALATION_PROMPT")
    code, out, _ = cli(app, "audit", "--baseline", "--verbose")
    rows = [line.split() for line in _changes(out).splitlines()]
    statuses = {row[-1]: row[0] for row in rows if row and row[0] in ("new", "removed", "grown", "shrunk")}
    assert statuses["triage::messages.create#1"] == "removed"
    assert statuses["TRIAGE_PROMPT"] == "removed"
    assert statuses["ESCALATION_PROMPT"] == "new"
    assert code == 0, "removing a request and renaming a short prompt grows nothing"


def test_large_new_prompt_fails_through_the_total(app, cli):
    _written(cli, app)
    edit(app, "app/prompts.py", "TRIAGE_PROMPT =", f'REFUND_PROMPT = "{POLICY}" * 30\nTRIAGE_PROMPT =')
    code, out, _ = cli(app, "audit", "--baseline", "--verbose")
    assert code == 1, out
    assert "over limit" not in next(line for line in out.splitlines() if "REFUND_PROMPT" in line)
    assert "Total template text" in out and out.splitlines()[0].endswith("(baseline promptlint-baseline.json).")
    assert "total template text" in out.splitlines()[0]


def test_write_with_explicit_paths_and_compare_elsewhere(app, cli, tmp_path_factory):
    other = tmp_path_factory.mktemp("elsewhere")
    target = other / "nested" / "base.json"
    code, _, err = cli(app, "audit", "--write-baseline", str(target))
    assert code == 0, err
    assert target.is_file()
    code, out, _ = cli(app, "audit", "--baseline", str(target), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["baseline"]["failed"] is False and doc["baseline"]["changes"] == []
    assert doc["baseline"]["unchanged"] == len(doc["templates"]) + len(doc["requests"])


def test_a_config_baseline_that_does_not_exist_is_a_config_error_not_a_green_gate(app, cli):
    """Before: a notice and exit 0, so a mistyped or uncommitted baseline passed every CI run."""
    code, out, err = cli(app, "audit")
    assert code == 2 and out == ""
    assert "pyproject.toml:" in err and "`baseline` names" in err and "--write-baseline" in err


def test_bare_write_baseline_creates_the_configured_baseline_then_the_gate_compares(app, cli):
    code, _, err = cli(app, "audit", "--write-baseline")
    assert code == 0, err
    code, out, _ = cli(app, "audit")
    assert code == 0 and "OK:" in out


def test_explicit_missing_or_broken_baseline_is_a_usage_error(app, cli):
    code, _, err = cli(app, "audit", "--baseline", "missing.json")
    assert code == 2 and "does not exist" in err
    (app / "broken.json").write_text("{not json", encoding="utf-8")
    code, _, err = cli(app, "audit", "--baseline", "broken.json")
    assert code == 2 and "not valid JSON" in err
    (app / "other.json").write_text('{"version": 1, "runs": []}', encoding="utf-8")
    code, _, err = cli(app, "audit", "--baseline", "other.json")
    assert code == 2 and "not a promptlint baseline" in err
    (app / "pyproject.toml").write_text("[tool.promptlint]\n", encoding="utf-8")
    code, _, err = cli(app, "audit", "--baseline")
    assert code == 2 and "needs a FILE" in err
    code, _, err = cli(app, "audit", "--max-increase", "lots")
    assert code == 2 and "--max-increase" in err


def test_write_keeps_permissions_and_leaves_no_temp_file(tmp_path):
    inv = baseline.Inventory({("template", "a.py::X"): baseline.Entry("a.py::X", "template", 10, "m", 0.1, 10.0)},
                             {"requests_per_month": 100})
    path = tmp_path / "b.json"
    path.write_text("old", encoding="utf-8")
    os.chmod(path, 0o600)
    baseline.write(inv, path)
    assert (path.stat().st_mode & 0o777) == 0o600
    assert baseline.load(path).entries == inv.entries
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.json"]


def _inv(**tokens: int) -> baseline.Inventory:
    return baseline.Inventory({("template", k): baseline.Entry(k, "template", v, "m", v / 1e6, v / 10) for k, v in tokens.items()},
                              {"requests_per_month": 100_000})


def test_compare_statuses_and_limits():
    limit = parse_max_increase("5%|50")
    result = baseline.compare(_inv(a=2000, b=100, c=10, d=30, gone=7), _inv(a=2080, b=160, c=10, d=40, fresh=3),
                              limit, "b.json")
    status = {c.id: (c.status, c.exceeded) for c in result.changes}
    assert status == {"a": ("grown", False),  # +80 tokens but +4%
                      "b": ("grown", True),  # +60 tokens and +60%
                      "c": ("unchanged", False), "d": ("grown", False),  # +33% but +10 tokens
                      "gone": ("removed", False), "fresh": ("new", False)}
    assert result.failed
    assert [c.id for c in result.changed][0] == "b", "failures come first"
    total = result.total("template")
    assert (total.tokens_before, total.tokens_after, total.exceeded) == (2147, 2293, True)  # +146, +6.8%
    assert baseline.compare(_inv(a=100), _inv(a=100), limit, "b.json").failed is False


def test_compare_notes_a_change_of_settings():
    before = _inv(a=10)
    after = baseline.Inventory(before.entries, {"requests_per_month": 5_000})
    notes = baseline.compare(before, after, parse_max_increase("5%"), "b.json").notes
    assert len(notes) == 1 and "requests-per-month" in notes[0]


def test_a_model_swap_fails_the_gate_even_with_the_same_tokens(app, cli):
    """Issue 21: a 16.7x swap from gpt-4o-mini to gpt-4o was listed as "repriced" and exited 0."""
    write_tree(app, {"app/classify.py": (
        "from openai import OpenAI\n\nclient = OpenAI()\n\n\n"
        "def classify(text):\n"
        "    return client.chat.completions.create(model=\"gpt-4o-mini\", max_completion_tokens=5, messages=[\n"
        "        {\"role\": \"system\", \"content\": \"Classify the ticket as billing, delivery or other.\"},\n"
        "        {\"role\": \"user\", \"content\": text}])\n")})
    _written(cli, app)
    edit(app, "app/classify.py", "gpt-4o-mini", "gpt-4o")
    code, out, _ = cli(app, "audit", "--baseline", "--format", "json")
    assert code == 1, out
    change = next(c for c in json.loads(out)["baseline"]["changes"] if c["id"].startswith("app/classify.py"))
    assert change["status"] == "repriced" and change["exceeded"]
    assert "price per token rose" in change["reason"] and "gpt-4o-mini -> gpt-4o" in change["reason"]
    code, out, _ = cli(app, "audit", "--baseline")
    assert code == 1 and "FAIL: Prompts grew or got pricier beyond" in out, out


def test_dollar_limits_and_budget_factors_from_config(app, cli):
    _written(cli, app)
    edit(app, "app/prompts.py", "* 40", "* 48")
    code, out, _ = cli(app, "audit", "--baseline", "--max-increase", "$100000/month")
    assert code == 0, out
    (app / "pyproject.toml").write_text(
        '[tool.promptlint]\nbaseline = "promptlint-baseline.json"\nmax-increase = "$100000/month"\n'
        'budgets = [{path = "app/bot.py", max-increase = "1.05x"}]\n', encoding="utf-8")
    code, out, _ = cli(app, "audit", "--baseline", "--format", "json")
    assert code == 1, out
    doc = json.loads(out)["baseline"]
    failing = [c for c in doc["changes"] if c["exceeded"]]
    assert failing and all(c["id"].startswith("app/bot.py") and "budget for `app/bot.py`" in c["reason"] for c in failing)
    assert any(b["path"] == "app/bot.py" and b["exceeded"] for b in doc["budgets"])
