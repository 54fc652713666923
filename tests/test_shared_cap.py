"""PL302 on a cap that a helper sets for every prompt sent through it: the cap can only
shrink to what all of those prompts need, so one short-answer prompt among long ones is
no finding, and prompts that are all short give one finding for the setting."""

from __future__ import annotations

import textwrap

from conftest import run_analysis

HELPER = '''
    import anthropic

    client = anthropic.Anthropic()


    def ask(prompt: str, system: str = "") -> str:
        reply = client.messages.create(
            model="claude-sonnet-4-5",
            max_tokens=2000,
            system=system,
            messages=[{"role": "user", "content": prompt}],
        )
        return reply.content[0].text

'''

MIXED = HELPER + '''
    SLOGAN_PROMPT = "In one sentence, what do you think about cycling to work?"
    print(ask(SLOGAN_PROMPT))

    PLAN_PROMPT = """Write a week-long training plan for a first 10k race, day by day, with the
    distance, the pace and a short note on why each session is there."""
    print(ask(PLAN_PROMPT))
'''

ALL_SHORT = HELPER + '''
    SLOGAN_PROMPT = "In one sentence, what do you think about cycling to work?"
    print(ask(SLOGAN_PROMPT))

    RAIN_PROMPT = "In one sentence, what do you think about cycling in the rain?"
    print(ask(RAIN_PROMPT))
'''


def _pl302(tmp_path, source):
    (tmp_path / "lesson.py").write_text(textwrap.dedent(source))
    analysis = run_analysis(tmp_path, select=("PL302",))
    return [f.finding for f in analysis.findings if f.finding.code == "PL302"]


def test_a_helper_cap_that_also_serves_a_long_answer_is_left_alone(tmp_path):
    assert _pl302(tmp_path, MIXED) == []


def test_a_helper_cap_whose_prompts_are_all_short_is_one_finding(tmp_path):
    found = _pl302(tmp_path, ALL_SHORT)
    assert [(f.span.path, f.span.line) for f in found] == [("lesson.py", 10)]
    assert "a cap of 64 fits it" in found[0].message
