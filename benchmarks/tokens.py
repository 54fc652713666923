"""Token counter throughput, and the cold ``check`` time on real trees before and after.

1. Throughput (MB of UTF-8 text per CPU second, one core): each offline counter counts a
   text set from scratch (empty memo; the vocabulary and its piece index are loaded before
   the clock starts, the index lazily, so the first round pays for it and the median not),
   counters alternating round after round. Text sets: the template text promptlint extracts
   from the trees given with ``--trees`` (what a real run counts), and the recorded-count
   fixtures in ``tests/fixtures/claude-counts`` (source code in many languages; the UDHR in
   501 languages).
2. With ``--before BIN``: a cold ``check --no-cache`` of every tree, this checkout's
   ``promptlint`` and ``BIN`` alternating, medians of ``--rounds`` runs.

    python benchmarks/tokens.py [--trees DIR ...] [--before /path/to/old/promptlint] [--rounds 5]
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIXTURES = ROOT / "tests" / "fixtures" / "claude-counts"
COUNTERS = ("claude-3", "claude-4-8", "openai-o200k", "openai-cl100k")


def fixture_texts(name: str) -> list[str]:
    with gzip.open(FIXTURES / f"{name}.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


def template_texts(trees: list[Path]) -> list[str]:
    from promptlint.config import load_config
    from promptlint.engine import scan

    texts: list[str] = []
    for tree in trees:
        project, _ = scan([tree], load_config(tree))
        texts += [t.text for t in project.templates.values()]
    return texts


def fresh_counter(family: str):
    """A counter with an empty memo over an already loaded vocabulary."""
    from promptlint.tokens import claude, offline, openai

    if family in offline.OPENAI:
        counter = openai.OpenAICounter(offline.OPENAI[family])
        counter.encoder  # noqa: B018 - load the ranks before timing
        return counter.content_many
    vocab = claude.vocabulary(claude.FAMILIES[family].pieces)
    vocab._chunks.clear()
    vocab._chars.clear()
    counter = claude.ClaudeCounter(claude.FAMILIES[family])
    return lambda texts: [counter.content(t) for t in texts]


def throughput(sets: dict[str, list[str]], rounds: int) -> None:
    print("counter throughput, MB/s of UTF-8 per CPU second (median of rounds; memo empty each round)")
    print(f"  {'text set':<22} {'MB':>6}  " + "  ".join(f"{c:>13}" for c in COUNTERS))
    for name, texts in sets.items():
        size = sum(len(t.encode("utf-8")) for t in texts) / 1e6
        speeds: dict[str, list[float]] = {c: [] for c in COUNTERS}
        for _ in range(rounds):
            for family in COUNTERS:
                count = fresh_counter(family)
                start = time.process_time()
                count(texts)
                speeds[family].append(size / max(time.process_time() - start, 1e-9))
        print(f"  {name:<22} {size:>6.2f}  " + "  ".join(f"{statistics.median(speeds[c]):>13.2f}" for c in COUNTERS))


def cold_checks(trees: list[Path], before: str, rounds: int) -> None:
    after = shutil.which("promptlint", path=str(Path(sys.executable).parent)) or "promptlint"
    print(f"\ncold check --no-cache, median wall seconds of {rounds} alternating rounds")
    print(f"  {'tree':<22} {'before':>8} {'after':>8} {'after/before':>13}")
    totals = {"before": 0.0, "after": 0.0}
    for tree in trees:
        times: dict[str, list[float]] = {"before": [], "after": []}
        for _ in range(rounds):
            for label, binary in (("before", before), ("after", after)):
                start = time.perf_counter()
                done = subprocess.run([binary, "check", ".", "--no-cache", "--format", "json"], cwd=tree,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
                times[label].append(time.perf_counter() - start)
                if done.returncode not in (0, 1):
                    raise SystemExit(f"{binary} check exited {done.returncode} in {tree}: {done.stderr[-500:]!r}")
        b, a = statistics.median(times["before"]), statistics.median(times["after"])
        totals["before"] += b
        totals["after"] += a
        print(f"  {tree.name:<22} {b:>8.2f} {a:>8.2f} {a / b:>13.2f}")
    print(f"  {'total':<22} {totals['before']:>8.2f} {totals['after']:>8.2f} {totals['after'] / totals['before']:>13.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trees", nargs="*", type=Path, default=[])
    parser.add_argument("--before", help="a promptlint executable to compare the cold check against")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--checks-only", action="store_true", help="skip the throughput table")
    args = parser.parse_args()
    if not args.checks_only:
        sets = {}
        if args.trees:
            sets["templates of --trees"] = template_texts(args.trees)
        sets["rosetta (code)"] = fixture_texts("rosetta") + fixture_texts("rosetta_holdout")
        sets["multipl_e (code)"] = fixture_texts("multipl_e")
        sets["udhr (501 languages)"] = fixture_texts("udhr")
        throughput(sets, args.rounds)
    if args.before and args.trees:
        cold_checks(args.trees, args.before, args.rounds)


if __name__ == "__main__":
    main()
