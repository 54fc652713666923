"""What the searches for helper and wrapper callers need of a file the prefilter skipped.

Linking asks, in several rounds, which skipped files call a wrapper of the tree
(:func:`promptlint.discover.callers`) or call a helper and import it
(:func:`promptlint.engine.caller_loader`). Each round read every skipped file again and
searched its bytes. The survey already holds each file's bytes, so it records here, once,
the facts those searches read: the words called or passed on by name, the words called as
:func:`promptlint.discover._caller_check` sees a call, and the words of the import lines.
A round is then set lookups. The facts give exactly the answers the byte searches give
(``tests/test_name_index.py`` compares them); where they could not (a name beyond ASCII,
a call whose name stands far from its parenthesis), :class:`NameIndex` answers None and
the caller searches the bytes as before.

The patterns run over the reversed bytes: each then starts at a parenthesis or a comma,
which the regex engine finds at memory-search speed, instead of being tried at every
byte (three times faster on a large tree's skipped files).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

# Reversed: ``name (`` ``name,`` ``name)`` ``name]`` (what named_uses finds).
_USES = re.compile(rb"[(,)\]]\s*+(\w++)")
# Reversed: ``a.b.name (`` with at most three parts before the name and none before those,
# and ``.name ,`` (what _caller_check finds); the first group is the gap.
_CALLS = re.compile(rb"\((\s*+)(\w++)(?:\.\w++){0,3}+(?![\w.])|,(\s*+)(\w++)\.")
_IMPORT_LINE = re.compile(rb"\n[ \t]*+(?:from|import)[ \t]([^\n]*+)")
_WORD = re.compile(rb"\w+")
_SIMPLE = re.compile(r"[A-Za-z0-9_]+")
# _caller_check looks this far past a name (plus the longest name's length): a call whose
# parenthesis stands further away is found or not depending on what else is near it.
NEAR = 60


@dataclass(frozen=True)
class NameFacts:
    """Each set of words as one string, every word on its own line (``"\nask\nllm\n"``):
    three objects per file rather than a hundred, which a large tree's thousand skipped
    files left scattered over the heap (10 MB more at the run's peak)."""

    uses: str  # words followed by ``(``, ``,``, ``)`` or ``]`` (after any blanks)
    calls: str  # words called as _caller_check sees a call
    imports: str  # words of import lines after their ``from``/``import``
    far: bool = False  # a call whose name stands NEAR or more blanks from its ``(`` or ``,``

    def has(self, words: str, name: str) -> bool:
        return f"\n{name}\n" in words


def _lines(words: Iterable[bytes]) -> str:
    return "\n" + "".join(w.decode() + "\n" for w in words) if words else "\n"


def name_facts(data: bytes) -> NameFacts:
    back = data[::-1]
    uses = {w[::-1] for w in set(_USES.findall(back))}
    calls: set[bytes] = set()
    far = False
    for gap, name, dot_gap, dotted in _CALLS.findall(back):
        calls.add(name or dotted)
        far = far or len(gap) >= NEAR or len(dot_gap) >= NEAR
    words = set(_WORD.findall(b"\n".join(_IMPORT_LINE.findall(b"\n" + data))))
    return NameFacts(_lines(sorted(uses)), _lines(sorted(w[::-1] for w in calls)), _lines(sorted(words)), far)


def simple(name: str) -> bool:
    """A name the facts can answer for: ASCII word characters (what ``\\w`` matches in
    bytes); any other takes the byte search."""
    return _SIMPLE.fullmatch(name) is not None


class NameIndex:
    """The facts of the skipped files the survey read, with the content hash each was
    read at (for the cache's memos of the answers)."""

    def __init__(self, facts: Mapping[str, tuple[str, NameFacts]] | None = None) -> None:
        self.facts = dict(facts or {})

    def digest(self, rel: str) -> str | None:
        got = self.facts.get(rel)
        return got[0] if got is not None else None

    def calls_any(self, rel: str, names: Iterable[str]) -> bool | None:
        """Whether the file calls one of ``names`` as _caller_check sees it; None: ask the bytes."""
        got = self.facts.get(rel)
        if got is None or got[1].far:
            return None
        names = list(names)
        if not all(n.isascii() for n in names):
            return None
        facts = got[1]
        return any(facts.has(facts.calls, n) for n in names)

    def uses_imported(self, rel: str, tests: Mapping[str, Iterable[tuple[str, str]]] | tuple) -> bool | None:
        """Whether the file calls or passes on one of the names ``tests`` keys by name and
        has an import line naming one of the words paired with it (what caller_loader's
        search answers); None: ask the bytes. ``tests`` may be given :meth:`prepared`, as a
        search over every skipped file does (the lines it looks for made once, not per file)."""
        got = self.facts.get(rel)
        if got is None:
            return None
        uses, imports = got[1].uses, got[1].imports
        for name, words in (tests if type(tests) is tuple else self.prepared(tests)):
            if name in uses and any(word in imports for word in words):
                return True
        return False

    @staticmethod
    def prepared(tests: Mapping[str, Iterable[tuple[str, str]]]) -> tuple:
        """``tests`` as the lines :meth:`uses_imported` looks for in a file's facts."""
        return tuple((f"\n{name}\n", tuple(f"\n{w}\n" for pair in pairs for w in pair)) for name, pairs in tests.items())

    @staticmethod
    def answers(tests: Mapping[str, Iterable[tuple[str, str]]]) -> bool:
        """Whether :meth:`uses_imported` can answer for these names and words."""
        return all(simple(n) and all(simple(w) for pair in pairs for w in pair) for n, pairs in tests.items())
