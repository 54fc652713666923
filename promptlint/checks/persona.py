"""Find role/persona preambles and write the one-line role they boil down to (PL102).

A persona starts at a sentence that opens with a role ("You are a ...", "Act as ...")
and runs through the following sentences of the same paragraph that keep describing it
("You have 20 years of ...", "Your expertise ..."). The wording lives in
``rules/packs/persona.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from promptlint.checks.packs import Hit, Matcher
from promptlint.anatomy.role import Persona, personas  # noqa: F401 - PL102 reads them from here
from promptlint.checks.prompt_text import static

_CLAUSE_WORDS = (r"(?:who|with|that|which|and|known|specializing|specialising|dedicated|committed|working|"
                 r"helping|whose|focused|focusing|in\s+charge|at|for|from|in)")
_CLAUSE_BREAK = re.compile(rf"\s*(?:[,;:(\u2014]|\s-\s|\.(?:\s|$)|\s{_CLAUSE_WORDS}\b)", re.IGNORECASE)


# Clauses that only inflate the persona: credentials, years, reputation, passion.
_INFLATION = re.compile(
    r"(?i)\b(?:years?|decades?|experience[ds]?|expertise|known|renowned|famous|recogni[sz]ed|respected|reputation|"
    r"award|passion(?:ate)?|skills?|talent(?:ed)?|credentials|career|track\s+record|worked|helped|spent|built|led|"
    r"has\s+written|have\s+written|mastered|unmatched|unparalleled|best|greatest)\b")
# What a role says that the model needs: who it works for, what it sells, for whom, in which language.
_AUDIENCE = re.compile(
    r"(?i)\b(?:customers?|users?|clients?|businesses|companies|firms|shops|stores|agencies|schools|clinics|"
    r"hospitals|developers?|engineers?|students?|patients?|parents|families|children|teachers|doctors|nurses|"
    r"kids|beginners|teams?|employees|staff|readers?|buyers?|sellers?|members?|visitors?|callers?|partners?|"
    r"sells?|makes?|builds?|offers?|provides?|develops?|runs?|operates?|"
    r"English|Spanish|French|German|Italian|Portuguese|Dutch|Japanese|Chinese|Korean|Arabic|Hindi|Russian|Polish)\b")
_PROPER = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w&'-]*[A-Za-z]")
# Where the role noun phrase ends, and where the clauses after it split.
_NOUN_END = re.compile(r"\s*(?:[,;(\u2014]|\s-\s)\s*|\s+(?=(?:who|whose|with|known|working|helping|specializ|"
                       r"specialis|dedicated|committed|focused|passionate)\b)", re.IGNORECASE)
_PIECE_BREAK = re.compile(r"\s*(?:[,;(\u2014]|\s-\s)\s*|\s+(?=(?:who|whose)\b)", re.IGNORECASE)
_ADJECTIVE = re.compile(r"(?i)(?:ed|ful|ive|ous|ic|al|ent|ant|ble|ing|ly|est)$")


def one_line_role(sentences: list[str], superlatives: tuple[Hit, ...]) -> str | None:
    """The persona without its inflation: the first sentence's role without superlatives,
    followed by the clauses and sentences that carry a fact (the company, its product,
    the audience, the language), and nothing else. "You are a world-class support agent
    with 20 years of experience, working for Acme Cloud, a company that sells storage to
    small businesses." -> "You are a support agent working for Acme Cloud, a company that
    sells storage to small businesses." None when no role noun is left standing."""
    words = sorted({" ".join(h.text.lower().split()) for h in superlatives}, key=len, reverse=True)
    first = _without_superlatives(" ".join(static(sentences[0]).split()), words)
    head = re.match(r"(?i).*?\b(?:are|as|be|of|is)\b\s+(?:(?:a|an|the|my)\s+)?", first)
    if head is None:
        return None
    cut = _noun_end(first, head.end())
    role = (first[:cut.start()] if cut else first).strip().rstrip(",;:.")
    noun = role[head.end():].split()
    if not noun or noun[-1].lower() in words and len(noun) == 1 and not _is_noun(noun[-1]):
        return None
    out = role
    rest = first[cut.start():] if cut else ""
    for piece in _pieces(rest):
        if _fact(piece) and not _INFLATION.search(piece) and not _has_superlative(piece, words):
            joined = re.sub(r"^(?:and|or)\s+", "", piece.strip(" ,;"))
            out += (" " if re.match(r"(?i)(?:who|whose|which|that|working|helping|for|at|in)\b", joined) else ", ") + joined
    out = re.sub(r"(?i)\b(a|an)\s+(\w)", lambda m: _article(m.group(1), m.group(2)) + " " + m.group(2), out)
    out = out.rstrip(",;: .") + "."
    for sentence in sentences[1:]:
        text = " ".join(static(sentence).split())
        if _fact(text) and not _INFLATION.search(text):
            out += " " + _without_superlatives(text, words)
    return out[:1].upper() + out[1:]


def _noun_end(text: str, start: int):
    """The first break after the role noun; a comma between two adjectives ("a
    talented, careful reviewer") is inside the noun phrase."""
    for m in _NOUN_END.finditer(text, start):
        before = text[start:m.start()].split()
        if m.group().strip() == "," and len(before) == 1 and _ADJECTIVE.search(before[0]):
            continue
        return m
    return None


def _pieces(rest: str) -> list[str]:
    """The clauses after the role noun, split where a new clause starts."""
    rest = rest.strip().rstrip(".!")
    if not rest:
        return []
    bounds = [0] + [m.end() for m in _PIECE_BREAK.finditer(rest) if m.end() > 0] + [len(rest)]
    return [rest[a:b].strip(" ,;") for a, b in zip(bounds, bounds[1:]) if rest[a:b].strip(" ,;")]


def _fact(text: str) -> bool:
    return bool(_AUDIENCE.search(text) or _PROPER.search(text) or re.search(r"[\"\u201c]", text))


def _has_superlative(text: str, words: list[str]) -> bool:
    low = text.lower()
    return any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", low) for w in words)


def _is_noun(word: str) -> bool:
    """A superlative that is the role itself ("You are an expert.") stays."""
    return word.lower() in {"expert", "genius", "master", "professional", "specialist", "authority", "veteran"}


def _without_superlatives(text: str, words: list[str]) -> str:
    """``text`` without superlatives used as modifiers: a word before another word of the
    same noun phrase goes ("a world-class, highly experienced agent" -> "a agent"), the
    noun itself stays ("an expert in tax law")."""
    for word in words:
        pattern = rf"(?i)(?<!\w){re.escape(word)}(?:\s*,|\s+and)?\s+(?=(?!(?:who|with|in|at|for|from|that|and|on)\b)[A-Za-z])"
        text = re.sub(pattern, "", text)
    text = re.sub(r"\s*,\s*(?:,\s*)+", ", ", text)
    text = re.sub(r"(?i)\b(a|an|the)\s*(?:,\s*|and\s+)+", r"\1 ", text)
    return " ".join(text.split())


def _article(article: str, next_letter: str) -> str:
    vowel = next_letter.lower() in "aeiou"
    chosen = "an" if vowel else "a"
    return chosen.capitalize() if article[0].isupper() else chosen
