"""Locations for code hosts: paths relative to the repository, lines in the file itself.

GitHub code scanning and workflow annotations resolve a path against the checkout's root,
whatever folder the job ran promptlint from, so these formats name files relative to the
repository (the folder holding ``.git``; without one, the configuration's folder) and never
by an absolute path of the runner.

A notebook finding is located by cell and line within the cell; code hosts show the
``.ipynb`` file, so :func:`file_line` finds the line of the file (its JSON) that holds
that line of that cell's source.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path


def repository_view(view):
    """``view`` with paths shown relative to the repository root."""
    from promptlint.gitignore import repository_root

    root = Path(os.path.abspath(view.root))
    repo = repository_root(root) or root
    return replace(view, cwd=str(repo))


def from_cwd(path: str, view) -> str:
    """A path as the user gave it (relative to the working directory), as ``view`` shows paths."""
    return Path(os.path.relpath(os.path.abspath(path), view.cwd)).as_posix()


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.DOTALL)


@lru_cache(maxsize=32)
def _cell_lines(full: str, mtime_ns: int) -> dict[int, tuple[tuple[int, int], ...]]:
    """Code cell number (from 1, as extraction counts them) -> for each source string of
    the cell, (first cell line it holds, its line in the file)."""
    try:
        text = Path(full).read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return {}
    starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
    import bisect

    cells: dict[int, tuple[tuple[int, int], ...]] = {}
    number = 0
    stack: list = []  # ("obj", key) or ("arr", index) frames
    key = None
    current: dict | None = None  # the cell object being read: {"type": ..., "source": [(value, line)]}
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token in "{[":
            path = [f[1] for f in stack]
            if token == "{" and _is_cell(path):
                current = {"type": None, "source": []}
            stack.append(("obj", None) if token == "{" else ("arr", 0))
            key = None
            continue
        if token in "}]":
            frame = stack.pop() if stack else None
            if frame and frame[0] == "obj" and current is not None and _is_cell([f[1] for f in stack]):
                if current["type"] == "code":
                    number += 1
                    cells[number] = _lines_of(current["source"])
                current = None
            continue
        if token == ",":
            if stack and stack[-1][0] == "arr":
                stack[-1] = ("arr", stack[-1][1] + 1)
            elif stack:
                stack[-1] = ("obj", None)
            continue
        if token == ":":
            continue
        if not stack:
            continue
        if stack[-1][0] == "obj" and stack[-1][1] is None:
            try:
                stack[-1] = ("obj", json.loads(token))  # a key
            except ValueError:
                return {}
            continue
        if current is not None and token.startswith('"'):
            where = [f[1] for f in stack]
            line = bisect.bisect_right(starts, match.start())
            if len(where) >= 1 and where[-1] == "cell_type" and _is_cell(where[:-1]):
                current["type"] = json.loads(token)
            elif (where[-1:] in (["source"], ["input"]) and _is_cell(where[:-1])) or \
                    (len(where) >= 2 and where[-2] in ("source", "input") and _is_cell(where[:-2])):
                current["source"].append((json.loads(token), line))
    return cells


def _is_cell(path: list) -> bool:
    """Whether the frames' keys ``path`` locate one cell: ``cells[i]`` (nbformat 4) or
    ``worksheets[0].cells[i]`` (nbformat 3)."""
    return (len(path) == 2 and path[0] == "cells" and isinstance(path[1], int)) or \
        (len(path) == 4 and path[0] == "worksheets" and path[1] == 0 and path[2] == "cells" and isinstance(path[3], int))


def _lines_of(sources: list[tuple[str, int]]) -> tuple[tuple[int, int], ...]:
    out = []
    cell_line = 1
    for value, file_line in sources:
        out.append((cell_line, file_line))
        cell_line += value.count("\n")
    return tuple(out)


def file_line(view, span) -> int | None:
    """The line of the file that holds ``span``'s line: itself, or in a notebook the JSON
    line of that line of the cell's source (None when the notebook cannot be read)."""
    if span.cell is None:
        return span.line
    full = os.path.join(view.root, span.path)
    try:
        mtime = os.stat(full).st_mtime_ns
    except OSError:
        return None
    pieces = _cell_lines(full, mtime).get(span.cell)
    if not pieces:
        return None
    found = pieces[0][1]
    for first, line in pieces:
        if first <= span.line:
            found = line
    return found
