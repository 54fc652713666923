"""Measured traffic: rates, cache shares and output lengths from usage logs, used by the
prices and by PL201 and PL302; kept in a measured-traffic file for runs without the logs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import write_tree
from promptlint.cli import main
from promptlint.config import parse_config
from promptlint.engine import analyze
from promptlint.traffic import measured_cap
from promptlint.traffic.logs import read_logs
from promptlint.traffic.measure import DAYS_PER_MONTH, percentile, warm_share, window_days
from promptlint.traffic.plan import Measured
from promptlint.traffic.records import LoggedCall, split_input, to_time
from traffic_logs import LOGS, SITES

FIXTURE = Path(__file__).parent / "fixtures" / "traffic_app"


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def helpdesk(tmp_path):
    root = tmp_path / "helpdesk"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("logs"))
    return root


def test_audit_with_usage_shows_measured_requests_and_cache_share_per_site(helpdesk):
    result = run("audit", str(helpdesk), "--no-cache", "--usage", str(LOGS / "otel-traces.json"), "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.output)
    requests = {r["id"]: r for r in doc["requests"]}
    answer = requests[SITES["answer"]]["traffic"]
    assert answer["source"] == "measured" and answer["measured"]["requests"] == 7
    days = answer["measured"]["window_days"]
    assert answer["requests_per_month"] == pytest.approx(7 / days * DAYS_PER_MONTH, rel=1e-4)
    assert answer["measured"]["cache_read_share"] == 0 and answer["predicted_cache_read_share"] == 0
    assert requests[SITES["classify"]]["traffic"]["measured"]["output_tokens"]["p95"] == 3
    assert requests[SITES["classify"]]["traffic"]["source"] == "measured"  # beats its config entry of 250,000
    assert doc["usage"]["calls"] == 19 and doc["usage"]["attributed"] == 16 and len(doc["usage"]["unattributed"]) == 3
    text = run("audit", str(helpdesk), "--no-cache", "--usage", str(LOGS / "otel-traces.json")).output
    assert "Measured traffic from usage logs over 7.4 days" in text and "16 of 19 logged calls attributed" in text


def test_measured_traffic_file_lets_later_runs_price_without_the_logs(helpdesk):
    target = helpdesk / "promptlint-traffic.json"
    result = CliRunner().invoke(main, ["audit", str(helpdesk), "--no-cache", "--usage",
                                                       str(LOGS / "litellm-spend-logs.json"), "--write-usage-traffic"])
    assert result.exit_code == 0, result.output
    assert 'measured-traffic = "promptlint-traffic.json"' in result.stderr
    written = json.loads(target.read_text())
    assert set(written["sites"]) == {SITES["answer"], SITES["translate"], SITES["handoff"], SITES["classify"],
                                     SITES["monthly"]}
    pyproject = helpdesk / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("[tool.promptlint]\n",
                                                       '[tool.promptlint]\nmeasured-traffic = "promptlint-traffic.json"\n'))
    doc = json.loads(run("audit", str(helpdesk), "--no-cache", "--format", "json").output)
    answer = next(r for r in doc["requests"] if r["id"] == SITES["answer"])
    assert answer["traffic"]["source"] == "measured" and answer["traffic"]["from"] == "promptlint-traffic.json"
    assert answer["traffic"]["measured"] == written["sites"][SITES["answer"]]
    digest = next(r for r in doc["requests"] if r["id"].endswith("weekly_digest::messages.create#1"))
    assert digest["traffic"]["source"] == "default"
    # a site renamed since the file was written is reported, not applied elsewhere
    written["sites"]["helpdesk/old.py::gone::messages.create#1"] = written["sites"][SITES["answer"]]
    target.write_text(json.dumps(written))
    doc = json.loads(run("audit", str(helpdesk), "--no-cache", "--format", "json").output)
    assert "name no request site now" in doc["settings"]["traffic_notes"][0]


def test_usage_errors(helpdesk, tmp_path):
    result = run("audit", str(helpdesk), "--usage", str(tmp_path / "nope.json"))
    assert result.exit_code == 2 and "does not exist" in result.output
    assert run("audit", str(helpdesk), "--write-usage-traffic").exit_code == 2
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2")
    result = CliRunner().invoke(main, ["audit", str(helpdesk), "--no-cache", "--usage", str(bad)])
    assert result.exit_code == 0 and "usage log skipped" in result.stderr
    broken = helpdesk / "pyproject.toml"
    broken.write_text(broken.read_text().replace("[tool.promptlint]\n", '[tool.promptlint]\nmeasured-traffic = "x.json"\n'))
    assert run("audit", str(helpdesk), "--no-cache").exit_code == 2


LONG_SYSTEM = "You are the policy assistant of Acme Insurance. " + " ".join(
    f"Rule {i}: when a claim mentions clause {i}, quote clause {i} verbatim and explain how it applies." for i in range(90))


def _cache_app(tmp_path):
    return write_tree(tmp_path / "cacheapp", {"app.py": f'''
import anthropic
client = anthropic.Anthropic()
SYSTEM_PROMPT = """{LONG_SYSTEM}"""

def answer(question):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=20000, system=SYSTEM_PROMPT,
                                  messages=[{{"role": "user", "content": question}}])
'''})


def _calls(times, output=40):
    return tuple(LoggedCall(f"log:{i}", "claude-sonnet-4-5", t, 1500, output_tokens=output + i,
                            system=LONG_SYSTEM, messages=(("user", f"question {i}"),)) for i, t in enumerate(times))


def test_pl201_prices_caching_at_the_measured_warm_share(tmp_path):
    root = _cache_app(tmp_path)
    config = parse_config({}, root=str(root))
    plain = analyze([root], config, ("PL201",), use_cache=False)
    busy = [i * 60.0 for i in range(20)]  # one a minute: every call but the first finds the cache warm
    logs = read_logs([])
    logs = type(logs)(_calls(busy))
    warm = analyze([root], config, ("PL201",), use_cache=False, usage=logs)
    (f0,), (f1,) = plain.findings, warm.findings
    assert "(measured)" in f1.finding.message and "95% of 20 logged calls" in f1.finding.message
    assert f1.price.usd_per_request > f0.price.usd_per_request  # 95% warm beats the assumed 90%
    rare = type(logs)(_calls([i * 3600.0 for i in range(20)]))  # one an hour: the cache is always cold
    assert not analyze([root], config, ("PL201",), use_cache=False, usage=rare).findings


def test_pl302_suggests_a_cap_the_logged_answers_fit(tmp_path):
    root = write_tree(tmp_path / "capapp", {"app.py": '''
import anthropic
client = anthropic.Anthropic()

def label(text):
    return client.messages.create(model="claude-haiku-4-5", max_tokens=1000,
        system="Classify the message as spam or ham. Reply with the label only.",
        messages=[{"role": "user", "content": text}])
'''})
    config = parse_config({}, root=str(root))
    (plain,) = analyze([root], config, ("PL302",), use_cache=False).findings
    assert "a cap of 16 fits it" in plain.finding.message
    calls = tuple(LoggedCall(f"l:{i}", "claude-haiku-4-5", i * 600.0, 30, output_tokens=n,
                             system="Classify the message as spam or ham. Reply with the label only.",
                             messages=(("user", "buy now"),)) for i, n in enumerate([3, 4, 3, 60, 4, 3, 5, 4, 3, 4]))
    logs = type(read_logs([]))(calls)
    (measured,) = analyze([root], config, ("PL302",), use_cache=False, usage=logs).findings
    # the model sometimes explains itself: a cap of 16 would cut those answers off
    assert "so a cap of 128 fits them (measured)" in measured.finding.message
    assert measured.finding.fix.description == "set max_tokens=128"
    long_answers = type(logs)(tuple(LoggedCall(c.source, c.model, c.time, 30, output_tokens=900, system=c.system,
                                               messages=c.messages) for c in calls))
    assert not analyze([root], config, ("PL302",), use_cache=False, usage=long_answers).findings


def test_measured_figures():
    assert percentile([5, 1, 3, 2, 4], 0.5) == 3 and percentile(list(range(1, 101)), 0.95) == 95
    assert percentile([], 0.5) is None
    calls = [LoggedCall("x", None, t, 1) for t in (0.0, 100.0, 1000.0, 1100.0)]
    assert warm_share(tuple(calls)) == 0.5
    assert window_days(calls) == pytest.approx(1100 * 4 / 3 / 86400)
    assert window_days(calls[:1]) is None and window_days(calls, 7) == 7
    assert measured_cap(Measured(10, None, None, None, None, None, output_p95=10, output_max=70)) == 128
    assert measured_cap(Measured(10, None, None, None, None, None, output_p95=3, output_max=5)) == 16


@pytest.mark.parametrize("value,seconds", [("2026-11-02T08:00:00Z", 1793606400.0), (1793606400, 1793606400.0),
                                           ("1793606400000000000", 1793606400.0), (1793606400123, 1793606400.123),
                                           ("2026-11-02 08:00:00", 1793606400.0), ("soon", None), (None, None)])
def test_timestamps_in_every_spelling(value, seconds):
    assert to_time(value) == (pytest.approx(seconds) if seconds else None)


def test_input_counts_that_include_or_exclude_the_cache():
    assert split_input(1000, 800, 100, includes_cache=True) == 100
    assert split_input(100, 800, 100, includes_cache=True) == 100  # cannot include them: it is smaller
    assert split_input(100, 800, 100, includes_cache=False) == 100
