"""Find role/persona preambles and write the one-line role they boil down to (PL102).

A persona starts at a sentence that opens with a role ("You are a ...", "Act as ...")
and runs through the following sentences of the same paragraph that keep describing it
("You have 20 years of ...", "Your expertise ..."). The wording lives in
``rules/packs/persona.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from promptlint.checks.packs import Hit, Matcher
from promptlint.checks.prompt_text import sentences

_LEAD_IN = 32  # an opener may follow a short lead-in clause: "From now on, you are a ..."
_CLAUSE_WORDS = (r"(?:who|with|that|which|and|known|specializing|specialising|dedicated|committed|working|"
                 r"helping|whose|focused|focusing|in\s+charge|at|for|from|in)")
_CLAUSE_BREAK = re.compile(rf"\s*(?:[,;:(\u2014]|\s-\s|\.(?:\s|$)|\s{_CLAUSE_WORDS}\b)", re.IGNORECASE)


@dataclass(frozen=True)
class Persona:
    start: int
    end: int
    first_sentence: str
    superlatives: tuple[Hit, ...]


def personas(text: str, cues: Matcher) -> list[Persona]:
    openers = list(cues.iter_category("opener", text))
    if not openers:
        return []  # the common case: one regex pass and done
    found: list[Persona] = []
    sents = sentences(text)
    i = 0
    while i < len(sents):
        s = sents[i]
        opener = next((h for h in openers if s.start <= h.start <= s.start + _LEAD_IN and h.start < s.end
                       and (h.start == s.start or text[s.start:h.start].rstrip().endswith(","))), None)
        if opener is None:
            i += 1
            continue
        end = s.end
        j = i + 1
        while j < len(sents):
            nxt = sents[j]
            if "\n\n" in text[end:nxt.start]:
                break
            more = cues.search("continuation", text, nxt.start, nxt.end)
            if more is None or more.start != nxt.start:
                break
            end = nxt.end
            j += 1
        superlatives = tuple(cues.iter_category("superlative", text[s.start:end]))
        found.append(Persona(s.start, end, text[opener.start:s.end], superlatives))
        i = j
    return found


def one_line_role(sentence: str, superlatives: tuple[Hit, ...], static: Callable[[str], str]) -> str:
    """The role of ``sentence`` without superlatives and without the clauses after it:
    "You are a world-class, highly experienced support agent with 20 years ..." ->
    "You are a support agent.". ``static`` drops the sentence's hole markers (TextView.static)."""
    text = static(sentence)
    for word in sorted({h.text for h in superlatives}, key=len, reverse=True):
        # Only as a modifier: "expert" before "with ..." is the role itself.
        text = re.sub(rf"(?i)(?<!\w){re.escape(word)}(?:\s*,|\s+and)?(?=\s+(?!{_CLAUSE_WORDS}\b)[A-Za-z])", " ", text)
    text = re.sub(r"\s*,\s*(?:,\s*)+", ", ", text)
    text = re.sub(r"(?i)\b(a|an|the)\s*(?:,\s*|and\s+)+", r"\1 ", text)
    text = " ".join(text.split())
    head = re.match(r"(?i).*?\b(?:are|as|be|of|is)\b\s+(?:(?:a|an|the|my)\s+)?", text)
    rest_from = head.end() if head else 0
    cut_at = _CLAUSE_BREAK.search(text, rest_from)
    role = text[: cut_at.start()] if cut_at else text
    role = role.strip().rstrip(",;:.")
    role = re.sub(r"(?i)\b(a|an)\s+(\w)", lambda m: _article(m.group(1), m.group(2)) + " " + m.group(2), role)
    if head is None or len(role) <= head.end():
        role = " ".join(static(sentence).split()).rstrip(",;:.")
    return role[:1].upper() + role[1:] + "."


def _article(article: str, next_letter: str) -> str:
    vowel = next_letter.lower() in "aeiou"
    chosen = "an" if vowel else "a"
    return chosen.capitalize() if article[0].isupper() else chosen
