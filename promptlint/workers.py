"""Forked worker processes that die with their parent and whose deaths lose no file.

A pool from :mod:`concurrent.futures` has two failures a linter cannot afford. When one
worker dies (a parser that segfaults, the kernel's OOM killer) the whole pool breaks and
the run ends with ``BrokenProcessPool``; and when the main process is killed (``kill -9``,
or a ``SIGTERM`` to it alone, as editors and supervisors send) its workers wait on their
queue forever. So the workers here are our own:

- each is forked with a pipe to the parent, closes the parent's ends of its siblings'
  pipes (so the parent's death is an end-of-file on its own), asks Linux to kill it when
  the parent dies (``PR_SET_PDEATHSIG``) and elsewhere watches the parent's pid;
- it takes a shard of items at a time and records, in memory shared with the parent,
  which item it is working on; when it dies, that item is the one it died on: it gets
  ``lost(item, why)`` instead of a result, and the rest of the shard goes to a fresh
  worker. A death outside any item (while sending a result too large for memory) splits
  the shard in two, so every item is finished or reported in a bounded number of tries.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections import deque
from multiprocessing.connection import wait
from typing import Callable, Generic, TypeVar

from promptlint.orphans import die_with_parent

T = TypeVar("T")
R = TypeVar("R")

class Lost:
    """The result of an item whose worker died on it, when the caller has no other answer."""

    def __init__(self, why: str) -> None:
        self.why = why


_SENDING = -2  # progress value while a shard's results are being sent
_IDLE = -1


class _Worker(Generic[T, R]):
    def __init__(self, context, slot: int, progress, work: Callable[[T], R], lost: Callable[[T, str], R],
                 siblings: list) -> None:
        self.slot = slot
        self.conn, child = context.Pipe()
        parent = os.getpid()
        self.process = context.Process(target=_serve, args=(child, slot, progress, work, lost, parent,
                                                             [s.conn for s in siblings]), daemon=True)
        self.process.start()
        child.close()
        self.shard: list[int] | None = None


def _serve(conn, slot: int, progress, work, lost, parent: int, siblings: list) -> None:
    for other in siblings:  # the parent's ends of the other pipes: they must close when the parent dies
        other.close()
    die_with_parent(parent)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        if task is None:
            os._exit(0)
        results = []
        for i, item in enumerate(task):
            progress[slot] = i
            try:
                results.append(work(item))
            except Exception as exc:  # noqa: BLE001 - the item's failure, not the worker's
                results.append(lost(item, f"{type(exc).__name__}: {exc}"))
        progress[slot] = _SENDING
        try:
            conn.send(results)
        except (BrokenPipeError, OSError):
            os._exit(0)
        progress[slot] = _IDLE


def run_sharded(items: list[T], work: Callable[[T], R], lost: Callable[[T, str], R], workers: int,
                shard_size: int, meanwhile: Callable[[], None] | None = None,
                on_results: Callable[[int], None] | None = None, weights: list[int] | None = None) -> list[R]:
    """``[work(item) for item in items]`` over ``workers`` forked processes, in shards of
    at most ``shard_size`` (smaller toward the end, :func:`_shards`, by ``weights`` when
    given: each item's expected work); an item whose worker died while working on it gets ``lost(item, why)``.
    ``meanwhile`` runs in this process once the workers are started; ``on_results(n)`` is
    told of each batch of ``n`` results that arrives (progress)."""
    pool = Pool(work, lost, workers)
    try:
        return pool.run(items, shard_size, meanwhile, on_results, weights)
    finally:
        pool.close()


class Pool(Generic[T, R]):
    """Forked workers that serve several batches (:meth:`run`) until :meth:`close`.

    A run forks its workers when it starts; a later run reuses them: a second fork of this
    process, by then holding the whole tree's results, cost more than the files it shared
    (the link stage's on-demand loads ran slower over the cores than in one process). The
    workers are forked with ``work``, so what a later item needs travels with the item."""

    def __init__(self, work: Callable[[T], R], lost: Callable[[T, str], R], workers: int) -> None:
        self.context = multiprocessing.get_context("fork")
        self.work, self.lost, self.workers = work, lost, workers
        self.progress = self.context.RawArray("q", workers)
        self.pool: list[_Worker] = []
        self._side: threading.Thread | None = None

    def _spawn(self, slot: int) -> _Worker:
        self.progress[slot] = _IDLE
        if self._side is not None:
            self._side.join()  # never fork while that thread may hold a lock the child would need
        return _Worker(self.context, slot, self.progress, self.work, self.lost, [w for w in self.pool if w.slot != slot])

    def run(self, items: list[T], shard_size: int, meanwhile: Callable[[], None] | None = None,
            on_results: Callable[[int], None] | None = None, weights: list[int] | None = None) -> list[R]:
        """:func:`run_sharded` on this pool's workers (forked now if there are none yet)."""
        progress, lost = self.progress, self.lost
        results: list = [None] * len(items)
        done = [False] * len(items)
        pending = _shards(len(items), self.workers, shard_size, weights)
        taken = {w.slot for w in self.pool}
        for slot in range(self.workers):
            if len(self.pool) >= min(self.workers, len(pending)):
                break
            if slot not in taken:
                self.pool.append(self._spawn(slot))

        def give(worker: _Worker) -> bool:
            if not pending:
                worker.shard = None
                return False
            worker.shard = pending.popleft()
            worker.conn.send([items[i] for i in worker.shard])
            return True

        busy = [w for w in list(self.pool) if give(w)]
        if meanwhile is not None:
            self._side = threading.Thread(target=meanwhile, daemon=True)
            self._side.start()
        while busy:
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
            for worker in list(busy):
                if worker.conn not in ready and worker.process.sentinel not in ready:
                    continue
                got = None
                try:
                    if worker.conn.poll():
                        got = worker.conn.recv()
                except (EOFError, OSError):
                    got = None
                if got is not None:
                    for index, result in zip(worker.shard, got):
                        results[index], done[index] = result, True
                    if on_results is not None:
                        on_results(len(got))
                    if not give(worker):
                        busy.remove(worker)
                    continue
                # The worker ended without answering: it died.
                worker.process.join()
                _account(worker, progress[worker.slot], items, results, done, pending, lost,
                         _why(worker.process.exitcode))
                busy.remove(worker)
                self.pool.remove(worker)
                worker.conn.close()
                if pending:
                    fresh = self._spawn(worker.slot)
                    self.pool.append(fresh)
                    if give(fresh):
                        busy.append(fresh)
        if self._side is not None:
            self._side.join()
            self._side = None
        return results

    def close(self) -> None:
        for worker in self.pool:
            try:
                worker.conn.send(None)
            except OSError:
                pass
            worker.conn.close()
            if worker.process.is_alive():
                worker.process.kill()
            worker.process.join()
        self.pool = []


def _shards(count: int, workers: int, largest: int, weights: list[int] | None = None) -> deque[list[int]]:
    """Shards of item indexes, in order, that shrink toward the end: each holds at most
    ``largest`` items and at most a ``2 * workers``-th of the work not yet sharded (one item
    at least), the work of an item its weight (1 without ``weights``). Equal shards left
    the run waiting on whichever worker drew the last heavy one (files that hold prompts
    cluster in a few folders); the last shards here hold a file or two, and with items in
    decreasing weight no more than the lightest items' work."""
    pending: deque[list[int]] = deque()
    weight = (lambda i: 1) if weights is None else weights.__getitem__
    left = count if weights is None else sum(weights)
    start = 0
    while start < count:
        budget = left // (2 * workers)
        end, taken = start + 1, weight(start)
        while end < count and end - start < largest and taken + weight(end) <= budget:
            taken += weight(end)
            end += 1
        pending.append(list(range(start, end)))
        left -= taken
        start = end
    return pending


def _account(worker: _Worker, at: int, items, results, done, pending: deque, lost, why: str) -> None:
    """Give the item the worker died on its ``lost`` result; put the rest back."""
    shard = [i for i in worker.shard or () if not done[i]]
    if 0 <= at < len(worker.shard or ()) and not done[worker.shard[at]]:
        culprit = worker.shard[at]
        results[culprit], done[culprit] = lost(items[culprit], why), True
        rest = [i for i in shard if i != culprit]
        if rest:
            pending.appendleft(rest)
    elif len(shard) == 1:
        results[shard[0]], done[shard[0]] = lost(items[shard[0]], why), True
    elif shard:  # died between items (sending a result): halve, so the culprit is found
        half = len(shard) // 2
        pending.appendleft(shard[half:])
        pending.appendleft(shard[:half])


def _why(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exited with status {exitcode}"
