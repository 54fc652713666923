"""Hostile input: every bad file gets a clear diagnostic, the rest of the tree is scanned,
nothing raises, and a whole hostile tree finishes in bounded time and memory."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import pytest

from promptlint import cache as cache_module
from promptlint import discover as discover_module
from promptlint.seal import seal

from conftest import run_analysis, write_tree

GOOD = '''
import anthropic
client = anthropic.Anthropic()
SUPPORT_PROMPT = "Always cite the order number and the policy section you relied on. " * 120

def answer(q):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=100, system=SUPPORT_PROMPT,
                                  messages=[{"role": "user", "content": q}])
'''

HOSTILE = {
    "good.py": GOOD,
    "latin1.py": "BAD_PROMPT = 'Answer the caf\xe9 question.'\n".encode("latin-1"),
    "nul.py": b"NUL_PROMPT = 'Answer in one line.'\x00\n",
    "syntax.py": "BROKEN_PROMPT = (\n    'unclosed'\n",
    "deep_parens.py": "DEEP_PROMPT = " + "(" * 3000 + "'x'" + ")" * 3000 + "\n",
    "deep_concat.py": "DEEP_PROMPT = " + " + ".join(["'Answer in one line.'"] * 3000) + "\n",
    "deep_unary.py": "DEEP_PROMPT = (" + "-" * 3000 + "1)\n",
    "huge.py": "HUGE_PROMPT = '" + "x" * 5_200_000 + "'\n",
    "self_import.py": "from self_import import LOOP_PROMPT\nLOOP_PROMPT = LOOP_PROMPT + ' Answer in one line.'\n",
    "cycle_a.py": "from cycle_b import B_PROMPT\nA_PROMPT = B_PROMPT + ' Answer in one line.'\n",
    "cycle_b.py": "from cycle_a import A_PROMPT\nB_PROMPT = A_PROMPT + ' Be brief and kind.'\n",
    "bomb.yaml": "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                 + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
                           f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
                           for i in range(8))
                 + "system: *i\nprompt: *i\n",
    "truncated.ipynb": '{"cells": [{"cell_type": "code", "source": ["SYSTEM_PROMPT = \'x\'"',
    "broken.j2": "Hello {{ name }\n{% if vip %}\nYou are special.\n",
}


def hostile_tree(tmp_path):
    write_tree(tmp_path, HOSTILE)
    os.symlink(tmp_path / "loop.py", tmp_path / "loop.py")  # a symlink to itself
    os.mkdir(tmp_path / "pkg")
    os.symlink(tmp_path, tmp_path / "pkg" / "up")  # a directory loop
    os.mkfifo(tmp_path / "pipe.py")  # opening it would block forever
    return tmp_path


def test_every_bad_file_is_diagnosed_and_the_good_one_is_still_checked(tmp_path):
    analysis = run_analysis(hostile_tree(tmp_path))
    pl001 = {f.finding.span.path: f.finding.message for f in analysis.findings if f.finding.code == "PL001"}
    assert "UTF-8" in pl001["latin1.py"]
    assert "NUL" in pl001["nul.py"]
    assert "cannot parse Python" in pl001["syntax.py"] and "line" in pl001["syntax.py"]
    for deep in ("deep_parens.py", "deep_concat.py", "deep_unary.py"):
        assert "cannot parse Python" in pl001[deep]
    assert "alias" in pl001["bomb.yaml"]
    assert "truncated.ipynb" in pl001 and "broken.j2" in pl001
    notices = {n.path: n.message for n in analysis.notices}
    assert "over max-file-size" in notices["huge.py"]
    assert "looping symbolic link" in notices["loop.py"]
    assert any(f.finding.code == "PL201" and f.finding.span.path == "good.py" for f in analysis.findings)


def test_import_cycles_end_as_unresolved_values(tmp_path):
    analysis = run_analysis(hostile_tree(tmp_path))
    templates = analysis.project.templates
    assert "cycle_a.py::A_PROMPT" in templates and "self_import.py::LOOP_PROMPT" in templates


def test_unreadable_file_is_a_skip_notice(tmp_path, monkeypatch):
    write_tree(tmp_path, {"good.py": GOOD, "secret.py": "SECRET_PROMPT = 'x'\n"})
    real_open = open

    def guarded_open(path, *args, **kwargs):
        if str(path).endswith("secret.py"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(discover_module, "open", guarded_open, raising=False)
    analysis = run_analysis(tmp_path)
    notices = {n.path: n.message for n in analysis.notices}
    assert notices["secret.py"] == "skipped: cannot read file: Permission denied"
    assert any(f.finding.span.path == "good.py" for f in analysis.findings)


@pytest.mark.skipif(sys.platform != "linux", reason="resource limits as set here are Linux's")
def test_hostile_tree_finishes_in_bounded_time_and_memory_without_a_traceback(tmp_path):
    root = hostile_tree(tmp_path)

    def limits():
        resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))

    result = subprocess.run(
        [sys.executable, "-m", "promptlint", "check", ".", "--no-cache"], cwd=root, capture_output=True,
        text=True, timeout=120, preexec_fn=limits,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert "huge.py: skipped" in result.stderr
    assert "PL001" in result.stdout and "PL201" in result.stdout


def test_corrupt_cache_is_ignored(tmp_path, monkeypatch):
    write_tree(tmp_path, {"good.py": GOOD})
    first = run_analysis(tmp_path)
    cache_dir = tmp_path / ".promptlint_cache"
    entries = list(cache_dir.glob("scan-*.json"))
    assert entries
    # Under good.py's real digest, so the entry is decoded (and its type refused), not skipped.
    poison = {"$": "os.system", "v": ["boom"]}
    good = discover_module.digest((tmp_path / "good.py").read_bytes())
    for entry in entries:
        entry.write_bytes(seal(json.dumps({"files": {"good.py": [good, True, poison, "python"]}, "stats": {},
                                           "tokens": {}, "memos": {}}).encode()))  # as this user's own
    refused = []
    decode = cache_module._decode

    def watched(obj, *depth):
        try:
            return decode(obj, *depth)
        except KeyError:
            refused.append(obj)
            raise

    monkeypatch.setattr(cache_module, "_decode", watched)
    second = run_analysis(tmp_path)
    assert poison in refused
    assert [f.finding for f in second.findings] == [f.finding for f in first.findings]
    entries = list(cache_dir.glob("scan-*.json"))
    assert entries
    for entry in entries:
        entry.write_bytes(b"\x00\xff not json")
    third = run_analysis(tmp_path)
    assert [f.finding for f in third.findings] == [f.finding for f in first.findings]


@pytest.mark.parametrize("operator", [" | ", " / "])
def test_operator_chains_are_resolved_in_linear_work(monkeypatch, operator):
    """``a | b | ...`` and ``base / "x" / ...`` once evaluated each left operand twice per
    operator: 2**n work for n terms. Counted, not timed."""
    from promptlint.extract import extract_file
    from promptlint.extract.resolve import Resolver

    calls = []
    real = Resolver.value
    monkeypatch.setattr(Resolver, "value", lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    terms = ["base"] + [f"'part{i}'" for i in range(14)]
    extract_file("m.py", "python", f"CHAIN_PROMPT = {operator.join(terms)}\n".encode(), ("*PROMPT*",))
    assert len(calls) < 20 * len(terms)


def test_suppression_lines_count_as_python_does():
    """A form feed is not a line break for Python; a directive below one keeps its line."""
    from promptlint.suppress import python_suppressions

    text = "x = 1\n\f\ny = 2  # promptlint: ignore[PL301]\n"
    assert [(d.line, d.codes) for d in python_suppressions(text)] == [(3, ("PL301",))]
