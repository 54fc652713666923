"""Split a template's segments where role markers stand in its static text.

A ``.prompty`` body marks turns with lines like ``system:`` and ``user:``; a Semantic
Kernel template with ``<message role="system">`` tags. Markers are found in the static
text only (a placeholder never counts as one), then the segments between markers are
cut out, exact spans staying exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from promptlint.extract.roles import role_of
from promptlint.extract.source import LineIndex, cut
from promptlint.types import Segment

_HOLE_MARK = "\ufffc"


@dataclass(frozen=True)
class Section:
    role: str
    segments: tuple[Segment, ...]
    marker: Segment | None  # the marker's own text (for its location)


def split_sections(segments: tuple[Segment, ...], marker: re.Pattern[str], lines: LineIndex | None,
                   default_role: str, end: re.Pattern[str] | None = None) -> list[Section]:
    """Sections between matches of ``marker`` (its ``role`` group names the role); a match
    of ``end`` closes a section early (``</message>``: what follows is outside any message)."""
    flat, starts = _flatten(segments)
    found = list(marker.finditer(flat))
    bounds: list[tuple[str, int, int, Segment | None]] = []
    first = found[0].start() if found else len(flat)
    if flat[:first].strip():
        bounds.append((default_role, 0, first, None))
    for i, m in enumerate(found):
        stop = found[i + 1].start() if i + 1 < len(found) else len(flat)
        where = _slice(segments, starts, m.start(), m.end(), lines)
        bounds.append((role_of(m.group("role")), m.end(), stop, where[0] if where else None))
    sections = []
    for role, start, stop, where in bounds:
        closed = end.search(flat, start, stop) if end is not None else None
        pieces = _slice(segments, starts, start, closed.start() if closed else stop, lines)
        sections.append(Section(role, tuple(pieces), where))
    return sections


def _flatten(segments: tuple[Segment, ...]) -> tuple[str, list[int]]:
    parts: list[str] = []
    starts: list[int] = []
    at = 0
    for seg in segments:
        starts.append(at)
        piece = _HOLE_MARK if seg.hole is not None else seg.text
        parts.append(piece)
        at += len(piece)
    return "".join(parts), starts


def _slice(segments: tuple[Segment, ...], starts: list[int], a: int, b: int, lines: LineIndex | None) -> list[Segment]:
    out: list[Segment] = []
    for seg, s in zip(segments, starts):
        length = 1 if seg.hole is not None else len(seg.text)
        lo, hi = max(a, s), min(b, s + length)
        if lo >= hi:
            continue
        if seg.hole is not None:
            out.append(seg)
        else:
            out.append(seg if (lo, hi) == (s, s + length) else cut(seg, lo - s, hi - s, lines))
    return out
