"""A run on some files of a project (pre-commit passes the edited ones) reports, for those
files, what the run on the whole project reports for them: a call of an in-house wrapper
defined in an unchanged module is still a request, with the wrapper's model and cap."""

from __future__ import annotations

import pytest

from conftest import as_json, write_tree

CLIENT = '''\
"""The one place the app talks to the model."""
from openai import OpenAI

_client = OpenAI()

HOUSE_STYLE = "You write for busy support staff: plain words, short sentences, no greetings or sign-offs."


def complete(prompt: str, model: str = "gpt-4o") -> str:
    messages = [{"role": "system", "content": HOUSE_STYLE}, {"role": "user", "content": prompt}]
    response = _client.chat.completions.create(model=model, messages=messages)
    return response.choices[0].message.content
'''

CHAT = '''\
from llm.client import complete


def chat_reply(history: str, question: str) -> str:
    return complete(f"{history}\\n\\nUser: {question}")
'''

SUMMARIZE = '''\
from llm.client import complete


def summarize(document: str) -> str:
    return complete(
        "Summarize the following document in three sentences. Keep the tone neutral, "
        "quote no one, and say so when the document is too short to summarize.\\n\\n" + document
    )
'''

TRIAGE = '''\
from llm import complete


def triage(ticket: str) -> str:
    return complete(f"""Classify this support ticket as billing, bug or question.
Answer with the one word only, in lower case, and nothing else.

Ticket: {ticket}""")
'''

SUPPORT = '''\
from llm.chat import chat_reply


def answer(history: str, question: str) -> str:
    return chat_reply(history, question)
'''

# Its own ``complete`` (a string helper) shares the wrapper's name and module's import.
LOOKALIKE = '''\
from llm.client import _client


def complete(text: str) -> str:
    return text.strip() + "."


def tidy(notes: str) -> str:
    return complete("Remember to file the expense report before the end of the month " + notes)
'''

# Imports nothing: a request of its own.
DIRECT = '''\
import anthropic

client = anthropic.Anthropic()


def label(text: str) -> str:
    reply = client.messages.create(
        model="claude-sonnet-4-5",
        messages=[{"role": "user", "content": "Give this text a short title of at most six words:\\n" + text}],
    )
    return reply.content[0].text
'''

PROJECT = {
    "llm/__init__.py": "from .client import complete\n\n__all__ = [\"complete\"]\n",
    "llm/client.py": CLIENT,
    "llm/chat.py": CHAT,
    "app/__init__.py": "",
    "app/summarize.py": SUMMARIZE,
    "app/triage.py": TRIAGE,
    "app/support.py": SUPPORT,
    "app/notes.py": LOOKALIKE,
    "app/label.py": DIRECT,
}

GIVEN = ["app/summarize.py", "app/triage.py", "app/support.py", "app/notes.py", "app/label.py"]


def _of(doc: dict, path: str) -> dict:
    """A report's entries located in ``path``, prices included."""
    return {kind: sorted((e for e in doc[kind] if e["path"] == path), key=lambda e: e.get("id") or repr(e))
            for kind in ("templates", "requests", "findings")}


def _check(cli, root, *args):
    code, out, err = cli(root, "check", *args, "--format", "json", "--exit-zero", "--no-cache")
    assert code == 0, err
    return as_json(out)


@pytest.mark.parametrize("given", GIVEN)
def test_a_path_run_reports_for_its_file_what_the_full_run_reports(cli, tmp_path, given):
    write_tree(tmp_path, PROJECT)
    full = _check(cli, tmp_path, ".")
    alone = _check(cli, tmp_path, given)
    assert _of(alone, given) == _of(full, given)
    assert {e["path"] for e in alone["requests"]} <= {given}, "only the given file's requests"
    assert {f["path"] for f in alone["findings"]} <= {given}


def test_a_wrapper_call_in_an_edited_file_is_a_request_with_the_wrappers_model(cli, tmp_path):
    write_tree(tmp_path, PROJECT)
    for given, via in (("app/summarize.py", "complete"), ("app/triage.py", "complete"),
                       ("app/support.py", "chat_reply")):
        doc = _check(cli, tmp_path, given)
        [request] = doc["requests"]
        assert (request["path"], request["model"]) == (given, "gpt-4o"), given
        assert via in request["id"], given
        assert doc["findings"] == [], "the missing cap is the wrapper's, reported where it is set"
        assert doc["summary"]["requests"] == 1 and doc["summary"]["files_scanned"] == 1


def test_look_alikes_stay_what_they_are(cli, tmp_path):
    write_tree(tmp_path, PROJECT)
    notes = _check(cli, tmp_path, "app/notes.py")
    assert notes["requests"] == [] and notes["findings"] == [], "a local `complete` is not the wrapper"
    label = _check(cli, tmp_path, "app/label.py")
    assert [(r["path"], r["provider"]) for r in label["requests"]] == [("app/label.py", "anthropic")]


def test_a_path_run_on_a_folder_and_the_wrappers_own_module(cli, tmp_path):
    """A folder is a subset too; the wrapper's module given alone reports its own request
    and its missing cap (its callers, in files not given, are not searched for)."""
    write_tree(tmp_path, PROJECT)
    full = _check(cli, tmp_path, ".")
    app = _check(cli, tmp_path, "app")
    for given in GIVEN:
        assert _of(app, given) == _of(full, given), given
    client = _check(cli, tmp_path, "llm/client.py")
    assert _of(client, "llm/client.py")["requests"] == _of(full, "llm/client.py")["requests"]
    assert [r["path"] for r in client["requests"]] == ["llm/client.py"]
    assert "PL301" in {f["code"] for f in client["findings"]}


def test_the_cache_keeps_the_answer_of_a_path_run(cli, tmp_path):
    """Read through the cache like any file: a warm run and a later full run agree."""
    write_tree(tmp_path, PROJECT)
    cold = cli(tmp_path, "check", "app/triage.py", "--format", "json", "--exit-zero")
    warm = cli(tmp_path, "check", "app/triage.py", "--format", "json", "--exit-zero")
    assert cold == warm
    full = cli(tmp_path, "check", ".", "--format", "json", "--exit-zero")
    assert full[1] == cli(tmp_path, "check", ".", "--format", "json", "--exit-zero", "--no-cache")[1]


def test_a_path_run_reads_the_modules_its_calls_pass_through_not_the_tree(cli, tmp_path, monkeypatch):
    from promptlint.ondemand import OnDemand

    others = {f"app/reports/r{i}.py": f"from app.reports.r{i + 1} import build\n\n\ndef build{i}():\n    return build()\n"
              for i in range(12)}
    write_tree(tmp_path, {**PROJECT, **others})
    parsed: list[tuple[str, str]] = []
    real = OnDemand.load_many

    def spy(self, keys):
        keys = list(keys)
        parsed.extend(keys)
        return real(self, keys)

    monkeypatch.setattr(OnDemand, "load_many", spy)
    _check(cli, tmp_path, "app/summarize.py")
    assert {rel for rel, kind in parsed if kind == "python"} == {"llm/client.py", "app/summarize.py"}
    parsed.clear()
    _check(cli, tmp_path, "app/reports/r0.py")
    assert not any(kind == "python" for _, kind in parsed), "a chain of modules that hold no prompt is not parsed"


def test_import_lines_are_read_without_a_parse():
    from promptlint.pathrun import imports

    text = (b"import os, llm.client as lc\nfrom . import util\nfrom .client import complete, other as o\n"
            b"from llm import (\n    complete,\n    chat_reply as cr,\n)\nif True:\n    from x.y import *\n")
    assert sorted(imports(text, "llm.__init__")) == sorted([
        ("os", "os", ""), ("lc", "llm", "client"), ("util", "llm", "util"), ("complete", "llm.client", "complete"),
        ("o", "llm.client", "other"), ("complete", "llm", "complete"), ("cr", "llm", "chat_reply")])


def test_a_path_fix_edits_only_the_given_files(cli, tmp_path):
    """The wrapper's missing cap is found (the rules see its request) but belongs to a run
    given its module: `fix` on a caller leaves the unchanged wrapper as it is."""
    write_tree(tmp_path, PROJECT)
    before = (tmp_path / "llm/client.py").read_text()
    cli(tmp_path, "fix", "app/summarize.py", "--unsafe-fixes", "--no-cache")
    assert (tmp_path / "llm/client.py").read_text() == before
    cli(tmp_path, "fix", "llm/client.py", "--unsafe-fixes", "--no-cache")
    assert "max_completion_tokens=" in (tmp_path / "llm/client.py").read_text(), "given its module, it is fixed"
