"""The content-hash cache in ``.promptlint_cache/``: what a warm run does not redo.

Per file it keeps the prefilter verdict and the extraction result, keyed by the hash of
the file's bytes; per text it keeps the legacy-BPE token count, keyed by the hash of the
text. One cache file per (tool version, Python version, extraction settings) so a change
of any of them starts afresh. It is written atomically and any entry that cannot be read
is ignored: a cache can only make a run faster, never different. "Cannot be read"
includes a file this user's promptlint did not seal (:mod:`promptlint.seal`: a cache
committed in a pull request cannot vouch for its files) and valid JSON of the wrong shape: every rebuilt dataclass has each field checked
against its annotation, counts are range-checked, and memo values pass their user's
check, so a damaged or crafted file makes a run slower, never different or dead.

The format is JSON with an explicit list of the dataclasses it may rebuild, never pickle:
scanning an untrusted checkout must not execute code planted in its cache folder.

A file's extraction is kept apart, in ``scan-<key>.results/<hash of its JSON>`` (sealed
too; the index names it by the hash of its body, which is checked on reading), so a run
reads only the results it uses (a hook checking one file reads one, not the whole tree's)
and a save writes only the results it made, plus the small index.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
import time
import types
import typing
from pathlib import Path
from typing import Any, Callable

from promptlint import __version__
from promptlint.atomic import write_atomic
from promptlint.boundary import PathError, config_path, linked_component
from promptlint.config import Config, ConfigError
from promptlint.discover import digest
from promptlint.seal import seal, unseal
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
MAX_TOKENS = 100_000_000  # a text's count is below its length; max-file-size is 5 MB by default


def _plain_types(hint) -> frozenset[type] | None:
    """The exact types a value of ``hint`` may have, when its type alone decides."""
    if hint is type(None) or hint is None:
        return frozenset({type(None)})
    if hint in (bool, int, str) or (isinstance(hint, type) and dataclasses.is_dataclass(hint)):
        return frozenset({hint})  # a dataclass was checked field by field when it was rebuilt
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        parts = [_plain_types(a) for a in typing.get_args(hint)]
        return frozenset().union(*parts) if all(p is not None for p in parts) else None
    return None


def _checker(hint) -> Callable[[Any], bool] | frozenset[type]:
    """Whether a decoded value has the type ``hint`` names (a field annotation): a set of
    exact types (the common, fast case) or a function."""
    plain = _plain_types(hint)
    if plain is not None:
        return plain
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is typing.Any or hint is object:
        return lambda v: True
    if hint is float:
        return lambda v: type(v) in (int, float) and math.isfinite(v)
    if origin is typing.Literal:
        allowed = frozenset(args)
        return lambda v: type(v) in (str, int, bool) and v in allowed
    if origin in (typing.Union, types.UnionType):
        options = [_as_function(_checker(a)) for a in args]
        return lambda v: any(check(v) for check in options)
    if origin in (tuple, list, frozenset) and (origin is not tuple or (len(args) == 2 and args[1] is Ellipsis)):
        item = _checker(args[0]) if args else None
        if item is None:
            return lambda v: type(v) is origin
        if isinstance(item, frozenset):  # the common case, checked in C: every item's type is allowed
            return lambda v: type(v) is origin and item.issuperset(map(type, v))
        return lambda v: type(v) is origin and all(map(item, v))
    if origin is tuple:
        items = [_as_function(_checker(a)) for a in args]
        return lambda v: type(v) is tuple and len(v) == len(items) and all(c(x) for c, x in zip(items, v))
    if origin is dict:
        key, value = (_as_function(_checker(a)) for a in args) if args else (lambda v: True, lambda v: True)
        return lambda v: type(v) is dict and all(key(k) and value(x) for k, x in v.items())
    raise TypeError(f"the cache cannot check {hint!r}")  # a new kind of field: teach _checker


def _as_function(check) -> Callable[[Any], bool]:
    return (lambda v: type(v) in check) if isinstance(check, frozenset) else check


_CHECKS: dict[type, tuple] = {}  # built per class on its first decode: most runs decode few classes


def _checks(cls: type) -> tuple:
    checks = _CHECKS.get(cls)
    if checks is None:
        hints = typing.get_type_hints(cls)
        checks = _CHECKS[cls] = tuple(_checker(hints[name]) for name in _FIELDS[cls])
    return checks


def _well_typed(cls: type, values: list) -> bool:
    for check, value in zip(_checks(cls), values):
        if not (type(value) in check if type(check) is frozenset else check(value)):
            return False
    return True


_SPECS: dict[str, tuple] = {}  # stored name -> (class, field count, field checks), made on first decode


def _spec(name: str) -> tuple:
    cls = _TYPES[name]  # KeyError on anything not listed: the entry is dropped
    spec = _SPECS[name] = (cls, len(_FIELDS[cls]), _checks(cls))
    return spec
_FORMAT = 3  # 2: objects met again are references (``{"$r": n}``); 3: memos kept apart
# The shape of every type a cache entry may hold (field names and their declared types): a
# change of shape between two builds of one version starts a new cache file.
_SHAPE = json.dumps({name: [(f.name, str(f.type)) for f in dataclasses.fields(cls)] for name, cls in sorted(_TYPES.items())})


# Values are interchangeable when equal (nothing asks which of two equal texts it holds):
# one copy of each is stored. Other dataclasses (a call record, a request) keep their
# identity: one object is stored once, two equal ones twice.
_VALUE_TYPES = frozenset(cls for cls in _TYPES.values() if cls.__module__ == values_module.__name__) \
    | {types_module.Span, types_module.Segment}


class _Encoder:
    """JSON for a result, each dataclass or tuple written once: one met again (the same
    object, or for values an equal one: extraction copies a resolved constant into every
    call that passes it) is named by its number, ``{"$r": n}``, numbered in the order they
    are completed. A test file that passes one large fixture to thirty calls stores and
    decodes it once."""

    def __init__(self) -> None:
        self.by_id: dict[int, int] = {}
        self.by_value: dict[tuple, int] = {}
        self.count = 0

    def encode(self, obj: Any) -> tuple[Any, Any]:
        """The JSON and a key equal for equal values (scalars tagged with their type:
        ``1``, ``1.0`` and ``True`` are different texts)."""
        kind = type(obj)
        fields = _FIELDS.get(kind)
        if fields is not None or kind is tuple:
            number = self.by_id.get(id(obj))
            if number is not None:
                return {"$r": number}, number
            parts = [self.encode(getattr(obj, name)) for name in fields] if fields is not None else \
                [self.encode(o) for o in obj]
            value_key = (kind, tuple(k for _, k in parts)) if kind is tuple or kind in _VALUE_TYPES else None
            number = self.by_value.get(value_key) if value_key is not None else None
            if number is None:
                number, self.count = self.count, self.count + 1
                if value_key is not None:
                    self.by_value[value_key] = number
                self.by_id[id(obj)] = number
                body = [j for j, _ in parts]
                return ({"$": kind.__name__, "v": body} if fields is not None else {"$t": body}), number
            self.by_id[id(obj)] = number
            return {"$r": number}, number
        if kind in _SCALARS:
            return obj, (kind, obj)
        if kind is list:
            parts = [self.encode(o) for o in obj]
            return [j for j, _ in parts], (list, tuple(k for _, k in parts))
        if kind is frozenset:
            items = sorted(obj)
            return {"$f": items}, (frozenset, tuple((type(i), i) for i in items))
        if kind is dict:
            parts = [(self.encode(k), self.encode(val)) for k, val in obj.items()]
            return {"$d": [[k[0], val[0]] for k, val in parts]}, (dict, tuple((k[1], val[1]) for k, val in parts))
        raise TypeError(f"cannot cache {kind.__name__}")


def _encode(obj: Any) -> Any:
    return _Encoder().encode(obj)[0]


def result_body(result: FileResult) -> bytes | None:
    """The bytes of the shard that caches ``result`` (the same bytes :meth:`ScanCache.remember`
    and the save would write), or None when the format cannot hold one of its values."""
    try:
        return json.dumps(_encode(result), separators=(",", ":")).encode("utf-8")
    except TypeError:
        return None


MAX_DEPTH = 300  # JSON levels; extraction's deepest result on the labelled corpus has 64


def _decode(obj: Any, depth: int = 0, table: list | None = None) -> Any:
    """The object ``_encode`` wrote; ``table`` holds the numbered objects decoded so far
    (a reference names one of them: never one still being decoded, so never a cycle).
    Scalars, most of an entry's values, are taken as they are without a call."""
    if depth > MAX_DEPTH:
        raise ValueError("cache entry nested deeper than extraction makes them")
    if table is None:
        table = []
    depth += 1
    kind = type(obj)
    if kind is dict:
        if "$r" in obj:
            number = obj["$r"]
            if type(number) is not int or not 0 <= number < len(table):
                raise ValueError("cache entry naming an object it does not hold")
            return table[number]
        if "$" in obj:
            cls, size, checks = _SPECS.get(obj["$"]) or _spec(obj["$"])
            values = obj["v"]
            if type(values) is not list or len(values) != size:
                raise ValueError("cache entry of another shape")
            # One pass per field: decode (a reference is looked up here, without a call:
            # they are a third of an entry's objects), then check against the annotation.
            decoded = []
            for val, check in zip(values, checks):
                kind = type(val)
                if kind is dict and len(val) == 1 and type(val.get("$r")) is int:
                    number = val["$r"]
                    if not 0 <= number < len(table):
                        raise ValueError("cache entry naming an object it does not hold")
                    val = table[number]
                elif kind not in _PLAIN:
                    val = _decode(val, depth, table)
                if not (type(val) in check if type(check) is frozenset else check(val)):
                    raise ValueError(f"cache entry with a field of the wrong type in {cls.__name__}")
                decoded.append(val)
            table.append(cls(*decoded))
            return table[-1]
        if "$t" in obj:
            items = obj["$t"]
            if type(items) is not list:
                raise ValueError("cache entry of another shape")
            table.append(tuple([o if type(o) in _PLAIN else _decode(o, depth, table) for o in items]))
            return table[-1]
        if "$f" in obj:
            return frozenset(_decode(o, depth, table) for o in obj["$f"])
        if "$d" in obj:
            return {_decode(k, depth, table): _decode(val, depth, table) for k, val in obj["$d"]}
        raise ValueError("unknown cache object")
    if kind is list:
        return [o if type(o) in _PLAIN else _decode(o, depth, table) for o in obj]
    return obj


_PLAIN = frozenset(_SCALARS)  # JSON values that decode to themselves


_MARKERS = {
    ".gitignore": "# Created by promptlint: this folder is a cache.\n*\n",
    "CACHEDIR.TAG": "Signature: 8a477f597d28d172789f06886806bc55\n"
                    "# This folder is a cache created by promptlint; see https://bford.info/cachedir/\n",
}


def cache_location(config: Config) -> tuple[Path | None, str | None]:
    """The cache folder ``cache-dir`` names, or (None, why it is not used).

    The key may come from the scanned repository, so it must name a folder inside the
    root (else a configuration error), and no part of the way there may be a symbolic
    link (a committed ``.promptlint_cache`` link would make a plain run write through it:
    the run goes on uncached, with a notice)."""
    try:
        folder = config_path(config.root, config.cache_dir, "cache-dir", follow=False)
    except PathError as exc:
        raise ConfigError(f"{config.source or 'config'}: {exc}") from None
    link = linked_component(config.root, folder)
    if link is not None:
        return None, f"cache not used: `{link}` is a symbolic link (a cache folder must be a real folder in the tree)"
    return folder, None


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

    def __init__(self, folder: Path | None, settings: tuple, refused: str | None = None) -> None:
        self.folder = folder
        self.refused = refused  # why the configured folder is not used, for a notice
        key = json.dumps([__version__, _FORMAT, _SHAPE, sys.version_info[:2], list(map(str, settings))])
        self.path = folder / f"scan-{digest(key.encode())}.json" if folder else None
        self.shards = self.path.with_suffix(".results") if self.path is not None else None
        self._new_shards: dict[str, bytes] = {}  # name -> JSON body, made this run
        self._ahead: tuple[object, set[str]] | None = None  # (thread, names written) of write_ahead
        self.files: dict[str, list] = {}  # path -> [file digest, passes prefilter, encoded FileResult | None]
        self.stats: dict[str, list] = {}  # path -> [size, mtime_ns, file digest]
        self.tokens: dict[str, int] = {}  # text digest -> legacy BPE count
        self.memos: dict[str, dict] = {}  # name -> {"stamp": ..., "values": {...}}
        self.apart = self.path.with_suffix(".memos") if self.path is not None else None
        self._apart: dict[str, Any] = {}  # memos kept in their own file, as read (then filled)
        self._apart_read: dict[str, bytes | None] = {}  # name -> its file's body as read
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
            body = unseal(self.path.read_bytes())
            if body is None:
                return  # not written by this user's promptlint (or damaged): start empty
            data = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
            parts = (data["files"], data["stats"], data["tokens"], data["memos"])
            if all(isinstance(p, dict) for p in parts):
                self.files, self.stats, self.tokens, self.memos = parts
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
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
            result = _decode(self._stored(self.files[path][2]))
        except (OSError, KeyError, TypeError, ValueError, RecursionError):
            return None
        return result if isinstance(result, FileResult) else None

    def _stored(self, value: Any) -> Any:
        """An entry's encoded result: inline, or read from the shard the entry names."""
        if not (type(value) is dict and len(value) == 1 and type(value.get(SHARD)) is str):
            return value
        name = value[SHARD]
        body = self._new_shards.get(name)
        if body is None:
            if self.shards is None or not _is_shard_name(name) or self.shards.is_symlink():
                raise ValueError("no such result")
            body = unseal((self.shards / name).read_bytes())
            if body is None or digest(body) != name:
                raise ValueError("a result that is not the one the index names")
        return json.loads(body.decode("utf-8"), parse_constant=_no_constant)

    def remember(self, path: str, file_digest: str, passes: bool, result: FileResult | None = None,
                 body: bytes | None = None) -> None:
        """Record a file's verdict and extraction. ``body`` is ``result`` as :func:`result_body`
        made it, in the worker that extracted it (encoding a large tree's results was most of
        the cost of writing its cache, and the main process did it alone); without it, it is
        made here."""
        if not self.enabled:
            return
        if result is None:
            self.files[path] = [file_digest, passes, None, None]
            self.dirty = True
            return
        body = body if body is not None else result_body(result)
        if body is None:  # a value the format cannot hold: that file is simply not cached
            self.files.pop(path, None)
            return
        name = digest(body)
        self._new_shards[name] = body
        self.files[path] = [file_digest, passes, {SHARD: name}, result.kind]
        self.dirty = True

    def known_digest(self, path: str, stat: list[int]) -> str | None:
        """The content hash recorded for a file whose :func:`stat_key` is unchanged, so a
        warm run need not read it (the shortcut git, ruff and make take)."""
        entry = self.stats.get(path)
        if isinstance(entry, list) and len(entry) == len(stat) + 1 and entry[:-1] == stat:
            return entry[-1] if isinstance(entry[-1], str) else None
        return None

    def remember_stat(self, path: str, stat: list[int], file_digest: str) -> None:
        # A file changed in the last two seconds may change again within the same mtime
        # tick and keep its size ("racily clean", as git calls it): read it next time.
        if not self.enabled or stat[1] >= time.time_ns() - 2_000_000_000:
            return
        if self.stats.get(path) != [*stat, file_digest]:
            self.stats[path] = [*stat, file_digest]
            self.dirty = True

    def memo(self, name: str, stamp: str, valid: Callable[[Any, Any], bool] | None = None,
             apart: bool = False) -> dict:
        """A dict of derived values (prices, model ids) kept while ``stamp`` (the version of
        what derived them) is unchanged; filled in place by its user. ``valid(key, value)``
        drops loaded values its user could not take. ``apart``: a memo with an entry per
        file of the tree (which files call a helper) is kept in its own file, read only by
        a run that asks for it: a hook checking one file reads and rewrites none of them."""
        memos = self.memos
        if apart:
            if name not in self._apart:
                self._apart_read[name], self._apart[name] = self._read_apart(name)
            memos = self._apart
        entry = memos.get(name)
        if not isinstance(entry, dict) or entry.get("stamp") != stamp or not isinstance(entry.get("values"), dict):
            entry = {"stamp": stamp, "values": {}}
            memos[name] = entry
        if valid is not None:
            values = entry["values"]
            for key in [k for k, v in values.items() if not valid(k, v)]:
                del values[key]
        return entry["values"]

    def _apart_file(self, name: str) -> Path | None:
        if self.apart is None or not name.replace("-", "").isalnum() or self.apart.is_symlink():
            return None
        return self.apart / f"{name}.json"

    def _read_apart(self, name: str) -> tuple[bytes | None, Any]:
        """The memo's file body and its value (None, None: absent, foreign or damaged)."""
        path = self._apart_file(name)
        try:
            body = unseal(path.read_bytes()) if path is not None else None
            return (body, json.loads(body.decode("utf-8"), parse_constant=_no_constant)) if body else (None, None)
        except (OSError, ValueError, RecursionError):
            return None, None

    def _save_apart(self) -> None:
        """Each memo kept apart that changed since it was read (a value added or replaced)."""
        for name, entry in self._apart.items():
            path = self._apart_file(name)
            body = json.dumps(entry, separators=(",", ":")).encode("utf-8")
            if path is None or body == self._apart_read.get(name):
                continue
            sealed = seal(body)
            if sealed is None:
                return
            path.parent.mkdir(exist_ok=True)
            if not path.parent.is_symlink() and path.parent.is_dir():
                write_atomic(path, sealed, durable=False)
                _remove_stale_temporaries(path.parent)
            self._apart_read[name] = body

    def _memo_sizes(self) -> dict[str, int]:
        return {name: len(entry.get("values", {})) for name, entry in self.memos.items() if isinstance(entry, dict)}

    def token_count(self, text_digest: str) -> int | None:
        got = self.tokens.get(text_digest)
        return got if type(got) is int and 0 <= got <= MAX_TOKENS else None

    def remember_tokens(self, counts: dict[str, int]) -> None:
        if self.enabled and counts:
            self.tokens.update(counts)
            self.dirty = True

    def write_ahead(self) -> None:
        """Start writing the result shards made so far, in a thread, while later stages run:
        a shard's name is its content's hash, so writing it early changes nothing the index
        says (a run that dies before :meth:`save` leaves shards no index names, which the next
        save removes). Most of a cold run's cache writing is these few hundred small files."""
        import threading

        folder = self.shards
        if not self.enabled or folder is None or self._ahead is not None or not self._new_shards:
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return
        if folder.is_symlink() or not folder.is_dir():
            return
        pending, written = list(self._new_shards.items()), set()

        def write() -> None:
            for name, body in pending:
                sealed = seal(body)
                if sealed is None:
                    return
                try:
                    write_atomic(folder / name, sealed, durable=False)
                except OSError:
                    return
                written.add(name)

        thread = threading.Thread(target=write, daemon=True)
        thread.start()
        self._ahead = (thread, written)

    def _written_ahead(self) -> set[str]:
        if self._ahead is None:
            return set()
        thread, written = self._ahead
        thread.join()  # type: ignore[attr-defined]
        self._ahead = None
        return written

    def _shard_results(self) -> dict[str, list]:
        """The index to write: each inline result moved to its shard (written now), and
        shards no entry names removed. Inline where shards cannot be kept (a linked folder)."""
        ahead = self._written_ahead()  # joined first: nothing below races the thread
        folder = self.shards
        if folder is None or folder.is_symlink():
            return self._inlined()
        try:
            folder.mkdir(exist_ok=True)
        except OSError:
            return self._inlined()
        if folder.is_symlink() or not folder.is_dir():
            return self._inlined()
        index: dict[str, list] = {}
        for path, entry in self.files.items():
            if isinstance(entry, list) and len(entry) == 4 and entry[2] is not None and \
                    not (type(entry[2]) is dict and SHARD in entry[2]):
                body = json.dumps(entry[2], separators=(",", ":")).encode("utf-8")
                name = digest(body)
                self._new_shards[name] = body
                entry = [entry[0], entry[1], {SHARD: name}, entry[3]]
                self.files[path] = entry
            index[path] = entry
        named = {e[2][SHARD] for e in index.values() if isinstance(e, list) and len(e) == 4
                 and type(e[2]) is dict and type(e[2].get(SHARD)) is str}
        for name in (named & self._new_shards.keys()) - ahead:
            sealed = seal(self._new_shards[name])
            if sealed is not None:
                write_atomic(folder / name, sealed, durable=False)
        self._new_shards.clear()
        _remove_stale_temporaries(folder)
        for item in list(os.scandir(folder)):
            if not item.name.startswith(".") and item.name not in named:
                try:
                    os.unlink(item.path)
                except OSError:
                    pass
        return index

    def _inlined(self) -> dict[str, list]:
        """The index with every result not yet in a shard written inline (no shard can be kept)."""
        for path, entry in self.files.items():
            if isinstance(entry, list) and len(entry) == 4 and type(entry[2]) is dict \
                    and entry[2].get(SHARD) in self._new_shards:
                self.files[path] = [entry[0], entry[1], json.loads(self._new_shards[entry[2][SHARD]]), entry[3]]
        self._new_shards.clear()
        return self.files

    def save(self) -> None:
        if self.path is None or self.folder is None:
            return
        try:
            if self._apart:
                mark_cache_folder(self.folder)
                self._save_apart()
        except OSError:
            pass
        if not (self.dirty or self._memo_sizes() != self._sizes):
            return
        try:
            mark_cache_folder(self.folder)
            _remove_stale_temporaries(self.folder)
            files = self._shard_results()
            data = {"files": files, "stats": self.stats, "tokens": self.tokens, "memos": self.memos}
            sealed = seal(json.dumps(data, separators=(",", ":")).encode("utf-8"))
            if sealed is not None:  # no key, no cache: an unsealed file would be ignored anyway
                write_atomic(self.path, sealed, durable=False)
        except OSError:
            pass  # a read-only checkout still gets its results; only the next run is slower
        self.dirty = False
        self._sizes = self._memo_sizes()


SHARD = "$s"  # an entry's result kept in its own file: {"$s": name}


def _is_shard_name(name: str) -> bool:
    return len(name) == 32 and all(c in "0123456789abcdef" for c in name)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a value the cache writes")


STALE_TEMPORARY = 600.0  # seconds: no save takes this long, so such a file is a killed run's


def _remove_stale_temporaries(folder: Path) -> None:
    """Temporary files a killed run left while saving (``kill -9`` between write and
    rename); a run saving now has just made its own, which is young."""
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(".") and entry.name.endswith(".tmp"):
            try:
                if now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMPORARY:
                    os.unlink(entry.path)
            except OSError:
                pass


def decimal_text(key: Any, value: Any) -> bool:
    """A memo value that reads back as a finite, non-negative Decimal (a price)."""
    from decimal import Decimal, InvalidOperation

    if not isinstance(value, str) or len(value) > 100:
        return False
    try:
        number = Decimal(value)
    except InvalidOperation:
        return False
    return number.is_finite() and number >= 0


def text_or_none(key: Any, value: Any) -> bool:
    """A memo value that is a string or None (a model id, or "not known")."""
    return value is None or isinstance(value, str)
