"""Parse Python source of any 3.x syntax, whatever interpreter promptlint runs on.

promptlint reads a project's code with the running interpreter's ``ast``; a project
written for a newer Python than the one in CI would otherwise lose its prompts to PL001
(and an audit gate would count them as removed). :func:`parse_python` first tries
``ast.parse``. Only when that fails does it lower the newer syntax, keeping every byte
offset and line of the file where it was, and parse again:

- f-strings of PEP 701 (3.12: the outer quote reused inside a field, backslashes and
  comments in fields) and t-strings of PEP 750 (3.14, read as f-strings: to promptlint both
  are templates with holes). Each group of adjacent string literals holding one becomes a
  plain placeholder literal of the same shape; after parsing, the placeholder's node is
  replaced by the ``JoinedStr`` this module builds itself from the original text, so holes,
  literal text and positions are what a 3.12 parser gives;
- type parameters of PEP 695/696 (``class Box[T]``, ``def f[T = int]``) are blanked, and
  ``type X = ...`` statements become ``pass`` (promptlint reads neither);
- ``except*`` (3.11) becomes ``except``.

A lowering keeps the file's lines and each line's UTF-8 length, so every other node keeps
the position the newer parser gives it. Source that fails both ways raises the first
``SyntaxError``. Python 3.10's parser also crashes the process (a C stack overflow) on very
long left-nested chains (``a + b + ...`` or ``x.y.z...`` of about 100,000 links), which
3.11 reports as an error; on 3.10, large files are checked for such chains first.

This module uses the standard library only, so the test suite can run it under every
interpreter on the machine and compare the trees.
"""

from __future__ import annotations

import ast
import bisect
import re
import sys
import warnings
from dataclasses import dataclass, field

__all__ = ["parse_python", "ChainTooLong"]

CHAIN_LIMIT = 20_000  # links in one left-nested chain; Python 3.10 overflows its C stack near 100,000
_CHAIN_CHECK_BYTES = 2 * CHAIN_LIMIT  # a chain link takes at least two characters

_NEWLINE = re.compile(r"\r\n|\r|\n")
_TOKEN = re.compile(r"""
    (?P<ws>[ \t\f]+)
  | (?P<nl>\r\n|\r|\n)
  | (?P<cont>\\(?:\r\n|\r|\n))
  | (?P<comment>\#[^\r\n]*)
  | (?P<str>[rRbBuUfFtT]{0,2}(?:'''|\"\"\"|'|"))
  | (?P<name>[^\W\d]\w*)
  | (?P<num>\d(?:[eE][+-]|[\w.])*|\.\d(?:[eE][+-]|[\w.])*)
  | (?P<op>\*\*=?|//=?|<<=?|>>=?|->|:=|\.\.\.|[-+*/%@&|^<>=!]=|[-+*/%@&|^~<>=.,:;()\[\]{}])
  | (?P<other>.)
""", re.X | re.S)
_OPEN, _CLOSE = "([{", ")]}"
_LINKS = {"+", "-", "*", "/", "//", "%", "@", "**", "<<", ">>", "&", "|", "^", "."}
_ESCAPE = re.compile(r"\\(?:N\{[^}]*\}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|\r\n|[\s\S])")


class ChainTooLong(SyntaxError):
    """A left-nested chain longer than this interpreter's parser can take safely."""


def parse_python(text: str, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse`` that accepts any Python 3 syntax up to 3.14's; raises ``SyntaxError``."""
    if sys.version_info < (3, 11) and len(text) > _CHAIN_CHECK_BYTES:
        _check_chains(text, filename)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes in the scanned code
        try:
            tree = ast.parse(text, filename=filename)
        except SyntaxError as first:
            try:
                lowered = _Lowering(text).run()
            except _Unlowerable:
                raise first from None
            if lowered is None:
                raise
            try:
                return _Graft(lowered).visit(ast.parse(lowered.source, filename=filename))
            except (SyntaxError, _Unlowerable):
                raise first from None
    if _TEMPLATE_STR is not None and "t" in text:
        tree = _TemplatesAsFStrings().visit(tree)
    return tree


_TEMPLATE_STR = getattr(ast, "TemplateStr", None)  # Python 3.14+


class _TemplatesAsFStrings(ast.NodeTransformer):
    """On 3.14+, a t-string reads as the f-string it lowers to on older interpreters."""

    def visit_TemplateStr(self, node):
        self.generic_visit(node)
        return ast.copy_location(ast.JoinedStr(values=node.values), node)

    def visit_Interpolation(self, node):
        self.generic_visit(node)
        return ast.copy_location(ast.FormattedValue(value=node.value, conversion=node.conversion,
                                                    format_spec=node.format_spec), node)


# --- lexing --------------------------------------------------------------------------

class _Unlowerable(Exception):
    """The source has a shape the lowering cannot keep byte-exact."""


@dataclass
class _Field:
    start: int  # offset of the "{"
    end: int  # offset after the "}"
    expr: tuple[int, int]  # offsets of the expression
    debug: tuple[int, int] | None  # offsets of the "x=" text of a self-documenting field
    conversion: int  # -1, or ord of r/s/a
    spec: tuple[int, int, list] | None  # offsets of ":" and of the closing "}", and the parts
    raw: bool


@dataclass
class _Str:
    start: int
    end: int
    prefix: str
    parts: list = field(default_factory=list)  # for f/t-strings: (start, end) literals and _Fields

    @property
    def template(self) -> bool:
        p = self.prefix.lower()
        return "f" in p or "t" in p


class _Lexer:
    """Just enough of Python's tokenizer to find strings (with PEP 701 f-strings),
    brackets, comments and statements, on any interpreter."""

    def __init__(self, text: str) -> None:
        self.text = text

    def tokens(self, start: int = 0, stop: int | None = None):
        """(kind, start, end, value) for the text, strings scanned whole."""
        text, i = self.text, start
        stop = len(text) if stop is None else stop
        while i < stop:
            m = _TOKEN.match(text, i)
            kind = m.lastgroup
            if kind == "str":
                s = self.string(i, m.end() - i)
                yield "str", i, s.end, s
                i = s.end
                continue
            yield kind, i, m.end(), m.group()
            i = m.end()

    def string(self, start: int, opener_len: int) -> _Str:
        text = self.text
        opener = text[start:start + opener_len]
        quote = opener.lstrip("rRbBuUfFtT")
        prefix = opener[: len(opener) - len(quote)]
        s = _Str(start, start, prefix)
        s.end, s.parts = self._body(start + opener_len, quote, prefix.lower())
        return s

    def _body(self, i: int, quote: str, prefix: str) -> tuple[int, list]:
        text, n = self.text, len(self.text)
        template, raw = ("f" in prefix or "t" in prefix), "r" in prefix
        parts: list = []
        lit = i
        while i < n:
            c = text[i]
            if c == "\\":
                if template and i + 1 < n and text[i + 1] in "{}":
                    i += 1
                    continue
                if template and not raw and text.startswith("N{", i + 1):
                    close = text.find("}", i)
                    i = n if close < 0 else close + 1
                    continue
                i += 2
                continue
            if text.startswith(quote, i):
                if lit < i:
                    parts.append((lit, i))
                return i + len(quote), parts
            if len(quote) == 1 and c in "\r\n":
                raise _Unlowerable("unterminated string")
            if template and c == "{":
                if text.startswith("{{", i):
                    i += 2
                    continue
                if lit < i:
                    parts.append((lit, i))
                fld, i = self._field(i, quote, raw)
                parts.append(fld)
                lit = i
                continue
            if template and c == "}" and text.startswith("}}", i):
                i += 2
                continue
            i += 1
        raise _Unlowerable("unterminated string")

    def _field(self, brace: int, quote: str, raw: bool) -> tuple[_Field, int]:
        """The replacement field opened at ``brace``, and the offset after its ``}``."""
        text = self.text
        start = i = brace + 1
        depth = 0
        for kind, s, e, value in self.tokens(i):
            if kind == "op" and value in _OPEN:
                depth += 1
            elif kind == "op" and value in _CLOSE and depth:
                depth -= 1
            elif depth == 0 and (kind == "op" and value in ("}", "=", ":", ":=") or kind == "other" and value == "!"):
                expr = (start, s)
                debug = None
                j = s
                if value == "=":
                    j = e
                    while j < len(text) and text[j] in " \t":
                        j += 1
                    debug = (start, j)
                    value = text[j] if j < len(text) else ""
                conversion = -1
                if value == "!":
                    conversion = ord(text[j + 1])
                    j += 2
                    value = text[j] if j < len(text) else ""
                spec = None
                if value in (":", ":="):
                    spec_parts, close = self._spec(j + 1, quote, raw)
                    spec, j, value = (j, close, spec_parts), close, "}"
                if value != "}":
                    raise _Unlowerable("bad replacement field")
                if debug is not None and conversion == -1 and spec is None:
                    conversion = ord("r")
                return _Field(brace, j + 1, expr, debug, conversion, spec, raw), j + 1
        raise _Unlowerable("unterminated replacement field")

    def _spec(self, i: int, quote: str, raw: bool) -> tuple[list, int]:
        """A format spec after its ``:``: parts up to (not past) the field's ``}``."""
        text, n = self.text, len(self.text)
        parts: list = []
        lit = i
        while i < n:
            c = text[i]
            if c == "}" or text.startswith(quote, i):
                if lit < i:
                    parts.append((lit, i))
                return parts, i
            if c == "{":
                if lit < i:
                    parts.append((lit, i))
                fld, i = self._field(i, quote, raw)
                parts.append(fld)
                lit = i
                continue
            i += 1
        raise _Unlowerable("unterminated format spec")


# --- chain check (Python 3.10) --------------------------------------------------------

def _check_chains(text: str, filename: str) -> None:
    """Refuse a left-nested chain that would overflow Python 3.10's C stack."""
    runs = [0]  # links in the current operand run, per bracket depth
    after_atom = False
    try:
        for kind, start, _end, value in _Lexer(text).tokens():
            if kind in ("ws", "comment", "cont"):
                continue
            if kind == "nl" and len(runs) == 1 or kind == "op" and value in (",", ";"):
                runs[-1] = 0
                after_atom = False
                continue
            link = kind == "op" and (value in _LINKS or value in "([" and after_atom)
            if link:
                runs[-1] += 1
                if runs[-1] > CHAIN_LIMIT:
                    line = text.count("\n", 0, start) + 1
                    raise ChainTooLong(f"an expression chain of more than {CHAIN_LIMIT:,} links is more than "
                                       f"Python {sys.version_info[0]}.{sys.version_info[1]}'s parser can take",
                                       (filename, line, 1, None))
            if kind == "op" and value in _OPEN:
                runs.append(0)
            elif kind == "op" and value in _CLOSE and len(runs) > 1:
                runs.pop()
            after_atom = kind in ("name", "num", "str") or kind == "op" and value in _CLOSE
    except _Unlowerable:
        return  # ast.parse reports the broken string


# --- lowering ------------------------------------------------------------------------

@dataclass
class _Lowered:
    source: str
    text: str
    groups: dict[tuple[int, int], list[_Str]]  # (line, byte column) of a placeholder -> its strings
    lines: "_Lines"


class _Lines:
    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and UTF-8 byte column of a text offset, as ``ast`` counts them."""
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, len(self.text[self.starts[line]:offset].encode("utf-8"))


class _Lowering:
    def __init__(self, text: str) -> None:
        self.text = text
        self.out = list(text)
        self.lexer = _Lexer(text)
        self.changed = False
        self.skip_until = 0  # the end of a statement already erased

    def run(self) -> _Lowered | None:
        groups: dict[tuple[int, int], list[_Str]] = {}
        lines = _Lines(self.text)
        group: list[_Str] = []
        statement_start, depth = True, 0
        pending: list = []  # significant tokens of the statement so far (for `type` / `class X[`)
        for kind, start, end, value in self.lexer.tokens():
            if kind in ("ws", "comment", "cont") or kind == "nl" and depth or start < self.skip_until:
                continue
            if kind != "str" and group:
                self._placeholder(group, groups, lines)
                group = []
            if kind == "str":
                group.append(value)
            if kind == "nl" or kind == "op" and value == ";" and depth == 0:
                statement_start, pending = True, []
                continue
            if kind == "op" and value in _OPEN:
                if value == "[" and len(pending) >= 2 and pending[-2][3] in ("class", "def") \
                        and pending[-1][0] == "name":
                    self._blank_brackets(start)
                depth += 1
            elif kind == "op" and value in _CLOSE and depth:
                depth -= 1
            elif kind == "op" and value == ":" and depth == 0:
                statement_start, pending = True, []
                continue
            elif kind == "op" and value == "*" and pending and pending[-1][3] == "except" and len(pending) == 1:
                self._set(start, " ")
            if statement_start and kind == "name" and value == "type":
                self._type_statement(start)
            pending.append((kind, start, end, value))
            statement_start = False
        if group:
            self._placeholder(group, groups, lines)
        if not self.changed:
            return None
        return _Lowered("".join(self.out), self.text, groups, lines)

    def _set(self, i: int, char: str) -> None:
        self.out[i] = char
        self.changed = True

    def _placeholder(self, group: list[_Str], groups: dict, lines: _Lines) -> None:
        """Each f/t-string of a group becomes a plain literal of the same shape; the group's
        plain strings stay as written. A placeholder's quote differs from a quote just before
        it, so that an empty ``""`` next to it never reads as a triple quote."""
        if not any(s.template for s in group):
            return
        for s in group:
            if not s.template:
                continue
            body = self.text[s.start:s.end]
            multiline = bool(_NEWLINE.search(body))
            mark = "'" if s.start and self.out[s.start - 1] == '"' else '"'
            q = mark * 3 if multiline else mark
            inner = body[len(q):len(body) - len(q)]
            if len(body) < 2 * len(q) or (multiline and (_NEWLINE.search(body[:3]) or _NEWLINE.search(body[-3:]))):
                raise _Unlowerable("string too short to hold a placeholder")
            filled = q + "".join(c if c in "\r\n" or ord(c) > 127 else "_" for c in inner) + q
            self.out[s.start:s.end] = list(filled)
        groups[lines.position(group[0].start)] = list(group)
        self.changed = True

    def _blank_brackets(self, start: int) -> None:
        """Blank ``[...]`` from ``start``; a newline inside gets a continuation backslash."""
        depth = 0
        for kind, s, e, value in self.lexer.tokens(start):
            if kind == "op" and value in _OPEN:
                depth += 1
            elif kind == "op" and value in _CLOSE:
                depth -= 1
            if depth == 0:
                self._blank(start, e)
                return
        raise _Unlowerable("unclosed type parameters")

    def _blank(self, start: int, end: int) -> None:
        for i in range(start, end):
            c = self.text[i]
            if c in "\r\n":
                j = i - 1 if c == "\n" and self.text[i - 1:i] != "\r" else i - 1
                while j >= start and self.text[j] in "\r\n":
                    j -= 1
                if j < start or self.text[j] in "\r\n":
                    raise _Unlowerable("blank line inside type parameters")
                self.out[j] = "\\"
            else:
                self.out[i] = " "
        self.changed = True

    def _type_statement(self, start: int) -> None:
        """``type X[T] = value`` (3.12) becomes ``pass`` and blanks to the end of the statement."""
        kinds = []
        depth, end = 0, None
        for kind, s, e, value in self.lexer.tokens(start):
            if kind in ("ws", "comment", "cont") or kind == "nl" and depth:
                continue
            kinds.append((kind, value))
            if len(kinds) == 2 and kind != "name":
                return
            if len(kinds) == 3 and not (kind == "op" and value in ("=", "[")):
                return
            if kind == "op" and value in _OPEN:
                depth += 1
            elif kind == "op" and value in _CLOSE and depth:
                depth -= 1
            elif depth == 0 and (kind == "nl" or kind == "op" and value == ";"):
                end = s
                break
        end = len(self.text) if end is None else end
        for i in range(start, end):  # continuation lines become blank lines
            if self.text[i] not in "\r\n":
                self.out[i] = " "
        self.out[start:start + 4] = list("pass")
        self.changed = True
        self.skip_until = end


# --- grafting ------------------------------------------------------------------------

class _Graft(ast.NodeTransformer):
    """Puts the real f-string nodes where the placeholders parsed, with the positions a
    3.13 parser gives them (literal parts and fields at their own offsets)."""

    def __init__(self, lowered: _Lowered) -> None:
        self.low = lowered

    def visit_Constant(self, node: ast.Constant):
        group = self.low.groups.get((node.lineno, node.col_offset))
        if group is None or not isinstance(node.value, str):
            return node
        values: list[ast.expr] = []
        for s in group:
            if not s.template:
                self._literal(values, _plain_value(self.low.text[s.start:s.end]), s.start, s.end)
                continue
            self._parts(values, s.parts, "r" in s.prefix.lower())
        return ast.copy_location(ast.JoinedStr(values=values), node)

    def _parts(self, values: list, parts: list, raw: bool) -> None:
        for part in parts:
            if isinstance(part, tuple):
                self._literal(values, _decode(self.low.text[part[0]:part[1]], raw), *part)
            else:
                self._field(values, part)

    def _literal(self, values: list, text: str, start: int, end: int) -> None:
        if not text:
            return
        if values and isinstance(values[-1], ast.Constant):
            values[-1].value += text
            values[-1].end_lineno, values[-1].end_col_offset = self.low.lines.position(end)
        else:
            values.append(self._at(ast.Constant(value=text), start, end))

    def _at(self, node: ast.expr, start: int, end: int) -> ast.expr:
        node.lineno, node.col_offset = self.low.lines.position(start)
        node.end_lineno, node.end_col_offset = self.low.lines.position(end)
        return node

    def _field(self, values: list, f: _Field) -> None:
        if f.debug is not None:
            self._literal(values, self.low.text[f.debug[0]:f.debug[1]], *f.debug)
        spec = None
        if f.spec is not None:
            colon, close, parts = f.spec
            spec_values: list[ast.expr] = []
            self._parts(spec_values, parts, f.raw)
            spec = self._at(ast.JoinedStr(values=spec_values), colon, close)
        value = self._expression(*f.expr)
        values.append(self._at(ast.FormattedValue(value=value, conversion=f.conversion, format_spec=spec),
                               f.start, f.end))

    def _expression(self, start: int, end: int) -> ast.expr:
        text = self.low.text[start:end]
        try:
            tree = parse_python("(" + text + "\n)")
        except SyntaxError:
            raise _Unlowerable("bad field expression") from None
        if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
            raise _Unlowerable("field is not one expression")
        node = tree.body[0].value
        line0, col0 = self.low.lines.position(start)
        for sub in ast.walk(node):
            for lattr, cattr in (("lineno", "col_offset"), ("end_lineno", "end_col_offset")):
                line = getattr(sub, lattr, None)
                if line is None:
                    continue
                if line == 1:
                    setattr(sub, cattr, getattr(sub, cattr) - 1 + col0)
                setattr(sub, lattr, line - 1 + line0)
        return node


def _plain_value(literal: str) -> str:
    value = ast.literal_eval(literal)
    if not isinstance(value, str):
        raise _Unlowerable("bytes beside an f-string")
    return value


def _decode(segment: str, raw: bool) -> str:
    """The value of an f-string's literal part (``{{``/``}}`` undoubled, escapes decoded)."""
    segment = segment.replace("{{", "{").replace("}}", "}")
    if raw:
        return segment
    return _ESCAPE.sub(_escape_value, segment)


def _escape_value(m: re.Match) -> str:
    esc = m.group()
    if esc[1:] in ("\n", "\r", "\r\n"):
        return ""
    if esc[1] in "\"'":
        return esc[1]
    try:
        return ast.literal_eval('"' + esc + '"')
    except (SyntaxError, ValueError):
        return esc
