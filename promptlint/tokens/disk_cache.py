"""Token counts remembered on disk, so a second run asks the API nothing.

A count depends only on the model and the exact request body that was counted, so the key
is the model plus a SHA-256 of the body's canonical JSON: any byte of difference is a
different entry, and nothing else (time, key, SDK version) is part of it. One small JSON
file per entry, written atomically (:mod:`promptlint.atomic`) so a crash or a parallel
run never leaves half an entry, and sealed with this user's key (:mod:`promptlint.seal`)
so an entry committed in the scanned tree cannot set a count; an entry that does not read
back as a count is treated as missing. Only the count is stored: never the body, never a header.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from promptlint.atomic import write_atomic
from promptlint.cache import mark_cache_folder
from promptlint.seal import seal, unseal

FOLDER = "count_tokens"
MAX_COUNT = 10_000_000  # ten times the largest context window: a larger "count" is not one
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def body_key(body: dict) -> str:
    """SHA-256 of the body as canonical JSON (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class CountCache:
    """``get``/``put`` input-token counts by (model, body); never raises on a bad cache."""

    def __init__(self, folder: str | os.PathLike[str] | None) -> None:
        self.root = Path(folder) if folder is not None else None  # None: remember nothing
        self.write_error: str | None = None  # the first failure to write, reported once

    def _path(self, model: str, body: dict) -> Path:
        return self.root / FOLDER / (_UNSAFE.sub("_", model) or "_") / f"{body_key(body)}.json"

    def get(self, model: str, body: dict) -> int | None:
        if self.root is None:
            return None
        try:
            sealed = unseal(self._path(model, body).read_bytes())
            data = json.loads(sealed.decode("utf-8")) if sealed is not None else None
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            return None
        count = data.get("input_tokens") if isinstance(data, dict) else None
        if isinstance(count, int) and not isinstance(count, bool) and 0 <= count <= MAX_COUNT \
                and data.get("model") == model:
            return count
        return None

    def put(self, model: str, body: dict, input_tokens: int) -> None:
        if self.root is None:
            return
        path = self._path(model, body)
        try:
            mark_cache_folder(self.root)
            path.parent.mkdir(parents=True, exist_ok=True)
            sealed = seal((json.dumps({"model": model, "input_tokens": input_tokens}) + "\n").encode())
            if sealed is not None:  # no key, no cache: an unsealed entry would be ignored anyway
                write_atomic(path, sealed)
        except OSError as exc:
            if self.write_error is None:
                self.write_error = f"cannot write the token cache in {self.root}: {exc.strerror or exc}"
