"""Jinja templates, read with Jinja2's own lexer and parser and never rendered.

Jinja's parse tree knows the structure (conditionals, loops, blocks, includes) but only
line numbers; its lexer knows every token's text. The lexer pass records where each
static text token and each ``{{ }}`` sits in the source; the tree walk then meets the
same text nodes and expressions in the same order and pairs them up, so every static
segment carries its exact span. A text node whose text does not match its recorded span
(which should not happen) keeps its line only, marked inexact.

What the walk decides:

- ``{{ expr }}`` is a hole named by the expression (filters dropped); ``{# #}`` and tags
  count nothing.
- ``{% if %}`` counts its largest branch (an ``if`` without ``else`` counts its body) and
  a ``{% for %}`` body counts once; each leaves a note on the template.
- a macro defined in the file and output with ``{{ name(...) }}`` contributes its body.
- ``{% include %}``, ``{% extends %}``, ``{% block %}`` and ``{{ super() }}`` become
  :class:`~promptlint.extract.layout.Slot` pieces, filled in across files at link time.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import lru_cache

from promptlint.extract.evidence import file_evidence
from promptlint.extract.layout import Layout, Piece, Slot, standalone
from promptlint.extract.result import FileResult
from promptlint.extract.roles import role_from_path
from promptlint.extract.source import LineIndex, MappedText, hole_label
from promptlint.suppress import jinja_suppressions
from promptlint.types import Diagnostic, Segment, Template


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment
    from jinja2.lexer import TokenStream

    class RecordingEnvironment(Environment):
        """Keeps the raw tokens the parser was fed, so offsets need no second lexing pass."""

        recorded: list | None = None

        def _tokenize(self, source, name, filename=None, state=None):
            source = self.preprocess(source, name, filename)
            recorded: list = []
            self.recorded = recorded

            def record(tokens):
                for token in tokens:
                    recorded.append(token)
                    yield token

            raw = record(self.lexer.tokeniter(source, name, filename, state))
            stream = TokenStream(self.lexer.wrap(raw, name, filename), name, filename)
            for extension in self.iter_extensions():
                stream = extension.filter_stream(stream)
                if not isinstance(stream, TokenStream):
                    stream = TokenStream(stream, name, filename)
            return stream

    # Tags from the two extensions that change no text (``break``/``continue``, ``do``)
    # are accepted, so templates that use them parse.
    return RecordingEnvironment(extensions=["jinja2.ext.loopcontrols", "jinja2.ext.do"])


def prepare() -> None:
    """Build the environment and its lexer now (see :func:`promptlint.extract.prepare`)."""
    _environment().lexer


class JinjaError(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def parse_pieces(mapped: MappedText) -> tuple[tuple[Piece, ...], "JinjaFacts"]:
    """Pieces of a Jinja text (a whole file or a prompt body); raises JinjaError."""
    from jinja2 import TemplateSyntaxError

    env = _environment()
    try:
        env.recorded = None
        tree = env.parse(mapped.value)
        tokens = env.recorded if env.recorded is not None else env.lex(mapped.value)
        data, exprs = _token_positions(tokens, mapped.value)
    except TemplateSyntaxError as exc:
        raise JinjaError(exc.message or "syntax error", exc.lineno or 1) from None
    walker = _Walker(mapped, data, exprs)
    pieces = tuple(walker.body(tree.body))
    return pieces, JinjaFacts(walker.extends, walker.extends_line, tuple(walker.blocks.items()), tuple(walker.notes))


@dataclass(frozen=True)
class JinjaFacts:
    """What a Jinja text says about its frame: the file it extends, its blocks, its notes."""

    extends: str | None
    extends_line: int | None
    blocks: tuple
    notes: tuple[str, ...]


def extract_jinja(path: str, text: str, name_patterns: tuple[str, ...] = ()) -> FileResult:
    """One template per file, id = its path; includes and extends are linked later."""
    lines = LineIndex(text)
    mapped = MappedText.verbatim(path, lines)
    try:
        pieces, facts = parse_pieces(mapped)
    except JinjaError as exc:
        where = mapped.line_span(exc.line)
        return FileResult(path, "jinja", diagnostics=(Diagnostic(path, f"cannot parse Jinja: {exc}", where.line),),
                          suppressions=jinja_suppressions(text))
    layout = Layout(
        path, pieces, facts.extends,
        mapped.line_span(facts.extends_line) if facts.extends_line else None, facts.blocks, facts.notes,
    )
    segments = tuple(standalone(layout))
    found = file_evidence(path, "".join(s.text for s in segments if s.hole is None),
                          sum(1 for s in segments if s.hole is not None))
    template = Template(
        id=path, path=path, span=lines.span(path, 0, len(text)), kind="jinja", role=role_from_path(path),  # type: ignore[arg-type]
        segments=segments, notes=facts.notes, evidence=(found,) if found else (),
    )
    return FileResult(path, "jinja", templates=(template,), layouts=(layout,), suppressions=jinja_suppressions(text))


def _token_positions(tokens, value: str) -> tuple[deque, deque]:
    """Offsets of static text tokens and of ``{{ }}`` expressions, in source order.

    Every token's text is a slice of the source; only whitespace removed by ``{%-``
    lies between tokens, so each token is found at or just after the previous one.
    """
    data: deque[tuple[int, int]] = deque()
    exprs: deque[tuple[int, int, str]] = deque()
    cursor = 0
    begin = inner = 0
    for _, kind, text in tokens:
        if not text:
            continue
        pos = cursor if value.startswith(text, cursor) else value.find(text, cursor)
        if pos < 0 or value[cursor:pos].strip():
            break  # out of step with the source: the remaining text falls back to lines
        cursor = pos + len(text)
        if kind == "data":
            data.append((pos, cursor))
        elif kind == "variable_begin":
            begin, inner = pos, cursor
        elif kind == "variable_end":
            exprs.append((begin, cursor, value[inner:pos]))
    return data, exprs


class _Walker:
    def __init__(self, mapped: MappedText, data: deque, exprs: deque) -> None:
        self.mapped = mapped
        self.data = data
        self.exprs = exprs
        self.notes: list[str] = []
        self.blocks: dict[str, tuple[Piece, ...]] = {}
        self.macros: dict[str, tuple[Piece, ...]] = {}
        self.extends: str | None = None
        self.extends_line: int | None = None

    def line(self, lineno: int) -> int:
        return self.mapped.line_span(lineno).line

    def body(self, nodes) -> list[Piece]:
        out: list[Piece] = []
        for node in nodes:
            out.extend(self.node(node))
        return out

    def node(self, node) -> list[Piece]:
        from jinja2 import nodes as n

        if isinstance(node, n.Output):
            return self.output(node)
        if isinstance(node, n.If):
            branches = [self.body(node.body)] + [self.body(e.body) for e in node.elif_] + [self.body(node.else_)]
            return self.largest(branches, f"line {self.line(node.lineno)}: `if` counted as its largest branch")
        if isinstance(node, n.For):
            body, other = self.body(node.body), self.body(node.else_)
            self.notes.append(f"line {self.line(node.lineno)}: `for` body counted once; it repeats per item")
            return body if _size(body) >= _size(other) else other
        if isinstance(node, n.Macro):
            self.macros[node.name] = tuple(self.body(node.body))
            return []
        if isinstance(node, n.CallBlock):
            name = getattr(node.call.node, "name", "macro")
            return [Segment(hole=f"call {name}", span=self.mapped.line_span(node.lineno)), *self.body(node.body)]
        if isinstance(node, n.Block):
            pieces = tuple(self.body(node.body))
            self.blocks[node.name] = pieces
            return [Slot("block", node.name, self.mapped.line_span(node.lineno), pieces)]
        if isinstance(node, n.Include):
            return [self.include(node)]
        if isinstance(node, n.Extends):
            if isinstance(node.template, n.Const) and isinstance(node.template.value, str):
                self.extends, self.extends_line = node.template.value, node.lineno
            else:
                self.notes.append(f"line {self.line(node.lineno)}: `extends` of a run-time name is not followed")
            return []
        if isinstance(node, n.AssignBlock):
            self.body(node.body)
            return []
        if isinstance(node, n.FilterBlock):
            self.notes.append(f"line {self.line(node.lineno)}: `filter` block counted before its filter")
        body = getattr(node, "body", None)
        if isinstance(body, list):
            return self.body(body)
        return []

    def output(self, node) -> list[Piece]:
        from jinja2 import nodes as n

        out: list[Piece] = []
        for child in node.nodes:
            if isinstance(child, n.TemplateData):
                out.extend(self.text(child))
                continue
            begin, end, expr = self.exprs.popleft() if self.exprs else (None, None, "value")
            span = self.mapped.span(begin, end) if begin is not None else self.mapped.line_span(child.lineno)
            callee = child.node.name if isinstance(child, n.Call) and isinstance(child.node, n.Name) else None
            if callee == "super":
                out.append(Slot("super", "super()", span))
            elif callee in self.macros:
                out.extend(self.macros[callee])
            else:
                out.append(Segment(hole=hole_label(expr), span=span))
        return out

    def text(self, node) -> list[Segment]:
        if self.data:
            start, end = self.data.popleft()
            if self.mapped.value[start:end] == node.data:
                return self.mapped.segments(start, end)
        return [Segment(text=node.data, span=self.mapped.line_span(node.lineno))]

    def include(self, node) -> Piece:
        from jinja2 import nodes as n

        span = self.mapped.line_span(node.lineno)
        target = node.template
        if isinstance(target, n.Const) and isinstance(target.value, str):
            return Slot("include", target.value, span, optional=node.ignore_missing)
        if isinstance(target, (n.List, n.Tuple)) and target.items and all(
                isinstance(i, n.Const) and isinstance(i.value, str) for i in target.items):
            names = tuple(i.value for i in target.items)
            return Slot("include", names[0], span, optional=node.ignore_missing, alternatives=names)
        self.notes.append(f"line {span.line}: `include` of a run-time name is not followed")
        return Segment(hole="include", span=span)

    def largest(self, branches: list[list[Piece]], note: str) -> list[Piece]:
        sizes = [_size(b) for b in branches]
        if sum(1 for s in sizes if s) >= 1 and len(branches) > 1:
            self.notes.append(note)
        return branches[sizes.index(max(sizes))]


def _size(pieces: list[Piece]) -> int:
    total = 0
    for piece in pieces:
        if isinstance(piece, Segment):
            total += len(piece.text)
        elif isinstance(piece, Slot):
            total += _size(list(piece.body))
    return total
