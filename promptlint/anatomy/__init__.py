"""Stage 4, between link and measure: every template's text as regions inside sections.

Rules never read raw template text. A rule file names the kinds of region it reads
(``reads: [instruction]``) and the engine hands the rule a :class:`Reading` of each
template in which everything else is blanked out; a fix names the kinds it edits and the
fix stage refuses it when any other region comes out of re-extraction changed.
See :mod:`promptlint.anatomy.model` for the kinds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from promptlint.anatomy.model import KINDS, PROSE, Anatomy, Region, Section  # noqa: F401 - the stage's data
from promptlint.anatomy.view import TextView
from promptlint.extract.fewshot import RECORDING

BLANK_INLINE = "\x01"  # stands for a blanked character inside a line: the sentence goes on
# What blanking replaces (``\s`` is ``str.isspace``): every character but whitespace, and
# inside a line also but sentence ends.
_NOT_SPACE = re.compile(r"\S")
_NOT_SPACE_OR_STOP = re.compile(r"[^\s.!?]")


class Anatomies:
    """The anatomy of every template of a project, made when first asked for."""

    def __init__(self, project, name_patterns: tuple[str, ...] = ()) -> None:
        self.project = project
        self.name_patterns = tuple(name_patterns)
        self._made: dict[str, Anatomy] = {}
        self._views: dict[str, TextView] = {}
        self._readings: dict[tuple[str, frozenset[str]], Reading] = {}  # rules reading the same kinds share one
        self.memo: dict = {}  # what rules derive from anatomies and share (PL302 and PL401: answer cues)
        self._examples = {tid for e in getattr(project, "examples", ()) for tid in e.templates}

    def __getitem__(self, template_id: str) -> Anatomy:
        found = self._made.get(template_id)
        if found is None:
            from promptlint.anatomy.build import dissect

            template = self.project.templates[template_id]
            found = self._made[template_id] = dissect(template, self.name_patterns, self._whole(template))
        return found

    def _whole(self, template) -> tuple[str, str] | None:
        if template.role == "tool":
            return ("tool-schema", "a tool definition")
        if template.id in self._examples:
            return ("example", "a few-shot example turn")
        if RECORDING in template.notes:
            return ("example", "a recorded trajectory replayed as a demonstration")
        return None

    def view(self, template_id: str) -> TextView:
        """The template's text view, made once (its text joins every segment)."""
        found = self._views.get(template_id)
        if found is None:
            found = self._views[template_id] = TextView(self.project.templates[template_id])
        return found

    def reading(self, template_id: str, kinds) -> "Reading":
        key = (template_id, frozenset(kinds))
        found = self._readings.get(key)
        if found is None:
            found = self._readings[key] = Reading(self.view(template_id), self[template_id], key[1])
        return found


def dissect_project(project, config) -> Anatomies:
    """The stage: anatomies of ``project``'s templates (built lazily, once each)."""
    return Anatomies(project, tuple(getattr(config, "prompt_name_patterns", ()) or ()))


@dataclass(frozen=True)
class Reading:
    """A template as one rule may read it: :attr:`text` is the template's text with every
    region of another kind blanked out, offset for offset (whole lines become blank lines,
    a stretch inside a line keeps its spaces and sentence ends and the rest becomes
    :data:`BLANK_INLINE`), so sentences, phrase
    hits and edits found in it are offsets of :attr:`view`'s text."""

    view: TextView
    anatomy: Anatomy
    kinds: frozenset[str]

    @cached_property
    def text(self) -> str:
        original = self.view.text
        pieces, at = [], 0
        for region in self.anatomy.regions:
            if region.kind in self.kinds or region.end <= region.start:
                continue
            if region.start < at:  # not disjoint and in order (the stage's never are): blank one by one
                return _blanked(original, self.anatomy.regions, self.kinds)
            whole = _starts_line(original, region.start) and _ends_line(original, region.end)
            pieces.append(original[at:region.start])
            blank = _NOT_SPACE if whole else _NOT_SPACE_OR_STOP
            pieces.append(blank.sub(" " if whole else BLANK_INLINE, original[region.start:region.end]))
            at = region.end
        pieces.append(original[at:])
        return "".join(pieces)

    @cached_property
    def _mask(self) -> list[bool]:
        return self.anatomy.readable(self.kinds)

    def readable(self, start: int, end: int) -> bool:
        """Whether every character of ``[start, end)`` is in a region the rule reads."""
        return all(self._mask[start:end])

    def regions(self) -> list[Region]:
        return self.anatomy.of_kinds(self.kinds)


def _blanked(original: str, regions, kinds) -> str:
    chars = list(original)
    for region in regions:
        if region.kind in kinds:
            continue
        whole = _starts_line(original, region.start) and _ends_line(original, region.end)
        for i in range(region.start, region.end):
            if not chars[i].isspace() and (whole or chars[i] not in ".!?"):
                chars[i] = " " if whole else BLANK_INLINE
    return "".join(chars)


def _starts_line(text: str, offset: int) -> bool:
    return not text[text.rfind("\n", 0, offset) + 1:offset].strip()


def _ends_line(text: str, offset: int) -> bool:
    if offset >= len(text) or text[offset - 1:offset] == "\n":
        return True
    nl = text.find("\n", offset)
    return not text[offset:nl if nl >= 0 else len(text)].strip()
