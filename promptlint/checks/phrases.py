"""The declarative phrase check: PL103 filler-phrase, and every user rule written as a
phrase pack in YAML with no Python (see ``rules/README.md``).

The rule file names its wording (inline ``categories`` and/or ``packs``) and the regions
it reads (``reads``, default: instructions); this check reports, once per prompt
template, the phrases found there, with the saving of deleting them when the rule says
the wording is waste (``waste: true``, the default).

A waste phrase is reported only where deleting it leaves a sentence that reads and means
the same. "Please" and "to the best of your ability" are adjuncts: they go anywhere. A
lead-in ("make sure to", "I want you to", "it is crucial that you") goes only at the head
of a sentence or clause and only when a verb follows: "make sure that you have
implemented all requirements" is the check itself, "questions that I need you to answer"
is a relative clause, "when you're done make sure to:" introduces a list — none of those
is filler, so none is reported.
"""

from __future__ import annotations

import re

from promptlint.checks import fmt_tokens
from promptlint.checks.packs import matcher, rule_categories
from promptlint.checks.prompt_text import edits_between, prompt_index, static
from promptlint.checks.savings import text_saving
from promptlint.types import Fix

_LISTED = 3
# Words after which a deleted lead-in would leave no instruction: an auxiliary makes the
# rest a statement to check ("have implemented"), a determiner or pronoun a bare noun.
_NOT_A_VERB = {
    "have", "has", "had", "are", "is", "am", "was", "were", "be", "been", "being", "did", "do", "does", "can",
    "could", "will", "would", "should", "shall", "may", "might", "must", "got", "get", "a", "an", "the", "this",
    "that", "these", "those", "my", "your", "our", "their", "his", "her", "its", "some", "any", "it", "them",
    "they", "we", "i", "he", "she", "there", "here", "all", "each", "every", "no", "not",
}
_LEAD_IN_END = re.compile(r"(?i)(?:\bto|\bthat|\byou|\bcould|\bif\s+you)$")
_SENTENCE_HEAD = re.compile(r"^[\s>*_~`#-]*(?:(?:\d+|[a-z])[.)]\s+)?[\s*_~`]*$")
_AFTER_STOP = re.compile(r"[.!?:;][\"')\]*_~`]*\s+[\s*_~`]*$")
_AFTER_JOIN = re.compile(r"(?i)(?:,|\band|\bthen|\bor|\bbut|\bso)\s+$")
_AFTER_MODAL = re.compile(r"(?i)\b(?:should|must|will|shall|always|also)\s+$")  # "you should make sure to use"
_WORD = re.compile(r"[^\W\d_][\w'-]*")
_THANKS_SENTENCE = re.compile(r"(?i)(?:\s+(?:so\s+much|very\s+much|in\s+advance))?(?:\s+for\b[^.!?\n]*)?[.!]*(?=\s|$)")


def phrase_rule(ctx):
    categories = rule_categories(ctx)
    if not categories:
        return
    cues = matcher(categories, ctx.rule.source)
    allowed = {a.lower() for a in ctx.options.get("allow") or []}
    minimum = int(ctx.options.get("min-tokens", 1))
    waste = bool(ctx.rule.data.get("waste", True))
    index = prompt_index(ctx.project)
    for template in index.instruction_templates():
        reading = ctx.read(template.id)
        hits = [h for h in cues.finditer(reading.text) if h.text.lower() not in allowed]
        if not hits:
            continue
        view = reading.view
        saving = None
        if waste:
            text, hits = delete_phrases(view.text, hits)
            if not hits:
                continue
            saving = text_saving(ctx, {template.id: static(text)})
            if saving is None or saving.tokens < minimum:
                continue
        counts: dict[str, int] = {}
        for hit in hits:
            key = " ".join(hit.text.lower().split())
            counts[key] = counts.get(key, 0) + 1
        listed = ", ".join(f"\"{k}\"" + (f" x{n}" if n > 1 else "") for k, n in list(counts.items())[:_LISTED])
        more = f" and {len(counts) - _LISTED} more" if len(counts) > _LISTED else ""
        kinds = sorted({h.category for h in hits})
        cost = f" cost {fmt_tokens(saving.tokens)} tokens per request" if saving else ""
        yield ctx.finding(
            view.locate(hits[0].start),
            f"{len(hits)} {'/'.join(kinds)} phrase{'s' if len(hits) != 1 else ''} ({listed}{more}){cost}",
            template=template.id, request=index.sole_request(template.id), saving=saving,
            fix=Fix("unsafe", "delete the phrases; the instructions read the same without them",
                    edits_between(template.id, view.text, text), tokens_saved=saving.tokens if saving else None)
            if waste else None,
        )


def deletion(text: str, hit) -> tuple[int, int, bool] | None:
    """What deleting ``hit`` takes out of ``text`` (start, end, and whether the next word
    starts the sentence now), or None when the sentence would not read the same without it."""
    start, end = hit.start, hit.end
    phrase = " ".join(hit.text.lower().split())
    line_start = text.rfind("\n", 0, start) + 1
    head = text[line_start:start]
    at_start = bool(_SENTENCE_HEAD.match(head)) or bool(_AFTER_STOP.search(head))
    after_join = bool(_AFTER_JOIN.search(head))
    if phrase.startswith(("thank", "many thanks")):
        if not at_start:
            return None
        tail = _THANKS_SENTENCE.match(text, end)
        end = tail.end() if tail else end
        rest = text[end:text.find("\n", end) if "\n" in text[end:] else len(text)]
        if rest.strip() and not re.match(r"\s+[A-Z]", rest):
            return None
        return _widen(text, start, end, False)
    if _LEAD_IN_END.search(phrase):
        if not (at_start or after_join or (phrase.endswith(" to") and _AFTER_MODAL.search(head))):
            return None
        m = re.compile(r"\s+").match(text, end)
        nxt = _WORD.match(text, m.end() if m else end)
        if phrase.endswith("that") and nxt and nxt.group().lower() == "you":
            end = nxt.end()
            m = re.compile(r"\s+").match(text, end)
            nxt = _WORD.match(text, m.end() if m else end)
        elif phrase.endswith("that"):
            return None  # "it is important that the answer ..." is not an instruction without it
        if nxt is None or not nxt.group()[:1].islower() or nxt.group().lower() in _NOT_A_VERB:
            return None
        return _widen(text, start, end, at_start)
    # An adjunct ("please", "to the best of your ability") goes with one comma next to it.
    comma_after = re.compile(r",\s*").match(text, end)
    if comma_after:
        end = comma_after.end() if at_start else end
    before = text[:start]
    if re.search(r",\s*$", before) and re.match(r"\s*[.!?]", text[end:]):
        start = len(before.rstrip().rstrip(","))
    if at_start and not re.match(r"\s*[^\W\d_]", text[end:]):
        return None  # "Please." with nothing after it
    return _widen(text, start, end, at_start)


def _widen(text: str, start: int, end: int, capital: bool) -> tuple[int, int, bool]:
    """The cut with the whitespace that joined the phrase to its neighbours: one space
    stays between words, none before punctuation, none after an opening mark."""
    before, after = text[:start], text[end:]
    if re.match(r"[,.;:!?)\]]", after):
        start = len(before.rstrip(" \t"))
    elif after[:1] in (" ", "\t") and (before[-1:] in ("", " ", "\t", "\n") or before[-1:] in "*_`(\"'[>"):
        end += len(after) - len(after.lstrip(" \t"))
    elif before[-1:] in (" ", "\t") and after[:1] in ("", "\n"):
        start = len(before.rstrip(" \t"))
    if (start == 0 or text[start - 1] == "\n") and text[end:end + 1] == "\n":
        end += 1  # the line the phrase filled goes with it
    return start, end, capital


def delete_phrases(text: str, hits) -> tuple[str, list]:
    """``text`` without every phrase that can go cleanly, left to right (so "Please make
    sure to include" loses both), and the hits deleted."""
    from promptlint.checks.packs import Hit

    done = []
    shift = 0
    for hit in hits:
        moved = Hit(hit.category, hit.start - shift, hit.end - shift, hit.text)
        cut = deletion(text, moved)
        if cut is None:
            continue
        text = apply_deletions(text, [cut])
        shift += cut[1] - cut[0]
        done.append(hit)
    return text, done


def apply_deletions(text: str, cuts: list[tuple[int, int, bool]]) -> str:
    """``text`` without the cut ranges; a sentence that began with a deleted phrase begins
    with a capital again (after any markup: ``**Use your tools**``)."""
    for start, end, capital in sorted(set(cuts), reverse=True):
        text = text[:start] + text[end:]
        if capital:
            m = re.compile(r"[^\W\d_]").search(text, start, start + 6)
            if m and not text[start:m.start()].strip(" *_~`\"'(") and m.group().islower():
                text = text[:m.start()] + m.group().upper() + text[m.end():]
    return text
