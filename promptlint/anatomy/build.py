"""One template's anatomy: detectors claim stretches of its text, strongest first.

Priority decides overlaps: text interpolated from a data constant is a document whatever
it looks like; an example stays an example when it holds a document or a format line;
an answer skeleton after "Respond in this format:" is the format even though its tags
look like documents; code beats tables beats quotes; what nobody claims is instruction.
"""

from __future__ import annotations

import bisect
import re

from promptlint.anatomy import blocks, formats, inline, role, tags as tagging, turns
from promptlint.anatomy.lines import Claim, Lines
from promptlint.anatomy.model import Anatomy, Region
from promptlint.anatomy.sections import find_sections
from promptlint.anatomy.view import TextView
from promptlint.globs import match_name
from promptlint.types import Template

_DATA_FOLDERS = re.compile(r"(?:^|/)(?:data|datasets?|fixtures|samples|examples?|corpus|documents?)/")


def dissect(template: Template, name_patterns: tuple[str, ...] = (), whole: tuple[str, str] | None = None) -> Anatomy:
    """``whole`` (kind, why) claims the entire text first: a few-shot turn is an example
    whatever it says, a tool's text is its schema."""
    view = TextView(template)
    text = view.text
    lines = Lines(text)
    found_tags = tagging.find_tags(text)
    found_fences = blocks.fences(lines)
    tag_claims = tagging.tag_claims(found_tags)
    sections = find_sections(lines, found_tags)
    claims: list[Claim] = [Claim(0, len(text), *whole)] if whole else []
    claims += origin_claims(template, name_patterns)
    claims += blocks.delimited_examples(lines)
    claims += [c for c in tag_claims if c.kind == "example"]
    claims += example_section_claims(sections)
    claims += formats.format_claims(lines, found_tags, found_fences)
    claims += blocks.fence_claims(lines, found_fences)
    claims += [c for c in tag_claims if c.kind != "example"]
    claims += turns.transcripts(lines)
    claims += blocks.listings(lines)
    claims += blocks.shell_sessions(lines)
    claims += blocks.commands(lines)
    claims += blocks.indented_code(lines)
    claims += blocks.json_lines(lines)
    claims += blocks.tables(lines)
    claims += blocks.block_quotes(lines)
    claims += formats.section_claims(sections, lines)
    claims += inline.inline_claims(text)
    claims += role.role_claims(text)
    anatomy = Anatomy(template.id, text, (), sections)
    regions = tuple(Region(kind, a, b, why, anatomy.section_at(a)) for a, b, kind, why in resolve(claims, len(text)))
    return Anatomy(template.id, text, regions, sections)


def resolve(claims: list[Claim], length: int) -> list[tuple[int, int, str, str]]:
    """Every character to the first claim on it; the rest is instruction. Adjacent
    stretches of the same kind and evidence are one region."""
    taken: list[tuple[int, int]] = []  # disjoint, sorted
    pieces: list[tuple[int, int, str, str]] = []
    for claim in claims:
        start, end = max(0, claim.start), min(length, claim.end)
        if end <= start:
            continue
        for a, b in _free(taken, start, end):
            pieces.append((a, b, claim.kind, claim.why))
        _take(taken, start, end)
    pieces.sort()
    out: list[tuple[int, int, str, str]] = []
    at = 0
    for a, b, kind, why in pieces + [(length, length, "", "")]:
        if a > at:
            out.append((at, a, "instruction", "prose"))
        if b > a:
            if out and out[-1][1] == a and out[-1][2:] == (kind, why):
                out[-1] = (out[-1][0], b, kind, why)
            else:
                out.append((a, b, kind, why))
        at = max(at, b)
    return out


def _free(taken: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    out = []
    at = start
    i = bisect.bisect_left(taken, (start, start))
    if i > 0 and taken[i - 1][1] > start:
        i -= 1
    while i < len(taken) and taken[i][0] < end:
        a, b = taken[i]
        if a > at:
            out.append((at, a))
        at = max(at, b)
        i += 1
    if at < end:
        out.append((at, end))
    return out


def _take(taken: list[tuple[int, int]], start: int, end: int) -> None:
    i = bisect.bisect_left(taken, (start, start))
    if i > 0 and taken[i - 1][1] >= start:
        i -= 1
    j = i
    while j < len(taken) and taken[j][0] <= end:
        start, end = min(start, taken[j][0]), max(end, taken[j][1])
        j += 1
    taken[i:j] = [(start, end)]


def example_section_claims(sections) -> list[Claim]:
    """A section headed as an example ("## Example 2 Input:", "For example:", "Examples:")."""
    return [Claim(s.start, s.end, "example", f"under the heading \"{s.title}\"") for s in sections
            if s.kind in ("heading", "label", "branch") and set(tagging.words_of(s.title)) & tagging.EXAMPLE_WORDS]


def origin_kind(origin: str, name_patterns: tuple[str, ...]) -> str | None:
    """What text spliced in from the named value ``origin`` (``path::name``) is: ``None``
    for prompt text (a prompt-named constant, a prompt file, a neutral name), a document or
    an example when the name or the module's folder says data."""
    path, _, name = origin.partition("::")
    if not name:
        return None  # a prompt file's own text
    head = re.match(r"[\w.]+", name)
    ident = (head.group() if head else name).rsplit(".", 1)[-1]
    if any(match_name(p, ident) for p in name_patterns) and not match_name("*EXAMPLES*", ident):
        return None
    words = set(tagging.words_of(ident))
    if words & tagging.EXAMPLE_WORDS:
        return "example"
    if words & tagging.DOCUMENT_WORDS or _DATA_FOLDERS.search(path):
        return "document"
    return None


def origin_claims(template: Template, name_patterns: tuple[str, ...]) -> list[Claim]:
    out = []
    at = 0
    for seg in template.segments:
        length = 1 if seg.hole is not None else len(seg.text)
        if seg.hole is None and seg.origin and seg.origin != template.id:
            kind = origin_kind(seg.origin, name_patterns)
            if kind is not None:
                out.append(Claim(at, at + length, kind, f"text of `{seg.origin}`, a data value, not a prompt"))
        at += length
    return out
