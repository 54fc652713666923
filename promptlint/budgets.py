"""Work budgets: how much one file or template may cost before promptlint stops and says so.

A scanned tree can be built to make a linter slow: a list of 100,000 examples that rules
compare pairwise, Jinja includes that fan out ten-fold per level, a prompt that is five
megabytes of one string. Each budget is far above what a real prompt needs; past it the
piece is left out with a PL001 that names the budget, and the rest of the file and of
the tree is analysed as usual. Numbers are from real trees: the largest of the nine
labelled repositories' few-shot lists has a few dozen items, their largest prompt a few
tens of thousands of characters.
"""

from __future__ import annotations

LIST_ITEMS = 2_000  # items of one list literal read as prompt values (examples, messages)
COMPOSED_CHARS = 4_000_000  # characters of one template with its includes: past a 1M-token context
INCLUDES = 1_000  # include and extends expansions composing one template


def exceeded(budget: str, found: str, limit: int, outcome: str) -> str:
    """The PL001 message of an exceeded budget: what, how much, the budget, what was done."""
    return f"{found}, over the {budget} budget ({limit:,}); {outcome}"
