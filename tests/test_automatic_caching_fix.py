"""PL205's fix turns on automatic caching in the form the project's SDK understands.

``messages.create(cache_control=...)`` exists from ``anthropic`` 0.83.0 on; a project that
declares an older SDK would get ``TypeError`` at the call, so the fix writes the same body
field through ``extra_body`` there, and names the declaration in neither case wrongly.
"""

from __future__ import annotations

import json

import pytest

from conftest import write_tree
from promptlint.fix.declared import admits_below, older_allowed, version

AGENT = '''\
"""Support agent: answers a ticket with the help of tools."""
import anthropic

client = anthropic.Anthropic()

SYSTEM = (
    "You answer customer tickets for a bicycle shop. Look the order up with the tools before you "
    "answer, quote the order number, and keep the reply under five sentences."
)

TOOLS = [{"name": "find_order", "description": "Find an order by its number or the buyer's e-mail.",
          "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}}}]


def answer(ticket, run_tool):
    messages = [{"role": "user", "content": ticket}]
    for step in range(10):
        response = client.messages.create(
            model="claude-sonnet-4-5",
            max_tokens=1024,
            system=SYSTEM,
            tools=TOOLS,
            messages=messages,%s
        )
        if response.stop_reason != "tool_use":
            return response.content[0].text
        messages.append({"role": "assistant", "content": response.content})
        messages.append({"role": "user", "content": run_tool(response)})
    return None
'''


def _fix(cli, root):
    code, out, err = cli(root, "fix", ".", "--unsafe-fixes", "--select", "PL205", "--no-cache")
    assert code in (0, 1), err
    return out, (root / "agent.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("declared, form", [
    ({"requirements.txt": "anthropic>=0.39.0\nhttpx\n"}, "extra_body"),
    ({"requirements/base.txt": "anthropic==0.80.1\n"}, "extra_body"),
    ({"pyproject.toml": '[tool.poetry.dependencies]\nanthropic = "^0.40"\n'}, "extra_body"),
    ({"pyproject.toml": '[project]\nname = "x"\nversion = "1"\ndependencies = ["anthropic>=0.84"]\n'}, "keyword"),
    ({"requirements.txt": "anthropic-bedrock==0.8.0\nanthropic\n"}, "keyword"),
    ({}, "keyword"),
])
def test_the_form_follows_the_declared_sdk(cli, tmp_path, declared, form):
    root = write_tree(tmp_path, {"agent.py": AGENT % "", **declared})
    out, text = _fix(cli, root)
    assert "PL205" in out and "  fixed:" in out
    compile(text, "agent.py", "exec")
    if form == "extra_body":
        assert 'extra_body={"cache_control": {"type": "ephemeral"}}' in text
        assert "cache_control=" not in text.replace('"cache_control"', "")
    else:
        assert 'cache_control={"type": "ephemeral"}' in text and "extra_body" not in text
    # the re-extracted request has its automatic breakpoint: the finding is gone, a rerun edits nothing
    code, out, _ = cli(root, "check", ".", "--select", "PL205", "--no-cache", "--format", "json")
    assert not [f for f in json.loads(out)["findings"] if f["code"] == "PL205"]
    again, text2 = _fix(cli, root)
    assert text2 == text and "  fixed:" not in again


def test_an_existing_extra_body_gains_the_entry(cli, tmp_path):
    root = write_tree(tmp_path, {"agent.py": AGENT % '\n            extra_body={"metadata": {"user_id": "ops"}},',
                                 "requirements.txt": "anthropic~=0.60\n"})
    _, text = _fix(cli, root)
    compile(text, "agent.py", "exec")
    assert 'extra_body={"metadata": {"user_id": "ops"}, "cache_control": {"type": "ephemeral"}}' in text


TRANSCRIPT = '''\
import anthropic

client = anthropic.Anthropic()


def roleplay(lines):
    transcript = ""
    for line in lines:
        transcript += f"Customer: {line}\\n"
        reply = client.messages.create(model="claude-sonnet-5", max_tokens=300,
                                       messages=[{"role": "user", "content": transcript}])
        transcript += f"Agent: {reply.content[0].text}\\n"
'''


def test_a_history_written_into_text_gets_no_cache_edit(cli, tmp_path):
    """A breakpoint on one growing text block reads nothing back on the next turn (its
    prefix ended inside the block), so caching it pays the write premium every turn: the
    finding says to split the turns into messages and the fix leaves the file alone."""
    root = write_tree(tmp_path, {"agent.py": TRANSCRIPT})
    code, out, _ = cli(root, "check", ".", "--select", "PL205", "--no-cache", "--format", "json")
    [finding] = json.loads(out)["findings"]
    assert "written whole into one message's text" in finding["message"]
    assert "each turn as its own message" in finding["message"]
    _, text = _fix(cli, root)
    assert text == TRANSCRIPT


def test_a_notebook_pins_its_own_sdk(tmp_path):
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": ["%pip install anthropic==0.21.3 python-dotenv\n"]}]
    write_tree(tmp_path, {"nb/demo.ipynb": json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                                       "nbformat_minor": 5})})
    found = older_allowed(tmp_path, "nb/demo.ipynb", "anthropic", "0.83.0")
    assert found is not None and found.where == "nb/demo.ipynb cell 1"
    assert older_allowed(tmp_path, "nb/other.ipynb", "anthropic", "0.83.0") is None


def test_declarations_above_the_fixed_folder_count_inside_a_repository(tmp_path):
    write_tree(tmp_path, {".git/HEAD": "ref: refs/heads/main\n", "requirements.txt": "anthropic>=0.30\n",
                          "src/app/agent.py": "x = 1\n"})
    found = older_allowed(tmp_path / "src", "app/agent.py", "anthropic", "0.83.0")
    assert found is not None and found.spec == "anthropic>=0.30"


@pytest.mark.parametrize("spec, older", [
    (">=0.39.0", True), ("==0.21.3", True), ("~=0.40", True), ("^0.40", True), (">=0.39,<1", True),
    ("<0.80", True), ("<=0.83.0", False), ("<0.83.0", True), (">=0.83.0", False), ("==0.90.0", False),
    (">0.82", True), (">=0.84,!=0.85.1", False), (">=0.83", False), ("==0.83.0.0", False), ("<0.83", True), ("", False), (">=0.39; python_version<'3.9'", True),
])
def test_admits_below(spec, older):
    assert admits_below(spec, version("0.83.0")) is older
