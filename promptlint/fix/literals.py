"""Python string literals as values mapped to source: where each character of the value
is written, and how new text is written back inside the same quotes.

A prompt's text is the *value* of a literal (escapes decoded, ``{{`` read as ``{`` in an
f-string); an edit to the text must land on the characters that spell it. A literal is
read into units, one per value character (an escape is one unit of several source
characters, a line continuation a unit with no value, an f-string field one unit with
the value :data:`MARK`), so a range of the value maps to a range of source. New text is
escaped for the piece it goes into (its quotes, rawness, f-string braces), and the
rewritten literal is evaluated again: it must spell exactly the value asked for.
"""

from __future__ import annotations

import ast
import bisect
import re
import unicodedata
import warnings
from dataclasses import dataclass
from functools import cached_property
from itertools import repeat
from typing import NamedTuple

import libcst as cst

MARK = "\ufffc"  # stands for what is not text of this literal: an f-string field, another value

_SIMPLE_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r",
                   "t": "\t", "v": "\v"}
_OCTAL = re.compile(r"[0-7]{1,3}")
_PLAIN = re.compile(r"[^\\\r{}]+")
_HEX = {"x": 2, "u": 4, "U": 8}


@dataclass(frozen=True)
class Piece:
    """One string literal token (several make an implicit concatenation)."""

    quote: str
    raw: bool
    fstring: bool
    body_start: int
    body_end: int


class Unit(NamedTuple):  # one per value character: a tuple, as a literal has thousands
    start: int  # source offsets in the file text
    end: int
    value: str  # one character, MARK, or "" (a line continuation)
    piece: int


_unit = Unit._make  # a unit from a tuple, without a call of __new__ per character


@dataclass(frozen=True)
class LiteralView:
    start: int
    end: int
    pieces: tuple[Piece, ...]
    units: tuple[Unit, ...]

    @cached_property
    def value(self) -> str:
        return "".join(u.value for u in self.units)


class LiteralError(ValueError):
    """The literal cannot be read or written back exactly."""


STRING_NODES = (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)


def read_literal(node: cst.BaseExpression, start: int, text: str) -> LiteralView:
    """The literal ``node`` that starts at offset ``start`` of the file ``text``."""
    pieces: list[Piece] = []
    units: list[Unit] = []
    newline = "\r\n" if "\r\n" in text else "\n"  # how the whitespace between pieces is written
    end = _read(node, start, text, pieces, units, newline)
    view = LiteralView(start, end, tuple(pieces), tuple(units))
    if not any(p.fstring for p in pieces):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # an invalid escape in scanned code is not ours to report
                expected = ast.literal_eval("(" + text[start:end] + ")")
        except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
            raise LiteralError(f"cannot evaluate the literal: {exc}") from None
        if expected != view.value:
            raise LiteralError("the literal's value could not be mapped to its source")
    return view


def _read(node, start: int, text: str, pieces: list[Piece], units: list[Unit], newline: str) -> int:
    if isinstance(node, cst.ConcatenatedString):
        middle = _read(node.left, start, text, pieces, units, newline)
        gap = _code(node.whitespace_between, newline)
        if node.left.rpar or node.right.lpar:
            raise LiteralError("parenthesized parts of a concatenated string")
        return _read(node.right, middle + len(gap), text, pieces, units, newline)
    if isinstance(node, cst.SimpleString):
        code = node.value
        if text[start:start + len(code)] != code:
            raise LiteralError("the literal is not where its span says")
        prefix = node.prefix.lower()
        if "b" in prefix:
            raise LiteralError("bytes literal")
        quote = node.quote
        index = len(pieces)
        pieces.append(Piece(quote, "r" in prefix, False, start + len(node.prefix) + len(quote),
                            start + len(code) - len(quote)))
        _decode(text, pieces[-1].body_start, pieces[-1].body_end, pieces[-1], index, units)
        return start + len(code)
    if isinstance(node, cst.FormattedString):
        prefix = node.start.rstrip("'\"").lower()
        quote = node.end
        index = len(pieces)
        pos = start + len(node.start)
        body_start = pos
        piece = Piece(quote, "r" in prefix, True, body_start, body_start)
        for part in node.parts:
            code = part.value if isinstance(part, cst.FormattedStringText) else _code(part, newline)
            if text[pos:pos + len(code)] != code:
                raise LiteralError("the f-string is not where its span says")
            if isinstance(part, cst.FormattedStringText):
                _decode(text, pos, pos + len(code), piece, index, units)
            else:
                units.append(Unit(pos, pos + len(code), MARK, index))
            pos += len(code)
        pieces.append(Piece(quote, piece.raw, True, body_start, pos))
        if text[pos:pos + len(quote)] != quote:
            raise LiteralError("the f-string is not where its span says")
        return pos + len(quote)
    raise LiteralError(f"not a string literal: {type(node).__name__}")


def _code(node, newline: str) -> str:
    return cst.Module([], default_newline=newline).code_for_node(node)


def _decode(text: str, i: int, end: int, piece: Piece, index: int, units: list[Unit]) -> None:
    """Units of a literal body ``text[i:end]`` as Python reads it."""
    while i < end:
        plain = _PLAIN.match(text, i, end)
        if plain is not None:  # most of a prompt: a character stands for itself
            chars = plain.group()
            units.extend(map(_unit, zip(range(i, i + len(chars)), range(i + 1, i + len(chars) + 1), chars,
                                        repeat(index))))
            i = plain.end()
            continue
        ch = text[i]
        if ch == "\r":
            size = 2 if text.startswith("\r\n", i) else 1
            units.append(Unit(i, i + size, "\n", index))
            i += size
            continue
        if piece.fstring and ch in "{}" and i + 1 < end and text[i + 1] == ch:
            units.append(Unit(i, i + 2, ch, index))
            i += 2
            continue
        if ch != "\\" or piece.raw:
            units.append(Unit(i, i + 1, ch, index))
            i += 1
            continue
        nxt = text[i + 1] if i + 1 < end else ""
        if nxt in ("\n", "\r"):
            size = 3 if text.startswith("\r\n", i + 1) else 2
            units.append(Unit(i, i + size, "", index))
            i += size
        elif nxt in _SIMPLE_ESCAPES:
            units.append(Unit(i, i + 2, _SIMPLE_ESCAPES[nxt], index))
            i += 2
        elif nxt in "01234567":
            digits = _OCTAL.match(text, i + 1, min(end, i + 4)).group()  # type: ignore[union-attr]
            units.append(Unit(i, i + 1 + len(digits), chr(int(digits, 8)), index))
            i += 1 + len(digits)
        elif nxt in _HEX:
            digits = text[i + 2:i + 2 + _HEX[nxt]]
            try:
                units.append(Unit(i, i + 2 + len(digits), chr(int(digits, 16)), index))
            except ValueError:
                raise LiteralError(f"bad escape \\{nxt}{digits}") from None
            i += 2 + len(digits)
        elif nxt == "N" and text.startswith("{", i + 2):
            close = text.find("}", i + 3, end)
            if close < 0:
                raise LiteralError("bad \\N escape")
            try:
                units.append(Unit(i, close + 1, unicodedata.lookup(text[i + 3:close]), index))
            except KeyError:
                raise LiteralError("unknown \\N{...} name") from None
            i = close + 1
        else:  # an unknown escape keeps its backslash
            units.append(Unit(i, i + 1, "\\", index))
            i += 1


def escape_for(piece: Piece, text: str, newline: str = "\n") -> str:
    """``text`` written inside ``piece`` so that it reads back as ``text``."""
    if MARK in text:
        raise LiteralError("the new text holds a placeholder")
    triple = len(piece.quote) == 3
    q = piece.quote[0]
    if piece.raw:
        if "\\" in text or q in text or (not triple and ("\n" in text or "\r" in text)):
            raise LiteralError("the new text cannot be written in a raw string")
        out = text
    else:
        chars = []
        for ch in text:
            if ch == "\\":
                chars.append("\\\\")
            elif ch == q:
                chars.append("\\" + q)
            elif ch == "\n":
                chars.append(newline if triple else "\\n")
            elif ch == "\r":
                chars.append("\\r")
            elif ch == "\t" or (ch.isprintable() and ch != "\x7f"):
                chars.append(ch)
            else:
                chars.append(ch.encode("unicode_escape").decode("ascii"))
        out = "".join(chars)
    if piece.fstring:
        out = out.replace("{", "{{").replace("}", "}}")
    return out


def rewrite(view: LiteralView, changes: list[tuple[int, int, str]], newline: str = "\n") -> list[tuple[int, int, str]]:
    """Source edits ``(start, end, text)`` that apply each ``(value start, value end,
    replacement)`` to the literal's value (changes must not overlap).

    A deletion that crosses from one piece of an implicit concatenation into the next is
    split at the quotes, so both pieces stay well formed; a line continuation at the edge
    of a deletion is kept.
    """
    units = view.units
    starts: list[int] = []
    pos = 0
    for u in units:
        starts.append(pos)
        pos += len(u.value)
    edits: list[tuple[int, int, str]] = []
    for va, vb, replacement in sorted(changes):
        k = bisect.bisect_left(starts, va)
        while k < len(units) and not units[k].value:
            k += 1
        j = k
        while j < len(units) and starts[j] < vb:
            j += 1
        covered = list(range(k, j))
        while covered and not units[covered[-1]].value:
            covered.pop()
        at_piece = units[k].piece if k < len(units) else len(view.pieces) - 1
        by_piece: dict[int, list[int]] = {}
        for index in covered:
            by_piece.setdefault(units[index].piece, []).append(index)
        written = not replacement
        for piece_index, ks in sorted(by_piece.items()):
            text = ""
            if not written and piece_index == at_piece:
                text = escape_for(view.pieces[piece_index], replacement, newline)
                written = True
            edits.append((units[ks[0]].start, units[ks[-1]].end, text))
        if not written:
            where = units[k].start if k < len(units) else view.pieces[at_piece].body_end
            edits.append((where, where, escape_for(view.pieces[at_piece], replacement, newline)))
    return edits


def expected_value(value: str, changes: list[tuple[int, int, str]]) -> str:
    out = value
    for va, vb, replacement in sorted(changes, reverse=True):
        out = out[:va] + replacement + out[vb:]
    return out


def check_rewritten(code: str, expected: str) -> None:
    """Read the rewritten literal again; its value must be ``expected``."""
    wrapped = "(" + code + ")"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if ast.literal_eval(wrapped) == expected:  # not an f-string: Python reads it as asked
                return
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        pass  # an f-string (or broken): read it as the fix stage reads literals
    try:
        node = cst.parse_expression(wrapped)
    except Exception as exc:  # noqa: BLE001 - any parser failure means the edit broke the literal
        raise LiteralError(f"the rewritten literal does not parse: {exc}") from None
    if not isinstance(node, STRING_NODES):
        raise LiteralError("the rewritten code is no longer one string literal")
    got = read_literal(node.with_changes(lpar=(), rpar=()), 1, wrapped).value
    if got != expected:
        raise LiteralError("the rewritten literal reads back differently")
