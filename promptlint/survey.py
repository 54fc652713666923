"""One pass over the candidate files: read, prefilter and (optionally) extract each.

Discovery's per-file work, shaped so it can run in worker processes: a survey reads the
cache but never changes it, and returns an :class:`Outcome` per file that
:func:`promptlint.discover.discover` records. On large trees the pass is split over forked
workers, and only the few prompt files' extraction results travel back.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable

from promptlint.collector import paused
from promptlint.config import Config
from promptlint.terminal import progress
from promptlint.types import Diagnostic

if TYPE_CHECKING:
    from promptlint.cache import ScanCache
    from promptlint.nameindex import NameFacts
    from promptlint.discover import SourceFile
    from promptlint.extract.result import FileResult

Candidate = tuple[str, str, str]  # (path relative to the root, absolute path, kind)
Extract = Callable[[str, str, bytes, tuple[str, ...]], "FileResult"]

# Below this many files to read (a pre-commit run on the staged files, a warm run whose
# files the cache vouches for), starting workers costs more than it saves; from a couple of
# hundred files on, two workers were 25-35% faster on this repository and on the benchmark
# trees (benchmarks/, 2 cores, idle machine).
PARALLEL_MIN_CANDIDATES = 100
_INDEXED = ("python", "notebook")  # skipped kinds whose callers linking may look for (promptlint.nameindex)


@dataclass(frozen=True)
class Outcome:
    """What surveying one candidate file found: its source (bytes dropped), or why not."""

    path: str
    source: SourceFile | None
    diagnostic: Diagnostic | None = None
    passes: bool = False
    fresh_verdict: bool = False
    result: FileResult | None = None  # extracted now (None when cached or not a prompt file)
    body: bytes | None = None  # ``result`` as its cache shard (cache.result_body), made where it was extracted
    names: NameFacts | None = None  # a skipped Python file or notebook read now: what caller searches need


def survey(candidates: list[Candidate], config: Config, cache: ScanCache | None,
           extract: Extract | None) -> list[Outcome]:
    from promptlint.cache import result_body
    from promptlint.discover import read_candidate, verdict
    from promptlint.nameindex import name_facts

    patterns = tuple(config.prompt_name_patterns)
    outcomes = []
    shown = progress() if _WORKER_STATE is None else None  # a forked worker draws nothing
    for rel, abspath, kind in candidates:
        if shown is not None:
            shown.advance()
        got = read_candidate(rel, abspath, kind, config, cache)
        if isinstance(got, Diagnostic):
            outcomes.append(Outcome(rel, None, got))
            continue
        passes, fresh = verdict(got, config, cache)
        result = names = body = None
        if extract is not None and passes and not (cache is not None and cache.has_result(rel, got.digest, kind)):
            result = extract(rel, kind, got.load(), patterns)
            body = result_body(result) if cache is not None and cache.enabled else None
        if not passes and kind in _INDEXED and got.data is not None and len(got.data) <= config.max_file_size:
            names = name_facts(got.data)
        outcomes.append(Outcome(rel, replace(got, data=None), None, passes, fresh, result, names=names, body=body))
    return outcomes


def can_fork() -> bool:
    """Whether workers can be forked here (multiprocessing is imported only when a run
    has enough files to share: a warm or one-file run never starts a worker)."""
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def survey_all(candidates: list[Candidate], config: Config, cache: ScanCache | None, extract: Extract | None,
               meanwhile: Callable[[], None] | None = None) -> list[Outcome]:
    """:func:`survey` over all cores when many files need reading. Files the cache vouches
    for (same size and mtime) need none, so a warm run stays in one process. ``meanwhile``
    runs in the main process while the workers work (it would otherwise only wait)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(candidates) < PARALLEL_MIN_CANDIDATES or workers < 2 or not can_fork():
        return survey(candidates, config, cache, extract)
    fresh = [c for c in candidates if not _unchanged(c, cache)]
    if len(fresh) < PARALLEL_MIN_CANDIDATES:
        return survey(candidates, config, cache, extract)
    fresh_paths = {c[0] for c in fresh}
    known = [c for c in candidates if c[0] not in fresh_paths]
    outcomes = [*survey(known, config, cache, extract),
                *_survey_in_workers(*_largest_first(fresh), config, cache, extract, workers, meanwhile)]
    by_path = {o.path: o for o in outcomes}
    return [by_path[c[0]] for c in candidates]


def _largest_first(candidates: list[Candidate]) -> tuple[list[Candidate], list[int]]:
    """The files in decreasing size (walk order among equals), and their sizes: the work
    the workers' shards are cut by (:func:`promptlint.workers.run_sharded`), so the first
    shards are a large file each and the last ones the smallest files. Cut by count in
    walk order, a shard at the end could hold a tree's largest modules (they cluster in a
    folder), and one worker then went on alone while the others waited."""
    sized = []
    for candidate in candidates:
        try:
            sized.append((os.stat(candidate[1]).st_size, candidate))
        except OSError:
            sized.append((0, candidate))
    sized.sort(key=lambda pair: pair[0], reverse=True)
    return [c for _, c in sized], [max(1, n) for n, _ in sized]


def _unchanged(candidate: Candidate, cache: ScanCache | None) -> bool:
    if cache is None:
        return False
    try:
        stat = os.stat(candidate[1])
    except OSError:
        return False
    from promptlint.discover import stat_key

    return cache.known_digest(candidate[0], stat_key(stat)) is not None


_WORKER_STATE: tuple | None = None  # (config, cache, extract), inherited by forked workers
_SHARED: dict = {}  # "keep": the survey's workers stay open for later stages; "pool": them


@dataclass(frozen=True)
class ExtractJob:
    """One file for a worker of the survey to extract after the survey (linking's on-demand
    reads): its bytes travel with it."""

    rel: str
    kind: str
    data: bytes
    patterns: tuple[str, ...]
    encode: bool = False  # send back its cache shard too (:class:`Encoded`)


@dataclass(frozen=True)
class Encoded:
    """A job's result and its cache shard's bytes (None: the format cannot hold it)."""

    result: FileResult
    body: bytes | None


def _serve(item):
    assert _WORKER_STATE is not None
    if type(item) is ExtractJob:
        result = _WORKER_STATE[2](item.rel, item.kind, item.data, item.patterns)
        if item.encode:
            from promptlint.cache import result_body

            return Encoded(result, result_body(result))
        return result
    return survey([item], *_WORKER_STATE)[0]


def _lost(item, why: str):
    """A file whose worker died reading it (a parser crash, the OOM killer): a PL001 on it,
    and the rest of the tree is still read (an extraction job: :class:`~promptlint.workers.Lost`)."""
    from promptlint.workers import Lost

    if type(item) is ExtractJob:
        return Lost(why)
    rel = item[0]
    return Outcome(rel, None, Diagnostic(rel, f"cannot analyze: the worker process reading this file died ({why})"))


@contextmanager
def shared_workers():
    """Within the block, the workers a survey forks stay open for :func:`extract_shared`
    (the link stage's on-demand reads), instead of each batch forking its own from a
    process that by then holds the whole tree."""
    _SHARED["keep"] = True
    try:
        yield
    finally:
        close_shared()


def close_shared() -> None:
    _SHARED.pop("keep", None)
    _close_pool()


def _close_pool() -> None:
    global _WORKER_STATE
    pool = _SHARED.pop("pool", None)
    if pool is not None:
        pool.close()
        _WORKER_STATE = None


def extract_shared(jobs: list[ExtractJob], extract: Extract, workers: int) -> list | None:
    """Each job's extraction by the survey's open workers (a dead worker's job: a
    :class:`~promptlint.workers.Lost`), or None when none are open for ``extract``."""
    pool = _SHARED.get("pool")
    if pool is None or _WORKER_STATE is None or _WORKER_STATE[2] is not extract:
        return None
    with paused():
        return pool.run(jobs, max(1, len(jobs) // (workers * 4)))


def _survey_in_workers(candidates: list[Candidate], sizes: list[int], config: Config, cache: ScanCache | None,
                       extract: Extract | None, workers: int,
                       meanwhile: Callable[[], None] | None) -> list[Outcome]:
    from promptlint.workers import Pool

    global _WORKER_STATE
    _close_pool()  # never two pools open at once
    size = max(1, len(candidates) // (workers * 4))
    if extract is not None:
        from promptlint.extract import prepare

        prepare({kind for _, _, kind in candidates})  # once here, not once in every worker
    _WORKER_STATE = (config, cache, extract)
    keep = extract is not None and _SHARED.get("keep", False)
    pool = Pool(_serve, _lost, workers)
    try:
        # The collector paused here and in the workers (forked with it paused): this process
        # only receives results, records that form no cycles; a worker's collections would
        # walk the heap it inherited, touching (and so copying) its pages, and each file's
        # extraction leaves only a few hundred cyclic objects over a whole tree.
        with paused():
            return pool.run(candidates, size, meanwhile, on_results=lambda n: progress().advance(n), weights=sizes)
    finally:
        if keep:
            _SHARED["pool"] = pool
        else:
            pool.close()
            _WORKER_STATE = None
