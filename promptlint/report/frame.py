"""Code frames for ``--output-format full``: the lines around a finding, as ruff shows them.

::

     |
  19 |     for ticket in tickets:
  20 |         reply = client.messages.create(
     |                 ^^^^^^^^^^^^^^^^^^^^^^ PL402
  21 |             model="claude-opus-4-1",
     |

A notebook's frame shows the lines of the cell. Source that cannot be read again (the
file changed or vanished since the scan) gets no frame rather than a wrong one.
"""

from __future__ import annotations

import os

CONTEXT = 1  # lines shown before and after


def _lines(path: str, cell: int | None, view, sources: dict) -> list[str] | None:
    key = (path, cell)
    if key not in sources:
        sources[key] = _read(os.path.join(view.root, path), cell)
    return sources[key]


def _read(full: str, cell: int | None) -> list[str] | None:
    try:
        with open(full, "rb") as handle:
            text = handle.read().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    if cell is None:
        return text.splitlines()
    from promptlint.extract.notebook import code_cells

    cells = code_cells(text)
    if isinstance(cells, str):
        return None
    for number, source in cells:
        if number == cell:
            return source.splitlines()
    return None


def _printable(line: str) -> str:
    return "".join(c if c.isprintable() or c == "\t" else "\ufffd" for c in line).expandtabs(4)


def code_frame(finding, view, sources: dict) -> list[str]:
    """The finding's first line between its neighbours, the span marked with carets (to
    the end of the line when the span goes on)."""
    span = finding.span
    lines = _lines(span.path, span.cell, view, sources)
    if not lines or not 1 <= span.line <= len(lines):
        return []
    paint = view.paint
    first_shown = max(1, span.line - CONTEXT)
    last_shown = min(len(lines), span.line + CONTEXT)
    width = len(str(last_shown))
    gutter = paint("gutter", " " * width + " |")
    out = [gutter]
    for number in range(first_shown, last_shown + 1):
        text = _printable(lines[number - 1])
        out.append(f"{paint('gutter', str(number).rjust(width) + ' |')} {text}".rstrip())
        if number == span.line:
            start = min(max((span.column or 1) - 1, 0), len(text))
            one_line = not span.end_line or span.end_line == span.line
            end = (span.end_column - 1) if one_line and span.end_column and span.end_column > (span.column or 1) else len(text)
            end = max(end, start + 1)
            out.append(f"{gutter} {' ' * start}{paint('caret', '^' * (end - start) + ' ' + finding.code)}")
    out.append(gutter)
    return out
