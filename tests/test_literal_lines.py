"""A finding in a Python literal points at the source line its text is on, whatever the
literal's escapes: an escaped ``\\n`` and implicitly concatenated pieces break the value
and the source in different places, and a backslash continuation or the gap between
concatenated pieces continues one line of the value on lower source lines."""

from __future__ import annotations

import textwrap

import pytest

from conftest import run_analysis
from promptlint.extract.literal_lines import value_rows, value_table

# Each prompt has one filler run ("Please make sure to"); the marker comment names its line.
SHAPES = {
    "triple_escape.py": '''
        REVIEW_PROMPT = """You review pull requests for a payments team and answer in short notes.\\n

        Read the diff first, then the tests that cover it.\\n\\nList every defect you find.

        Please make sure to cite the file and line of each defect.  # filler

        End with a one-line verdict."""
        ''',
    "triple_escape_format.py": '''
        TRIAGE_PROMPT = """You sort support tickets for {team} into queues.\\n'

        Read the ticket {ticket_id} and the customer's plan before you decide.

        Name one queue. Please make sure to quote the sentence that decided it.  # filler

        Then stop and wait for the next ticket."""
        ''',
    "fstring_triple.py": '''
        team = load_team()
        plan = load_plan()
        TRIAGE_PROMPT = f"""You sort support tickets for {team} into queues.\\nRead the plan {plan}.\\n

        Name one queue for each ticket. Please make sure to quote the sentence that decided it.  # filler

        Then stop and wait for the next ticket."""
        ''',
    "continued_start.py": '''
        def goal_prompt(goal):
            return f"""\\
        # Instructions
        Read the page and pick the next action. Please make sure to follow the answer format.  # filler

        ## Goal:
        {goal}
        """


        BROWSE_PROMPT = goal_prompt(load_goal())
        ''',
    "single_escape.py": '''
        SUMMARY_PROMPT = ("You summarise meeting notes for a busy manager.\\n"
                          "Keep it to five bullet points.\\n"
                          "\\n"
                          "Please make sure to list every decision and its owner.\\n"  # filler
                          "End with the date of the next meeting.")
        ''',
    "fstring_single.py": '''
        topic = load_topic()
        NOTES_PROMPT = (f"You summarise meeting notes about {topic} for a busy manager.\\n"
                        f"Keep it to five bullet points.\\n\\n"
                        f"Please make sure to list every decision and its owner.\\n"  # filler
                        f"End with the date of the next meeting.")
        ''',
    "concatenated_one_line.py": '''
        CHECK_PROMPT = ("You check invoices for a small accounting firm. "
                        "Read every line item before you answer. "
                        "Please make sure to flag any total that does not add up. "  # filler
                        "Reply with the invoice number and a verdict.")
        ''',
    "concatenated_after_field.py": '''
        firm = load_firm()
        CHECK_PROMPT = (f"You check invoices for {firm}. "
                        f"Read every line item of {{the invoice}} before you answer. "
                        "Please make sure to flag any total that does not add up. "  # filler
                        "Reply with the invoice number and a verdict.")
        ''',
}


def _expected_line(text: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.rstrip().endswith("# filler"))


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_a_finding_points_at_the_line_its_phrase_is_on(tmp_path, name):
    source = textwrap.dedent(SHAPES[name]).lstrip("\n")
    (tmp_path / name).write_text(source)
    analysis = run_analysis(tmp_path, select=("PL103",))
    lines = [f.finding.span.line for f in analysis.findings if f.finding.code == "PL103"]
    assert lines == [_expected_line(source)]


def test_a_literal_that_breaks_where_its_source_does_has_no_table():
    assert value_rows('"""one\ntwo\n\nthree"""') is None
    assert value_rows('"plain text"') is None
    assert value_rows('("a\\n"\n "b\\n"\n "\\n"\n "c")') is None  # each piece ends its line
    assert value_rows('r"""a\\nb\nc"""') is None  # a raw string's \\n is two characters


def test_the_table_names_the_source_line_of_each_value_line():
    assert value_rows('"""a\\nb\nc"""') == (0, 0, 1)
    assert value_rows('("a\\nb\\n"\n "c")') == (0, 0, 1)
    assert value_rows('f"""{x}\\n{ {"k": "\\n"}["k"] }\nz"""') == (0, 0, 1)  # a field's text is not the literal's
    assert value_rows('"""\\\nFirst line.\nSecond."""') == (1, 2)  # the value starts a line down


def test_a_continued_value_line_records_where_it_moves_down():
    assert value_table('"""a \\\nb"""') == (None, ((0, 1, 1),))
    assert value_table('("ab "\n "cd")') == (None, ((0, 2, 1),))
    assert value_table('"""one\ntwo"""') == (None, None)
    assert value_table('f"""{x} \\\n{y}z"""') == (None, ((0, 1, 1),))  # a field is not the literal's text


def test_a_duplicate_on_a_continued_line_names_both_source_lines(tmp_path):
    (tmp_path / "judge.py").write_text(textwrap.dedent('''
        from openai import OpenAI

        client = OpenAI()


        def match(gold, pred):
            prompt = f"""\\
                Given a gold answer and a predicted answer, decide whether the prediction matches. \\
                Read both answers in full before you decide. \\
                Answer true only when both name the same quantity. \\
                Answer true only when both name the same quantity. \\
                Return true or false.

                Gold: {gold}
                Predicted: {pred}"""
            return client.chat.completions.create(model="gpt-4o", max_completion_tokens=5,
                                                  messages=[{"role": "user", "content": prompt}])
        ''').lstrip("\n"))
    analysis = run_analysis(tmp_path, select=("PL104",))
    found = [f.finding for f in analysis.findings if f.finding.code == "PL104"]
    assert [(f.span.line, "repeats line 10 " in f.message) for f in found] == [(11, True)]
