"""The offline counter: exact where a vocabulary exists, a labelled estimate elsewhere.

Exact families (``EXACT``): the Claude count reconstruction (:mod:`promptlint.tokens.claude`)
for Claude 3 and later, tiktoken's o200k_base and cl100k_base for OpenAI
(:mod:`promptlint.tokens.openai`), and Claude's legacy BPE for Claude 1 and 2, whose tokenizer
it is. Any other family is counted with the legacy BPE times that family's factor from
``data/calibration.toml`` or the user's ``calibration`` config (written by
``promptlint calibrate``), and the count is an estimate.

Counts here are of text alone; the message frames a request adds are in
:mod:`promptlint.tokens.frames`.
"""

from __future__ import annotations

import hashlib
import re
import sys
import threading
from functools import lru_cache
from typing import Iterable

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TOKENIZER_FILE = "claude-legacy-tokenizer.json.xz"
CLAUDE = ("claude-3", "claude-4-7", "claude-4-8", "claude-5")
OPENAI = {"openai-o200k": "o200k_base", "openai-cl100k": "cl100k_base"}
LEGACY = "claude-legacy"
EXACT = frozenset((*CLAUDE, *OPENAI, LEGACY))
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
    """Decompress and build the legacy BPE once per process (about a quarter of a second)."""
    import lzma
    from importlib import resources

    from tokenizers import Tokenizer

    raw = lzma.decompress(resources.files("promptlint.data").joinpath(TOKENIZER_FILE).read_bytes())
    return Tokenizer.from_str(raw.decode("utf-8"))


@lru_cache(maxsize=1)
def calibration_table() -> dict[str, dict]:
    """``data/calibration.toml`` (factors and frame overheads), read by every run that
    counts, kept parsed between runs like ``models.toml`` (:mod:`promptlint.parsed`)."""
    from pathlib import Path

    from promptlint.parsed import parsed

    text = (Path(__file__).parent.parent / "data" / "calibration.toml").read_text(encoding="utf-8")
    return parsed(text, tomllib.loads, "calibration-toml")


def family_factors() -> dict[str, float]:
    return {name: float(entry["factor"]) for name, entry in calibration_table().get("families", {}).items()}


def overheads() -> dict[str, int]:
    table = calibration_table().get("overhead", {})
    return {k: int(table[k]) for k in ("request", "message", "tool") if k in table}


def prepare(family: str) -> None:
    """Load ``family``'s tokenizer now (a background thread does, while files are read)."""
    if family in OPENAI:
        prepare_apart([family])
    elif family in CLAUDE:
        from promptlint.tokens.claude import claude_counter
        from promptlint.tokens.claude_stream import characters

        claude_counter(family)
        characters()  # the character table and its classes: a tenth of a second or more, read by the first count
    else:
        load_tokenizer()


# Larger tokenizers first: a smaller one built after reuses the memory the larger one's build
# freed (OpenHands peaked 10 MB higher with cl100k_base built before o200k_base).
_BUILD_ORDER = {"openai-o200k": 0, "openai-cl100k": 1}


def build_order(families) -> list[str]:
    """``families`` in the order their counts are best asked for (see ``_BUILD_ORDER``)."""
    return sorted(families, key=lambda family: _BUILD_ORDER.get(family, len(_BUILD_ORDER)))


def prepare_apart(families) -> None:
    """Have the helper process (:mod:`promptlint.tokens.helper`) start building the OpenAI
    encodings of ``families``, largest first; counts of them are then asked of it."""
    names = [OPENAI[f] for f in build_order(families) if f in OPENAI]
    if names:
        from promptlint.tokens import helper

        helper.prepare(names)


def counted_apart(family: str) -> bool:
    """Whether ``family`` is counted by the helper process (so best asked for last)."""
    return family in OPENAI


def is_exact(family: str) -> bool:
    return family in EXACT


def _text_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


class OfflineCounter:
    """Counts text for a tokenizer family; counts survive between runs in ``store``."""

    def __init__(self, calibration: dict[str, float] | None = None, store=None) -> None:
        self.factors = family_factors()
        self.factors.update(calibration or {})
        self._raw: dict[str, int] = {}
        self._counts: dict[tuple[str, str], int] = {}
        self.store = store  # a ScanCache: counts survive between runs, keyed by text hash

    def count_many(self, texts: list[str], family: str) -> list[int]:
        """Tokens of each text alone (no message frame) for ``family``."""
        if family == LEGACY or family not in EXACT:
            return [self.scale(r, family) for r in self.raw_many(texts)]
        known = self._counts
        missing: dict[str, str] = {}
        for text in texts:
            if (family, text) not in known and text not in missing:
                stored = self.store.token_count(self._key(family, text)) if self.store is not None else None
                if stored is None:
                    missing[text] = self._key(family, text)
                else:
                    known[(family, text)] = stored
        if missing:
            fresh = dict(zip(missing, self._exact_counts(list(missing), family)))
            known.update({(family, t): n for t, n in fresh.items()})
            if self.store is not None:
                self.store.remember_tokens({missing[t]: n for t, n in fresh.items()})
        return [known[(family, t)] for t in texts]

    def count(self, text: str, family: str) -> int:
        return self.count_many([text], family)[0]

    def ahead(self, texts_by_family: dict[str, Iterable[str]]) -> None:
        """Before counting: have the helper process start building the OpenAI encodings
        that texts no run has counted yet need (:func:`prepare_apart`)."""
        wanted = []
        for family, texts in texts_by_family.items():
            if counted_apart(family) and any(
                    (family, t) not in self._counts and (self.store is None or
                                                          self.store.token_count(self._key(family, t)) is None)
                    for t in texts):
                wanted.append(family)
        prepare_apart(wanted)

    @staticmethod
    def _key(family: str, text: str) -> str:
        return _text_key(f"{family}\0{text}")

    @staticmethod
    def _exact_counts(texts: list[str], family: str) -> list[int]:
        if family in OPENAI:
            from promptlint.tokens.openai import openai_counter

            return openai_counter(OPENAI[family]).content_many(texts)
        from promptlint.tokens.claude import claude_counter

        counter = claude_counter(family)
        return [counter.content(t) for t in texts]

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
        if family == LEGACY:
            return 1.0
        return self.factors.get(family, self.factors.get("claude-4", 1.0))

    def scale(self, raw: int, family: str) -> int:
        return int(round(raw * self.factor(family)))
