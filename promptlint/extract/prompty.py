"""``.prompty`` files: YAML front matter (model, parameters) and a Jinja body of turns.

The body is read with the Jinja reader (holes, conditionals, loops as in a ``.j2`` file)
and split into messages at role lines (``system:``, ``user:``, ``assistant:``, also
``# user:`` and ``user[name="x"]:``); text before the first role line is the system
message. A prompty file is executable, so it is always a request, priced with its
front matter's model (or ``default-model``).
"""

from __future__ import annotations

import re

import yaml

from promptlint.extract import values as v
from promptlint.extract.fewshot import Turn, pair_examples
from promptlint.extract.jinja import JinjaError, parse_pieces
from promptlint.extract.layout import Layout, standalone
from promptlint.extract.result import FileResult
from promptlint.extract.sections import split_sections
from promptlint.extract.source import LineIndex, MappedText, text_segments
from promptlint.extract.yaml_prompts import YamlWalker, _message, compose_documents
from promptlint.suppress import prompty_suppressions
from promptlint.types import Diagnostic, Evidence, Span, Template

_OPEN = re.compile(r"\A[ \t\r\n]*---[ \t]*(?:\r\n|\r|\n)")
_CLOSE = re.compile(r"^---[ \t]*(?:\r\n|\r|\n|\Z)", re.MULTILINE)
ROLE_LINE = re.compile(
    r"^[ \t]*#?[ \t]*(?P<role>system|user|assistant|developer|function|tool)(?:\[[^\]\n]*\])?[ \t]*:[ \t]*(?:\n|\Z)",
    re.IGNORECASE | re.MULTILINE,
)


def extract_prompty(path: str, text: str) -> FileResult:
    lines = LineIndex(text)
    diagnostics: list[Diagnostic] = []
    walker = YamlWalker(path, lines, api="prompty")
    settings: list = []
    body_start = 0
    opened = _OPEN.match(text)
    if opened:
        closed = _CLOSE.search(text, opened.end())
        if closed is None:
            diagnostics.append(Diagnostic(path, "cannot parse prompty: front matter has no closing `---`"))
            return FileResult(path, "yaml", diagnostics=tuple(diagnostics), suppressions=prompty_suppressions(text))
        walker.base = opened.end()
        documents = compose_documents(path, text[opened.end() : closed.start()], lines, diagnostics, opened.end())
        if documents and isinstance(documents[0], yaml.MappingNode):
            settings = walker.pairs(documents[0])
        body_start = closed.end()

    mapped = MappedText.verbatim(path, lines, body_start, len(text))
    try:
        pieces, facts = parse_pieces(mapped)
        segments = tuple(standalone(Layout(path, pieces, blocks=facts.blocks)))
        notes = facts.notes
    except JinjaError as exc:
        diagnostics.append(Diagnostic(path, f"cannot parse prompty body as Jinja: {exc}", mapped.line_span(exc.line).line))
        segments, notes = text_segments(mapped), ()

    messages: list[v.Value] = []
    turns: list[Turn] = []
    for i, section in enumerate(split_sections(segments, ROLE_LINE, lines, "system")):
        if not any(s.hole is not None or s.text.strip() for s in section.segments):
            continue
        fallback = section.marker.span if section.marker is not None and section.marker.span else mapped.whole
        span = _covering(section.segments, lines, fallback)
        template = walker.add(Template(
            id=f"{path}::messages[{i}]", path=path, span=span, kind="yaml", role=section.role,  # type: ignore[arg-type]
            segments=section.segments, name=f"messages[{i}]", notes=_notes_within(notes, span),
            evidence=(Evidence("file", "the body of a .prompty file"),),
        ))
        messages.append(_message(section.role, template))
        turns.append(Turn(section.role, (template.id,), template.span, not template.placeholders, template.text))
    walker.examples += pair_examples(f"{path}::messages", turns)
    if messages:
        walker.add_request(mapped.whole, "", messages, settings, always=True)
    return walker.result(diagnostics, prompty_suppressions(text))


def _notes_within(notes: tuple[str, ...], span: Span) -> tuple[str, ...]:
    """The body's notes that concern lines of this message."""
    out = []
    for note in notes:
        m = re.match(r"line (\d+):", note)
        if m is None or span.line <= int(m.group(1)) <= (span.end_line or span.line):
            out.append(note)
    return tuple(out)


def _covering(segments, lines: LineIndex, fallback: Span) -> Span:
    located = [s.span for s in segments if (s.exact or s.hole is not None) and s.span is not None
               and s.span.start is not None and s.span.end is not None]
    starts = [span.start for span in located]
    ends = [span.end for span in located]
    if not starts:
        return fallback
    return lines.span(fallback.path, min(starts), max(ends))
