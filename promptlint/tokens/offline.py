"""The offline counter: Claude's legacy BPE run through ``tokenizers``, then calibrated.

The BPE is exact only for Claude 2; for later models its count is multiplied by a
per-tokenizer-family factor from ``data/calibration.toml`` (each with its basis and
sources) or from the user's ``calibration`` config (written by ``promptlint calibrate``).
Counts are therefore estimates and are labelled so.
"""

from __future__ import annotations

import hashlib
import lzma
import re
import sys
import threading
from functools import lru_cache
from importlib import resources

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TOKENIZER_FILE = "claude-legacy-tokenizer.json.xz"
_lock = threading.Lock()
# A lone surrogate (``"\ud800"`` is valid Python) cannot be encoded, so it never reaches
# the API as itself; the tokenizer (which refuses it) counts the replacement character.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


# A long text is counted in pieces, cut before a space that starts a word: the byte-level
# pre-tokenizer splits there anyway (`` ?\p{L}+``), so the sum is the count of the whole
# (checked on every text file of the labelled corpus, cut every 50 characters), while the
# tokenizer's per-token bookkeeping for a 4 MB prompt took 600 MB at once.
PIECE = 50_000
BATCH_CHARS = 1_000_000  # characters handed to the tokenizer per call
_CUT = re.compile(r"(?<=\S) (?=[A-Za-z0-9])")


def _pieces(text: str) -> list[str]:
    if len(text) <= PIECE:
        return [text]
    out, pos = [], 0
    while pos < len(text):
        end = pos + PIECE
        if end < len(text):
            cut = _CUT.search(text, end)
            end = cut.start() if cut else len(text)
        out.append(text[pos:end])
        pos = end
    return out


def _count_all(tokenizer, texts: list[str]) -> list[int]:
    """Token counts of ``texts``, a bounded number of characters per tokenizer call."""
    encode = getattr(tokenizer, "encode_batch_fast", tokenizer.encode_batch)  # no offsets: less memory
    owners: list[int] = []
    pieces: list[str] = []
    for i, text in enumerate(texts):
        for piece in _pieces(_encodable(text)):
            owners.append(i)
            pieces.append(piece)
    counts = [0] * len(texts)
    start = 0
    while start < len(pieces):
        end, size = start, 0
        while end < len(pieces) and (end == start or size + len(pieces[end]) <= BATCH_CHARS):
            size += len(pieces[end])
            end += 1
        for owner, enc in zip(owners[start:end], encode(pieces[start:end], add_special_tokens=False)):
            counts[owner] += len(enc.ids)
        start = end
    return counts


@lru_cache(maxsize=1)
def load_tokenizer():
    """Decompress and build the BPE once per process (about a quarter of a second)."""
    from tokenizers import Tokenizer

    raw = lzma.decompress(resources.files("promptlint.data").joinpath(TOKENIZER_FILE).read_bytes())
    return Tokenizer.from_str(raw.decode("utf-8"))


@lru_cache(maxsize=1)
def calibration_table() -> dict[str, dict]:
    text = resources.files("promptlint.data").joinpath("calibration.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def family_factors() -> dict[str, float]:
    return {name: float(entry["factor"]) for name, entry in calibration_table().get("families", {}).items()}


def overheads() -> dict[str, int]:
    table = calibration_table().get("overhead", {})
    return {k: int(table[k]) for k in ("request", "message", "tool") if k in table}


def _text_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


class OfflineCounter:
    """Counts text with the legacy BPE and scales by the model family's factor."""

    def __init__(self, calibration: dict[str, float] | None = None, store=None) -> None:
        self.factors = family_factors()
        self.factors.update(calibration or {})
        self._raw: dict[str, int] = {}
        self.store = store  # a ScanCache: counts survive between runs, keyed by text hash

    def raw_many(self, texts: list[str]) -> list[int]:
        """Legacy-BPE counts; the tokenizer is loaded only for texts no run has counted."""
        missing = []
        for text in {t for t in texts if t not in self._raw}:
            known = self.store.token_count(_text_key(text)) if self.store is not None else None
            if known is None:
                missing.append(text)
            else:
                self._raw[text] = known
        if missing:
            tokenizer = load_tokenizer()
            with _lock:
                fresh = dict(zip(missing, _count_all(tokenizer, missing)))
            self._raw.update(fresh)
            if self.store is not None:
                self.store.remember_tokens({_text_key(t): n for t, n in fresh.items()})
        return [self._raw[t] for t in texts]

    def raw(self, text: str) -> int:
        if not text:
            return 0
        return self.raw_many([text])[0]

    def factor(self, family: str) -> float:
        return self.factors.get(family, self.factors.get("claude-4", 1.0))

    def scale(self, raw: int, family: str) -> int:
        return int(round(raw * self.factor(family)))

    def count(self, text: str, family: str) -> int:
        return self.scale(self.raw(text), family)
