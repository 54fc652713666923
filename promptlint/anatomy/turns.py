"""Transcripts written inline: turns that start with a speaker label.

``USER:`` / ``A:``, ``Agent:`` / ``Customer:``, ``H:`` / ``A:``, ``Input:`` / ``Output:``:
a run of labelled lines is a transcript (or a set of input/output examples) when the
speakers alternate and someone speaks twice, or when a conventional pair of chat roles
takes turns. ``Question: {q}`` / ``Correct answer: {a}`` / ``Generated answer: {b}`` — three
labels, each once — is a form to fill in, not a transcript.
"""

from __future__ import annotations

import re

from promptlint.anatomy.lines import Claim, Lines

_SPEAKER = re.compile(r"^[ \t]*(?P<who>[A-Z][A-Za-z']{0,24}(?:[ ][A-Z][A-Za-z']{0,24}){0,2}|[A-Z]{1,3})[ \t]*:(?:[ \t]|$)")
CHAT_ROLES = {"user", "assistant", "human", "h", "a", "ai", "bot", "system", "model", "agent", "customer", "q",
              "caller", "client", "me", "you"}
# Labels of a field or a note, not of someone speaking.
NOT_SPEAKERS = {"note", "notes", "important", "warning", "caution", "tip", "hint", "remember", "reminder", "rule",
                "rules", "goal", "task", "instructions", "instruction", "constraint", "constraints", "requirements",
                "format", "step", "steps", "title", "description", "name", "date", "status", "priority", "category",
                "subject", "from", "to", "cc", "example", "examples", "context", "background", "summary", "tags"}
_STOP = re.compile(r"^[ \t]*(?:#{1,6}[ \t]|[-=_*]{3,}[ \t]*$)")
_TAG_LINE = re.compile(r"^[ \t]*</?[A-Za-z][^<>\n]*>[ \t]*$")
MAX_TURN_GAP = 60  # lines a turn may run before the next speaker (tool output, code)


def transcripts(lines: Lines) -> list[Claim]:
    turns = [(i, m.group("who")) for i in range(len(lines))
             if (m := _SPEAKER.match(lines.line(i))) and m.group("who").lower() not in NOT_SPEAKERS]
    out: list[Claim] = []
    group: list[tuple[int, str]] = []
    for turn in turns:
        if group and (turn[0] - group[-1][0] > MAX_TURN_GAP or _stopped(lines, group[-1][0], turn[0])):
            out += _transcript(lines, group)
            group = []
        group.append(turn)
    out += _transcript(lines, group)
    return out


def _stopped(lines: Lines, a: int, b: int) -> bool:
    """A heading or a horizontal rule between two labelled lines: they belong to
    different parts of the prompt."""
    return any(_STOP.match(lines.line(k)) for k in range(a + 1, b))


def _transcript(lines: Lines, group: list[tuple[int, str]]) -> list[Claim]:
    if len(group) < 2:
        return []
    speakers = [who.lower() for _, who in group]
    distinct = set(speakers)
    changes = sum(1 for a, b in zip(speakers, speakers[1:]) if a != b)
    repeated = any(speakers.count(s) > 1 for s in distinct)
    chat = len(distinct) >= 2 and distinct <= CHAT_ROLES and changes >= 1
    if not (chat or (len(distinct) >= 2 and repeated and changes >= 2 and len(distinct) <= 4)):
        return []
    first, last = group[0][0], group[-1][0]
    while last + 1 < len(lines) and not lines.blank(last + 1) and not _STOP.match(lines.line(last + 1)) \
            and not _TAG_LINE.match(lines.line(last + 1)):
        last += 1  # the last turn runs to the end of its paragraph (or to a tag that closes the block)
    names = "/".join(dict.fromkeys(who for _, who in group))
    return [Claim(*lines.span(first, last), "example", f"a transcript of turns ({names})")]
