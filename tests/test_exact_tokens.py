"""--tokenizer anthropic end to end, against the local stand-in for count_tokens.

Expected numbers are computed here from the stand-in's published formula (see
fake_anthropic.py), not read back from promptlint, so a wrong body, a wrong framing
subtraction or a cache mix-up shows as a wrong number.
"""

from __future__ import annotations

import json
import logging
import shutil
import time

import pytest
from fake_anthropic import DEFAULT_RATIO, legacy

from conftest import ROOT, as_json, run_analysis, write_tree
from promptlint.config import parse_config
from promptlint.models import ModelCatalog
from promptlint.tokens import make_counter
from promptlint.tokens import anthropic_api
from promptlint.tokens.anthropic_api import AnthropicCounter
from promptlint.tokens.disk_cache import CountCache

KEY = "sk-ant-test-Zq9SECRETvalue"
SYSTEM = ("You are the billing assistant of ACME Corp. Answer questions about invoices, refunds and "
          "payment methods. Quote the policy section you rely on. ") * 40
APP = f'''
import anthropic
import openai

SYSTEM_PROMPT = """{SYSTEM}"""

client = anthropic.Anthropic()
oai = openai.OpenAI()


def answer(question):
    return client.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=300,
        system=SYSTEM_PROMPT,
        messages=[{{"role": "user", "content": f"Question: {{question}}"}}],
    )


def summarize(text):
    return oai.chat.completions.create(
        model="gpt-4o",
        max_completion_tokens=200,
        messages=[{{"role": "user", "content": "Summarize for an agent: " + text}}],
    )
'''


def tokens(text: str, ratio: float = DEFAULT_RATIO) -> int:
    return round(ratio * legacy(text))


def answer_total(ratio: float = DEFAULT_RATIO) -> int:
    """The stand-in's count of answer()'s body: framing 3, system 2 + text, message 2 + text
    with the question sent as the stand-in ``x``."""
    return 3 + 2 + tokens(SYSTEM, ratio) + 2 + tokens("Question: x", ratio)


@pytest.fixture
def api(fake_anthropic):
    return fake_anthropic(KEY)


@pytest.fixture
def app(tmp_path):
    return write_tree(tmp_path, {"app.py": APP, "pyproject.toml": "[tool.promptlint]\ndefault-model = \"claude-sonnet-4-5\"\n"})


def _by_id(entries, suffix):
    return next(e for e in entries if e["id"].endswith(suffix))


def test_audit_json_has_exact_counts(api, app, cli):
    code, out, err = cli(app, "audit", "--tokenizer", "anthropic", "--format", "json", ".")
    assert code == 0, err
    doc = as_json(out)
    assert doc["settings"]["tokenizer"] == "anthropic"
    assert doc["settings"]["estimated"] is False  # the OpenAI request is counted exactly offline
    answer = _by_id(doc["requests"], "answer::messages.create#1")
    assert answer["exact"] is True and answer["input_tokens"] == answer_total()
    summary = _by_id(doc["requests"], "summarize::chat.completions.create#1")
    assert summary["exact"] is False and summary["count"] == "exact-offline"
    system = _by_id(doc["templates"], "app.py::SYSTEM_PROMPT")
    assert system["exact"] is True and system["tokens"] == tokens(SYSTEM)
    notes = " ".join(doc["settings"]["tokenizer_notes"])
    assert "1 run-time value" in notes and "stand-in `x`" in notes
    assert "1 request to non-Anthropic models" in notes
    assert all(b["model"] == "claude-sonnet-4-5" for b in api.received)  # gpt-4o never sent
    assert err == ""


def test_check_and_audit_text_say_exact(api, app, cli):
    code, out, _ = cli(app, "check", "--tokenizer", "anthropic", "--select", "PL201", ".")
    assert code == 1
    prefix = answer_total() - tokens("Question: x")  # PL201's prefix: the system part plus framing
    assert f"of {prefix:,} tokens is sent uncached" in out
    assert "Tokens are exact (count_tokens);" in out
    _, out, _ = cli(app, "audit", "--tokenizer", "anthropic", ".")
    assert f"{answer_total():,}  claude-sonnet-4-5" in out
    assert f"{tokens(SYSTEM):,}  system" in out


def test_config_key_turns_it_on(api, app):
    analysis = run_analysis(app, {"tokenizer": "anthropic"})
    request = next(r for r in analysis.project.requests if r.model == "claude-sonnet-4-5")
    counts = analysis.measurements.requests[request.id]
    assert counts.exact and counts.input_tokens == answer_total()
    # per-part numbers are the templates' own exact counts; overhead holds the rest
    assert counts.parts[0] == tokens(SYSTEM)
    assert counts.overhead + sum(counts.parts) == counts.input_tokens


def test_second_run_comes_from_the_cache_with_the_server_down(api, app, cli):
    _, first, _ = cli(app, "audit", "--tokenizer", "anthropic", "--format", "json", ".")
    calls = len(api.received)
    assert calls > 0
    api.stop()
    code, second, err = cli(app, "audit", "--tokenizer", "anthropic", "--format", "json", ".")
    assert code == 0 and err == ""
    a, b = as_json(first), as_json(second)
    assert [(r["id"], r["input_tokens"], r["exact"]) for r in a["requests"]] == \
           [(r["id"], r["input_tokens"], r["exact"]) for r in b["requests"]]
    assert [(t["id"], t["tokens"]) for t in a["templates"]] == [(t["id"], t["tokens"]) for t in b["templates"]]
    assert "the API answered 0 bodies" in " ".join(b["settings"]["tokenizer_notes"])


def test_cache_lives_in_cache_dir_and_holds_no_key(api, app, cli, caplog):
    caplog.set_level(logging.DEBUG)
    (app / "pyproject.toml").write_text('[tool.promptlint]\ncache-dir = "build/tokens"\n')
    code, out, err = cli(app, "check", "--tokenizer", "anthropic", "--format", "json", ".")
    cache = app / "build" / "tokens"
    files = [p for p in cache.rglob("*") if p.is_file()]
    assert any(p.suffix == ".json" for p in files)
    assert (cache / ".gitignore").read_text().strip().endswith("*")
    for path in files:
        assert KEY not in path.read_text(encoding="utf-8")
    assert KEY not in out and KEY not in err and KEY not in caplog.text
    # it was sent, to the API only (SDKs differ: x-api-key, or a bearer token)
    assert api.headers_seen and all(KEY in (h.get("x-api-key"), h.get("authorization", "").removeprefix("Bearer "))
                                    for h in api.headers_seen)
    assert not (app / ".promptlint_cache").exists()


def test_corrupt_cache_entry_is_recounted(api, app):
    run_analysis(app, {"tokenizer": "anthropic"})
    entries = sorted((app / ".promptlint_cache").rglob("*.json"))
    entries[0].write_text("{not json")
    entries[1].write_text('{"model": "claude-sonnet-4-5", "input_tokens": "12"}')
    before = len(api.received)
    analysis = run_analysis(app, {"tokenizer": "anthropic"})
    assert len(api.received) == before + 2
    request = next(r for r in analysis.project.requests if r.model == "claude-sonnet-4-5")
    assert analysis.measurements.requests[request.id].input_tokens == answer_total()
    # Both damaged entries hold again what the API answered for the bodies counted anew.
    answers = sorted(api.count(body) for body in api.received[before:])
    assert sorted(json.loads(entry.read_text())["input_tokens"] for entry in entries[:2]) == answers


def test_bad_key_falls_back_with_one_redacted_warning(api, app, cli, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-WRONG-secret-1234")
    code, out, err = cli(app, "audit", "--tokenizer", "anthropic", "--format", "json", ".")
    assert code == 0
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 1, err
    assert "HTTP 401 authentication_error" in warnings[0] and "[redacted]" in warnings[0]
    assert "sk-ant-WRONG-secret-1234" not in err + out
    assert len(api.headers_seen) == 1  # a bad key stops further calls
    doc = as_json(out)
    offline = as_json(cli(app, "audit", "--format", "json", ".")[1])
    assert [r["input_tokens"] for r in doc["requests"]] == [r["input_tokens"] for r in offline["requests"]]
    assert not any(r["exact"] for r in doc["requests"])


def test_server_errors_exhaust_retries_then_fall_back(api, app, cli, monkeypatch):
    monkeypatch.setattr(anthropic_api, "BACKOFF", 0.01)
    api.script = [(500, {})] * 4
    started = time.monotonic()
    code, out, err = cli(app, "check", "--tokenizer", "anthropic", "--select", "PL201", ".")
    assert time.monotonic() - started < 20
    assert code == 1  # the finding is still there, from the offline estimate
    assert err.count("promptlint: warning:") == 1
    assert "HTTP 500 api_error" in err and "after 4 attempts" in err
    assert "offline estimate" in err
    assert "~" in out


def test_rate_limit_waits_retry_after_then_counts(api, tmp_path):
    api.script = [(429, {"retry-after": "0.4"})]
    counter = AnthropicCounter(ModelCatalog(), CountCache(tmp_path), backoff=0.01)
    started = time.monotonic()
    got = counter.count_bodies([{"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hello"}]}])
    assert time.monotonic() - started >= 0.4
    assert got == [3 + 2 + tokens("hello")]
    assert counter.calls == 2 and counter.warning() is None


def test_overloaded_then_ok_uses_backoff(api, tmp_path):
    api.script = [(529, {}), (503, {})]
    counter = AnthropicCounter(ModelCatalog(), CountCache(tmp_path), backoff=0.01)
    got = counter.count_bodies([{"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "hi"}]}])
    assert got == [3 + 2 + tokens("hi")] and counter.calls == 3


def test_long_retry_after_gives_up_at_once(api, tmp_path):
    api.script = [(429, {"retry-after": "3600"})]
    counter = AnthropicCounter(ModelCatalog(), CountCache(tmp_path), backoff=0.01)
    started = time.monotonic()
    got = counter.count_bodies([{"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "a"}]},
                                {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "b"}]}])
    assert time.monotonic() - started < 5
    assert got == [None, None]
    assert "asked to wait 3600 s" in counter.warning()


def test_rejected_body_falls_back_alone(api, tmp_path):
    counter = AnthropicCounter(ModelCatalog(), CountCache(tmp_path), backoff=0.01)
    got = counter.count_bodies([{"model": "claude-sonnet-4-5", "messages": []},
                                {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "ok"}]}])
    assert got[0] is None and got[1] == 3 + 2 + tokens("ok")
    assert "HTTP 400 invalid_request_error" in counter.warning() and "1 count uses" in counter.warning()


def test_concurrency_is_limited(api, project):
    api.delay = 0.05
    constants = "\n".join(f'PROMPT_{i} = "Prompt number {i}: classify the ticket into one of the queues."'
                          for i in range(24))
    root = project({"prompts.py": constants})
    analysis = run_analysis(root, {"tokenizer": "anthropic", "default-model": "claude-sonnet-4-5"})
    assert len(analysis.measurements.exact_templates) == 24
    assert 1 < api.max_in_flight <= 4


def test_openai_only_project_sends_nothing(api, project, cli):
    root = project({"bot.py": 'import openai\nc = openai.OpenAI()\n'
                              'def f(q):\n    return c.chat.completions.create(model="gpt-4o", max_tokens=5, '
                              'messages=[{"role": "system", "content": "Be brief and exact."}, '
                              '{"role": "user", "content": q}])\n'})
    code, out, _ = cli(root, "audit", "--tokenizer", "anthropic", "--default-model", "gpt-4o", "--format", "json", ".")
    assert code == 0 and api.headers_seen == []
    assert as_json(out)["settings"]["estimated"] is False  # OpenAI is counted exactly offline


def test_litellm_claude_request_is_sent_as_anthropic_would_take_it(api, project):
    root = project({"agent.py": '''
import litellm

TOOLS = [{"type": "function", "function": {"name": "lookup_order", "description": "Find an order by id.",
          "parameters": {"type": "object", "properties": {"id": {"type": "string"}}}}}]


def run(history, question):
    return litellm.completion(
        model="anthropic/claude-sonnet-4-5",
        max_tokens=100,
        tools=TOOLS,
        messages=[{"role": "system", "content": "You route orders."}, *history,
                  {"role": "user", "content": question}],
    )
'''})
    analysis = run_analysis(root, {"tokenizer": "anthropic"})
    [request] = analysis.project.requests
    assert analysis.measurements.requests[request.id].exact, analysis.measurements.warnings
    [body] = [b for b in api.received if "tools" in b]
    assert body["model"] == "claude-sonnet-4-5"
    assert body["system"] == "You route orders."
    assert body["tools"][0]["name"] == "lookup_order" and body["tools"][0]["input_schema"]["type"] == "object"
    assert body["messages"] == [{"role": "user", "content": "x"}]  # history left out, question a stand-in


def test_count_command_exact(api, tmp_path, cli):
    text = "Classify the sentiment of the review as positive, negative or neutral."
    (tmp_path / "p.txt").write_text(text)
    code, out, err = cli(tmp_path, "count", "--tokenizer", "anthropic", "--format", "json", "p.txt")
    assert code == 0, err
    result = as_json(out)
    assert result["exact"] is True and result["tokens"] == tokens(text)
    code, out, _ = cli(tmp_path, "count", "--tokenizer", "anthropic", "p.txt")
    assert out.startswith(f"{tokens(text)} tokens (exact-api for claude-sonnet-4-5)")


def test_without_credentials_one_warning(api, app, cli, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    code, _, err = cli(app, "audit", "--tokenizer", "anthropic", ".")
    assert code == 0 and err.count("warning") == 1 and "ANTHROPIC_API_KEY" in err
    assert api.headers_seen == []


def test_make_counter_offline_builds_no_client():
    counter = make_counter(parse_config({}), ModelCatalog())
    assert counter.exact is None and counter.name == "offline"


def test_examples_project_end_to_end(api, tmp_path, cli):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    code, out, err = cli(tmp_path / "examples", "audit", "--tokenizer", "anthropic", "--format", "json", ".")
    assert code == 0 and err == ""
    exact = [r for r in as_json(out)["requests"] if r["exact"]]
    assert {r["model"] for r in exact} == {"claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"}
