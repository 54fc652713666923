"""Fingerprints of a request site's static text, and how well a logged call matches one.

A site sends static text with run-time holes in it (the user's question, a name, the chat
history). Its fingerprint is that text cut at every hole into **pieces**, in the order the
API sends them (system, then messages), with whitespace collapsed. A logged call matches
a site **exactly** when every piece appears in the call's text, in order: whatever the holes
held in between does not matter, so a changed user name or question never breaks the
match. It matches **approximately** when most of the site's word shingles (runs of
:data:`SHINGLE` words, taken inside pieces, never across a hole) appear in the call: the
prompt was edited after the logs were written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from promptlint.types import Project, Request

SHINGLE = 5
MIN_STATIC = 24  # characters of static text below which a site has no usable fingerprint
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+|[^\w\s]")
SECTION_BREAK = "\x1e"  # between the system text and the messages


def normalize(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def shingles(text: str) -> set[str]:
    words = _WORD.findall(text.lower())
    if not words:
        return set()
    if len(words) < SHINGLE:
        return {" ".join(words)}
    return {" ".join(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


@dataclass(frozen=True)
class Fingerprint:
    site: str  # request id
    model: str | None
    pieces: tuple[str, ...]  # static text runs between holes, system first, SECTION_BREAK between
    shingles: frozenset[str]

    @property
    def static_chars(self) -> int:
        return sum(len(p) for p in self.pieces if p != SECTION_BREAK)

    @property
    def usable(self) -> bool:
        return self.static_chars >= MIN_STATIC


def fingerprint(request: Request, project: Project) -> Fingerprint:
    system: list[str] = []
    messages: list[str] = []
    for part in request.parts:
        if part.section == "tools":
            continue  # tool schemas are rarely recorded with the messages
        target = system if part.section == "system" or part.role == "system" else messages
        template = project.templates.get(part.template) if part.template and part.hole is None else None
        if template is None:
            target.append("")  # a run-time value: a hole between pieces
            continue
        run = []
        for segment in template.segments:
            if segment.hole is not None:
                target.append("".join(run))
                run = []
            else:
                run.append(segment.text)
        target.append("".join(run))
    pieces = [normalize(p) for p in system]
    pieces.append(SECTION_BREAK)
    pieces += [normalize(p) for p in messages]
    pieces = [p for p in pieces if p]
    grams: set[str] = set()
    for piece in pieces:
        if piece != SECTION_BREAK:
            grams |= shingles(piece)
    return Fingerprint(request.id, request.model, tuple(pieces), frozenset(grams))


def call_document(system: str | None, messages: tuple[tuple[str, str], ...]) -> str:
    """A logged call's text in the fingerprint's terms: system, break, messages."""
    body = " ".join(normalize(text) for _role, text in messages)
    return f"{normalize(system or '')} {SECTION_BREAK} {body}".strip()


@dataclass(frozen=True)
class Match:
    site: str
    exact: bool  # every piece found, in order
    matched_chars: int  # static characters of the site found in the call
    containment: float  # share of the site's shingles found in the call


def match(fp: Fingerprint, document: str, grams: set[str]) -> Match:
    position = 0
    matched = 0
    for piece in fp.pieces:
        found = document.find(piece, position)
        if found < 0:
            continue
        position = found + len(piece)
        if piece != SECTION_BREAK:
            matched += len(piece)
    exact = matched == fp.static_chars
    containment = len(fp.shingles & grams) / len(fp.shingles) if fp.shingles else 0.0
    return Match(fp.site, exact, matched, containment)
