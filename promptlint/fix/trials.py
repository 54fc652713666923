"""Trying a pass's fixes over worker processes.

Each fix is tried alone on the same in-memory tree (:meth:`Fixer.try_fix`): no trial sees
another's result, so the trials of a pass can run in any order and in any process, and
only accepting them (first come, first applied) is sequential. On a large tree the
trials are most of a run's time (an extraction, two links and a measurement each), so
from :data:`PARALLEL_MIN_FIXES` on they are shared out over forked workers
(:mod:`promptlint.workers`), which inherit the tree as it is in memory. A worker sends
back the fix's result without the finding (the parent has it) and, for a fix that
applies, what it learned about the edited file: its extraction and parse verdicts, which
the next pass's analysis of the edited tree would otherwise compute again.
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import replace
from itertools import islice
from typing import TYPE_CHECKING

from promptlint.fix import files
from promptlint.fix.results import APPLIED, FAILED, FixResult
from promptlint.fix.workspace import FixError

if TYPE_CHECKING:
    from promptlint.fix.runner import Fixer, State
    from promptlint.types import Fix, PricedFinding

# Below this many fixes, forking costs more than sharing the trials saves (a trial takes
# a few milliseconds; a worker's start and its first trials, which fill its own caches,
# take some tenths of a second).
PARALLEL_MIN_FIXES = 200

_TRIALS: tuple | None = None  # (fixer, state, items), inherited by forked workers


def try_all(fixer: Fixer, items: list[tuple[PricedFinding, Fix]], state: State) -> list[FixResult]:
    """``[fixer.try_fix(priced, fix, state) for priced, fix in items]``, over all cores
    when there are many."""
    workers = min(os.cpu_count() or 1, 8)
    if len(items) < PARALLEL_MIN_FIXES or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [fixer.try_fix(priced, fix, state) for priced, fix in items]
    from promptlint.workers import run_sharded

    global _TRIALS
    fixer.prepare(state, [fix for _, fix in items])  # the indexes trials read, built once before the fork
    _TRIALS = (fixer, state, items)
    try:
        got = run_sharded(list(range(len(items))), _try_one, _lost, workers, max(1, len(items) // (workers * 4)))
    finally:
        _TRIALS = None
    out = []
    for (priced, _), (result, extracted, verdicts) in zip(items, got):
        fixer.measurer.learn(extracted)
        files.learn_verdicts(verdicts)
        result = replace(result, finding=priced)
        if result.status == APPLIED:  # read here too, as a trial in this process would have
            try:
                for path in sorted(result.paths):
                    state.workspace.source(path)
            except FixError as exc:
                result.status, result.reason = FAILED, str(exc)
        out.append(result)
    return out


def _try_one(index: int) -> tuple[FixResult, dict, dict]:
    assert _TRIALS is not None
    fixer, state, items = _TRIALS
    priced, fix = items[index]
    extracted, verdicts = len(fixer.measurer.extracted), len(files.verdicts())
    result = fixer.try_fix(priced, fix, state)
    learned = ({}, {})
    if result.status == APPLIED:  # a suggestion's text is not the next pass's
        learned = (_added(fixer.measurer.extracted, extracted), _added(files.verdicts(), verdicts))
    return replace(result, finding=None), *learned


def _added(memo: dict, before: int) -> dict:
    """The entries added to ``memo`` after it held ``before`` (a dict keeps its order)."""
    return dict(reversed(list(islice(reversed(memo.items()), len(memo) - before))))


def _lost(index: int, why: str) -> tuple[FixResult, dict, dict]:
    """A trial that raised, or whose worker died: the fix fails, the others are tried."""
    assert _TRIALS is not None
    fix = _TRIALS[2][index][1]
    return FixResult(None, fix.applicability, FAILED,  # type: ignore[arg-type]
                     reason=f"measuring this fix failed ({why})"), {}, {}
