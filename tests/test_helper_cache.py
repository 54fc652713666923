"""PL201 on a request made through a helper: the breakpoint goes inside the helper, once
for every caller, so the callers' requests are one finding at the helper's call that
names them all (with the helper's own), not one finding per caller."""

from __future__ import annotations

import textwrap

from conftest import run_analysis

RULES = " ".join(f"Rule {i}: answer questions about invoice number {i} only with figures from the ledger."
                 for i in range(1, 90))

LESSON = f'''
    import anthropic

    client = anthropic.Anthropic()
    SYSTEM = """You answer billing questions for the finance team. {RULES}"""


    def ask(question):
        reply = client.messages.create(
            model="claude-sonnet-4-5",
            max_tokens=512,
            system=SYSTEM,
            messages=[{{"role": "user", "content": question}}],
        )
        return reply.content[0].text


    print(ask("What is the total of invoice 12?"))
    print(ask("Which invoices are overdue?"))
    print(ask("Who approved invoice 40?"))
'''


def test_a_helper_called_from_three_places_is_one_breakpoint_finding(tmp_path):
    (tmp_path / "lesson.py").write_text(textwrap.dedent(LESSON))
    found = [f.finding for f in run_analysis(tmp_path, select=("PL201",)).findings]
    assert [(f.span.path, f.span.line) for f in found] == [("lesson.py", 9)]
    assert len(found[0].requests) == 4  # the helper's own request and its three callers'
