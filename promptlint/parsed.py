"""Data files read on every run (rule files, ``models.toml``, rank tables), kept parsed between runs.

Parsing the 20-odd rule files with PyYAML (and importing it) and ``models.toml`` with
tomllib is a good part of a one-file hook run's start-up; the same text parses to the
same data every time. So the parsed value is kept as JSON, which the standard library
reads in C, in ``$XDG_CACHE_HOME/promptlint/parsed/``, keyed by a hash of the text and
of the parser (promptlint and Python versions included), like bytecode beside a module.

Values derived from a shipped binary file (an OpenAI rank table) are kept the same way
with :mod:`marshal` (:func:`derived`).

Only values JSON holds exactly are kept (mappings with string keys, lists, strings,
finite numbers, booleans, null): anything else (a YAML date) is parsed every time. Each
file carries a hash of its body, so a damaged one is parsed again, never believed.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
from pathlib import Path
from typing import Any, Callable

from promptlint import __version__

_HASH_BYTES = 16


def machine_folder(name: str) -> Path:
    """``$XDG_CACHE_HOME/promptlint/<name>``: what promptlint keeps per machine, outside any tree."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "promptlint" / name


def _folder() -> Path:
    return machine_folder("parsed")


def read_checked(path: Path) -> bytes | None:
    """The body of a file :func:`write_checked` wrote, or None (absent, or its hash does not match)."""
    try:
        head, _, body = path.read_bytes().partition(b"\n")
        return body if head.decode("ascii") == _digest(body) else None
    except (OSError, ValueError):
        return None


def write_checked(path: Path, body: bytes) -> None:
    """``body`` behind a line holding its hash, written atomically (nowhere to write: nothing kept)."""
    from promptlint.atomic import write_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, _digest(body).encode("ascii") + b"\n" + body, durable=False)
    except OSError:
        pass


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=_HASH_BYTES).hexdigest()


def parsed(text: str, parse: Callable[[str], Any], parser: str) -> Any:
    """``parse(text)``, or the value it gave last time for this text and ``parser`` (a name
    that changes whenever what ``parse`` returns for a text may change)."""
    return _kept(text.encode("utf-8", "surrogatepass"), lambda: parse(text), parser, ".json",
                 lambda value: json.dumps(value, separators=(",", ":"), allow_nan=False).encode("utf-8")
                 if _plain(value) else None, json.loads)


def derived(data: bytes, build: Callable[[], Any], builder: str, valid: Callable[[Any], bool]) -> Any:
    """``build()``, a value made from the shipped data file ``data`` alone, or the value it
    made last time from the same bytes, kept with :mod:`marshal` (read back several times
    faster than JSON, and it holds bytes keys); ``valid`` vets what is read back."""
    import marshal

    def load(body: bytes) -> Any:
        value = marshal.loads(body)
        if not valid(value):
            raise ValueError("not the value kept")
        return value

    return _kept(data, build, builder, ".marshal", marshal.dumps, load)


def _kept(data: bytes, make: Callable[[], Any], maker: str, suffix: str, dump: Callable[[Any], bytes | None],
          load: Callable[[bytes], Any]) -> Any:
    """``make()``, or the value it gave last time for ``data`` and ``maker`` (promptlint and
    Python versions included), read by ``load`` from a file whose body ``dump`` wrote."""
    stamp = f"{maker}\0{__version__}\0{sys.version_info[:2]}\0".encode()
    path = _folder() / f"{_digest(stamp + data)}{suffix}"
    body = read_checked(path)
    if body is not None:
        try:
            return load(body)
        except (ValueError, EOFError, TypeError):
            pass
    value = make()
    body = dump(value)
    if body is not None:
        write_checked(path, body)  # nowhere to keep it: made again next time
    return value


def _plain(value: Any, depth: int = 0) -> bool:
    """Whether JSON gives ``value`` back exactly (types included)."""
    if depth > 100:
        return False
    kind = type(value)
    if kind in (str, int, bool) or value is None:
        return True
    if kind is float:
        return math.isfinite(value)
    if kind is list:
        return all(_plain(v, depth + 1) for v in value)
    if kind is dict:
        return all(type(k) is str and _plain(v, depth + 1) for k, v in value.items())
    return False
