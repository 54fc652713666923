"""The declarative phrase check: PL103 filler-phrase, and every user rule written as a
phrase pack in YAML with no Python (see ``rules/README.md``).

The rule file names its wording (inline ``categories`` and/or ``packs``); this check
reports, once per prompt template, the phrases found outside quotes, with the saving of
deleting them when the rule says the wording is waste (``waste: true``, the default).
"""

from __future__ import annotations

import re

from promptlint.checks import fmt_tokens
from promptlint.checks.packs import matcher, rule_categories
from promptlint.checks.prompt_text import TextView, cut_range, prompt_index, starts_sentence
from promptlint.checks.savings import text_saving
from promptlint.types import Fix

_QUOTED = re.compile(r"\"[^\"\n]*\"|\u201c[^\u201d\n]*\u201d|`[^`\n]*`|(?<!\w)'[^'\n]*'(?!\w)")
_LISTED = 3


def quoted_ranges(text: str) -> list[tuple[int, int]]:
    """Quoted stretches: wording the model is told to say or look for, not an instruction."""
    return [(m.start(), m.end()) for m in _QUOTED.finditer(text)]


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
        view = TextView(template)
        quotes = quoted_ranges(view.text)
        hits = [h for h in cues.finditer(view.text)
                if h.text.lower() not in allowed and not any(a <= h.start and h.end <= b for a, b in quotes)]
        if not hits:
            continue
        saving = None
        text = delete_phrases(view.text, hits) if waste else view.text
        if waste:
            saving = text_saving(ctx, {template.id: view.static(text)})
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
                    view.edits(text), tokens_saved=saving.tokens if saving else None)
            if waste else None,
        )


_THANKS_FOR = re.compile(r"\s+for\b[^.!?\n]*[.!?]*")
_ALONE = re.compile(r"[.!]*(?=\s|$)|")


def delete_phrases(text: str, hits) -> str:
    """``text`` without the phrases. A sentence that began with one begins with a capital
    again; a "thank you for ..." sentence goes whole (its rest says nothing either)."""
    for hit in reversed(hits):
        start, end = hit.start, hit.end
        capital = starts_sentence(text, start)
        if hit.text.lower().startswith("thank") and capital:
            tail = _THANKS_FOR.match(text, end)
            if tail:
                end = tail.end()
        if capital:
            end = _ALONE.match(text, end).end()  # "Thank you!" as a sentence of its own goes whole
        start, end = cut_range(text, start, end)
        text = text[:start] + text[end:]
        if capital:
            m = re.compile(r"[^\W\d_]").search(text, start, start + 3)
            if m and text[start:m.start()].strip() == "" and m.group().islower():
                text = text[:m.start()] + m.group().upper() + text[m.end():]
    return text
