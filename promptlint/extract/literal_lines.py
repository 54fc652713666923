"""Which source line each line of a Python string literal's value starts on.

A literal's value and its source break lines in different places: an escaped ``\\n``
breaks the value on one source line, a backslash continuation and the gap between
implicitly concatenated pieces break the source and not the value. Counting the value's
line breaks from the literal's first line then points a finding a line (or many) too
low. The scanner reads the literal's source once, at extraction, and records the source line
each line of the value starts on (a literal that opens with a backslash continuation
starts its value a line down); a literal whose breaks are the source's gets no table.
A value line the source continues over several lines (a backslash continuation, the gap
between concatenated pieces) also records where it moves down: its joins, each counted
from the end of its value line, which a dedent or the pieces around a placeholder leave
alone.
"""

from __future__ import annotations

from promptlint.lazyre import lazy

_PREFIX = lazy(r"[rRbBuUfFtT]*(\"\"\"|'''|\"|')")
_ESCAPE_WIDTH = {"x": 2, "u": 4, "U": 8}
# A run of characters that are each one character of the value on the same source line:
# no quote that may close the body, backslash, line break or (in an f-string) brace.
_PLAIN = {(q, f): lazy(r"[^\\\n%s%s]+" % (q, "{}" if f else "")) for q in "'\"" for f in (False, True)}


def value_rows(source: str) -> tuple[int, ...] | None:
    """For each line of the value of the literal written as ``source`` (a plain, raw, f-
    or concatenated string expression), the source line (counted from the literal's
    first line, 0) it starts on; None when that is simply the line's number (the value
    breaks exactly where the source does)."""
    return value_table(source)[0]


def value_table(source: str) -> tuple[tuple[int, ...] | None, tuple[tuple[int, int, int], ...] | None]:
    """The rows of :func:`value_rows` and the joins inside value lines: for each place a
    value line goes on on a lower source line, ``(value line, characters of that value
    line from the join to its end, newline included, source line counted from the
    literal's first)``; None for either when there is none."""
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
    joins = tuple((line, table.lengths[line] - count, row) for line, count, row in table.joins)
    return (None if all(r == k for k, r in enumerate(rows)) else tuple(rows)), (joins or None)


class _Rows:
    """The table being built: a value line is placed when its first character is met."""

    def __init__(self) -> None:
        self.row = 0
        self.rows: list[int] = []
        self.pending = 1  # the first line
        self.lengths: list[int] = []  # characters of each value line so far
        self.joins: list[tuple[int, int, int]] = []  # (value line, characters before the join, row)
        self.at = 0  # the source row of the last character

    def char(self) -> None:
        if self.pending:
            self._place()
        elif self.row != self.at and self.lengths:
            self.joins.append((len(self.rows) - 1, self.lengths[-1], self.row))
        self.at = self.row
        if self.lengths:
            self.lengths[-1] += 1

    def _place(self) -> None:
        self.rows.extend([self.row] * self.pending)
        self.lengths.extend([0] * self.pending)
        self.pending = 0

    def done(self) -> list[int]:
        if self.pending:
            self._place()
        return self.rows


def _body(source: str, i: int, quote: str, raw: bool, formatted: bool, table: _Rows | None) -> int:
    """Scan one string body from ``i`` to its closing quote; returns the offset after it."""
    n = len(source)
    table = table or _Rows()
    plain = _PLAIN[(quote[0], formatted)]
    while i < n:
        run = plain.match(source, i)
        if run is not None:  # as many calls of ``table.char()`` as the run has characters
            table.char()
            if table.lengths:
                table.lengths[-1] += run.end() - i - 1
            i = run.end()
            continue
        if source.startswith(quote, i):
            return i + len(quote)
        ch = source[i]
        if ch == "\\" and i + 1 < n:
            nxt = source[i + 1]
            if nxt == "\n":
                if raw:
                    table.char()
                    table.char()
                    table.pending += 1  # a raw string keeps the backslash and the break
                table.row += 1
            else:
                table.char()
                if raw:
                    table.char()  # a raw string keeps both characters
                elif nxt == "n":
                    table.pending += 1
                elif nxt in _ESCAPE_WIDTH:
                    i += _ESCAPE_WIDTH[nxt]  # ``\x41``, ``\u00e9``: one character of the value
                elif nxt == "N" and source.startswith("{", i + 2):
                    close = source.find("}", i + 2)
                    i = close - 1 if close > 0 else i
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
            table.lengths[-1] -= 1  # the field is a hole, not text of the literal
            i = _field(source, i + 1, table)
            continue
        elif formatted and source.startswith("}}", i):
            i += 2
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
