"""Time ``promptlint fix`` on a tree of fixable files, to show its cost grows linearly.

The tree (deterministic) has FILES fixable files: Python modules whose system prompt
repeats an instruction and ends lines with spaces (two safe fixes: PL104, PL105) and
whose call caps a one-word answer at 4,096 tokens (an unsafe PL302 suggestion), plus
YAML prompt files and Jinja templates (rendered by a small module beside them) with a
repeated instruction each. Every round copies the pristine tree, then times, alternately,
``promptlint fix --diff`` (measure everything, write nothing) and ``promptlint fix``
(measure and write), both without the cache, and checks the second run fixed every
file. With ``--scale 0.25`` it also runs on a tree a quarter the size, for the growth;
``--sizes 300,750,3000`` runs on each of those sizes instead. ``--promptlint PATH`` times
another build (main's, for a before/after).

    python benchmarks/fix_bench.py [--files 3000] [--rounds 3] [--scale 0.25] [--sizes N,N,...]
                                   [--promptlint PATH] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import which_promptlint  # noqa: E402

REPEAT = "Never ask for card numbers, passwords or one-time codes."

PYTHON = '''"""Support triage for queue {i}."""

import anthropic

client = anthropic.Anthropic()

TRIAGE_PROMPT_{i} = """You sort the messages of support queue {i} for ACME Home.   
{REPEAT}
Classify each message as billing, shipping, returns or other.   


Use the order record when there is one, and never guess a delivery date.
{REPEAT}
Reply with the category only.
"""


def triage_{i}(message):
    response = client.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=4096,
        system=TRIAGE_PROMPT_{i},
        messages=[{{"role": "user", "content": message}}],
    )
    return response.content[0].text
'''

YAML = '''name: queue-{i}-reply
model: claude-sonnet-4-5
max_tokens: 600
system: |
  You write replies for support queue {i} of ACME Home.
  {REPEAT}
  Quote amounts with their currency and keep to four sentences.
  {REPEAT}
user: "Customer wrote: {{{{ message }}}}"
'''

JINJA = '''{{# queue {i}: escalation prompt #}}
You hand over conversations of queue {i} to a human agent.
{REPEAT}
Summarise the problem for {{{{ agent_name }}}} in three sentences.
{REPEAT}
'''

JINJA_CALLER = '''import anthropic
from jinja2 import Environment, FileSystemLoader

env = Environment(loader=FileSystemLoader("{folder}"))
client = anthropic.Anthropic()


def escalate(conversation, agent_name):
    system = env.get_template("escalate_{i}.j2").render(agent_name=agent_name)
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=300, system=system,
                                  messages=[{{"role": "user", "content": conversation}}])
'''


def generate(root: Path, files: int) -> dict[str, int]:
    """FILES fixable files: 80% Python modules, 10% YAML prompt files, 10% Jinja templates."""
    if root.exists():
        shutil.rmtree(root)
    counts = {"python": 0, "yaml": 0, "jinja": 0}
    for i in range(files):
        package = root / f"queue{i // 100:02d}"
        package.mkdir(parents=True, exist_ok=True)
        if i % 10 == 8:
            (package / f"reply_{i}.yaml").write_text(YAML.format(i=i, REPEAT=REPEAT))
            counts["yaml"] += 1
        elif i % 10 == 9:
            folder = package / f"templates_{i}"
            folder.mkdir()
            (folder / f"escalate_{i}.j2").write_text(JINJA.format(i=i, REPEAT=REPEAT))
            (package / f"escalate_{i}.py").write_text(JINJA_CALLER.format(i=i, folder=folder.relative_to(root)))
            counts["jinja"] += 1
        else:
            (package / f"triage_{i}.py").write_text(PYTHON.format(i=i, REPEAT=REPEAT))
            counts["python"] += 1
    return counts


def timed(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system, with the worker processes) and output."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        out.seek(0)
        output = out.read()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {code}:\n{output[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, output


def fixed_files(output: str) -> int:
    summary = [line for line in output.splitlines() if line.startswith(("Fixed ", "Would fix "))]
    if not summary:
        raise SystemExit(f"no summary line in the output:\n{output[-2000:]}")
    words = summary[-1].split()
    return int(words[words.index("in") + 1].replace(",", ""))


def bench(pristine: Path, work: Path, files: int, rounds: int, promptlint: str) -> dict[str, list[float]]:
    fix = [promptlint, "fix", ".", "--no-cache"]
    times: dict[str, list[float]] = {"diff": [], "write": [], "diff_cpu": [], "write_cpu": []}
    for _ in range(rounds):
        for mode in ("diff", "write"):
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(pristine, work)
            seconds, cpu, output = timed(fix + (["--diff"] if mode == "diff" else []), work)
            if fixed_files(output) != files:
                raise SystemExit(f"fix {mode} fixed {fixed_files(output)} of {files} files")
            times[mode].append(seconds)
            times[f"{mode}_cpu"].append(cpu)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", type=float, default=0.25, help="also run on a tree this fraction of the size (1: skip)")
    parser.add_argument("--sizes", help="comma-separated tree sizes to run on (instead of --files and --scale)")
    parser.add_argument("--promptlint", help="the promptlint executable to time (default: this environment's)")
    parser.add_argument("--workdir", type=Path, help="where to generate the trees (default: a temporary folder)")
    args = parser.parse_args()
    promptlint = args.promptlint or which_promptlint()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="promptlint-fix-bench-"))
    sizes = sorted({args.files, *([max(1, int(args.files * args.scale))] if args.scale != 1 else [])})
    if args.sizes:
        sizes = sorted({int(n) for n in args.sizes.split(",")})
    print(f"promptlint: {promptlint}")
    medians = {}
    for files in sizes:
        counts = generate(workdir / f"pristine-{files}", files)
        before = os.getloadavg()[0]
        times = bench(workdir / f"pristine-{files}", workdir / f"work-{files}", files, args.rounds, promptlint)
        med = {k: statistics.median(v) for k, v in times.items()}
        medians[files] = med
        print(f"\n{files:,} fixable files ({counts['python']:,} Python, {counts['yaml']:,} YAML, "
              f"{counts['jinja']:,} Jinja): every file fixed in each run")
        for mode, label in (("diff", "fix --diff (writes nothing)"), ("write", "fix (writes every file)")):
            print(f"  {label:<30} {med[mode]:6.1f} s wall, {med[mode + '_cpu']:6.1f} s CPU   "
                  f"(runs: {', '.join(f'{x:.1f}' for x in times[mode])})")
        print(f"  load average before / after it ran: {before:.1f} / {os.getloadavg()[0]:.1f} "
              f"(on {os.cpu_count()} cores)")
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        print(f"\ngrowth for {large / small:.0f}x the files: fix x{medians[large]['write'] / medians[small]['write']:.2f}, "
              f"fix --diff x{medians[large]['diff'] / medians[small]['diff']:.2f} (linear: x{large / small:.0f})")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
