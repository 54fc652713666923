"""The output specification: what the answer must look like.

"Respond in the following XML format:" followed by a skeleton, a ``<format>`` block, a
section headed "Output format": the skeleton's fields (``<explanation>``, ``"reasoning"``)
say how long the answer is, which a cue inside it ("true/false") does not.
"""

from __future__ import annotations

import re

from promptlint.anatomy.blocks import Fence
from promptlint.anatomy.lines import Claim, Lines
from promptlint.anatomy.model import Section
from promptlint.anatomy.tags import Tag

_FORMAT_WORD = r"(?:format|formatting|structure|schema|template|layout|skeleton|shape)"
_CUE_FORMAT = re.compile(rf"(?i)\b{_FORMAT_WORD}\b[^\n]{{0,80}}:\s*$")
_CUE_FOLLOWS = re.compile(r"(?i)\b(?:like\s+this|as\s+follows|the\s+following|this\s+way|exactly\s+this)\s*:\s*$")
_OUTPUT_WORD = re.compile(r"(?i)\b(?:respond|reply|answer|output|return|response|produce|print|write|format)\w*\b")
FORMAT_TITLE = re.compile(rf"(?i)\b(?:output|response|answer|reply|result)s?\s+{_FORMAT_WORD}\b|^\W*{_FORMAT_WORD}\W*$"
                          r"|\bexpected\s+output\b|^\W*output\W*$")


def is_cue(line: str) -> bool:
    return bool(_CUE_FORMAT.search(line)) or (bool(_CUE_FOLLOWS.search(line)) and bool(_OUTPUT_WORD.search(line)))


def format_claims(lines: Lines, tags: list[Tag], fences: list[Fence]) -> list[Claim]:
    """The skeleton that follows a format cue line: a fenced block, a tagged block (and the
    tags right after it), a JSON value, or the paragraph."""
    out = []
    fence_at = {f.first: f for f in fences}
    tag_at: dict[int, Tag] = {}
    for tag in tags:
        tag_at.setdefault(tag.start, tag)
    for i in range(len(lines)):
        line = lines.line(i)
        if not is_cue(line):
            continue
        k = i + 1
        if k < len(lines) and lines.blank(k):
            k += 1
        if k >= len(lines) or lines.blank(k):
            continue
        last = _skeleton_end(lines, k, fence_at, tag_at)
        cue = " ".join(line.split())
        out.append(Claim(*lines.span(k, last), "output-format", f"the answer format after \"{cue[-60:]}\""))
    return out


def _skeleton_end(lines: Lines, k: int, fence_at: dict[int, Fence], tag_at: dict[int, Tag]) -> int:
    if k in fence_at:
        return fence_at[k].last
    text = lines.text
    first = lines.line(k)
    lead = lines.start(k) + len(first) - len(first.lstrip())
    if first.lstrip().startswith(("{", "[")):
        end = _bracket_end(text, lead)
        if end is not None:
            return lines.index(end - 1)
    last = k
    while last + 1 < len(lines) and not lines.blank(last + 1):
        last += 1
    tag = tag_at.get(lead)
    if tag is not None:
        last = max(last, lines.index(tag.end - 1))
    return last


def _bracket_end(text: str, start: int) -> int | None:
    """End of the balanced ``{...}`` / ``[...]`` starting at ``start`` (strings skipped)."""
    depth = 0
    quote = None
    i = start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch == '"':
            quote = ch
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


_STRUCTURED = re.compile(r'[{}\[\]<>|]|^\s*"|^\s*[\w -]{1,30}:\s*\S')


def section_claims(sections: tuple[Section, ...], lines: Lines) -> list[Claim]:
    """The skeletons in a section headed "Output format", "Response format", "Output": its
    paragraphs that are structure (JSON, tags, ``key: value`` lines), not the sentences
    around them, which stay instructions."""
    out = []
    for s in sections:
        if s.kind not in ("heading", "label") or not FORMAT_TITLE.search(s.title):
            continue
        first, last = lines.index(s.start) + 1, lines.index(max(s.start, s.end - 1))
        i = first
        while i <= last:
            if lines.blank(i):
                i += 1
                continue
            j = i
            while j + 1 <= last and not lines.blank(j + 1):
                j += 1
            body = [lines.line(k) for k in range(i, j + 1)]
            if sum(1 for line in body if _STRUCTURED.search(line)) * 2 >= len(body):
                out.append(Claim(*lines.span(i, j), "output-format", f"under the heading \"{s.title}\""))
            i = j + 1
    return out
