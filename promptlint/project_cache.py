"""The linked project of a whole-tree run, kept between runs.

A warm run of the whole tree still decoded every file's cached extraction and linked
them all again (on OpenHands two thirds of its time), though nothing it read had
changed. What linking makes is a function of the walked files (their paths, kinds and
bytes), of what it read beyond them (files read on demand, folders listed to find a
module, paths tested for being readable files), of the configuration and of
promptlint's own code. The key covers the walked files, the configuration and the code;
the entry records the rest, :class:`Reads`, and each of those reads is made again, and
must give the same answer, before the kept project is used. Anything unknown (a file
whose stat the scan cache does not vouch for, a read that cannot be repeated) is a
miss: the run links as before and keeps what it made.

Only a run of the whole tree uses it: a run on some files reads the rest of the tree
through its imports, which no walk lists.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptlint import __version__

if TYPE_CHECKING:
    from promptlint.cache import ScanCache
    from promptlint.config import Config

KEPT = 4  # entries: the tree now, and a few states it goes back to (a branch switched to and back)

Walk = tuple[list, list, list]  # iter_candidates' (candidates, diagnostics, others)


class Reads:
    """What linking consulted of the tree beyond the walked files' bytes, with what it
    found: a file read on demand (its digest, or why it could not be read), a folder's
    listing (a digest of its names), a path tested for being a readable file."""

    def __init__(self) -> None:
        self.files: dict[str, str] = {}
        self.listings: dict[str, str] = {}
        self.readable: dict[str, bool] = {}

    def file(self, rel: str, got) -> None:
        self.files.setdefault(rel, answer_of(got))

    def listing(self, folder: str, names) -> None:
        self.listings.setdefault(folder, listing_digest(names))

    def tested(self, rel: str, readable: bool) -> None:
        self.readable.setdefault(rel, readable)


def answer_of(got) -> str:
    """What reading a file on demand gave: its bytes' digest, or why there were none."""
    from promptlint.types import Diagnostic

    if got is None:
        return "!not allowed"
    if isinstance(got, Diagnostic):
        return f"!{got.message}"
    return got.digest


def listing_digest(names) -> str:
    from promptlint.discover import digest

    return digest("\n".join(sorted(names)).encode())


def _walked_digests(walk: Walk, config: Config, cache: ScanCache) -> list | None:
    """Each walked file with the digest the scan cache vouches for by its stat (None when
    one is unknown: a file changed, or new, since the cache last saw it)."""
    from promptlint.discover import stat_key

    found = []
    for rel, abspath, kind in walk[0]:
        try:
            stat = os.stat(abspath)
        except OSError:
            return None
        if stat.st_size > config.max_file_size:
            found.append((rel, kind, f"!over max-file-size: {stat.st_size}"))
            continue
        known = cache.known_digest(rel, stat_key(stat))
        if known is None:
            return None
        found.append((rel, kind, known))
    return found


def key_for(walk: Walk, config: Config, cache: ScanCache) -> str | None:
    """The key of the project these walked files link to, or None when it cannot be known
    without reading files."""
    from promptlint.engine import _genai_prices_version
    from promptlint.findings_cache import Unkeyable, fingerprint, tree_stamp

    digests = _walked_digests(walk, config, cache)
    if digests is None:
        return None
    _, diagnostics, others = walk
    try:
        return fingerprint(__version__, sys.version_info[:2], tree_stamp(Path(__file__).parent),
                           _genai_prices_version(), config, digests, sorted(others), list(diagnostics))
    except Unkeyable:
        return None


def _store(cache: ScanCache):
    from promptlint.findings_cache import SealedEntries

    return SealedEntries(cache.path.with_suffix(".linked"), KEPT, _entry_shape)  # type: ignore[union-attr]


def _entry_shape(value: Any) -> bool:
    from promptlint.types import Diagnostic, Project

    if type(value) is not dict or set(value) != {"project", "notices", "files", "listings", "readable"}:
        return False
    return (type(value["project"]) is Project and type(value["notices"]) is tuple
            and all(type(d) is Diagnostic for d in value["notices"])
            and all(type(value[k]) is dict for k in ("files", "listings", "readable"))
            and all(type(k) is str and type(v) is str for k, v in value["files"].items())
            and all(type(k) is str and type(v) is str for k, v in value["listings"].items())
            and all(type(k) is str and type(v) is bool for k, v in value["readable"].items()))


def recall(key: str, config: Config, cache: ScanCache):
    """The (project, notices) kept under ``key``, when every read it records gives the
    same answer again; else None."""
    if cache.path is None:
        return None
    entry = _store(cache).get(key)
    if entry is None or not _same_reads(entry, config, cache):
        return None
    return entry["project"], entry["notices"]


def _same_reads(entry: dict, config: Config, cache: ScanCache) -> bool:
    from promptlint.ondemand import OnDemand

    root = Path(config.root)
    ondemand = OnDemand(config, cache)
    for rel, answer in entry["files"].items():
        if ondemand.answer(rel) != answer:
            return False
    for folder, names in entry["listings"].items():
        try:
            listed = os.listdir(root / folder if folder else root)
        except OSError:
            listed = []
        if listing_digest(listed) != names:
            return False
    return all(ondemand.allowed(rel) == allowed for rel, allowed in entry["readable"].items())


def keep(key: str, project, notices, reads: Reads, cache: ScanCache) -> None:
    """Keep what this run linked under ``key`` (with the reads that vouch for it)."""
    if cache.path is None:
        return
    _store(cache).put(key, {"project": project, "notices": tuple(notices), "files": dict(reads.files),
                            "listings": dict(reads.listings), "readable": dict(reads.readable)})
