"""A wrapper that never sets an output cap is one PL301 finding, at the wrapper's own call,
naming every request made through it; its unsafe fix adds the cap there, once. A wrapper
whose callers choose the model still lacks the cap in one place. The wrapper's own call
takes its prompt from a parameter, counted at each caller: no PL002 there."""

from __future__ import annotations

import json

from conftest import write_tree

LLM = '''\
from litellm import completion


def ask(prompt: str) -> str:
    messages = [{"role": "user", "content": prompt}]
    response = completion(model="gpt-4o", messages=messages)
    return response["choices"][0]["message"]["content"]
'''

CALLERS = {
    "notes/summaries.py": '''\
from llm import ask


def summarize(ticket: str) -> str:
    return ask(f"Summarize this support ticket in two sentences for the on-call engineer:\\n\\n{ticket}")
''',
    "notes/titles.py": '''\
from llm import ask


def title(ticket: str) -> str:
    return ask(f"Write a title of at most eight words for this support ticket:\\n\\n{ticket}")
''',
}

BY_CALLER = '''\
from litellm import completion


def ask(prompt: str, model: str) -> str:
    response = completion(model=model, messages=[{"role": "user", "content": prompt}])
    return response["choices"][0]["message"]["content"]
'''


def _pl301(cli, root):
    _, out, _ = cli(root, "check", ".", "--select", "PL301", "--no-cache", "--format", "json")
    return [f for f in json.loads(out)["findings"] if f["code"] == "PL301"]


def test_one_finding_at_the_wrapper_names_every_caller(cli, tmp_path):
    root = write_tree(tmp_path, {"llm.py": LLM, **CALLERS})
    found = _pl301(cli, root)
    assert [(f["path"], f["line"]) for f in found] == [("llm.py", 6)]
    assert len(found[0]["requests"]) == 3  # the call in ask() and the two made through it
    assert found[0]["exposure"] is True

    _, out, _ = cli(root, "fix", ".", "--unsafe-fixes", "--select", "PL301", "--no-cache")
    assert out.count("  fixed:") == 1, out
    assert 'completion(model="gpt-4o", messages=messages, max_tokens=1024)' in (root / "llm.py").read_text()
    assert all((root / p).read_text() == text for p, text in CALLERS.items())
    assert _pl301(cli, root) == []


def test_callers_that_choose_the_model_still_share_the_wrapper_s_missing_cap(cli, tmp_path):
    callers = {p: t.replace('ask(f"', 'ask(model="gpt-4o-mini", prompt=f"') for p, t in CALLERS.items()}
    root = write_tree(tmp_path, {"llm.py": BY_CALLER, **callers})
    found = _pl301(cli, root)
    assert [(f["path"], f["line"]) for f in found] == [("llm.py", 5)]
    assert len(found[0]["requests"]) == 3


def test_a_wrapper_s_own_call_is_not_an_unresolved_prompt_when_its_callers_are_found(cli, tmp_path):
    root = write_tree(tmp_path, {"llm.py": LLM, **CALLERS})
    _, out, _ = cli(root, "check", ".", "--select", "PL002", "--no-cache", "--format", "json")
    assert json.loads(out)["findings"] == []
    root = write_tree(tmp_path / "alone", {"llm.py": LLM})  # nobody in the tree calls ask()
    _, out, _ = cli(root, "check", ".", "--select", "PL002", "--no-cache", "--format", "json")
    assert [(f["path"], f["line"]) for f in json.loads(out)["findings"]] == [("llm.py", 6)]
