"""A Jinja file's structure, and how files that include or extend each other compose.

Extracting one file cannot see the files it names (``{% include "rules.j2" %}``,
``{% extends "base.j2" %}``), so the Jinja extractor keeps a :class:`Layout`: static
segments plus slots for includes, blocks and ``super()``. After every file is
extracted, :func:`compose` renders a layout the way Jinja would lay out the text (the
child's blocks in the parent's frame, the included file's text in place of the include)
without evaluating anything.

An included file's text is spliced into the including template, its segments keeping
their own file's spans: the request that renders ``answer.j2`` pays for the rules it
includes, and a fix to that text edits ``rules.j2`` where it is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Union

from promptlint.budgets import COMPOSED_CHARS, INCLUDES, exceeded
from promptlint.types import Diagnostic, Segment, Span

MAX_INCLUDE_DEPTH = 16


@dataclass(frozen=True)
class Slot:
    """Text decided elsewhere: an include (``name`` is the target as written), a block
    (``body`` is its default content), or ``{{ super() }}`` inside a block."""

    kind: str  # include | block | super
    name: str
    span: Span
    body: tuple["Piece", ...] = ()
    optional: bool = False  # ``ignore missing``
    alternatives: tuple[str, ...] = ()  # ``{% include ["a.j2", "b.j2"] %}``: the first that exists


Piece = Union[Segment, Slot]


@dataclass(frozen=True)
class Layout:
    path: str
    pieces: tuple[Piece, ...]
    extends: str | None = None
    extends_span: Span | None = None
    blocks: tuple[tuple[str, tuple[Piece, ...]], ...] = ()  # every block this file defines
    notes: tuple[str, ...] = ()


@dataclass
class Composition:
    segments: list[Segment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


Finder = Callable[[str, str], "Layout | None"]  # (target as written, file that names it) -> layout


def standalone(layout: Layout) -> list[Segment]:
    """The layout read without other files: includes as holes, blocks with their defaults."""
    return compose(layout, lambda target, origin: None, report_missing=False).segments


def compose(layout: Layout, find: Finder, report_missing: bool = True) -> Composition:
    out = Composition()
    out.segments = _Composer(find, out, report_missing).file(layout, (layout.path,))
    return out


class _Composer:
    def __init__(self, find: Finder, out: Composition, report_missing: bool) -> None:
        self.find = find
        self.out = out
        self.report_missing = report_missing
        # Depth alone does not bound the work: ten includes per level, six levels deep, is
        # a million copies. The expansions and the composed text are budgeted too.
        self.expansions = 0
        self.chars = 0
        self.stopped = False

    def over(self, span: Span | None, origin: str, budget: str, found: str, limit: int) -> list[Segment]:
        """Stop composing: one PL001 naming the budget, and a hole where the rest would go."""
        if not self.stopped:
            self.stopped = True  # reported on the template being composed, where it starts
            self.problem(None, origin, exceeded(budget, found, limit, "the rest of the template is not counted"))
        return [Segment(hole=f"over the {budget} budget", span=span)]

    def file(self, layout: Layout, stack: tuple[str, ...]) -> list[Segment]:
        """Render one file; ``extends`` puts its blocks into the parent's frame."""
        chain = [dict(layout.blocks)]
        frame = layout
        while frame.extends is not None:
            parent = self.lookup(frame.extends, frame.extends_span, stack, optional=False)
            if parent is None:
                return self.pieces(layout.pieces, chain, stack, None)
            stack = stack + (parent.path,)
            self.note_from(parent)
            chain.append(dict(parent.blocks))
            frame = parent
        return self.pieces(frame.pieces, chain, stack, None)

    def note_from(self, layout: Layout) -> None:
        for note in layout.notes:
            self.out.notes.append(f"{layout.path}: {note}")

    def lookup(self, target: str, span: Span | None, stack: tuple[str, ...], optional: bool) -> Layout | None:
        origin = span.path if span is not None else stack[-1]
        if len(stack) > MAX_INCLUDE_DEPTH:
            self.problem(span, origin, f"`{target}`: includes nested deeper than {MAX_INCLUDE_DEPTH}; not followed")
            return None
        found = self.find(target, origin)
        if found is None:
            if not optional and self.report_missing:
                self.problem(span, origin, f"template `{target}` is not in the scanned tree; its text is not counted")
            return None
        if found.path in stack:
            self.problem(span, origin, f"`{target}` includes itself (through {' -> '.join(stack)}); not followed")
            return None
        return found

    def problem(self, span: Span | None, origin: str, message: str) -> None:
        line, column = (span.line, span.column) if span is not None else (1, 1)
        self.out.diagnostics.append(Diagnostic(origin, message, line, column))

    def pieces(self, pieces: tuple[Piece, ...], chain: list[dict], stack: tuple[str, ...],
               block: tuple[str, int] | None) -> list[Segment]:
        out: list[Segment] = []
        for piece in pieces:
            if self.stopped:
                break
            if isinstance(piece, Segment):
                self.chars += len(piece.text)
                if self.chars > COMPOSED_CHARS:
                    out.extend(self.over(piece.span, stack[0], "composed-size",
                                         f"with its includes the template passes {COMPOSED_CHARS:,} characters",
                                         COMPOSED_CHARS))
                    break
                out.append(piece)
            elif piece.kind == "include":
                out.extend(self.include(piece, stack))
            elif piece.kind == "block":
                out.extend(self.block(piece.name, 0, chain, stack))
            elif piece.kind == "super" and block is not None:
                out.extend(self.block(block[0], block[1] + 1, chain, stack))
            else:
                out.append(Segment(hole=piece.name, span=piece.span))
        return out

    def block(self, name: str, level: int, chain: list[dict], stack: tuple[str, ...]) -> list[Segment]:
        for k in range(level, len(chain)):
            if name in chain[k]:
                return self.pieces(chain[k][name], chain, stack, (name, k))
        return []

    def include(self, slot: Slot, stack: tuple[str, ...]) -> list[Segment]:
        self.expansions += 1
        if self.expansions > INCLUDES:
            return self.over(slot.span, stack[0], "include fan-out",
                             f"composing the template expands more than {INCLUDES:,} includes", INCLUDES)
        found = None
        for target in slot.alternatives or (slot.name,):
            found = self.lookup(target, slot.span, stack, optional=True)
            if found is not None:
                break
        if found is None:
            if not slot.optional and self.report_missing:
                self.problem(slot.span, slot.span.path,
                             f"template `{slot.name}` is not in the scanned tree; its text is not counted")
            return [] if slot.optional else [Segment(hole=f"include {slot.name}", span=slot.span)]
        self.note_from(found)
        return self.file(found, stack + (found.path,))
