"""Notebooks edited as the Python module their code cells make, written back into the
``.ipynb`` JSON with everything outside the edited cell sources byte for byte as it was.

Extraction reads a notebook's code cells as one module and names locations by cell and
line (:mod:`promptlint.extract.notebook`). The fix stage edits the same module, built the
same way: the cells extraction read, in order, each behind a separator comment that
names it, with IPython lines (``%pip``, ``!ls``) made ``pass`` plus a marker that brings
the original line back. A span's (cell, line) is a line of this module; an edit is a
character edit of it, like any Python file's.

Writing back splits the edited module at the separators (an edit that crossed one is
refused), puts the IPython lines back, and re-encodes only the cells whose source
changed: a ``source`` list keeps the raw JSON of every line that did not change, the
layout of the list (indent, line breaks) and the file's escaping (``ensure_ascii`` or
not). Indent, key order, outputs, metadata and the trailing newline are never touched,
because only the characters of those ``source`` values are replaced.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass

from promptlint.extract.notebook import code_cells, python_cells

_WS = re.compile(r"[ \t\n\r]*")
_BREAK = re.compile(r"\r\n|\r|\n")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")


class NotebookError(ValueError):
    """The notebook cannot be edited exactly; the message says why."""


@dataclass(frozen=True)
class Cell:
    number: int  # among code cells, from 1, as locations name it
    start: int  # the raw JSON of its ``source`` value: text[start:end]
    end: int
    source: str
    newline: str  # the cell's line break (its lines are "\n" in the module)


@dataclass(frozen=True)
class Layout:
    """How a notebook's text maps to the module the fix stage edits."""

    json_text: str
    cells: tuple[Cell, ...]  # the code cells extraction reads, in order
    nonce: str
    magics: tuple[str, ...]  # original IPython lines, by marker number
    module: str

    @property
    def separator(self) -> re.Pattern[str]:
        return re.compile(rf"^#promptlint-cell {self.nonce} (\d+)\n", re.MULTILINE)

    # the module -------------------------------------------------------------------
    def first_lines(self, module: str) -> dict[int, int]:
        """Cell number -> the module line (1-based) of its first line."""
        out = {}
        for m in self.separator.finditer(module):
            out[int(m.group(1))] = module.count("\n", 0, m.end()) + 1
        return out

    def sources(self, module: str) -> dict[int, str]:
        """Each cell's source as ``module`` (an edited copy of :attr:`module`) has it."""
        marks = list(self.separator.finditer(module))
        if [int(m.group(1)) for m in marks] != [c.number for c in self.cells] or (marks and marks[0].start() != 0):
            raise NotebookError("the edit crosses the boundary of a notebook cell")
        magic = re.compile(rf"^([ \t]*)pass  #promptlint-magic {self.nonce} (\d+)$")
        out = {}
        for cell, mark, after in zip(self.cells, marks, [*marks[1:], None]):
            block = module[mark.end():after.start() if after else len(module)]
            if not block.endswith("\n"):
                raise NotebookError(f"the edit removes the end of cell {cell.number}")
            lines = block[:-1].split("\n")
            for i, line in enumerate(lines):
                m = magic.match(line)
                if m is not None:
                    lines[i] = self.magics[int(m.group(2))]
            text = "\n".join(lines)
            if _ends_with_break(cell.source):
                text += "\n"
            out[cell.number] = text.replace("\n", cell.newline) if cell.newline != "\n" else text
        return out

    # the file ---------------------------------------------------------------------
    def render(self, module: str) -> str:
        """The notebook's JSON text with the cells as ``module`` has them."""
        sources = self.sources(module)
        out = []
        pos = 0
        ascii_only = _ensure_ascii(self.json_text)
        for cell in self.cells:
            new = sources[cell.number]
            if new == cell.source:
                continue
            out.append(self.json_text[pos:cell.start])
            out.append(_encode_source(self.json_text, cell, new, ascii_only))
            pos = cell.end
        out.append(self.json_text[pos:])
        return "".join(out)

    def diff(self, path: str, old_module: str, new_module: str) -> str:
        """A unified diff per changed cell, headed ``a/PATH:cell N``."""
        old, new = self.sources(old_module), self.sources(new_module)
        out = []
        for cell in self.cells:
            a, b = old[cell.number], new[cell.number]
            if a == b:
                continue
            where = f"{path}:cell {cell.number}"
            for line in difflib.unified_diff(a.splitlines(keepends=True), b.splitlines(keepends=True),
                                             fromfile=f"a/{where}", tofile=f"b/{where}"):
                out.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of cell\n")
        return "".join(out)


def layout(json_text: str) -> Layout:
    """The module of a notebook's code cells, or :class:`NotebookError`."""
    cells = code_cells(json_text)
    if isinstance(cells, str):
        raise NotebookError(cells)
    located = _locate_sources(json_text)
    if [n for n, _ in located] != [n for n, _ in cells] or \
            any(_decoded(json_text, at) != source for (_, at), (_, source) in zip(located, cells)):
        raise NotebookError("the cells' sources could not be located in the JSON")
    nonce = hashlib.sha256(json_text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    where = dict(located)
    magics: list[str] = []
    chunks: list[str] = []
    kept: list[Cell] = []
    for number, source, lines in python_cells(cells)[0]:
        if _exotic_breaks(source):
            raise NotebookError(f"cell {number} has line breaks other than \\n, \\r\\n or \\r")
        newline = _cell_newline(source, number)
        chunks.append(f"#promptlint-cell {nonce} {number}\n")
        for line, was in zip(lines, source.splitlines() or [""]):
            if line != was:  # an IPython line, made `pass` as extraction makes it
                indent = line[:len(line) - len(line.lstrip(" \t"))]
                line = f"{indent}pass  #promptlint-magic {nonce} {len(magics)}"
                magics.append(was)
            chunks.append(line + "\n")
        kept.append(Cell(number, *where[number], source, newline))
    return Layout(json_text, tuple(kept), nonce, tuple(magics), "".join(chunks))


def _decoded(text: str, at: tuple[int, int]) -> str:
    value = json.loads(text[at[0]:at[1]])
    return "".join(value) if isinstance(value, list) else value


def _ends_with_break(text: str) -> bool:
    return text.endswith(("\n", "\r"))


def _exotic_breaks(text: str) -> bool:
    """Line breaks str.splitlines knows and Python does not (a form feed, U+2028...)."""
    return any(ch in text for ch in "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _cell_newline(source: str, number: int) -> str:
    styles = set(re.findall(r"\r\n|\r|\n", source))
    if len(styles) > 1:
        raise NotebookError(f"cell {number} mixes line break styles")
    return styles.pop() if styles else "\n"


def _ensure_ascii(text: str) -> bool:
    """Whether the file escapes every non-ASCII character (json's ``ensure_ascii``)."""
    if any(ord(ch) > 127 for ch in text):
        return False
    return bool(re.search(r"\\u(?:00[89a-fA-F]|0[1-9a-fA-F]|[1-9a-fA-F])[0-9a-fA-F]{2}", text))


def _encode_source(text: str, cell: Cell, new: str, ascii_only: bool) -> str:
    raw = text[cell.start:cell.end]
    if raw.startswith('"'):
        return json.dumps(new, ensure_ascii=ascii_only)
    items = _array_items(text, cell.start)[0]
    old_tokens = [text[a:b] for a, b in items]
    old_lines = [json.loads(t) for t in old_tokens]
    new_lines = new.splitlines(keepends=True)
    tokens: list[tuple[str, int | None]] = []  # raw JSON, and the old item whose place it takes
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            tokens.extend((old_tokens[i], i) for i in range(i1, i2))
        else:  # an edited line is where its old line was
            tokens.extend((json.dumps(line, ensure_ascii=ascii_only), i1 + k if i1 + k < i2 else None)
                          for k, line in enumerate(new_lines[j1:j2]))
    if not tokens:
        return "[]"
    opening, between, closing = _list_layout(text, cell, items)
    # A kept or edited line keeps the separator that followed it (a mixed-newline file stays mixed).
    separators = [text[a[1]:b[0]] for a, b in zip(items, items[1:])]
    out = [opening]
    for k, (token, old) in enumerate(tokens):
        out.append(token)
        if k + 1 < len(tokens):
            out.append(separators[old] if old is not None and old < len(separators) else between)
    last = tokens[-1][1]
    if last is not None and last < len(separators):  # the old last line went: the new one keeps its break
        closing = _with_break_of(closing, separators[last])
    return "[" + "".join(out) + closing + "]"


def _with_break_of(whitespace: str, separator: str) -> str:
    """``whitespace`` with its first line break replaced by the first one in ``separator``."""
    mine, theirs = _BREAK.search(whitespace), _BREAK.search(separator)
    if mine is None or theirs is None:
        return whitespace
    return whitespace[:mine.start()] + theirs.group() + whitespace[mine.end():]


def _list_layout(text: str, cell: Cell, items: list[tuple[int, int]]) -> tuple[str, str, str]:
    """The whitespace after ``[``, between items (with the comma) and before ``]``."""
    if items:
        opening = text[cell.start + 1:items[0][0]]
        closing = text[items[-1][1]:cell.end - 1]
        if len(items) > 1:
            return opening, text[items[0][1]:items[1][0]], closing
        return opening, "," + opening, closing
    # An empty list: lay the lines out as nbformat does, one per line, one level deeper
    # than the "source" key.
    line_start = max(text.rfind("\n", 0, cell.start), text.rfind("\r", 0, cell.start)) + 1
    indent = re.match(r"[ \t]*", text[line_start:]).group()
    newline = "\r\n" if "\r\n" in text else "\n"
    return newline + indent + " ", "," + newline + indent + " ", newline + indent


# JSON positions -------------------------------------------------------------------
def _locate_sources(text: str) -> list[tuple[int, tuple[int, int]]]:
    """(code cell number, raw range of its ``source`` value), as json.loads reads it
    (the last of repeated keys wins)."""
    start = _WS.match(text, 0).end()
    if not text.startswith("{", start):
        return []
    top = dict(_object_members(text, start)[0])
    cells_range, key = top.get("cells"), "source"
    if cells_range is None and "worksheets" in top:  # nbformat 3
        sheets = _array_items(text, top["worksheets"][0])[0]
        if sheets and text.startswith("{", sheets[0][0]):
            cells_range, key = dict(_object_members(text, sheets[0][0])[0]).get("cells"), "input"
    if cells_range is None or not text.startswith("[", cells_range[0]):
        return []
    out = []
    number = 0
    for a, _ in _array_items(text, cells_range[0])[0]:
        if not text.startswith("{", a):
            continue
        members = dict(_object_members(text, a)[0])
        kind = members.get("cell_type")
        if kind is None or json.loads(text[kind[0]:kind[1]]) != "code":
            continue
        number += 1
        where = members.get(key)
        if where is None:
            continue
        value = json.loads(text[where[0]:where[1]])
        if isinstance(value, list):
            if not all(isinstance(s, str) for s in value):
                continue  # extraction drops items that are not text; not edited exactly
            out.append((number, where))
        elif isinstance(value, str):
            out.append((number, where))
    return out


def _object_members(text: str, pos: int) -> tuple[list[tuple[str, tuple[int, int]]], int]:
    members = []
    pos = _WS.match(text, pos + 1).end()
    if text.startswith("}", pos):
        return members, pos + 1
    while True:
        m = _STRING.match(text, pos)
        if m is None:
            raise NotebookError("malformed JSON object")
        key = json.loads(m.group())
        pos = _WS.match(text, m.end()).end()
        if not text.startswith(":", pos):
            raise NotebookError("malformed JSON object")
        start = _WS.match(text, pos + 1).end()
        end = _value_end(text, start)
        members.append((key, (start, end)))
        pos = _WS.match(text, end).end()
        if text.startswith(",", pos):
            pos = _WS.match(text, pos + 1).end()
        elif text.startswith("}", pos):
            return members, pos + 1
        else:
            raise NotebookError("malformed JSON object")


def _array_items(text: str, pos: int) -> tuple[list[tuple[int, int]], int]:
    items = []
    pos = _WS.match(text, pos + 1).end()
    if text.startswith("]", pos):
        return items, pos + 1
    while True:
        end = _value_end(text, pos)
        items.append((pos, end))
        pos = _WS.match(text, end).end()
        if text.startswith(",", pos):
            pos = _WS.match(text, pos + 1).end()
        elif text.startswith("]", pos):
            return items, pos + 1
        else:
            raise NotebookError("malformed JSON array")


def _value_end(text: str, pos: int) -> int:
    """Where the JSON value at ``pos`` ends (nested values skipped without recursion)."""
    depth = 0
    while True:
        ch = text[pos:pos + 1]
        if ch == '"':
            m = _STRING.match(text, pos)
            if m is None:
                raise NotebookError("unterminated JSON string")
            pos = m.end()
        elif ch in "[{":
            depth += 1
            pos += 1
        elif ch in "]}":
            depth -= 1
            pos += 1
        elif ch in ",:" and depth:
            pos += 1
        else:
            m = _SCALAR.match(text, pos)
            if m is None:
                raise NotebookError("malformed JSON value")
            pos = m.end()
        if depth == 0:
            return pos
        pos = _WS.match(text, pos).end()
