"""A realistic project end to end: every finding was reviewed by hand; so were the silences."""

from __future__ import annotations

from conftest import ROOT, run_analysis

FIXTURE = ROOT / "tests" / "fixtures" / "ledgerly"

EXPECTED = {
    # Opus routing messages with a one-word answer; and a 2,048-token cap for that word.
    ("PL401", "ledgerly/api/intent.py", 17),
    ("PL302", "ledgerly/api/intent.py", 18),
    # Automatic caching on a one-shot help question: the 1,000-token guide is written every call.
    ("PL202", "ledgerly/api/vat_help.py", 19),
    # The monthly digest job calls the model once per company in a loop.
    ("PL402", "ledgerly/jobs/monthly_digest.py", 17),
    # "world-class, highly experienced ... expert with more than twenty years ..."
    ("PL102", "ledgerly/prompts/support.py", 6),
    ("PL103", "ledgerly/prompts/support.py", 18),
    # "Never ask for passwords ..." twice in the system prompt, and again in the user template.
    ("PL104", "ledgerly/prompts/support.py", 24),
    ("PL104", "ledgerly/prompts/support.py", 63),
    # INV-2041 / INV-3380: the same example with another invoice number and date.
    ("PL101", "ledgerly/prompts/support.py", 69),
    # A four-key JSON answer with a 4,000-token cap.
    ("PL302", "ledgerly/services/receipts.py", 22),
    # The chat's clock sits before its only breakpoint, and the fixed text after it is below
    # Sonnet 4.5's minimum: the breakpoint caches nothing (an info, issue 21).
    ("PL203", "ledgerly/api/chat.py", 29),
    # Claude Opus 4.1 pinned where Opus 4.5, its successor, costs a third.
    ("PL405", "ledgerly/api/intent.py", 17),
    ("PL405", "ledgerly/services/agent.py", 33),
    # The reconciling agent re-sends its growing tool transcript, uncached, on each of up to 8 steps.
    ("PL205", "ledgerly/services/agent.py", 32),
}


def test_findings_on_the_realistic_project():
    analysis = run_analysis(FIXTURE, select=("ALL",))
    found = {(f.finding.code, f.finding.span.path, f.finding.span.line) for f in analysis.findings}
    assert found == EXPECTED
    saving = {f.finding.code: f.price for f in analysis.findings if f.price}
    assert saving["PL202"].usd_per_request > saving["PL103"].usd_per_request > 0


def test_quiet_where_it_should_be():
    analysis = run_analysis(FIXTURE, select=("ALL",))
    paths = {f.finding.span.path for f in analysis.findings}
    # The agent loops over range(8) with tools (not batchable, not a simple task: only its
    # uncached history, PL205, and its superseded model, PL405, are reported there); SQL and e-mail templates are not
    # prompts; the chat's useless breakpoint is an info (PL203) and nothing else.
    assert {f.finding.code for f in analysis.findings if f.finding.span.path == "ledgerly/services/agent.py"} == \
        {"PL205", "PL405"}
    assert {f.finding.code for f in analysis.findings if f.finding.span.path == "ledgerly/api/chat.py"} == {"PL203"}
    assert not paths & {"ledgerly/db/sql.py", "ledgerly/notify/emails.py"}
