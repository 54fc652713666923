"""The content-hash cache in ``.promptlint_cache/``: what a warm run does not redo.

Per file it keeps the prefilter verdict and the extraction result, keyed by the hash of
the file's bytes; per text it keeps the legacy-BPE token count, keyed by the hash of the
text. One cache file per (tool version, Python version, extraction settings) so a change
of any of them starts afresh. It is written atomically and any entry that cannot be read
is ignored: a cache can only make a run faster, never different.

The format is JSON with an explicit list of the dataclasses it may rebuild, never pickle:
scanning an untrusted checkout must not execute code planted in its cache folder.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from promptlint import __version__
from promptlint.atomic import write_atomic
from promptlint.discover import digest
from promptlint import types as types_module
from promptlint.extract import layout as layout_module
from promptlint.extract import result as result_module
from promptlint.extract import values as values_module
from promptlint.extract.result import FileResult

def _dataclasses(*modules) -> dict[str, type]:
    found: dict[str, type] = {}
    for module in modules:
        for name, obj in vars(module).items():
            if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == module.__name__:
                found[name] = obj
    return found


# The only types a cache entry may rebuild: promptlint's own frozen data, found in the
# modules that define what a FileResult holds (so a new field type cannot be forgotten).
_TYPES = _dataclasses(types_module, values_module, result_module, layout_module)


# Field names per type, in definition order: an entry stores the values positionally.
_FIELDS = {cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in _TYPES.values()}
_SCALARS = (str, int, float, bool, type(None))
# The shape of every type a cache entry may hold (field names and their declared types): a
# change of shape between two builds of one version starts a new cache file.
_SHAPE = json.dumps({name: [(f.name, str(f.type)) for f in dataclasses.fields(cls)] for name, cls in sorted(_TYPES.items())})


def _encode(obj: Any) -> Any:
    kind = type(obj)
    fields = _FIELDS.get(kind)
    if fields is not None:
        return {"$": kind.__name__, "v": [_encode(getattr(obj, name)) for name in fields]}
    if kind in _SCALARS:
        return obj
    if kind is tuple:
        return {"$t": [_encode(o) for o in obj]}
    if kind is list:
        return [_encode(o) for o in obj]
    if kind is frozenset:
        return {"$f": sorted(obj)}
    if kind is dict:
        return {"$d": [[_encode(k), _encode(val)] for k, val in obj.items()]}
    raise TypeError(f"cannot cache {kind.__name__}")


def _decode(obj: Any) -> Any:
    if isinstance(obj, dict):
        if "$" in obj:
            cls = _TYPES[obj["$"]]  # KeyError on anything not listed: the entry is dropped
            values = obj["v"]
            if len(values) != len(_FIELDS[cls]):
                raise ValueError("cache entry of another shape")
            return cls(*[_decode(val) for val in values])
        if "$t" in obj:
            return tuple(_decode(o) for o in obj["$t"])
        if "$f" in obj:
            return frozenset(obj["$f"])
        if "$d" in obj:
            return {_decode(k): _decode(val) for k, val in obj["$d"]}
        raise ValueError("unknown cache object")
    if isinstance(obj, list):
        return [_decode(o) for o in obj]
    return obj


_MARKERS = {
    ".gitignore": "# Created by promptlint: this folder is a cache.\n*\n",
    "CACHEDIR.TAG": "Signature: 8a477f597d28d172789f06886806bc55\n"
                    "# This folder is a cache created by promptlint; see https://bford.info/cachedir/\n",
}


def mark_cache_folder(folder: Path) -> None:
    """Create the cache folder and keep it out of version control and backups, as ruff
    and pytest do."""
    if (folder / ".gitignore").exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in _MARKERS.items():
        write_atomic(folder / name, text.encode())


class ScanCache:
    """Load once, consult during the scan, save once if anything changed."""

    def __init__(self, folder: Path | None, settings: tuple) -> None:
        self.folder = folder
        key = json.dumps([__version__, _SHAPE, sys.version_info[:2], list(map(str, settings))])
        self.path = folder / f"scan-{digest(key.encode())}.json" if folder else None
        self.files: dict[str, list] = {}  # path -> [file digest, passes prefilter, encoded FileResult | None]
        self.stats: dict[str, list] = {}  # path -> [size, mtime_ns, file digest]
        self.tokens: dict[str, int] = {}  # text digest -> legacy BPE count
        self.memos: dict[str, dict] = {}  # name -> {"stamp": ..., "values": {...}}
        self.dirty = False
        self._load()
        self._sizes = self._memo_sizes()

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def _load(self) -> None:
        if self.path is None or not self.path.is_file():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            parts = (data["files"], data["stats"], data["tokens"], data["memos"])
            if all(isinstance(p, dict) for p in parts):
                self.files, self.stats, self.tokens, self.memos = parts
        except (OSError, ValueError, KeyError, TypeError):
            self.files, self.stats, self.tokens, self.memos = {}, {}, {}, {}  # corrupt: start empty

    def _entry(self, path: str, file_digest: str) -> list | None:
        """The file's entry if it was made from these bytes: [digest, passes, result, kind]."""
        entry = self.files.get(path)
        if isinstance(entry, list) and len(entry) == 4 and entry[0] == file_digest and isinstance(entry[1], bool):
            return entry
        return None

    def verdict(self, path: str, file_digest: str) -> bool | None:
        entry = self._entry(path, file_digest)
        return entry[1] if entry is not None else None

    def has_result(self, path: str, file_digest: str, kind: str) -> bool:
        entry = self._entry(path, file_digest)
        return entry is not None and entry[2] is not None and entry[3] == kind

    def result(self, path: str, file_digest: str, kind: str) -> FileResult | None:
        """The cached extraction of the file read as ``kind`` (a YAML file read by code as
        plain text is another extraction), or None."""
        if not self.has_result(path, file_digest, kind):
            return None
        try:
            result = _decode(self.files[path][2])
        except (KeyError, TypeError, ValueError):
            return None
        return result if isinstance(result, FileResult) else None

    def remember(self, path: str, file_digest: str, passes: bool, result: FileResult | None = None) -> None:
        if not self.enabled:
            return
        try:
            encoded = _encode(result) if result is not None else None
        except TypeError:  # a value the format cannot hold: that file is simply not cached
            self.files.pop(path, None)
            return
        self.files[path] = [file_digest, passes, encoded, result.kind if result is not None else None]
        self.dirty = True

    def known_digest(self, path: str, size: int, mtime_ns: int) -> str | None:
        """The content hash recorded for a file whose size and mtime are unchanged, so a
        warm run need not read it (the shortcut ruff and make take)."""
        entry = self.stats.get(path)
        if isinstance(entry, list) and len(entry) == 3 and entry[0] == size and entry[1] == mtime_ns:
            return entry[2] if isinstance(entry[2], str) else None
        return None

    def remember_stat(self, path: str, size: int, mtime_ns: int, file_digest: str) -> None:
        if self.enabled and self.stats.get(path) != [size, mtime_ns, file_digest]:
            self.stats[path] = [size, mtime_ns, file_digest]
            self.dirty = True

    def memo(self, name: str, stamp: str) -> dict:
        """A dict of derived values (prices, model ids) kept while ``stamp`` (the version of
        what derived them) is unchanged; filled in place by its user."""
        entry = self.memos.get(name)
        if not isinstance(entry, dict) or entry.get("stamp") != stamp or not isinstance(entry.get("values"), dict):
            entry = {"stamp": stamp, "values": {}}
            self.memos[name] = entry
        return entry["values"]

    def _memo_sizes(self) -> dict[str, int]:
        return {name: len(entry.get("values", {})) for name, entry in self.memos.items() if isinstance(entry, dict)}

    def token_count(self, text_digest: str) -> int | None:
        got = self.tokens.get(text_digest)
        return got if isinstance(got, int) else None

    def remember_tokens(self, counts: dict[str, int]) -> None:
        if self.enabled and counts:
            self.tokens.update(counts)
            self.dirty = True

    def save(self) -> None:
        if self.path is None or self.folder is None or not (self.dirty or self._memo_sizes() != self._sizes):
            return
        try:
            mark_cache_folder(self.folder)
            data = {"files": self.files, "stats": self.stats, "tokens": self.tokens, "memos": self.memos}
            write_atomic(self.path, json.dumps(data, separators=(",", ":")).encode("utf-8"))
        except OSError:
            pass  # a read-only checkout still gets its results; only the next run is slower
        self.dirty = False
        self._sizes = self._memo_sizes()
