"""Where a piece of template text sits in its file: offsets, lines, columns.

Static text in Jinja, YAML and plain-text prompt files is usually a verbatim slice of
the file, and the fix stage edits those slices in place. Some text is not one slice: a
YAML block scalar drops its indentation, a CRLF file's newline is two characters. So a
value is kept with *runs* that map each stretch of it back to the file, and a stretch
with no verbatim source (an escape sequence, a folded line break) is marked inexact.
"""

from __future__ import annotations

import bisect
import re
from itertools import accumulate
from dataclasses import dataclass

from promptlint.extract.values import hole_name
from promptlint.lazyre import lazy
from promptlint.types import Segment, Span

NEWLINE = lazy(r"\r\n|\r|\n")


class LineIndex:
    """Turns character offsets of one file's text into 1-based lines and columns."""

    def __init__(self, text: str) -> None:
        self.text = text
        if "\r" in text:
            self.starts = [0] + [m.end() for m in NEWLINE.finditer(text)]
        else:  # the same starts from the lines' lengths: a third of the regex's time
            self.starts = list(accumulate(map((1).__add__, map(len, text.split("\n"))), initial=0))
            self.starts.pop()  # past the end

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1

    def offset(self, line: int, column: int = 1) -> int:
        """Offset of a 1-based line and column (clamped to the text)."""
        line = min(max(line, 1), len(self.starts))
        return min(self.starts[line - 1] + column - 1, len(self.text))

    def span(self, path: str, start: int, end: int) -> Span:
        line, column = self.position(start)
        end_line, end_column = self.position(max(end, start))
        return Span(path, line, column, end_line, end_column, start, end)


@dataclass(frozen=True)
class Run:
    """``value[start:end]`` is ``text[source:source + end - start]`` (or has no slice: None)."""

    start: int
    end: int
    source: int | None


class MappedText:
    """A string value and how each stretch of it maps back to the file it came from."""

    def __init__(self, path: str, value: str, runs: tuple[Run, ...], lines: LineIndex, whole: Span) -> None:
        self.path = path
        self.value = value
        self.runs = runs
        self.lines = lines
        self.whole = whole  # where inexact stretches point

    # constructors ---------------------------------------------------------------
    @classmethod
    def verbatim(cls, path: str, lines: LineIndex, start: int = 0, end: int | None = None) -> "MappedText":
        """``text[start:end]`` with every line break read as ``\\n`` (as Jinja reads it)."""
        text = lines.text
        end = len(text) if end is None else end
        whole = lines.span(path, start, end)
        value: list[str] = []
        runs: list[Run] = []
        pos = start
        at = 0
        for m in NEWLINE.finditer(text, start, end):
            chunk = text[pos : m.start()]
            if m.group() == "\n":
                chunk += "\n"
            if chunk:
                runs.append(Run(at, at + len(chunk), pos))
                value.append(chunk)
                at += len(chunk)
            if m.group() != "\n":
                runs.append(Run(at, at + 1, None))
                value.append("\n")
                at += 1
            pos = m.end()
        if pos < end:
            runs.append(Run(at, at + end - pos, pos))
            value.append(text[pos:end])
        return cls(path, "".join(value), _merge(runs), lines, whole)

    @classmethod
    def aligned(cls, path: str, value: str, lines: LineIndex, start: int, end: int) -> "MappedText":
        """Map ``value`` onto ``text[start:end]``, skipping source whitespace it dropped.

        Used for YAML scalars: the value's characters are found in order in the source;
        indentation and line breaks the parser removed are skipped. At the first
        character that can only be matched by skipping something else (an escape), the
        rest of the value is marked inexact.
        """
        text = lines.text
        whole = lines.span(path, start, end)
        runs: list[Run] = []
        j = start
        i = 0
        while i < len(value):
            while j < end and text[j] != value[i] and text[j] in " \t\r\n":
                j += 1
            if j >= end or text[j] != value[i]:
                runs.append(Run(i, len(value), None))
                break
            run_start, src = i, j
            while i < len(value) and j < end and text[j] == value[i]:
                i += 1
                j += 1
            runs.append(Run(run_start, i, src))
        return cls(path, value, _merge(runs), lines, whole)

    @classmethod
    def inexact(cls, path: str, value: str, lines: LineIndex, start: int, end: int) -> "MappedText":
        whole = lines.span(path, start, end)
        return cls(path, value, (Run(0, len(value), None),) if value else (), lines, whole)

    # queries --------------------------------------------------------------------
    def source_offset(self, index: int) -> int | None:
        for run in self.runs:
            if run.start <= index < run.end or (index == run.end == len(self.value)):
                return None if run.source is None else run.source + index - run.start
        return None

    def span(self, start: int, end: int) -> Span:
        """The file span covering ``value[start:end]`` (the whole value's span when unmapped)."""
        first = self.source_offset(start)
        last = self.source_offset(end - 1) if end > start else first
        if first is None or last is None:
            return self.whole
        return self.lines.span(self.path, first, last + (1 if end > start else 0))

    def line_span(self, line: int) -> Span:
        """Span of the start of 1-based ``line`` of the value (for parser error messages)."""
        starts = [0] + [m.end() for m in re.finditer("\n", self.value)]
        index = starts[min(max(line, 1), len(starts)) - 1]
        return self.span(index, index)

    def segments(self, start: int, end: int) -> list[Segment]:
        """Static segments for ``value[start:end]``: exact where the text is a file slice."""
        out: list[Segment] = []
        for run in self.runs:
            a, b = max(start, run.start), min(end, run.end)
            if a >= b:
                continue
            piece = self.value[a:b]
            if run.source is None:
                if out and not out[-1].exact and out[-1].hole is None:
                    out[-1] = Segment(text=out[-1].text + piece, span=out[-1].span)
                else:
                    out.append(Segment(text=piece, span=self.whole))
                continue
            src = run.source + a - run.start
            out.append(Segment(text=piece, span=self.lines.span(self.path, src, src + len(piece)), exact=True))
        return out


def _merge(runs: list[Run]) -> tuple[Run, ...]:
    merged: list[Run] = []
    for run in runs:
        if run.start == run.end:
            continue
        if merged:
            last = merged[-1]
            contiguous = last.source is not None and run.source == last.source + (last.end - last.start)
            if last.end == run.start and (contiguous or (last.source is None and run.source is None)):
                merged[-1] = Run(last.start, run.end, last.source)
                continue
        merged.append(run)
    return tuple(merged)


# Placeholders inside prompt text that is not a Jinja file of its own (YAML values, text
# files): ``{{ expr }}`` (Jinja, Nunjucks, Handlebars, Semantic Kernel's ``{{$input}}``),
# ``{name}`` (str.format, LangChain); ``{% %}`` and ``{# #}`` tags are not text.
_HOLES = lazy(
    r"\{\{-?\s*(?P<expr>.+?)\s*-?\}\}"
    r"|(?<!\{)\{(?P<field>[A-Za-z_]\w*(?:\.\w+|\[\w+\])*)\}(?!\})"
    r"|(?P<tag>\{%.*?%\}|\{#.*?#\})",
    re.DOTALL,
)


def hole_label(expr: str) -> str:
    """A placeholder's name: the expression without trailing filters, whitespace folded."""
    return hole_name(re.split(r"\s*\|\s*(?=[A-Za-z_])", " ".join(expr.split()), maxsplit=1)[0])


def text_segments(mapped: MappedText, holes: bool = True) -> tuple[Segment, ...]:
    """Static text and named holes of a prompt value, with source spans."""
    if not holes:
        return tuple(mapped.segments(0, len(mapped.value)))
    out: list[Segment] = []
    pos = 0
    for m in _HOLES.finditer(mapped.value):
        out.extend(mapped.segments(pos, m.start()))
        pos = m.end()
        if m.group("tag") is not None:
            continue
        name = hole_label(m.group("expr") or m.group("field") or "value")
        out.append(Segment(hole=name, span=mapped.span(m.start(), m.end())))
    out.extend(mapped.segments(pos, len(mapped.value)))
    return tuple(out)


def cut(segment: Segment, start: int, end: int, lines: LineIndex | None) -> Segment:
    """``segment.text[start:end]`` as a segment; an exact slice stays exact."""
    text = segment.text[start:end]
    span = segment.span
    if segment.exact and span is not None and span.start is not None and lines is not None:
        return Segment(text=text, span=lines.span(span.path, span.start + start, span.start + end), exact=True)
    return Segment(text=text, span=span)
