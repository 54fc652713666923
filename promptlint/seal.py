"""Cache files sealed with a key only this user has, so a checkout cannot vouch for itself.

The scan cache lives in the scanned tree. A pull request can commit a
``.promptlint_cache/scan-*.json`` whose entry for a file's real content hash says "no
prompts here", and the dollar gate would pass without reading the file. Every cache file
promptlint writes therefore starts with a keyed BLAKE2b of its body; the key is 32 random
bytes kept outside any tree, in ``$XDG_CACHE_HOME/promptlint/cache-key`` (by default
``~/.cache/promptlint/cache-key``), created on first use with mode 0600. A file whose seal
does not match is ignored like any other damaged cache: the run is slower, never different.
Where no key can be kept (no writable home), nothing is cached.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

MAGIC = b"promptlint-sealed-1 "
KEY_BYTES = 32
_keys: dict[Path, bytes | None] = {}


def key_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "promptlint" / "cache-key"


def user_key() -> bytes | None:
    """This user's sealing key, made on first use; None when it cannot be read or made."""
    path = key_path()
    if path not in _keys:
        _keys[path] = _read_or_make(path)
    return _keys[path]


def _read_or_make(path: Path) -> bytes | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(KEY_BYTES))
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as source:
            key = source.read(KEY_BYTES + 1)
    except OSError:
        return None
    return key if len(key) == KEY_BYTES else None  # a half-written or foreign key seals nothing


def _mac(key: bytes, body: bytes) -> bytes:
    return hashlib.blake2b(body, key=key, digest_size=32).hexdigest().encode()


def seal(body: bytes) -> bytes | None:
    """``body`` with this user's seal in front, or None when there is no key."""
    key = user_key()
    return None if key is None else MAGIC + _mac(key, body) + b"\n" + body


def unseal(data: bytes) -> bytes | None:
    """The body of a file this user's promptlint sealed, else None."""
    key = user_key()
    head, newline, body = data.partition(b"\n")
    if key is None or not newline or not head.startswith(MAGIC):
        return None
    return body if hmac.compare_digest(head[len(MAGIC):], _mac(key, body)) else None
