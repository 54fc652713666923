"""The role/persona preamble: "You are a ...", "Act as ...", and the sentences after it
that keep describing the persona ("You have 20 years of ...", "Your expertise ...").

The wording is the built-in persona pack (``rules/packs/persona.yaml``), which PL102 reads
too: the anatomy marks the preamble as a ``role`` region, PL102 measures it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from promptlint.anatomy.lines import Claim
from promptlint.anatomy.sentences import sentences

_LEAD_IN = 32  # an opener may follow a short lead-in clause: "From now on, you are a ..."


@dataclass(frozen=True)
class Persona:
    start: int
    end: int
    first_sentence: str
    superlatives: tuple  # of promptlint.checks.packs.Hit


def personas(text: str, cues) -> list[Persona]:
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



@lru_cache(maxsize=1)
def _builtin_cues():
    from promptlint.checks.packs import load_pack, matcher
    from promptlint.rules import builtin_rules_dir

    return matcher(load_pack(Path(builtin_rules_dir()) / "packs" / "persona.yaml"), "persona pack")


def role_claims(text: str) -> list[Claim]:
    return [Claim(p.start, p.end, "role", "a role preamble (\"You are a ...\")") for p in personas(text, _builtin_cues())]
