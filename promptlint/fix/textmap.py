"""From an edit of a template's text to edits of the source it was built from.

A template is a sequence of segments, each located by the span of what wrote it: a
Python literal (whose value may have been dedented, stripped, formatted or spliced into
other text), an exact slice of a Jinja, YAML or text file, or a placeholder. For every
source a template edit touches, the template's characters from that source are aligned
with the source's own value (difflib's matching blocks: the text that survived a dedent
or a ``str.format`` lines up, what was dropped or added does not), and the edit's ends
are carried across. Deleting whole lines takes their indentation with them; any other
edit keeps the whitespace a transform dropped. Whether the result is right is not
assumed: the fix stage extracts the edited file again and compares.
"""

from __future__ import annotations

import bisect
import difflib
import re
from dataclasses import dataclass, replace

from promptlint.fix.literals import MARK, STRING_NODES, LiteralError, LiteralView, check_rewritten, expected_value, \
    read_literal, rewrite
from promptlint.extract.source import NEWLINE, LineIndex
from promptlint.fix.workspace import FixError, Workspace
from promptlint.types import Edit, Span, Template, TextEdit

MAX_ALIGN = 200_000  # characters; longer texts are not aligned (difflib is quadratic at worst)


class Target:
    """A stretch of source that holds template text: ``value`` is what it reads as."""

    path: str
    value: str

    @property
    def key(self) -> tuple:
        raise NotImplementedError

    def edits(self, changes: list[tuple[int, int, str]]) -> list[Edit]:
        raise NotImplementedError


@dataclass
class LiteralTarget(Target):
    path: str
    view: LiteralView
    file_text: str
    newline: str

    @property
    def value(self) -> str:  # type: ignore[override]
        return self.view.value

    @property
    def key(self) -> tuple:
        return (self.path, self.view.start, self.view.end)

    def edits(self, changes: list[tuple[int, int, str]]) -> list[Edit]:
        try:
            pieces = rewrite(self.view, changes, self.newline)
            start, end = self.view.start, self.view.end
            code = self.file_text[start:end]
            for a, b, text in sorted(pieces, reverse=True):
                code = code[:a - start] + text + code[b - start:]
            check_rewritten(code, expected_value(self.view.value, changes))
        except LiteralError as exc:
            raise FixError(f"{self.path}:{_line(self.file_text, self.view.start)}: {exc}") from None
        return [Edit(self.path, a, b, text) for a, b, text in pieces]


@dataclass
class SliceTarget(Target):
    """Text that is the file's own characters (Jinja, YAML and text files): written as is."""

    path: str
    start: int
    value: str

    @property
    def key(self) -> tuple:
        return (self.path, self.start, self.start + len(self.value))

    file_text: str = ""

    def indent(self) -> int:
        """Spaces and tabs between the start of its line and this text, when only they are."""
        lines = LineIndex(self.file_text)
        line_start = lines.starts[lines.position(self.start)[0] - 1]
        head = self.file_text[line_start:self.start]
        return len(head) if head.strip(" \t") == "" else 0

    def edits(self, changes: list[tuple[int, int, str]]) -> list[Edit]:
        return [Edit(self.path, self.start + a, self.start + b, text) for a, b, text in changes]


def _line(text: str, offset: int) -> int:
    return LineIndex(text).position(offset)[0]


def marker_text(template: Template) -> tuple[str, list[tuple[int, int]]]:
    """The template's text with one :data:`MARK` per hole, and each segment's range in it."""
    out: list[str] = []
    ranges: list[tuple[int, int]] = []
    pos = 0
    for seg in template.segments:
        piece = MARK if seg.hole is not None else seg.text
        out.append(piece)
        ranges.append((pos, pos + len(piece)))
        pos += len(piece)
    return "".join(out), ranges


@dataclass
class _Projection:
    """The template's characters that come from one source, other content as one MARK per run."""

    chars: str
    to_template: list[int]  # projection index -> template index (ascending)
    own: list[bool]

    def own_between(self, a: int, b: int) -> tuple[int, int] | None:
        """The projection range from the first to past the last own character of template ``[a, b)``."""
        lo, hi = bisect.bisect_left(self.to_template, a), bisect.bisect_left(self.to_template, b)
        while lo < hi and not self.own[lo]:
            lo += 1
        while hi > lo and not self.own[hi - 1]:
            hi -= 1
        return (lo, hi) if lo < hi else None


class TemplateMap:
    def __init__(self, template: Template, workspace: Workspace) -> None:
        self.template = template
        self.workspace = workspace
        self.text, self.ranges = marker_text(template)
        self._projections: dict[Span, _Projection] = {}
        self._opcodes: dict[Span, list] = {}
        self._targets: dict[Span, Target] = {}

    def changes(self, edit: TextEdit) -> list[tuple[Target, int, int, str]]:
        """``(target, value start, value end, replacement)`` for each source the edit touches."""
        a, b = edit.start, edit.end
        if not 0 <= a <= b <= len(self.text):
            raise FixError(f"edit {a}:{b} is outside template `{self.template.id}`")
        if a < b:
            touched = [i for i, (s, e) in enumerate(self.ranges) if s < b and e > a]
        else:
            at = self._at(a)
            touched = [] if at is None else [at]
        if not touched:
            raise FixError(f"template `{self.template.id}` has no text to edit there")
        spans: list[Span] = []
        for i in touched:
            seg = self.template.segments[i]
            if seg.span is None:
                raise FixError(f"part of template `{self.template.id}` has no source location")
            if seg.span not in spans:
                spans.append(seg.span)
        starts_line = a == 0 or self.text[a - 1] == "\n"
        ends_line = b == len(self.text) or self.text[b - 1] == "\n"
        whole_lines = not edit.replacement and starts_line and ends_line
        # The line after the edit is joined to the text before it: its indentation (which a
        # dedent dropped) must go too, or it would sit inside the joined line.
        joins = ends_line and b < len(self.text) and not whole_lines and not edit.replacement.endswith("\n")
        out = []
        for n, span in enumerate(spans):
            target = self.workspace_target(span)
            projection = self._projection(span)
            own = projection.own_between(a, b)
            if own:
                pa, pb = own
                va = self._bound(span, target, pa, left=whole_lines)
                vb = self._bound(span, target, pb, left=not joins)
                if whole_lines and va == 0 and isinstance(target, SliceTarget):
                    va = -target.indent()  # the line's indentation goes with it (a YAML block line)
                ranges = self._keep_indentation(span, target, projection.chars, pa, pb, va, vb)
            else:
                pa = bisect.bisect_left(projection.to_template, a)
                va = self._bound(span, target, pa, left=False)
                ranges = [(va, va)]
            for k, (start, end) in enumerate(ranges):
                out.append((target, start, end, edit.replacement if n == 0 and k == 0 else ""))
        return out

    def _keep_indentation(self, span: Span, target: Target, chars: str, pa: int, pb: int, va: int,
                          vb: int) -> list[tuple[int, int]]:
        """``[va, vb)``, keeping the dropped indentation of the line the edit ends in when
        that line goes on after the edit and nothing stands before the edit on its line:
        the rest of the line then starts the line and needs the indentation to line up."""
        ranges = [(va, vb)]
        value = target.value
        head = value[value.rfind("\n", 0, max(va, 0)) + 1:max(va, 0)]
        survives = pb < len(chars) and chars[pb] != "\n" and va >= 0 and head == ""
        for tag, i1, _, j1, j2 in self._ops(span, target):
            if tag == "insert" and pa < i1 < pb and survives and "\n" not in chars[i1:pb] and va <= j1 and j2 <= vb:
                start, end = ranges.pop()
                ranges += [(start, j1), (j2, end)]
        return [r for r in ranges if r[0] < r[1]] or [(va, va)]

    def _at(self, offset: int) -> int | None:
        for i, (s, e) in enumerate(self.ranges):
            if s <= offset < e:
                return i
        return len(self.ranges) - 1 if self.ranges else None

    def workspace_target(self, span: Span) -> Target:
        if span not in self._targets:
            self._targets[span] = target_for(span, self.workspace, self._segments_of(span))
        return self._targets[span]

    def _segments_of(self, span: Span):
        return [s for s in self.template.segments if s.span == span]

    def _projection(self, span: Span) -> _Projection:
        if span not in self._projections:
            chars: list[str] = []
            index: list[int] = []
            own: list[bool] = []
            for seg, (s, e) in zip(self.template.segments, self.ranges):
                if s == e:
                    continue
                if seg.span == span:
                    chars.extend(self.text[s:e])
                    index.extend(range(s, e))
                    own.extend([True] * (e - s))
                elif not own or own[-1]:
                    chars.append(MARK)
                    index.append(s)
                    own.append(False)
            self._projections[span] = _Projection("".join(chars), index, own)
        return self._projections[span]

    def _ops(self, span: Span, target: Target) -> list:
        if span not in self._opcodes:
            mine = self._projection(span).chars
            value = target.value
            if mine == value:
                ops = [("equal", 0, len(mine), 0, len(value))]
            elif len(mine) + len(value) > MAX_ALIGN:
                raise FixError(f"template `{self.template.id}` is too long to map onto its source")
            else:
                own = self._projection(span).own
                ops = _walk(mine, own, value)
                if ops is None:  # not a transform this module knows: let difflib find the common text
                    ops = _peel(difflib.SequenceMatcher(None, mine, value, autojunk=False).get_opcodes(), own)
                ops = _slide_whitespace(ops, value)
            self._opcodes[span] = ops
        return self._opcodes[span]

    def _bound(self, span: Span, target: Target, p: int, left: bool) -> int:
        """Where projection boundary ``p`` falls in the target's value: ``left`` before any
        source characters that have no counterpart (indentation a dedent dropped), else after."""
        low, high = 0, len(target.value)
        for tag, i1, i2, j1, j2 in self._ops(span, target):
            if tag == "insert":
                continue
            if i1 < p < i2:
                if tag == "equal":
                    return j1 + (p - i1)
                if tag == "delete":
                    return j1
                raise FixError(f"template `{self.template.id}`: the edit does not line up with its source")
            if i2 <= p:
                low = max(low, j2)
            if i1 >= p:
                high = min(high, j1)
        return low if left else high


_PLACEHOLDER = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{[^{}\n]*\}", re.DOTALL)


def _walk(mine: str, own: list[bool], value: str) -> list | None:
    """Opcodes of the transforms extraction applies, found left to right: whitespace a
    dedent or strip dropped, ``{name}`` read as a placeholder, ``{{`` read as ``{``, text
    from elsewhere that this source does not hold. None when something else happened.

    Walking in order keeps repeated lines paired with themselves, where difflib's longest
    match may pair a line with its twin further down.
    """
    ops: list[list] = []

    def emit(tag: str, di: int, dj: int) -> None:
        if ops and ops[-1][0] == tag and tag != "replace":
            ops[-1][2] += di
            ops[-1][4] += dj
        else:
            ops.append([tag, i, i + di, j, j + dj])

    i = j = 0
    while i < len(mine) or j < len(value):
        here = mine[i] if i < len(mine) else None
        there = value[j] if j < len(value) else None
        if here is not None and here == there:
            emit("equal", 1, 1)
            i, j = i + 1, j + 1
        elif here == MARK:
            k = j
            while k < len(value) and value[k] in " \t\r\n":
                k += 1
            field = _PLACEHOLDER.match(value, k) if k < len(value) and value[k] != MARK else None
            claimed = not own[i] and i + 1 < len(mine) and mine[i + 1] == MARK and own[i + 1]
            if k < len(value) and (value[k] == MARK or (field and not claimed)):
                if k > j:
                    emit("insert", 0, k - j)
                    j = k
                end = j + 1 if value[j] == MARK else field.end()  # type: ignore[union-attr]
                emit("equal" if value[j] == MARK else "replace", 1, end - j)
                i, j = i + 1, end
            else:
                emit("delete", 1, 0)
                i += 1
        elif here == "\n" and there == "\r":  # a CRLF or CR line break, read as \n
            size = 2 if value.startswith("\r\n", j) else 1
            emit("replace", 1, size)
            i, j = i + 1, j + size
        elif there is not None and there in " \t\r\n":
            emit("insert", 0, 1)
            j += 1
        elif here is not None and here in "{}" and value.startswith(here * 2, j):
            emit("replace", 1, 2)
            i, j = i + 1, j + 2
        elif here is not None and here in " \t\r\n":
            emit("delete", 1, 0)
            i += 1
        else:
            return None
    return [tuple(op) for op in ops]


def _peel(ops: list, own: list[bool]) -> list:
    """Opcodes where other content at the edges of a replaced stretch stands apart: text
    from elsewhere has no counterpart in this source, so a placeholder next to it still
    lines up with its own ``{{ ... }}``."""
    out = []
    for tag, i1, i2, j1, j2 in ops:
        if tag != "replace":
            out.append((tag, i1, i2, j1, j2))
            continue
        head = []
        while i1 < i2 and not own[i1]:
            head.append(("delete", i1, i1 + 1, j1, j1))
            i1 += 1
        tail = []
        while i2 > i1 and not own[i2 - 1]:
            tail.insert(0, ("delete", i2 - 1, i2, j2, j2))
            i2 -= 1
        middle = [("replace" if i1 < i2 else "insert", i1, i2, j1, j2)] if (i1 < i2 or j1 < j2) else []
        out.extend(head + middle + tail)
    return out


def _slide_whitespace(ops: list, value: str) -> list:
    """Source whitespace with no counterpart moved to the front of the run it sits in: a
    dedent drops indentation from the start of a line, so of six spaces where the text
    kept two, the first four are the dropped ones (difflib may pick any four)."""
    out: list = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "insert" and out and out[-1][0] == "equal":
            _, ei1, ei2, ej1, ej2 = out[-1]
            shift = 0
            while shift < ei2 - ei1 and value[ej2 - 1 - shift] in " \t" and value[ej2 - 1 - shift] == value[j2 - 1 - shift]:
                shift += 1
            if shift:
                out.pop()
                if ei2 - shift > ei1:
                    out.append(("equal", ei1, ei2 - shift, ej1, ej2 - shift))
                out.append(("insert", ei2 - shift, ei2 - shift, ej2 - shift, j2 - shift))
                out.append(("equal", ei2 - shift, ei2, j2 - shift, j2))
                continue
        out.append((tag, i1, i2, j1, j2))
    return out


def target_for(span: Span, workspace: Workspace, segments) -> Target:
    source = workspace.source(span.path)
    if source.is_python:
        alone = workspace.literal(span)
        if alone is not None:
            try:
                return LiteralTarget(span.path, read_literal(alone.node, alone.start, source.code), source.code,
                                     source.newline)
            except LiteralError:
                pass  # read it from the parsed module, which says why
        py = workspace.python(span.path)
        located = py.find(span, STRING_NODES)
        if located is None:
            what = "a run-time value" if any(s.hole is not None for s in segments) else "text"
            raise FixError(f"{span.path}:{span.line}: the edit covers {what} that is not written in a string literal")
        try:
            view = read_literal(located.node, located.start, source.code)
        except LiteralError as exc:
            raise FixError(f"{span.path}:{span.line}: {exc}") from None
        return LiteralTarget(span.path, view, source.code, source.newline)
    if span.start is None or span.end is None:
        raise FixError(f"{span.path}:{span.line}: the text has no exact location in the file")
    value = source.text[span.start:span.end]
    for seg in segments:
        if seg.hole is None and not seg.exact and not _is_break(seg, value):
            raise FixError(f"{span.path}:{span.line}: the text is not a verbatim slice of the file "
                           "(an escape or a folded line)")
        if seg.hole is not None and not (value.startswith("{") and value.rstrip().endswith("}")):
            raise FixError(f"{span.path}:{span.line}: the placeholder `{seg.hole}` has no exact location")
    return SliceTarget(span.path, span.start, value, source.text)


def _is_break(segment, value: str) -> bool:
    """A line break of a CRLF or CR file placed by :func:`located_breaks`."""
    return bool(segment.text) and segment.text == "\n" * len(NEWLINE.findall(value)) and not NEWLINE.sub("", value)


def located_breaks(template: Template, workspace: Workspace) -> Template:
    """The template with the line breaks of CRLF and CR files put in their place.

    Extraction reads a ``\r\n`` or ``\r`` as ``\n``, which is no slice of the file, so
    such a break has no exact location. It lies where the exact text before it ends (or
    where the exact text after it starts); found there, it is edited as the file's own
    break, so a deleted line takes its whole break and a CRLF file stays CRLF.
    """
    segments = list(template.segments)
    changed = False
    for i, seg in enumerate(segments):
        if seg.hole is not None or seg.exact or not seg.text or seg.text.strip("\n") or seg.span is None:
            continue
        try:
            source = workspace.source(seg.span.path)
        except FixError:
            continue
        if source.is_python:
            continue
        count = len(seg.text)
        place = _breaks_after(source.text, segments[i - 1] if i else None, seg.span.path, count)
        if place is None:
            place = _breaks_before(source.text, segments[i + 1] if i + 1 < len(segments) else None,
                                   seg.span.path, count)
        if place is not None:
            segments[i] = replace(seg, span=LineIndex(source.text).span(seg.span.path, *place))
            changed = True
    return replace(template, segments=tuple(segments)) if changed else template


def _breaks_after(text: str, before, path: str, count: int) -> tuple[int, int] | None:
    if before is None or not before.exact or before.span is None or before.span.path != path or before.span.end is None:
        return None
    m = re.compile(rf"(?:\r\n|\r|\n){{{count}}}").match(text, before.span.end)
    return (m.start(), m.end()) if m else None


def _breaks_before(text: str, after, path: str, count: int) -> tuple[int, int] | None:
    if after is None or not after.exact or after.span is None or after.span.path != path or after.span.start is None:
        return None
    end = after.span.start
    m = re.compile(rf"(?:\r\n|\r|\n){{{count}}}\Z").search(text[max(0, end - 2 * count):end])
    return (end - len(m.group()), end) if m else None


def text_edits(templates: dict[str, Template], workspace: Workspace, edits: list[TextEdit]) -> list[Edit]:
    """File edits for template edits; a source shared by several templates is edited once."""
    maps: dict[str, TemplateMap] = {}
    targets: dict[tuple, Target] = {}
    changes: dict[tuple, set[tuple[int, int, str]]] = {}
    for edit in edits:
        template = templates.get(edit.template)
        if template is None:
            raise FixError(f"no template `{edit.template}`")
        if edit.template not in maps:
            maps[edit.template] = TemplateMap(located_breaks(template, workspace), workspace)
        tmap = maps[edit.template]
        for target, va, vb, replacement in tmap.changes(edit):
            key = target.key
            targets.setdefault(key, target)
            changes.setdefault(key, set()).add((va, vb, replacement))
    out: list[Edit] = []
    for key, found in changes.items():
        ordered = sorted(found)
        for (a1, b1, _), (a2, b2, _) in zip(ordered, ordered[1:]):
            if a2 < b1 or (a1 == b1 == a2 == b2):
                raise FixError(f"{key[0]}: two parts of the fix edit the same text")
        out.extend(targets[key].edits(ordered))
    return out
