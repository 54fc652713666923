"""Time promptlint on a synthetic monorepo, with ruff on the same tree as a yardstick.

One run generates the tree (benchmarks/generate_tree.py), then times, alternately and
round after round, ``promptlint check`` cold (no cache folder), ``promptlint check`` warm
(cache from the previous run) and ``ruff check --no-cache``, and prints medians, ratios
and the peak memory of the promptlint process. With ``--scale 4`` it does the same on a
tree four times larger to show how the cost grows.

    python benchmarks/run.py [--files 2000] [--rounds 5] [--scale 4] [--workdir DIR]

Needs ``promptlint`` installed and, for the yardstick, ``ruff`` (``pip install ruff``).
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
from generate_tree import generate  # noqa: E402


def timed(command: list[str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak resident memory (KB) of one run of ``command``."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {proc.returncode}")
    return elapsed, usage.ru_maxrss


def promptlint_command() -> list[str]:
    found = shutil.which("promptlint")
    return [found] if found else [sys.executable, "-m", "promptlint"]


def bench_tree(tree: Path, rounds: int, ruff: str | None) -> dict[str, list[float]]:
    check = promptlint_command() + ["check", ".", "--fail-on", "error"]
    cache = tree / ".promptlint_cache"
    results: dict[str, list[float]] = {"cold": [], "warm": [], "ruff": [], "memory_mb": []}
    timed(check, tree)  # page the files in once so every round reads from the same state
    for _ in range(rounds):
        shutil.rmtree(cache, ignore_errors=True)
        seconds, peak = timed(check, tree)
        results["cold"].append(seconds)
        results["memory_mb"].append(peak / 1024)
        seconds, peak = timed(check, tree)
        results["warm"].append(seconds)
        results["memory_mb"].append(peak / 1024)
        if ruff:
            results["ruff"].append(timed([ruff, "check", "--no-cache", "--quiet", "--exit-zero", "."], tree)[0])
    return results


def report(label: str, stats: dict, results: dict[str, list[float]]) -> dict[str, float]:
    med = {k: statistics.median(v) for k, v in results.items() if v}
    print(f"\n{label}: {stats['python_files']:,} Python files, {stats['lines']:,} lines, "
          f"{stats['llm_files']} calling LLM APIs")
    print(f"  promptlint check, cold  {med['cold']:6.2f} s   (runs: {', '.join(f'{x:.2f}' for x in results['cold'])})")
    print(f"  promptlint check, warm  {med['warm']:6.2f} s   (runs: {', '.join(f'{x:.2f}' for x in results['warm'])})")
    if "ruff" in med:
        print(f"  ruff check --no-cache   {med['ruff']:6.2f} s   (runs: {', '.join(f'{x:.2f}' for x in results['ruff'])})")
        print(f"  cold / ruff             {med['cold'] / med['ruff']:6.2f}x  (target <= 5x)")
    print(f"  warm / cold             {med['warm'] / med['cold']:6.2f}   (target <= 0.5)")
    print(f"  peak memory (main process) {max(results['memory_mb']):.0f} MB (target < 300 MB)")
    return med


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scale", type=int, default=4, help="also run on a tree this many times larger (1: skip)")
    parser.add_argument("--workdir", type=Path, help="where to generate the trees (default: a temporary folder)")
    args = parser.parse_args()

    ruff = shutil.which("ruff")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}")
    if ruff:
        version = subprocess.run([ruff, "--version"], capture_output=True, text=True).stdout.strip()
        print(f"yardstick: {version}")
    else:
        print("yardstick: ruff not found (pip install ruff); ratios to ruff are skipped")

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="promptlint-bench-"))
    sizes = [args.files] + ([args.files * args.scale] if args.scale > 1 else [])
    medians = []
    for files in sizes:
        tree = workdir / f"tree-{files}"
        stats = generate(tree, files=files)
        medians.append(report(f"tree of {files:,} modules", stats, bench_tree(tree, args.rounds, ruff)))
    if len(medians) == 2:
        print(f"\ngrowth for {args.scale}x the tree: cold x{medians[1]['cold'] / medians[0]['cold']:.2f}, "
              f"warm x{medians[1]['warm'] / medians[0]['warm']:.2f}"
              + (f", ruff x{medians[1]['ruff'] / medians[0]['ruff']:.2f}" if "ruff" in medians[0] else "")
              + f" (linear: x{args.scale})")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
