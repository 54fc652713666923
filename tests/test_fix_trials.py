"""A pass's fixes tried over worker processes give the run a single process gives: the
same statuses, reasons, measured savings, notes, diffs and written files."""

from __future__ import annotations

import os
import shutil

import pytest

from conftest import make_fixer, write_tree
from promptlint import workers
from promptlint.fix import APPLIED, FAILED, SUGGESTED, trials
from promptlint.fix.runner import Fixer

REPEAT = "Never ask for card numbers or passwords."

TRIAGE = '''import anthropic

client = anthropic.Anthropic()

PROMPT_{i} = """You sort the messages of support queue {i}.
{REPEAT}
Classify each message as billing, shipping or other.
{REPEAT}
Reply with the category only.
"""


def triage_{i}(message):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=4096, system=PROMPT_{i},
                                  messages=[{{"role": "user", "content": message}}])
'''

# The prompt is also compared with a reply by another module: its fix is refused.
SHARED = '''import anthropic

client = anthropic.Anthropic()

SHARED_PROMPT = """You answer questions about ACME Home orders.
{REPEAT}
Quote amounts with their currency.
{REPEAT}
"""


def answer(question):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=300, system=SHARED_PROMPT,
                                  messages=[{{"role": "user", "content": question}}])
'''

CHECKER = '''from shared import SHARED_PROMPT


def looks_like_prompt(reply):
    return reply == SHARED_PROMPT
'''

YAML = '''name: reply-{i}
model: claude-sonnet-4-5
max_tokens: 500
system: |
  You write replies for support queue {i}.
  {REPEAT}
  Keep to four sentences.
  {REPEAT}
user: "Customer wrote: {{{{ message }}}}"
'''


def tree(root):
    files = {"shared.py": SHARED.format(REPEAT=REPEAT), "checks.py": CHECKER}
    for i in range(9):
        files[f"queue/triage_{i}.py"] = TRIAGE.format(i=i, REPEAT=REPEAT)
    for i in range(3):
        files[f"replies/reply_{i}.yaml"] = YAML.format(i=i, REPEAT=REPEAT)
    return write_tree(root, files)


def summary(run) -> list[tuple]:
    return [(r.finding.finding.code, r.finding.finding.span.path, r.finding.finding.span.line, r.status,
             r.applicability, r.reason, r.measured, tuple(r.edits), r.diff, tuple(r.notes)) for r in run.results]


def on_disk(root) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not any(part.startswith((".promptlint", "__pycache__")) for part in p.parts)}


@pytest.fixture
def forked(monkeypatch):
    """Trials go to two workers from the first fix on; the list records each sharded run."""
    calls = []
    real = workers.run_sharded

    def counting(items, *args, **kwargs):
        calls.append(len(items))
        return real(items, *args, **kwargs)

    monkeypatch.setattr(workers, "run_sharded", counting)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(trials, "PARALLEL_MIN_FIXES", 1)
    return calls


def test_trials_in_workers_give_the_run_one_process_gives(tmp_path, monkeypatch, forked):
    serial_root, parallel_root = tree(tmp_path / "serial"), tmp_path / "parallel"
    shutil.copytree(serial_root, parallel_root)
    with monkeypatch.context() as m:
        m.setattr(trials, "PARALLEL_MIN_FIXES", 10**9)
        serial = make_fixer(serial_root).run()
    assert not forked
    parallel = make_fixer(parallel_root).run()
    assert forked, "the trials did not go to workers"
    assert summary(parallel) == summary(serial)
    statuses = {r.status for r in serial.results}
    assert {APPLIED, FAILED, SUGGESTED} <= statuses  # applied, refused for sharing, and suggested
    assert any("also used at checks.py" in (r.reason or "") for r in serial.results)
    assert parallel.diff() == serial.diff() != ""
    assert sorted(parallel.written) == sorted(serial.written)
    assert on_disk(parallel_root) == on_disk(serial_root) != on_disk(tree(tmp_path / "pristine"))
    assert parallel.total == serial.total


def test_a_trial_that_raises_fails_that_fix_alone(tmp_path, monkeypatch, forked):
    root = tree(tmp_path)
    real = Fixer.try_fix

    def flaky(self, priced, fix, state=None):
        if priced.finding.span.path == "queue/triage_3.py":
            raise RuntimeError("tokenizer exploded")
        return real(self, priced, fix, state)

    monkeypatch.setattr(Fixer, "try_fix", flaky)
    run = make_fixer(root).run(write=False)
    assert forked
    broken = [r for r in run.results if r.finding.finding.span.path == "queue/triage_3.py"]
    assert broken and all(r.status == FAILED and "tokenizer exploded" in r.reason for r in broken)
    assert "queue/triage_3.py" not in run.files
    assert {f"queue/triage_{i}.py" for i in range(9) if i != 3} <= set(run.files)
