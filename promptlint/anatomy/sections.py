"""Sections of a prompt: headings, branches, labelled lists and tagged blocks.

A section is the part of the prompt an instruction belongs to. "DO NOT leave any comments
on the PR" under "If it's a question:" and again under "If it requests a code update:"
is one rule per branch, not a repetition; a rule restated in a "Remember:" list under the
part that states it is.
"""

from __future__ import annotations

import re

from promptlint.anatomy.lines import Lines
from promptlint.anatomy.model import Section
from promptlint.anatomy.tags import Tag

_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(?P<title>\S.*?)[ \t#]*$")
_BOLD = re.compile(r"^[ \t]*\*\*(?P<title>[^*\n]{1,80})\*\*:?[ \t]*$")
_CAPS = re.compile(r"^[ \t]*(?P<title>[A-Z][A-Z0-9&/,'() -]{2,60}?):?[ \t]*$")
_LABEL = re.compile(r"^[ \t]*(?:(?:\d+|[a-z])[.)][ \t]+)?(?P<title>[^\s:#>|`<][^:\n]{0,100}):[ \t]*$")
_BRANCH = re.compile(r"(?i)^(?:if|when|whenever|otherwise|else|for|in\s+case|unless|once|after|before|while|where)\b")
_BULLET = re.compile(r"^[ \t]*(?:[-*+\u2022]|\d+[.)]|[a-z][.)])[ \t]+")
_LEVEL_BOLD = 7  # a bold or capitalised heading sits under any markdown heading
_UNDERLINE = re.compile(r"^[ \t]{0,3}(?:(=)={2,}|-{3,})[ \t]*$")  # a setext heading's underline
_RULE = re.compile(r"^[ \t]{0,3}([-=*_])(?:[ \t]*\1){2,}[ \t]*$")


def find_sections(lines: Lines, tags: list[Tag]) -> tuple[Section, ...]:
    raw: list[tuple[int, int, str, str]] = []  # start, end, title, kind
    headings: list[tuple[int, int, str]] = []  # line, level, title
    underlines: dict[int, str] = {}  # a setext title's line -> its underline's character
    for i in range(len(lines)):
        line = lines.line(i)
        m = _HEADING.match(line)
        if m:
            headings.append((i, len(m.group(1)), m.group("title")))
            continue
        underlined = _setext_level(lines, i)
        if underlined:
            headings.append((i, underlined, line.strip()))
            underlines[i] = lines.line(i + 1).strip()[0]
            continue
        m = _BOLD.match(line) or _CAPS.match(line)
        if m and m.re is _CAPS and sum(c.isalpha() for c in line) < 3:
            m = None
        if m:
            headings.append((i, _LEVEL_BOLD, m.group("title").strip()))
    for n, (i, level, title) in enumerate(headings):
        stop = next((j for j, lv, _ in headings[n + 1:] if lv <= level), len(lines))
        if i in underlines:
            stop = _closing_rule(lines, i, stop, underlines)
        raw.append((lines.start(i), lines.start(stop) if stop < len(lines) else len(lines.text), title, "heading"))
    heading_lines = {i for i, _, _ in headings}
    for i in range(len(lines)):
        if i in heading_lines:
            continue
        m = _LABEL.match(lines.line(i))
        if not m or len(m.group("title").split()) > 14:
            continue
        last = _label_extent(lines, i, heading_lines)
        if last > i:
            title = m.group("title").strip()
            raw.append((lines.start(i), lines.span(i, last)[1], title, "branch" if _BRANCH.match(title) else "label"))
    for tag in tags:
        if "\n" in lines.text[tag.inner:tag.close]:
            raw.append((tag.start, tag.end, f"<{tag.name}>", "tag"))
    return _nest(raw, len(lines.text))


def _setext_level(lines: Lines, i: int) -> int:
    """1 or 2 for a title underlined with ``===`` or ``---`` ("EXAMPLE 1:" over a row of
    ``=``), standing alone after a blank line, a rule or the start; else 0. A line of text
    closing a block just above a rule ("TYPESUBMIT 8" before the example's closing
    ``====``) follows other text, so it is no title."""
    if i + 1 >= len(lines) or lines.blank(i):
        return 0
    under = _UNDERLINE.match(lines.line(i + 1))
    line = lines.line(i)
    if under is None or len(line.strip()) > 80 or _BULLET.match(line) or _RULE.match(line) \
            or line.rstrip().endswith((".", ",", ";")):
        return 0
    if i > 0 and not (lines.blank(i - 1) or _RULE.match(lines.line(i - 1))):
        return 0
    return 1 if under.group(1) else 2


def _closing_rule(lines: Lines, i: int, stop: int, underlines: dict[int, str]) -> int:
    """Where the section of the setext title on line ``i`` ends when a row of its underline's
    character closes it ("EXAMPLE 3:" / ``====`` ... ``====``): after that row, so the text
    that follows the last such block is not inside it; else ``stop``."""
    char = underlines[i]
    for j in range(i + 2, stop):
        line = lines.line(j).strip()
        if len(line) >= 3 and set(line) == {char} and (j - 1) not in underlines:
            return j + 1
    return stop


def _label_extent(lines: Lines, i: int, headings: set[int]) -> int:
    """The last line that belongs under the label on line ``i``: lines indented deeper,
    and list items, up to a line back at the label's level or a heading."""
    indent = lines.indent(i)
    last = i
    j = i + 1
    while j < len(lines):
        if j in headings:
            break
        if lines.blank(j):
            k = j + 1
            while k < len(lines) and lines.blank(k):
                k += 1
            if k >= len(lines) or k in headings or not (lines.indent(k) > indent):
                break
            j = k
            continue
        line = lines.line(j)
        deeper = lines.indent(j) > indent
        item = _BULLET.match(line) is not None and lines.indent(j) >= indent
        if not (deeper or item) or (not deeper and _LABEL.match(line)):
            break
        last = j
        j += 1
    return last


def _nest(raw: list[tuple[int, int, str, str]], length: int) -> tuple[Section, ...]:
    ordered = sorted({(s, e, t, k) for s, e, t, k in raw if e > s}, key=lambda r: (r[0], -r[1]))
    sections = [Section(0, 0, length, "", "root", None)]
    open_: list[int] = [0]
    for start, end, title, kind in ordered:
        while len(open_) > 1 and sections[open_[-1]].end <= start:
            open_.pop()
        parent = sections[open_[-1]]
        end = min(end, parent.end)  # a heading inside a tagged block ends with the block
        if end <= start:
            continue
        section = Section(len(sections), start, end, title, kind, parent.index)
        sections.append(section)
        open_.append(section.index)
    return tuple(sections)
