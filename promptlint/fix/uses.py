"""Who else reads the text a fix edits.

A fix that deletes a sentence from ``document2`` in a data module changes every program
that imports ``document2``, not only the prompt it was found in; one that edits
``SYSTEM_PROMPT`` also changes the test that compares a reply with it. So before a text
edit is made, every reference to the named value that holds the edited text is looked up
in the tree's Python files and notebooks. A reference is accounted for when it is part of
the prompt the finding is about (inside the literal text of a template those requests
send, or inside the function that makes the request), or when it is in another file that
cannot be reading this value (it assigns its own value of that name, or imports nothing
from the defining module); any other reference refuses the fix.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from promptlint.types import Project, Request, Span, TextEdit

_IMPORT = re.compile(r"^\s*(?:from\s+\S+\s+)?import\b")
_WORD, _BYTE_WORD = re.compile(r"\w+"), re.compile(rb"\w+")
# Names looked up one scan each before the word index is built: a scan is a byte search of
# every file, the index a word split of every file, which costs about that many scans.
_SCANS_BEFORE_INDEX = 16


class Uses:
    """References to names across the tree, looked up once per name."""

    def __init__(self, root: str, discovery, texts: dict[str, str] | None = None) -> None:
        self.root = Path(root)
        self.texts = texts or {}  # files as earlier fixes left them, in memory
        files = {f.path: f.data for f in discovery.files if f.kind in ("python", "notebook")}
        for rel in discovery.skipped:
            if rel.endswith((".py", ".ipynb")):
                files.setdefault(rel, None)
        self.files = files
        self._texts: dict[str, list[tuple[int | None, str]]] = {}
        self._found: dict[str, list[tuple[Span, str]]] = {}
        self._index: dict[str, list[str]] | None = None  # word -> the files whose code has it
        self._defs: dict[tuple[str, int | None], dict | None] = {}
        self._local: dict[tuple, list[tuple[int, int]]] = {}
        self._trees: dict[tuple, ast.AST | None] = {}

    def _units(self, rel: str) -> list[tuple[int | None, str]]:
        """The file's code: one unit, or one per notebook code cell."""
        if rel not in self._texts:
            data = self.files.get(rel)
            try:
                text = self.texts.get(rel) or (data if data is not None else (self.root / rel).read_bytes()).decode(
                    "utf-8-sig", "replace")
            except OSError:
                text = ""
            if rel.endswith(".ipynb"):
                from promptlint.extract.notebook import code_cells

                cells = code_cells(text)
                self._texts[rel] = [(n, src) for n, src in cells] if isinstance(cells, list) else []
            else:
                self._texts[rel] = [(None, text)]
        return self._texts[rel]

    def function_span(self, request: Request) -> Span:
        """The lines of the function that makes ``request`` (its own line when unknown)."""
        span = request.span
        if not request.function:
            return span
        name = request.function.rsplit(".", 1)[-1]
        for lineno, end_lineno in self._functions(request.path, span.cell).get(name, ()):
            if lineno <= span.line <= (end_lineno or lineno):
                return Span(span.path, lineno, end_line=end_lineno, cell=span.cell)
        return span

    def _functions(self, rel: str, cell: int | None) -> dict[str, list[tuple[int, int | None]]]:
        """Name -> the lines of each function of that name in one file or cell, in the
        order :func:`ast.walk` meets them (none when the code does not parse). Parsed once."""
        key = (rel, cell)
        if key not in self._defs:
            found: dict[str, list[tuple[int, int | None]]] = {}
            tree = self._tree(rel, cell)
            for node in ast.walk(tree) if tree is not None else ():
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found.setdefault(node.name, []).append((node.lineno, node.end_lineno))
            self._defs[key] = found
        return self._defs[key]

    def _tree(self, rel: str, cell: int | None, text: str | None = None) -> ast.AST | None:
        """The unit's syntax tree (a notebook cell's with its magics neutralized), None when
        it does not parse."""
        key = (rel, cell)
        if key not in self._trees:
            if text is None:
                text = next((t for c, t in self._units(rel) if c == cell), "")
            if cell is not None:
                from promptlint.extract.notebook import neutralize

                text = "\n".join(neutralize(text) or [])
            try:
                self._trees[key] = ast.parse(text)
            except (SyntaxError, ValueError):
                self._trees[key] = None
        return self._trees[key]

    def _code_lines(self, rel: str, cell: int | None, text: str, name: str) -> set[int] | None:
        """The lines where ``name`` is code (a name, an attribute, a parameter), not words in
        a string or a comment; None when the unit does not parse (every line counts then)."""
        tree = self._tree(rel, cell, text)
        if tree is None:
            return None
        lines: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == name or isinstance(node, ast.Attribute) and node.attr == name \
                    or isinstance(node, ast.arg) and node.arg == name \
                    or isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
                lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        return lines

    def binds_locally(self, ref: Span, name: str) -> bool:
        """Whether the line ``ref`` is inside a function that has its own ``name`` (a
        parameter, or a name its body assigns without ``global``): a use there reads that
        local value, never the module's."""
        key = (ref.path, ref.cell, name)
        if key not in self._local:
            self._local[key] = self._local_scopes(ref.path, ref.cell, name)
        return any(start <= ref.line <= end for start, end in self._local[key])

    def _local_scopes(self, rel: str, cell: int | None, name: str) -> list[tuple[int, int]]:
        tree = self._tree(rel, cell)
        if tree is None:
            return []
        return [(node.lineno, node.end_lineno or node.lineno) for node in ast.walk(tree)
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and _own(node, name)]

    def imports_from(self, rel: str, defining: str) -> bool:
        """Whether ``rel`` has an import line naming the module ``defining`` (its file name,
        or its package for an ``__init__.py``): only then can its code read that module's names."""
        path = Path(defining)
        stems = {path.stem, path.parent.name} if path.stem == "__init__" else {path.stem}
        stems.discard("")
        words = re.compile(r"\b(?:" + "|".join(re.escape(s) for s in stems) + r")\b")
        return any(_IMPORT.match(line) and words.search(line)
                   for _, text in self._units(rel) for line in text.splitlines())

    def references(self, name: str) -> list[tuple[Span, str]]:
        """Every line that mentions ``name`` as a word, except imports of it."""
        if name not in self._found:
            word = re.compile(rf"(?<![\w.]){re.escape(name)}\b|(?<=\.){re.escape(name)}\b")
            found = []
            for rel in self._holders(name):
                for cell, text in self._units(rel):
                    if name not in text:
                        continue
                    code = self._code_lines(rel, cell, text, name)
                    for number, line in enumerate(text.splitlines(), start=1):
                        if word.search(line) and not _IMPORT.match(line) and (code is None or number in code):
                            found.append((Span(rel, number, cell=cell), line))
            self._found[name] = found
        return self._found[name]

    def expect(self, names: int) -> None:
        """``names`` lookups are coming: build the word index now if they would (so that
        forked trials share one index instead of each building its own)."""
        if self._index is None and names > _SCANS_BEFORE_INDEX:
            self._index = self._word_index()

    def _holders(self, name: str):
        """The files that may mention ``name``: found by a byte search of each file for the
        first few names, then from an index of every file's words, so that looking up a
        name per fix stays linear in the tree however many fixes there are."""
        if self._index is None and len(self._found) >= _SCANS_BEFORE_INDEX and name.isidentifier():
            self._index = self._word_index()
        if self._index is not None and name.isidentifier():
            return self._index.get(name, ())
        needle = name.encode()
        return [rel for rel, data in self.files.items()
                if data is None or needle in data or rel in self.texts]

    def _word_index(self) -> dict[str, list[str]]:
        """Word -> files, in the files' order: an ASCII Python file as read is split as bytes,
        any other file (a notebook's JSON escapes its code) as the text of its code."""
        index: dict[str, list[str]] = {}
        for rel, data in self.files.items():
            if data is not None and rel not in self.texts and not rel.endswith(".ipynb") and data.isascii():
                words = set(_BYTE_WORD.findall(data))
                names = {w.decode("ascii") for w in words}
            else:
                names = {w for _, text in self._units(rel) for w in _WORD.findall(text)}
            for w in names:
                index.setdefault(w, []).append(rel)
        return index


def shared_use(edits: list[TextEdit], project: Project, requests: list[Request], uses: Uses) -> str | None:
    """Why the edited text may not change (another program reads it), or None."""
    prompt_lines = _prompt_lines(project, requests, uses)
    for name, definition in _edited_names(edits, project):
        short = name.rsplit(".", 1)[-1]
        assign = re.compile(rf"^\s*(?:self\.)?{re.escape(short)}\s*(?::[^=\n]*)?=(?!=)")
        for ref, line in uses.references(short):
            if ref.path == definition.path and assign.match(line) or any(ref.within(area) for area in prompt_lines):
                continue
            if uses.binds_locally(ref, short):
                continue  # a function's own parameter or local of that name
            if ref.path != definition.path and (assign.match(line) or not uses.imports_from(ref.path, definition.path)):
                continue  # another module's own value of that name, or a file that cannot reach this one
            where = f"{ref.path}" + (f" cell {ref.cell}" if ref.cell is not None else "") + f":{ref.line}"
            return (f"the edited text is `{name}` ({definition.path}), which is also used at {where}, "
                    "not by a prompt of this request; edit it by hand")
    return None


def _edited_names(edits: list[TextEdit], project: Project) -> list[tuple[str, Span]]:
    """The named Python values (``path::NAME``) whose text the edits change, with where each
    is defined (a YAML key or a Jinja file is read through its file, not by name)."""
    out: dict[str, Span] = {}
    for edit in edits:
        template = project.templates.get(edit.template)
        if template is None:
            continue
        at = 0
        for seg in template.segments:
            length = 1 if seg.hole is not None else len(seg.text)
            if seg.hole is None and at < edit.end and edit.start < at + length or (length == 0 and at == edit.start):
                owner = seg.origin or (template.id if template.name else None)
                if owner and "::" in owner and seg.span is not None and seg.span.path.endswith((".py", ".ipynb")):
                    out.setdefault(owner.split("::", 1)[1].split("[", 1)[0], seg.span)
            at += length
    return list(out.items())


def _prompt_lines(project: Project, requests: list[Request], uses: Uses) -> list[Span]:
    """Where the prompt of ``requests`` is written: every literal of their templates, the
    function (or statement) that makes each request, and each place that composes their
    templates into what they send (``self.history = [{"role": "system", "content":
    self.system_message}]`` in ``__init__``, a use record)."""
    sent = {tid for request in requests for tid in request.templates}
    areas = [use.span for use in project.uses if use.kind == "messages" and sent.intersection(use.templates)]
    for request in requests:
        areas.append(uses.function_span(request))
        for tid in request.templates:
            template = project.templates.get(tid)
            if template is None:
                continue
            areas.append(template.span)
            areas += [s.span for s in template.segments if s.span is not None]
    return areas


def _own(function, name: str) -> bool:
    """Whether ``name`` is local to ``function``: a parameter, or assigned in its own body
    (nested functions and classes are their own scopes) and not declared global/nonlocal."""
    args = function.args
    if name in {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg) if a}:
        return True
    if isinstance(function, ast.Lambda):
        return False
    stored = False
    todo = list(function.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return False
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
            stored = True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        todo.extend(ast.iter_child_nodes(node))
    return stored
