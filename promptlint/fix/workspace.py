"""The files a fix may read and edit, each read once.

Only files under the paths the user gave are edited (a pre-commit run on one file must
not rewrite another); a constant imported from elsewhere is left alone and the fix says
so. Bytes already read by discovery are reused; a file the scan cache vouched for is read
now and must hash as discovery recorded, so the "changed since read" check compares with
what the analysis actually saw.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from promptlint.discover import Discovery, classify, digest
from promptlint.fix.files import SourceText, read_source
from promptlint.fix.notebook import NotebookError
import libcst as cst

from promptlint.extract.source import LineIndex
from promptlint.fix.literals import STRING_NODES
from promptlint.fix.pysource import Fragment, Located, PySource, PySourceError
from promptlint.types import Span


class FixError(Exception):
    """A fix cannot be turned into edits; the message says why, for the user."""


class Workspace:
    def __init__(self, root: str, discovery: Discovery, config, texts: dict[str, str] | None = None) -> None:
        self.root = Path(root)
        self.config = config
        self.texts = texts or {}  # files already edited in memory by earlier fixes
        self.read: dict[str, bytes] = {f.path: f.data for f in discovery.files if f.data is not None}
        self.digests: dict[str, str] = {f.path: f.digest for f in discovery.files if f.digest}
        self.kinds: dict[str, str] = {f.path: f.kind for f in discovery.files}
        self.editable_paths = {*self.kinds, *discovery.skipped, *discovery.others}
        self._sources: dict[str, SourceText | None] = {}
        self._python: dict[str, PySource] = {}
        self._problems: dict[str, str] = {}
        self._lines: dict[str, LineIndex] = {}

    def source(self, path: str) -> SourceText:
        if path not in self.editable_paths:
            raise FixError(f"{path} is outside the paths being fixed")
        if path not in self._sources:
            kind = self.kinds.get(path) or classify(path, self.config) or "text"
            try:
                source = read_source(path, str(self.root / path), kind, self.read.get(path))
            except NotebookError as exc:
                self._sources[path] = None
                self._problems[path] = f"{path}: the notebook cannot be edited exactly ({exc})"
                raise FixError(self._problems[path]) from None
            if source is not None and path in self.digests and digest(source.data) != self.digests[path]:
                raise FixError(f"{path} changed since promptlint analyzed it")
            if source is not None and path in self.texts:
                source = replace(source, text=self.texts[path])
            self._sources[path] = source
        source = self._sources[path]
        if source is None:
            raise FixError(self._problems.get(path, f"{path} cannot be read as UTF-8 text"))
        return source

    def literal(self, span: Span) -> Located | None:
        """The string literal that ``span`` covers exactly, parsed on its own: no parse of
        the whole module, which a text edit does not need. None when the span is not one
        literal (the caller then finds it in the parsed module)."""
        found = self.slice(span)
        if found is None:
            return None
        source, start, end = found
        code = source.code[start:end]
        if not code or code[0] not in "\"'rRbBuUfF":
            return None
        try:
            node = cst.parse_expression(code if "\n" not in code and "\r" not in code else f"({code})")
        except Exception:  # noqa: BLE001 - not one literal: the module parse decides
            return None
        if node.lpar:
            node = node.with_changes(lpar=[], rpar=[])
        return Located(node, start, end) if isinstance(node, STRING_NODES) else None

    def call(self, span: Span) -> tuple[Fragment, cst.Call] | None:
        """The call that ``span`` covers exactly, parsed on its own (see :meth:`literal`)."""
        found = self.slice(span)
        if found is None:
            return None
        source, start, end = found
        try:
            fragment = Fragment(span.path, source.code, start, end, source.newline)
        except PySourceError:
            return None
        node = fragment.node
        return (fragment, node) if isinstance(node, cst.Call) else None

    def slice(self, span: Span) -> tuple[SourceText, int, int] | None:
        """The file's characters that ``span`` covers, as offsets of the code."""
        source = self.source(span.path)
        if not source.is_python or span.end_line is None or span.end_column is None:
            return None
        first = 1
        if span.cell is not None:
            cells = source.layout.first_lines(source.code) if source.layout is not None else {}
            if span.cell not in cells:
                return None
            first = cells[span.cell]
        lines = self._lines.get(span.path)
        if lines is None:
            lines = self._lines[span.path] = LineIndex(source.code)
        start = lines.offset(first + span.line - 1, span.column)
        end = lines.offset(first + span.end_line - 1, span.end_column)
        return (source, start, end) if start < end else None

    def python(self, path: str) -> PySource:
        if path not in self._python:
            source = self.source(path)
            if not source.is_python:
                raise FixError(f"{path} is not a Python file")
            try:
                cells = source.layout.first_lines(source.code) if source.layout is not None else None
                self._python[path] = PySource(path, source.code, cells)
            except PySourceError as exc:
                raise FixError(str(exc)) from None
        return self._python[path]
