"""Jupyter notebooks: the code cells, read as one Python module, located by cell.

A notebook runs its cells in one namespace, so the code cells are joined into one module
and names resolve across cells. IPython syntax is not Python: a line magic (``%pip``),
a shell line (``!ls``, ``files = !ls``) or a help line (``obj?``) becomes ``pass`` with the
same indentation, so line numbers stay put, and so does each line a trailing backslash
continues it onto (``!pip install -qU``, then the packages indented below); a cell whose cell
magic runs another language (``%%bash``, ``%%sql``) is left out. A cell that still does not parse is reported
(PL001) and left out, and the rest of the notebook is scanned.

Locations name the cell the way nbQA and ruff do: cells are numbered from 1 among code
cells, lines from 1 within the cell. Character offsets are dropped: they would point
into the JSON file, not the cell.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from dataclasses import fields, is_dataclass, replace

from promptlint.extract.python import extract_python
from promptlint.extract.result import FileResult
from promptlint.extract.scopes import module_name_for
from promptlint.types import Diagnostic, Span

_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug", "memit", "skip"}
_IPYTHON_LINE = re.compile(
    r"^(?P<indent>[ \t]*)(?:[%!]|[\w.\[\]'\", ]+=[ \t]*[%!]|\?\??[\w.]+\s*$|[\w.]+\?\??\s*$)"
)


def code_cells(text: str) -> list[tuple[int, str]] | str:
    """(code cell number, source) of a notebook, or why it is not one."""
    try:
        notebook = json.loads(text)
    except ValueError as exc:
        return f"cannot parse notebook JSON: {exc}"
    if not isinstance(notebook, dict):
        return "not a notebook: the JSON is not an object"
    cells = notebook.get("cells")
    source_key = "source"
    if cells is None and isinstance(notebook.get("worksheets"), list) and notebook["worksheets"]:
        cells, source_key = notebook["worksheets"][0].get("cells"), "input"  # nbformat 3
    if not isinstance(cells, list):
        return "not a notebook: no `cells` list"
    out: list[tuple[int, str]] = []
    number = 0
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        number += 1
        source = cell.get(source_key, "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if isinstance(source, str):
            out.append((number, source))
    return out


def neutralize(source: str) -> list[str] | None:
    """The cell's lines with IPython syntax made harmless, or None for a non-Python cell."""
    lines = source.splitlines() or [""]
    first = lines[0].strip()
    if first.startswith("%%"):
        magic = first[2:].split(None, 1)[0] if first[2:].strip() else ""
        if magic not in _PYTHON_CELL_MAGICS:
            return None
        lines[0] = "pass"
    out = []
    escape: str | None = None  # the indentation of a shell or magic line continued by ``\``
    for line in lines:
        if escape is None and (m := _IPYTHON_LINE.match(line)):
            escape = m.group("indent")
        out.append(line if escape is None else escape + "pass")  # a continuation keeps the escape's indentation
        if not line.endswith("\\"):
            escape = None
    return out


def python_cells(cells: list[tuple[int, str]], path: str = "") -> tuple[list[tuple[int, str, list[str]]], list[Diagnostic]]:
    """The code cells read as the notebook's module: (number, source, neutralized lines),
    and a PL001 for each cell that does not parse. The fix stage edits the same cells."""
    kept: list[tuple[int, str, list[str]]] = []
    diagnostics: list[Diagnostic] = []
    for number, source in cells:
        lines = neutralize(source)
        if lines is None:
            continue
        problem = _syntax_error("\n".join(lines) + "\n")
        if problem is not None:
            line, column, message = problem
            diagnostics.append(Diagnostic(path, f"cannot parse Python in cell {number}: {message}", line, column,
                                          cell=number))
            continue
        kept.append((number, source, lines))
    return kept, diagnostics


def extract_notebook(path: str, text: str, name_patterns: tuple[str, ...]) -> FileResult:
    cells = code_cells(text)
    if isinstance(cells, str):
        return FileResult(path, "notebook", diagnostics=(Diagnostic(path, cells),))
    module_lines: list[str] = []
    where: list[tuple[int, int]] = []  # module line index -> (cell, line in cell)
    kept, diagnostics = python_cells(cells, path)
    for number, _, lines in kept:
        for i, line in enumerate(lines):
            module_lines.append(line)
            where.append((number, i + 1))
    module = "\n".join(module_lines) + "\n"
    result = extract_python(path, module, name_patterns, module=module_name_for(path))
    result = _relocate(result, where)
    return replace(result, kind="notebook", diagnostics=(*diagnostics, *result.diagnostics))


def _syntax_error(source: str) -> tuple[int, int, str] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except SyntaxError as exc:
        return exc.lineno or 1, exc.offset or 1, exc.msg
    except (ValueError, RecursionError, MemoryError) as exc:
        return 1, 1, str(exc) or type(exc).__name__
    return None


def _relocate(result: FileResult, where: list[tuple[int, int]]) -> FileResult:
    """Every location of ``result`` from module lines to (cell, line in cell)."""

    def cell_line(line: int | None) -> tuple[int | None, int | None]:
        if line is None or not where:
            return None, line
        return where[min(max(line, 1), len(where)) - 1]

    def span(s: Span) -> Span:
        cell, line = cell_line(s.line)
        end_cell, end_line = cell_line(s.end_line)
        same = end_cell == cell
        return Span(s.path, line or 1, s.column, end_line if same else None, s.end_column if same else None,
                    None, None, cell)

    memo: dict[int, object] = {}

    def walk(obj):
        if isinstance(obj, Span):
            return span(obj)
        if isinstance(obj, tuple):
            return tuple(walk(x) for x in obj)
        if isinstance(obj, Diagnostic):
            cell, line = cell_line(obj.line)
            return replace(obj, line=line or 1, cell=cell)
        if is_dataclass(obj) and not isinstance(obj, type):
            key = id(obj)
            if key not in memo:
                memo[key] = replace(obj, **{f.name: walk(getattr(obj, f.name)) for f in fields(obj) if f.init})
            return memo[key]
        return obj

    suppressions = []
    for directive in result.suppressions:
        cell, cell_line_no = cell_line(directive.line)
        suppressions.append(replace(directive, line=cell_line_no or directive.line, cell=cell))
    relocated = walk(replace(result, suppressions=()))
    return replace(relocated, suppressions=tuple(suppressions))
