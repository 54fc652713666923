"""Usage logs in every supported format, attributed to the sites of the helpdesk fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptlint.config import load_config
from promptlint.engine import scan
from promptlint.traffic.attribute import attribute, model_key
from promptlint.traffic.logs import read_logs
from promptlint.traffic.records import LoggedCall
from traffic_logs import EXPECTED, LOGS, SITES, SYSTEM

ROOT = Path(__file__).parent / "fixtures" / "traffic_app"
FORMATS = {"otel-traces.json": "otel", "litellm-spend-logs.json": "litellm",
           "langfuse-observations.json": "langfuse", "promptlint-usage.jsonl": "promptlint"}


@pytest.fixture(scope="module")
def project():
    config = load_config(ROOT)
    found, _ = scan([ROOT], config, None)
    return found


def call_id(source: str) -> str:
    return source.rsplit(":", 1)[1].removeprefix("span ")


def expected_site(cid: str):
    return EXPECTED[cid.rsplit("-", 1)[0]]


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_logged_call_goes_to_its_site_or_is_listed(project, name):
    logs = read_logs([(LOGS / name, name)])
    assert logs.files == ((name, FORMATS[name], 19),)
    result = attribute(logs.calls, project)
    seen = {}
    for site, calls in result.by_site.items():
        for call in calls:
            seen[call_id(call.source)] = site
    for item in result.unattributed:
        seen[call_id(item.call.source)] = None
    assert len(seen) == 19  # nothing dropped
    for cid, site in seen.items():
        assert site == expected_site(cid), cid
    reasons = {call_id(u.call.source): u for u in result.unattributed}
    assert set(reasons["twin-0"].candidates) == {SITES["monthly"], "helpdesk/digest.py::weekly_digest::messages.create#1"}
    assert reasons["twin-0"].reason.startswith("ambiguous")
    assert "model" in reasons["othermodel-0"].reason
    assert result.how[SITES["answer"]] == {"text": 6, "approximate": 1}  # drift-0: the prompt was edited since
    assert result.how[SITES["monthly"]] == {"tag": 1}


def test_format_specific_records_are_not_counted_twice():
    otel = read_logs([(LOGS / "otel-traces.json", "o")])
    assert all("agent" not in c.source for c in otel.calls)  # the invoke_agent span's totals
    lite = read_logs([(LOGS / "litellm-spend-logs.json", "l")])
    assert lite.skipped == {"served from LiteLLM's response cache (no model call)": 1}


def test_token_counts_are_split_the_way_prices_are():
    by_format = {}
    for name in FORMATS:
        calls = {call_id(c.source): c for c in read_logs([(LOGS / name, name)]).calls}
        by_format[name] = calls["answer-1"]
    for call in by_format.values():
        assert (call.input_tokens, call.cache_read_tokens, call.output_tokens) == (219, 0, 160)
        assert call.model.endswith("claude-sonnet-4-5-20250929")


def _call(user: str, system: str | None = SYSTEM, model: str | None = "claude-sonnet-4-5", site=None) -> LoggedCall:
    return LoggedCall("t:1", model, None, 100, system=system, messages=(("user", user),), site=site)


@pytest.mark.parametrize("name,question", [("Zoë", "¿Dónde está mi factura?"), ("", ""),
                                           ("Robert'); DROP TABLE", "x" * 5000)])
def test_a_changed_run_time_value_does_not_break_attribution(project, name, question):
    result = attribute([_call(f"Customer {name} asks the following question:\n{question}")], project)
    assert list(result.by_site) == [SITES["answer"]]


def test_sites_sharing_a_system_prompt_are_told_apart_by_their_other_static_text(project):
    calls = [_call("Summarize this ticket as a handoff note for a human agent:\nprinter"),
             _call("Customer Al asks the following question:\nhi"), _call("just some words")]
    result = attribute(calls, project)
    assert {s: len(c) for s, c in result.by_site.items()} == {SITES["handoff"]: 1, SITES["answer"]: 1,
                                                              SITES["translate"]: 1}


def test_site_tags_name_a_request_or_a_function(project):
    calls = [_call("anything", site=SITES["handoff"]), _call("anything", site="helpdesk/handoff.py::handoff_note"),
             _call("anything", site="helpdesk/gone.py::nothing")]
    result = attribute(calls, project)
    assert len(result.by_site[SITES["handoff"]]) == 2
    assert "names no request site" in result.unattributed[0].reason


def test_a_call_without_text_or_tag_is_listed_with_why(project):
    result = attribute([LoggedCall("t:1", "claude-sonnet-4-5", None, 100)], project)
    assert "neither a site tag nor the text" in result.unattributed[0].reason


def test_a_site_with_too_little_static_text_claims_nothing(project):
    # translate's user message is all run-time text; a log whose system prompt is another
    # app's must not land on any site just because its user text is free
    result = attribute([_call("Bonjour", system="You are a different assistant for another product entirely.")],
                       project)
    assert not result.by_site


@pytest.mark.parametrize("logged,code", [("anthropic/claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
                                         ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
                                         ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"), ("openai/gpt-4o", "gpt-4o")])
def test_model_ids_compare_as_logs_and_code_spell_them(logged, code):
    assert model_key(logged) == model_key(code)


def test_an_unreadable_log_is_reported_and_the_others_read(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json\n")
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}\n')
    logs = read_logs([(bad, "bad.json"), (other, "other.json"), (LOGS / "promptlint-usage.jsonl", "ok.jsonl")])
    assert len(logs.calls) == 19
    assert len(logs.problems) == 2 and "bad.json:1" in logs.problems[0] and "not a usage log" in logs.problems[1]
