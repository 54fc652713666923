"""The anatomy stage: which regions a template's text is made of, the sections they sit
in, what a rule that reads some kinds sees, and how the fix stage holds the rest fixed."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import as_json, run_analysis, write_tree
from promptlint.anatomy import BLANK_INLINE, Anatomies
from promptlint.anatomy.build import dissect
from promptlint.anatomy.view import TextView
from promptlint.rules import RuleError, rule_from_data
from promptlint.types import Project, Segment, Span, Template


def template(text: str, *segments: Segment, tid: str = "p.j2") -> Template:
    segs = segments or (Segment(text, span=Span(tid, 1, 1, end_line=text.count("\n") + 1)),)
    return Template(tid, tid, Span(tid, 1, 1, end_line=text.count("\n") + 1), "jinja", "system", segs)


def kinds(text: str, *segments: Segment) -> list[tuple[str, str]]:
    """(kind, first words) of every region that holds more than whitespace."""
    anatomy = dissect(template(text, *segments))
    return [(r.kind, " ".join(text[r.start:r.end].split())[:30]) for r in anatomy.regions
            if text[r.start:r.end].strip()]


def kind_of(text: str, needle: str) -> str:
    anatomy = dissect(template(text))
    return anatomy.kind_at(text.index(needle))


def test_speaker_turns_are_a_transcript_and_a_form_is_not():
    transcript = textwrap.dedent("""\
        Summarize the call for the supervisor.

        Caller: Hi, my scanner stopped working after the update.
        Rep: Sorry to hear that. Which model is it?
        Caller: The SX-20, thank you.
        Rep: Thank you. Please unplug it for ten seconds.

        Keep the summary under three lines.
        """)
    assert kind_of(transcript, "Caller: Hi") == "example"
    assert kind_of(transcript, "Please unplug") == "example"
    assert kind_of(transcript, "Keep the summary") == "instruction"
    form = "Question: {q}\nExpected answer: {a}\nGiven answer: {g}\nIs the given answer right?"
    assert kind_of(form, "Expected answer") == "instruction"


def test_numbered_listing_shell_and_fenced_code_are_code():
    text = ("Here is the file:\n     1\tdef f(x):\n     2\t    return  x * 2\n\n"
            "Run it:\n$ python f.py\nok\n\n```json\n{\"a\":   1}\n```\nThen reply.")
    assert kind_of(text, "return  x") == "code"
    assert kind_of(text, "$ python") == "code"
    assert kind_of(text, "\"a\":") == "code"
    assert kind_of(text, "Then reply") == "instruction"


def test_tag_names_decide_the_kind_of_their_block():
    text = ("Answer from the sources.\n<documents>\n<document index=\"1\">The warranty lasts two years.</document>\n"
            "</documents>\n<Worked Example 2>\nQ: x\nA: y\n</Worked Example 2>\n"
            "<function_results>exit 0</function_results>\n<instructions>\nBe brief.\n</instructions>")
    assert kind_of(text, "The warranty") == "document"
    assert kind_of(text, "Q: x") == "example"
    assert kind_of(text, "exit 0") == "code"
    assert kind_of(text, "Be brief") == "instruction"  # a tag that names no kind only makes a section


def test_the_skeleton_after_a_format_cue_is_the_output_format():
    text = ("Decide whether the two answers agree.\n\nRespond in the following XML format:\n<verdict>\n"
            "<reason>Why</reason>\n<agree>yes/no</agree>\n</verdict>\n\nBe strict.")
    assert kind_of(text, "<reason>") == "output-format"
    assert kind_of(text, "Respond in") == "instruction"
    assert kind_of(text, "Be strict") == "instruction"


def test_quotes_block_quotes_tables_and_commands():
    text = ("If you cannot help, reply with \"Sorry, I can't help with that.\" and stop.\n"
            "When the order is late, say:\n> Please accept our apologies for the delay.\n\n"
            "| Plan  | Price |\n|-------|-------|\n| Basic |  $5   |\n\n"
            "RUN apt-get update && \\\n    apt-get install -y curl\n")
    assert kind_of(text, "Sorry, I") == "verbatim-reply"
    assert kind_of(text, "reply with") == "instruction"
    assert kind_of(text, "Please accept") == "verbatim-reply"
    assert kind_of(text, "| Basic") == "table"
    assert kind_of(text, "apt-get install") == "code"


def test_examples_between_start_and_end_lines_and_under_example_headings():
    text = ("Follow the pattern.\n--- START OF EXAMPLE ---\nPlease list the files.\n--- END OF EXAMPLE ---\n"
            "## Example 2\nInput: a\nOutput: b\n## Your task\nPlease list the folders.")
    assert kind_of(text, "Please list the files") == "example"
    assert kind_of(text, "Input: a") == "example"
    assert kind_of(text, "Please list the folders") == "instruction"


BROWSER = ("You control a browser. Issue one command.\n\nEXAMPLE 1:\n==========\nPAGE:\n------\n<link id=1>Maps</link>\n"
           "<input id=2>Search</input>\n------\nOBJECTIVE: {objective_1}\nCOMMAND: \nTYPE 2 \"maps\"\n==========\n\n"
           "EXAMPLE 2:\n==========\nPAGE:\n------\n<link id=1>Maps</link>\n<input id=2>Search</input>\n------\n"
           "OBJECTIVE: {objective_2}\nCOMMAND: \nCLICK 1\n==========\n\n"
           "The page and objective follow. Reply with your next command only.\n\nPAGE:\n------\n$page\n------\n")


def test_an_underlined_title_heads_a_section_that_its_closing_row_ends():
    text = BROWSER.format(objective_1="Find the maps page", objective_2="Open the maps page")
    anatomy = dissect(template(text))
    examples = [text[r.start:r.end] for r in anatomy.regions if r.kind == "example"]
    assert [e.split("\n", 1)[0] for e in examples] == ["EXAMPLE 1:", "EXAMPLE 2:"]
    assert all(e.rstrip().endswith("==========") and "OBJECTIVE:" in e for e in examples)  # the whole block
    assert kind_of(text, "Reply with your next command") == "instruction"  # after the last block's closing row
    # a line of text closing a block above the row is no title: it follows other text
    assert not any(s.title.startswith("TYPE 2") for s in anatomy.sections)


def test_text_spliced_from_a_data_constant_is_a_document_and_from_a_prompt_constant_is_not():
    span = Span("app.py", 3, 1, end_line=3)
    segments = (Segment("Use these notes:\n", span=span),
                Segment("Clause 4. The tenant shall pay rent monthly.\n", span=Span("data/leases.py", 2, 1),
                        origin="data/leases.py::lease_text"),
                Segment("Be polite and brief.\n", span=Span("app.py", 1, 1), origin="app.py::STYLE_PROMPT"),
                Segment("Reply in one line.", span=span))
    text = "".join(s.text for s in segments)
    found = kinds(text, *segments)
    assert ("document", "Clause 4. The tenant shall pay") in found
    assert all(kind == "instruction" for kind, words in found if words.startswith(("Use these", "Be polite")))


def test_branches_are_sibling_sections_and_a_reminder_list_is_inside_its_part():
    text = textwrap.dedent("""\
        Handle the ticket.

        If it is a question:
            1. Answer it
            2. Do not close the ticket

        If it is a bug report:
            1. Reproduce it
            2. Do not close the ticket

        Never share customer data.
        Remember:
        - Never share customer data.
        """)
    anatomy = dissect(template(text))
    first = text.index("Do not close")
    second = text.index("Do not close", first + 1)
    assert anatomy.section_at(first) != anatomy.section_at(second)
    assert not anatomy.in_scope(first, second)
    rule = text.index("Never share")
    reminder = text.index("Never share", rule + 1)
    assert anatomy.in_scope(rule, reminder)
    titles = {s.title: s.kind for s in anatomy.sections}
    assert titles["If it is a question"] == "branch" and titles["Remember"] == "label"


def test_a_reading_blanks_what_the_rule_does_not_read_offset_for_offset():
    text = "Say \"Thanks for waiting!\" first.\nUSER: hi\nA: hello\nUSER: bye\nA: see you\n\nBe brief."
    project = Project(".", 1, templates={"p.j2": template(text)})
    reading = Anatomies(project).reading("p.j2", ["instruction"])
    assert len(reading.text) == len(text)
    assert "Thanks" not in reading.text and BLANK_INLINE in reading.text  # inside a line: the sentence goes on
    assert "USER" not in reading.text and reading.text.index("Be brief") == text.index("Be brief")
    assert reading.readable(text.index("Be brief"), len(text)) and not reading.readable(0, len(text))


def test_a_rule_file_names_known_region_kinds():
    base = {"code": "X1", "name": "x", "severity": "info", "summary": "s", "check": "m:f"}
    assert rule_from_data({**base, "reads": ["instruction", "role"]}, "x.yaml", "builtin").reads == ("instruction", "role")
    assert rule_from_data({**base, "edits": "all"}, "x.yaml", "builtin").edits[0] == "instruction"
    with pytest.raises(RuleError, match="unknown region kind `prose`"):
        rule_from_data({**base, "reads": ["prose"]}, "x.yaml", "builtin")


def test_a_line_after_a_placeholder_maps_to_its_own_source_line():
    span = Span("prompts.py", 10, 12, end_line=16)  # SYSTEM = """..{reminder}..""" on lines 10-16
    segments = (Segment("Rules:\n1. Use a fence\n", span=span), Segment(hole="reminder", span=span),
                Segment("\n2. Keep it short\n3. Reply in English\n", span=span))
    view = TextView(Template("prompts.py::SYSTEM", "prompts.py", span, "python", "system", segments))
    assert view.locate(view.text.index("3. Reply")).line == 14


def test_audit_shows_a_templates_anatomy_and_json_lists_regions_with_verbose(tmp_path, cli):
    write_tree(tmp_path, {"prompts/answer.j2": "You answer billing questions.\n<example>\nUSER: hi\nA: hello\n</example>\n"})
    code, out, _ = cli(tmp_path, "audit", "--anatomy", "answer.j2", "--no-cache")
    assert code == 0 and "example" in out and "inside <example>" in out and "instruction" in out
    code, out, _ = cli(tmp_path, "check", "--format", "json", "--verbose", "--no-cache")
    regions = as_json(out)["templates"][0]["regions"]
    assert [r["kind"] for r in regions] == ["instruction", "example"]
    assert regions[1]["line"] == 2 and regions[1]["path"] == "prompts/answer.j2"
    code, out, _ = cli(tmp_path, "check", "--format", "json", "--no-cache")
    assert "regions" not in as_json(out)["templates"][0]
    code, _, err = cli(tmp_path, "audit", "--anatomy", "nothing-like-this", "--no-cache")
    assert code == 2 and "no template id contains" in err


def test_the_fix_stage_refuses_an_edit_that_changes_a_region_its_rule_may_not_edit():
    from promptlint.fix.verify import anatomy_problem
    from promptlint.types import Fix, TextEdit

    before_text = "Be brief.\n```\nx  =  1\n```\n"
    after_text = "Be brief.\n```\nx = 1\n```\n"
    before = Project(".", 1, templates={"p.j2": template(before_text)})
    after = Project(".", 1, templates={"p.j2": template(after_text)})
    fix = Fix("safe", "spaces", (TextEdit("p.j2", 0, 1, "B"),))
    assert "code region" in anatomy_problem(fix, ("instruction",), before, after)
    assert anatomy_problem(fix, ("instruction", "code"), before, after) is None


def test_a_reading_blanks_as_character_by_character_blanking_did(tmp_path):
    """Readings are made once per template and kinds, by slices: the same text as blanking
    each character of each region the rule does not read (anatomy_traps and examples)."""
    import re as _re
    import shutil

    from promptlint.anatomy import KINDS, Anatomies, _blanked
    from promptlint.config import parse_config
    from promptlint.engine import scan_tree

    for name in ("anatomy_traps", "ledgerly"):
        shutil.copytree(Path(__file__).parent / "fixtures" / name, tmp_path / name)
    project = scan_tree([tmp_path], parse_config({}, root=str(tmp_path))).project
    anatomies = Anatomies(project)
    choices = [("instruction",), ("instruction", "role"), tuple(k for k in KINDS if k != "example"), KINDS]
    compared = 0
    for tid in project.templates:
        for kinds in choices:
            reading = anatomies.reading(tid, kinds)
            assert reading is anatomies.reading(tid, kinds)
            assert reading.text == _blanked(reading.view.text, reading.anatomy.regions, frozenset(kinds)), tid
            compared += reading.text != reading.view.text
    assert compared > 10
    assert all(bool(_re.match(r"\s", chr(c))) == chr(c).isspace() for c in range(0x110000))
