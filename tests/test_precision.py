"""Precision: strings that are not prompts (SQL, logs, errors, e-mails, HTML, CLI prompts,
docstrings), non-LLM SDK calls in loops, and one clean LLM call give no findings at all."""

from __future__ import annotations

from conftest import ROOT, run_analysis

FIXTURE = ROOT / "tests" / "fixtures" / "precision"


def test_no_rule_fires_on_non_prompt_strings():
    analysis = run_analysis(FIXTURE, select=("ALL",))
    assert [(f.finding.code, f.finding.span.path, f.finding.message) for f in analysis.findings] == []
    # The fixture is read, not skipped: the name patterns pick up the prose constants...
    names = {t.name for t in analysis.project.templates.values()}
    assert {"SYSTEM_ERROR_MESSAGE", "PROMPT_HELP", "SYSTEM_MAINTENANCE_TEMPLATE"} <= names
    # ...but a prompt-like name on SQL, HTML, a log format or an id is not evidence enough.
    assert not names & {"ORDER_LOOKUP_TEMPLATE", "INSERT_EVENT_TEMPLATE", "ORDER_CONFIRMATION_EMAIL_TEMPLATE",
                        "LOG_FORMAT_TEMPLATE", "SYSTEM_TIMEZONE"}
    assert [r.api for r in analysis.project.requests if not r.embedding] == ["messages.create"]
    # the embeddings call is priced on its model, never linted as a prompt (issue 21)
    assert [r.api for r in analysis.project.requests if r.embedding] == ["embeddings.create"]
