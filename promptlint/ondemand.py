"""Files the scan did not extract, extracted when linking asks for them.

Linking reads more of the tree than the survey did: modules the prefilter skipped that a
prompt imports a constant from, skipped files that call an in-house wrapper or a helper
that makes requests, partials and prompt files that code reads. :class:`OnDemand` extracts
each (path, kind) once per run, whichever stage asks first, through the cache like any
other file; and when a stage knows many files it will need, :meth:`OnDemand.load_many`
extracts the batch over the cores, since that is as much work as the survey of
the files that hold prompts. What each file yields does not depend on where it was
extracted, so the results, and the output, are the same either way.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from promptlint.boundary import Tree
from promptlint.config import Config
from promptlint.extract import READ_AS
from promptlint.survey import can_fork
from promptlint.types import Diagnostic

if TYPE_CHECKING:
    from promptlint.cache import ScanCache
    from promptlint.extract.result import FileResult

Key = tuple[str, str]  # (path relative to the root, kind it is read as)

# Below this many files to extract, forking workers costs more than the work they share
# (a file takes tens of milliseconds; a fork and its pipe a few).
PARALLEL_MIN_LOADS = 6

_PENDING: tuple[Callable, list[tuple[str, str, bytes, tuple[str, ...]]]] | None = None  # inherited by forked workers


def _extract_one(index: int):
    assert _PENDING is not None
    extract, jobs = _PENDING
    return extract(*jobs[index])


class OnDemand:
    """Extraction of files outside the scan's results, each (path, kind) once."""

    def __init__(self, config: Config, cache: ScanCache | None = None, extract: Callable | None = None,
                 reads=None) -> None:
        if extract is None:
            from promptlint.extract import extract_file as extract
        self.extract = extract
        self.config = config
        self.cache = cache
        self.root = Path(config.root)
        self.memo: dict[Key, FileResult | None] = {}
        self._sources: dict[str, object] = {}  # rel -> SourceFile or None, for calls_sdk() and data()
        self.reads = reads  # promptlint.project_cache.Reads: what each file read gave, when kept

    def load(self, rel: str, kind: str) -> FileResult | None:
        return self.load_many([(rel, kind)])[0]

    def load_many(self, keys: Iterable[Key]) -> list[FileResult | None]:
        """Each file's extraction (None when it is excluded, unreadable or outside the
        tree), in the order asked; the ones not yet known extracted together."""
        from promptlint.discover import remember, verdict

        keys = list(keys)
        todo: list[tuple[Key, object, bool]] = []
        for key in dict.fromkeys(keys):
            if key in self.memo:
                continue
            rel, kind = key
            got = self._read(rel, READ_AS.get(kind, kind))
            if got is None or isinstance(got, Diagnostic):
                self.memo[key] = None
                continue
            passes = False
            if self.cache is not None:  # the verdict is kept for a later full scan; nothing else reads it
                passes, fresh = verdict(got, self.config, self.cache)
                remember(self.cache, got, passes, fresh)
                hit = self.cache.result(rel, got.digest, kind)
                if hit is not None:
                    self.memo[key] = hit
                    continue
            todo.append((key, got, passes))
        for (key, got, passes), (result, body) in zip(todo, self._extract([(k, g) for k, g, _ in todo])):
            if self.cache is not None and result is not None:
                self.cache.remember(key[0], got.digest, passes, result, body)
            self.memo[key] = result
        return [self.memo[k] for k in keys]

    def calls_sdk(self, rel: str) -> bool:
        """Whether the Python file ``rel`` can define an in-house wrapper: it holds an SDK
        call or import, the call part of the prefilter (:func:`promptlint.discover.call_prefilter`).
        A file the cache knows fails the whole prefilter fails that part too, unread."""
        from promptlint.discover import call_prefilter

        got = self._source(rel)
        if got is None or (self.cache is not None and self.cache.verdict(rel, got.digest) is False):
            return False
        return call_prefilter(tuple(self.config.prompt_name_patterns)).matches(got.load())

    def data(self, rel: str) -> bytes | None:
        """The bytes of the Python file ``rel``, read as a load would (None: not allowed)."""
        got = self._source(rel)
        return got.load() if got is not None else None

    def _source(self, rel: str):
        if rel not in self._sources:
            got = self._read(rel, "python")
            self._sources[rel] = None if got is None or isinstance(got, Diagnostic) else got
        return self._sources[rel]

    def _read(self, rel: str, kind: str):
        """The file read as :func:`promptlint.discover.read_candidate` reads it (None: not
        :meth:`allowed`), and what it gave recorded in ``reads``."""
        from promptlint.discover import read_candidate

        got = read_candidate(rel, str(self.root / rel), kind, self.config, self.cache) if self._allowed(rel) else None
        if self.reads is not None:
            self.reads.file(rel, got)
        return got

    def answer(self, rel: str) -> str:
        """What reading ``rel`` gives now, as :class:`promptlint.project_cache.Reads` keeps it."""
        from promptlint.project_cache import answer_of

        return answer_of(self._read(rel, "python"))

    def allowed(self, rel: str) -> bool:
        """Whether ``rel`` may be read (:meth:`_allowed`), asked by a caller that reads it
        only if so (a module looked for by name): the answer is recorded in ``reads``."""
        allowed = self._allowed(rel)
        if self.reads is not None:
            self.reads.tested(rel, allowed)
        return allowed

    def _allowed(self, rel: str) -> bool:
        """Not excluded; a regular file that, links followed, stays in the tree and out of
        excluded folders."""
        from promptlint.discover import _matchers

        exclude = _matchers(self.config).exclude
        if exclude(rel):
            return False
        path = self.root / rel
        return path.is_file() and Tree(self.config.root, exclude).refusal(path) is None

    def _extract(self, batch: list[tuple[Key, object]]) -> list[tuple[FileResult | None, bytes | None]]:
        """Each file's extraction, with its cache shard when a worker made it (else None)."""
        extract_file = self.extract
        patterns = tuple(self.config.prompt_name_patterns)
        jobs = [(rel, kind, got.load(), patterns) for (rel, kind), got in batch]  # type: ignore[attr-defined]
        workers = min(os.cpu_count() or 1, 8)
        if len(jobs) < PARALLEL_MIN_LOADS or workers < 2 or not can_fork():
            return [(extract_file(*job), None) for job in jobs]
        from promptlint.survey import Encoded, ExtractJob, extract_shared  # (multiprocessing only when it forks)
        from promptlint.workers import Lost
        encode = self.cache is not None and self.cache.enabled
        got = extract_shared([ExtractJob(*job, encode=encode) for job in jobs], extract_file, workers)
        if got is None:
            from promptlint.workers import run_sharded

            global _PENDING
            _PENDING = (extract_file, jobs)
            try:
                got = run_sharded(list(range(len(jobs))), _extract_one, lambda i, why: Lost(why), workers,
                                  max(1, len(jobs) // (workers * 4)))
            finally:
                _PENDING = None
        out: list[tuple[FileResult | None, bytes | None]] = []
        for job, result in zip(jobs, got):
            if isinstance(result, Lost):
                # An exception is raised again here, as a serial run raises it; a file whose
                # worker died (a parser crash) is left out, as an unreadable file is.
                died = result.why.startswith(("killed by", "exited with"))
                result = None if died else extract_file(*job)
            out.append((result.result, result.body) if isinstance(result, Encoded) else (result, None))
        return out
