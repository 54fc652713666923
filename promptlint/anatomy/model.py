"""What a template's text is made of: regions of a kind, inside sections.

Offsets are characters of a :class:`~promptlint.checks.prompt_text.TextView` text (each
placeholder one marker character), the text every text rule reads and edits, so a region
maps back to source the same way a rule's edit does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

# Every kind of region. A rule file names the ones it reads (``reads:``) and the ones its
# fix edits (``edits:``); the fix stage refuses an edit after which another region is not
# byte-identical.
KINDS = (
    "instruction",    # prose the app wrote to tell the model what to do
    "role",           # the persona preamble: "You are a ..."
    "output-format",  # what the answer must look like: a skeleton, a schema, a format section
    "example",        # few-shot examples and transcripts: content to imitate, not instructions
    "document",       # data the prompt carries: documents, knowledge bases, text from data modules
    "code",           # code, listings, shell sessions, tool output, inline code
    "tool-schema",    # function and tool definitions written into the text
    "verbatim-reply", # text the model is told to say, quoted material
    "table",          # a markdown table or column-aligned block: its spacing is layout
)
PROSE = ("instruction", "role")


@dataclass(frozen=True)
class Region:
    kind: str
    start: int
    end: int
    why: str  # the evidence, for ``audit --anatomy`` and ``--verbose``
    section: int = 0  # index of the deepest section holding the region's start


@dataclass(frozen=True)
class Section:
    """A heading, a branch ("If it is a question:"), a tagged block, or the whole text."""

    index: int
    start: int
    end: int
    title: str
    kind: str  # root | heading | branch | label | tag
    parent: int | None = None


@dataclass(frozen=True)
class Anatomy:
    template: str
    text: str
    regions: tuple[Region, ...]
    sections: tuple[Section, ...]

    @cached_property
    def _kinds(self) -> list[str]:
        kinds = ["instruction"] * len(self.text)
        for r in self.regions:
            kinds[r.start:r.end] = [r.kind] * (r.end - r.start)
        return kinds

    def kind_at(self, offset: int) -> str:
        return self._kinds[offset] if 0 <= offset < len(self.text) else "instruction"

    def of_kinds(self, kinds) -> list[Region]:
        wanted = set(kinds)
        return [r for r in self.regions if r.kind in wanted]

    def readable(self, kinds) -> list[bool]:
        """Per character: whether a rule that reads ``kinds`` may see it."""
        wanted = set(kinds)
        return [k in wanted for k in self._kinds]

    def section_at(self, offset: int) -> int:
        best = 0
        for s in self.sections:
            if s.start <= offset < s.end and (s.end - s.start) <= (self.sections[best].end - self.sections[best].start):
                best = s.index
        return best

    def ancestors(self, index: int) -> list[int]:
        """``index`` and every section that holds it, innermost first."""
        out = []
        current: int | None = index
        while current is not None:
            out.append(current)
            current = self.sections[current].parent
        return out

    def in_scope(self, outer_offset: int, inner_offset: int) -> bool:
        """Whether what is said at ``outer_offset`` still applies at ``inner_offset``: its
        section is the same or holds the other (a rule restated under a sub-heading of the
        part that states it), not a sibling (two branches of the prompt)."""
        return self.section_at(outer_offset) in self.ancestors(self.section_at(inner_offset))

    def signature(self, kinds) -> list[tuple[str, str]]:
        """The kind and text of every region of ``kinds``, in order: what a fix that edits
        other kinds must leave byte-identical."""
        wanted = set(kinds)
        return [(r.kind, self.text[r.start:r.end]) for r in self.regions if r.kind in wanted]
