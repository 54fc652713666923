"""A call in a comprehension whose element is a conditional expression (``{k: call() if c
else "" for ...}``): the loop reader walks statements, and an expression's ``body`` is
no list of them; the file is analysed, not reported as an internal error."""

from __future__ import annotations

import textwrap

from conftest import run_analysis

LABELS = '''
    import anthropic

    client = anthropic.Anthropic()


    def label_all(items):
        return {
            item: client.messages.create(
                model="claude-sonnet-4-5",
                max_tokens=16,
                messages=[{"role": "user", "content": f"Label this ticket: {item}"}],
            ).content[0].text
            if item
            else ""
            for item in items
        }
'''


def test_a_conditional_element_of_a_comprehension_is_no_internal_error(tmp_path):
    (tmp_path / "labels.py").write_text(textwrap.dedent(LABELS))
    analysis = run_analysis(tmp_path)
    assert not [f for f in analysis.findings if f.finding.code == "PL001"]
    assert [r.api for r in analysis.project.requests] == ["messages.create"]
