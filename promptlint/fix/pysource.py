"""One Python file parsed with libcst for editing: find the node a span names, and turn
a changed node into a character edit of the file.

Spans come from whichever extractor produced them (libcst or ``ast``), so nodes are found
by line and column (characters, 1-based), never by extractor internals. A changed node is
rendered by regenerating the whole module (libcst round-trips every byte it does not
touch) and keeping only the stretch that differs, so formatting and comments elsewhere
stay as they were and edits from different fixes can be checked for overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from promptlint.extract.source import LineIndex
from promptlint.types import Edit, Span


class PySourceError(ValueError):
    """The file or the node cannot be edited."""


@dataclass(frozen=True)
class Located:
    node: cst.CSTNode
    start: int
    end: int


class PySource:
    def __init__(self, path: str, text: str, cells: dict[int, int] | None = None) -> None:
        self.path = path
        self.text = text
        self.cells = cells  # a notebook's module: cell number -> the module line of its first line
        try:
            self.module = cst.parse_module(text)
        except Exception as exc:  # noqa: BLE001 - libcst raises several kinds of errors
            raise PySourceError(f"cannot parse {path}: {exc}") from None
        if self.module.code != text:
            # Edits are rendered by regenerating the module: one that does not come back
            # byte for byte (a file ending in a lone CR, a form feed) would lose characters.
            raise PySourceError(f"cannot edit {path}: libcst does not reproduce it exactly (unusual line breaks)")
        wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        self.positions = wrapper.resolve(PositionProvider)
        # libcst counts lines as the extractors do (\r\n, \r, \n): offsets must agree.
        self.line_starts = LineIndex(text).starts
        self._parents: dict[cst.CSTNode, cst.CSTNode] | None = None

    # positions ----------------------------------------------------------------------
    def offset(self, line: int, column0: int) -> int:
        return self.line_starts[line - 1] + column0 if 0 < line <= len(self.line_starts) else -1

    def range_of(self, node: cst.CSTNode) -> tuple[int, int]:
        rng = self.positions[node]
        return self.offset(rng.start.line, rng.start.column), self.offset(rng.end.line, rng.end.column)

    def find(self, span: Span, kinds: tuple[type, ...]) -> Located | None:
        """The node of one of ``kinds`` at ``span``: the one that starts and ends where the
        span does, else the smallest that contains it."""
        first = 1
        if span.cell is not None:
            if not self.cells or span.cell not in self.cells:
                return None
            first = self.cells[span.cell]
        start = (first + span.line - 1, span.column - 1)
        end = (first + span.end_line - 1, span.end_column - 1) \
            if span.end_line is not None and span.end_column is not None else None
        exact: list[cst.CSTNode] = []
        around: list[tuple[int, cst.CSTNode]] = []
        for node, rng in self.positions.items():
            if not isinstance(node, kinds):
                continue
            a, b = (rng.start.line, rng.start.column), (rng.end.line, rng.end.column)
            if a == start and (end is None or b == end):
                exact.append(node)
            elif a <= start and (end is None or end <= b):
                around.append((self._size(node), node))
        if exact:
            node = max(exact, key=self._size) if end is None else min(exact, key=self._size)
        elif around:
            node = min(around, key=lambda x: x[0])[1]
        else:
            return None
        a, b = self.range_of(node)
        return Located(node, a, b)

    def _size(self, node: cst.CSTNode) -> int:
        a, b = self.range_of(node)
        return b - a

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        if self._parents is None:
            self._parents = {}
            stack: list[cst.CSTNode] = [self.module]
            while stack:
                current = stack.pop()
                for child in current.children:
                    self._parents[child] = current
                    stack.append(child)
        return self._parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        current = self.parent(node)
        while current is not None:
            yield current
            current = self.parent(current)

    # edits --------------------------------------------------------------------------
    def replace(self, old: cst.CSTNode, new: cst.CSTNode) -> Edit:
        """The character edit that turns ``old`` into ``new`` in this file."""
        code = self.module.deep_replace(old, new).code  # type: ignore[union-attr]
        return diff_edit(self.path, self.text, code)


def diff_edit(path: str, old: str, new: str) -> Edit:
    """The one edit between two texts: what lies between their common prefix and suffix."""
    limit = min(len(old), len(new))
    head = 0
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]:
        tail += 1
    return Edit(path, head, len(old) - tail, new[head:len(new) - tail])


class Fragment:
    """One expression of a file parsed on its own, for an edit that needs nothing else of
    the module (a keyword of a call): no parse and no positions of the whole file. Its
    :meth:`replace` gives the same character edit a :class:`PySource` would."""

    def __init__(self, path: str, text: str, start: int, end: int, newline: str) -> None:
        self.path = path
        self.text = text
        self.start = start
        self.end = end
        self.newline = newline
        try:
            self.node = cst.parse_expression("(" + text[start:end] + ")")
        except Exception as exc:  # noqa: BLE001 - not one expression: the module parse decides
            raise PySourceError(f"cannot parse {path}:{start}: {exc}") from None

    def _code(self, node: cst.CSTNode) -> str:
        code = cst.Module([], default_newline=self.newline).code_for_node(node)
        return code[1:-1] if code.startswith("(") and code.endswith(")") else "\0"

    def replace(self, old: cst.CSTNode, new: cst.CSTNode) -> Edit:
        code = self._code(self.node.deep_replace(old, new))  # type: ignore[arg-type]
        edit = diff_edit(self.path, self.text[self.start:self.end], code)
        return Edit(self.path, self.start + edit.start, self.start + edit.end, edit.replacement)
