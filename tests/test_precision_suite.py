"""The precision suite: a small project with every shape that fooled the text rules on real
code (a transcript with repeated labels, a `cat -n` listing with code indentation, two
branches with the same numbered step, sample contracts with boilerplate, a knowledge base
from a data module that search code reuses, an answer skeleton with an explanation, a
reply the model is told to say, text repeated past what can be counted) and the real
problems next to them. `check` must report exactly the real problems; `fix` must change
only what those findings name and refuse the edit of text other code reads."""

from __future__ import annotations

import shutil

import pytest

from conftest import ROOT, make_fixer, run_analysis
from promptlint.fix import APPLIED, FAILED

FIXTURE = ROOT / "tests" / "fixtures" / "anatomy_traps"

EXPECTED = {
    ("PL002", "overflow.py", 8),  # "..." * 120000: reported as too large to count, not capped
    ("PL102", "triage/classify.py", 11),
    ("PL103", "helpdesk/assistant.py", 8),
    ("PL103", "helpdesk/assistant.py", 34),  # the second piece of the concatenated literal
    ("PL104", "helpdesk/assistant.py", 11),
    ("PL105", "agent/prompts/demo.j2", 24),
    ("PL401", "triage/classify.py", 8),
    ("PL405", "triage/classify.py", 8),  # Opus 4.1 has a cheaper successor: real too
    ("PL405", "overflow.py", 9),  # a superseded model, not priced: the input cannot be counted
}


@pytest.fixture(scope="module")
def analysis():
    return run_analysis(FIXTURE, select=("ALL",))


def test_exactly_the_real_problems_are_reported(analysis):
    found = {(f.finding.code, f.finding.span.path, f.finding.span.line) for f in analysis.findings}
    assert found == EXPECTED


def test_a_request_that_cannot_be_counted_is_never_priced(analysis):
    unpriced = [f for f in analysis.findings if f.finding.span.path == "overflow.py"]
    assert {f.finding.code for f in unpriced} == {"PL002", "PL405"}
    assert all(f.finding.saving is None for f in unpriced)
    assert any("not priced" in f.finding.message for f in unpriced if f.finding.code == "PL405")


def test_no_finding_on_any_trap(analysis):
    messages = [f.finding.message for f in analysis.findings]
    for trap in ("Open Quillbox Settings", "TENANCY AGREEMENT", "The Tenant shall", "DO NOT push new commits",
                 "Do not promise a fix date", "TOOL RESULT", "thank you", "Please contact us", "quick brown fox",
                 "true/false"):
        assert not [m for m in messages if trap.lower() in m.lower()], trap
    assert not [f for f in analysis.findings if f.finding.code == "PL302"]  # the judge asks for an explanation


def test_the_real_problems_say_what_they_are(analysis):
    by_key = {(f.finding.code, f.finding.span.path, f.finding.span.line): f.finding for f in analysis.findings}
    assert "repeats line 9 of the same template" in by_key[("PL104", "helpdesk/assistant.py", 11)].message
    assert by_key[("PL104", "helpdesk/assistant.py", 11)].fix.applicability == "safe"
    assert "\"please\"" in by_key[("PL103", "helpdesk/assistant.py", 8)].message
    role = by_key[("PL102", "triage/classify.py", 11)].message
    assert "working for Quillbox, a note-taking app used by students" in role  # facts kept, inflation gone
    assert "experience" not in role.split("such as", 1)[1]
    assert "(classify)" in by_key[("PL401", "triage/classify.py", 8)].message
    assert "too large to count" in by_key[("PL002", "overflow.py", 8)].message
    whitespace = by_key[("PL105", "agent/prompts/demo.j2", 24)]
    assert "runs of spaces" not in whitespace.message and "indentation" not in whitespace.message


def test_fix_changes_only_what_the_findings_name(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    demo_before = (root / "agent/prompts/demo.j2").read_text()
    run = make_fixer(root).run()
    applied = {(r.finding.finding.code, r.finding.finding.span.path) for r in run.results if r.status == APPLIED}
    assert applied == {("PL104", "helpdesk/assistant.py"), ("PL105", "agent/prompts/demo.j2")}
    demo = (root / "agent/prompts/demo.j2").read_text()
    example = demo_before[demo_before.index("=== START"):demo_before.index("=== END")]
    assert example in demo  # the listing and its code indentation, byte for byte
    assert demo.endswith("Keep each reply short.\nCall one tool per reply.\nStop when the task is done.\n")
    assistant = (root / "helpdesk/assistant.py").read_text()
    assert assistant.count("Quote the article you used by its title.") == 1
    assert assistant.count("Do not promise a fix date") == 2  # one per branch
    assert (root / "helpdesk/kb.py").read_text() == (FIXTURE / "helpdesk/kb.py").read_text()
    assert (root / "legal/samples.py").read_text() == (FIXTURE / "legal/samples.py").read_text()


def test_unsafe_fix_refuses_text_that_other_code_reads(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    run = make_fixer(root, ("PL103",), unsafe=True).run()
    results = {r.finding.finding.span.line: r for r in run.results}
    assert results[8].status == APPLIED
    refused = results[34]  # the filler is on the second piece of the literal
    assert refused.status == FAILED and "also used at helpdesk/export.py:9" in refused.reason
    assert "Make sure to include" in (root / "helpdesk/assistant.py").read_text()
    assert "Answer in at most five sentences." in (root / "helpdesk/assistant.py").read_text()


def _service(topic: str, repeated: bool) -> str:
    rule = "Never ask for card numbers or passwords.\n"
    return (
        "import anthropic\n\nclient = anthropic.Anthropic()\n\n"
        f'SYSTEM_PROMPT = """You answer questions about {topic} for the ACME help desk.\n'
        "Quote amounts with their currency.\n" + rule + (rule if repeated else "") + '"""\n\n\n'
        "def answer(question):\n"
        "    return client.messages.create(model=\"claude-sonnet-4-5\", max_tokens=400, system=SYSTEM_PROMPT,\n"
        "                                  messages=[{\"role\": \"user\", \"content\": question}])\n"
    )


@pytest.mark.parametrize("reader, applied", [
    ("", True),  # two services, each with its own SYSTEM_PROMPT: neither reads the other's
    ("from billing import SYSTEM_PROMPT\n\nprint(len(SYSTEM_PROMPT))\n", False),  # a script reads billing's
])
def test_a_name_other_modules_define_for_themselves_is_not_a_shared_use(tmp_path, reader, applied):
    from conftest import write_tree

    files = {"billing.py": _service("invoices", repeated=True), "returns.py": _service("returns", repeated=False)}
    if reader:
        files["report.py"] = reader
    write_tree(tmp_path, files)
    run = make_fixer(tmp_path, ("PL104",)).run()
    [result] = run.results
    assert (result.status == APPLIED) is applied, result.reason
    if not applied:
        assert "also used at report.py:3" in result.reason
    assert (tmp_path / "billing.py").read_text().count("Never ask for card numbers") == (1 if applied else 2)



CHAIN = '''\
import anthropic

client = anthropic.Anthropic()
QUESTION = "List every city named in the memo below, one per line.\\n\\nMemo: the team flies from Oslo to Lima, then on to Quito in 3 days."
FIRST_ANSWER = "Oslo\\nLima\\nQuito"


def ask(messages):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=300, messages=messages)


def with_prefill():
    return ask([{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "<cities>"}])


def sorted_cities():
    return ask([{"role": "user", "content": QUESTION}, {"role": "assistant", "content": FIRST_ANSWER},
                {"role": "user", "content": "Now sort those cities alphabetically."}])


def counted_cities():
    return ask([{"role": "user", "content": QUESTION}, {"role": "assistant", "content": FIRST_ANSWER},
                {"role": "user", "content": "Now say how many cities there are."}])
'''


def test_a_conversation_chained_through_several_requests_has_no_redundant_example(tmp_path):
    # Each request sends the earlier answer once: the demonstration two requests share is one
    # example, and the request with a prefill sends no example at all (it shares the question only).
    from conftest import write_tree

    write_tree(tmp_path, {"chain.py": CHAIN})
    analysis = run_analysis(tmp_path, select=("PL101",))
    assert [f.finding.message for f in analysis.findings] == []


def test_a_demonstration_one_request_sends_twice_is_still_reported(tmp_path):
    from conftest import write_tree

    # The same demonstration again in one request's list, another number in its memo.
    again = CHAIN.split("QUESTION = ", 1)[1].split("\n", 1)[0].replace("3 days", "5 days")
    twice = CHAIN.replace("FIRST_ANSWER = ", f"AGAIN = {again}\nFIRST_ANSWER = ").replace(
        '{"role": "user", "content": "Now sort those cities alphabetically."}',
        '{"role": "user", "content": AGAIN}, {"role": "assistant", "content": FIRST_ANSWER},\n'
        '                {"role": "user", "content": "Now sort those cities alphabetically."}')
    write_tree(tmp_path, {"chain.py": twice})
    analysis = run_analysis(tmp_path, select=("PL101",))
    [finding] = [f.finding for f in analysis.findings]
    assert finding.message.startswith("few-shot example nearly duplicates the example at line 4 (similarity 1.00")
    assert finding.requests == ("chain.py::sorted_cities::ask#1",)


def _browser_agent(objective_1: str, objective_2: str) -> str:
    from test_anatomy import BROWSER

    text = BROWSER.format(objective_1=objective_1, objective_2=objective_2).replace("$page", "{page}")
    return ("import anthropic\n\nclient = anthropic.Anthropic()\n\nPROMPT_TEMPLATE = \"\"\"\n" + text + "\"\"\"\n\n\n"
            "def command(page):\n    return client.messages.create(model=\"claude-haiku-4-5\", max_tokens=20,\n"
            "        messages=[{\"role\": \"user\", \"content\": PROMPT_TEMPLATE.replace(\"{page}\", page)}])\n")


def test_examples_that_share_a_page_listing_but_not_their_task_are_not_duplicates(tmp_path):
    from conftest import write_tree

    write_tree(tmp_path, {"agent.py": _browser_agent("Find the maps page", "Open the maps page")})
    assert [f.finding.message for f in run_analysis(tmp_path, select=("PL101",)).findings] == []


def test_an_underlined_example_repeated_word_for_word_is_still_reported(tmp_path):
    from conftest import write_tree

    same = _browser_agent("Find the maps page", "Find the maps page").replace('CLICK 1', 'TYPE 2 \\"maps\\"')
    write_tree(tmp_path, {"agent.py": same})
    [finding] = [f.finding for f in run_analysis(tmp_path, select=("PL101",)).findings]
    assert "duplicates the example at line" in finding.message and "word for word" in finding.message
