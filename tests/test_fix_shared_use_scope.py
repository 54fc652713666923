"""The shared-use check reads code, not words: a function's own parameter of the same name
and the word inside a string or a comment are not uses of the edited value; a real read
elsewhere (or through ``global``) still refuses the fix."""

from __future__ import annotations

import pytest

from conftest import write_tree

MODULE = '''\
import anthropic

client = anthropic.Anthropic()

prompt = """You triage support e-mails for the Northwind grocery app.
Label each e-mail as billing, delivery, account or other.
Reply with the label and one sentence that says why.
Label each e-mail as billing, delivery, account or other.
"""


def triage(email):
    return client.messages.create(
        model="claude-haiku-4-5",
        max_tokens=64,
        system=prompt,
        messages=[{"role": "user", "content": email}],
    )


%s
'''

DUPLICATE = "Label each e-mail as billing, delivery, account or other.\n"


def _fix(cli, tmp_path, other: str):
    root = write_tree(tmp_path, {"triage.py": MODULE % other})
    _, out, _ = cli(root, "fix", ".", "--select", "PL104", "--no-cache")
    return out, (root / "triage.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("other", [
    "def words(prompt):\n    return len(prompt.split())\n",  # a parameter of that name
    "def shout(text):\n    prompt = text.upper()\n    return prompt\n",  # a local of that name
    'def banner():\n    print("Type your prompt below")  # the prompt is read from stdin\n',  # words only
])
def test_other_meanings_of_the_name_do_not_refuse(cli, tmp_path, other):
    out, text = _fix(cli, tmp_path, other)
    assert "PL104" in out and "  fixed:" in out, out
    assert text.count(DUPLICATE) == 1
    compile(text, "triage.py", "exec")


@pytest.mark.parametrize("other", [
    "def audit():\n    print(prompt)\n",  # reads the module's value
    "def reset():\n    global prompt\n    prompt = prompt.strip()\n",  # rebinds the module's value
    "lengths = [len(p) for p in (prompt,)]\n",  # module level
])
def test_a_real_read_elsewhere_refuses(cli, tmp_path, other):
    out, text = _fix(cli, tmp_path, other)
    assert "not fixed" in out and "also used at triage.py" in out, out
    assert text.count(DUPLICATE) == 2


def test_a_template_the_edited_files_do_not_yield_again_refuses_the_fix():
    """A message composed at a call in another file has no template in the local
    re-extraction of the edited file: the fix is refused with that reason, not a crash."""
    from promptlint.fix import verify
    from promptlint.types import Fix, Project, TextEdit

    fix = Fix("safe", "remove the indentation", (TextEdit("run.py::main::ask#1::messages[1].content", 0, 4, ""),))
    empty = Project(root=".", files_scanned=1)
    reason = verify.problem(fix, empty, empty, {"pkg/helpers.py"})
    assert reason is not None and "is not found again in the edited files" in reason


HELPER = '''\
import litellm


class FakeUser:
    def __init__(self, issue):
        self.system_message = f"""
        You are a user reporting an issue to a coder. Here are its details:

        Issue: {issue}

        Answer the coder's questions about the issue in one or two sentences.
        """
        self.history = [{"role": "system", "content": self.system_message}]

    def reply(self, question):
        self.history.append({"role": "user", "content": question})
        return litellm.completion(model="claude-haiku-4-5", max_tokens=200, messages=self.history)
%s
'''


def _fix_helper(cli, tmp_path, other: str):
    root = write_tree(tmp_path, {"fake_user.py": HELPER % other})
    _, out, _ = cli(root, "fix", ".", "--select", "PL105", "--no-cache")
    return out, (root / "fake_user.py").read_text(encoding="utf-8")


def test_the_message_list_a_request_sends_is_a_use_by_that_request(cli, tmp_path):
    """``self.history = [{"role": "system", "content": self.system_message}]`` in ``__init__``
    composes what ``reply`` sends: the indentation fix of the attribute's text applies."""
    out, text = _fix_helper(cli, tmp_path, "")
    assert "PL105" in out and "  fixed:" in out, out
    assert "\nYou are a user reporting an issue" in text or 'f"""You are a user' in text
    compile(text, "fake_user.py", "exec")


def test_another_read_of_the_attribute_still_refuses(cli, tmp_path):
    out, text = _fix_helper(cli, tmp_path, "\n    def log(self):\n        print(self.system_message)\n")
    assert "also used at fake_user.py:20" in out, out
    assert "        You are a user reporting an issue" in text  # unchanged
