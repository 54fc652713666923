"""Which source line each line of a Python string literal's value starts on.

A literal's value and its source break lines in different places: an escaped ``\\n``
breaks the value on one source line, a backslash continuation and the gap between
implicitly concatenated pieces break the source and not the value. Counting the value's
line breaks from the literal's first line then points a finding a line (or many) too
low. The scanner reads the literal's source once, at extraction, and records the source line
each line of the value starts on (a literal that opens with a backslash continuation
starts its value a line down); a literal whose breaks are the source's gets no table.
"""

from __future__ import annotations

import re

_PREFIX = re.compile(r"[rRbBuUfFtT]*(\"\"\"|'''|\"|')")


def value_rows(source: str) -> tuple[int, ...] | None:
    """For each line of the value of the literal written as ``source`` (a plain, raw, f-
    or concatenated string expression), the source line (counted from the literal's
    first line, 0) it starts on; None when that is simply the line's number (the value
    breaks exactly where the source does)."""
    table = _Rows()
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "\n":
            table.row += 1
            i += 1
            continue
        if ch == "#":
            end = source.find("\n", i)
            i = n if end < 0 else end
            continue
        m = _PREFIX.match(source, i)
        if m is None:
            i += 1
            continue
        prefix = source[i:m.start(1)].lower()
        i = _body(source, m.end(), m.group(1), "r" in prefix, "f" in prefix or "t" in prefix, table)
    rows = table.done()
    if all(r == k for k, r in enumerate(rows)):
        return None
    return tuple(rows)


class _Rows:
    """The table being built: a value line is placed when its first character is met."""

    def __init__(self) -> None:
        self.row = 0
        self.rows: list[int] = []
        self.pending = 1  # the first line

    def char(self) -> None:
        if self.pending:
            self.rows.extend([self.row] * self.pending)
            self.pending = 0

    def done(self) -> list[int]:
        self.char()
        return self.rows


def _body(source: str, i: int, quote: str, raw: bool, formatted: bool, table: _Rows | None) -> int:
    """Scan one string body from ``i`` to its closing quote; returns the offset after it."""
    n = len(source)
    table = table or _Rows()
    while i < n:
        if source.startswith(quote, i):
            return i + len(quote)
        ch = source[i]
        if ch == "\\" and i + 1 < n:
            nxt = source[i + 1]
            if nxt == "\n":
                if raw:
                    table.char()
                    table.pending += 1  # a raw string keeps the backslash and the break
                table.row += 1
            else:
                table.char()
                if nxt == "n" and not raw:
                    table.pending += 1
            i += 2
            continue
        table.char()
        if ch == "\n":
            table.row += 1
            table.pending += 1
        elif formatted and ch == "{":
            if source.startswith("{{", i):
                i += 2
                continue
            i = _field(source, i + 1, table)
            continue
        i += 1
    return i


def _field(source: str, i: int, table: _Rows) -> int:
    """Skip an f-string replacement field (its value is a hole, not text of the literal)."""
    depth = 1
    n = len(source)
    while i < n and depth:
        ch = source[i]
        if ch == "\n":
            table.row += 1
        elif ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
        elif ch in "\"'":
            m = _PREFIX.match(source, i)
            if m is not None:
                inner = _Rows()
                inner.pending = 0
                i = _body(source, m.end(), m.group(1), False, False, inner)
                table.row += inner.row
                continue
        i += 1
    return i
