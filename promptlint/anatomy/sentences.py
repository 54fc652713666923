"""Sentences and list items of prompt text, with their offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    key: str  # normalized for comparison
    words: int


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
BULLET = re.compile(r"[ \t]*(?:[-*\u2022>]+|\d+[.)]|#+)\s+")


def _blocks(text: str) -> list[tuple[int, int]]:
    """Logical lines: a hard-wrapped paragraph is one block; a blank line, a list item or
    heading, or a line ending in ``.``/``:``/``!``/``?`` ends a block."""
    blocks: list[tuple[int, int]] = []
    pos = 0
    current: list[int] | None = None
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if not line.strip():
            current = None
            continue
        if current is not None and not BULLET.match(line):  # a list item or heading starts a block
            current[1] = end
        else:
            current = [start, end]
            blocks.append(current)  # type: ignore[arg-type]
        if line.rstrip().endswith((".", ":", "!", "?")):
            current = None
    return [(a, b) for a, b in blocks]


def sentences(text: str) -> list[Sentence]:
    """Sentences and list items of ``text`` with their offsets."""
    out: list[Sentence] = []
    for block_start, block_end in _blocks(text):
        bullet = BULLET.match(text, block_start, block_end)
        if bullet:
            block_start = bullet.end()
        block = text[block_start:block_end]
        cursor = 0
        pieces = []
        for m in _SENTENCE_END.finditer(block):
            pieces.append((cursor, m.start()))
            cursor = m.end()
        pieces.append((cursor, len(block)))
        for a, b in pieces:
            raw = block[a:b]
            stripped = raw.strip()
            if not stripped:
                continue
            start = block_start + a + (len(raw) - len(raw.lstrip()))
            key = " ".join(stripped.lower().split()).rstrip(".!?;:,")
            words = len(re.findall(r"[^\W\d_]{2,}", key))
            out.append(Sentence(start, start + len(stripped), key, words))
    return out
