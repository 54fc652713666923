"""The command line end to end: output shapes, exit codes, every command."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

from conftest import ROOT, write_tree

APP = {
    "pyproject.toml": '[tool.promptlint]\nrequests-per-month = 1000\n',
    # padding that repeats a clause, not a sentence: PL104 would rightly flag a repeated sentence
    "app/prompts.py": 'SUPPORT_SYSTEM = "cite the order number and the policy section you relied on, " * 120\n',
    "app/bot.py": '''
import anthropic
from openai import OpenAI
from app.prompts import SUPPORT_SYSTEM

client = anthropic.Anthropic()
oai = OpenAI()

def answer(question):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=400, system=SUPPORT_SYSTEM,
                                  messages=[{"role": "user", "content": question}])

def summarize(text):
    return oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": f"Summarize: {text}"}])
''',
}
CLEAN = {
    "bot.py": '''
import anthropic
client = anthropic.Anthropic()

def answer(question):
    return client.messages.create(model="claude-sonnet-5-5", max_tokens=100, system="Be brief.",
                                  messages=[{"role": "user", "content": question}])
''',
}
LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>PL\d{3}) (?P<name>[a-z-]+)  (?P<msg>.+)$")


def test_check_text_lists_findings_with_prices_and_fails(tmp_path, cli):
    write_tree(tmp_path, APP)
    code, out, _ = cli(tmp_path, "check")
    assert code == 1
    lines = [LINE.match(line) for line in out.splitlines() if line.startswith("app/")]
    by_code = {m["code"]: m for m in lines if m}
    assert by_code["PL201"]["path"] == "app/bot.py" and by_code["PL201"]["line"] == "10"
    assert re.search(r"\(saves ~\$0\.\d+/request, \$\d+(\.\d+)?/month\)", by_code["PL201"]["msg"])
    assert "exposure up to" in by_code["PL301"]["msg"]
    assert "Costliest prompts:" in out and "app/prompts.py:1 SUPPORT_SYSTEM" in out
    assert re.search(r"Found 2 findings \(2 warnings\); ~\$[\d.]+/month saveable\.", out)


def test_check_json_document_has_the_spec_shape(tmp_path, cli):
    write_tree(tmp_path, APP)
    code, out, _ = cli(tmp_path, "check", "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["version"] == 1 and doc["tool"]["name"] == "promptlint"
    assert doc["settings"] == {"default_model": "claude-sonnet-4-5", "tokenizer": "offline", "estimated": False,
                               "requests_per_month": 1000, "cache_hit_rate": 0.9}
    template = next(t for t in doc["templates"] if t["id"] == "app/prompts.py::SUPPORT_SYSTEM")
    assert template["kind"] == "python" and template["role"] == "system" and template["tokens"] > 1024
    request = next(r for r in doc["requests"] if r["id"] == "app/bot.py::answer::messages.create#1")
    assert request["templates"][0] == "app/prompts.py::SUPPORT_SYSTEM"
    assert request["input_tokens"] > template["tokens"] and request["max_tokens"] == 400
    finding = next(f for f in doc["findings"] if f["code"] == "PL201")
    for key in ("tokens_saved", "usd_per_request", "usd_per_1k_requests", "usd_per_month"):
        assert finding[key] > 0, key
    assert math.isclose(finding["usd_per_month"], finding["usd_per_request"] * 1000, rel_tol=1e-5)
    assert finding["fix"]["applicability"] == "unsafe"
    assert doc["summary"]["files_scanned"] == 2 and doc["summary"]["findings"] == 2
    assert doc["summary"]["usd_per_month_saveable"] == finding["usd_per_month"]  # PL301 is exposure, not saving


def test_clean_project_exits_zero(tmp_path, cli):
    write_tree(tmp_path, CLEAN)
    code, out, _ = cli(tmp_path, "check")
    assert code == 0 and "All checks passed." in out


def test_select_ignore_and_fail_on(tmp_path, cli):
    write_tree(tmp_path, APP)
    code, out, _ = cli(tmp_path, "check", "--select", "PL3")
    assert code == 1 and "PL301" in out and "PL201" not in out
    code, out, _ = cli(tmp_path, "check", "--ignore", "missing-cache-breakpoint,PL301")
    assert code == 0 and "PL201" not in out
    code, _, _ = cli(tmp_path, "check", "--fail-on", "error")
    assert code == 0


def test_inline_suppression_and_per_file_ignores(tmp_path, cli):
    files = dict(APP)
    files["app/bot.py"] = files["app/bot.py"].replace(
        "system=SUPPORT_SYSTEM,\n", "system=SUPPORT_SYSTEM,  # promptlint: ignore[PL201]\n")
    write_tree(tmp_path, files)
    _, out, _ = cli(tmp_path, "check")
    assert "PL201" not in out and "PL301" in out
    (tmp_path / "pyproject.toml").write_text('[tool.promptlint]\nper-file-ignores = {"app/*.py" = ["PL3"]}\n')
    code, out, _ = cli(tmp_path, "check")
    assert code == 0 and "PL301" not in out


def test_usage_and_config_errors_exit_2(tmp_path, cli):
    write_tree(tmp_path, {**CLEAN, "promptlint.toml": "colour = 'red'\n"})
    code, _, err = cli(tmp_path, "check")
    assert code == 2 and "unknown key `colour`" in err
    (tmp_path / "promptlint.toml").write_text("")
    assert cli(tmp_path, "check", "--format", "yaml")[0] == 2
    code, _, err = cli(tmp_path, "check", "--select", "PL999")
    assert code == 2 and "--select: `PL999` is no rule code" in err
    assert cli(tmp_path, "explain", "PL999")[0] == 2


def test_audit_lists_requests_and_templates_most_expensive_first(tmp_path, cli):
    write_tree(tmp_path, APP)
    code, out, _ = cli(tmp_path, "audit")
    assert code == 0
    requests = out.split("Templates")[0]
    assert requests.index("answer::messages.create#1") < requests.index("summarize::chat.completions.create#1")
    doc = json.loads(cli(tmp_path, "audit", "--format", "json")[1])
    costs = [r["usd_per_request"] for r in doc["requests"]]
    assert costs == sorted(costs, reverse=True) and "findings" not in doc


def test_count_text_from_stdin_and_file(tmp_path, cli):
    code, out, _ = cli(tmp_path, "count", "-", "--model", "claude-sonnet-4-5", input="You are a helpful assistant.")
    # ctok and count_tokens: 6 tokens of text, 13 with the one-message frame
    assert code == 0 and out.startswith("6 tokens (exact-offline for claude-sonnet-4-5); 13 input tokens")
    (tmp_path / "p.txt").write_text("You are a helpful assistant.")
    doc = json.loads(cli(tmp_path, "count", "p.txt", "--model", "gpt-4o", "--format", "json")[1])
    assert doc["tokens"] == 6 and doc["usd_per_request"] > 0
    code, _, err = cli(tmp_path, "count", "p.txt", "--model", "claude-sonet-4-5")
    assert code == 2 and "did you mean `claude-sonnet-4-5`" in err


def test_rules_and_explain(tmp_path, cli):
    code, out, _ = cli(tmp_path, "rules")
    codes = re.findall(r"^(PL\d{3})", out, re.MULTILINE)
    assert code == 0 and {"PL001", "PL002", "PL201", "PL203", "PL204", "PL301", "PL403"} <= set(codes)
    code, out, _ = cli(tmp_path, "explain", "missing-cache-breakpoint")
    assert code == 0
    for heading in ("What it does", "Why it costs money", "Example", "Use instead", "Fix safety"):
        assert f"## {heading}" in out


def test_python_dash_m_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "promptlint", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and result.stdout.startswith("promptlint, version")


def test_every_command_reports_a_config_error_as_a_usage_error(tmp_path, cli):
    write_tree(tmp_path, {**CLEAN, "promptlint.toml": "colour = 'red'\n", "p.txt": "Hello."})
    for args in (["check"], ["audit"], ["fix"], ["count", "p.txt"], ["calibrate", "--dry-run"], ["rules"],
                 ["explain", "PL101"]):
        code, _, err = cli(tmp_path, *args)
        assert code == 2 and err.startswith("promptlint: error: ") and "unknown key `colour`" in err, args
