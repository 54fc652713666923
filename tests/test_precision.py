"""Precision: strings that are not prompts (SQL, logs, errors, e-mails, HTML, CLI prompts,
docstrings), non-LLM SDK calls in loops, and one clean LLM call give no findings at all."""

from __future__ import annotations

from conftest import ROOT, run_analysis

FIXTURE = ROOT / "tests" / "fixtures" / "precision"


def test_no_rule_fires_on_non_prompt_strings():
    analysis = run_analysis(FIXTURE, select=("ALL",))
    assert [(f.finding.code, f.finding.span.path, f.finding.message) for f in analysis.findings] == []
    # The fixture is read, not skipped: the name patterns do pick these constants up.
    names = {t.name for t in analysis.project.templates.values()}
    assert {"ORDER_LOOKUP_TEMPLATE", "SYSTEM_ERROR_MESSAGE", "ORDER_CONFIRMATION_EMAIL_TEMPLATE",
            "PROMPT_HELP", "SYSTEM_MAINTENANCE_TEMPLATE"} <= names
    assert [r.api for r in analysis.project.requests] == ["messages.create"]
