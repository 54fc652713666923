"""A template's text as rules and the anatomy read it: one marker character per hole.

Holes stay in the text as private-use marker characters, so a rule can cut text around
them and recount only the static part, exactly as ``measure`` counts it, and every
offset maps back to the source literal it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from promptlint.lazyre import lazy
from promptlint.markers import Markers
from promptlint.types import Segment, Span, Template

HOLE_BASE = 0xF0000  # where markers start unless the text itself uses Plane 15
MARKERS = lazy(f"[{chr(HOLE_BASE)}-{chr(HOLE_BASE + 0xFFFD)}]")
_NO_HOLE = Segment("", hole="")


@dataclass(frozen=True)
class TextView:
    """A template's text with one marker character per hole, and the way back to source."""

    template: Template

    @cached_property
    def markers(self) -> Markers:
        """One marker per segment, from a run of code points none of the text's own
        characters falls in (Plane 15 unless the text uses it: a Nerd Font icon)."""
        segments = self.template.segments
        return Markers(len(segments), (s.text for s in segments if s.hole is None))

    @cached_property
    def text(self) -> str:
        return "".join(self.markers.char(i) if s.hole is not None else s.text
                       for i, s in enumerate(self.template.segments))

    @cached_property
    def _starts(self) -> list[int]:
        starts, pos = [], 0
        for seg in self.template.segments:
            starts.append(pos)
            pos += 1 if seg.hole is not None else len(seg.text)
        return starts

    def hole_at(self, ch: str):
        """The hole segment a marker character stands for (None for a character of the text)."""
        index = self.markers.index(ch)
        segment = self.template.segments[index] if index is not None else None
        return segment if segment is not None and segment.hole is not None else None

    def is_hole(self, ch: str) -> bool:
        return self.hole_at(ch) is not None

    def display(self, text: str) -> str:
        """``text`` (a slice of :attr:`text`) with markers shown as ``{name}``."""
        return self.markers.pattern.sub(lambda m: "{" + ((self.hole_at(m.group()) or _NO_HOLE).hole or "") + "}", text)

    def static(self, text: str) -> str:
        """``text`` (derived from :attr:`text`) as it is counted: holes contribute nothing."""
        return self.markers.strip(text)

    def _lines_before(self, index: int) -> int:
        """Newlines of the earlier pieces of the same literal: a Python literal split at its
        placeholders gives every piece the literal's span, so the text after
        ``{name}`` starts as many lines down as the pieces before it hold."""
        span = self.template.segments[index].span
        return sum(seg.text.count("\n") for seg in self.template.segments[:index]
                   if seg.hole is None and not seg.exact and seg.span == span)

    def _joined_row(self, index: int, inner: int, breaks: int, row: int) -> int:
        """The source row of character ``inner`` of segment ``index`` on value line
        ``breaks`` when the source continues that line lower down: the last join at least
        as many characters from the line's end as this character is."""
        segments = self.template.segments
        span = segments[index].span
        rest = 0
        for k, seg in enumerate(segments[index:], index):
            if seg.hole is not None or seg.span != span:
                continue
            text = seg.text[inner:] if k == index else seg.text
            cut = text.find("\n")
            rest += len(text) if cut < 0 else cut + 1
            if cut >= 0:
                break
        for line, tail, joined in span.joins or ():
            if line == breaks and tail >= rest:
                row = joined
        return row

    def locate(self, offset: int) -> Span:
        """The source line of a character of the text (for messages and suppressions).

        Python literals are not exact source slices (escapes, dedent), so the line is the
        literal's first line plus the newlines before the offset in that literal (its
        pieces before a placeholder included), read through the literal's line table
        when its value breaks lines where the source does not, kept inside the literal.
        """
        segments = self.template.segments
        index = 0
        for i, start in enumerate(self._starts):
            if start <= offset:
                index = i
        seg = segments[index] if segments else None
        span = (seg.span if seg is not None else None) or self.template.span
        if seg is None or seg.hole is not None or span.line is None:
            return _with_end(span, self.template.span)
        inner = offset - self._starts[index]
        before = seg.text[:inner]
        newlines = before.count("\n")
        if seg.exact:
            line = span.line + newlines
        else:
            breaks = newlines + self._lines_before(index)
            line = span.line + (span.rows[breaks] if span.rows and breaks < len(span.rows) else breaks)
            if span.joins:
                line = span.line + self._joined_row(index, inner, breaks, line - span.line)
        if span.end_line is not None:
            line = min(line, span.end_line)
        if newlines == 0 and (seg.exact or line == span.line):
            column = span.column + inner if seg.exact else span.column
        else:
            column = len(before) - before.rfind("\n") if seg.exact else 1
        return Span(span.path, line, column, end_line=_end_line(span, self.template.span), cell=span.cell)


def _with_end(span: Span, outer: Span) -> Span:
    return Span(span.path, span.line, span.column, end_line=_end_line(span, outer), cell=span.cell)


def _end_line(span: Span, outer: Span) -> int | None:
    """Where a suppression comment can go: after the literal the text came from."""
    if span.end_line is not None:
        return span.end_line
    return outer.end_line if outer.path == span.path else None


def static(text: str) -> str:
    """Marker text back to what is counted: holes contribute nothing. Exact for a text
    whose markers are in Plane 15 (every text that does not use Plane 15 itself);
    :meth:`TextView.static` is exact for every text."""
    return MARKERS.sub("", text)
