"""Inline suppressions: ``# promptlint: ignore[PL201]`` and ``{# promptlint: ignore #}``.

The comment applies to findings reported on its own line. A bare ``ignore`` covers every
code. Codes may also be rule names or prefixes (``PL1``), matched like ``--ignore``.
"""

from __future__ import annotations

import re

from promptlint.extract.source import NEWLINE

_DIRECTIVE = re.compile(r"promptlint:\s*ignore(?:\[([^\]]*)\])?", re.IGNORECASE)


def line_key(line: int, cell: int | None = None) -> int:
    """The key a suppression is stored under: the line, made unique per notebook cell."""
    return line if cell is None else cell * 1_000_000 + line


def scan_suppressions(text: str) -> dict[int, frozenset[str] | None]:
    """Map line number -> suppressed selectors (None means all)."""
    found: dict[int, frozenset[str] | None] = {}
    if "promptlint" not in text:
        return found
    # Lines as Python, Jinja and YAML count them (str.splitlines also breaks on form feeds
    # and U+2028, which would move every directive below one).
    for number, line in enumerate(NEWLINE.split(text), start=1):
        for match in _DIRECTIVE.finditer(line):
            if match.group(1) is None:
                found[number] = None
                continue
            codes = frozenset(c.strip() for c in match.group(1).split(",") if c.strip())
            previous = found.get(number, frozenset())
            found[number] = None if previous is None else previous | codes
    return found
