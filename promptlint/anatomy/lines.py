"""The lines of a template's text with their offsets, and the claims detectors make on them."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cached_property

HOLE_BASE = 0xF0000  # the marker characters of promptlint.checks.prompt_text.TextView


@dataclass(frozen=True)
class Claim:
    """A detector's say that ``[start, end)`` is of ``kind``; stronger detectors claim first."""

    start: int
    end: int
    kind: str
    why: str


class Lines:
    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._lines = text.split("\n")
        self._blank = [not line.strip() for line in self._lines]

    def __len__(self) -> int:
        return len(self.starts)

    def start(self, i: int) -> int:
        return self.starts[i]

    def end(self, i: int) -> int:
        """Offset of line ``i``'s newline (or of the text's end)."""
        return self.starts[i + 1] - 1 if i + 1 < len(self.starts) else len(self.text)

    def line(self, i: int) -> str:
        return self._lines[i]

    def index(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def blank(self, i: int) -> bool:
        return self._blank[i]

    def indent(self, i: int) -> int:
        line = self.line(i)
        return len(line) - len(line.lstrip(" \t"))

    @cached_property
    def base_indent(self) -> int:
        """The indentation of the least indented non-blank line (a template that was not
        dedented carries its source indentation on every line)."""
        found = [self.indent(i) for i in range(len(self)) if not self.blank(i)]
        return min(found) if found else 0

    def runs(self, starts, goes_on) -> list[tuple[int, int]]:
        """``(first, last)`` of every run of lines that begins where ``starts(i)`` and goes
        on while ``goes_on(last, next)``; runs do not overlap."""
        out = []
        i = 0
        while i < len(self):
            if not starts(i):
                i += 1
                continue
            j = i
            while j + 1 < len(self) and goes_on(j, j + 1):
                j += 1
            out.append((i, j))
            i = j + 1
        return out

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Offsets of lines ``first..last``: from the first's start to the last's newline
        included (a block region owns its line breaks)."""
        end = self.end(last)
        return self.start(first), min(end + 1, len(self.text))


def is_hole(ch: str) -> bool:
    return ord(ch) >= HOLE_BASE
