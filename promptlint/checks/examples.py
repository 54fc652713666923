"""Which few-shot examples add nothing (PL101): duplicates, near duplicates, too many per label.

Two examples that differ only in an order number, a date, an id or a quoted name teach
the model the same thing, so texts are compared after replacing such values with a
placeholder, as sets of word shingles (Jaccard similarity). Examples are compared within
what one request sends (a request may mix a constant's examples with inline pairs), or
within a constant no request is known to send.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from promptlint.checks.prompt_text import prompt_index
from promptlint.types import Example, Project

_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_NORMALIZERS = [
    (re.compile(r"\"[^\"\n]{1,80}\"|'[^'\n]{1,80}'|\u201c[^\u201d\n]{1,80}\u201d|`[^`\n]{1,80}`"), " <q> "),
    (re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b"), " <email> "),
    (re.compile(r"https?://\S+"), " <url> "),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), " <id> "),
    (re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}(?:[t ]\d{1,2}:\d{2}(?::\d{2})?)?\b"
                r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b"), " <date> "),
    (re.compile(rf"\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b"
                rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}(?:,?\s+\d{{4}})?\b"), " <date> "),
    (re.compile(r"\b(?=[a-z0-9_-]*\d)(?=[a-z0-9_-]*[a-z])[a-z0-9]+(?:[-_][a-z0-9]+)*\b"), " <id> "),
    (re.compile(r"\d+(?:[.,]\d+)*"), " <num> "),
]
_WORD = re.compile(r"<\w+>|\w+|[^\w\s]")


def normalize(text: str) -> list[str]:
    """Word tokens of ``text`` with numbers, dates, ids, emails, urls and quoted values
    replaced by a placeholder each."""
    out = text.lower()
    for regex, placeholder in _NORMALIZERS:
        out = regex.sub(placeholder, out)
    return _WORD.findall(out)


def similarity(a: list[str], b: list[str]) -> float:
    """Jaccard similarity of word shingles; shingles are shorter for short examples."""
    return _Shingles(a).similarity(_Shingles(b))


class _Shingles:
    """An example's tokens and their shingle sets, built once: an example is compared with
    every example kept before it, so rebuilding the sets per pair was most of the work."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self._sets: dict[int, set[tuple[str, ...]]] = {}

    def of(self, k: int) -> set[tuple[str, ...]]:
        if k not in self._sets:
            t = self.tokens
            self._sets[k] = {tuple(t[i:i + k]) for i in range(len(t) - k + 1)}
        return self._sets[k]

    def similarity(self, other: "_Shingles") -> float:
        a, b = self.tokens, other.tokens
        shortest = min(len(a), len(b))
        if shortest == 0:
            return 1.0 if a == b else 0.0
        k = 3 if shortest >= 8 else 2 if shortest >= 4 else 1
        sa, sb = self.of(k), other.of(k)
        common = len(sa & sb)
        return common / (len(sa) + len(sb) - common)


@dataclass(frozen=True)
class Redundant:
    example: Example
    reason: str
    kept: Example | None = None  # the example it repeats, when it repeats one
    exact: bool = False  # the same text, not just the same shape


def _line(example: Example) -> str:
    return f"line {example.span.line}" if example.span else "an earlier example"


def senders_of(example: Example, index, requests: set[str]) -> list[str]:
    """The requests that send ``example``. A user/assistant pair belongs to the one
    conversation it was found in (its group is that request): the same texts in another
    request's list are that request's own pair. A collection's examples belong to every
    request that sends them whole, not to one that shares a single text with them."""
    if example.group in requests:
        return [example.group]
    senders = [{r.id for r in index.requests(tid)} for tid in example.templates]
    return sorted(set.intersection(*senders)) if senders else []


# a collection that says it holds examples (``TRIAGE_EXAMPLES``, ``few_shots``, ``DEMOS``)
_EXAMPLES_NAME = re.compile(r"(?i)example|shot|demo|sample")


def redundant_examples(project: Project, threshold: float, max_examples: int) -> list[Redundant]:
    index = prompt_index(project)
    sets: dict[str, list[Example]] = {}
    requests = {r.id for r in project.requests}
    for example in project.examples:
        senders = senders_of(example, index, requests)
        if not senders and not _EXAMPLES_NAME.search(example.group.rsplit("::", 1)[-1]):
            continue  # turns no request is seen to send, in a list not named as examples: a stored conversation
        for key in senders or [example.group]:
            sets.setdefault(key, []).append(example)

    def text_of(example: Example) -> str:
        return "\n".join(project.templates[t].text for t in example.templates if t in project.templates)

    found: dict[tuple[str, ...], Redundant] = {}
    for examples in sets.values():
        ordered = sorted(examples, key=lambda e: (e.span.path, e.span.line, e.span.column) if e.span else ("", 0, 0))
        kept: list[tuple[Example, str, list[str]]] = []
        for example in ordered:
            raw = text_of(example)
            tokens = _Shingles(normalize(raw))
            reason = None
            for other, other_raw, other_tokens in kept:
                if raw.strip() == other_raw.strip():
                    reason = f"duplicates the example at {_line(other)}"
                    break
                if example.label == other.label:
                    score = tokens.similarity(other_tokens)
                    if score >= threshold:
                        reason = (f"nearly duplicates the example at {_line(other)} (similarity {score:.2f} after "
                                  "normalizing numbers, dates, ids and quoted values)")
                        break
            if reason is not None:
                exact = raw.strip() == other_raw.strip()
                found.setdefault(example.templates, Redundant(example, reason, other, exact))
            else:
                kept.append((example, raw, tokens))
        labels = [e.label for e, _, _ in kept]
        by_label: dict[str | None, list[Example]] = {}
        for example, _, _ in kept:
            if example.label is not None or not any(labels):
                by_label.setdefault(example.label, []).append(example)
        for label, group in by_label.items():
            for n, example in enumerate(group[max_examples:], start=max_examples + 1):
                what = f"labelled \"{label}\"" if label is not None else "in this set"
                found.setdefault(example.templates,
                                 Redundant(example, f"is example #{n} {what} (max-examples {max_examples})"))
    return list(found.values())


_IN_OUT = re.compile(r"(?i)\b(?:input|output|inputs|outputs|question|answer|response|request|reply)\b|[:#.\s]+")


def text_examples(anatomy) -> list[tuple[int, int]]:
    """The examples written into one prompt's text, as offsets: each example-tagged block,
    and each run of example headings that share a title but for Input/Output ("Example 3
    Input:" + "Example 3 Output:")."""
    from promptlint.anatomy.tags import EXAMPLE_WORDS, words_of

    units: list[tuple[int, int]] = []
    for region in anatomy.regions:
        if region.kind != "example" or not region.why.startswith("inside <"):
            continue
        units.append((region.start, region.end))
    headed = [s for s in anatomy.sections if s.kind in ("heading", "label") and set(words_of(s.title)) & EXAMPLE_WORDS]
    i = 0
    while i < len(headed):
        key = _IN_OUT.sub(" ", headed[i].title).strip().lower()
        j = i
        while j + 1 < len(headed) and _IN_OUT.sub(" ", headed[j + 1].title).strip().lower() == key \
                and headed[j + 1].start == headed[j].end:
            j += 1
        units.append((headed[i].start, headed[j].end))
        i = j + 1
    return sorted(set(units))
