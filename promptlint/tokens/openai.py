"""Exact offline OpenAI counts: o200k_base and cl100k_base through tiktoken.

The rank files ship in ``data/`` (``openai-encodings.PROVENANCE.md``) and are handed to
``tiktoken.Encoding`` directly, so tiktoken never downloads anything. A chat message costs its
text plus a fixed frame: OpenAI's published recipe for counting chat input
(``num_tokens_from_messages`` in the OpenAI cookbook) adds 3 tokens per message, 1 for a
``name`` and 3 that prime the reply, for every model from gpt-3.5-turbo-0613 on.
"""

from __future__ import annotations

import binascii
import gzip
import hashlib
import io
import json
from functools import lru_cache
from importlib import resources

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3


@lru_cache(maxsize=1)
def encodings() -> dict[str, dict]:
    text = resources.files("promptlint.data").joinpath("openai-encodings.json").read_text(encoding="utf-8")
    return json.loads(text)["encodings"]


def load_ranks(name: str) -> dict[bytes, int]:
    """The encoding's ranks, kept parsed between runs (:func:`promptlint.parsed.derived`):
    decompressing, checking and decoding 200,000 base64 lines took a quarter of a second
    per encoding on each run that counts with it."""
    from promptlint.parsed import derived

    spec = encodings()[name]
    packed = resources.files("promptlint.data").joinpath(spec["ranks"]).read_bytes()
    return derived(packed, lambda: _parse_ranks(packed, spec), f"openai-ranks\0{spec['sha256']}", _is_ranks)


def _parse_ranks(packed: bytes, spec: dict) -> dict[bytes, int]:
    raw = gzip.decompress(packed)
    if hashlib.sha256(raw).hexdigest() != spec["sha256"]:
        raise ValueError(f"{spec['ranks']} is not the rank file its provenance names")
    # Line by line: splitting the whole file at once held 400,000 fields beside the table
    # (a 48 MB peak for o200k_base instead of 29 MB).
    ranks: dict[bytes, int] = {}
    decode = binascii.a2b_base64
    for line in io.BytesIO(raw):
        token, rank = line.split()
        ranks[decode(token)] = int(rank)
    return ranks


def _is_ranks(value) -> bool:
    return type(value) is dict and set(map(type, value)) <= {bytes} and set(map(type, value.values())) <= {int}


@lru_cache(maxsize=None)
def encoding(name: str):
    """The encoding, without the Python copy of its ranks: tiktoken's native core holds its
    own, and keeps the dict (30 MB for o200k_base) only to pickle the encoding, which
    promptlint never does; dropped, a run that counts with both encodings peaks about
    60 MB lower."""
    import tiktoken

    spec = encodings()[name]
    found = tiktoken.Encoding(name, pat_str=spec["pattern"], mergeable_ranks=load_ranks(name),
                              special_tokens=spec["special_tokens"])
    if hasattr(found, "_core_bpe"):
        found._mergeable_ranks = {}
    return found


class OpenAICounter:
    """Counts text with one OpenAI encoding; special-token text counts as ordinary text."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._encoding = None

    @property
    def encoder(self):
        if self._encoding is None:
            self._encoding = encoding(self.name)
        return self._encoding

    def content(self, text: str) -> int:
        return len(self.encoder.encode_ordinary(text))

    def content_many(self, texts: list[str]) -> list[int]:
        """Counts from the helper process when one runs (:mod:`promptlint.tokens.helper`),
        else, or when it cannot answer, from the encoding built here."""
        if self._encoding is None:
            from promptlint.tokens import helper

            counts = helper.count(self.name, texts)
            if counts is not None:
                return counts
        return [len(ids) for ids in self.encoder.encode_ordinary_batch(texts, num_threads=1)]

    def count(self, text: str) -> int:
        """Input tokens of a chat request holding ``text`` as its one user message."""
        return TOKENS_PER_MESSAGE + self.content(text) + REPLY_PRIMING


@lru_cache(maxsize=None)
def openai_counter(name: str) -> OpenAICounter:
    return OpenAICounter(name)
