"""Time promptlint against ruff, alternating in one run, on synthetic and real trees.

For every tree (the synthetic monorepo of ``generate_tree.py`` at 1x and ``--scale``x, and
every ``--tree PATH`` given), round after round it runs, in turn: ``promptlint check``
cold (no cache folder), ``promptlint check`` warm (the cache of the cold run), and
``ruff check --no-cache``; then the pre-commit case on 1 and 20 files of the tree (cold:
no cache; warm: a full-tree cache, with the passed files edited before every run, as a
hook sees them), with ruff on the same paths. It prints medians, the median of the
per-round ratios, and the peak resident memory of the promptlint process tree.
``--other PROMPTLINT`` adds a second promptlint build to every round (before/after).

Real trees are copied to a scratch folder first: nothing in them is written.

    python benchmarks/run.py [--files 2000] [--scale 4] [--rounds 7] [--tree PATH ...]
                             [--other PATH/TO/promptlint] [--json results.json] [--no-synthetic]

Needs ``ruff`` for the yardstick (``pip install ruff``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_tree import generate  # noqa: E402

HOOK_SIZES = (1, 20)


def timed(command: list[str], cwd: Path) -> tuple[float, float, float]:
    """Wall seconds, peak resident memory (MB) and CPU seconds (user + system) of one run of
    ``command`` and its children: on a loaded machine the CPU ratio is the steadier one."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(command)} (in {cwd}) exited {code}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def which_promptlint() -> str:
    found = shutil.which("promptlint") or str(Path(sys.executable).parent / "promptlint")
    if not Path(found).exists():
        raise SystemExit("promptlint is not installed in this environment")
    return found


class Series:
    """Named timings of one tree, kept per round so ratios pair runs of the same round."""

    def __init__(self) -> None:
        self.runs: dict[str, list[float]] = {}
        self.peak: dict[str, float] = {}
        self.cpu: dict[str, list[float]] = {}

    def add(self, name: str, seconds: float, peak: float, cpu: float = 0.0) -> None:
        self.runs.setdefault(name, []).append(seconds)
        self.peak[name] = max(self.peak.get(name, 0.0), peak)
        self.cpu.setdefault(name, []).append(cpu)

    def median(self, name: str) -> float:
        return statistics.median(self.runs[name])

    def ratio(self, a: str, b: str, runs: dict[str, list[float]] | None = None) -> float:
        runs = self.runs if runs is None else runs
        return statistics.median(x / y for x, y in zip(runs[a], runs[b]) if y > 0)


def hook_files(tree: Path, count: int, seed: int = 7) -> list[str]:
    """A seeded sample of the tree's Python files, prompt-holding files first (what a
    commit that touches prompts stages)."""
    files = sorted(p for p in tree.rglob("*.py") if ".promptlint_cache" not in p.parts)
    holding = [p for p in files if b"prompt" in p.read_bytes().lower()]
    rest = [p for p in files if p not in set(holding)]
    rng = random.Random(seed)
    rng.shuffle(holding)
    rng.shuffle(rest)
    return [str(p.relative_to(tree)) for p in (holding + rest)[:count]]


def touch(tree: Path, files: list[str], stamp: int) -> None:
    for rel in files:
        with open(tree / rel, "a", encoding="utf-8") as f:
            f.write(f"# edited {stamp}\n")


def bench_tree(tree: Path, rounds: int, builds: dict[str, str], ruff: str | None) -> Series:
    series = Series()
    cache = tree / ".promptlint_cache"
    samples = {n: hook_files(tree, n) for n in HOOK_SIZES}
    for exe in builds.values():  # page the files in once
        timed([exe, "check", ".", "--fail-on", "error"], tree)
    for round_no in range(rounds):
        for label, exe in builds.items():
            check = [exe, "check", ".", "--fail-on", "error"]
            shutil.rmtree(cache, ignore_errors=True)
            series.add(f"{label} cold", *timed(check, tree))
            series.add(f"{label} warm", *timed(check, tree))
            for n, files in samples.items():
                touch(tree, files, round_no)
                series.add(f"{label} hook {n} warm", *timed([exe, "check", "--fail-on", "error", *files], tree))
                series.add(f"{label} hook {n} cold", *timed([exe, "check", "--no-cache", "--fail-on", "error",
                                                             *files], tree))
        if ruff:
            series.add("ruff", *timed([ruff, "check", "--no-cache", "--quiet", "--exit-zero", "."], tree))
            for n, files in samples.items():
                series.add(f"ruff hook {n}", *timed([ruff, "check", "--no-cache", "--quiet", "--exit-zero", *files],
                                                    tree))
    return series


def report(label: str, series: Series, builds: dict[str, str], ruff: bool) -> dict:
    print(f"\n{label}")
    out: dict = {"tree": label, "medians": {k: series.median(k) for k in series.runs}, "peak_mb": series.peak}
    width = max(len(k) for k in series.runs)
    for name in series.runs:
        runs = ", ".join(f"{x:.3f}" for x in series.runs[name])
        cpu = statistics.median(series.cpu[name])
        print(f"  {name.ljust(width)}  {series.median(name):7.3f} s  cpu {cpu:7.3f} s  peak {series.peak[name]:5.0f} MB"
              f"  ({runs})")
    pairs: dict[str, tuple[str, str]] = {}
    for b in builds:
        pairs[f"{b} warm / cold"] = (f"{b} warm", f"{b} cold")
        if ruff:
            pairs[f"{b} cold / ruff"] = (f"{b} cold", "ruff")
            for n in HOOK_SIZES:
                for state in ("cold", "warm"):
                    pairs[f"{b} hook {n} {state} / ruff"] = (f"{b} hook {n} {state}", f"ruff hook {n}")
    names = list(builds)
    if len(names) == 2:
        for state in ("cold", "warm", "hook 1 warm", "hook 1 cold", "hook 20 warm", "hook 20 cold"):
            pairs[f"{names[0]} / {names[1]} {state}"] = (f"{names[0]} {state}", f"{names[1]} {state}")
    ratios = {name: series.ratio(a, b) for name, (a, b) in pairs.items()}
    cpu_ratios = {name: series.ratio(a, b, series.cpu) for name, (a, b) in pairs.items()}
    for name, value in ratios.items():
        print(f"  {name.ljust(width + 12)}  {value:6.2f}x   cpu {cpu_ratios[name]:6.2f}x")
    out["ratios"] = ratios
    out["cpu_ratios"] = cpu_ratios
    out["cpu_medians"] = {k: statistics.median(v) for k, v in series.cpu.items()}
    return out


def _pressure() -> str:
    """The kernel's CPU pressure line (how much of the time runnable work waited for a core)."""
    try:
        return Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return "not available"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000, help="modules in the synthetic tree")
    parser.add_argument("--scale", type=int, default=4, help="also a synthetic tree this many times larger (1: skip)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--tree", type=Path, action="append", default=[], help="a real tree (copied first)")
    parser.add_argument("--no-synthetic", action="store_true", help="only the --tree trees")
    parser.add_argument("--other", help="a second promptlint executable, timed in the same rounds")
    parser.add_argument("--json", type=Path, help="write the medians and ratios here")
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: a temporary one, removed after)")
    args = parser.parse_args()

    ruff = shutil.which("ruff") or (str(Path(sys.executable).parent / "ruff")
                                    if (Path(sys.executable).parent / "ruff").exists() else None)
    builds = {"promptlint": which_promptlint()}
    if args.other:
        builds["other"] = args.other
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}")
    for label, exe in builds.items():
        version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip()
        print(f"{label}: {exe} ({version})")
    if ruff:
        print(f"yardstick: {subprocess.run([ruff, '--version'], capture_output=True, text=True).stdout.strip()}")
    else:
        print("yardstick: ruff not found (pip install ruff); ratios to ruff are skipped")

    print(f"cpu pressure at start: {_pressure()}")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="promptlint-bench-"))
    trees: list[tuple[str, Path]] = []
    if not args.no_synthetic:
        for files in [args.files] + ([args.files * args.scale] if args.scale > 1 else []):
            tree = workdir / f"synthetic-{files}"
            stats = generate(tree, files=files)
            trees.append((f"synthetic {files:,} modules, {stats['lines']:,} lines", tree))
    for given in args.tree:
        copy = workdir / f"real-{given.name}"
        shutil.copytree(given, copy, symlinks=True, ignore=shutil.ignore_patterns(".promptlint_cache"))
        trees.append((f"{given.name} ({given})", copy))
    results = [report(label, bench_tree(tree, args.rounds, builds, ruff), builds, ruff is not None)
               for label, tree in trees]
    print(f"\ncpu pressure at end: {_pressure()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
