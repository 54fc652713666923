"""How a ``promptlint`` process ends (:func:`promptlint.cli._leave`): it skips the
interpreter's teardown, so these tests run the real console entry point in a child
process and check that nothing it owes is lost on the way out: the whole output, even
one far larger than a pipe's buffer, the exit code, and what its exit handlers write
(the kept compiled code of :mod:`promptlint.codecache`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ENTRY = "import sys\nfrom promptlint.cli import entry\nsys.argv[0] = 'promptlint'\nentry()\n"


def _run(args: list[str], cwd: Path, cache_home: Path, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["XDG_CACHE_HOME"] = str(cache_home)
    return subprocess.run([sys.executable, "-c", ENTRY, *args], cwd=cwd, env=env, stdout=stdout,
                          stderr=subprocess.PIPE, timeout=120)


def _project(root: Path, prompts: int) -> Path:
    """A module of many long system prompts, each sent in its own request: hundreds of
    findings, a JSON report of a few hundred kilobytes."""
    root.mkdir()
    body = ["import anthropic", "client = anthropic.Anthropic()", ""]
    for i in range(prompts):
        text = " ".join(f"Please always be very careful to answer question {i} part {j} politely." for j in range(40))
        body += [f"def ask_{i}(q):",
                 f"    return client.messages.create(model='claude-sonnet-4-5', max_tokens=64000,",
                 f"        system={text!r},",
                 "        messages=[{'role': 'user', 'content': q}])", ""]
    (root / "app.py").write_text("\n".join(body), encoding="utf-8")
    return root


def test_a_large_report_reaches_the_reader_whole(tmp_path):
    project = _project(tmp_path / "p", 120)
    done = _run(["check", ".", "--no-cache", "--format", "json", "--fail-on", "info"], project, tmp_path / "cache")
    assert len(done.stdout) > 3 * 64 * 1024  # several pipe buffers
    report = json.loads(done.stdout)
    assert len(report["findings"]) >= 120
    assert done.returncode == 1  # findings at the failing severity: the code survives the early exit
    assert b"Exception ignored" not in done.stderr


def test_a_clean_run_exits_zero_and_writes_its_report_to_a_file(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "util.py").write_text("def add(a, b):\n    return a + b\n", encoding="utf-8")
    with open(tmp_path / "out.json", "wb") as handle:
        done = _run(["check", ".", "--no-cache", "--format", "json"], tmp_path / "p", tmp_path / "cache", stdout=handle)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["findings"] == []


def test_exit_handlers_still_run(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "util.py").write_text("x = 1\n", encoding="utf-8")
    done = _run(["check", ".", "--no-cache"], tmp_path / "p", tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    kept = list((tmp_path / "cache" / "promptlint" / "code").glob("*/promptlint.*.marshal"))
    assert kept  # codecache's atexit handler wrote the compiled dataclass code


def test_a_reader_that_leaves_early_gets_no_traceback(tmp_path):
    project = _project(tmp_path / "p", 120)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    child = subprocess.Popen([sys.executable, "-c", ENTRY, "check", ".", "--no-cache", "--format", "json"],
                             cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout.read(100)
    child.stdout.close()  # as `| head -c 100` does
    err = child.stderr.read()
    assert child.wait(timeout=120) in (0, 1)
    assert b"Traceback" not in err and b"Exception ignored" not in err
