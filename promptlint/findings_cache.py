"""Rule findings kept between runs, keyed by every input the rules read.

Rules are a pure function of the linked project, its token counts, its traffic, the
configuration, the selected rules (their files and options, the phrase packs they
read), the model facts and the price date, and the code that implements them. The key
is a hash of all of these, so a warm run whose rule inputs are unchanged (a hook on an
unedited file, a full run after a commit that touched no prompt) reads the findings
instead of running the rules, and never imports or compiles the checks.

The hash is over the values, not how they were made: the project a warm run rebuilds
from the scan cache and the one a cold run extracted give the same key. An input the
key cannot see (a plugin rule's code, exact counting through the API) turns the cache
off for the run rather than risk a stale answer.

Entries live in ``scan-<key>.findings/<hash>``, sealed like the rest of the cache, one
file each (a hit reads one file, a miss writes one); the oldest are pruned.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
from pathlib import Path
from typing import Any

from promptlint.atomic import write_atomic
from promptlint.seal import seal, unseal

KEPT = 24  # entries per cache folder: a full run, hooks on recent files, a few configurations


class Unkeyable(Exception):
    """An input whose value the key cannot capture."""


class _ValuePickler(pickle.Pickler):
    """Pickle by value, and refuse functions: a callable is pickled by its name, which
    says nothing of its code. (The C pickler writes plain containers, sets included,
    without asking: a set's order follows the process's hash seed, so a set among the
    inputs would only cost a miss. The project, counts and traffic hold none but the
    empty ``exact_templates``; a test checks that the key is the same in two processes.)"""

    def reducer_override(self, obj: Any):
        if callable(obj) and not isinstance(obj, type):
            raise Unkeyable(f"a callable ({type(obj).__name__}) among the rule inputs")
        return NotImplemented


def fingerprint(*parts: Any) -> str:
    """A hash of the values of ``parts`` (dataclasses, containers, scalars); equal values
    built the same way give equal hashes whatever objects they share. Raises
    :class:`Unkeyable` for a value it cannot see into."""
    buffer = io.BytesIO()
    pickler = _ValuePickler(buffer, protocol=5)
    pickler.fast = True  # no memo: shared and equal-but-distinct objects hash alike
    try:
        pickler.dump(parts)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError, ValueError) as exc:
        raise Unkeyable(str(exc)) from None
    return hashlib.blake2b(buffer.getbuffer(), digest_size=16).hexdigest()


def tree_stamp(*folders: Path) -> list:
    """Name, size and modification time of every file under ``folders``: the code and data
    the rules run (an editable install keeps its version number while its code changes)."""
    found = []
    for folder in folders:
        for base, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".pyc", ".tmp")):
                    continue
                path = os.path.join(base, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                found.append((path, st.st_size, st.st_mtime_ns))
    return found


def file_stamp(path: Path) -> tuple:
    """What a file the rules read is (a phrase pack): its path and, when it exists, size and time."""
    try:
        st = os.stat(path)
    except OSError:
        return (str(path), None)
    return (str(path), st.st_size, st.st_mtime_ns)


class SealedEntries:
    """Values by key in one folder of the cache, one sealed file each, the ``kept`` most
    recently used kept: a hit reads one file, a miss writes one. ``accept`` checks what a
    file decodes to (the format's own checks passed): anything else is a miss."""

    def __init__(self, folder: Path, kept: int = KEPT, accept=lambda value: True) -> None:
        self.folder = folder
        self.kept = kept
        self.accept = accept

    def _path(self, key: str) -> Path:
        return self.folder / key

    def get(self, key: str) -> Any | None:
        """The value stored under ``key``, or None (absent, foreign, damaged, not accepted)."""
        from promptlint.cache import _decode, _no_constant

        path = self._path(key)
        try:
            if self.folder.is_symlink():
                return None
            body = unseal(path.read_bytes())
            if body is None:
                return None
            found = _decode(json.loads(body.decode("utf-8"), parse_constant=_no_constant))
        except (OSError, KeyError, TypeError, ValueError, RecursionError):
            return None
        if not self.accept(found):
            return None
        try:
            os.utime(path)  # recently used: pruned last
        except OSError:
            pass
        return found

    def put(self, key: str, value: Any) -> None:
        from promptlint.cache import _encode

        try:
            body = json.dumps(_encode(value), separators=(",", ":")).encode("utf-8")
        except (TypeError, ValueError, RecursionError):  # a value the format cannot hold: not kept
            return
        sealed = seal(body)
        if sealed is None:
            return
        try:
            if self.folder.is_symlink():
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomic(self._path(key), sealed, durable=False)
            self._prune()
        except OSError:
            pass  # a read-only checkout: the next run does the work again

    def _prune(self) -> None:
        from promptlint.cache import _remove_stale_temporaries

        _remove_stale_temporaries(self.folder)  # a killed run's half-written entry
        entries = []
        for item in os.scandir(self.folder):
            if len(item.name) == 32 and not item.name.startswith("."):
                try:
                    entries.append((item.stat().st_mtime_ns, item.path))
                except OSError:
                    pass
        for _, path in sorted(entries, reverse=True)[self.kept:]:
            try:
                os.unlink(path)
            except OSError:
                pass


def _findings(found: Any) -> bool:
    from promptlint.types import Finding

    return type(found) is list and all(type(f) is Finding for f in found)


class FindingsCache(SealedEntries):
    """Findings by key in one folder of the cache."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder, KEPT, _findings)

    def put(self, key: str, findings: list) -> None:
        super().put(key, list(findings))
