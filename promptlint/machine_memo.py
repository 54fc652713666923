"""genai-prices' answers kept per machine, for runs without the tree's cache.

A run prices its requests and resolves its model ids through genai-prices, whose import
(and that of pydantic under it) is about 0.13 s of CPU: most of a pre-commit run on one
file with ``--no-cache``, which has no tree cache to keep the answers in. The answers are a
function of the genai-prices version, the date (prices change on dates) and the question
(a model id; a model and its token counts), so they are kept as JSON in
``$XDG_CACHE_HOME/promptlint/genai/``, one file per (memo, stamp), like the parsed rule
files beside them, and a run whose questions were all asked before never imports
genai-prices. Each file carries a hash of its body and every value passes its user's
check, so a damaged file is ignored, never believed. The tree's cache, when a run has
one, keeps the same answers itself (:meth:`promptlint.cache.ScanCache.memo`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from promptlint import __version__
from promptlint.discover import digest
from promptlint.parsed import machine_folder, read_checked, write_checked

MAX_ENTRIES = 20_000  # a memo that grows past this starts afresh (a machine pricing many trees)


class MachineMemos:
    """Memos (dicts filled in place by their users) read from and saved to the machine's folder."""

    def __init__(self) -> None:
        self._memos: dict[Path, tuple[dict, int]] = {}  # path -> (values, size as read)

    def memo(self, name: str, stamp: str, valid: Callable[[Any, Any], bool] | None = None) -> dict:
        path = machine_folder("genai") / f"{name}-{digest(f'{__version__}|{stamp}'.encode())}.json"
        values = self._read(path)
        if valid is not None:
            values = {k: v for k, v in values.items() if valid(k, v)}
        self._memos[path] = (values, len(values))
        return values

    @staticmethod
    def _read(path: Path) -> dict:
        body = read_checked(path)
        try:
            values = json.loads(body.decode("utf-8")) if body is not None else {}
        except ValueError:
            return {}
        if type(values) is not dict or not all(type(k) is str for k in values):
            return {}
        return values

    def save(self) -> None:
        """Write each memo that gained answers (nowhere to write: asked again next time)."""
        for path, (values, size) in self._memos.items():
            if len(values) == size:
                continue
            kept = values if len(values) <= MAX_ENTRIES else {}
            write_checked(path, json.dumps(kept, separators=(",", ":"), sort_keys=True).encode("utf-8"))
            self._memos[path] = (values, len(values))
