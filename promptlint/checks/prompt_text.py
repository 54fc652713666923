"""The prompt text that text rules (PL101-PL105) read, and where a piece of it lives.

Precision first: a Python constant is a template when its name matches a prompt pattern,
but ``SQL_TEMPLATE``, ``EMAIL_TEMPLATE`` and ``SYSTEM_ERROR`` are not prompts. So text
rules read a template only when something says it is one: a request sends it, it is a
few-shot example, it comes from a prompt file (Jinja, YAML, a text file), or it is an
unlinked constant whose name says prompt and whose text reads as prose.

Holes stay in the text as private-use marker characters, so a rule can cut text around
them and recount only the static part, exactly as ``measure`` counts it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from promptlint.textdiff import diff
from promptlint.types import Span, Template, TextEdit

from promptlint.anatomy.sentences import BULLET as _BULLET, Sentence, sentences  # noqa: F401 - re-exported
from promptlint.anatomy.view import HOLE_BASE, MARKERS as _MARKERS, TextView, static  # noqa: F401 - re-exported
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
    def _sdk_calls(self) -> tuple[dict, dict]:
        """The requests not made through a wrapper, by file and cell, and by the name of
        the function they are in (alone, and with their file)."""
        by_file: dict[tuple, list] = {}
        by_function: dict[tuple, list] = {}
        for r in self.project.requests:
            if not r.via:
                by_file.setdefault((r.span.path, r.span.cell), []).append(r)
                if r.function:
                    name = r.function.rsplit(".", 1)[-1]
                    by_function.setdefault(("", name), []).append(r)
                    by_function.setdefault((r.span.path, name), []).append(r)
        return by_file, by_function

    def wrapped_call(self, request):
        """For a call of an in-house wrapper (``request.via``), the SDK request inside the
        wrapper where its parameters are written: the one whose call holds the model the
        wrapper sets (``model_span``), else the one SDK call of the innermost helper (by its
        name, in the caller's file first). None when that is not one call of the project. A
        parameter the wrapper never sets is fixed there, once for every caller; the prompt
        the wrapper's own call sends is counted at each caller."""
        if not request.via:
            return None
        by_file, _ = self._sdk_calls
        at = request.model_span
        if at is not None:
            inside = [r for r in by_file.get((at.path, at.cell), ()) if at.within(r.span)]
            if inside:
                return min(inside, key=lambda r: (r.span.end_line or r.span.line) - r.span.line)
        found = self.wrapped_calls(request)
        return found[0] if len(found) == 1 else None

    def wrapped_calls(self, request) -> list:
        """Every SDK request of the innermost helper a wrapper call goes through (a wrapper
        that picks one of several calls by a setting has them all)."""
        if not request.via:
            return []
        _, by_function = self._sdk_calls
        helper = request.via.split(" → ")[-1].removesuffix("()")
        for key in ((request.span.path, helper), ("", helper)):
            if by_function.get(key):
                return list(by_function[key])
        return []

    def own_calls(self, request) -> list:
        """The wrapper's own SDK call(s) a call of an in-house wrapper goes through: the one
        :meth:`wrapped_call` names, else all of the innermost helper's."""
        inner = self.wrapped_call(request)
        return [inner] if inner is not None else self.wrapped_calls(request)

    @cached_property
    def _instructions(self) -> dict[str, Template]:
        return {t.id: t for t in self.project.templates.values()
                if self.is_prompt(t) and t.role not in ("assistant", "tool") and t.id not in self.example_templates}

    def instruction_templates(self) -> list[Template]:
        """Prompt text the app wrote as instructions: not tools, not few-shot examples, not
        demonstrated assistant turns (their wording is content to imitate)."""
        return list(self._instructions.values())

    def is_instruction(self, template_id: str) -> bool:
        return template_id in self._instructions

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


def item_range(text: str, start: int, end: int) -> tuple[int, int]:
    """The range that takes ``[start, end)`` out of ``text``; when that is all a line or list
    item holds, the whole line (a bullet with nothing after it is not left behind), with its
    own line break (the previous one only on the last line), so every other line keeps its own."""
    return _whole_line(text, start, end) or cut_range(text, start, end)


def _whole_line(text: str, start: int, end: int) -> tuple[int, int] | None:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    head, tail = text[line_start:start], text[end:line_end]
    if (not head.strip() or _BULLET.fullmatch(head)) and not tail.strip():
        if line_end < len(text):
            return line_start, line_end + 1
        return max(line_start - 1, 0), len(text)
    return None


def whitespace_edits(template_id: str, old: str, new: str, markers: re.Pattern = _MARKERS) -> tuple[TextEdit, ...]:
    """The edits that turn ``old`` into ``new`` when ``new`` is ``old`` with whitespace taken
    out: each run's later characters go, so a line keeps its own break and the break a
    blank-line run loses is one of the blank lines' (a fix that deletes the line before the
    run then never touches it). Anything else is a plain :func:`edits_between`."""
    runs, j = [], 0
    for i, ch in enumerate(old):
        if j < len(new) and ch == new[j]:
            j += 1
        elif not ch.isspace():
            return edits_between(template_id, old, new, markers)
        elif runs and runs[-1][1] == i:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1])
    if j != len(new):
        return edits_between(template_id, old, new, markers)
    return tuple(TextEdit(template_id, start, end, "") for start, end in runs)


def cut_edits(template_id: str, text: str, ranges: list[tuple[int, int]]) -> tuple[TextEdit, ...]:
    """The edits that take each item ``[start, end)`` out of ``text`` (:func:`item_range`),
    written as those very ranges: a diff of the result could pair a deleted line with its
    twin and move another line's break."""
    merged = _merged(item_range(text, s, e) for s, e in ranges)
    # sentences cut one by one that together empty their line take the line with them
    merged = _merged((_whole_line(text, s, e) if "\n" not in text[s:e] else None) or (s, e) for s, e in merged)
    return tuple(TextEdit(template_id, start, end, "") for start, end in merged)


def _merged(ranges) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def starts_sentence(text: str, offset: int) -> bool:
    """Whether ``offset`` is where a sentence, line or list item begins."""
    head = text[text.rfind("\n", 0, offset) + 1:offset]
    return not head.strip() or bool(_BULLET.fullmatch(head)) or bool(re.search(r"[.!?:][\"')\]]*\s+$", head))


def edits_between(template_id: str, old: str, new: str, markers: re.Pattern = _MARKERS) -> tuple[TextEdit, ...]:
    """The template edits that turn ``old`` (a :class:`TextView` text) into ``new``: what
    the fix stage applies. Empty when the change would have to move a placeholder
    (``markers``: the view's, :attr:`TextView.markers`)."""
    edits = tuple(TextEdit(template_id, start, end, text) for start, end, text in diff(old, new))
    if any(markers.search(e.replacement) for e in edits):
        return ()
    return edits
