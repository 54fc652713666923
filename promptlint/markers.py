"""Marker characters that stand for holes in a text, chosen so they cannot be its own.

A rule cuts and recounts a template's text with each hole (a placeholder) kept as one
character, and a text transform (dedent, strip) runs across holes the same way. Any
fixed set of characters can also occur in prompt text: a Nerd Font icon is a Plane-15
private-use character, and a Python string can hold any code point, lone surrogates
included. So the markers for a text are a run of code points none of its characters
falls in: Plane 15 onwards when it is free (almost always), else the first free run
above U+FFFF. A text with more holes than free code points (over a million) is refused.
"""

from __future__ import annotations

import re
from typing import Iterable

from promptlint.lazyre import lazy

PREFERRED = 0xF0000
_LOW, _HIGH = 0x10000, 0x110000  # supplementary planes: never a surrogate, never BMP text
_SUPPLEMENTARY = lazy("[\U00010000-\U0010ffff]")
_NOTHING = lazy("(?!)")


class TooManyHoles(ValueError):
    """No run of free code points is long enough for the holes of one text."""


class Markers:
    """``count`` marker characters, none of which occurs in ``texts``."""

    def __init__(self, count: int, texts: Iterable[str] = ()) -> None:
        self.count = count
        used = sorted({ord(c) for text in texts for c in _SUPPLEMENTARY.findall(text)})
        self.base = _free_run(count, used)
        self.pattern = re.compile(f"[{chr(self.base)}-{chr(self.base + count - 1)}]") if count else _NOTHING

    def char(self, index: int) -> str:
        return chr(self.base + index)

    def index(self, ch: str) -> int | None:
        """Which hole ``ch`` stands for, or None for a character of the text."""
        i = ord(ch) - self.base if len(ch) == 1 else -1
        return i if 0 <= i < self.count else None

    def strip(self, text: str) -> str:
        return self.pattern.sub("", text) if self.count else text


def _free_run(count: int, used: list[int]) -> int:
    """The first base at or after PREFERRED (then after U+FFFF) with ``count`` free code
    points, none of them in ``used``."""
    for start in (PREFERRED, _LOW):
        base = start
        for point in used:
            if point < base:
                continue
            if point >= base + count:
                break
            base = point + 1
        if base + count <= _HIGH:
            return base
    raise TooManyHoles(f"{count:,} holes in one text")
