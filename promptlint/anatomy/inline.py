"""Regions inside a line: inline code and quoted text.

Both sit inside an instruction (`Reply "yes" or "no"`, "run `pytest -q`"): a rule that
reads instructions still sees the sentence around them, but not their words, and no fix
touches their spacing.
"""

from __future__ import annotations

import re

from promptlint.anatomy.lines import Claim

_CODE = re.compile(r"(`{1,2})(?!`)([^`\n]+?)\1(?!`)")
_QUOTED = re.compile(r"\"[^\"\n]{1,300}\"|\u201c[^\u201d\n]{1,300}\u201d|(?<!\w)'[^'\n]{1,300}'(?!\w)")


def inline_claims(text: str) -> list[Claim]:
    out = [Claim(m.start(), m.end(), "code", "inline code") for m in _CODE.finditer(text)]
    out += [Claim(m.start(), m.end(), "verbatim-reply", "quoted text") for m in _QUOTED.finditer(text)]
    return out
