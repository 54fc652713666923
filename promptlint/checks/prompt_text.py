"""The prompt text that text rules (PL101-PL105) read, and where a piece of it lives.

Precision first: a Python constant is a template when its name matches a prompt pattern,
but ``SQL_TEMPLATE``, ``EMAIL_TEMPLATE`` and ``SYSTEM_ERROR`` are not prompts. So text
rules read a template only when something says it is one: a request sends it, it is a
few-shot example, it comes from a prompt file (Jinja, YAML, a text file), or it is an
unlinked constant whose name says prompt and whose text reads as prose.

Holes stay in the text as marker characters (one per hole, chosen by
:mod:`promptlint.markers` so none is a character of the text), so a rule can cut text
around them and recount only the static part, exactly as ``measure`` counts it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from promptlint.markers import Markers
from promptlint.textdiff import diff
from promptlint.types import Span, Template, TextEdit

_PROMPT_NAME = re.compile(r"PROMPT|INSTRUCTION|PERSONA", re.IGNORECASE)
_NOT_PROSE = re.compile(
    r"^\s*(?:SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|DROP)\b"  # SQL
    r"|<\s*(?:html|div|p|span|table|body|!DOCTYPE)\b"  # HTML
    r"|%\(\w+\)[sd]|\{\w+\}\s*-\s*\{\w+\}",  # logging formats
    re.IGNORECASE,
)
_PROSE_MIN_WORDS = 12
# An unlinked constant must also read as addressed to a model, not to a person at a terminal.
_MODEL_ADDRESSED = re.compile(
    r"\b(?:you|your|assistant|AI|model|LLM|answer|respond|reply|summari[sz]e|classify|extract|translate|"
    r"rewrite|generate)\b", re.IGNORECASE)
PROMPT_FILE_KINDS = ("jinja", "yaml", "text")


class PromptIndex:
    """Which templates are prompts, which requests send them, which are examples.

    Built once per project (rules share it through :func:`prompt_index`).
    """

    def __init__(self, project) -> None:
        self.project = project
        self.requests_by_template: dict[str, list] = {}
        for request in project.requests:
            for tid in request.templates:
                self.requests_by_template.setdefault(tid, []).append(request)
        self.example_templates = {tid for e in project.examples for tid in e.templates}
        self._cues: dict[tuple[str, int], dict] = {}
        self._sent_text = {_where(seg) for tid in self.requests_by_template if tid in project.templates
                           for seg in project.templates[tid].segments if seg.hole is None and seg.span}

    def is_prompt(self, template: Template) -> bool:
        if template.role == "tool":
            return False
        if template.id in self.requests_by_template or template.id in self.example_templates:
            return True
        if self._absorbed(template):
            return False  # its text is read (and priced) inside the template a request sends
        if template.kind in PROMPT_FILE_KINDS:
            return True
        name = template.name or template.id.split("::", 1)[-1]  # e.g. fn::ChatPromptTemplate.from_messages#1::...
        text = template.text
        return bool(_PROMPT_NAME.search(name)) and reads_as_prose(text) and bool(_MODEL_ADDRESSED.search(text))

    def _absorbed(self, template: Template) -> bool:
        """A constant whose every piece of text is part of a template some request sends
        (``f"Today is {d}.\n{SYSTEM_PROMPT}"``): rules report it there, once."""
        pieces = [seg for seg in template.segments if seg.hole is None and seg.text.strip()]
        return bool(pieces) and all(seg.span is not None and _where(seg) in self._sent_text for seg in pieces)

    @cached_property
    def _instructions(self) -> dict[str, Template]:
        return {t.id: t for t in self.project.templates.values()
                if self.is_prompt(t) and t.role not in ("assistant", "tool") and t.id not in self.example_templates}

    def instruction_templates(self) -> list[Template]:
        """Prompt text the app wrote as instructions: not tools, not few-shot examples, not
        demonstrated assistant turns (their wording is content to imitate)."""
        return list(self._instructions.values())

    def cues(self, request, matcher) -> dict:
        """``matcher.by_category`` of what ``request`` instructs, computed once per run
        (PL302 and PL401 read the same cues)."""
        key = (request.id, id(matcher))
        if key not in self._cues:
            # Matched template by template (the matcher remembers each text, so a prompt
            # shared by many requests is scanned once); hit offsets are per template.
            merged: dict[str, list] = {}
            for tid in request.templates:
                if tid in self._instructions:
                    for name, hits in matcher.by_category(self._instructions[tid].text).items():
                        merged.setdefault(name, []).extend(hits)
            self._cues[key] = merged
        return self._cues[key]

    def requests(self, template_id: str) -> list:
        return self.requests_by_template.get(template_id, [])

    def sole_request(self, template_id: str) -> str | None:
        """The id of the one request that sends a template, for findings about the template."""
        found = self.requests(template_id)
        return found[0].id if len(found) == 1 else None


def _where(segment) -> tuple:
    span = segment.span
    return (span.path, span.line, span.column, span.start)


_INDEX: dict[int, tuple[object, PromptIndex]] = {}


def prompt_index(project) -> PromptIndex:
    """The shared index of ``project`` (rules of one run see the same project object)."""
    cached = _INDEX.get(id(project))
    if cached is None or cached[0] is not project:
        _INDEX.clear()
        cached = (project, PromptIndex(project))
        _INDEX[id(project)] = cached
    return cached[1]  # type: ignore[return-value]


def reads_as_prose(text: str) -> bool:
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    if len(words) < _PROSE_MIN_WORDS or _NOT_PROSE.search(text):
        return False
    letters = sum(len(w) for w in words)
    return letters >= 0.6 * len(text.strip())


@dataclass(frozen=True)
class TextView:
    """A template's text with one marker character per hole, and the way back to source."""

    template: Template

    @cached_property
    def _holes(self) -> list:
        return [s for s in self.template.segments if s.hole is not None]

    @cached_property
    def markers(self) -> Markers:
        return Markers(len(self._holes), (s.text for s in self.template.segments if s.hole is None))

    @cached_property
    def text(self) -> str:
        marks = iter(range(len(self._holes)))
        return "".join(self.markers.char(next(marks)) if s.hole is not None else s.text
                       for s in self.template.segments)

    @cached_property
    def _starts(self) -> list[int]:
        starts, pos = [], 0
        for seg in self.template.segments:
            starts.append(pos)
            pos += 1 if seg.hole is not None else len(seg.text)
        return starts

    def hole_at(self, ch: str):
        """The hole segment a marker character stands for."""
        return self._holes[self.markers.index(ch)]

    def display(self, text: str) -> str:
        """``text`` (a slice of :attr:`text`) with markers shown as ``{name}``."""
        return self.markers.pattern.sub(lambda m: "{" + (self.hole_at(m.group()).hole or "") + "}", text)

    def static(self, text: str) -> str:
        """``text`` (derived from :attr:`text`) as it is counted: holes contribute nothing."""
        return self.markers.strip(text)

    def edits(self, new: str) -> tuple[TextEdit, ...]:
        """The template edits that turn :attr:`text` into ``new``: what the fix stage
        applies. Empty when the change would have to move a placeholder."""
        edits = tuple(TextEdit(self.template.id, start, end, text) for start, end, text in diff(self.text, new))
        if any(self.markers.pattern.search(e.replacement) for e in edits):
            return ()
        return edits

    def locate(self, offset: int) -> Span:
        """The source line of a character of the text (for messages and suppressions).

        Python literals are not exact source slices (escapes, dedent), so the line is the
        literal's first line plus the newlines before the offset, kept inside the literal.
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
        line = span.line + newlines
        if span.end_line is not None:
            line = min(line, span.end_line)
        if newlines == 0:
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


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    key: str  # normalized for comparison
    words: int


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_BULLET = re.compile(r"[ \t]*(?:[-*\u2022>]+|\d+[.)]|#+)\s+")


def _blocks(text: str) -> list[tuple[int, int]]:
    """Logical lines: a hard-wrapped paragraph is one block; a blank line, a list item or
    heading, or a line ending in ``.``/``:``/``!``/``?`` ends a block."""
    blocks: list[tuple[int, int]] = []
    pos = 0
    current: list[int] | None = None
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if not line.strip():
            current = None
            continue
        if current is not None and not _BULLET.match(line):  # a list item or heading starts a block
            current[1] = end
        else:
            current = [start, end]
            blocks.append(current)  # type: ignore[arg-type]
        if line.rstrip().endswith((".", ":", "!", "?")):
            current = None
    return [(a, b) for a, b in blocks]


def sentences(text: str) -> list[Sentence]:
    """Sentences and list items of ``text`` with their offsets."""
    out: list[Sentence] = []
    for block_start, block_end in _blocks(text):
        bullet = _BULLET.match(text, block_start, block_end)
        if bullet:
            block_start = bullet.end()
        block = text[block_start:block_end]
        cursor = 0
        pieces = []
        for m in _SENTENCE_END.finditer(block):
            pieces.append((cursor, m.start()))
            cursor = m.end()
        pieces.append((cursor, len(block)))
        for a, b in pieces:
            raw = block[a:b]
            stripped = raw.strip()
            if not stripped:
                continue
            start = block_start + a + (len(raw) - len(raw.lstrip()))
            key = " ".join(stripped.lower().split()).rstrip(".!?;:,")
            words = len(re.findall(r"[^\W\d_]{2,}", key))
            out.append(Sentence(start, start + len(stripped), key, words))
    return out


def cut(text: str, start: int, end: int) -> str:
    """``text`` without ``[start, end)`` and the whitespace that joined it to the rest."""
    start, end = cut_range(text, start, end)
    return text[:start] + text[end:]


def cut_range(text: str, start: int, end: int) -> tuple[int, int]:
    """The range :func:`cut` removes: ``[start, end)`` widened by the whitespace that joined it."""
    before, after = text[:start], text[end:]
    if before.endswith((" ", "\t")) and (after.startswith((" ", "\t", "\n")) or not after):
        start = len(before.rstrip(" \t"))
        before = text[:start]
    elif after.startswith((" ", "\t")) and (not before or before.endswith("\n")):
        end += len(after) - len(after.lstrip(" \t"))
        after = text[end:]
    if before.endswith("\n") and after.startswith("\n"):
        end += 1
    return start, end


def cut_item(text: str, start: int, end: int) -> str:
    """``text`` without ``[start, end)``; when that is all a line or list item holds, the
    whole line goes (a bullet with nothing after it is not left behind)."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    head, tail = text[line_start:start], text[end:line_end]
    if (not head.strip() or _BULLET.fullmatch(head)) and not tail.strip():
        if line_end < len(text):
            return text[:line_start] + text[line_end + 1:]
        return text[:max(line_start - 1, 0)]
    return cut(text, start, end)


def starts_sentence(text: str, offset: int) -> bool:
    """Whether ``offset`` is where a sentence, line or list item begins."""
    head = text[text.rfind("\n", 0, offset) + 1:offset]
    return not head.strip() or bool(_BULLET.fullmatch(head)) or bool(re.search(r"[.!?:][\"')\]]*\s+$", head))

